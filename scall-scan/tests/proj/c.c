#include "keys.h"

static int h(int x) { return x - 1; }
static const struct ops ro = { h, h, { 0 }, { h, h }, 0 };  /* const: never a key */
static __thread int (*tls_fp)(int) = h;                     /* thread-local: never a key */

void set_c(void)
{
	g_hook++;                               /* not convertible */
}

int use_c(int x)
{
	static int (*local)(int) = h;           /* function-local static: no */
	struct ops *p = &g_ops;                 /* a local alias: p->open is a call */
	x += ro.open(x) + tls_fp(x) + local(x) + p->open(x);
	return x + g_hook(x);
}
