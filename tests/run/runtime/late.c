/* SPDX-License-Identifier: MIT */
/*
 * Late delivery of the SIGTRAP, made deterministic with the handler's test
 * hook: a caller thread hits the INT3 of a cycle, and its handler is held
 * until
 *   A. the cycle has finished (byte 0 is the new opcode again): the handler
 *      must resume at the site, which runs the new instruction;
 *   B. a newer cycle has put INT3 back on byte 0 for yet another target:
 *      the handler must emulate the key's current (newest) target.
 * Neither case may run an old target, lose the call or run it twice.
 * Each wait is bounded (5 s); a missed handshake fails the test.
 */
#include <pthread.h>

#include "common_keys.h"

static volatile int ran_a, ran_b, ran_c;
static int fa(int x) { ran_a++; return x + 1; }
static int fb(int x) { ran_b++; return x + 2; }
static int fc(int x) { ran_c++; return x + 3; }
int (*key_a)(int) SCALL_KEY = fa;
DEFINE_OTHER_KEYS;

/* Handshake flags, all accessed with __atomic builtins. */
static int go;        /* main -> caller: call now (1: call_a, 2: jmp_a) */
static int trapped;   /* caller's handler -> main: held at the INT3 */
static int release;   /* main -> caller's handler: go on */
static int result;    /* caller -> main: the call's value, or 0 */
static int late_byte0; /* byte 0 the held handler saw when released */
static const uint8_t *watched;

static void trap_hook(uintptr_t ip)
{
	if ((const uint8_t *)ip != watched)
		return;
	__atomic_store_n(&trapped, 1, __ATOMIC_RELEASE);
	rt_wait_for(&release, 1, "release");
	late_byte0 = *(volatile const uint8_t *)ip;
}

static void *caller(void *arg)
{
	(void)arg;
	for (;;) {
		int g;
		while ((g = __atomic_load_n(&go, __ATOMIC_ACQUIRE)) == 0)
			;
		if (g < 0)
			return NULL;
		__atomic_store_n(&go, 0, __ATOMIC_RELAXED);
		int r = g == 1 ? call_a(10) : jmp_a(10);
		__atomic_store_n(&result, r, __ATOMIC_RELEASE);
	}
}

/* Scenario state for the step hook. */
static int scenario, cycle;

static void step_hook(int step)
{
	if (step != 1)
		return;
	cycle++;
	if (cycle == 1) {
		/* INT3 is on byte 0 of every site: send the caller into it
		 * and hold its handler there. */
		__atomic_store_n(&go, scenario, __ATOMIC_RELEASE);
		rt_wait_for(&trapped, 1, "the caller to trap");
	} else if (cycle == 2) {
		/* Case B: a newer cycle has INT3 on byte 0 again. */
		__atomic_store_n(&release, 1, __ATOMIC_RELEASE);
		rt_wait_for(&result, 13, "the caller's call to reach fc");
	}
}

static void reset(int sc)
{
	scenario = sc;
	cycle = 0;
	trapped = release = result = late_byte0 = 0;
	ran_a = ran_b = ran_c = 0;
}

/* Sends the caller into the INT3 of the cycle fa -> fb (a call or a tail
 * jmp site) and lets that cycle finish with the caller's handler held.
 * Returns the stats from before it; step_hook stays installed. */
static struct scall_stats hold_in_first_cycle(int sc)
{
	struct scall_stats s0;

	CHECK(scall_update(key_a, fa) == 0);
	reset(sc);
	watched = sc == 1 ? site_call_a : site_jmp_a;
	s0 = rt_stats();
	__scall_test_hook = step_hook;
	CHECK(scall_update(key_a, fb) == 0);
	CHECK_EQ(cycle, 1);
	return s0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct scall_stats s0 = rt_stats(), s;
	pthread_t th;

	if (strcmp(s0.writer, "none") == 0) {
		puts("SKIP: no code writer (sites are never patched)");
		return 77;
	}
	CHECK(pthread_create(&th, NULL, caller, NULL) == 0);
	__scall_test_trap_hook = trap_hook;

	/* A: held past the end of the cycle fa -> fb (call, then tail jmp). */
	for (int sc = 1; sc <= 2; sc++) {
		s0 = hold_in_first_cycle(sc);
		__scall_test_hook = NULL;
		CHECK(watched[0] != 0xcc);
		__atomic_store_n(&release, 1, __ATOMIC_RELEASE);
		rt_wait_for(&result, 12, "the late call to reach fb");
		s = rt_stats();
		CHECK(late_byte0 != 0xcc);
		CHECK_EQ(ran_a, 0);
		CHECK_EQ(ran_b, 1);
		/* resumed at the site, not emulated */
		CHECK_EQ(s.traps - s0.traps, 0);
		printf("late A (%s): resumed at the site, fb ran once\n",
		       sc == 1 ? "call" : "jmp");
	}

	/* B: held across the cycle fa -> fb into the cycle fb -> fc. */
	for (int sc = 1; sc <= 2; sc++) {
		s0 = hold_in_first_cycle(sc);
		CHECK(scall_update(key_a, fc) == 0); /* step_hook releases */
		__scall_test_hook = NULL;
		CHECK_EQ(cycle, 2);
		s = rt_stats();
		CHECK_EQ(late_byte0, 0xcc);
		CHECK_EQ(ran_a, 0);
		CHECK_EQ(ran_b, 0);
		CHECK_EQ(ran_c, 1);
		CHECK_EQ(s.traps - s0.traps, 1); /* emulated */
		printf("late B (%s): emulated the newest target, fc ran once\n",
		       sc == 1 ? "call" : "jmp");
	}

	__scall_test_trap_hook = NULL;
	__atomic_store_n(&go, -1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	CHECK_EQ(call_a(1), 4);
	CHECK_EQ(jmp_a(1), 4);
	puts("ok");
	return 0;
}
