/* SPDX-License-Identifier: MIT */
/* End to end: local aliases of keys (issue 15), built with
 * -fplugin-arg-scall-convert-stores.  Two threads call through aliases (a
 * pointer to a nested struct of a struct key, a pointer into an array of
 * keys) while the main thread retargets the keys 1000 times (bounded): by
 * scall_update, by stores through aliases (member stores, memcpy of the
 * nested struct as sqlite's mutex setup does, __atomic_store_n), all
 * converted.  Every call returns one of the installed targets' ids, and
 * right after each change the main thread's next call reaches the new
 * target.  Built with the toolchain (E2E_EXPECT_PATCHED), every site must
 * then be a direct branch to its key's target. */
#include <pthread.h>
#include <scall.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "../../common/site_check.h"

static int a0(int x) { return 0 + (x & 0); }
static int a1(int x) { return 1 + (x & 0); }
static int b0(int x) { return 10 + (x & 0); }
static int b1(int x) { return 11 + (x & 0); }

typedef int fn(int);
struct mutex_methods {
	fn *enter;
	fn *leave;
	long n;
};
static struct config {
	long flags;
	struct mutex_methods mutex;
} cfg SCALL_KEY = { 0, { a0, b0, 0 } };
static struct syscall {
	const char *name;
	fn *cur;
} sys[3] SCALL_KEY = { { "a", a0 }, { "b", a0 }, { "c", a0 } };
static const struct mutex_methods tab[2] = { { a0, b0, 0 }, { a1, b1, 1 } };

static volatile int stop;
static _Atomic long calls, bad;

__attribute__((noinline)) int call_enter(int x)
{
	struct mutex_methods *m = &cfg.mutex;
	return m->enter(x) + 0 * x;
}
__attribute__((noinline)) int tail_leave(int x)
{
	const struct mutex_methods *m = &cfg.mutex;
	return m->leave(x);
}
__attribute__((noinline)) int call_sys(int x)
{
	struct syscall *s = &sys[0];
	s += 2;
	return s->cur(x) + 0 * x;
}

static void *caller(void *arg)
{
	(void)arg;
	while (!stop) {
		int a = call_enter(1), b = tail_leave(2), s = call_sys(3);
		if ((a != 0 && a != 1) || (b != 10 && b != 11) || (s != 0 && s != 1))
			bad++;
		calls++;
	}
	return NULL;
}

/* Stores in functions of their own: a converted store inside a loop body
 * gets the store-in-loop warning (an error under -Werror). */
__attribute__((noinline)) static void copy_tab(int i)
{
	struct mutex_methods *to = &cfg.mutex;
	const struct mutex_methods *from = &tab[i];
	memcpy(to, from, sizeof *to);
}
__attribute__((noinline)) static void set_members(fn *e, fn *l)
{
	struct mutex_methods *to = &cfg.mutex;
	to->enter = e;
	to->leave = l;
	to->n++;
}
__attribute__((noinline)) static void set_sys(fn *f)
{
	struct syscall *s = sys + 2;
	__atomic_store_n(&s->cur, f, __ATOMIC_RELEASE);
}

int main(void)
{
	pthread_t th[2];
	int fails = 0;

	for (int i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, caller, NULL))
			return 1;
	for (int i = 0; i < 1000; i++) {
		int k = i & 1;
		copy_tab(k);
		if (call_enter(1) != k || tail_leave(2) != 10 + k)
			fails++;
		set_members(k ? a0 : a1, k ? b0 : b1);
		if (call_enter(1) != !k || tail_leave(2) != 11 - k)
			fails++;
		set_sys(k ? a1 : a0);
		if (call_sys(3) != k)
			fails++;
		if (scall_update(sys[2].cur, k ? a0 : a1) || call_sys(3) != !k)
			fails++;
	}
	stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	printf("stale after change: %d, bad results: %ld, n %ld\n", fails, (long)bad,
	       cfg.mutex.n);
	fprintf(stderr, "calls %ld\n", (long)calls);
#ifdef E2E_EXPECT_PATCHED
	/* call_enter, tail_leave, call_sys: every target is in this executable. */
	if (!site_check_all_direct("final", 1, 3))
		return 1;
#else
	if (!site_check_none("fallback"))
		return 1;
#endif
	return fails || bad;
}
