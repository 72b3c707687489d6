#include <scall.h>
int not_a_pointer SCALL_KEY = 3; /* expect-error: not a function pointer */
void *data_pointer SCALL_KEY; /* expect-error: not a function pointer */
static int f(int x) { return x; }
int (*const constant)(int) SCALL_KEY = f; /* expect-error: const */
_Thread_local int (*tls)(int) SCALL_KEY; /* expect-error: thread-local */
