/* SPDX-License-Identifier: MIT */
/* Stress on compiler-generated sites: 4 threads call through a key (call,
 * tail call and cond sites) while the main thread retargets it 2000 times
 * and a thread sends them signals whose handler calls the sites too.
 * Every call must reach a target the sequence rule allows
 * (tests/common/stress_harness.h): after a retarget returned, never an older
 * target, and a cond call never a NULL key's nor nothing for a non-NULL
 * one.  Built with the toolchain (E2E_EXPECT_PATCHED), every site must
 * then be a direct branch to its key's target.  Bounded. */
#include <scall.h>
#include <stdio.h>

#include "../../common/site_check.h"
#include "../../common/stress_harness.h"

static int t0(int x) { return x & 0; }
static int t1(int x) { return 1 + (x & 0); }
static int t2(int x) { return 2 + (x & 0); }
static _Thread_local long hits;
static void h0(int x) { hits += x; }
SCALL_DEFINE(sk, t0);
SCALL_DEFINE_NULL(sv, h0);

__attribute__((noinline)) int call_site(int x) { return sk(x) + 0 * x; }
__attribute__((noinline)) int tail_site(int x) { return sk(x); }
__attribute__((noinline)) void cond_site(int x) { scall_cond(sv)(x); }

static void calls(void)
{
	STRESS_CALL(call_site(1));
	STRESS_CALL(tail_site(2));
	STRESS_COND(cond_site(1));
}

/* retarget(i) gives sk the target of id i % 3 and sv h0 for four updates,
 * then NULL for four: most calls' ranges then allow one cond outcome. */
static int target(long i) { return i < 0 ? 0 : (int)(i % 3); }
static int cond_on(long i) { return i >= 0 && (i >> 2) & 1; }
static long *cond_hits(void) { return &hits; }

static int retarget(int i)
{
	static int (*const tg[3])(int) = { t0, t1, t2 };

	return scall_update(sk, tg[target(i)]) || scall_update(sv, cond_on(i) ? h0 : NULL);
}

int main(void)
{
	static const struct stress_prog p = { calls, retarget, 2000, 3, target, cond_on,
					      cond_hits };

	if (stress_run(&p)) {
		printf("stress failed\n");
		return 1;
	}
	printf("no stale target, calls>0 %d\n", stress_calls > 0);
#ifdef E2E_EXPECT_PATCHED
	/* sk = t2, sv = h0: both in this executable.  2 sites at least: -flto
	 * folds the identical call_site and tail_site into one. */
	if (retarget(5) || !site_check_all_direct("final", 1, 2))
		return 1;
#else
	if (!site_check_none("fallback"))
		return 1;
#endif
	return 0;
}
