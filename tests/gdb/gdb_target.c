/* SPDX-License-Identifier: MIT */
/*
 * The program `info scall` is checked on (tests/gdb/run.py): keys updated
 * to every kind of target, sites in several modules, refused sites.  It
 * prints what it knows of itself -- scall_stats() and the sites' bytes as
 * tests/common/site_check.h reads them -- then stops in gdb_checkpoint(),
 * where the test runs `info scall` and compares.
 *
 * Keys, each after its update (run.py holds the same table):
 *   k_near  -> near_b         direct here; on the trampoline in
 *                             libgdbt_lib.so (out of rel32 range there)
 *   k_far   -> lib_far_target  (libgdbt_lib.so) out of range: trampoline
 *   k_cond  -> NULL (cond)    a call site becomes a 5-byte NOP
 *   k_ret0  -> scall_return0  a call site becomes xorl %eax,%eax
 *   k_null  -> NULL (plain)   its site stays on the trampoline
 *   ops.get -> near_a, ops.put -> near_b: a struct key, both members direct
 * libgdbt_refused.so (refused.S) adds a refused site and a site whose
 * trampoline has no record; libgdbt_badhdr.so a header the runtime refuses.
 *
 * Before that, a thread calls through a site while an update holds it on
 * INT3 (the runtime's test hook waits for the call): under gdb the call
 * completes only if the SIGTRAP reaches libscall's handler, which the
 * extension's catchpoint sees to.
 */
#include <pthread.h>
#include <sched.h>
#include <scall.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/site_check.h"

__attribute__((noinline)) long near_a(long x) { return x + 1; }
__attribute__((noinline)) long near_b(long x) { return x + 2; }
__attribute__((noinline)) void sink(long x) { __asm__ volatile("" ::"r"(x)); }

long lib_far_target(long x);       /* libgdbt_lib.so */
long lib_call_near(long x);        /* libgdbt_lib.so: calls k_near */
void refused_touch(void);          /* libgdbt_refused.so */
void badhdr_touch(void);           /* libgdbt_badhdr.so */

SCALL_DEFINE(k_near, near_a);
SCALL_DEFINE(k_far, near_a);
SCALL_DEFINE_NULL(k_cond, sink);
SCALL_DEFINE_RET0(k_ret0, near_a);
SCALL_DEFINE(k_null, near_a);
struct ops {
	long (*get)(long);
	long (*put)(long);
};
struct ops ops SCALL_KEY = { near_b, near_a };

__attribute__((noinline)) long call_near(long x) { return k_near(x) * 3; }
__attribute__((noinline)) long tail_near(long x) { return scall(k_near)(x); }
__attribute__((noinline)) long call_far(long x) { return k_far(x) * 3; }
__attribute__((noinline)) void fire_cond(long x) { scall_cond(k_cond)(x); }
__attribute__((noinline)) long call_ret0(long x) { return k_ret0(x) * 3; }
__attribute__((noinline)) long call_null(long x) { return k_null(x) * 3; }
__attribute__((noinline)) long call_ops(long x) { return ops.get(x) * ops.put(x); }

/* The runtime's test hook (include/scall.h): called at each step of a
 * patch cycle, step 1 being every changing window on INT3. */
extern void (*volatile __scall_test_hook)(int step);
/* Spins of a thread waiting for the other one: bounded, not timed. */
#define TRAP_SPINS 10000000L
static int trap_go, trap_done;
static long trap_result;

static void wait_flag(int *flag, const char *what)
{
	for (long i = 0; !__atomic_load_n(flag, __ATOMIC_ACQUIRE); i++) {
		if (i == TRAP_SPINS) {
			fprintf(stderr, "target: FAIL: %s never came\n", what);
			abort();
		}
		sched_yield();
	}
}

static void *trap_caller(void *arg)
{
	(void)arg;
	wait_flag(&trap_go, "the update's INT3 step");
	trap_result = call_near(1); /* traps on the parked site */
	__atomic_store_n(&trap_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void trap_hook(int step)
{
	if (step != 1)
		return;
	__atomic_store_n(&trap_go, 1, __ATOMIC_RELEASE);
	wait_flag(&trap_done, "the call through the parked site");
}

/* One call through a site parked on INT3: it must reach the new target. */
static int call_through_int3(void)
{
	pthread_t th;

	if (pthread_create(&th, NULL, trap_caller, NULL))
		return 0;
	__scall_test_hook = trap_hook;
	int err = scall_update(k_near, near_a);
	__scall_test_hook = NULL;
	pthread_join(th, NULL);
	return !err && trap_result == near_a(1) * 3;
}

/* gdb stops here: everything above is in its final state. */
__attribute__((noinline)) void gdb_checkpoint(void) { __asm__ volatile(""); }

int main(int argc, char **argv)
{
	struct scall_stats st;
	struct site_count c;
	long sum;

	(void)argv;
	if (scall_update(k_near, near_b) || scall_update(k_far, lib_far_target) ||
	    scall_update(k_cond, NULL) || scall_update(k_ret0, scall_return0) ||
	    scall_update(k_null, NULL) || scall_update(ops.get, near_a) ||
	    scall_update(ops.put, near_b)) {
		fprintf(stderr, "target: scall_update failed\n");
		return 1;
	}
	/* k_near to near_a through the INT3 step, and back. */
	if (!call_through_int3() || scall_update(k_near, near_b)) {
		fprintf(stderr, "target: FAIL: the call through the parked site "
				"returned %ld\n", trap_result);
		return 1;
	}
	fire_cond(1);
	sum = call_near(1) + tail_near(1) + call_far(1) + call_ret0(1) +
	      call_ops(1) + lib_call_near(1);
	/* Never true: keeps the plain NULL key's call site in the program. */
	if (argc > 100)
		sum += call_null(1);
	if (argc > 100) {
		refused_touch();
		badhdr_touch();
	}
	printf("target: sum %ld\n", sum);
	if (scall_stats(&st)) {
		fprintf(stderr, "target: scall_stats failed\n");
		return 1;
	}
	c = site_check();
	printf("target: stats modules %zu sites %zu direct %zu trampoline %zu "
	       "refused %zu unresolved %zu trampolines %zu updates %llu "
	       "traps %llu syncs %llu writer %s\n",
	       st.modules, st.sites, st.sites_direct, st.sites_trampoline,
	       st.sites_refused, st.sites_unresolved, st.trampolines,
	       (unsigned long long)st.updates, (unsigned long long)st.traps,
	       (unsigned long long)st.syncs, st.writer);
	printf("target: memory direct %zu via_tramp %zu\n", c.direct, c.via_tramp);
	fflush(stdout);
	gdb_checkpoint();
	return 0;
}
