/* SPDX-License-Identifier: MIT */
/*
 * Stress: 3 threads take the branches of 4 keys (two of each default),
 * in both forms, through sites in this module and in br_sites.c (linked
 * in, or a shared object), while this thread makes 10^4 flips, each
 * toggling one key in turn: enable/disable, inc/dec, and batches of
 * scall_update_batch_branches that also retarget a call key (one with
 * INC, INC, DEC: in order, a net +1).  A signaller thread sends SIGUSR1
 * to every thread, flipper included; the handler takes a branch too.
 * Bounded by BR_STRESS_SECONDS (20 s).
 *
 * Checks: a branch taken after flip s returned (seq >= s, read before the
 * test) shows the state of a flip in [s, s2 + 1], s2 the sequence read
 * after the test (flip s2 + 1 may be in flight); since a flip changes one
 * key, most tests fall where their key has one state ("strict").  Every
 * flip costs exactly 3 syncs; at the end every site's bytes, the stats
 * and scall_branch_enabled() agree with the last flip.  Built with
 * -DSCALL_NO_ASM (br_stress_noasm) the same checks hold with no patching.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "br_test.h"

/* The keys are br_sites.c's: with BR_SITES_IN_SO, another module's. */
BR_SITES(main)

/* With -DSCALL_NO_ASM every test is a load of the count: no record, no
 * module, nothing to patch, the same results. */
#ifdef SCALL_NO_ASM
#define PATCHED 0
#else
#define PATCHED 1
#endif

#define NREADERS 3
#define MAXFLIPS 10000

static int ta(void) { return 1; }
static int tb(void) { return 2; }
int (*bfn)(void) SCALL_KEY = ta;

static uint8_t want[MAXFLIPS + 2]; /* bit k: key k's state after flip n */
static long nflips = MAXFLIPS;
static _Atomic long seq;
static volatile int stop;
static _Atomic long tests, strict, loose, sig_tests, failures;

static void check(int k, long s1, int v, long s2)
{
	long hi = s2 + 1 > nflips ? nflips : s2 + 1;
	int seen0 = 0, seen1 = 0;

	for (long j = s1; j <= hi; j++) {
		if (want[j] >> k & 1)
			seen1 = 1;
		else
			seen0 = 1;
	}
	if (seen0 && seen1) {
		loose++;
		return;
	}
	if (v == seen1) {
		strict++;
		return;
	}
	if (++failures > 20)
		return; /* the first ones say enough */
	fprintf(stderr, "key %d tested after flip %ld (seq now %ld): %s, "
			"expected %s\n",
		k, s1, s2, v ? "enabled" : "disabled",
		seen1 ? "enabled" : "disabled");
}

static int take(long i, int *k)
{
	int form = (int)(i / BR_NKEYS % 2);

	*k = (int)(i % BR_NKEYS);
	return i / (2 * BR_NKEYS) % 2 ? lib_take(*k, form)
				      : main_take(*k, form);
}

static void on_usr1(int sig)
{
	static _Atomic long n;
	long s1 = atomic_load(&seq), i = n++;
	int k, v = take(i, &k);

	(void)sig;
	check(k, s1, v, atomic_load(&seq));
	sig_tests++;
}

static pthread_t readers[NREADERS], flipper;
static struct {
	_Atomic long n;
	char pad[64 - sizeof(long)];
} made[NREADERS];

static long made_total(void)
{
	long t = 0;
	for (int i = 0; i < NREADERS; i++)
		t += atomic_load_explicit(&made[i].n, memory_order_relaxed);
	return t;
}

static void *reader(void *p)
{
	long n = 0, r = (long)(intptr_t)p;

	while (!stop) {
		long s1 = atomic_load(&seq);
		int k, v = take(n + r, &k);

		check(k, s1, v, atomic_load(&seq));
		n++;
		atomic_store_explicit(&made[r].n, n, memory_order_relaxed);
	}
	tests += n;
	return NULL;
}

