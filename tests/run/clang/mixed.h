/* SPDX-License-Identifier: MIT */
/* One shared object built from a GCC-plugin object (mixed_a.c) and a
 * Clang-pass object (mixed_b.c), or the other way round. */
#include <scall.h>
int mx_t(int x);
void mx_h(int x);
SCALL_DECLARE(mk, mx_t);
SCALL_DECLARE(mv, mx_h);
int call_a(int x), tail_a(int x), call_b(int x), tail_b(int x);
void cond_a(int x), cond_b(int x);
int mx_retarget(int i); /* 0 or a negative errno */
long mx_hits(void);
