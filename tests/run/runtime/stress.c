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
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common_keys.h"

#define NCALLERS 4
#define NUPDATES 10000
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

static void *caller(void *p)
{
	long n = 0;
	(void)p;
	while (!stop) {
		long s1 = atomic_load(&seq);
		int r = call_one((int)n);
		check_call(s1, r, atomic_load(&seq));
		n++;
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

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	pthread_t sg;
	struct scall_stats s0, s;
	long n;
	double ta, tb;

	setvbuf(stdout, NULL, _IONBF, 0);
	/* Far target: "mov $3, %eax; ret" in a page > 2 GiB away. */
	uint8_t *far = mmap((void *)(((uintptr_t)site_call_a + (64ull << 30)) & ~0xfffull),
			    4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(far != MAP_FAILED);
	memcpy(far, "\xb8\x03\x00\x00\x00\xc3", 6);
	CHECK(mprotect(far, 4096, PROT_READ | PROT_EXEC) == 0);
	tg[0] = t0, tg[1] = t1, tg[2] = t2, tg[3] = (int (*)(int))(void *)far;

	sigaction(SIGUSR1, &sa, NULL);
	upd = pthread_self();
	for (int i = 0; i < NCALLERS; i++)
		CHECK(pthread_create(&callers[i], NULL, caller, NULL) == 0);
	CHECK(pthread_create(&sg, NULL, signaller, NULL) == 0);
	s0 = rt_stats();
	ta = now();
	for (n = 1; n <= NUPDATES && now() - ta < 20; n++) {
		CHECK(scall_update(key_a, tg[n % NT]) == 0);
		atomic_store(&seq, n);
	}
	tb = now();
	stop = 1;
	for (int i = 0; i < NCALLERS; i++)
		pthread_join(callers[i], NULL);
	pthread_join(sg, NULL);
	s = rt_stats();
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
	CHECK_EQ(s.syncs - s0.syncs, 3 * (uint64_t)(n - 1));
	puts("ok");
	return 0;
}
