/* SPDX-License-Identifier: MIT */
/* Stress on the sites of a shared object made of GCC and Clang objects:
 * 4 threads call every site while the main thread retargets the keys 2000
 * times and a thread signals them (the handler calls the sites too).  Then
 * every site must be registered, verified and patched direct. */
#include "mixed.h"
#include <stdio.h>

#include "../../common/stress_harness.h"

static void calls(void)
{
	stress_check(call_a(1));
	stress_check(tail_a(2));
	stress_check(call_b(1));
	stress_check(tail_b(2));
	cond_a(1);
	cond_b(1);
}

int main(void)
{
	if (stress_run(calls, mx_retarget, 2000)) {
		printf("update failed\n");
		return 1;
	}
	if (mx_retarget(1)) /* mk = t1, mv = mx_h: every site can be direct */
		return 1;
	struct scall_stats st;
	scall_stats(&st);
	fprintf(stderr, "modules %zu sites %zu direct %zu tramp %zu refused %zu unresolved %zu\n",
		st.modules, st.sites, st.sites_direct, st.sites_trampoline,
		st.sites_refused, st.sites_unresolved);
	int ok = stress_bad == 0 && call_a(0) == 1 && call_b(0) == 1 && tail_b(0) == 1;
#ifdef MIXED_CHECK_SITES
	/* 6 sites at least (inlining may add), all patched direct. */
	ok = ok && st.sites >= 6 && st.sites_refused == 0 && st.sites_unresolved == 0 &&
	     st.sites_direct == st.sites;
#endif
	printf("bad %ld, calls>0 %d, %s\n", (long)stress_bad, stress_calls > 0, ok ? "ok" : "FAILED");
	return !ok;
}
