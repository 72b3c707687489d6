/* SPDX-License-Identifier: MIT */
/* End to end: calls through an array of keys whose index is a constant only
 * in the SSA form (int i = 1) or only after optimisation (a static inline
 * function's parameter, a loop unrolled over the array: the plugin's late
 * pass, issue 15).  Two threads call them while the main thread retargets
 * the elements 1000 times (bounded) by scall_update and by converted
 * stores; every call returns one of the installed targets' ids, and right
 * after each change the main thread's next call reaches the new target.
 * Built with the toolchain (E2E_EXPECT_PATCHED), every site must then be a
 * direct branch to its key's target: at least 6 sites when optimised (one
 * inlined, one local, four unrolled), 1 at -O0 (the local). */
#include <pthread.h>
#include <scall.h>
#include <stdatomic.h>
#include <stdio.h>

#include "../../common/site_check.h"

static int t0(int x) { return 0 + (x & 0); }
static int t1(int x) { return 1 + (x & 0); }

typedef int fn(int);
static struct syscall {
	const char *name;
	fn *cur;
	fn *dflt;
} sys[4] SCALL_KEY = { { "a", t0, t0 }, { "b", t0, t0 }, { "c", t0, t0 }, { "d", t0, t0 } };

static volatile int stop;
static _Atomic long calls, bad;

static inline int at(int i, int x) { return sys[i].cur(x); }
__attribute__((noinline)) int call_inlined(int x) { return at(2, x) + 0 * x; }
__attribute__((noinline)) int call_local(int x)
{
	int i = 1;
	return sys[i].cur(x) + 0 * x;
}
__attribute__((noinline)) int call_unrolled(int x)
{
	int s = 0;
#pragma GCC unroll 4
	for (int i = 0; i < 4; i++)
		s += sys[i].cur(x);
	return s;
}

static void *caller(void *arg)
{
	(void)arg;
	while (!stop) {
		int a = call_inlined(1), l = call_local(2), u = call_unrolled(3);
		if ((a != 0 && a != 1) || (l != 0 && l != 1) || u < 0 || u > 2)
			bad++;
		calls++;
	}
	return NULL;
}

/* A converted store with a constant index, in a function of its own. */
__attribute__((noinline)) static void set_local(fn *f) { sys[1].cur = f; }

int main(void)
{
	pthread_t th[2];
	int fails = 0;

	for (int i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, caller, NULL))
			return 1;
	for (int i = 0; i < 1000; i++) {
		int k = i & 1;
		/* sys[1] holds k since the previous round's set_local */
		if (scall_update(sys[2].cur, k ? t1 : t0) || call_inlined(1) != k ||
		    call_local(1) != k || call_unrolled(1) != 2 * k)
			fails++;
		set_local(k ? t0 : t1);
		if (call_local(1) != !k || call_unrolled(1) != 1)
			fails++;
	}
	stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	printf("stale after change: %d, bad results: %ld, calls: %d %d %d\n", fails, (long)bad,
	       call_inlined(0), call_local(0), call_unrolled(0));
	fprintf(stderr, "calls %ld\n", (long)calls);
#ifdef E2E_EXPECT_PATCHED
#ifdef __OPTIMIZE__
	if (!site_check_all_direct("final", 1, 6))
		return 1;
#else
	if (!site_check_all_direct("final", 1, 1))
		return 1;
#endif
#else
	if (!site_check_none("fallback"))
		return 1;
#endif
	return fails || bad;
}
