/* SPDX-License-Identifier: MIT */
/* Stress on converted stores: 3 threads call through the members of a
 * struct key and a plain key while the main thread retargets them 1000
 * times with ordinary stores (whole-struct copies, member stores, key =
 * key), which -fplugin-arg-scall-convert-stores turns into updates.  Every
 * call returns one of the installed targets' ids, and right after each
 * store the storing thread's next call reaches the new target.  Bounded.
 * Built with the toolchain (E2E_EXPECT_PATCHED), every site must then be
 * a direct branch to its key's target. */
#include <pthread.h>
#include <scall.h>
#include <stdatomic.h>
#include <stdio.h>

#include "../../common/site_check.h"

static int a0(int x) { return 0 + (x & 0); }
static int a1(int x) { return 1 + (x & 0); }
static int b0(int x) { return 10 + (x & 0); }
static int b1(int x) { return 11 + (x & 0); }

struct ops {
	int (*a)(int);
	long gen;
	int (*b)(int);
};
static struct ops ops SCALL_KEY = { a0, 0, b0 };
static const struct ops tab[2] = { { a0, 0, b0 }, { a1, 1, b1 } };
SCALL_DEFINE(pk, a0);

static volatile int stop;
static _Atomic long calls, bad;

__attribute__((noinline)) int call_a(int x) { return ops.a(x) + 0 * x; }
__attribute__((noinline)) int tail_b(int x) { return scall(ops.b)(x); }
__attribute__((noinline)) int call_pk(int x) { return pk(x) + 0 * x; }

static void *caller(void *arg)
{
	(void)arg;
	while (!stop) {
		int a = call_a(1), b = tail_b(2), p = call_pk(3);
		if ((a != 0 && a != 1) || (b != 10 && b != 11) || (p != 0 && p != 1))
			bad++;
		calls++;
	}
	return NULL;
}

/* Stores in functions of their own: a converted store inside a loop body
 * gets the store-in-loop warning (an error under -Werror). */
__attribute__((noinline)) static void copy_tab(int i) { ops = tab[i]; }
__attribute__((noinline)) static void set_b(int (*f)(int)) { ops.b = f; }
__attribute__((noinline)) static void pk_from_a(void) { pk = ops.a; }

int main(void)
{
	pthread_t th[3];
	int fails = 0;

	for (int i = 0; i < 3; i++)
		if (pthread_create(&th[i], NULL, caller, NULL))
			return 1;
	for (int i = 0; i < 1000; i++) {
		int k = i & 1;
		copy_tab(k);
		if (call_a(1) != k || tail_b(2) != 10 + k)
			fails++;
		set_b(k ? b0 : b1);
		pk_from_a();
		if (tail_b(2) != 11 - k || call_pk(3) != k)
			fails++;
	}
	stop = 1;
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	printf("stale after store: %d, bad results: %ld\n", fails, (long)bad);
	fprintf(stderr, "calls %ld\n", (long)calls);
#ifdef E2E_EXPECT_PATCHED
	/* call_a, tail_b, call_pk: every target is in this executable. */
	if (!site_check_all_direct("final", 1, 3))
		return 1;
#else
	if (!site_check_none("fallback"))
		return 1;
#endif
	return fails || bad;
}
