/* SPDX-License-Identifier: MIT */
/* End to end: SCALL_KEY_ESCAPES keys (a struct key and a plain key) whose
 * addresses escape -- a static table of markers, a pointer handed to a
 * function the compiler cannot see through -- are written through those
 * pointers and then scall_resync()'d, as the user promised: every call
 * reaches the new target.  scall_update on them works as on any key.
 * stdout must be identical without the plugin.  With it
 * (E2E_EXPECT_PATCHED), every site must be a direct branch to its key's
 * target after each resync. */
#include <scall.h>
#include <stdio.h>

#include "../../common/site_check.h"

static int add1(int x) { return x + 1; }
static int add2(int x) { return x + 2; }
static int mul3(int x) { return x * 3; }
static int neg(int x) { return -x; }

struct methods {
	int (*enter)(int);
	long count;
	int (*leave)(int);
};
static struct methods cfg SCALL_KEY_ESCAPES = { add1, 0, add2 };
int (*hook)(int) SCALL_KEY_ESCAPES = mul3;

/* Where the addresses go: a table (a static initializer) and a store
 * through a volatile pointer, which no compiler half follows. */
static void *const markers[] = { &cfg, &hook };
static void *volatile escaped;

__attribute__((noinline)) static void write_fn(void *where, int (*f)(int))
{
	escaped = where;
	*(int (**)(int))escaped = f;
}

__attribute__((noinline)) static void copy_methods(struct methods *to, const struct methods *from)
{
	to->enter = from->enter;
	to->leave = from->leave;
	to->count++;
}

__attribute__((noinline)) int f_enter(int x) { return cfg.enter(x); }
__attribute__((noinline)) int f_leave(int x) { return cfg.leave(x) + 0 * x; }
__attribute__((noinline)) int f_hook(int x) { return hook(x) + 0 * x; }

#ifdef E2E_EXPECT_PATCHED
static int wrong;
#endif

static void show(const char *what)
{
	printf("%-8s enter=%d leave=%d hook=%d count=%ld\n", what, f_enter(10),
	       f_leave(10), f_hook(10), cfg.count);
#ifdef E2E_EXPECT_PATCHED
	struct site_count c = site_check();
	site_check_print(what, &c);
	wrong += c.wrong != 0;
#endif
}

int main(void)
{
	static const struct methods other = { neg, 0, mul3 };

	show("initial");
	write_fn(markers[1], add2);                 /* hook, through a marker */
	write_fn(&cfg.enter, neg);                  /* a member */
	scall_resync();
	show("written");
	copy_methods(markers[0], &other);           /* the whole struct */
	scall_resync();
	show("copied");
	if (scall_update(cfg.leave, add1) || scall_update(hook, neg))
		return 1;
	show("update");
#ifdef E2E_EXPECT_PATCHED
	if (wrong || !site_check_all_direct("final", 1, 3)) {
		fprintf(stderr, "FAIL: a site does not call its key's target\n");
		return 1;
	}
#else
	if (!site_check_none("fallback"))
		return 1;
#endif
	return 0;
}
