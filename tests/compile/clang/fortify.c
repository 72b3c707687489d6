/* A store into a struct key through memcpy under _FORTIFY_SOURCE: glibc's
 * inline wrapper (memcpy.inline in the IR) must count as the store. */
#include <string.h>
#include <scall.h>
struct ops { int (*open)(int); int (*close)(int); };
struct ops g_ops SCALL_KEY;
void set(const struct ops *p, unsigned long n) { memcpy(&g_ops, p, n); }
void clear(void) { memset(&g_ops, 0, sizeof g_ops); }
int call(int x) { return g_ops.open(x); }