static void *signaller(void *p)
{
	struct timespec ts = { 0, 50000 };

	(void)p;
	for (int i = 0; !stop; i++) {
		pthread_kill(i % (NREADERS + 1) == NREADERS ? flipper
							    : readers[i % (NREADERS + 1)],
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

/* Flip n: toggle key (n - 1) % 4 to `on`, in one of four ways. */
static int flip(long n, int on)
{
	int k = (int)((n - 1) % BR_NKEYS), how = (int)((n - 1) / BR_NKEYS % 4);
	struct scall_branch_key *key = br_key(k);
	struct scall_update u = SCALL_UPDATE(bfn, n & 1 ? tb : ta);
	struct scall_branch_update b[3] = { { key, SCALL_BRANCH_OP_INC },
					    { key, SCALL_BRANCH_OP_INC },
					    { key, SCALL_BRANCH_OP_DEC } };
	int e;

	switch (how) {
	case 0:
		return __scall_branch_op(key, on ? SCALL_BRANCH_OP_ENABLE
						 : SCALL_BRANCH_OP_DISABLE);
	case 1:
		return __scall_branch_op(key, on ? SCALL_BRANCH_OP_INC
						 : SCALL_BRANCH_OP_DEC);
	case 2:
		b[0].op = on ? SCALL_BRANCH_OP_ENABLE : SCALL_BRANCH_OP_DISABLE;
		e = scall_update_batch_branches(&u, 1, b, 1);
		break;
	default:
		if (!on)
			b[0].op = SCALL_BRANCH_OP_DEC;
		e = scall_update_batch_branches(&u, 1, b, on ? 3 : 1);
		break;
	}
	if (!e && scall_query(bfn) != (n & 1 ? tb : ta))
		return -1000; /* the batch's key update was lost */
	return e;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	pthread_t sg;
	struct scall_stats s0, s;
	const struct scall_branch_rec *mb, *me, *lb, *le;
	double ta0, tb0, seconds = (double)env_long("BR_STRESS_SECONDS", 20);
	long n;

	setvbuf(stdout, NULL, _IONBF, 0);
	nflips = env_long("BR_STRESS_FLIPS", MAXFLIPS);
	CHECK(nflips >= 1 && nflips <= MAXFLIPS);
	want[0] = 0xa; /* keys 1 and 3 start enabled */
	for (n = 1; n <= nflips + 1; n++)
		want[n] = (uint8_t)(want[n - 1] ^ 1u << ((n - 1) % BR_NKEYS));
	for (int k = 0; k < BR_NKEYS; k++)
		for (int f = 0; f < 2; f++)
			CHECK(main_take(k, f) == (want[0] >> k & 1) &&
			      lib_take(k, f) == (want[0] >> k & 1));

	mb = main_records(&me);
	lb = lib_records(&le);
	s0 = rt_stats();
	CHECK_EQ(s0.branches, 16 * PATCHED);
	CHECK_EQ(s0.branches_jmp, 8 * PATCHED);
	CHECK_EQ(s0.branches_refused, 0);

	sigaction(SIGUSR1, &sa, NULL);
	flipper = pthread_self();
	for (int i = 0; i < NREADERS; i++)
		CHECK(pthread_create(&readers[i], NULL, reader,
				     (void *)(intptr_t)i) == 0);
	CHECK(pthread_create(&sg, NULL, signaller, NULL) == 0);
	ta0 = now();
	/* Each flip waits until the readers made two tests (so that one
	 * began after it returned), or 50 us. */
	for (n = 1; n <= nflips && now() - ta0 < seconds; n++) {
		int e = flip(n, want[n] >> ((n - 1) % BR_NKEYS) & 1);

		if (e) {
			fprintf(stderr, "flip %ld: %d\n", n, e);
			failures++;
			break;
		}
		atomic_store(&seq, n);
		for (long m = made_total() + 2, t = (long)(now() * 1e6);
		     made_total() < m && (long)(now() * 1e6) - t < 50;)
			;
	}
	n--;
	tb0 = now();
	/* Until a handler has tested (the signaller started late). */
	for (double t = now(); !sig_tests && now() - t < 5;)
		;
	stop = 1;
	for (int i = 0; i < NREADERS; i++)
		pthread_join(readers[i], NULL);
	pthread_join(sg, NULL);
	s = rt_stats();
	printf("branch stress: %ld flips in %.2f s (%.1f us each), %ld tests "
	       "(%ld strict, %ld loose), %ld from signal handlers, %llu traps, "
	       "%llu syncs (%.2f per flip), writer %s, failures %ld\n",
	       n, tb0 - ta0, (tb0 - ta0) * 1e6 / (double)n, (long)tests,
	       (long)strict, (long)loose, (long)sig_tests,
	       (unsigned long long)(s.traps - s0.traps),
	       (unsigned long long)(s.syncs - s0.syncs),
	       (double)(s.syncs - s0.syncs) / (double)n, s.writer,
	       (long)failures);
	CHECK_EQ(failures, 0);
	CHECK(n >= (nflips < 1000 ? nflips : 1000));
	CHECK(strict > loose);
	CHECK_EQ(s.updates - s0.updates, n);
	CHECK(sig_tests > 0);
	if (strcmp(s.writer, "none"))
		CHECK_EQ(s.syncs - s0.syncs, 3 * (uint64_t)n * PATCHED);
	CHECK_EQ(s.branches, 16 * PATCHED);
	CHECK_EQ(s.branches_jmp, 8 * PATCHED);
	CHECK_EQ(s.branches_refused, 0);
	for (int k = 0; k < BR_NKEYS; k++) {
		int on = want[n] >> k & 1;

		CHECK_EQ(__atomic_load_n(&br_key(k)->count, __ATOMIC_RELAXED) > 0, on);
		/* one table when br_sites.c is linked in */
		CHECK_EQ(br_check_records(mb, me, br_key(k), on, __LINE__),
			 (mb == lb ? 4 : 2) * PATCHED);
		if (mb != lb)
			CHECK_EQ(br_check_records(lb, le, br_key(k), on,
						  __LINE__), 2 * PATCHED);
		for (int f = 0; f < 2; f++)
			CHECK(main_take(k, f) == on && lib_take(k, f) == on);
	}
	CHECK(scall_branch_enabled(bk0) == (want[n] & 1));
	CHECK(scall_branch_enabled(bk3) == (want[n] >> 3 & 1));
	puts("ok");
	return 0;
}
