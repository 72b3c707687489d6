#include <scall.h>
static int f(int x) { return x; }
SCALL_DEFINE(k, f);
void bump(void)
{
	k += 1; /* expect-error: store to scall key */
}
