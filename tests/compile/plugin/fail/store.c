#include <scall.h>
static int f(int x) { return x; }
static int g(int x) { return -x; }
SCALL_DEFINE(k, f);
void set(void)
{
	k = g; /* expect-error: store to scall key .*scall_update */
}
void inc(void)
{
	k++; /* expect-error: store to scall key */
}
int use(void) { return k(1); }
