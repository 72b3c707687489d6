/* SPDX-License-Identifier: MIT */
/*
 * The recursive case for static branches: a signal handler on the
 * flipping thread takes the branches of the key being flipped while their
 * byte 0 is INT3 (raised from the runtime's test hook between the steps of
 * the cycle, then from a timer every 20 us, 500 us under valgrind).  The handler must complete
 * (the trap handler emulates each branch, never waiting), see each key in
 * its old or new state, and every flip from it (enable, disable, inc, dec,
 * a batch) and scall_stats() must return -EDEADLK and change nothing.
 * alarm() bounds the run: a deadlock is a failure, not a hang.
 */
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "br_test.h"

static const struct scall_branch_rec *rb, *re;
static volatile int cur_key = -1, cur_old, cur_new;
static volatile sig_atomic_t runs, mid_patch, deadlk, bad;
static volatile int state[BR_NKEYS] = { 0, 1, 0, 1 };

static int flip_from_handler(struct scall_branch_key *key)
{
	struct scall_branch_update b = { key, SCALL_BRANCH_OP_INC };
	struct scall_stats st;
	int c = key->count, n = 0;

	for (int op = SCALL_BRANCH_OP_ENABLE; op <= SCALL_BRANCH_OP_DEC; op++)
		n += __scall_branch_op(key, op) == -EDEADLK;
	n += scall_update_batch_branches(NULL, 0, &b, 1) == -EDEADLK;
	n += scall_stats(&st) == -EDEADLK;
	return n == 6 && key->count == c;
}

static void on_usr1(int sig)
{
	int k = cur_key, mid;

	(void)sig;
	if (k < 0)
		return;
	/* Only this thread flips: INT3 there means we interrupted it. */
	mid = br_parked(rb, re, br_key(k));
	if (mid)
		mid_patch++;
	for (int j = 0; j < BR_NKEYS; j++)
		for (int f = 0; f < 2; f++) {
			int v = lib_take(j, f);

			if (j == k ? v != cur_old && v != cur_new
				   : v != state[j])
				bad++;
		}
	if (mid && flip_from_handler(br_key(k)))
		deadlk++;
	runs++;
}

static void hook(int step)
{
	/* Delivered to this thread, synchronously, mid-patch. */
	if (step == 1 || step == 2)
		raise(SIGUSR1);
}

/* Flip i: toggle key i % 4 by one of the four operations. */
static void flip(int i)
{
	int k = i % BR_NKEYS, on = !state[k], how = i / BR_NKEYS % 3;
	struct scall_branch_update b = {
		br_key(k), on ? SCALL_BRANCH_OP_ENABLE : SCALL_BRANCH_OP_DISABLE
	};

	cur_old = state[k];
	cur_new = on;
	cur_key = k;
	if (how == 0)
		CHECK_EQ(__scall_branch_op(br_key(k), b.op), 0);
	else if (how == 1)
		CHECK_EQ(__scall_branch_op(br_key(k), on ? SCALL_BRANCH_OP_INC
							: SCALL_BRANCH_OP_DEC),
			 0);
	else
		CHECK_EQ(scall_update_batch_branches(NULL, 0, &b, 1), 0);
	state[k] = on;
	cur_key = -1;
}

static void check_all(void)
{
	for (int k = 0; k < BR_NKEYS; k++) {
		CHECK_EQ(br_check_records(rb, re, br_key(k), state[k], __LINE__), 2);
		CHECK_EQ(lib_take(k, 0), state[k]);
		CHECK_EQ(lib_take(k, 1), state[k]);
	}
}

/* valgrind grows the main thread's stack on a fault, but not while it
 * delivers a signal: the nested frames (SIGUSR1, then SIGTRAP) must land
 * on stack that is already there. */
__attribute__((noinline)) static void grow_stack(void)
{
	volatile char pad[256 << 10];

	for (size_t i = 0; i < sizeof(pad); i += 4096)
		pad[i] = 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct scall_stats s0, s;
	int i;

	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(30);
	rb = lib_records(&re);
	s0 = rt_stats();
	CHECK_EQ(s0.branches, 8);
	check_all();
	grow_stack();
	sigaction(SIGUSR1, &sa, NULL);
	__scall_test_hook = hook;
	for (i = 0; i < 120; i++) {
		flip(i);
		check_all();
	}
	__scall_test_hook = NULL;
	s = rt_stats();
	printf("deterministic: %d flips, %d handler runs, %d mid-patch, "
	       "%d EDEADLK, %llu traps, %llu syncs\n",
	       i, (int)runs, (int)mid_patch, (int)deadlk,
	       (unsigned long long)(s.traps - s0.traps),
	       (unsigned long long)(s.syncs - s0.syncs));
	CHECK_EQ(bad, 0);
	CHECK_EQ(runs, 2 * i);
	CHECK_EQ(mid_patch, 2 * i);
	CHECK_EQ(deadlk, 2 * i);
	/* each run took the 2 parked branches of the key being flipped */
	CHECK(s.traps - s0.traps >= 4 * (uint64_t)i);
	CHECK_EQ(s.syncs - s0.syncs, 3 * (uint64_t)i);

	/* Asynchronous: a timer aimed at this thread fires every 20 us while
	 * it flips in a loop, for at most 1 s. */
	timer_t tm;
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID,
			       .sigev_signo = SIGUSR1 };
	ev._sigev_un._tid = gettid();
	CHECK(timer_create(CLOCK_MONOTONIC, &ev, &tm) == 0);
	/* 20 us; valgrind (argument "slow") runs the handler far slower */
	long period = argc > 1 && !strcmp(argv[1], "slow") ? 500000 : 20000;
	struct itimerspec its = { { 0, period }, { 0, period } };
	struct timespec t0, t1;
	runs = mid_patch = deadlk = 0;
	CHECK(timer_settime(tm, 0, &its, NULL) == 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	i = 0;
	do {
		flip(i++);
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while (i < 5000 && (t1.tv_sec - t0.tv_sec) * 1000000000L +
				     (t1.tv_nsec - t0.tv_nsec) < 1000000000L);
	timer_delete(tm);
	check_all();
	printf("timer: %d flips, %d handler runs, %d mid-patch, %d EDEADLK\n",
	       i, (int)runs, (int)mid_patch, (int)deadlk);
	CHECK_EQ(deadlk, mid_patch);
	CHECK_EQ(bad, 0);
	CHECK(runs > 0);
	puts("ok");
	return 0;
}
