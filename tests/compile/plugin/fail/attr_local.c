#include <scall.h>
static int f(int x) { return x; }
int use(int x)
{
	int (*local)(int) SCALL_KEY = f; /* expect-error: automatic storage duration */
	return local(x);
}
