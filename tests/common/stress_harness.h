/* SPDX-License-Identifier: MIT */
/*
 * The concurrency harness of the end-to-end stress programs
 * (tests/run/plugin/e2e_stress.c, tests/run/clang/mixed_stress.c): four
 * threads run the program's calls() in a loop, a fifth sends them SIGUSR1
 * every 200 us (the handler runs calls() too), and once 10,000 results have
 * been checked the main thread runs retarget(0 .. n-1) while they go on.
 * Bounded by n.  calls() passes each result to stress_check().
 */
#ifndef SCALL_STRESS_HARNESS_H
#define SCALL_STRESS_HARNESS_H
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

static volatile int stress_stop;
static _Atomic long stress_calls, stress_bad;
static pthread_t stress_th[4];
static void (*stress_calls_fn)(void);

/* A result must be the id (0, 1 or 2) of a target that was installed. */
static void stress_check(int r)
{
	if (r < 0 || r > 2)
		stress_bad++;
	stress_calls++;
}

static void stress_on_sig(int s)
{
	(void)s;
	stress_calls_fn();
}

static void *stress_caller(void *arg)
{
	(void)arg;
	while (!stress_stop)
		stress_calls_fn();
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

/* 0, or the first non-zero value retarget() returned (the run stops). */
static int stress_run(void (*calls)(void), int (*retarget)(int i), int n)
{
	struct sigaction sa = { .sa_handler = stress_on_sig, .sa_flags = SA_RESTART };
	pthread_t sg;
	int err = 0;

	stress_calls_fn = calls;
	sigaction(SIGUSR1, &sa, NULL);
	for (int i = 0; i < 4; i++)
		pthread_create(&stress_th[i], NULL, stress_caller, NULL);
	pthread_create(&sg, NULL, stress_signaller, NULL);
	while (stress_calls < 10000)
		usleep(100);
	for (int i = 0; i < n && !err; i++)
		err = retarget(i);
	stress_stop = 1;
	for (int i = 0; i < 4; i++)
		pthread_join(stress_th[i], NULL);
	pthread_join(sg, NULL);
	return err;
}
#endif
