/* SPDX-License-Identifier: MIT */
/*
 * The "awful recursive case": a signal handler on the patching thread calls
 * a site of the key being patched while its byte 0 is INT3.  The handler
 * must complete (emulated call), and a re-entrant update from it must fail
 * with -EDEADLK instead of deadlocking.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "common_keys.h"

static int fa(int x) { return x + 1; }
static int fb(int x) { return x + 2; }
int (*key_a)(int) SCALL_KEY = fa;
DEFINE_OTHER_KEYS;

static volatile sig_atomic_t in_handler_calls, mid_patch, deadlk, bad;

static void on_usr1(int sig)
{
	int r;
	(void)sig;
	/* Only this thread updates: INT3 there means we interrupted it. */
	int mid = site_call_a[0] == 0xcc;
	if (mid)
		mid_patch++;
	r = call_a(1);
	if (r != 2 && r != 3)
		bad++;
	r = jmp_a(1);
	if (r != 2 && r != 3)
		bad++;
	if (mid) {
		struct scall_stats st;
		if (scall_update(key_a, fa) == -EDEADLK)
			deadlk++;
		if (scall_stats(&st) != -EDEADLK)
			bad++;
	}
	in_handler_calls++;
}

static void hook(int step)
{
	/* Delivered to this thread, synchronously, mid-patch. */
	if (step == 1 || step == 2)
		raise(SIGUSR1);
}

/* valgrind grows the main thread's stack on a fault, but not while it
 * delivers a signal: the timer's nested frames (SIGUSR1, then SIGTRAP) must
 * land on stack that is already there. */
__attribute__((noinline)) static void grow_stack(void)
{
	volatile char pad[256 << 10];

	for (size_t i = 0; i < sizeof(pad); i += 4096)
		pad[i] = 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct scall_stats s0 = rt_stats(), s;

	grow_stack();
	sigaction(SIGUSR1, &sa, NULL);
	__scall_test_hook = hook;
	for (int i = 0; i < 100; i++)
		CHECK(scall_update(key_a, i & 1 ? fa : fb) == 0);
	__scall_test_hook = NULL;
	s = rt_stats();
	printf("deterministic: %d handler runs, %d mid-patch, %d EDEADLK, "
	       "%llu traps\n",
	       (int)in_handler_calls, (int)mid_patch, (int)deadlk,
	       (unsigned long long)(s.traps - s0.traps));
	CHECK_EQ(bad, 0);
	CHECK_EQ(in_handler_calls, 200);
	CHECK_EQ(mid_patch, 200);
	CHECK_EQ(deadlk, 200);
	CHECK(s.traps - s0.traps >= 400);
	CHECK(scall_query(key_a) == fa);

	/* Asynchronous: a timer aimed at this thread fires every 20 us while
	 * it updates in a loop, for at most 1 s. */
	timer_t tm;
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID,
			       .sigev_signo = SIGUSR1 };
	ev._sigev_un._tid = gettid();
	CHECK(timer_create(CLOCK_MONOTONIC, &ev, &tm) == 0);
	struct itimerspec its = { { 0, 20000 }, { 0, 20000 } };
	in_handler_calls = mid_patch = deadlk = 0;
	CHECK(timer_settime(tm, 0, &its, NULL) == 0);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int n = 0;
	do {
		int e = scall_update(key_a, n & 1 ? fa : fb);
		CHECK(e == 0);
		n++;
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while (n < 5000 && (t1.tv_sec - t0.tv_sec) * 1000000000L +
				     (t1.tv_nsec - t0.tv_nsec) < 1000000000L);
	timer_delete(tm);
	printf("timer: %d updates, %d handler runs, %d mid-patch, %d EDEADLK\n",
	       n, (int)in_handler_calls, (int)mid_patch, (int)deadlk);
	CHECK_EQ(deadlk, mid_patch);
	CHECK_EQ(bad, 0);
	CHECK(in_handler_calls > 0);
	puts("ok");
	return 0;
}
