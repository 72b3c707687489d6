#include <scall.h>
int use(int (*p)(int) SCALL_KEY, int x) /* expect-error: 'p' is a parameter */
{
	return p(x);
}
