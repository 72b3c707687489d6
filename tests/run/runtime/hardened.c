/* SPDX-License-Identifier: MIT */
/*
 * Hardened and restricted systems, injected for real: for each profile a
 * child installs the seccomp filter (syswatch.h, sw_harden) and execs a
 * program under it, so that libscall starts on that system:
 *   - this program in --child mode: the writer found, every site's state,
 *     a run of updates of every kind, a fork whose child updates on its
 *     own, and (when a writer works) membarrier lost mid-run;
 *   - rt_stress (argv[1]), bounded: the sequence check with 4 callers and
 *     signal handlers calling.
 * The parent reads each child's stderr: the writer must be reported by
 * SCALL_DEBUG with the reason a better one was passed over, and a process
 * left without a writer must say so once even without SCALL_DEBUG.
 */
#include <sys/wait.h>

#include "common_keys.h"
#include "syswatch.h"

static const struct profile {
	const char *name;
	unsigned faults;
	const char *env;    /* SCALL_WRITER=..., or NULL */
	const char *writer; /* what the runtime must choose */
	const char *reason; /* "" when it is proc-mem */
	int lose_sync;      /* stress: membarrier fails halfway */
} profiles[] = {
	{ "default", 0, NULL, "proc-mem", "", 0 },
	{ "default, membarrier lost", 0, NULL, "proc-mem", "", 1 },
	{ "proc_mem.force_override=never", SW_F_PROCMEM, NULL, "alias",
	  "/proc/self/mem: Operation not permitted", 0 },
	{ "force_override=never, membarrier lost", SW_F_PROCMEM, NULL,
	  "alias", "/proc/self/mem: Operation not permitted", 1 },
	{ "deny_execmem", SW_F_EXECMEM, NULL, "proc-mem", "", 0 },
	{ "no mremap", SW_F_MREMAP, NULL, "proc-mem", "", 0 },
	{ "deny_execmem, no mremap", SW_F_EXECMEM | SW_F_MREMAP, NULL,
	  "proc-mem", "", 0 },
	{ "no membarrier", SW_F_MEMBARRIER, NULL, "none",
	  "membarrier SYNC_CORE: Function not implemented", 0 },
	{ "force_override=never, deny_execmem", SW_F_PROCMEM | SW_F_EXECMEM,
	  NULL, "none",
	  "/proc/self/mem: Operation not permitted; alias: Permission denied",
	  0 },
	{ "force_override=never, no mremap", SW_F_PROCMEM | SW_F_MREMAP, NULL,
	  "none",
	  "/proc/self/mem: Operation not permitted; alias: Operation not "
	  "permitted",
	  0 },
	{ "force_override=never, no membarrier",
	  SW_F_PROCMEM | SW_F_MEMBARRIER, NULL, "none",
	  "membarrier SYNC_CORE: Function not implemented", 0 },
	{ "all four", SW_F_PROCMEM | SW_F_EXECMEM | SW_F_MREMAP |
			      SW_F_MEMBARRIER,
	  NULL, "none", "membarrier SYNC_CORE: Function not implemented", 0 },
	{ "deny_execmem, SCALL_WRITER=alias", SW_F_EXECMEM,
	  "SCALL_WRITER=alias", "none",
	  "SCALL_WRITER=alias; alias: Permission denied", 0 },
	{ "deny_execmem, SCALL_WRITER=mprotect", SW_F_EXECMEM,
	  "SCALL_WRITER=mprotect", "none",
	  "SCALL_WRITER=mprotect; mprotect: Permission denied", 0 },
	{ "no mremap, SCALL_WRITER=alias", SW_F_MREMAP, "SCALL_WRITER=alias",
	  "none", "SCALL_WRITER=alias; alias: Operation not permitted", 0 },
};
enum { NPROF = sizeof(profiles) / sizeof(profiles[0]) };

/* ------------------------------------------------------------------ */
/* --child: the checks inside the hardened process                     */
/* ------------------------------------------------------------------ */

static int fa(int x) { return x + 1; }
static int fb(int x) { return x + 2; }
static int fc(int x) { return x + 3; }
static long r5(void) { return 5; }
static int v_calls;
static void fv(void) { v_calls++; }
int (*key_a)(int) SCALL_KEY = fa;
DEFINE_OTHER_KEYS;

static int writes; /* the writer works */

