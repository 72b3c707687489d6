/* SCALL_KEY on what cannot be a struct key. */
#include <scall.h>
static int f(int x) { return x; }
struct ops { int (*a)(int); long data; };
void (*table[4])(void) SCALL_KEY; /* expect-error: not a function pointer or a struct */
struct nofn { long a; void (*arr[2])(void); };
struct nofn nofn SCALL_KEY; /* expect-error: without function-pointer members */
const struct ops cops SCALL_KEY = { f, 0 }; /* expect-error: const */
