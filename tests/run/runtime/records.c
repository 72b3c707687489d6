/* SPDX-License-Identifier: MIT */
/*
 * Unusual records are ignored or refused, never patched; the valid ones are
 * patched.  Each refusal must come from the check meant for it (the
 * runtime's stderr line names the check), and the module's order must be
 * trusted exactly when the header says VALIDATED|SORTED with the right
 * count (SCALL_DEBUG=1 says which).  A site with refused duplicates of
 * its record stays live: mid-patch, its trap is its own, not a refused
 * duplicate's.  RECORDS_ORDER: see records.S.
 */
#include "rt_test.h"

static int q1(int x) { return x + 1; }
static int q2(int x) { return x + 2; }
int (*key_q)(int) SCALL_KEY = q1;
int (*key_o)(int) SCALL_KEY = NULL;
int rec_call(int), rec_orphan(void), orphan(void);
extern uint8_t site_rec_a[], site_rec_b[], site_rec_c[], site_rec_orphan[],
	site_rec_ov[];

/* Registration runs in the module's constructor, after this one. */
static struct rt_capture cap;
__attribute__((constructor(101))) static void capture_registration(void)
{
	cap = rt_capture_begin();
}

static void expect_refused(const char *log, const void *site, const char *why,
			   int n)
{
	char at[64];

	snprintf(at, sizeof(at), "refusing site at %p ", site);
	if (rt_count_lines(log, at, why) != n) {
		fprintf(stderr, "expected %d line(s) \"%s...%s\"\n", n, at, why);
		abort();
	}
}

/* Step 1: INT3 on a and c; the calls are emulated. */
static int mid_patch_calls;
static void hook(int step)
{
	if (step != 1)
		return;
	CHECK(site_rec_a[0] == 0xcc);
	CHECK_EQ(rec_call(1), 3);
	mid_patch_calls++;
}

int main(void)
{
	char *log = rt_capture_end(cap);
	struct scall_stats s = rt_stats();
	uint8_t b_before[5], orphan_before[5], ov_before[7], want[5];

	printf("sites %zu refused %zu unresolved %zu direct %zu\n", s.sites,
	       s.sites_refused, s.sites_unresolved, s.sites_direct);
	/* a and its 2 duplicates, c, the orphan, the bad bytes, the two
	 * overlapping ones */
	CHECK_EQ(s.sites, 8);
	CHECK_EQ(s.sites_refused, 5);
	CHECK_EQ(s.sites_unresolved, 1);
	CHECK_EQ(s.sites_direct, 2);     /* a and c */
	CHECK_EQ(s.sites_trampoline, 1); /* the first overlapping one */
	expect_refused(log, site_rec_orphan, "its trampoline has no record", 1);
	expect_refused(log, (void *)orphan, "not the compiler's form", 1);
	expect_refused(log, site_rec_ov + 1, "overlaps another record", 1);
	expect_refused(log, site_rec_a, "overlaps another record", 2);
	CHECK_EQ(rt_count_lines(log, "refusing", ""), 5);
	CHECK_EQ(rt_count_lines(log, "11 site records",
				RECORDS_ORDER == 1 ? "in scall-ld's order"
						   : "sorted here"), 1);

	memcpy(b_before, site_rec_b, 5);
	memcpy(orphan_before, site_rec_orphan, 5);
	memcpy(ov_before, site_rec_ov, 7);
	__scall_test_hook = hook;
	CHECK(scall_update(key_q, q2) == 0);
	__scall_test_hook = NULL;
	CHECK_EQ(mid_patch_calls, 1);
	CHECK(scall_update(key_o, q1) == 0);
	rt_branch(want, site_rec_a, 0xe8, 0, (void *)q2);
	EXPECT_BYTES(site_rec_a, want, 5);
	rt_branch(want, site_rec_c, 0xe8, 0, (void *)q2);
	EXPECT_BYTES(site_rec_c, want, 5);
	EXPECT_BYTES(site_rec_b, b_before, 5);       /* flagged record: never */
	EXPECT_BYTES(site_rec_orphan, orphan_before, 5);
	CHECK_EQ(rec_call(1), 3);
	CHECK_EQ(rec_orphan(), 7);
	CHECK_EQ(orphan(), 7);
	/* key_o's first site is patched; the overlapping one is not: the
	 * byte after the first window is the second's last, never written. */
	rt_branch(want, site_rec_ov, 0xe8, 0, (void *)q1);
	EXPECT_BYTES(site_rec_ov, want, 5);
	CHECK(site_rec_ov[5] == ov_before[5]);
	free(log);
	puts("ok");
	return 0;
}
