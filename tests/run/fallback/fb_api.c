/* SPDX-License-Identifier: MIT */
/* Every macro of scall.h, built without any plugin: the portable fallback
 * must behave as documented. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <scall.h>
#include "check.h"

static int add1(int x) { return x + 1; }
static int add2(int x) { return x + 2; }
static int neg(int x) { return -x; }

static int hits;
static void hit(int n) { hits += n; }
static void hit10(int n) { hits += 10 * n; }

static long ret7(void) { return 7; }
static void *ptr_fn(int x) { return (void *)(intptr_t)x; }

SCALL_DEFINE(op, add1);
SCALL_DECLARE(op, add1); /* a declaration after the definition is valid */
SCALL_DEFINE_NULL(event, hit);
SCALL_DEFINE_RET0(count, add1);
SCALL_DEFINE_RET0(lookup, ptr_fn);
SCALL_DEFINE(getl, ret7);

/* SCALL_KEY on plain variables: a global and a file-static one. */
int (*plain_key)(int) SCALL_KEY = add2;
static int (*static_key)(int) SCALL_KEY = neg;

static void test_call_update_query(void)
{
	CHECK_EQ(scall(op)(1), 2);
	CHECK_EQ(op(1), 2);    /* a key is a real variable */
	CHECK_EQ((*op)(1), 2);
	CHECK(scall_query(op) == add1);

	CHECK_EQ(scall_update(op, add2), 0);
	CHECK_EQ(scall(op)(1), 3);
	CHECK(scall_query(op) == add2);
	CHECK(op == add2); /* the key's value is the current target */

	CHECK_EQ(scall_update(op, neg), 0);
	CHECK_EQ(scall(op)(5), -5);
	CHECK_EQ(scall_update(op, add1), 0);
	CHECK_EQ(scall(op)(5), 6);
}

static void test_null_and_cond(void)
{
	CHECK(scall_query(event) == NULL);
	hits = 0;
	scall_cond(event)(3); /* NULL target: nothing happens */
	CHECK_EQ(hits, 0);

	CHECK_EQ(scall_update(event, hit), 0);
	scall_cond(event)(3);
	CHECK_EQ(hits, 3);
	scall(event)(1);
	CHECK_EQ(hits, 4);

	CHECK_EQ(scall_update(event, NULL), 0);
	CHECK(scall_query(event) == NULL);
	scall_cond(event)(100);
	CHECK_EQ(hits, 4);

	CHECK_EQ(scall_update(event, hit10), 0);
	scall_cond(event)(2);
	CHECK_EQ(hits, 24);
}

static int evals;
static int eval(int v)
{
	evals++;
	return v;
}

/* scall.h: "The arguments are evaluated either way": each side effect
 * happens once, whether the target is called, NULL (nothing is called) or
 * scall_return0.  (tests/run/plugin/e2e_cond.c: the same with the
 * toolchain.) */
static void test_cond_args(void)
{
	int n = 0;

	CHECK_EQ(scall_update(event, NULL), 0);
	hits = evals = 0;
	scall_cond(event)(eval(3) + n++);
	CHECK_EQ(evals, 1);
	CHECK_EQ(n, 1);
	CHECK_EQ(hits, 0);

	CHECK_EQ(scall_update(event, hit), 0);
	scall_cond(event)(eval(3) + n++);
	CHECK_EQ(evals, 2);
	CHECK_EQ(n, 2);
	CHECK_EQ(hits, 4);

	CHECK_EQ(scall_update(event, scall_return0), 0);
	scall_cond(event)(eval(5) + n++);
	CHECK_EQ(evals, 3);
	CHECK_EQ(n, 3);
	CHECK_EQ(hits, 4);

	CHECK_EQ(scall_update(event, NULL), 0);
	scall_cond(event)(eval(7) + n++);
	CHECK_EQ(evals, 4);
	CHECK_EQ(n, 4);
	CHECK_EQ(hits, 4);
}

static void test_ret0(void)
{
	CHECK_EQ(scall(count)(41), 0);
	CHECK(scall(lookup)(5) == NULL);
	CHECK(scall_query(count) == (int (*)(int))(void (*)(void))scall_return0);
	CHECK_EQ(scall_return0(), 0);

	CHECK_EQ(scall_update(count, add2), 0);
	CHECK_EQ(scall(count)(41), 43);
	CHECK_EQ(scall_update(count, scall_return0), 0);
	CHECK_EQ(scall(count)(41), 0);

	CHECK_EQ(scall_update(lookup, ptr_fn), 0);
	CHECK(scall(lookup)(5) == (void *)5);
	CHECK_EQ(scall_update(lookup, scall_return0), 0);
	CHECK(scall(lookup)(5) == NULL);

	/* scall_return0 also works for a void key. */
	CHECK_EQ(scall_update(event, scall_return0), 0);
	hits = 0;
	scall(event)(9);
	scall_cond(event)(9);
	CHECK_EQ(hits, 0);
	CHECK_EQ(scall_update(event, NULL), 0);
}

