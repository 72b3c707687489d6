/* SPDX-License-Identifier: MIT */
/*
 * Flip latency: an enable + disable round trip of a key with 1, 10, 100,
 * 1000 and 10^4 sites (each site its own function, generated below), in
 * microseconds per flip (median, p90, mean over the round trips' halves)
 * and cross-core syncs per flip (scall_stats), with 0 and 2 threads
 * running through the 1-site key meanwhile.  Prints a table; asserts
 * nothing about time.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "scall.h"

SCALL_BRANCH_DEFINE_FALSE(bf1);
SCALL_BRANCH_DEFINE_FALSE(bf10);
SCALL_BRANCH_DEFINE_FALSE(bf100);
SCALL_BRANCH_DEFINE_FALSE(bf1000);
SCALL_BRANCH_DEFINE_FALSE(bf10000); /* flip_sites.h declares it */

/* The sites: 1, 10, 100 and 1000 here, the 10^4 of bf10000 in ten units
 * of flip_sites.c (gcc's time grows with the square of the asm gotos in a
 * unit: 2.4 s for 1111 of them, 190 s for 11111). */
#include "flip_sites.h"
SITE(bf1)
R10(bf10)
R100(bf100)
R1000(bf1000)

/* The 1-site key's own test, for the threads running through it. */
__attribute__((noinline)) static int live(int x)
{
	if (scall_branch_unlikely(bf1))
		return x + 1;
	return x;
}

static struct {
	int n;
	struct scall_branch_key *key;
} rows[] = {
	{ 1, &bf1.key },       { 10, &bf10.key },     { 100, &bf100.key },
	{ 1000, &bf1000.key }, { 10000, &bf10000.key },
};
#define NROWS (int)(sizeof(rows) / sizeof(rows[0]))

static volatile int stop;
static volatile long sink;

static void *runner(void *p)
{
	long s = 0;

	(void)p;
	while (!stop)
		s += live(1);
	sink = s;
	return NULL;
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(void)
{
	struct scall_stats st;

	if (scall_stats(&st))
		return 1;
	printf("static branches registered: %zu (writer %s)\n", st.branches,
	       st.writer);
	printf("%7s %8s | %10s %10s %10s | %10s\n", "sites", "threads",
	       "median us", "p90 us", "mean us", "syncs/flip");
	for (int nth = 0; nth <= 2; nth += 2) {
		pthread_t th[2];

		stop = 0;
		for (int i = 0; i < nth; i++)
			pthread_create(&th[i], NULL, runner, NULL);
		for (int r = 0; r < NROWS; r++) {
			int trips = rows[r].n >= 10000 ? 20 : 100, nf = 2 * trips;
			double *t = malloc(sizeof(double) * (size_t)nf), sum = 0;
			struct scall_stats s0, s1;

			scall_stats(&s0);
			for (int i = 0; i < nf; i++) {
				double a = now_us();
				if (__scall_branch_op(rows[r].key,
						      i & 1 ? SCALL_BRANCH_OP_DISABLE
							    : SCALL_BRANCH_OP_ENABLE))
					abort();
				t[i] = now_us() - a;
				sum += t[i];
			}
			scall_stats(&s1);
			qsort(t, (size_t)nf, sizeof(double), cmpd);
			printf("%7d %8d | %10.1f %10.1f %10.1f | %10.2f\n",
			       rows[r].n, nth, t[nf / 2], t[nf * 9 / 10],
			       sum / nf, (double)(s1.syncs - s0.syncs) / nf);
			free(t);
		}
		stop = 1;
		for (int i = 0; i < nth; i++)
			pthread_join(th[i], NULL);
	}
	return 0;
}
