/* SPDX-License-Identifier: MIT */
/*
 * Patch windows that cross a 4 KiB page boundary (a call with 1..4 of its
 * bytes in the first page, a Jcc with 1..5), each after another site in
 * the same first page: every writer (run once per SCALL_WRITER) must write
 * all bytes of the window, in both pages, and not one byte around it;
 * mid-patch the handler emulates them.
 */
#include "straddle.h"

enum { AROUND = 32 };

static int fa(int x) { return x + 1; }
static int fb(int x) { return x + 2; }
int (*key_p)(int) SCALL_KEY = fa;

static int hook_runs;
static void hook(int step)
{
	if (step != 1 && step != 2)
		return;
	for (int i = 0; i < NS; i++) {
		CHECK(straddle_sites[i][0] == 0xcc);
		CHECK_EQ(straddle_fns[i](150), scall_query(key_p)(150));
	}
	hook_runs++;
}

/* The bytes around each window: no writer may touch them. */
static uint8_t around[NS][2][AROUND];
static void snap_around(void)
{
	for (int i = 0; i < NS; i++) {
		memcpy(around[i][0], straddle_sites[i] - AROUND, AROUND);
		memcpy(around[i][1], straddle_sites[i] + straddle_len(i), AROUND);
	}
}
static void expect_around(void)
{
	for (int i = 0; i < NS; i++) {
		EXPECT_BYTES(straddle_sites[i] - AROUND, around[i][0], AROUND);
		EXPECT_BYTES(straddle_sites[i] + straddle_len(i), around[i][1], AROUND);
	}
}

int main(void)
{
	struct scall_stats s0 = rt_stats(), s;
	const char *w = getenv("SCALL_WRITER");

	printf("writer %s\n", s0.writer);
	CHECK(!strcmp(s0.writer, w ? w : "proc-mem"));
	CHECK_EQ(s0.sites, NS + NP);
	for (int i = 0; i < NS; i++) {
		uintptr_t a = (uintptr_t)straddle_sites[i];
		int in_first = (int)(4096 - (a & 4095));

		/* k bytes in the first page, the rest in the next */
		CHECK_EQ(in_first, i < NCALL ? i + 1 : i - NCALL + 1);
		CHECK(((uintptr_t)straddle_page_sites[i % NP] & ~4095ul) ==
		      (a & ~4095ul) || i >= NCALL);
	}
	snap_around();
	straddle_expect(fa);

	__scall_test_hook = hook;
	CHECK(scall_update(key_p, fb) == 0);
	__scall_test_hook = NULL;
	CHECK_EQ(hook_runs, 2);
	straddle_expect(fb);
	expect_around();
	CHECK(scall_update(key_p, fa) == 0);
	straddle_expect(fa);
	expect_around();
	s = rt_stats();
	CHECK_EQ(s.sites_direct, NS + NP);
	CHECK_EQ(s.sites_refused, 0);
	CHECK_EQ(s.syncs - s0.syncs, 6);
	puts("ok");
	return 0;
}
