/* SPDX-License-Identifier: MIT */
/* Bursts of converted stores: each function's name says how many runtime
 * calls follow its stores (bursts.sh counts them in the assembly):
 * s<N>_... N calls to __scall_stored, n<N>_... N calls to
 * __scall_stored_n. */
#include <scall.h>

typedef int fn(int);
static int f(int x) { return x; }
static int h(int x) { return x + 1; }
#define ALL(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) \
	X(11) X(12) X(13) X(14)
#define MEMBER(i) fn *m##i;
struct table { ALL(MEMBER) };
struct table tab SCALL_KEY = { 0 };
fn *solo SCALL_KEY = f;
int plain, other_plain;
volatile int vol;
void g(void);

#define D __attribute__((noinline)) void

/* zlib-ng's functable init: seq_cst stores into 15 members. */
D s1_n0_init15(void)
{
#define SEQ(i) __atomic_store_n(&tab.m##i, h, __ATOMIC_SEQ_CST);
	ALL(SEQ)
}
D s1_n0_plain_between(void)
{
	tab.m0 = h;
	other_plain = plain + 1; /* a load and a store of other memory */
	__atomic_store_n(&tab.m1, h, __ATOMIC_RELEASE);
	tab.m2 = h;
}
D s0_n1_two_objects(void)
{
	tab.m0 = h;
	__atomic_store_n(&solo, h, __ATOMIC_SEQ_CST);
	tab.m14 = f;
}
D s2_n0_call(void) { tab.m0 = h; g(); tab.m1 = h; }
D s2_n0_fence(void) { tab.m0 = h; __atomic_thread_fence(__ATOMIC_SEQ_CST); tab.m1 = h; }
D s2_n0_volatile(void) { tab.m0 = h; plain = vol; tab.m1 = h; }
D s2_n0_atomic_load(void)
{
	tab.m0 = h;
	plain = __atomic_load_n(&other_plain, __ATOMIC_ACQUIRE);
	tab.m1 = h;
}
D s2_n0_atomic_store(void)
{
	tab.m0 = h;
	__atomic_store_n(&other_plain, 1, __ATOMIC_RELEASE);
	tab.m1 = h;
}
D s2_n0_rmw(void)
{
	tab.m0 = h;
	__atomic_fetch_add(&other_plain, 1, __ATOMIC_SEQ_CST);
	tab.m1 = h;
}
D s2_n0_asm(void) { tab.m0 = h; __asm__ volatile("" ::: "memory"); tab.m1 = h; }
D s2_n0_blocks(int c)
{
	tab.m0 = h;
	if (c)
		solo = h;
}
D s1_n1_call_splits_objects(void)
{
	tab.m0 = h;
	solo = h;
	g();
	solo = f;
}
