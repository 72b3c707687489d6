/* SPDX-License-Identifier: MIT */
/*
 * What a failed write or a failed sync leaves in the middle of a patch
 * cycle, made to happen for real (seccomp user notification, syswatch.h)
 * on a batch of two keys (key_a: call, jmp, Jcc sites and a trampoline;
 * key_v: the same, cond), each scenario in a child:
 *   write N  the writer's N-th syscall of the cycle (pwrite for proc-mem,
 *            mremap for alias: run once per writer) fails, and every later
 *            one, with no fallback left.  Every window holds the old or new
 *            instruction, or INT3 before the old or new bytes; a call
 *            reaches what its window stands for (INT3: the key's target).
 *            A failure in step 2 leaves every window on INT3, one in step
 *            3 each on INT3 or new: every call reaches the new target.
 *            Then, the writer working again, an update of a third key
 *            only brings every window of both keys to its target.
 *   sync N   the N-th membarrier of the cycle fails (N = 0, 1, 2): the
 *            writer becomes "int3", what was written stays (INT3 before
 *            the old bytes, before the new bytes, or the new instruction),
 *            every call reaches the new target, and a later update only
 *            parks the windows that are not parked yet.
 */
#include "common_keys.h"
#include "syswatch.h"

static int fa(int x) { return x + 1; }
static int fb(int x) { return x + 2; }
static int fc(int x) { return x + 3; }
static int v1, v2;
static void fv1(void) { v1++; }
static void fv2(void) { v2++; }
static long r5(void) { return 5; }
int (*key_a)(int) SCALL_KEY = fa;
DEFINE_OTHER_KEYS;

/* The windows of the two keys: sites and trampolines. */
enum { NW = 8 };
static uint8_t *win[NW];
static const int op[NW] = { 0xe8, 0xe9, 0x0f, 0xe9, 0xe8, 0xe9, 0x0f, 0xe9 };
static const int cc[NW] = { 0, 0, 13, 0, 0, 0, 4, 0 };

static int len(int i) { return op[i] == 0x0f ? 6 : 5; }

static void form(uint8_t *b, int i, void *target)
{
	rt_branch(b, win[i], op[i], cc[i], target);
}

/* Call through window i's site (trampolines: through the key's sites, which
 * the caller checks); returns 1 if it reached the (key a) target f or the
 * (key v) target counted in *vc. */
static int reaches(int i, int (*f)(int), int *vc)
{
	int before = vc ? *vc : 0;

	switch (i) {
	case 0: return call_a(5) == f(5);
	case 1: return jmp_a(5) == f(5);
	case 2: return jcc_a(100) == f(100) && jcc_a(1) == -1;
	case 4: ccall_v(); break;
	case 5: cjmp_v(); break;
	case 6: cjcc_v(1); cjcc_v(0); break;
	default: return 1;
	}
	return *vc == before + 1;
}

enum state { OLD, NEW, INT3_OLD, INT3_NEW };
static const char *const names[] = { "old", "new", "int3+old", "int3+new" };

/* The state of window i between targets (old_a, old_v) and (new_a,
 * new_v); aborts on anything else. */
static enum state state_of(int i, void *old_t, void *new_t)
{
	uint8_t o[6], n[6];
	int l = len(i);

	form(o, i, old_t);
	form(n, i, new_t);
	if (!memcmp(win[i], o, (size_t)l))
		return OLD;
	if (!memcmp(win[i], n, (size_t)l))
		return NEW;
	CHECK(win[i][0] == 0xcc);
	if (!memcmp(win[i] + 1, o + 1, (size_t)l - 1))
		return INT3_OLD;
	if (!memcmp(win[i] + 1, n + 1, (size_t)l - 1))
		return INT3_NEW;
	fprintf(stderr, "window %d: neither old nor new\n", i);
	abort();
}

/* Every window is a valid state; each call reaches what it stands for.
 * Returns a mask of the states seen. */
static unsigned check_windows(int (*oa)(int), int (*na)(int),
			      void (*ov)(void), void (*nv)(void))
{
	unsigned seen = 0;

	for (int i = 0; i < NW; i++) {
		int is_a = i < 4;
		void *o = is_a ? (void *)oa : (void *)ov,
		     *n = is_a ? (void *)na : (void *)nv;
		enum state s = state_of(i, o, n);
		int *oc = ov == fv1 ? &v1 : &v2, *nc = nv == fv1 ? &v1 : &v2;
		int to_new = s != OLD;

		seen |= 1u << s;
		if (is_a)
			CHECK(reaches(i, to_new ? na : oa, NULL));
		else
			CHECK(reaches(i, NULL, to_new ? nc : oc));
		printf(" %d:%s", i, names[s]);
	}
	printf("\n");
	return seen;
}

static struct scall_update batch(int (*a)(int), void (*v)(void), int which)
{
	return which == 0 ? (struct scall_update)SCALL_UPDATE(key_a, a)
			  : (struct scall_update)SCALL_UPDATE(key_v, v);
}

static int do_batch(int (*a)(int), void (*v)(void))
{
	struct scall_update u[2] = { batch(a, v, 0), batch(a, v, 1) };

	return scall_update_batch(u, 2);
}

/* The syscall a writer's failure is injected at. */
static enum sw_sys wsys;
static unsigned step_end[4]; /* calls of wsys at the end of each step */
static void count_hook(int step)
{
	step_end[step] = sw_calls(wsys);
}

/* Start watching, then a cycle fa -> fb / fv1 -> fv2 that counts the
 * writer's calls per step. */
