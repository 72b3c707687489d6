#include <scall.h>
int f(int) SCALL_KEY; /* expect-error: 'f' is not a variable */
