/* SPDX-License-Identifier: MIT */
/*
 * The cost of a disabled static branch in a hot loop: scall_branch_unlikely
 * on a FALSE key (a 5-byte NOP) against `if (__builtin_expect(flag, 0))` on
 * a global int (a load, a test and a conditional branch), and the same
 * loop with no test at all; then eight tests of eight toggles per
 * iteration, where the loads and branches compete for the pipeline.  Each loop runs N iterations; the figure is the
 * minimum over R runs of TSC ticks / N, and the ratios are of the same run.
 * `cost cg MODE` runs one loop once, for valgrind --tool=callgrind
 * --toggle-collect=loop_MODE (instructions per iteration).
 */
#include <scall.h>
#include <stdio.h>
#include <string.h>
#include <x86intrin.h>

SCALL_BRANCH_DEFINE_FALSE(tracing);
int flag; /* a plain global, as a program's own toggle would be */
/* Eight of each for the loops that test eight toggles per iteration. */
SCALL_BRANCH_DEFINE_FALSE(t0);
SCALL_BRANCH_DEFINE_FALSE(t1);
SCALL_BRANCH_DEFINE_FALSE(t2);
SCALL_BRANCH_DEFINE_FALSE(t3);
SCALL_BRANCH_DEFINE_FALSE(t4);
SCALL_BRANCH_DEFINE_FALSE(t5);
SCALL_BRANCH_DEFINE_FALSE(t6);
SCALL_BRANCH_DEFINE_FALSE(t7);
int f0, f1, f2, f3, f4, f5, f6, f7;

__attribute__((noinline)) void slow_path(long i);
__attribute__((noinline)) void slow_path(long i)
{
	__asm__ volatile("" : : "r"(i) : "memory");
}

#define N 10000000L
#define R 9

/* The barrier keeps s in a register and the loops from being vectorised
 * or unswitched, identically in the three. */
__attribute__((noinline)) long loop_none(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++) {
		s += i;
		__asm__ volatile("" : "+r"(s));
	}
	return s;
}

__attribute__((noinline)) long loop_branch(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++) {
		if (scall_branch_unlikely(tracing))
			slow_path(i);
		s += i;
		__asm__ volatile("" : "+r"(s));
	}
	return s;
}

__attribute__((noinline)) long loop_flag(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++) {
		if (__builtin_expect(flag, 0))
			slow_path(i);
		s += i;
		__asm__ volatile("" : "+r"(s));
	}
	return s;
}

#define TEST8(test, a0, a1, a2, a3, a4, a5, a6, a7)                            \
	do {                                                                   \
		if (test(a0)) slow_path(i);                                    \
		if (test(a1)) slow_path(i + 1);                                \
		if (test(a2)) slow_path(i + 2);                                \
		if (test(a3)) slow_path(i + 3);                                \
		if (test(a4)) slow_path(i + 4);                                \
		if (test(a5)) slow_path(i + 5);                                \
		if (test(a6)) slow_path(i + 6);                                \
		if (test(a7)) slow_path(i + 7);                                \
	} while (0)
#define FLAG_TEST(f) __builtin_expect(f, 0)

__attribute__((noinline)) long loop_branch8(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++) {
		TEST8(scall_branch_unlikely, t0, t1, t2, t3, t4, t5, t6, t7);
		s += i;
		__asm__ volatile("" : "+r"(s));
	}
	return s;
}

__attribute__((noinline)) long loop_flag8(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++) {
		TEST8(FLAG_TEST, f0, f1, f2, f3, f4, f5, f6, f7);
		s += i;
		__asm__ volatile("" : "+r"(s));
	}
	return s;
}

static volatile long sink;
#define NMODES 5
static const char *names[NMODES] = { "none", "branch", "flag", "branch8",
				     "flag8" };

static long run(int mode, long n)
{
	switch (mode) {
	case 0: return loop_none(n);
	case 1: return loop_branch(n);
	case 2: return loop_flag(n);
	case 3: return loop_branch8(n);
	default: return loop_flag8(n);
	}
}

static double measure(int mode)
{
	double best = 1e30;

	for (int r = 0; r < R; r++) {
		unsigned long long t0 = __rdtsc();
		sink = run(mode, N);
		double t = (double)(__rdtsc() - t0) / N;
		if (t < best)
			best = t;
	}
	return best;
}

int main(int argc, char **argv)
{
	struct scall_stats st;
	double t[NMODES];

	if (argc > 2 && !strcmp(argv[1], "cg")) {
		for (int m = 0; m < NMODES; m++)
			if (!strcmp(argv[2], names[m])) {
				sink = run(m, 1000000);
				return 0;
			}
		return 2;
	}
	if (scall_stats(&st))
		return 1;
	printf("static branches %zu (%zu jmp), key %s\n", st.branches,
	       st.branches_jmp, scall_branch_enabled(tracing) ? "on" : "off");
	printf("%-8s %14s %18s\n", "loop", "ticks/iter", "minus empty loop");
	/* Rounds interleave the loops: the minimum of each over all rounds
	 * comes from the machine's quietest moments for it. */
	for (int m = 0; m < NMODES; m++)
		t[m] = 1e30;
	for (int round = 0; round < 4; round++)
		for (int m = 0; m < NMODES; m++) {
			double x = measure(m);
			if (x < t[m])
				t[m] = x;
		}
	for (int m = 0; m < NMODES; m++)
		printf("%-8s %14.3f %18.3f\n", names[m], t[m], t[m] - t[0]);
	printf("ratio branch/flag per iteration: %.3f with one test, %.3f "
	       "with eight\n",
	       t[1] / t[2], t[3] / t[4]);
	return 0;
}