/* site_call_a calls f directly, or (no writer) its trampoline. */
static void expect_call_a(int (*f)(int))
{
	uint8_t b[6];

	rt_branch(b, site_call_a, 0xe8, 0,
		  writes ? (void *)f : (void *)__scall_tramp_key_a);
	EXPECT_BYTES(site_call_a, b, 5);
	rt_branch(b, site_jcc_a, 0x0f, 13,
		  writes ? (void *)f : (void *)__scall_tramp_key_a);
	EXPECT_BYTES(site_jcc_a, b, 6);
	CHECK_EQ(call_a(7), f(7));
	CHECK_EQ(jmp_a(7), f(7));
	CHECK_EQ(jcc_a(100), f(100));
	CHECK_EQ(jcc_a(1), -1);
}

static void every_kind(void)
{
	struct scall_stats s0 = rt_stats(), s;
	int v0 = v_calls;

	CHECK(scall_update(key_a, fb) == 0);
	expect_call_a(fb);
	CHECK(scall_update(key_v, fv) == 0);
	ccall_v();
	cjmp_v();
	cjcc_v(0);
	cjcc_v(1);
	CHECK_EQ(v_calls - v0, 3);
	CHECK(scall_update(key_v, NULL) == 0);
	ccall_v();
	cjmp_v();
	cjcc_v(0);
	CHECK_EQ(v_calls - v0, 3);
	CHECK(scall_update(key_r, r5) == 0);
	CHECK_EQ(call_r(), 5);
	CHECK(scall_update(key_r, scall_return0) == 0);
	CHECK_EQ(call_r(), 0);
	s = rt_stats();
	/* each of the 5 updates changes windows */
	CHECK_EQ(s.syncs - s0.syncs, writes ? 15 : 0);
	/* cjcc_v with key_v NULL: a Jcc to its trampoline, which returns */
	CHECK_EQ(s.sites_direct, writes ? 6 : 0);
	CHECK_EQ(s.sites_trampoline, writes ? 1 : 7);
	CHECK_EQ(s.sites_refused, 0);
}

