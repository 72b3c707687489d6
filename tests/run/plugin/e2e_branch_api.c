/* SPDX-License-Identifier: MIT */
/* End to end: the whole static branch API (issue 16) compiled with the
 * plugin (run with -fplugin-arg-scall-convert-stores, at -O0 and -O2): the
 * plugin's error on stores into branch key objects lets every macro
 * through, reads of the count included, and the branches follow each
 * flip.  A key and its update share a batch with flips. */
#include <scall.h>
#include <stdio.h>

#include "../../common/site_check.h"

SCALL_BRANCH_DECLARE_FALSE(feature);
SCALL_BRANCH_DECLARE_TRUE(fast);
SCALL_BRANCH_DEFINE_FALSE(feature);
SCALL_BRANCH_DEFINE_TRUE(fast);

static int one(int x) { return 1 + (x & 0); }
static int two(int x) { return 2 + (x & 0); }
SCALL_DEFINE(op, one);

static int fails;
#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #c);   \
			fails++;                                               \
		}                                                              \
	} while (0)

__attribute__((noinline)) static int state(void)
{
	int s = 0;
	if (scall_branch_unlikely(feature))
		s |= 1;
	if (scall_branch_likely(feature))
		s |= 2;
	if (scall_branch_unlikely(fast))
		s |= 4;
	if (scall_branch_likely(fast))
		s |= 8;
	return s;
}

__attribute__((noinline)) static int call_op(int x) { return op(x) + 0 * x; }

int main(void)
{
	CHECK(state() == (4 | 8) && !scall_branch_enabled(feature) && scall_branch_enabled(fast));
	CHECK(scall_branch_enable(feature) == 0 && state() == (1 | 2 | 4 | 8));
	CHECK(scall_branch_disable(fast) == 0 && state() == (1 | 2));
	CHECK(scall_branch_inc(fast) == 0 && scall_branch_inc(fast) == 0 && state() == (1 | 2 | 4 | 8));
	CHECK(scall_branch_dec(fast) == 0 && scall_branch_enabled(fast));
	CHECK(scall_branch_dec(fast) == 0 && !scall_branch_enabled(fast));
	CHECK(scall_branch_dec(fast) < 0 && !scall_branch_enabled(fast)); /* underflow */
	CHECK(scall_branch_disable(feature) == 0 && state() == 0);

	struct scall_update u[] = { SCALL_UPDATE(op, two) };
	struct scall_branch_update b[] = { SCALL_BRANCH_ENABLE(feature), SCALL_BRANCH_INC(fast),
					   SCALL_BRANCH_INC(fast), SCALL_BRANCH_DEC(fast) };
	CHECK(scall_update_batch_branches(u, 1, b, 4) == 0);
	CHECK(call_op(0) == 2 && state() == (1 | 2 | 4 | 8));
	struct scall_branch_update d[] = { SCALL_BRANCH_DISABLE(feature), SCALL_BRANCH_DEC(fast) };
	CHECK(scall_update_batch_branches(NULL, 0, d, 2) == 0 && state() == 0);
	printf("fails %d state %d op %d\n", fails, state(), call_op(0));
#ifdef E2E_EXPECT_PATCHED
	if (!site_check_all_direct("final", 1, 1))
		return 1;
#endif
	return fails != 0;
}
