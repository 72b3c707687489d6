#include <scall.h>
static int f(int x) { return x; }
SCALL_DEFINE(k, f);
void (**global_p)(void) = (void (**)(void))&k; /* expect-error: address of scall key */
