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
int mx_target(long i);  /* id of mk's target after mx_retarget(i) (-1: initial) */
int mx_cond_on(long i); /* mv non-NULL after mx_retarget(i) (-1: initially) */
long *mx_hits(void);    /* this thread's count of calls that reached mx_h */
