/* SPDX-License-Identifier: MIT */
/*
 * Cycles per call: direct call, scall site (patched direct by libscall),
 * plain indirect call, and (in calls_retpoline.c, built with
 * -mindirect-branch=thunk) a retpoline indirect call.  Each loop makes N
 * calls of the same one-instruction function; the figure is the minimum
 * over R runs of TSC ticks / N.  `calls cg MODE` runs one loop once, for
 * valgrind --tool=callgrind --toggle-collect=loop_MODE.
 */
#include <scall.h>
#include <stdio.h>
#include <string.h>
#include <x86intrin.h>

int bench_target(int x);
long loop_retpoline(int (*f)(int), long n);

SCALL_DEFINE_RET0(bkey, bench_target);
int (*volatile fptr)(int) = bench_target;

#define N 10000000L
#define R 7

__attribute__((noinline)) long loop_direct(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++)
		s += bench_target((int)i);
	return s;
}

__attribute__((noinline)) long loop_scall(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++)
		s += bkey((int)i);
	return s;
}

__attribute__((noinline)) long loop_indirect(int (*f)(int), long n)
{
	long s = 0;
	for (long i = 0; i < n; i++)
		s += f((int)i);
	return s;
}

static volatile long sink;

static double measure(int mode)
{
	double best = 1e30;
	for (int r = 0; r < R; r++) {
		unsigned long long t0 = __rdtsc();
		switch (mode) {
		case 0: sink = loop_direct(N); break;
		case 1: sink = loop_scall(N); break;
		case 2: sink = loop_indirect(fptr, N); break;
		case 3: sink = loop_retpoline(fptr, N); break;
		}
		double t = (double)(__rdtsc() - t0) / N;
		if (t < best)
			best = t;
	}
	return best;
}

static const char *names[] = { "direct", "scall", "indirect", "retpoline" };

int main(int argc, char **argv)
{
	if (scall_update(bkey, bench_target))
		return 1;
	struct scall_stats st;
	scall_stats(&st);
	if (argc > 2 && !strcmp(argv[1], "cg")) {
		for (int m = 0; m < 4; m++)
			if (!strcmp(argv[2], names[m])) {
				long n = 1000000;
				switch (m) {
				case 0: sink = loop_direct(n); break;
				case 1: sink = loop_scall(n); break;
				case 2: sink = loop_indirect(fptr, n); break;
				case 3: sink = loop_retpoline(fptr, n); break;
				}
				return 0;
			}
		return 2;
	}
	printf("sites %zu, direct %zu (scall site patched: %s)\n", st.sites,
	       st.sites_direct, st.sites_direct ? "yes" : "NO");
	printf("%-10s %12s\n", "call", "ticks/call");
	for (int m = 0; m < 4; m++)
		printf("%-10s %12.2f\n", names[m], measure(m));
	return 0;
}
