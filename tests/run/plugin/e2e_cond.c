/* SPDX-License-Identifier: MIT */
/* scall_cond(key)(args): "call the target, or do nothing when it is NULL
 * ... The arguments are evaluated either way" (scall.h).  Each argument
 * with a side effect must take effect exactly once, and a NULL target must
 * never be called, at a call site, a tail site and a conditional one (and
 * a NULL target not through a conditional tail call either),
 * before the module is registered (a constructor: the sites are still on
 * their trampolines) and after, with the key NULL from the start, set, NULL
 * again and scall_return0; for a void key and for a key whose result is
 * discarded.  stdout must be identical without the toolchain; built with it
 * (E2E_EXPECT_PATCHED), the code must hold each state's form (NOP, RET,
 * branch) at every site. */
#include <scall.h>
#include <stdio.h>

#include "../../common/site_check.h"

static int evals, calls, counter, after, last_a, last_b;

__attribute__((noinline)) static int arg(int v)
{
	evals++;
	return v;
}
static void sink(int a, int b) { calls++, last_a = a, last_b = b; }
static void sink10(int a, int b) { calls += 10, last_a = a, last_b = b; }
static int isink(int a) { calls += 100; last_a = a; return a; }
SCALL_DEFINE_NULL(ev, sink);
SCALL_DEFINE_NULL(iev, isink);

__attribute__((noinline)) void at_call(int x)
{
	scall_cond(ev)(arg(x), counter++);
	after++; /* not a tail call */
}
__attribute__((noinline)) void at_tail(int x) { scall_cond(ev)(counter++, arg(2 * x)); }
__attribute__((noinline)) void at_branch(int c, int x)
{
	if (c)
		scall_cond(ev)(arg(x), x);
}
/* No argument to compute: clang makes this a conditional tail call (Jcc). */
__attribute__((noinline)) void at_jcc(int c, int x)
{
	if (c)
		scall_cond(ev)(c, x);
}
__attribute__((noinline)) void at_int(int x) { scall_cond(iev)(arg(x) + counter++); }

/* Five conds run (at_branch(0, ..) and at_jcc(0, ..) run none): four
 * arguments call arg() and three increment counter, whatever the targets;
 * the targets reached add up to want_calls. */
static int run(const char *what, int want_calls)
{
	evals = calls = counter = after = last_a = last_b = 0;
	at_call(1);
	at_tail(2);
	at_branch(1, 3);
	at_branch(0, 4);
	at_int(5);
	at_jcc(1, 6);
	at_jcc(0, 7);
	printf("%-7s evals=%d counter=%d after=%d calls=%d last=%d,%d\n", what, evals,
	       counter, after, calls, last_a, last_b);
	if (evals == 4 && counter == 3 && after == 1 && calls == want_calls)
		return 1;
	fprintf(stderr, "FAIL: %s: arguments evaluated %d times (4), counter %d (3), "
			"targets reached %d (%d)\n", what, evals, counter, calls, want_calls);
	return 0;
}

#ifdef E2E_EXPECT_PATCHED
/* Every site in the form its key's value requires (NULL: NOP at a call,
 * RET at a tail site, the trampoline at a Jcc). */
static int states_ok(const char *what)
{
	struct site_count c = site_check();

	site_check_print(what, &c);
#ifdef E2E_EXPECT_UNRESOLVED
	return c.wrong == 0 && c.modules == 1 && c.sites == 0 && c.unresolved >= 5;
#else
	return c.wrong == 0 && c.modules == 1 && c.unresolved == 0 && c.sites >= 5;
#endif
}
#else
static int states_ok(const char *what) { return site_check_none(what); }
#endif

/* Before __scall_module_ctor (default priority) registers this module. */
static int early_ok;
__attribute__((constructor(101))) static void early(void) { early_ok = run("ctor", 0); }

int main(void)
{
	int ok = early_ok;

	ok = run("null", 0) && states_ok("null") && ok;
	if (scall_update(ev, sink) || scall_update(iev, isink))
		return 1;
	ok = run("set", 4 + 100) && states_ok("set") && ok;
	if (scall_update(ev, NULL) || scall_update(iev, NULL))
		return 1;
	ok = run("null", 0) && states_ok("null") && ok;
	if (scall_update(ev, sink10) || scall_update(iev, scall_return0))
		return 1;
	ok = run("set10", 40) && states_ok("set10") && ok;
	if (scall_update(ev, scall_return0) || scall_update(iev, isink))
		return 1;
	ok = run("ret0", 100) && states_ok("ret0") && ok;
	return !ok;
}