static void start(void)
{
	if (sw_start()) {
		printf("SKIP: no seccomp user notification (%s)\n",
		       strerror(errno));
		_exit(77);
	}
	wsys = strcmp(rt_stats().writer, "alias") ? SW_PWRITE : SW_MREMAP;
	CHECK(scall_update(key_v, fv1) == 0);
	step_end[0] = sw_calls(wsys);
	__scall_test_hook = count_hook;
	CHECK(do_batch(fb, fv2) == 0);
	__scall_test_hook = NULL;
	CHECK(check_windows(fa, fb, fv1, fv2) == 1u << NEW);
}

/* Every window calls its key's target directly (old == new: "old"). */
static void expect_all(int (*a)(int), void (*v)(void))
{
	CHECK(check_windows(a, a, v, v) == 1u << OLD);
}

static void write_fails(int pos)
{
	struct rt_capture cap;
	unsigned seen, p;
	char *log;
	int step;

	start();
	/* positions counted from the start of the cycle */
	p = (unsigned)pos + step_end[0];
	if (p >= step_end[3])
		_exit(3);
	step = p < step_end[1] ? 1 : p < step_end[2] ? 2 : 3;
	sw_set(wsys, (struct sw_rule){ pos, -1, EPERM, 0 });
	/* no fallback: the alias writer's mremap fails too */
	if (wsys == SW_PWRITE)
		sw_set(SW_MREMAP, (struct sw_rule){ 0, -1, EPERM, 0 });
	cap = rt_capture_begin();
	CHECK(do_batch(fc, fv1) == 0);
	log = rt_capture_end(cap);
	CHECK_EQ(rt_count_lines(log, "scall: write failed", ""), 1);
	free(log);
	printf("write %d (step %d):", pos, step);
	seen = check_windows(fb, fc, fv2, fv1);
	if (step == 2)
		CHECK_EQ(seen & (1u << OLD | 1u << NEW), 0);
	if (step >= 2)
		CHECK_EQ(seen & (1u << OLD), 0);
	if (step == 1)
		CHECK_EQ(seen & (1u << NEW | 1u << INT3_NEW), 0);
	/* The writer works again: an update of key_r alone repairs both. */
	sw_set(wsys, (struct sw_rule){ 0, 0, 0, 0 });
	sw_set(SW_MREMAP, (struct sw_rule){ 0, 0, 0, 0 });
	cap = rt_capture_begin();
	CHECK(scall_update(key_r, r5) == 0);
	log = rt_capture_end(cap);
	CHECK_EQ(rt_count_lines(log, "scall:", ""), 0);
	free(log);
	CHECK_EQ(call_r(), 5);
	expect_all(fc, fv1);
	CHECK_EQ(rt_stats().sites_direct, 7);
	CHECK_EQ(rt_stats().sites_refused, 0);
}

static void sync_fails(int pos)
{
	struct scall_stats s0, s;
	struct rt_capture cap;
	unsigned seen, p0;
	char *log;

	start();
	sw_set(SW_MEMBARRIER, (struct sw_rule){ pos, -1, ENOSYS, 0 });
	s0 = rt_stats();
	cap = rt_capture_begin();
	CHECK(do_batch(fc, fv1) == 0);
	log = rt_capture_end(cap);
	CHECK_EQ(rt_count_lines(log, "scall: membarrier SYNC_CORE failed", ""),
		 1);
	CHECK_EQ(rt_count_lines(log, "scall:", ""), 1);
	free(log);
	s = rt_stats();
	CHECK(!strcmp(s.writer, "int3"));
	CHECK_EQ(s.syncs - s0.syncs, pos);
	printf("sync %d:", pos);
	seen = check_windows(fb, fc, fv2, fv1);
	CHECK_EQ(seen, 1u << (pos == 0 ? INT3_OLD : pos == 1 ? INT3_NEW : NEW));
	/* Then: only what is not parked yet is written (INT3, one byte). */
	p0 = sw_calls(wsys);
	CHECK(do_batch(fa, fv2) == 0);
	if (pos < 2)
		CHECK_EQ(sw_calls(wsys), p0);
	else
		CHECK(sw_calls(wsys) > p0);
	for (int i = 0; i < NW; i++)
		CHECK(win[i][0] == 0xcc);
	CHECK(reaches(0, fa, NULL) && reaches(1, fa, NULL) &&
	      reaches(2, fa, NULL));
	for (int i = 4; i < 7; i++)
		CHECK(reaches(i, NULL, &v2));
	s = rt_stats();
	CHECK(!strcmp(s.writer, "int3"));
	CHECK_EQ(s.sites_trampoline, 6); /* parked */
	CHECK_EQ(s.sites_direct, 1);     /* call_r, its key unchanged */
}

static int each_position(const char *what, void (*fn)(int))
{
	int pos, st;

	for (pos = 0; (st = sw_child(what, fn, pos)) == 0; pos++)
		;
	if (st == 77)
		return 77;
	if (st != 3) {
		fprintf(stderr, "%s: position %d: child exit %d\n", what, pos,
			st);
		abort();
	}
	CHECK(pos >= 3);
	printf("%s: a failure at each of %d calls of the cycle\n", what, pos);
	return 0;
}

int main(void)
{
	uint8_t *w[NW] = { site_call_a, site_jmp_a, site_jcc_a,
			   __scall_tramp_key_a, site_ccall_v, site_cjmp_v,
			   site_cjcc_v, __scall_ctramp_key_v };

	setvbuf(stdout, NULL, _IONBF, 0);
	memcpy(win, w, sizeof(w));
	printf("writer %s\n", rt_stats().writer);
	if (each_position("write", write_fails) == 77)
		return 77;
	for (int pos = 0; pos < 3; pos++)
		CHECK_EQ(sw_child("sync", sync_fails, pos), 0);
	puts("ok");
	return 0;
}
