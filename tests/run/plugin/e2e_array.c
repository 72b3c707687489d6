/* SPDX-License-Identifier: MIT */
/* End to end: arrays of keys (issue 15).  Two threads call through
 * elements with a constant index (converted sites) and a variable index
 * (indirect calls) while the main thread retargets them 1000 times (bounded):
 * scall_update on an element, a converted store with a constant index, one
 * with a variable index (the whole array is the stored range), a 2-D array
 * element.  Every call returns one of the installed targets' ids, and right
 * after each change the main thread's next call reaches the new target.
 * Built with the toolchain (E2E_EXPECT_PATCHED), every site must then be a
 * direct branch to its key's target. */
#include <pthread.h>
#include <scall.h>
#include <stdatomic.h>
#include <stdio.h>

#include "../../common/site_check.h"

static int a0(int x) { return 0 + (x & 0); }
static int a1(int x) { return 1 + (x & 0); }
static int b0(int x) { return 10 + (x & 0); }
static int b1(int x) { return 11 + (x & 0); }

typedef int fn(int);
static struct syscall {
	const char *name;
	fn *cur;
	fn *dflt;
} sys[4] SCALL_KEY = { { "open", a0, a0 }, { "close", a0, a0 }, { "read", a0, a0 }, { "write", a0, b0 } };
fn *grid[2][2] SCALL_KEY = { { b0, b0 }, { b0, b0 } };

static volatile int stop;
static _Atomic long calls, bad;

__attribute__((noinline)) int call_sys3(int x) { return sys[3].cur(x) + 0 * x; }
__attribute__((noinline)) int tail_dflt3(int x) { return sys[3].dflt(x); }
__attribute__((noinline)) int call_grid(int x) { return grid[1][0](x) + 0 * x; }
__attribute__((noinline)) int call_var(int i, int x) { return sys[i].cur(x) + 0 * x; }

static void *caller(void *arg)
{
	(void)arg;
	while (!stop) {
		int a = call_sys3(1), d = tail_dflt3(2), g = call_grid(3), v = call_var(3, 4);
		if ((a != 0 && a != 1) || (d != 10 && d != 11) || (g != 10 && g != 11) ||
		    (v != 0 && v != 1))
			bad++;
		calls++;
	}
	return NULL;
}

/* Stores in functions of their own: a converted store inside a loop body
 * gets the store-in-loop warning (an error under -Werror). */
__attribute__((noinline)) static void set_const(fn *f) { sys[3].cur = f; }
__attribute__((noinline)) static void set_var(int i, fn *f) { sys[i].dflt = f; }
__attribute__((noinline)) static void set_grid(fn *f) { grid[1][0] = f; }

int main(void)
{
	pthread_t th[2];
	int fails = 0;

	for (int i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, caller, NULL))
			return 1;
	for (int i = 0; i < 1000; i++) {
		int k = i & 1;
		if (scall_update(sys[3].cur, k ? a1 : a0) || call_sys3(1) != k ||
		    call_var(3, 1) != k)
			fails++;
		set_const(k ? a0 : a1);
		if (call_sys3(1) != !k || call_var(3, 1) != !k)
			fails++;
		set_var(3, k ? b1 : b0);
		set_grid(k ? b0 : b1);
		if (tail_dflt3(2) != 10 + k || call_grid(3) != 11 - k)
			fails++;
	}
	stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	printf("stale after change: %d, bad results: %ld, sys[3]: %d %d, grid: %d\n", fails,
	       (long)bad, call_sys3(0), tail_dflt3(0), call_grid(0));
	fprintf(stderr, "calls %ld\n", (long)calls);
#ifdef E2E_EXPECT_PATCHED
	/* call_sys3, tail_dflt3, call_grid: every target is in this executable. */
	if (!site_check_all_direct("final", 1, 3))
		return 1;
#else
	if (!site_check_none("fallback"))
		return 1;
#endif
	return fails || bad;
}
