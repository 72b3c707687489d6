/* SPDX-License-Identifier: MIT */
/*
 * A site whose bytes are not what the runtime expects is refused: counted,
 * reported, never written (not even after its bytes are restored).  Also:
 * traps that are not ours reach the application's SIGTRAP handler, which
 * the runtime chains to after reinstalling its own.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common_keys.h"

static int fa(int x) { return x + 1; }
static int fb(int x) { return x + 2; }
static int fc(int x) { return x + 3; }
int (*key_a)(int) SCALL_KEY = fa;
DEFINE_OTHER_KEYS;

static void poke(void *addr, const void *b, size_t n)
{
	int fd = open("/proc/self/mem", O_RDWR);
	CHECK(fd >= 0);
	CHECK(pwrite(fd, b, n, (off_t)(uintptr_t)addr) == (ssize_t)n);
	close(fd);
}

static volatile int app_traps;
static void app_trap(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	app_traps++;
}

__attribute__((noinline)) static void breakpoint(void)
{
	__asm__ volatile("int3");
}

/* Chaining while the application keeps replacing the handler: every
 * foreign trap of another thread must reach one of its handlers (never a
 * torn copy of the saved one, never the default action). */
static unsigned long traps_h1, traps_h2, traps_done;
static int stop_trapper;
static void app_h1(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	__atomic_fetch_add(&traps_h1, 1, __ATOMIC_RELAXED);
}
static void app_h2(int sig)
{
	(void)sig;
	__atomic_fetch_add(&traps_h2, 1, __ATOMIC_RELAXED);
}
static void *trapper(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop_trapper, __ATOMIC_ACQUIRE)) {
		breakpoint();
		__atomic_fetch_add(&traps_done, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void chain_under_reinstall(void)
{
	struct sigaction h1 = { .sa_sigaction = app_h1, .sa_flags = SA_SIGINFO };
	struct sigaction h2 = { .sa_handler = app_h2 };
	struct timespec t0, t;
	pthread_t th;
	int n = 0;

	sigaction(SIGTRAP, &h1, NULL);
	CHECK(scall_update(key_a, fa) == 0); /* ours again, chaining to h1 */
	CHECK(pthread_create(&th, NULL, trapper, NULL) == 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do { /* bounded: 2000 reinstalls or 0.5 s */
		sigaction(SIGTRAP, n & 1 ? &h1 : &h2, NULL);
		CHECK(scall_update(key_a, n & 1 ? fa : fb) == 0);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (++n < 2000 && (t.tv_sec - t0.tv_sec) * 1000000000L +
				       (t.tv_nsec - t0.tv_nsec) < 500000000L);
	__atomic_store_n(&stop_trapper, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	printf("chaining under %d reinstalls: %lu foreign traps, %lu + %lu "
	       "handled\n", n, traps_done, traps_h1, traps_h2);
	CHECK_EQ(traps_h1 + traps_h2, traps_done);
	CHECK(traps_done > 0);
}

static void hook(int step)
{
	if (step == 1)
		CHECK(call_a(1) == 4); /* emulated: the new target fc */
}

int main(void)
{
	uint8_t tampered[5], saved[5], b[6];
	struct scall_stats s0 = rt_stats(), s;

	CHECK_EQ(s0.sites_refused, 0);
	/* Tamper with the jmp site: point it somewhere else (fc). */
	memcpy(saved, site_jmp_a, 5);
	rt_branch(tampered, site_jmp_a, 0xe9, 0, (void *)fc);
	poke(site_jmp_a, tampered, 5);
	CHECK_EQ(jmp_a(1), 4);

	CHECK(scall_update(key_a, fb) == 0);
	s = rt_stats();
	CHECK_EQ(s.sites_refused, 1);
	EXPECT_BYTES(site_jmp_a, tampered, 5); /* not one byte written */
	rt_branch(b, site_call_a, 0xe8, 0, (void *)fb);
	EXPECT_BYTES(site_call_a, b, 5); /* the others were patched */
	CHECK_EQ(call_a(1), 3);

	/* Restored by hand: still refused for good. */
	poke(site_jmp_a, saved, 5);
	CHECK(scall_update(key_a, fa) == 0);
	EXPECT_BYTES(site_jmp_a, saved, 5);
	CHECK_EQ(rt_stats().sites_refused, 1);
	CHECK_EQ(jmp_a(1), 2); /* the restored bytes: fa, as at registration */

	/* A foreign trap with no application handler: the default action,
	 * as without scall (the process dies of SIGTRAP). */
	pid_t pid = fork();
	int st;
	CHECK(pid >= 0);
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 }); /* no core */
		breakpoint();
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTRAP);

	/* Foreign traps: the app installs its own SIGTRAP handler over ours. */
	struct sigaction sa = { .sa_sigaction = app_trap,
				.sa_flags = SA_SIGINFO }, cur;
	sigaction(SIGTRAP, &sa, NULL);
	breakpoint();
	CHECK_EQ(app_traps, 1);
	/* The next batch reinstalls ours and chains to the app's. */
	__scall_test_hook = hook;
	CHECK(scall_update(key_a, fc) == 0);
	__scall_test_hook = NULL;
	sigaction(SIGTRAP, NULL, &cur);
	CHECK(cur.sa_sigaction != app_trap);
	breakpoint();
	CHECK_EQ(app_traps, 2);
	CHECK_EQ(call_a(1), 4);
	chain_under_reinstall();
	puts("ok");
	return 0;
}
