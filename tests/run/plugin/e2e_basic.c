/* SPDX-License-Identifier: MIT */
/* End to end: compiler-generated sites of every kind and flavour, patched by
 * libscall.  stdout must be identical with and without the plugin.  Built
 * with it (E2E_EXPECT_PATCHED), the code must hold, after every step, the
 * state each site's key requires, and at the end, with every key on a
 * target in range, a direct branch at every recorded site. */
#include <scall.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../common/site_check.h"

static int add1(int x) { return x + 1; }
static int add2(int x) { return x + 2; }
static int neg(int x) { return -x; }
static int total;
static void acc(int x) { total += x; }
static void acc10(int x) { total += 10 * x; }

SCALL_DEFINE(op, add1);
SCALL_DEFINE_NULL(ev, acc);
SCALL_DEFINE_RET0(cnt, add1);
static SCALL_DEFINE(sop, neg);

__attribute__((noinline)) int call_op(int x) { return op(x) * 3; }
__attribute__((noinline)) int tail_op(int x) { return scall(op)(x); }
__attribute__((noinline)) int deref_op(int x) { return (*op)(x) + 0 * x; }
__attribute__((noinline)) void fire(int x) { scall_cond(ev)(x); }
__attribute__((noinline)) int count(int x) { return cnt(x); }
__attribute__((noinline)) int stat_op(int x) { return sop(x) - 1; }
static inline int twice(int x) { return op(op(x)); }
__attribute__((noinline)) int inl(int x) { return twice(x) + twice(x + 1); }

#ifdef E2E_EXPECT_PATCHED
static int wrong_states;
#endif

static void show(const char *what)
{
	total = 0;
	fire(2);
	printf("%-10s call=%d tail=%d deref=%d ev=%d cnt=%d stat=%d inl=%d\n",
	       what, call_op(1), tail_op(1), deref_op(1), total, count(5),
	       stat_op(4), inl(1));
#ifdef E2E_EXPECT_PATCHED
	/* NULL cond key, scall_return0 (out of range: via the trampoline). */
	struct site_count c = site_check();
	site_check_print(what, &c);
	wrong_states += c.wrong != 0;
#endif
}

int main(void)
{
	show("initial");
	if (scall_update(op, add2) || scall_update(ev, acc) ||
	    scall_update(cnt, add2) || scall_update(sop, add1))
		return 1;
	show("updated");
	if (scall_update(op, neg) || scall_update(ev, acc10) ||
	    scall_update(cnt, scall_return0) || scall_update(sop, neg))
		return 1;
	show("again");
	struct scall_update u[] = { SCALL_UPDATE(op, add1), SCALL_UPDATE(ev, NULL) };
	if (scall_update_batch(u, 2))
		return 1;
	show("batch");
	for (int i = 0; i < 1000; i++)
		if (scall_update(op, i & 1 ? add1 : add2))
			return 1;
	show("loop");

	/* Every key on a target in this executable: all sites can be direct. */
	if (scall_update(ev, acc) || scall_update(cnt, add2))
		return 1;
	struct scall_stats st;
	if (scall_stats(&st))
		return 1;
	fprintf(stderr, "modules %zu sites %zu direct %zu tramp %zu refused %zu tramps %zu\n",
		st.modules, st.sites, st.sites_direct, st.sites_trampoline,
		st.sites_refused, st.trampolines);
#ifdef E2E_EXPECT_PATCHED
	/* call, tail, deref, fire, count, stat, inl (>= 2) and show's inlined
	 * copies: at least 8 sites, 4 keys; the runtime registered each
	 * record that memory holds. */
	struct site_count c = site_check();
	if (wrong_states || !site_check_all_direct("final", 1, 8) || st.modules != c.modules ||
	    st.sites != c.sites || st.sites_unresolved != c.unresolved ||
	    st.sites_refused != 0 || c.tramps < 4) {
		fprintf(stderr, "FAIL: the runtime did not patch the plugin's sites\n");
		return 1;
	}
#else
	if (!site_check_none("fallback"))
		return 1;
#endif
	return 0;
}
