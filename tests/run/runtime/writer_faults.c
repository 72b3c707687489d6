/* SPDX-License-Identifier: MIT */
/*
 * The proc-mem writer when its syscalls really fail (seccomp user
 * notification, syswatch.h), at every pwrite of a patch cycle in turn:
 *   eintr   a pwrite interrupted (EINTR) or short is retried: one more
 *           call, same result, no message, still proc-mem;
 *   alias   pwrite fails (EPERM) from there on: the runtime says so,
 *           switches to the alias writer, finishes the cycle with it and
 *           uses it from then on;
 *   none    pwrite and mremap fail: the runtime says so, every site is left
 *           in a state that is valid for the old or the new target (INT3
 *           emulated from the key), and the next update, once the writer
 *           works again, brings every site to its target.
 * Each scenario runs in a child (a filter cannot be removed); a child
 * exits 3 when the position is past the cycle's last pwrite, 77 when the
 * kernel has no seccomp user notification.
 */
#include "straddle.h"
#include "syswatch.h"

static int fa(int x) { return x + 1; }
static int fb(int x) { return x + 2; }
static int fc(int x) { return x + 3; }
int (*key_p)(int) SCALL_KEY = fa;

/* Start the supervisor, then count the pwrites of the cycle fa -> fb. */
static unsigned start(void)
{
	unsigned p0;

	if (sw_start()) {
		printf("SKIP: no seccomp user notification (%s)\n",
		       strerror(errno));
		_exit(77);
	}
	if (strcmp(rt_stats().writer, "proc-mem")) {
		printf("SKIP: writer %s, not proc-mem\n", rt_stats().writer);
		_exit(77);
	}
	p0 = sw_calls(SW_PWRITE);
	CHECK(scall_update(key_p, fb) == 0);
	straddle_expect(fb);
	return sw_calls(SW_PWRITE) - p0;
}

static int (*const targets[2])(int) = { fa, fb };

static void eintr(int unused)
{
	unsigned n = start(), p0;
	struct rt_capture cap;
	char *log;

	(void)unused;
	CHECK(n >= 6); /* 3 steps, several pages */
	for (unsigned pos = 0; pos <= n; pos++) {
		int (*f)(int) = targets[pos & 1];

		/* pos == n: a short write instead of EINTR */
		sw_set(SW_PWRITE, pos < n ? (struct sw_rule){ pos, 1, EINTR, 0 }
					  : (struct sw_rule){ 0, 0, 0, 1 });
		p0 = sw_calls(SW_PWRITE);
		cap = rt_capture_begin();
		CHECK(scall_update(key_p, f) == 0);
		log = rt_capture_end(cap);
		CHECK_EQ(sw_calls(SW_PWRITE) - p0, n + 1);
		CHECK_EQ(rt_count_lines(log, "scall:", ""), 0);
		free(log);
		straddle_expect(f);
		CHECK(!strcmp(rt_stats().writer, "proc-mem"));
	}
	printf("eintr: %u pwrites per cycle, each interrupted once in turn, "
	       "and a short write: retried\n", n);
}

static void to_alias(int pos)
{
	unsigned n = start(), p0, m0;
	struct rt_capture cap;
	char *log;

	if ((unsigned)pos >= n)
		_exit(3);
	sw_set(SW_PWRITE, (struct sw_rule){ pos, -1, EPERM, 0 });
	cap = rt_capture_begin();
	CHECK(scall_update(key_p, fc) == 0);
	log = rt_capture_end(cap);
	CHECK_EQ(rt_count_lines(log, "switching to the alias writer", ""), 1);
	CHECK_EQ(rt_count_lines(log, "scall:", ""), 1);
	free(log);
	CHECK(!strcmp(rt_stats().writer, "alias"));
	straddle_expect(fc);
	CHECK_EQ(rt_stats().sites_refused, 0);
	/* From now on the alias writer: no pwrite is even tried. */
	p0 = sw_calls(SW_PWRITE);
	m0 = sw_calls(SW_MREMAP);
	CHECK(scall_update(key_p, fa) == 0);
	straddle_expect(fa);
	CHECK_EQ(sw_calls(SW_PWRITE), p0);
	CHECK(sw_calls(SW_MREMAP) > m0);
}