static void test_runtime_type_checks(void)
{
	/* What the compile-time check must let through is checked at run
	 * time: a non-NULL void * and a long (*)(void) that is not
	 * scall_return0 are refused, and the key is left alone. */
	void *not_null = (void *)add2;

	CHECK_EQ(scall_update(op, not_null), -EINVAL);
	CHECK(scall_query(op) == add1);
	CHECK_EQ(scall_update(op, ret7), -EINVAL);
	CHECK(scall_query(op) == add1);
	/* ... but a long (*)(void) key takes any function of its type. */
	CHECK_EQ(scall(getl)(), 7);
	CHECK_EQ(scall_update(getl, scall_return0), 0);
	CHECK_EQ(scall(getl)(), 0);
	CHECK_EQ(scall_update(getl, ret7), 0);
	CHECK_EQ(scall(getl)(), 7);
}

static void test_batch(void)
{
	struct scall_update u[] = {
		SCALL_UPDATE(op, neg),
		SCALL_UPDATE(event, hit),
		SCALL_UPDATE(count, scall_return0),
		SCALL_UPDATE(plain_key, add1),
	};

	CHECK_EQ(scall_update_batch(u, 4), 0);
	CHECK_EQ(scall(op)(4), -4);
	hits = 0;
	scall_cond(event)(2);
	CHECK_EQ(hits, 2);
	CHECK_EQ(scall(count)(4), 0);
	CHECK_EQ(plain_key(4), 5);

	/* The last entry for a key wins. */
	struct scall_update twice[] = { SCALL_UPDATE(op, add1),
					 SCALL_UPDATE(op, add2) };
	CHECK_EQ(scall_update_batch(twice, 2), 0);
	CHECK_EQ(scall(op)(1), 3);

	/* Validation happens before any key is stored. */
	struct scall_update bad[] = { SCALL_UPDATE(op, neg),
				      { NULL, (void *)add1, SCALL_TARGET_TYPED } };
	CHECK_EQ(scall_update_batch(bad, 2), -EINVAL);
	CHECK(scall_query(op) == add2);
	struct scall_update bad_null[] = { SCALL_UPDATE(op, neg),
					   { (void *)&plain_key, (void *)add1,
					     SCALL_TARGET_NULL } };
	CHECK_EQ(scall_update_batch(bad_null, 2), -EINVAL);
	CHECK(scall_query(op) == add2);

	CHECK_EQ(scall_update_batch(NULL, 0), 0);
	CHECK_EQ(scall_update_batch(NULL, 1), -EINVAL);
}

static void test_plain_keys(void)
{
	CHECK_EQ(plain_key(1), 3);
	CHECK_EQ((*plain_key)(1), 3);
	CHECK_EQ(scall_update(plain_key, add1), 0);
	CHECK_EQ(plain_key(1), 2);
	CHECK(scall_query(plain_key) == add1);
}

static void test_static_key(void)
{
	CHECK_EQ(static_key(3), -3);
	CHECK_EQ(scall(static_key)(3), -3);
	CHECK_EQ(scall_update(static_key, add2), 0);
	CHECK_EQ(static_key(3), 5);
	CHECK(scall_query(static_key) == add2);
}

static void test_stats(void)
{
	struct scall_stats st;

	memset(&st, 0xff, sizeof(st));
	CHECK_EQ(scall_stats(&st), 0);
	CHECK_EQ(st.updates, 22); /* every successful update above, no refused one */
	CHECK(st.writer != NULL);
	/* Built without the toolchain: nothing was registered or patched. */
	CHECK_EQ(st.sites, 0);
	CHECK_EQ(st.sites_direct, 0);
	CHECK_EQ(st.traps, 0);
	CHECK_EQ(scall_stats(NULL), -EINVAL);
}

int main(void)
{
	test_call_update_query();
	test_null_and_cond();
	test_cond_args();
	test_ret0();
	test_runtime_type_checks();
	test_plain_keys();
	test_batch();
	test_static_key();
	test_stats();
	puts("fallback API: ok");
	return 0;
}
