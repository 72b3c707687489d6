#include <string.h>
#include "keys.h"

static int g(int x) { return x * 2; }
static int (*s_next)(int) = g;          /* another file-static: s_next@b.c */

static const struct ops other = { g, g, { 0 }, { g, g }, 1 };

int use_b(int x)
{
	int (**pp)(int) = &g_hook;              /* a local alias: no escape */
	*pp = g;                                /* a store through it: assign */
	int *fl = &g_ops.flags;                 /* a data member: no escape */
	int (*old)(int) = __atomic_exchange_n(&g_hook, g, __ATOMIC_SEQ_CST); /* not convertible */
	memcpy(&g_ops, &other, sizeof(other));  /* whole-struct copy: converted */
	x += g_hook(x);
	x += (*g_hook)(x);
	x += g_ops.open(x);
	x += g_ops.close(x);
	g_ops.sub.log("b");
	x += s_next(x);
	x += g_array[0](x);                     /* an array of keys: call [0] */
	x += g_ops.table[1](x);                 /* array member: not a call through a key */
	return x + *fl + old(x);
}
