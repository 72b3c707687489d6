/* SPDX-License-Identifier: MIT */
/* SCALL_KEY_ESCAPES under the Clang pass (issue 15), built without
 * allow-address: a plain key and a struct key whose addresses escape (a
 * static initializer's marker, a pointer kept in a volatile) are written
 * through those pointers.  Mode (argv[1]):
 *   resync  each write is followed by scall_resync(): every call reaches
 *           the new target (stdout, the same without the pass), and with
 *           the pass every site is a direct branch to it;
 *   forget  the same writes without scall_resync(), then two updates of
 *           another key: SCALL_CHECK=1 reports each written key once
 *           (escapes.py checks stderr).
 */
#include <scall.h>
#include <stdio.h>
#include <string.h>

#include "../../common/site_check.h"

__attribute__((noinline)) static int add1(int x) { return x + 1; }
__attribute__((noinline)) static int add2(int x) { return x + 2; }
__attribute__((noinline)) static int mul3(int x) { return x * 3; }
__attribute__((noinline)) static int neg(int x) { return -x; }

struct methods {
	int (*enter)(int);
	long count;
	int (*leave)(int);
};
struct methods esc_cfg SCALL_KEY_ESCAPES = { add1, 0, add2 };
int (*esc_hook)(int) SCALL_KEY_ESCAPES = mul3;
SCALL_DEFINE(other, add1);

static void *const markers[] = { &esc_cfg, (void *)&esc_hook };
static void *volatile escaped;

__attribute__((noinline)) static void write_fn(void *where, int (*f)(int))
{
	escaped = where;
	*(int (**)(int))escaped = f;
}

__attribute__((noinline)) int f_enter(int x) { return esc_cfg.enter(x); }
__attribute__((noinline)) int f_leave(int x) { return esc_cfg.leave(x) + 0 * x; }
__attribute__((noinline)) int f_hook(int x) { return esc_hook(x) + 0 * x; }
__attribute__((noinline)) int f_other(int x) { return other(x) + 0 * x; }

static void show(const char *what)
{
	printf("%-8s enter=%d leave=%d hook=%d other=%d\n", what, f_enter(10), f_leave(10),
	       f_hook(10), f_other(10));
}

int main(int argc, char **argv)
{
	int forget = argc > 1 && !strcmp(argv[1], "forget");

	show("initial");
	write_fn(markers[1], add2);      /* esc_hook, through its marker */
	write_fn(&esc_cfg.leave, neg);   /* a member */
	if (forget) {
		/* Two updates of another key: the second check reports. */
		scall_update(other, add2);
		scall_update(other, mul3);
		fprintf(stderr, "forgotten\n");
		return 0;
	}
	scall_resync();
	show("written");
	if (scall_update(esc_cfg.enter, mul3) || scall_update(esc_hook, neg))
		return 1;
	show("update");
#ifdef E2E_EXPECT_PATCHED
	if (!site_check_all_direct("final", 1, 4))
		return 1;
#else
	if (!site_check_none("fallback"))
		return 1;
#endif
	return 0;
}
