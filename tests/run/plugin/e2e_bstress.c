/* SPDX-License-Identifier: MIT */
/* Stress on bursts of converted stores (-fplugin-arg-scall-convert-stores):
 * 2 threads call through two members of a struct key and a plain key while
 * the main thread retargets all three 1000 times with one burst of seq_cst
 * stores (one __scall_stored_n, one patch cycle over both key objects),
 * then publishes the round with a release store.  What docs/protocol.md
 * ("Converted stores") promises other threads, checked on every call:
 * - a site only reaches a target one of its key's values named (the ids
 *   say which key's targets a call may reach);
 * - once a caller acquired round g, a call it makes while the round is
 *   still g reaches round g's target or the next round's (whose burst may
 *   have begun), never an earlier one: after the burst's runtime call
 *   returned, every site calls the new values.
 * Bounded: 1000 rounds.  Built with the toolchain (E2E_EXPECT_PATCHED),
 * the rounds cost one cycle each, and every site must then be a direct
 * branch to its key's target. */
#include <pthread.h>
#include <scall.h>
#include <stdio.h>

#include "../../common/site_check.h"

typedef int fn(int);
/* Round g's targets are a[g % 4], b[g % 4], p[g % 4]: ids 0..3, 10..13,
 * 20..23. */
#define T(n, id) static int n(int x) { return id + (x & 0); }
T(a0, 0) T(a1, 1) T(a2, 2) T(a3, 3)
T(b0, 10) T(b1, 11) T(b2, 12) T(b3, 13)
T(p0, 20) T(p1, 21) T(p2, 22) T(p3, 23)
static fn *const A[4] = { a0, a1, a2, a3 }, *const B[4] = { b0, b1, b2, b3 },
	  *const P[4] = { p0, p1, p2, p3 };

struct ops {
	fn *a;
	long gen;
	fn *b;
};
static struct ops ops SCALL_KEY = { a0, 0, b0 };
fn *pk SCALL_KEY = p0;

static long round_no; /* the last round whose burst returned */
static int stop;
static long calls, bad, stale;

__attribute__((noinline)) int call_a(int x) { return ops.a(x) + 0 * x; }
__attribute__((noinline)) int call_b(int x) { return ops.b(x) + 0 * x; }
__attribute__((noinline)) int call_pk(int x) { return pk(x) + 0 * x; }

/* A call after acquiring round g, made while the round is still g, reaches
 * round g's target, or round g + 1's (its burst may have begun): never an
 * earlier round's. */
static int late(int got, int base, long g)
{
	return got != base + (int)(g % 4) && got != base + (int)((g + 1) % 4);
}

static void *caller(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		long g = __atomic_load_n(&round_no, __ATOMIC_ACQUIRE);
		int a = call_a(1), b = call_b(2), p = call_pk(3);

		if (a < 0 || a > 3 || b < 10 || b > 13 || p < 20 || p > 23)
			__atomic_fetch_add(&bad, 1, __ATOMIC_RELAXED);
		else if (__atomic_load_n(&round_no, __ATOMIC_ACQUIRE) == g &&
			 (late(a, 0, g) || late(b, 10, g) || late(p, 20, g)))
			__atomic_fetch_add(&stale, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* One burst into two key objects (loads between the stores do not end
 * it), then the round's release store (an atomic on other memory: it ends
 * the burst, after the runtime call). */
__attribute__((noinline)) static void retarget(long g)
{
	int k = (int)(g % 4);

	__atomic_store_n(&ops.a, A[k], __ATOMIC_SEQ_CST);
	__atomic_store_n(&pk, P[k], __ATOMIC_SEQ_CST);
	__atomic_store_n(&ops.b, B[k], __ATOMIC_SEQ_CST);
	__atomic_store_n(&round_no, g, __ATOMIC_RELEASE);
}

int main(void)
{
	pthread_t th[2];
	struct scall_stats s0, s1;
	int fails = 0;

	if (scall_stats(&s0))
		return 1;
	for (int i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, caller, NULL))
			return 1;
	for (long g = 1; g <= 1000; g++) {
		int k = (int)(g % 4);

		retarget(g);
		if (call_a(1) != k || call_b(2) != 10 + k || call_pk(3) != 20 + k)
			fails++;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	if (scall_stats(&s1))
		return 1;
	printf("stale after store: %d, bad results: %ld, stale calls: %ld\n",
	       fails, bad, stale);
	fprintf(stderr, "calls %ld\n", calls);
#ifdef E2E_EXPECT_PATCHED
	/* One cycle (3 syncs, every round changes every site) per round.
	 * Under AddressSanitizer the loads of A[k], P[k], B[k] between the
	 * stores are checked, with a call on the failure branch: the block
	 * splits there and so does the burst (a block boundary ends one), up
	 * to one cycle per store; still 3 syncs per cycle. */
	unsigned long long syncs = s1.syncs - s0.syncs, ups = s1.updates - s0.updates;
	unsigned long long most = 1000;
#if defined(__SANITIZE_ADDRESS__)
	most = 3000;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	most = 3000;
#endif
#endif
	fprintf(stderr, "1000 bursts: %llu syncs, %llu updates\n", syncs, ups);
	if (ups < 1000 || ups > most || syncs != 3 * ups) {
		fprintf(stderr, "FAIL: 1000 bursts cost %llu syncs and %llu "
			"updates, expected 3 syncs per update and 1000 to %llu "
			"updates\n", syncs, ups, most);
		return 1;
	}
	if (!site_check_all_direct("final", 1, 3))
		return 1;
#else
	if (!site_check_none("fallback"))
		return 1;
#endif
	return fails || bad || stale;
}
