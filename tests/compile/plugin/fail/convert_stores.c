/* With -fplugin-arg-scall-convert-stores: what stays an error, and the
 * store-in-loop warning (an error under -Werror).
 * fail-flags: -fplugin-arg-scall-convert-stores
 */
#include <scall.h>
#include <string.h>
static int f(int x) { return x; }
static int g(int x) { return -x; }
struct ops { int (*a)(int); int (*b)(int); };
struct ops ops SCALL_KEY = { f, f };
SCALL_DEFINE(k, f);
void loop(int n)
{
	for (int i = 0; i < n; i++)
		k = i & 1 ? f : g; /* expect-error: inside a loop.*scall-store-in-loop */
}
struct ops *escape(void)
{
	return &ops; /* expect-error: address of scall key .*scall_resync */
}
void asm_out(void)
{
	__asm__("" : "=m"(k)); /* expect-error: asm output to scall key */
}
int (*xchg(void))(int)
{
	return __atomic_exchange_n(&k, g, __ATOMIC_ACQ_REL); /* expect-error: address of scall key */
}
void fine(struct ops *o)
{
	ops = *o;
	ops.b = g;
	memset(&ops, 0, sizeof ops);
	k = g;
	__atomic_store_n(&k, f, __ATOMIC_RELEASE);
}
int use(void) { return ops.a(1) + ops.b(2) + k(3); }
