#include <scall.h>
static int f(int x) { return x; }
SCALL_DEFINE(k, f);
void *escape(void)
{
	return (void *)&k; /* expect-error: address of scall key .*allow-address */
}
void take(void *);
void pass(void)
{
	take(&k); /* expect-error: address of scall key */
}
static int (*other)(int) = f;
void *pick(int c)
{
	return c ? (void *)&k : (void *)&other; /* expect-error: address of scall key */
}
