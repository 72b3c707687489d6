/* SPDX-License-Identifier: MIT */
/*
 * Stress: 4 threads call through the sites of key_a (call, jmp, jcc) in a
 * tight loop while one thread makes 10^4 updates cycling over 4 targets
 * (one of them more than 2 GiB away, so the sites alternate between direct
 * and trampoline states), and a fifth thread sends SIGUSR1 to all of them;
 * the signal handler calls the sites too.  Bounded by 20 s.
 *
 * Checks: every call returns the id of an installed target, and a call made
 * after update number s returned (seq >= s) reaches the target of an update
 * in [s, s2 + 1], where s2 is the sequence number read after the call (the
 * update s2 + 1 may be in flight).
 *
 * Under a hardened profile (rt_hardened runs it so): RT_EXPECT_WRITER is the
 * writer it must find, RT_STRESS_UPDATES and RT_STRESS_SECONDS bound the
 * run.  With the argument "lose-sync", membarrier starts failing for every
 * thread halfway (a filter installed with TSYNC): the rest of the updates
 * run with no sync at all, parking sites on INT3.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common_keys.h"
#include "syswatch.h"

#define NCALLERS 4
#define NT 4

static int t0(int x) { (void)x; return 0; }
static int t1(int x) { (void)x; return 1; }
static int t2(int x) { (void)x; return 2; }
int (*key_a)(int) SCALL_KEY = t0;
DEFINE_OTHER_KEYS;

static int (*tg[NT])(int);
static _Atomic long seq;
static volatile int stop;
static _Atomic long calls, strict, loose, sig_calls, failures;

static void check_call(long s1, int r, long s2)
{
	if (r < 0 || r >= NT) {
		failures++;
		fprintf(stderr, "call returned %d: not an installed target\n", r);
		return;
	}
	if (s2 + 1 - s1 >= NT) {
		loose++;
		return;
	}
	for (long j = s1; j <= s2 + 1; j++)
		if (j % NT == r) {
			strict++;
			return;
		}
	failures++;
	fprintf(stderr, "call after update %ld (seq now %ld) reached target %d\n",
		s1, s2, r);
}

static int call_one(int i)
{
	switch (i % 3) {
	case 0: return call_a(100);
	case 1: return jmp_a(100);
	default: return jcc_a(100);
	}
}

static void on_usr1(int sig)
{
	(void)sig;
	long s1 = atomic_load(&seq);
	int r = call_one((int)s1);
	check_call(s1, r, atomic_load(&seq));
	sig_calls++;
}

static pthread_t callers[NCALLERS], upd;

/* Calls made by each caller so far, for the updater's pacing. */
static struct {
	_Atomic long n;
	char pad[64 - sizeof(long)];
} made[NCALLERS];

static long made_total(void)
{
	long t = 0;
	for (int i = 0; i < NCALLERS; i++)
		t += atomic_load_explicit(&made[i].n, memory_order_relaxed);
	return t;
}

static void *caller(void *p)
{
	long n = 0, i = (long)(intptr_t)p;
	while (!stop) {
		long s1 = atomic_load(&seq);
		int r = call_one((int)n);
		check_call(s1, r, atomic_load(&seq));
		n++;
		atomic_store_explicit(&made[i].n, n, memory_order_relaxed);
	}
	calls += n;
	return NULL;
}

