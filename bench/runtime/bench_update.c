/* SPDX-License-Identifier: MIT */
/*
 * scall_update latency for 1..10000 sites with 0 and 2 threads calling,
 * syncs per update, the cost of a trapped call, and the effect of write
 * coalescing (the same run re-executed with SCALL_COALESCE=0, and with
 * SCALL_WRITER=mprotect).  The alias writer is compared with proc-mem in
 * the same run: children with either writer alternate over several rounds,
 * and the ratio of their medians is printed per round (the machine's load
 * drifts between rounds, much less within one).  Prints tables; asserts
 * nothing about time.
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

static pid_t spawn(const char *env, const char *mode, int out)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (env)
			putenv((char *)env);
		if (out >= 0)
			dup2(out, 1);
		execle("/proc/self/exe", "bench_update", mode, (char *)NULL,
		       environ);
		_exit(127);
	}
	return pid;
}

static void rerun(const char *env)
{
	waitpid(spawn(env, "--child", -1), NULL, 0);
}

/* --compare child: "writer sites callers median" lines, 0 and 2 callers,
 * for the 1000- and 10000-site keys. */
static void compare_child(void)
{
	struct scall_stats st;
	scall_stats(&st);
	for (int nth = 0; nth <= 2; nth += 2) {
		pthread_t th[2];
		stop = 0;
		for (int i = 0; i < nth; i++)
			pthread_create(&th[i], NULL, caller, NULL);
		for (int r = 3; r < NROWS; r++) {
			double med, p90, mean, max, sy;
			measure(r, rows[r].n >= 10000 ? 30 : 100, &med, &p90,
				&mean, &max, &sy);
			printf("%s %d %d %.1f\n", st.writer, rows[r].n, nth, med);
		}
		stop = 1;
		for (int i = 0; i < nth; i++)
			pthread_join(th[i], NULL);
	}
}

enum { ROUNDS = 5, NCMP = 4 };

/* One child's medians, in compare_child's order; 0 if it failed. */
static int compare_run(const char *env, const char *writer, double *med)
{
	int fd[2], st, n = 0;
	char w[32];
	FILE *f;

	if (pipe(fd))
		return 0;
	pid_t pid = spawn(env, "--compare", fd[1]);
	close(fd[1]);
	f = fdopen(fd[0], "r");
	int sites, nth;
	while (n < NCMP && fscanf(f, "%31s %d %d %lf", w, &sites, &nth, &med[n]) == 4 &&
	       !strcmp(w, writer))
		n++;
	fclose(f);
	waitpid(pid, &st, 0);
	return n == NCMP && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void sort_d(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmpd);
}

static void compare_writers(void)
{
	double pm[ROUNDS][NCMP], al[ROUNDS][NCMP];
	static const int sites[NCMP] = { 1000, 10000, 1000, 10000 },
			 nth[NCMP] = { 0, 0, 2, 2 };

	for (int r = 0; r < ROUNDS; r++)
		if (!compare_run(NULL, "proc-mem", pm[r]) ||
		    !compare_run("SCALL_WRITER=alias", "alias", al[r])) {
			printf("\nwriter comparison: a child failed\n");
			return;
		}
	printf("\nalias writer / proc-mem writer, same run (%d rounds, each "
	       "child alternating; median us of each)\n", ROUNDS);
	printf("%7s %8s | %12s %12s | %-36s | %s\n", "sites", "callers",
	       "proc-mem us", "alias us", "ratio per round", "median ratio");
	for (int c = 0; c < NCMP; c++) {
		double ratio[ROUNDS], p[ROUNDS], a[ROUNDS];
		char buf[64] = "";
		for (int r = 0; r < ROUNDS; r++) {
			ratio[r] = al[r][c] / pm[r][c];
			p[r] = pm[r][c];
			a[r] = al[r][c];
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
				 "%.2f ", ratio[r]);
		}
		sort_d(ratio, ROUNDS);
		sort_d(p, ROUNDS);
		sort_d(a, ROUNDS);
		printf("%7d %8d | %12.1f %12.1f | %-36s | %.2f\n", sites[c],
		       nth[c], p[ROUNDS / 2], a[ROUNDS / 2], buf,
		       ratio[ROUNDS / 2]);
	}
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && !strcmp(argv[1], "--compare")) {
		setvbuf(stdout, NULL, _IOLBF, 0);
		compare_child();
		return 0;
	}
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
	compare_writers();
	rerun("SCALL_COALESCE=0");
	rerun("SCALL_WRITER=alias");
	rerun("SCALL_WRITER=mprotect");
	return 0;
}
