/* SPDX-License-Identifier: MIT */
/*
 * A step that touches more pages than a writer handles at once (the alias
 * writer swaps at most 64 per scratch mapping): NPAGES windows, each
 * straddling into the next page (many_pages_sites.S).  Run once per writer
 * (SCALL_WRITER).  Every window must be written in both its pages, not a
 * byte around the windows changed, and mid-patch every site emulated.
 */
#include "rt_test.h"

enum { PAGE = 4096 };

static int fa(int x) { return x + 1; }
static int fb(int x) { return x + 2; }
int (*key_m)(int) SCALL_KEY = fa;
extern uint8_t many_start[], many_end[];

static uint8_t *site(int k) { return many_start + 4094 + (size_t)k * PAGE; }
static int call(int k, int x)
{
	int (*f)(int) = (int (*)(int))(void *)(site(k) - 4);
	return f(x);
}

static void expect(int (*f)(int))
{
	uint8_t b[5];

	for (int k = 0; k < NPAGES; k++) {
		rt_branch(b, site(k), 0xe8, 0, (void *)f);
		EXPECT_BYTES(site(k), b, 5);
		CHECK_EQ(call(k, k), f(k));
	}
}

/* Everything but the windows, as it was before the first update. */
static uint8_t *snap;
static void expect_around(void)
{
	for (uint8_t *p = many_start; p < many_end; p++) {
		ptrdiff_t k = (p - many_start - 4094 + PAGE) / PAGE - 1;

		if (k >= 0 && k < NPAGES && p >= site((int)k) &&
		    p < site((int)k) + 5)
			continue;
		if (*p != snap[p - many_start]) {
			fprintf(stderr, "byte at many_start+%#tx changed\n",
				p - many_start);
			abort();
		}
	}
}

static int hook_runs;
static void hook(int step)
{
	if (step > 2)
		return;
	for (int k = 0; k < NPAGES; k++) {
		CHECK(site(k)[0] == 0xcc);
		CHECK_EQ(call(k, k), scall_query(key_m)(k));
	}
	hook_runs++;
}

int main(void)
{
	struct scall_stats s0 = rt_stats(), s;
	const char *w = getenv("SCALL_WRITER");

	printf("writer %s, %d windows in %d pages\n", s0.writer, NPAGES,
	       NPAGES + 1);
	CHECK(!strcmp(s0.writer, w ? w : "proc-mem"));
	CHECK_EQ(s0.sites, NPAGES);
	snap = malloc((size_t)(many_end - many_start));
	CHECK(snap);
	memcpy(snap, many_start, (size_t)(many_end - many_start));
	expect(fa);
	__scall_test_hook = hook;
	CHECK(scall_update(key_m, fb) == 0);
	__scall_test_hook = NULL;
	CHECK_EQ(hook_runs, 2);
	expect(fb);
	expect_around();
	CHECK(scall_update(key_m, fa) == 0);
	expect(fa);
	expect_around();
	s = rt_stats();
	CHECK_EQ(s.sites_direct, NPAGES);
	CHECK_EQ(s.syncs - s0.syncs, 6);
	free(snap);
	puts("ok");
	return 0;
}
