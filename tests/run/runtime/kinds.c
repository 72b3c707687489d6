/* SPDX-License-Identifier: MIT */
/* Every site kind and every transition, on hand-written sites. */
#include <signal.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common_keys.h"

static int fa(int x) { return x + 1; }
static int fb(int x) { return x + 2; }
static int v1, v2;
static void fv1(void) { v1++; }
static void fv2(void) { v2++; }
static long fr(void) { return 5; }

int (*key_a)(int) SCALL_KEY = fa;
DEFINE_OTHER_KEYS;

static const uint8_t nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
static const uint8_t xor5[] = { 0x2e, 0x2e, 0x2e, 0x31, 0xc0 };
static uint8_t tramp_a_orig[5], ctramp_v_orig[5];

/* Bytes every site of key_a must hold for target f. */
static void expect_a(void *f)
{
	uint8_t b[6];
	void *t = __scall_tramp_key_a;

	if (f == (void *)scall_return0) {
		EXPECT_BYTES(site_call_a, xor5, 5);
	} else {
		rt_branch(b, site_call_a, 0xe8, 0,
			  f && rt_in_range(site_call_a, 5, f) ? f : t);
		EXPECT_BYTES(site_call_a, b, 5);
	}
	rt_branch(b, site_jmp_a, 0xe9, 0,
		  f && rt_in_range(site_jmp_a, 5, f) ? f : t);
	EXPECT_BYTES(site_jmp_a, b, 5);
	rt_branch(b, site_jcc_a, 0x0f, 13,
		  f && rt_in_range(site_jcc_a, 6, f) ? f : t);
	EXPECT_BYTES(site_jcc_a, b, 6);
	/* scall_return0's trampoline stays indirect (docs/format.md). */
	if (f && f != (void *)scall_return0 && rt_in_range(t + 5, 0, f)) {
		rt_branch(b, t, 0xe9, 0, f);
		EXPECT_BYTES(__scall_tramp_key_a, b, 5);
	} else {
		EXPECT_BYTES(__scall_tramp_key_a, tramp_a_orig, 5);
	}
}

static void expect_v(void *f)
{
	uint8_t b[6];
	void *t = __scall_ctramp_key_v;

	if (!f) {
		EXPECT_BYTES(site_ccall_v, nop5, 5);
		CHECK(site_cjmp_v[0] == 0xc3);
		rt_branch(b, site_cjcc_v, 0x0f, 4, t);
		EXPECT_BYTES(site_cjcc_v, b, 6);
		CHECK(__scall_ctramp_key_v[0] == 0xc3);
		CHECK(!memcmp(__scall_ctramp_key_v + 1, ctramp_v_orig + 1, 4) ||
		      __scall_ctramp_key_v[0] == 0xc3);
		return;
	}
	rt_branch(b, site_ccall_v, 0xe8, 0, f);
	EXPECT_BYTES(site_ccall_v, b, 5);
	rt_branch(b, site_cjmp_v, 0xe9, 0, f);
	EXPECT_BYTES(site_cjmp_v, b, 5);
	rt_branch(b, site_cjcc_v, 0x0f, 4, f);
	EXPECT_BYTES(site_cjcc_v, b, 6);
	rt_branch(b, t, 0xe9, 0, f);
	EXPECT_BYTES(__scall_ctramp_key_v, b, 5);
}

/* Behaviour of every site for the current targets. */
static void run_all(void)
{
	int (*a)(int) = scall_query(key_a);
	void (*v)(void) = scall_query(key_v);
	long (*r)(void) = scall_query(key_r);
	int o1 = v1, o2 = v2;

	if (a) {
		CHECK_EQ(call_a(10), a(10));
		CHECK_EQ(jmp_a(200), a(200));
		CHECK_EQ(jcc_a(150), a(150));
	}
	CHECK_EQ(jcc_a(5), -1);
	ccall_v();
	cjmp_v();
	cjcc_v(0);
	cjcc_v(1);
	if (v == fv1)
		CHECK(v1 == o1 + 3 && v2 == o2);
	else if (v == fv2)
		CHECK(v2 == o2 + 3 && v1 == o1);
	else
		CHECK(v1 == o1 && v2 == o2);
	CHECK_EQ(call_r(), r == (void *)scall_return0 ? 0 : r());
}

