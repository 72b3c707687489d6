/* SPDX-License-Identifier: MIT */
/* Arrays of keys under the Clang pass (issue 15), built with
 * -fplugin-arg-scall-convert-stores: a caller thread calls through
 * constant-index elements (converted) and a variable-index one (left
 * indirect) while the main thread retargets them 400 times by
 * scall_update on an element, converted stores with a constant index and
 * with a variable one (the whole array).  Every call returns one of the
 * installed ids, and right after each change the main thread's next call
 * reaches the new target.  Bounded.  With the pass (E2E_EXPECT_PATCHED)
 * every site is then a direct branch to its key's target. */
#include <pthread.h>
#include <scall.h>
#include <stdio.h>

#include "../../common/site_check.h"

static int a0(int x) { return 0 + (x & 0); }
static int a1(int x) { return 1 + (x & 0); }
static int b0(int x) { return 10 + (x & 0); }
static int b1(int x) { return 11 + (x & 0); }

struct syscall {
	const char *name;
	int (*cur)(int);
	int (*dflt)(int);
};
static struct syscall sys[3] SCALL_KEY = { { "a", a0, b0 }, { "b", a0, b0 }, { "c", a0, b0 } };
int (*fns[4])(int) SCALL_KEY = { b0, b0, b0, b0 };

static volatile int stop, index_of_var = 1;
static long bad, calls;

__attribute__((noinline)) int call_sys2(int x) { return sys[2].cur(x) + 0 * x; }
__attribute__((noinline)) int call_dflt1(int x) { return sys[1].dflt(x) + 0 * x; }
__attribute__((noinline)) int call_fns3(int x) { return fns[3](x) + 0 * x; }
__attribute__((noinline)) int call_var(int i, int x) { return fns[i](x) + 0 * x; }

static void *caller(void *arg)
{
	(void)arg;
	while (!stop) {
		int s = call_sys2(1), d = call_dflt1(2), f = call_fns3(3), v = call_var(index_of_var, 4);
		if ((s != 0 && s != 1) || (d != 10 && d != 11) || (f != 10 && f != 11) ||
		    (v != 10 && v != 11))
			__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Converted stores, each in a function of its own (not in the loop body). */
__attribute__((noinline)) static void set_cur2(int (*f)(int)) { sys[2].cur = f; }
__attribute__((noinline)) static void set_fns(int i, int (*f)(int)) { fns[i] = f; }

int main(void)
{
	pthread_t th;
	int fails = 0;

	if (pthread_create(&th, NULL, caller, NULL))
		return 1;
	for (int i = 0; i < 400; i++) {
		int k = i & 1;
		set_cur2(k ? a1 : a0);
		if (call_sys2(1) != k)
			fails++;
		if (scall_update(sys[1].dflt, k ? b1 : b0) || call_dflt1(2) != 10 + k)
			fails++;
		set_fns(3 - (i & 2), k ? b1 : b0); /* index 3 or 1 */
		if (i & 2 ? call_var(1, 4) != 10 + k : call_fns3(3) != 10 + k)
			fails++;
	}
	set_fns(3, b1);
	stop = 1;
	pthread_join(th, NULL);
	printf("stale after change: %d, bad results: %ld, sys2 %d dflt1 %d fns3 %d\n", fails, bad,
	       call_sys2(0), call_dflt1(0), call_fns3(0));
	fprintf(stderr, "calls %ld\n", calls);
#ifdef E2E_EXPECT_PATCHED
	if (!site_check_all_direct("final", 1, 3))
		return 1;
#else
	if (!site_check_none("fallback"))
		return 1;
#endif
	return fails || bad;
}
