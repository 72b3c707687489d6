#include <string.h>
#include "keys.h"

static int f1(int x) { return x + 1; }
static int f2(int x) { return x + 2; }
static void logit(const char *s) { (void)s; }

hook_fn g_hook = f1;
struct ops g_ops;                       /* zeroed, set by a struct copy */
int (*g_never_called)(int);
int (*g_array[2])(int) = { f1, f2 };
static int (*s_next)(int);              /* file-static: s_next@a.c */

static const struct ops impl = { f1, f2, { logit }, { f1, f2 }, 0 };

void set_a(int how)
{
	g_never_called = f2;                                  /* assign */
	if (how == 0) {
		g_hook = f2;                                  /* assign */
		s_next = g_hook;                              /* assign = key */
		g_ops = impl;                                 /* struct copy */
	} else if (how == 1) {
		memset(&g_ops, 0, sizeof(g_ops));             /* memset */
		__atomic_store_n(&g_hook, f1, __ATOMIC_RELEASE); /* atomic */
	} else {
		g_ops.open = f1;                              /* member assign */
		g_ops.sub.log = logit;                        /* member assign */
	}
	s_next(how);
}
