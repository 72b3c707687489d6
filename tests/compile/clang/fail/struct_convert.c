/* fail-flags: -fplugin-arg-scall-convert-stores
 * The store-in-loop warning (an error under -Werror) under clang: loops of
 * every kind, not a do { } while (0); stores that stay errors.
 */
#include <scall.h>
#include <string.h>
int f(int);
int g(int);
struct ops { int (*a)(int); long data; };
struct ops ops SCALL_KEY = { f };
SCALL_DEFINE(k, f);
#define SET(x) do { ops.a = (x); } while (0)
void loops(int n, const struct ops *src)
{
	SET(g);                               /* no loop: fine */
	for (int i = (k = g, 0); i < n; i++) /* the init runs once: fine */
		(void)i;
	while (n--)
		ops.a = g; /* expect-error: converted store to scall key 'ops' inside a loop.*\[scall-store-in-loop\] */
	do {
		memcpy(&ops, src, sizeof ops); /* expect-error: inside a loop */
	} while (n++ < 3);
	for (;;) {
		__atomic_store_n(&k, f, __ATOMIC_RELEASE); /* expect-error: inside a loop */
		ops.data++;                   /* data member: no warning */
		break;
	}
}
void stays(char *s)
{
	strcpy((char *)&ops, s); /* expect-error: store \(via a string function\) to scall key 'ops' */
	__asm__("" : "=m"(ops.a)); /* expect-error: asm output to scall key 'ops' */
}
