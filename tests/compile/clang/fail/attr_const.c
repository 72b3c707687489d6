#include <scall.h>
int f(int);
int (*const k)(int) SCALL_KEY = f; /* expect-error: 'k' is const */
int (**pk)(int) SCALL_KEY; /* expect-error: 'pk' is not a function pointer */
int use(int x)
{
	static int (*ok)(int) SCALL_KEY = f; /* static local: a valid key */
	int (*bad)(int) SCALL_KEY = f; /* expect-error: 'bad' is a variable with automatic storage duration */
	return ok(x) + bad(x);
}
