#include <scall.h>
int f(int);
_Thread_local int (*k)(int) SCALL_KEY = f; /* expect-error: 'k' is a thread-local variable */
