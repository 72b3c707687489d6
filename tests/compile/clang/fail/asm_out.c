#include <scall.h>
int f(int);
SCALL_DEFINE(k, f);
void g(void)
{
	__asm__("" : "=r"(k)); /* expect-error: asm output to scall key 'k' */
	__asm__("" : : "r"(k)); /* reading the key: fine */
}
