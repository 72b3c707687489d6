/* SPDX-License-Identifier: MIT */
/* Stress on compiler-generated sites: 4 threads call through a key (call,
 * tail call and cond sites) while the main thread retargets it 2000 times
 * and a thread sends them signals whose handler calls the sites too.
 * Every call must return one of the installed targets' ids.  Bounded. */
#include <scall.h>
#include <stdio.h>

#include "../../common/stress_harness.h"

static int t0(int x) { return x & 0; }
static int t1(int x) { return 1 + (x & 0); }
static int t2(int x) { return 2 + (x & 0); }
static _Atomic long hits;
static void h0(int x) { hits += x; }
SCALL_DEFINE(sk, t0);
SCALL_DEFINE_NULL(sv, h0);

__attribute__((noinline)) int call_site(int x) { return sk(x) + 0 * x; }
__attribute__((noinline)) int tail_site(int x) { return sk(x); }
__attribute__((noinline)) void cond_site(int x) { scall_cond(sv)(x); }

static void calls(void)
{
	stress_check(call_site(1));
	stress_check(tail_site(2));
	cond_site(1);
}

static int retarget(int i)
{
	static int (*const tg[3])(int) = { t0, t1, t2 };

	return scall_update(sk, tg[i % 3]) || scall_update(sv, i & 1 ? h0 : NULL);
}

int main(void)
{
	if (stress_run(calls, retarget, 2000)) {
		printf("update failed\n");
		return 1;
	}
	printf("bad %ld, calls>0 %d\n", (long)stress_bad, stress_calls > 0);
	return stress_bad != 0;
}
