/* SPDX-License-Identifier: MIT */
/* Local aliases under the Clang pass (issue 15), built with
 * -fplugin-arg-scall-convert-stores: a caller thread calls through local
 * aliases of a struct key's nested struct, of an array element and of a
 * plain key while the main thread retargets them 400 times by stores
 * through other aliases (a member store, a whole nested struct by memcpy,
 * an atomic store, *pp = f), which the pass converts into updates, and by
 * scall_update.  Every call returns one of the installed ids, and right
 * after each store the main thread's next call through an alias reaches
 * the new target.  Bounded.  With the pass (E2E_EXPECT_PATCHED) every site
 * is then a direct branch to its key's target. */
#include <pthread.h>
#include <scall.h>
#include <stdio.h>
#include <string.h>

#include "../../common/site_check.h"

typedef int fn(int);
static int a0(int x) { return 0 + (x & 0); }
static int a1(int x) { return 1 + (x & 0); }
static int b0(int x) { return 10 + (x & 0); }
static int b1(int x) { return 11 + (x & 0); }

struct mm {
	fn *enter;
	fn *leave;
	long n;
};
struct cfg {
	long flags;
	struct mm mutex;
} cfg SCALL_KEY = { 0, { a0, b0, 0 } };
static struct syscall {
	const char *name;
	fn *cur;
} sys[3] SCALL_KEY = { { "a", a0 }, { "b", a0 }, { "c", a0 } };
static fn *hook SCALL_KEY = b0;
static const struct mm tab[2] = { { a0, b0, 0 }, { a1, b1, 1 } };

static volatile int stop;
static long bad, calls;

__attribute__((noinline)) int call_enter(int x) { struct mm *m = &cfg.mutex; return m->enter(x) + 0 * x; }
__attribute__((noinline)) int call_leave(int x) { const struct mm *m = &cfg.mutex; return (*m->leave)(x) + (int)(m->n & 0); }
__attribute__((noinline)) int call_sys(int x) { struct syscall *s = sys + 2; return s->cur(x) + 0 * x; }
__attribute__((noinline)) int call_hook(int x) { fn **p = &hook; return (*p)(x) + 0 * x; }

static void *caller(void *arg)
{
	(void)arg;
	while (!stop) {
		int e = call_enter(1), l = call_leave(2), s = call_sys(3), h = call_hook(4);
		if ((e != 0 && e != 1) || (l != 10 && l != 11) || (s != 0 && s != 1) || (h != 10 && h != 11))
			__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Converted stores through local aliases, each in a function of its own. */
__attribute__((noinline)) static void copy_mutex(int k)
{
	struct mm *to = &cfg.mutex;
	memcpy(to, &tab[k], sizeof *to);
}
__attribute__((noinline)) static void set_enter(fn *f)
{
	struct mm *to = &cfg.mutex;
	to->enter = f;
	to->n++; /* a data member: no update */
}
__attribute__((noinline)) static void set_sys(fn *f)
{
	struct syscall *s = &sys[2];
	__atomic_store_n(&s->cur, f, __ATOMIC_RELEASE);
}
__attribute__((noinline)) static void set_hook(fn *f)
{
	fn **p = &hook;
	*p = f;
}

int main(void)
{
	pthread_t th;
	int fails = 0;

	if (pthread_create(&th, NULL, caller, NULL))
		return 1;
	for (int i = 0; i < 400; i++) {
		int k = i & 1;
		copy_mutex(k);
		if (call_enter(1) != k || call_leave(2) != 10 + k)
			fails++;
		set_enter(k ? a0 : a1);
		if (call_enter(1) != 1 - k)
			fails++;
		set_sys(k ? a1 : a0);
		if (call_sys(3) != k)
			fails++;
		set_hook(k ? b1 : b0);
		if (call_hook(4) != 10 + k)
			fails++;
		if (scall_update(sys[2].cur, k ? a0 : a1) || call_sys(3) != 1 - k)
			fails++;
	}
	stop = 1;
	pthread_join(th, NULL);
	printf("stale after store: %d, bad results: %ld, enter %d leave %d sys %d hook %d n %ld\n", fails,
	       bad, call_enter(0), call_leave(0), call_sys(0), call_hook(0), cfg.mutex.n);
	fprintf(stderr, "calls %ld\n", calls);
#ifdef E2E_EXPECT_PATCHED
	if (!site_check_all_direct("final", 1, 4))
		return 1;
#else
	if (!site_check_none("fallback"))
		return 1;
#endif
	return fails || bad;
}
