/* SPDX-License-Identifier: MIT */
/*
 * scall_update latency for 1..10000 sites with 0 and 2 threads calling,
 * syncs per update, the cost of a trapped call, and the effect of write
 * coalescing (the same run re-executed with SCALL_COALESCE=0, and with
 * SCALL_WRITER=mprotect).  Prints tables; asserts nothing about time.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scall.h"

extern void (*volatile __scall_test_hook)(int step);
extern char **environ;

static int ta(int x) { return x + 1; }
static int tb(int x) { return x + 2; }
int (*kb1)(int) SCALL_KEY = ta;
int (*kb10)(int) SCALL_KEY = ta;
int (*kb100)(int) SCALL_KEY = ta;
int (*kb1000)(int) SCALL_KEY = ta;
int (*kb10000)(int) SCALL_KEY = ta;
int (*kb2)(int) SCALL_KEY = ta; /* trap-cost key */
int live_1(int), live_10(int), live_100(int), live_1000(int),
	live_10000(int), live_2(int);

static struct {
	int n;
	void *key;
	int (*live)(int);
} rows[] = {
	{ 1, &kb1, live_1 },          { 10, &kb10, live_10 },
	{ 100, &kb100, live_100 },    { 1000, &kb1000, live_1000 },
	{ 10000, &kb10000, live_10000 },
};
#define NROWS (int)(sizeof(rows) / sizeof(rows[0]))

static volatile int stop;
static volatile long sink;

static void *caller(void *p)
{
	long s = 0, n = 0;
	(void)p;
	while (!stop) {
		for (int i = 0; i < NROWS; i++)
			s += rows[i].live(1);
		n++;
	}
	sink = s;
	return (void *)n;
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

/* Median, p90 and mean latency (us) of `reps` updates of row r. */
static void measure(int r, int reps, double *med, double *p90, double *mean,
		    double *max, double *syncs)
{
	double *t = malloc(sizeof(double) * (size_t)reps), sum = 0;
	struct scall_stats s0, s1;
	scall_stats(&s0);
	for (int i = 0; i < reps; i++) {
		struct scall_update u = { rows[r].key, i & 1 ? (void *)ta
							     : (void *)tb,
					  SCALL_TARGET_TYPED };
		double a = now_us();
		if (scall_update_batch(&u, 1))
			abort();
		t[i] = now_us() - a;
		sum += t[i];
	}
	scall_stats(&s1);
	qsort(t, (size_t)reps, sizeof(double), cmpd);
	*med = t[reps / 2];
	*p90 = t[reps * 9 / 10];
	*mean = sum / reps;
	*max = t[reps - 1];
	*syncs = (double)(s1.syncs - s0.syncs) / reps;
	free(t);
}

static int child_mode;

static void table(const char *title, int only_big)
{
	struct scall_stats st;
	scall_stats(&st);
	printf("\n%s (writer %s)\n", title, st.writer);
	printf("%7s %8s | %10s %10s %10s %10s | %6s\n", "sites", "callers",
	       "median us", "p90 us", "mean us", "max us", "syncs");
	for (int nth = 0; nth <= 2; nth += 2) {
		pthread_t th[2];
		stop = 0;
		for (int i = 0; i < nth; i++)
			pthread_create(&th[i], NULL, caller, NULL);
		for (int r = only_big ? 3 : 0; r < NROWS; r++) {
			double med, p90, mean, max, sy;
			int reps = rows[r].n >= 10000 ? 40 : 200;
			if (child_mode)
				reps = rows[r].n >= 10000 ? 6 : 20;
			measure(r, reps, &med, &p90, &mean, &max, &sy);
			printf("%7d %8d | %10.1f %10.1f %10.1f %10.1f | %6.2f\n",
			       rows[r].n, nth, med, p90, mean, max, sy);
		}
		stop = 1;
		for (int i = 0; i < nth; i++)
			pthread_join(th[i], NULL);
	}
}

/* Trapped call: called from the test hook after step 1, while the site of
 * kb2 holds INT3. */
static double trap_ns, direct_ns;
static void hook(int step)
{
	enum { M = 20000 };
	if (step != 1)
		return;
	double a = now_us();
	for (int i = 0; i < M; i++)
		sink += live_2(i);
	trap_ns = (now_us() - a) * 1e3 / M;
}

static void trap_cost(void)
{
	enum { M = 1000000 };
	double a = now_us();
	for (int i = 0; i < M; i++)
		sink += live_2(i);
	direct_ns = (now_us() - a) * 1e3 / M;
	__scall_test_hook = hook;
	scall_update(kb2, tb);
	__scall_test_hook = NULL;
	printf("\ncall through a patched (direct) site: %8.1f ns\n"
	       "call taking the trap path (emulated):  %8.1f ns\n",
	       direct_ns, trap_ns);
}

static void rerun(const char *env)
{
	pid_t pid = fork();
	if (pid == 0) {
		putenv((char *)env);
		execle("/proc/self/exe", "bench_update", "--child", (char *)NULL,
		       environ);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && !strcmp(argv[1], "--child")) {
		child_mode = 1;
		const char *c = getenv("SCALL_COALESCE");
		table(c && !strcmp(c, "0") ? "Without write coalescing"
					   : "Fallback writer",
		      1);
		return 0;
	}
	table("scall_update latency", 0);
	trap_cost();
	rerun("SCALL_COALESCE=0");
	rerun("SCALL_WRITER=alias");
	rerun("SCALL_WRITER=mprotect");
	return 0;
}
