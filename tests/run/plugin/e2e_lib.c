/* SPDX-License-Identifier: MIT */
/* A shared object that defines a key and calls it. */
#include <scall.h>
static int base(int x) { return x + 100; }
SCALL_DEFINE(shared_op, base);
__attribute__((noinline)) int lib_call(int x) { return shared_op(x) + 0 * x; }
