/* SPDX-License-Identifier: MIT */
/*
 * The concurrency harness of the end-to-end stress programs
 * (tests/run/plugin/e2e_stress.c, tests/run/clang/mixed_stress.c): four
 * threads run the program's calls() in a loop, a fifth sends them SIGUSR1
 * every 200 us (the handler runs calls() too), and once 10,000 calls have
 * been checked the main thread runs retarget(0 .. n-1) while they go on.  Bounded by
 * n, and by the callers: each retarget() waits until a call that started
 * after the previous one returned has been checked.
 *
 * The sequence rule (as tests/run/runtime/stress.c checks on hand-written
 * sites): stress_seq counts the retarget() calls that have returned.  A
 * call that starts when stress_seq is s1 and ends before stress_seq is
 * read as s2 must reach a target that one of retarget(s1 - 1) .. retarget(s2)
 * installed (retarget(-1) stands for the initial targets): scall_update()
 * promises that every call made after it returned reaches the new target,
 * and retarget(s2 + 1) had not started.  calls() wraps each call through a
 * plain key in STRESS_CALL(expr), whose value is the id of the target
 * reached, and each cond call in STRESS_COND(stmt): the program's cond
 * target counts its calls in the thread's counter cond_hits() points to, so
 * the rule says whether this call had to reach it (every key in the range
 * non-NULL), had to do nothing (every one NULL), or either.
 */
#ifndef SCALL_STRESS_HARNESS_H
#define SCALL_STRESS_HARNESS_H
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

struct stress_prog {
	void (*calls)(void);      /* calls every site, through the macros below */
	int (*retarget)(int i);   /* update number i: 0 or an error */
	int n;                    /* retarget(0 .. n-1) */
	int ntargets;             /* the plain key's targets return their id,
				     0 .. ntargets-1 (at most 32) */
	int (*target)(long i);    /* id of the plain key's target after
				     retarget(i); i = -1: the initial one */
	int (*cond_on)(long i);   /* 1 when retarget(i) leaves the cond key
				     non-NULL; i = -1: initially */
	long *(*cond_hits)(void); /* this thread's count of calls that reached
				     the cond key's target */
};

static const struct stress_prog *stress_p;
static volatile int stress_stop;
static _Atomic long stress_seq, stress_calls, stress_bad;
/* Checks that ruled out some outcome (strict), those that allowed every
 * one (loose), and the strict ones started while retarget()s ran. */
static _Atomic long stress_strict, stress_loose, stress_strict_live;
/* The largest s1 of a finished check: retarget(i + 1) waits until a call
 * that started after retarget(i) returned was checked, so that every
 * update is tested, on a busy machine too. */
static _Atomic long stress_seen;
static pthread_t stress_th[4];
/* The first violation, printed at the end (the check may run in a signal
 * handler, where printing is not safe). */
static _Atomic int stress_first_taken;
static long stress_first[4]; /* s1, s2, what was reached, 1 = cond */

static void stress_violation(long s1, long s2, long got, int cond)
{
	int no = 0;

	stress_bad++;
	if (atomic_compare_exchange_strong(&stress_first_taken, &no, 1)) {
		stress_first[0] = s1, stress_first[1] = s2;
		stress_first[2] = got, stress_first[3] = cond;
	}
}

static void stress_count(long s1, int strict)
{
	long m = atomic_load(&stress_seen);

	while (s1 > m && !atomic_compare_exchange_weak(&stress_seen, &m, s1))
		;
	if (!strict) {
		stress_loose++;
		return;
	}
	stress_strict++;
	if (s1 > 0 && s1 < stress_p->n)
		stress_strict_live++;
}

/* The last retarget() that may have run by the time seq was s2. */
static long stress_last(long s2)
{
	return s2 < stress_p->n ? s2 : stress_p->n - 1;
}

/* A call through the plain key started at s1 returned id r. */
static void stress_check(long s1, int r)
{
	long s2 = atomic_load(&stress_seq);
	unsigned long may = 0, all = (2ul << (stress_p->ntargets - 1)) - 1;

	for (long j = s1 - 1; j <= stress_last(s2); j++)
		may |= 1ul << stress_p->target(j);
	stress_calls++;
	if (r < 0 || r >= stress_p->ntargets || !(may & (1ul << r)))
		stress_violation(s1, s2, r, 0);
	stress_count(s1, may != all);
}

