/* fail-flags: -fplugin-arg-scall-convert-stores -fplugin-arg-scall-no-store-in-loop-warning
 * loop_warning.c with the scall-store-in-loop warning off: the stores in
 * loops compile without a diagnostic (check.py fails on any error or warning
 * at a line without expect-error).  The fixture still has to fail to
 * compile: the last function takes a key's address.
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
		k = i & 1 ? f : g;
	while (n--)
		ops.a = g;
	do {
		memset(&ops, 0, sizeof ops);
	} while (n++ < 3);
	k = g;
}
int use(void) { return ops.a(1) + ops.b(2) + k(3); }
struct ops *escape(void)
{
	return &ops; /* expect-error: address of scall key */
}
