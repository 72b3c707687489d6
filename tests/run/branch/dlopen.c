/* SPDX-License-Identifier: MIT */
/*
 * A module dlopen'ed after flips starts in the current state of every key
 * it tests (keys of another module, libbrsites), follows later flips, and
 * its own key starts at its default after each reload.  Then dlopen and
 * dlclose in a loop while another thread flips the keys (bounded): each
 * time, the module's branches show the state of a flip at or after the
 * last one that returned before the test (sequence numbers, as
 * br_stress), and the runtime's counts go back after each dlclose.
 * Argument: the module; "slow" after it (valgrind) makes fewer rounds.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>

#include "br_test.h"

struct mod {
	void *h;
	int (*take)(int, int);
	const struct scall_branch_rec *(*records)(const struct scall_branch_rec **);
	int (*own_take)(int);
	int (*own_flip)(int);
	int (*own_enabled)(void);
};

static struct mod load(const char *path)
{
	struct mod m = { .h = dlopen(path, RTLD_NOW | RTLD_LOCAL) };

	if (!m.h)
		fprintf(stderr, "dlopen: %s\n", dlerror());
	CHECK(m.h);
	*(void **)&m.take = dlsym(m.h, "mod_take");
	*(void **)&m.records = dlsym(m.h, "mod_records");
	*(void **)&m.own_take = dlsym(m.h, "mod_own_take");
	*(void **)&m.own_flip = dlsym(m.h, "mod_own_flip");
	*(void **)&m.own_enabled = dlsym(m.h, "mod_own_enabled");
	CHECK(m.take && m.records && m.own_take && m.own_flip && m.own_enabled);
	return m;
}

/* Every branch of m (the four keys in state st, its own key in own) in
 * its bytes and in what it does. */
static void check_mod(struct mod *m, const int *st, int own, int line)
{
	const struct scall_branch_rec *b, *e;

	b = m->records(&e);
	CHECK_EQ(e - b, 10);
	for (int k = 0; k < BR_NKEYS; k++) {
		CHECK_EQ(br_check_records(b, e, br_key(k), st[k], line), 2);
		for (int f = 0; f < 2; f++)
			if (m->take(k, f) != st[k]) {
				fprintf(stderr, "line %d: key %d form %d\n",
					line, k, f);
				abort();
			}
	}
	CHECK_EQ(m->own_enabled(), own);
	CHECK_EQ(m->own_take(0), own);
	CHECK_EQ(m->own_take(1), own);
}

#define MAXFLIPS 100000
static uint8_t want[MAXFLIPS + 2];
static _Atomic long seq;
static volatile int stop;

static void *flipper(void *p)
{
	(void)p;
	for (long n = 1; n <= MAXFLIPS && !stop; n++) {
		int k = (int)((n - 1) % BR_NKEYS);

		CHECK_EQ(__scall_branch_op(br_key(k), want[n] >> k & 1
							 ? SCALL_BRANCH_OP_ENABLE
							 : SCALL_BRANCH_OP_DISABLE),
			 0);
		atomic_store(&seq, n);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int st[BR_NKEYS] = { 0, 1, 0, 1 }, rounds, strict = 0, loose = 0;
	struct scall_stats s0, s;
	struct mod m;
	pthread_t th;

	CHECK(argc > 1);
	rounds = argc > 2 && !strcmp(argv[2], "slow") ? 20 : 1000;
	setvbuf(stdout, NULL, _IONBF, 0);
	s0 = rt_stats();
	CHECK_EQ(s0.branches, 8); /* libbrsites' own sites */

	/* Flipped before the load: the module starts in these states. */
	CHECK_EQ(scall_branch_enable(bk0), 0);
	CHECK_EQ(scall_branch_disable(bk1), 0);
	CHECK_EQ(scall_branch_inc(bk2), 0);
	CHECK_EQ(scall_branch_inc(bk2), 0); /* count 2 */
	st[0] = 1, st[1] = 0, st[2] = 1;
	m = load(argv[1]);
	s = rt_stats();
	CHECK_EQ(s.branches, s0.branches + 10);
	CHECK_EQ(s.branches_refused, 0);
	check_mod(&m, st, 1, __LINE__);
	/* and follows flips */
	CHECK_EQ(scall_branch_dec(bk2), 0);
	check_mod(&m, st, 1, __LINE__); /* count 1: still enabled */
	CHECK_EQ(scall_branch_dec(bk2), 0);
	CHECK_EQ(scall_branch_disable(bk3), 0);
	CHECK_EQ(m.own_flip(0), 0);
	st[2] = 0, st[3] = 0;
	check_mod(&m, st, 0, __LINE__);
	CHECK_EQ(scall_branch_enable(bk1), 0);
	st[1] = 1;
	check_mod(&m, st, 0, __LINE__);
	/* Reloaded: its own key is fresh (enabled), the others' state kept. */
	CHECK_EQ(dlclose(m.h), 0);
	CHECK_EQ(rt_stats().branches, s0.branches);
	CHECK_EQ(scall_branch_enable(bk3), 0);
	st[3] = 1;
	m = load(argv[1]);
	check_mod(&m, st, 1, __LINE__);
	CHECK_EQ(dlclose(m.h), 0);
	printf("load after flips: ok\n");

	/* dlopen/dlclose while another thread flips. */
	want[0] = 0;
	for (int k = 0; k < BR_NKEYS; k++)
		want[0] |= (uint8_t)(st[k] << k);
	for (long n = 1; n <= MAXFLIPS; n++)
		want[n] = (uint8_t)(want[n - 1] ^ 1u << ((n - 1) % BR_NKEYS));
	CHECK(pthread_create(&th, NULL, flipper, NULL) == 0);
	for (int r = 0; r < rounds; r++) {
		m = load(argv[1]);
		for (int k = 0; k < BR_NKEYS; k++)
			for (int f = 0; f < 2; f++) {
				long s1 = atomic_load(&seq);
				int v = m.take(k, f);
				long s2 = atomic_load(&seq);
				/* the flipper stops after MAXFLIPS */
				long hi = s2 < MAXFLIPS ? s2 + 1 : MAXFLIPS;
				int seen[2] = { 0, 0 };

				for (long j = s1; j <= hi; j++)
					seen[want[j] >> k & 1] = 1;
				if (seen[0] && seen[1]) {
					loose++;
					continue;
				}
				strict++;
				if (!seen[v]) {
					fprintf(stderr, "round %d: key %d form %d "
						"after flip %ld (seq now %ld): %d\n",
						r, k, f, s1, s2, v);
					abort();
				}
			}
		CHECK_EQ(dlclose(m.h), 0);
	}
	stop = 1;
	pthread_join(th, NULL);
	s = rt_stats();
	printf("dlopen/dlclose while flipping: %d rounds, %ld flips, %d strict "
	       "checks, %d loose\n",
	       rounds, (long)seq, strict, loose);
	CHECK_EQ(s.branches, s0.branches);
	CHECK_EQ(s.branches_refused, 0);
	CHECK(strict > 0);
	/* Quiet now: one more load is exactly in the last flip's state. */
	for (int k = 0; k < BR_NKEYS; k++)
		st[k] = want[seq] >> k & 1;
	m = load(argv[1]);
	check_mod(&m, st, 1, __LINE__);
	CHECK_EQ(dlclose(m.h), 0);
	puts("ok");
	return 0;
}