/* Mid-patch: every site is INT3 (step 1) or INT3 with new bytes (step 2):
 * the calls are emulated by the handler. */
static int hook_runs;
static void hook(int step)
{
	if (step == 1 || step == 2) {
		hook_runs++;
		run_all();
	}
}

static void plain_null_faults(void)
{
	pid_t pid = fork();
	int st;

	CHECK(pid >= 0);
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 }); /* no core */
		signal(SIGSEGV, SIG_DFL);
		call_a(1); /* jumps to 0, like an indirect call through NULL */
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
}

int main(void)
{
	struct scall_stats s0 = rt_stats(), s;
	void *far;
	uint8_t *fp;
	int (*farf)(int);

	memcpy(tramp_a_orig, "\x4c\x8b\x1d", 3); /* or lea after relaxation */
	memcpy(tramp_a_orig, __scall_tramp_key_a, 5);
	memcpy(ctramp_v_orig, __scall_ctramp_key_v, 5);
	/* The trampolines' windows were read after registration: the
	 * constructor already patched them.  Recover the compiler form. */
	if (tramp_a_orig[0] != 0x4c) {
		/* direct: rebuild from the record-independent encoding */
		CHECK(tramp_a_orig[0] == 0xe9);
	}
	printf("writer %s, %zu modules, %zu sites, %zu trampolines\n", s0.writer,
	       s0.modules, s0.sites, s0.trampolines);
	CHECK(!strcmp(s0.writer, getenv("SCALL_WRITER") ? getenv("SCALL_WRITER") : "proc-mem"));
	CHECK_EQ(s0.sites, 7);
	CHECK_EQ(s0.trampolines, 3);
	CHECK_EQ(s0.sites_refused, 0);
	/* Keys local to the executable: ld made every trampoline's movq a
	 * leaq (the movq-through-GOT form is covered by rt_dlopen's plugin,
	 * whose key lives in another object). */
	CHECK(__scall_tramp_key_r[0] == 0xe9 || /* scall_return0 in range */
	      (__scall_tramp_key_r[0] == 0x4c && __scall_tramp_key_r[1] == 0x8d));

	/* Registration put every site in the state of its key's value. */
	/* key_a: 3, key_v (NULL): nop + ret (the Jcc stays on the trampoline,
	 * which returns), key_r: 1 */
	CHECK_EQ(s0.sites_direct, 6);
	CHECK_EQ(s0.sites_trampoline, 1);
	run_all();

	/* Restore a known trampoline form: key_a -> far target makes the
	 * trampoline indirect (compiler form) again. */
	far = mmap((void *)(((uintptr_t)site_call_a + (64ull << 30)) & ~0xfffull),
		   4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(far != MAP_FAILED);
	fp = far;
	memcpy(fp, (void *)far_fn, (size_t)(far_fn_end - (uint8_t *)far_fn));
	CHECK(mprotect(far, 4096, PROT_READ | PROT_EXEC) == 0);
	farf = (int (*)(int))far;
	CHECK(!rt_in_range(site_call_a, 5, far));
	CHECK(!rt_in_range(__scall_tramp_key_a + 5, 0, far));
	CHECK(scall_update(key_a, farf) == 0);
	CHECK(__scall_tramp_key_a[0] == 0x4c && __scall_tramp_key_a[2] == 0x1d);
	memcpy(tramp_a_orig, __scall_tramp_key_a, 5);
	expect_a(far);
	CHECK_EQ(call_a(1), 4243);
	CHECK_EQ(jmp_a(1), 4243);
	CHECK_EQ(jcc_a(100), 4342);
	run_all();

	/* call -> call (near), every kind, trampoline direct. */
	CHECK(scall_update(key_a, fb) == 0);
	expect_a(fb);
	run_all();
	CHECK(scall_update(key_a, fa) == 0);
	expect_a(fa);
	run_all();

	/* Same target again: nothing to do, no sync. */
	s0 = rt_stats();
	CHECK(scall_update(key_a, fa) == 0);
	s = rt_stats();
	CHECK_EQ(s.syncs - s0.syncs, 0);
	CHECK_EQ(s.updates - s0.updates, 1);

	/* Plain key: call -> NULL -> call. */
	CHECK(scall_update(key_a, NULL) == 0);
	expect_a(NULL);
	CHECK_EQ(jcc_a(5), -1);
	plain_null_faults();
	CHECK(scall_update(key_a, fb) == 0);
	expect_a(fb);
	run_all();

	/* RET0 on a plain key: xor form at the call site. */
	CHECK(scall_update(key_a, scall_return0) == 0);
	expect_a((void *)scall_return0);
	CHECK_EQ(call_a(1), 0);
	CHECK_EQ(jcc_a(150), 0);
	CHECK_EQ(jcc_a(1), -1);
	CHECK_EQ(call_r(), 0);
	CHECK(site_call_r[0] == 0x2e);
	CHECK(scall_update(key_r, fr) == 0);
	CHECK_EQ(call_r(), 5);
	CHECK(site_call_r[0] == 0xe8);
	CHECK(scall_update(key_r, scall_return0) == 0);
	CHECK_EQ(call_r(), 0);

	/* Cond key: NULL -> call -> NULL -> call. */
	expect_v(NULL);
	run_all();
	CHECK(scall_update(key_v, fv1) == 0);
	expect_v(fv1);
	run_all();
	CHECK(scall_update(key_v, NULL) == 0);
	expect_v(NULL);
	run_all();
	CHECK(scall_update(key_v, fv2) == 0);
	expect_v(fv2);
	run_all();

	/* A batch of three keys: one cycle, 3 syncs. */
	s0 = rt_stats();
	{
		struct scall_update u[] = { SCALL_UPDATE(key_a, fa),
					    SCALL_UPDATE(key_v, fv1),
					    SCALL_UPDATE(key_r, fr),
					    SCALL_UPDATE(key_v, NULL) };
		CHECK(scall_update_batch(u, 4) == 0);
	}
	s = rt_stats();
	CHECK_EQ(s.syncs - s0.syncs, 3);
	expect_a(fa);
	expect_v(NULL); /* last entry wins */
	run_all();

	/* Every transition again with the calls made mid-patch (INT3 in
	 * place): the handler emulates each state. */
	__scall_test_hook = hook;
	s0 = rt_stats();
	void *seq_a[] = { fb, far, NULL, (void *)scall_return0, fa, far, fb };
	void *seq_v[] = { fv1, NULL, fv2, NULL, fv1, fv2, NULL };
	for (unsigned i = 0; i < sizeof(seq_a) / sizeof(seq_a[0]); i++) {
		struct scall_update u[] = {
			{ &key_a, seq_a[i],
			  seq_a[i] == (void *)scall_return0 ? SCALL_TARGET_RET0
			  : seq_a[i] ? SCALL_TARGET_TYPED : SCALL_TARGET_NULL },
			{ &key_v, seq_v[i],
			  seq_v[i] ? SCALL_TARGET_TYPED : SCALL_TARGET_NULL },
			SCALL_UPDATE(key_r, i & 1 ? fr : scall_return0),
		};
		if (!seq_a[i]) {
			/* run_all would fault through key_a: skip a */
			__scall_test_hook = NULL;
			CHECK(scall_update_batch(u, 3) == 0);
			__scall_test_hook = hook;
			expect_a(NULL);
			continue;
		}
		CHECK(scall_update_batch(u, 3) == 0);
		expect_a(seq_a[i]);
		expect_v(seq_v[i]);
		run_all();
	}
	__scall_test_hook = NULL;
	s = rt_stats();
	printf("%d mid-patch runs, %llu traps emulated\n", hook_runs,
	       (unsigned long long)(s.traps - s0.traps));
	CHECK(hook_runs >= 12);
	CHECK(s.traps - s0.traps >= (uint64_t)hook_runs * 8);

	/* Resync: a key written behind scall's back. */
	CHECK(scall_query(key_a) == fb);
	key_a = fa; /* the sites still reach fb */
	CHECK_EQ(call_a(1), 3);
	CHECK(scall_resync() == 0);
	expect_a(fa);
	CHECK_EQ(call_a(1), 2);
	CHECK(rt_stats().sites_refused == 0);
	puts("ok");
	return 0;
}
