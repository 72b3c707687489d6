/* SPDX-License-Identifier: MIT */
/* End to end: compiler-generated sites of every kind and flavour, patched by
 * libscall.  stdout must be identical with and without the plugin; with it,
 * the runtime must have registered and patched the sites. */
#include <scall.h>
#include <stdio.h>
#include <stdlib.h>

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

static void show(const char *what)
{
	total = 0;
	fire(2);
	printf("%-10s call=%d tail=%d deref=%d ev=%d cnt=%d stat=%d inl=%d\n",
	       what, call_op(1), tail_op(1), deref_op(1), total, count(5),
	       stat_op(4), inl(1));
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

	struct scall_stats st;
	if (scall_stats(&st))
		return 1;
	fprintf(stderr, "modules %zu sites %zu direct %zu tramp %zu refused %zu tramps %zu\n",
		st.modules, st.sites, st.sites_direct, st.sites_trampoline,
		st.sites_refused, st.trampolines);
#if SCALL_HAVE_PLUGIN
	/* call, tail, deref, fire, count, stat, inl (>= 2) and show's inlined
	 * copies: at least 8 sites, all patched, none refused.  A Clang-built
	 * module that scall-ld did not complete has only kind-4 records: then
	 * its trampolines are what the runtime patches. */
	int patched = st.sites_unresolved
			      ? st.sites == 0 && st.sites_unresolved >= 8
			      : st.sites >= 8 && st.sites_direct != 0;
	if (st.modules < 1 || !patched || st.sites_refused != 0 ||
	    st.trampolines < 4) {
		fprintf(stderr, "FAIL: the runtime did not patch the plugin's sites\n");
		return 1;
	}
#endif
	return 0;
}
