/* SPDX-License-Identifier: MIT */
/* A dlopen'ed object calling the key of e2e_lib. */
#include <scall.h>
int lib_base(int x);
extern int (*shared_op)(int) SCALL_KEY;
__attribute__((noinline)) int plug_call(int x) { return shared_op(x) * 2; }
