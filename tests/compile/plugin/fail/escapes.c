/* SCALL_KEY_ESCAPES: that key's address may escape (calls, returns, PHIs);
 * the same uses of a SCALL_KEY key stay errors.  Static initializers:
 * escapes_static.c.
 * only: gcc
 */
#include <scall.h>
static int f(int x) { return x; }
struct cfg { int (*enter)(int); long n; };
static struct cfg cfg SCALL_KEY_ESCAPES = { f, 0 };
static struct cfg strict SCALL_KEY = { f, 0 };
static int (*hook)(int) SCALL_KEY_ESCAPES = f;
static int (*plain)(int) SCALL_KEY = f;
void take(void *);
void pass(void)
{
	take(&cfg);
	take(&cfg.enter);
	take(&hook);
	take(&plain);   /* expect-error: address of scall key .plain. */
}
void *ret(int c)
{
	if (c > 1)
		return &strict.enter; /* expect-error: address of scall key .strict. */
	return c ? (void *)&hook : (void *)&cfg;
}
void *pick(int c)
{
	return c ? (void *)&hook : (void *)&plain; /* expect-error: address of scall key .plain. */
}
void *volatile sink;
int call(int x)
{
	sink = &cfg;
	sink = &strict; /* expect-error: address of scall key .strict. */
	return cfg.enter(x) + hook(x) + plain(x) + strict.enter(x);
}
