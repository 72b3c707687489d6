/* SPDX-License-Identifier: MIT */
/*
 * SCALL_CHECK: keys written through an escaped pointer (built with
 * -fplugin-arg-scall-allow-address, or with -DE2E_ESCAPES: the keys are
 * SCALL_KEY_ESCAPES).  Mode (argv[1]):
 *   forget  write `hook` and the member cfg.b behind scall's back, then two
 *           updates of another key (the second check reports them), a
 *           second forgotten write to hook, two more updates, exit;
 *   exit    write `hook` behind scall's back and exit (the exit check);
 *   resync  the same writes, each followed by scall_resync().
 * stderr gets "mark N" lines between the steps, for stale.py.
 */
#include <scall.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

__attribute__((noinline)) static int old_fn(int x) { return x + 1; }
__attribute__((noinline)) static int new_fn(int x) { return x + 2; }
__attribute__((noinline)) static int third_fn(int x) { return x + 3; }
__attribute__((noinline)) static int other_a(int x) { return x * 2; }
__attribute__((noinline)) static int other_b(int x) { return x * 3; }

struct ops {
	int (*a)(int);
	int (*b)(int);
};

#ifdef E2E_ESCAPES
#define STALE_KEY SCALL_KEY_ESCAPES
#else
#define STALE_KEY SCALL_KEY
#endif
static int (*hook)(int) STALE_KEY = old_fn;
static struct ops cfg STALE_KEY = { old_fn, old_fn };
SCALL_DEFINE(other, other_a);

/* The escape: the compiler half cannot follow the pointer. */
static void *volatile escaped_hook = &hook;
static void *volatile escaped_b = &cfg.b;

__attribute__((noinline)) static void write_behind(void *volatile *where,
						   int (*f)(int))
{
	*(int (**)(int)) * where = f;
}

__attribute__((noinline)) static int call_all(int x)
{
	return hook(x) + cfg.a(x) + cfg.b(x) + other(x);
}

static void mark(int n)
{
	fprintf(stderr, "mark %d\n", n);
}

static void two_updates(void)
{
	scall_update(other, other_b);
	mark(1);
	scall_update(other, other_a);
	mark(2);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "forget";
	bool resync = !strcmp(mode, "resync");
	int r = call_all(1);

	write_behind(&escaped_hook, new_fn);
	if (strcmp(mode, "exit")) {
		write_behind(&escaped_b, new_fn);
		if (resync)
			scall_resync();
	}
	r += call_all(1);
	mark(0);
	if (!strcmp(mode, "exit")) {
		printf("%d\n", r > 0);
		return 0;
	}
	two_updates();
	write_behind(&escaped_hook, third_fn);
	if (resync)
		scall_resync();
	r += call_all(1);
	mark(3);
	two_updates();
	printf("%d\n", r > 0);
	return 0;
}
