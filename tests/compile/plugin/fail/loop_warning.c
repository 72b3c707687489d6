/* fail-flags: -fplugin-arg-scall-convert-stores
 * A converted store inside a loop gets the scall-store-in-loop warning (an
 * error under -Werror), once per store; loop_warning_off.c is the same code
 * with the warning turned off.
 */
#include <scall.h>
#include <string.h>
static int f(int x) { return x; }
static int g(int x) { return -x; }
struct ops { int (*a)(int); int (*b)(int); };
struct ops ops SCALL_KEY = { f, f };
SCALL_DEFINE(k, f);
void loops(int n)
{
	for (int i = 0; i < n; i++)
		k = i & 1 ? f : g; /* expect-error: inside a loop.*scall-store-in-loop */
	while (n--)
		ops.a = g; /* expect-error: inside a loop.*scall-store-in-loop */
	do {
		memset(&ops, 0, sizeof ops); /* expect-error: inside a loop.*scall-store-in-loop */
	} while (n++ < 3);
	k = g; /* after the loops: no warning */
}
int use(void) { return ops.a(1) + ops.b(2) + k(3); }
