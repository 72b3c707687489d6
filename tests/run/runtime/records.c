/* SPDX-License-Identifier: MIT */
/* Unusual records are ignored or refused, never patched; the valid ones
 * are patched (sorted by the runtime, or trusted when VALIDATED|SORTED). */
#include "rt_test.h"

static int q1(int x) { return x + 1; }
static int q2(int x) { return x + 2; }
int (*key_q)(int) SCALL_KEY = q1;
int rec_call(int), rec_orphan(void);
extern uint8_t site_rec_a[], site_rec_b[], site_rec_c[], site_rec_orphan[];

int main(void)
{
	struct scall_stats s = rt_stats();
	uint8_t b_before[5], orphan_before[5], want[5];

	printf("sites %zu refused %zu unresolved %zu direct %zu\n", s.sites,
	       s.sites_refused, s.sites_unresolved, s.sites_direct);
	CHECK_EQ(s.sites, 4);          /* a, overlap dup, c, orphan */
	CHECK_EQ(s.sites_refused, 2);  /* the duplicate and the orphan */
	CHECK_EQ(s.sites_unresolved, 1);
	CHECK_EQ(s.sites_direct, 2);   /* a and c */
	memcpy(b_before, site_rec_b, 5);
	memcpy(orphan_before, site_rec_orphan, 5);
	CHECK(scall_update(key_q, q2) == 0);
	rt_branch(want, site_rec_a, 0xe8, 0, (void *)q2);
	EXPECT_BYTES(site_rec_a, want, 5);
	rt_branch(want, site_rec_c, 0xe8, 0, (void *)q2);
	EXPECT_BYTES(site_rec_c, want, 5);
	EXPECT_BYTES(site_rec_b, b_before, 5);       /* flagged record: never */
	EXPECT_BYTES(site_rec_orphan, orphan_before, 5);
	CHECK_EQ(rec_call(1), 3);
	CHECK_EQ(rec_orphan(), 7);
	puts("ok");
	return 0;
}
