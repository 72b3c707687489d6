/* SPDX-License-Identifier: MIT */
/* Stress on the sites of a shared object made of GCC and Clang objects:
 * 4 threads call every site while the main thread retargets the keys 2000
 * times and a thread signals them (the handler calls the sites too).  Every
 * call must reach a target the sequence rule allows
 * (tests/common/stress_harness.h).  Built with the toolchain
 * (E2E_EXPECT_PATCHED), every site must then be registered and a direct
 * branch to its key's target, in the code's bytes. */
#include "mixed.h"
#include <stdio.h>

#include "../../common/site_check.h"
#include "../../common/stress_harness.h"

static void calls(void)
{
	STRESS_CALL(call_a(1));
	STRESS_CALL(tail_a(2));
	STRESS_CALL(call_b(1));
	STRESS_CALL(tail_b(2));
	STRESS_COND(cond_a(1));
	STRESS_COND(cond_b(1));
}

int main(void)
{
	static const struct stress_prog p = { calls, mx_retarget, 2000, 3, mx_target,
					      mx_cond_on, mx_hits };

	if (stress_run(&p)) {
		printf("stress failed\n");
		return 1;
	}
	if (mx_retarget(5)) /* mk = t2, mv = mx_h: every site can be direct */
		return 1;
	struct scall_stats st;
	scall_stats(&st);
	fprintf(stderr, "modules %zu sites %zu direct %zu tramp %zu refused %zu unresolved %zu\n",
		st.modules, st.sites, st.sites_direct, st.sites_trampoline,
		st.sites_refused, st.sites_unresolved);
	int ok = call_a(0) == 2 && call_b(0) == 2 && tail_b(0) == 2;
#ifdef E2E_EXPECT_PATCHED
	/* 6 sites at least (inlining may add), all patched direct, and
	 * registered: the runtime counts what memory holds. */
	struct site_count c = site_check();
	ok = ok && site_check_all_direct("final", 1, 6) && st.modules == c.modules &&
	     st.sites == c.sites && st.sites_refused == 0 && st.sites_unresolved == 0;
#else
	ok = ok && site_check_none("fallback");
#endif
	printf("no stale target, calls>0 %d, %s\n", stress_calls > 0, ok ? "ok" : "FAILED");
	return !ok;
}