static void *signaller(void *p)
{
	(void)p;
	struct timespec ts = { 0, 50000 };
	for (int i = 0; !stop; i++) {
		pthread_kill(i % (NCALLERS + 1) == NCALLERS ? upd : callers[i % (NCALLERS + 1)],
			     SIGUSR1);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long env_long(const char *name, long dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 10) : dflt;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	pthread_t sg;
	struct scall_stats s0, s, s_lost;
	long n, nupdates = env_long("RT_STRESS_UPDATES", 10000),
		lose_at = argc > 1 && !strcmp(argv[1], "lose-sync")
				  ? nupdates / 2
				  : -1;
	double ta, tb, seconds = (double)env_long("RT_STRESS_SECONDS", 20);
	const char *expect = getenv("RT_EXPECT_WRITER");

	setvbuf(stdout, NULL, _IONBF, 0);
	/* Far target: "mov $3, %eax; ret" in a page > 2 GiB away, mapped
	 * from a file (a memfd) so that it works under deny_execmem too. */
	int mfd = memfd_create("far", MFD_CLOEXEC);
	CHECK(mfd >= 0 && write(mfd, "\xb8\x03\x00\x00\x00\xc3", 6) == 6 &&
	      ftruncate(mfd, 4096) == 0);
	uint8_t *far = mmap((void *)(((uintptr_t)site_call_a + (64ull << 30)) & ~0xfffull),
			    4096, PROT_READ | PROT_EXEC,
			    MAP_PRIVATE | MAP_FIXED_NOREPLACE, mfd, 0);
	CHECK(far != MAP_FAILED);
	close(mfd);
	tg[0] = t0, tg[1] = t1, tg[2] = t2, tg[3] = (int (*)(int))(void *)far;

	sigaction(SIGUSR1, &sa, NULL);
	upd = pthread_self();
	for (int i = 0; i < NCALLERS; i++)
		CHECK(pthread_create(&callers[i], NULL, caller,
				     (void *)(intptr_t)i) == 0);
	CHECK(pthread_create(&sg, NULL, signaller, NULL) == 0);
	s0 = s_lost = rt_stats();
	CHECK(!strcmp(s0.writer, expect ? expect : getenv("SCALL_WRITER") ?: "proc-mem"));
	ta = now();
	/* Each update waits until the callers made two calls (so one began
	 * after it returned), or 50 us: an update without sync (no writer,
	 * or sync lost) is far faster than a call that traps, and would
	 * otherwise leave the callers nothing to check.  Past nupdates,
	 * until a signal handler has called too. */
	for (n = 1; (n <= nupdates || !sig_calls) && now() - ta < seconds; n++) {
		if (n == lose_at) {
			s_lost = rt_stats();
			CHECK(sw_harden(SW_F_MEMBARRIER,
					SECCOMP_FILTER_FLAG_TSYNC) == 0);
		}
		CHECK(scall_update(key_a, tg[n % NT]) == 0);
		atomic_store(&seq, n);
		for (long m = made_total() + 2, t = (long)(now() * 1e6);
		     made_total() < m && (long)(now() * 1e6) - t < 50;)
			;
	}
	tb = now();
	stop = 1;
	for (int i = 0; i < NCALLERS; i++)
		pthread_join(callers[i], NULL);
	pthread_join(sg, NULL);
	s = rt_stats();
	printf("writer %s%s\n", s0.writer,
	       lose_at > 0 ? ", membarrier lost halfway" : "");
	printf("stress: %ld updates in %.2f s (%.1f us each), %ld calls "
	       "(%ld strict checks, %ld loose), %ld calls from signal handlers, "
	       "%llu traps, %llu syncs (%.2f per update), failures %ld\n",
	       n - 1, tb - ta, (tb - ta) * 1e6 / (double)(n - 1), (long)calls,
	       (long)strict, (long)loose, (long)sig_calls,
	       (unsigned long long)(s.traps - s0.traps),
	       (unsigned long long)(s.syncs - s0.syncs),
	       (double)(s.syncs - s0.syncs) / (double)(n - 1), (long)failures);
	CHECK_EQ(failures, 0);
	CHECK(n - 1 >= 1000);
	CHECK(strict > loose);
	CHECK(sig_calls > 0);
	if (!strcmp(s0.writer, "none")) {
		CHECK_EQ(s.syncs - s0.syncs, 0);
	} else if (lose_at > 0) {
		/* every update before the loss, none from it on */
		CHECK(n > lose_at);
		CHECK_EQ(s_lost.syncs - s0.syncs, 3 * (uint64_t)(lose_at - 1));
		CHECK_EQ(s.syncs, s_lost.syncs);
		CHECK(!strcmp(s.writer, "int3"));
	} else {
		CHECK_EQ(s.syncs - s0.syncs, 3 * (uint64_t)(n - 1));
	}
	puts("ok");
	return 0;
}