/* A child of fork updates on its own; the parent's sites do not move. */
static void fork_updates(void)
{
	pid_t pid = fork();
	int st;

	CHECK(pid >= 0);
	if (pid == 0) {
		alarm(10);
		CHECK(scall_update(key_a, fc) == 0);
		expect_call_a(fc);
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	expect_call_a(fb);
}

/* membarrier fails from now on, for every thread (a sandbox installed
 * after start-up): sites that change are parked on INT3 and emulated. */
static void lose_sync(void)
{
	struct scall_stats s0 = rt_stats(), s;
	struct rt_capture cap;
	uint8_t tail[4];
	char *log;

	CHECK(sw_harden(SW_F_MEMBARRIER, SECCOMP_FILTER_FLAG_TSYNC) == 0);
	cap = rt_capture_begin();
	CHECK(scall_update(key_a, fa) == 0);
	log = rt_capture_end(cap);
	CHECK_EQ(rt_count_lines(log, "scall:", "membarrier SYNC_CORE failed"), 1);
	CHECK_EQ(rt_count_lines(log, "scall:", "failed"), 1);
	free(log);
	s = rt_stats();
	CHECK(!strcmp(s.writer, "int3"));
	CHECK_EQ(s.syncs, s0.syncs);
	/* the step-1 write was made before its sync failed: parked with the
	 * old bytes after INT3 */
	CHECK(site_call_a[0] == 0xcc && site_jmp_a[0] == 0xcc &&
	      site_jcc_a[0] == 0xcc);
	memcpy(tail, site_call_a + 1, 4);
	CHECK_EQ(call_a(7), fa(7));
	CHECK_EQ(jmp_a(7), fa(7));
	CHECK_EQ(jcc_a(100), fa(100));
	CHECK_EQ(rt_stats().traps - s.traps, 3);
	/* Parked sites stay as they are; the key decides. */
	CHECK(scall_update(key_a, fc) == 0);
	CHECK(site_call_a[0] == 0xcc && !memcmp(site_call_a + 1, tail, 4));
	CHECK_EQ(call_a(7), fc(7));
	/* key_v's sites are direct (NOP, ret) or on a trampoline that is
	 * direct (c3): parked; calls reach the key's target. */
	CHECK(scall_update(key_v, fv) == 0);
	CHECK(site_ccall_v[0] == 0xcc && site_cjmp_v[0] == 0xcc);
	{
		int v0 = v_calls;

		ccall_v();
		cjmp_v();
		cjcc_v(0);
		CHECK_EQ(v_calls - v0, 3);
	}
	s = rt_stats();
	CHECK_EQ(s.syncs, s0.syncs);
	CHECK_EQ(s.sites_direct, 1); /* call_r: xor form, its key unchanged */
	CHECK_EQ(s.sites_trampoline, 6);
	printf("membarrier lost: parked on INT3, %llu traps\n",
	       (unsigned long long)(s.traps - s0.traps));
}

static int child(void)
{
	const char *expect = getenv("RT_EXPECT_WRITER");
	struct scall_stats s = rt_stats();

	CHECK(expect);
	printf("writer %s\n", s.writer);
	CHECK(!strcmp(s.writer, expect));
	writes = strcmp(expect, "none") != 0;
	CHECK_EQ(s.sites, 7);
	expect_call_a(fa);
	every_kind();
	fork_updates();
	if (writes)
		lose_sync();
	puts("ok");
	return 0;
}

/* ------------------------------------------------------------------ */
/* The parent: each profile, each program                              */
/* ------------------------------------------------------------------ */

/* Run argv under the profile with the extra environment env[] (NULL
 * ended); returns its stderr, echoed; the exit must be 0. */
static char *run(const struct profile *p, char **argv, const char **env)
{
	int fd[2], st, e;
	size_t n = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	ssize_t r;
	pid_t pid;

	CHECK(buf && pipe(fd) == 0);
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		dup2(fd[1], 2);
		close(fd[0]);
		close(fd[1]);
		alarm(60);
		unsetenv("SCALL_WRITER");
		unsetenv("SCALL_DEBUG");
		if (p->env)
			putenv((char *)p->env);
		setenv("RT_EXPECT_WRITER", p->writer, 1);
		for (; *env; env++)
			putenv((char *)*env);
		if ((e = sw_harden(p->faults, 0))) {
			fprintf(stderr, "seccomp: %s\n", strerror(-e));
			_exit(77);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	while ((r = read(fd[0], buf + n, cap - n - 1)) > 0)
		if ((n += (size_t)r) == cap - 1)
			CHECK((buf = realloc(buf, cap *= 2)));
	buf[n] = 0;
	close(fd[0]);
	CHECK(waitpid(pid, &st, 0) == pid);
	fputs(buf, stderr);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
		printf("SKIP: %s", buf);
		exit(77);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "%s: %s: %s %d\n", p->name, argv[0],
			WIFEXITED(st) ? "exit" : "signal",
			WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		abort();
	}
	return buf;
}

int main(int argc, char **argv)
{
	char self[4096], line[512];
	ssize_t n;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && !strcmp(argv[1], "--child"))
		return child();
	CHECK(argc == 2); /* the rt_stress binary */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	CHECK(n > 0);
	self[n] = 0;
	for (int i = 0; i < NPROF; i++) {
		const struct profile *p = &profiles[i];
		int none = !strcmp(p->writer, "none");
		char *cargv[] = { self, "--child", NULL };
		char *sargv[] = { argv[1], p->lose_sync ? "lose-sync" : NULL,
				  NULL };
		const char *debug[] = { "SCALL_DEBUG=1", NULL };
		/* The alias writer swaps pages under the mmap lock while
		 * four callers trap on the INT3: 3-8 ms per update on two
		 * cores, so its 2000 updates need far more than the proc-mem
		 * writer's 0.5 s.  The time is only the safety bound; stress
		 * still fails below 1000 updates. */
		const char *bounds[] = { "RT_STRESS_UPDATES=2000",
					 "RT_STRESS_SECONDS=40", NULL };
		char *log;

		printf("== %s: writer %s\n", p->name, p->writer);
		snprintf(line, sizeof(line), "scall: writer %s%s%s%s%s\n",
			 p->writer, *p->reason ? " (" : "", p->reason,
			 *p->reason ? ")" : "",
			 none ? ": sites stay on their trampolines" : "");
		if (!p->lose_sync) {
			log = run(p, cargv, debug);
			if (!strstr(log, line)) {
				fprintf(stderr, "%s: no line '%s'\n", p->name,
					line);
				abort();
			}
			CHECK_EQ(rt_count_lines(log, "scall: writer", ""), 1);
			free(log);
		}
		log = run(p, sargv, bounds);
		/* Without SCALL_DEBUG: one line when no writer works (and
		 * one when the sync is lost), nothing otherwise. */
		CHECK_EQ(rt_count_lines(log, "scall:", ""),
			 none || p->lose_sync ? 1 : 0);
		if (none)
			CHECK(strstr(log, line));
		if (p->lose_sync)
			CHECK_EQ(rt_count_lines(log, "scall: membarrier "
						     "SYNC_CORE failed", ""),
				 1);
		free(log);
	}
	printf("%d profiles: every process correct\n", NPROF);
	return 0;
}
