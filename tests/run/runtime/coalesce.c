/* SPDX-License-Identifier: MIT */
/*
 * The coalescing barrier: the proc-mem writer merges the writes of a step
 * that fall in one page into one pwrite of the span, but a span must never
 * cover a refused window (its bytes are rewritten with what was read, which
 * would undo a concurrent change to them).  Every pwrite the runtime makes
 * is observed through seccomp user notification (syswatch.h): none may
 * touch a refused window, while the live windows on each side of it are
 * still merged.  Refused windows: one whose bytes changed behind scall's
 * back (page A, between two pairs of sites), one refused at registration
 * (page B, between two sites), one that starts inside a live window and
 * ends after it (page C: only its bytes outside the live window are
 * checked, the live window's own writes necessarily cover the rest).
 */
#include "syswatch.h"

static int fa(int x) { return x + 1; }
static int fb(int x) { return x + 2; }
static int fx(int x) { return x + 100; }
int (*key_c)(int) SCALL_KEY = fa;
int co_0(int), co_1(int), co_2(int), co_3(int), co_4(int), cb_0(int),
	cb_1(int), cc_0(int), cc_1(int);
extern uint8_t site_co_0[], site_co_1[], site_co_2[], site_co_3[],
	site_co_4[], site_cb_0[], site_cb_bad[], site_cb_1[], site_cc_0[],
	site_cc_bad[], site_cc_1[];
static uint8_t *const live[] = { site_co_0, site_co_1, site_co_3, site_co_4,
				 site_cb_0, site_cb_1, site_cc_0, site_cc_1 };
static int (*const live_fn[])(int) = { co_0, co_1, co_3, co_4,
				       cb_0, cb_1, cc_0, cc_1 };
enum { NLIVE = sizeof(live) / sizeof(live[0]) };

static int covers(const struct sw_write *w, const uint8_t *lo,
		  const uint8_t *hi)
{
	return w->addr <= (uintptr_t)lo && w->addr + w->len >= (uintptr_t)hi;
}

/* Does w write a byte of the refused window at site that is no live
 * window's? */
static int touches(const struct sw_write *w, const uint8_t *site)
{
	for (uintptr_t a = (uintptr_t)site; a < (uintptr_t)site + 5; a++) {
		int in_live = 0;

		for (int i = 0; i < NLIVE; i++)
			in_live |= a >= (uintptr_t)live[i] &&
				   a < (uintptr_t)live[i] + 5;
		if (!in_live && a >= w->addr && a < w->addr + w->len)
			return 1;
	}
	return 0;
}

int main(void)
{
	uint8_t tampered[5], bad[5], b[5];
	const struct sw_write *w;
	struct rt_capture cap;
	size_t mark, n;
	int merged_a01 = 0, merged_a34 = 0;
	char *log;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (strcmp(rt_stats().writer, "proc-mem") || getenv("SCALL_COALESCE")) {
		printf("SKIP: writer %s (coalescing is proc-mem's)\n",
		       rt_stats().writer);
		return 77;
	}
	if (sw_start()) {
		printf("SKIP: no seccomp user notification (%s)\n",
		       strerror(errno));
		return 77;
	}
	CHECK_EQ(rt_stats().sites_refused, 2); /* cb_bad, cc_bad */
	CHECK_EQ(co_2(1), 2);
	/* Point co_2 elsewhere behind scall's back. */
	rt_branch(tampered, site_co_2, 0xe8, 0, (void *)fx);
	CHECK(pwrite(sw.memfd, tampered, 5, (off_t)(uintptr_t)site_co_2) == 5);
	memcpy(bad, site_cb_bad, 5);

	mark = sw_mark();
	cap = rt_capture_begin();
	CHECK(scall_update(key_c, fb) == 0);
	log = rt_capture_end(cap);
	n = sw_writes(mark, &w);
	CHECK_EQ(rt_count_lines(log, "refusing site", "behind scall's back"), 1);
	free(log);
	CHECK_EQ(rt_stats().sites_refused, 3);
	for (size_t i = 0; i < n; i++) {
		printf("pwrite [%#llx, +%llu)\n", (unsigned long long)w[i].addr,
		       (unsigned long long)w[i].len);
		if (touches(&w[i], site_co_2) || touches(&w[i], site_cb_bad) ||
		    touches(&w[i], site_cc_bad)) {
			fprintf(stderr, "pwrite [%#llx, +%llu) writes a refused "
				"window (%p, %p or %p)\n",
				(unsigned long long)w[i].addr,
				(unsigned long long)w[i].len, (void *)site_co_2,
				(void *)site_cb_bad, (void *)site_cc_bad);
			abort();
		}
		merged_a01 += covers(&w[i], site_co_0 + 1, site_co_1 + 1);
		merged_a34 += covers(&w[i], site_co_3 + 1, site_co_4 + 1);
	}
	/* Each of the 3 steps merged the pair on each side of the barrier. */
	printf("%zu pwrites; pairs merged: %d, %d\n", n, merged_a01, merged_a34);
	CHECK_EQ(merged_a01, 3);
	CHECK_EQ(merged_a34, 3);

	EXPECT_BYTES(site_co_2, tampered, 5);
	EXPECT_BYTES(site_cb_bad, bad, 5);
	CHECK_EQ(co_2(1), 101);
	for (int i = 0; i < NLIVE; i++) {
		rt_branch(b, live[i], 0xe8, 0, (void *)fb);
		EXPECT_BYTES(live[i], b, 5);
		CHECK_EQ(live_fn[i](1), 3);
	}
	puts("ok");
	return 0;
}