/* Site i's state after a failed cycle fb -> fc: the old or the new form,
 * each possibly with INT3 on byte 0; calling it must reach the target that
 * state stands for (INT3: the key's, fc).  Returns 1 for INT3. */
static int check_partial(const uint8_t *site, int len, int op, int cc,
			 int (*call)(int), int arg)
{
	uint8_t old[6], new[6];
	int int3 = site[0] == 0xcc, r = call(arg);

	rt_branch(old, site, op, cc, (void *)fb);
	rt_branch(new, site, op, cc, (void *)fc);
	if (!int3 && !memcmp(site, old, (size_t)len))
		CHECK_EQ(r, fb(arg));
	else if (!int3 && !memcmp(site, new, (size_t)len))
		CHECK_EQ(r, fc(arg));
	else {
		CHECK(int3);
		CHECK(!memcmp(site + 1, old + 1, (size_t)len - 1) ||
		      !memcmp(site + 1, new + 1, (size_t)len - 1));
		CHECK_EQ(r, fc(arg));
	}
	return int3;
}

static void no_writer(int pos)
{
	unsigned n = start();
	struct scall_stats s0, s;
	struct rt_capture cap;
	char *log;
	int int3 = 0;

	if ((unsigned)pos >= n)
		_exit(3);
	sw_set(SW_PWRITE, (struct sw_rule){ pos, -1, EPERM, 0 });
	sw_set(SW_MREMAP, (struct sw_rule){ 0, -1, EPERM, 0 });
	cap = rt_capture_begin();
	CHECK(scall_update(key_p, fc) == 0);
	log = rt_capture_end(cap);
	CHECK_EQ(rt_count_lines(log, "write failed", ""), 1);
	CHECK_EQ(rt_count_lines(log, "scall:", ""), 1);
	free(log);
	CHECK(!strcmp(rt_stats().writer, "proc-mem"));
	s0 = rt_stats();
	for (int i = 0; i < NS; i++)
		int3 += check_partial(straddle_sites[i], straddle_len(i),
				      i < NCALL ? 0xe8 : 0x0f, 13,
				      straddle_fns[i], 150);
	for (int i = 0; i < NP; i++)
		int3 += check_partial(straddle_page_sites[i], 5, 0xe8, 0,
				      straddle_page_fns[i], 7);
	s = rt_stats();
	CHECK_EQ(s.traps - s0.traps, int3);
	/* The writer works again: the next update finishes the job. */
	sw_set(SW_PWRITE, (struct sw_rule){ 0, 0, 0, 0 });
	sw_set(SW_MREMAP, (struct sw_rule){ 0, 0, 0, 0 });
	cap = rt_capture_begin();
	CHECK(scall_update(key_p, fa) == 0);
	log = rt_capture_end(cap);
	CHECK_EQ(rt_count_lines(log, "scall:", ""), 0);
	free(log);
	straddle_expect(fa);
	CHECK_EQ(rt_stats().sites_refused, 0);
	printf("no writer from pwrite %d: %d of %d windows left on INT3\n", pos,
	       int3, NS + NP);
}

static int each_position(const char *what, void (*fn)(int))
{
	int pos, st;

	for (pos = 0; (st = sw_child(what, fn, pos)) == 0; pos++)
		;
	if (st == 77)
		return 77;
	if (st != 3) {
		fprintf(stderr, "%s: failing pwrite %d: child exit %d\n", what,
			pos, st);
		abort();
	}
	CHECK(pos >= 6);
	printf("%s: a failure at each of %d pwrites of the cycle\n", what, pos);
	return 0;
}

int main(void)
{
	int st;

	setvbuf(stdout, NULL, _IONBF, 0);
	st = sw_child("eintr", eintr, 0);
	if (st == 77)
		return 77;
	CHECK_EQ(st, 0);
	CHECK_EQ(each_position("alias", to_alias), 0);
	CHECK_EQ(each_position("none", no_writer), 0);
	puts("ok");
	return 0;
}
