#include <scall.h>
#include <string.h>
static int f(int x) { return x; }
static int g(int x) { return -x; }
SCALL_DEFINE(k, f);
void set(void)
{
	int (*p)(int) = g;
	memcpy(&k, &p, sizeof k); /* expect-error: store .*scall key .*scall_update */
}
void clear(void)
{
	memset(&k, 0, sizeof k); /* expect-error: store .*scall key */
}