/* A cond call started at s1 reached the target `hits` times. */
static void stress_check_cond(long s1, long hits)
{
	long s2 = atomic_load(&stress_seq);
	int on = 0, off = 0;

	for (long j = s1 - 1; j <= stress_last(s2); j++) {
		if (stress_p->cond_on(j))
			on = 1;
		else
			off = 1;
	}
	stress_calls++;
	if (!((hits == 1 && on) || (hits == 0 && off)))
		stress_violation(s1, s2, hits, 1);
	stress_count(s1, !(on && off));
}

#define STRESS_CALL(expr)                                                      \
	do {                                                                   \
		long s1_ = atomic_load(&stress_seq);                           \
		int r_ = (expr);                                               \
		stress_check(s1_, r_);                                         \
	} while (0)

#define STRESS_COND(stmt)                                                      \
	do {                                                                   \
		volatile long *h_ = stress_p->cond_hits();                     \
		long s1_ = atomic_load(&stress_seq), n_ = *h_;                 \
		stmt;                                                          \
		stress_check_cond(s1_, *h_ - n_);                              \
	} while (0)

static void stress_on_sig(int s)
{
	/* Calls made here must not show in the count of the call this
	 * handler interrupted. */
	long *h = stress_p->cond_hits(), saved = *h;

	(void)s;
	stress_p->calls();
	*h = saved;
}

static void *stress_caller(void *arg)
{
	(void)arg;
	while (!stress_stop)
		stress_p->calls();
	return NULL;
}

static void *stress_signaller(void *arg)
{
	(void)arg;
	while (!stress_stop) {
		for (int i = 0; i < 4; i++)
			pthread_kill(stress_th[i], SIGUSR1);
		usleep(200);
	}
	return NULL;
}

/*
 * 0 when the run held the rule, else 1 after saying why on stderr: a
 * violation, a retarget() error (the run stops), or a run whose checks
 * could not have failed.
 */
static int stress_run(const struct stress_prog *p)
{
	struct sigaction sa = { .sa_handler = stress_on_sig, .sa_flags = SA_RESTART };
	pthread_t sg;
	int err = 0;

	stress_p = p;
	sigaction(SIGUSR1, &sa, NULL);
	for (int i = 0; i < 4; i++)
		pthread_create(&stress_th[i], NULL, stress_caller, NULL);
	pthread_create(&sg, NULL, stress_signaller, NULL);
	while (stress_calls < 10000)
		usleep(100);
	for (int i = 0; i < p->n && !err; i++) {
		err = p->retarget(i);
		atomic_store(&stress_seq, i + 1);
		/* Spin first: the callers run on the other cores. */
		for (long k = 0; atomic_load(&stress_seen) < i + 1; k++)
			if (k > 10000)
				sched_yield();
	}
	stress_stop = 1;
	for (int i = 0; i < 4; i++)
		pthread_join(stress_th[i], NULL);
	pthread_join(sg, NULL);
	fprintf(stderr, "stress: %ld calls (%ld strict checks, %ld of them while "
			"retargeting, %ld loose), %ld violations\n",
		(long)stress_calls, (long)stress_strict, (long)stress_strict_live,
		(long)stress_loose, (long)stress_bad);
	if (err) {
		fprintf(stderr, "FAIL: retarget: %d\n", err);
		return 1;
	}
	if (stress_bad) {
		fprintf(stderr, "FAIL: a %s call made after retarget(%ld) returned and "
				"before retarget(%ld) did %s %ld%s: stale\n",
			stress_first[3] ? "cond" : "plain", stress_first[0] - 1,
			stress_first[1], stress_first[3] ? "reached its target" : "reached target",
			stress_first[2], stress_first[3] ? " time(s)" : "");
		return 1;
	}
	if (!stress_strict_live) {
		fprintf(stderr, "FAIL: no call could have seen a stale target\n");
		return 1;
	}
	return 0;
}
#endif
