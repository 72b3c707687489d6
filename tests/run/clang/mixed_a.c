/* SPDX-License-Identifier: MIT */
#include "mixed.h"
static _Thread_local long hits;
int mx_t(int x) { return x & 0; }
static int t1(int x) { return 1 + (x & 0); }
static int t2(int x) { return 2 + (x & 0); }
void mx_h(int x) { hits += x; }
SCALL_DEFINE(mk, mx_t);
SCALL_DEFINE_NULL(mv, mx_h);
__attribute__((noinline)) int call_a(int x) { return mk(x) + 0 * x; }
__attribute__((noinline)) int tail_a(int x) { return mk(x); }
__attribute__((noinline)) void cond_a(int x) { scall_cond(mv)(x); }
/* mv is set for four updates, then NULL for four: most calls' ranges in
 * the stress's sequence check then allow one cond outcome. */
int mx_target(long i) { return i < 0 ? 0 : (int)(i % 3); }
int mx_cond_on(long i) { return i >= 0 && (i >> 2) & 1; }
int mx_retarget(int i)
{
	int (*tg[3])(int) = { mx_t, t1, t2 };
	int r = scall_update(mk, tg[mx_target(i)]);
	return r ? r : scall_update(mv, mx_cond_on(i) ? mx_h : NULL);
}
long *mx_hits(void) { return &hits; }
