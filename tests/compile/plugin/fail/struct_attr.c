/* SCALL_KEY on what cannot be a struct key or an array of keys. */
#include <scall.h>
static int f(int x) { return x; }
struct ops { int (*a)(int); long data; };
long table[4] SCALL_KEY; /* expect-error: an array of neither function pointers nor structs */
struct nofn { long a; void (*arr[2])(void); };
struct nofn nofn SCALL_KEY; /* expect-error: a struct without function-pointer members */
const struct ops cops SCALL_KEY = { f, 0 }; /* expect-error: const */
struct nofn nofns[2] SCALL_KEY; /* expect-error: an array of structs without function-pointer members */
const struct ops copss[2] SCALL_KEY = { { f, 0 } }; /* expect-error: const */
int (*const cfns[2])(int) SCALL_KEY = { f, f }; /* expect-error: const */
void *ptrs[2] SCALL_KEY; /* expect-error: an array of neither */
_Thread_local int (*tls_fns[2])(int) SCALL_KEY; /* expect-error: thread-local */
void local(void)
{
	static int (*ok[2])(int) SCALL_KEY = { f, f };
	int (*auto_fns[2])(int) SCALL_KEY = { f, f }; /* expect-error: automatic storage */
	(void)ok; (void)auto_fns;
}
