/* SPDX-License-Identifier: MIT */
/* Stress on the sites of a shared object made of GCC and Clang objects:
 * 4 threads call every site while the main thread retargets the keys 2000
 * times and a thread signals them (the handler calls the sites too).  Then
 * every site must be registered, verified and patched direct. */
#include "mixed.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static volatile int stop;
static _Atomic long calls, bad;
static pthread_t th[4];

static void check(int r)
{
	if (r < 0 || r > 2)
		bad++;
	calls++;
}

static void all(void)
{
	check(call_a(1));
	check(tail_a(2));
	check(call_b(1));
	check(tail_b(2));
	cond_a(1);
	cond_b(1);
}

static void on_sig(int s)
{
	(void)s;
	all();
}

static void *caller(void *arg)
{
	(void)arg;
	while (!stop)
		all();
	return NULL;
}

static void *signaller(void *arg)
{
	(void)arg;
	while (!stop) {
		for (int i = 0; i < 4; i++)
			pthread_kill(th[i], SIGUSR1);
		usleep(200);
	}
	return NULL;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_sig };
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, caller, NULL);
	pthread_t sg;
	pthread_create(&sg, NULL, signaller, NULL);
	while (calls < 10000)
		usleep(100);
	for (int i = 0; i < 2000; i++)
		if (mx_retarget(i)) {
			printf("update failed\n");
			return 1;
		}
	stop = 1;
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	pthread_join(sg, NULL);
	if (mx_retarget(1)) /* mk = t1, mv = mx_h: every site can be direct */
		return 1;
	struct scall_stats st;
	scall_stats(&st);
	fprintf(stderr, "modules %zu sites %zu direct %zu tramp %zu refused %zu unresolved %zu\n",
		st.modules, st.sites, st.sites_direct, st.sites_trampoline,
		st.sites_refused, st.sites_unresolved);
	int ok = bad == 0 && call_a(0) == 1 && call_b(0) == 1 && tail_b(0) == 1;
#ifdef MIXED_CHECK_SITES
	/* 6 sites at least (inlining may add), all patched direct. */
	ok = ok && st.sites >= 6 && st.sites_refused == 0 && st.sites_unresolved == 0 &&
	     st.sites_direct == st.sites;
#endif
	printf("bad %ld, calls>0 %d, %s\n", (long)bad, calls > 0, ok ? "ok" : "FAILED");
	return !ok;
}
