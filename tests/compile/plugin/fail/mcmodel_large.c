/* fail-flags: -mcmodel=large
 * expect-error-noline: mcmodel=large
 */
#include <scall.h>
static int f(int x) { return x; }
SCALL_DEFINE(k, f);
int use(int x) { return k(x); }
