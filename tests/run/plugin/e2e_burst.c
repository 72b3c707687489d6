/* SPDX-License-Identifier: MIT */
/* End to end: bursts of converted stores (-fplugin-arg-scall-convert-stores).
 * Consecutive stores into keys in one basic block, with no call between
 * them, are one runtime call after the last of them (__scall_stored for
 * one key object, __scall_stored_n for several), so a 15-member
 * initialisation costs one patch cycle (3 syncs), not 15, whether its
 * stores are plain, relaxed or seq_cst (zlib-ng's functable init).  A call
 * in the middle ends the burst: the call must already see the stores
 * before it.  Built with a compiler's pass (E2E_EXPECT_PATCHED) each
 * step's cost in syncs and updates is checked with scall_stats() and every
 * site's bytes with site_check(); stdout must be identical without the
 * pass (plain stores, indirect calls).  Run with the GCC plugin and the
 * Clang pass. */
#include <scall.h>
#include <stdio.h>

#include "../../common/site_check.h"

typedef int fn(int);
#define FG(i) static int f##i(int x) { return x + i; } \
	static int g##i(int x) { return x + 100 + i; }
FG(0) FG(1) FG(2) FG(3) FG(4) FG(5) FG(6) FG(7) FG(8) FG(9) FG(10) FG(11)
FG(12) FG(13) FG(14)
#define ALL(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) \
	X(11) X(12) X(13) X(14)

#define MEMBER(i) fn *m##i;
struct table { ALL(MEMBER) };
#define G(i) g##i,
struct table tab SCALL_KEY = { ALL(G) };
fn *solo SCALL_KEY = g0;

/* One site per member, each in its own function. */
#define CALLER(i) __attribute__((noinline)) static int c##i(int x) { return tab.m##i(x); }
ALL(CALLER)
__attribute__((noinline)) static int c_solo(int x) { return solo(x); }

/* A functable init with relaxed atomic stores, nothing between: one burst. */
__attribute__((noinline)) static void init_relaxed(void)
{
#define STORE_RELAXED(i) __atomic_store_n(&tab.m##i, f##i, __ATOMIC_RELAXED);
	ALL(STORE_RELAXED)
}

/* zlib-ng's functable init, seq_cst: still one burst, one cycle. */
__attribute__((noinline)) static void init_seq_cst(void)
{
#define STORE_SEQ_CST(i) __atomic_store_n(&tab.m##i, g##i, __ATOMIC_SEQ_CST);
	ALL(STORE_SEQ_CST)
}

/* Two plain stores, the higher member first: one range over m3..m9. */
__attribute__((noinline)) static void partial(void)
{
	tab.m9 = f9;
	tab.m3 = f3;
}

/* A call in the middle: two bursts, and the call already reaches f0. */
static int seen;
__attribute__((noinline)) static void broken(void)
{
	tab.m0 = f0; tab.m1 = f1; tab.m2 = f2; tab.m4 = f4; tab.m5 = f5;
	tab.m6 = f6; tab.m7 = f7;
	seen = c0(0);
	tab.m8 = f8; tab.m10 = f10; tab.m11 = f11; tab.m12 = f12;
	tab.m13 = f13; tab.m14 = f14;
}

/* The same with seq_cst stores, the call in the middle reading the key
 * and calling through a site of a key stored before it. */
static fn *got;
__attribute__((noinline)) static void broken_seq_cst(void)
{
	__atomic_store_n(&tab.m0, g0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&solo, g5, __ATOMIC_SEQ_CST);
	__atomic_store_n(&tab.m1, g1, __ATOMIC_SEQ_CST);
	seen = c_solo(0) * 1000 + c0(0);
	got = scall_query(tab.m0);
	__atomic_store_n(&tab.m2, g2, __ATOMIC_SEQ_CST);
	__atomic_store_n(&solo, f7, __ATOMIC_SEQ_CST);
}

/* A fence and a volatile access end a burst too: three cycles. */
static volatile int vflag;
__attribute__((noinline)) static void fenced(void)
{
	__atomic_store_n(&tab.m3, g3, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	tab.m4 = g4;
	vflag = 1;
	tab.m5 = g5;
}

/* Two key objects in one burst, a release store among them: one
 * __scall_stored_n, one cycle. */
__attribute__((noinline)) static void two_keys(void)
{
	tab.m0 = g0;
	solo = f5;
	__atomic_store_n(&tab.m14, g14, __ATOMIC_RELEASE);
}

static int failed;

static void show(const char *what)
{
#define PRINT(i) printf(" %d", c##i(0));
	printf("%-8s", what);
	ALL(PRINT)
	printf(" solo=%d seen=%d got=%d\n", c_solo(0), seen, got ? got(0) : -1);
#ifdef E2E_EXPECT_PATCHED
	struct site_count c = site_check();
	site_check_print(what, &c);
	failed |= c.wrong != 0;
#endif
}

/* Runs one step and checks what it cost the runtime. */
static void step(const char *what, void (*fn)(void), unsigned long long syncs,
		 unsigned long long updates)
{
	struct scall_stats a, b;

	if (scall_stats(&a))
		failed = 1;
	fn();
	if (scall_stats(&b))
		failed = 1;
#ifdef E2E_EXPECT_PATCHED
	unsigned long long s = b.syncs - a.syncs, u = b.updates - a.updates;
	fprintf(stderr, "%s: %llu syncs, %llu updates\n", what, s, u);
	if (s != syncs || u != updates) {
		fprintf(stderr, "FAIL: %s cost %llu syncs and %llu updates, "
			"expected %llu and %llu\n", what, s, u, syncs, updates);
		failed = 1;
	}
#else
	(void)syncs;
	(void)updates;
#endif
	show(what);
}

int main(void)
{
	show("initial");
	step("relaxed", init_relaxed, 3, 1);
	step("seq_cst", init_seq_cst, 3, 1);
	step("partial", partial, 3, 1);
	step("broken", broken, 6, 2);
	step("broken-seq-cst", broken_seq_cst, 6, 2);
	step("fenced", fenced, 9, 3);
	step("two-keys", two_keys, 3, 1);
#ifdef E2E_EXPECT_PATCHED
	if (failed || !site_check_all_direct("final", 1, 16)) {
		fprintf(stderr, "FAIL: a burst of converted stores\n");
		return 1;
	}
#else
	if (failed || !site_check_none("fallback"))
		return 1;
#endif
	return 0;
}
