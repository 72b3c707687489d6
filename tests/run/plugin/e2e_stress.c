/* SPDX-License-Identifier: MIT */
/* Stress on compiler-generated sites: 4 threads call through a key (call,
 * tail call and cond sites) while the main thread retargets it 2000 times
 * and a thread sends them signals whose handler calls the sites too.
 * Every call must return one of the installed targets' ids.  Bounded. */
#include <pthread.h>
#include <scall.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static int t0(int x) { return x & 0; }
static int t1(int x) { return 1 + (x & 0); }
static int t2(int x) { return 2 + (x & 0); }
static _Atomic long hits;
static void h0(int x) { hits += x; }
SCALL_DEFINE(sk, t0);
SCALL_DEFINE_NULL(sv, h0);

static volatile int stop;
static _Atomic long calls, bad;
static pthread_t th[4];

__attribute__((noinline)) int call_site(int x) { return sk(x) + 0 * x; }
__attribute__((noinline)) int tail_site(int x) { return sk(x); }
__attribute__((noinline)) void cond_site(int x) { scall_cond(sv)(x); }

static void check(int r)
{
	if (r < 0 || r > 2)
		bad++;
	calls++;
}

static void on_sig(int s)
{
	(void)s;
	check(call_site(1));
	check(tail_site(2));
	cond_site(1);
}

static void *caller(void *arg)
{
	(void)arg;
	while (!stop) {
		check(call_site(1));
		check(tail_site(2));
		cond_site(1);
	}
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
	int (*tg[3])(int) = { t0, t1, t2 };
	for (int i = 0; i < 2000; i++) {
		if (scall_update(sk, tg[i % 3]) || scall_update(sv, i & 1 ? h0 : NULL)) {
			printf("update failed\n");
			return 1;
		}
	}
	stop = 1;
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	pthread_join(sg, NULL);
	printf("bad %ld, calls>0 %d\n", (long)bad, calls > 0);
	return bad != 0;
}
