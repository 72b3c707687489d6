/* An asm whose output operand is a key, a struct key's member or a whole
 * struct key is a store no option converts: an error at the asm (also with
 * -fplugin-arg-scall-convert-stores: convert_stores.c).  Reading a key in
 * an asm is fine.
 */
#include <scall.h>
int f(int);
struct ops { int (*a)(int); int (*b)(int); };
struct ops ops SCALL_KEY = { f, f };
SCALL_DEFINE(k, f);
void out_mem(void)
{
	__asm__("" : "=m"(k)); /* expect-error: asm output to scall key .k. */
}
void out_reg(void)
{
	__asm__("" : "=r"(k)); /* expect-error: asm output to scall key .k. */
}
void in_out(void)
{
	__asm__("" : "+r"(k)); /* expect-error: asm output to scall key .k. */
}
void member(void)
{
	__asm__("" : "=m"(ops.b)); /* expect-error: asm output to scall key .ops. */
}
void whole(void)
{
	__asm__("" : "=m"(ops)); /* expect-error: asm output to scall key .ops. */
}
void reads(void)
{
	__asm__("" : : "r"(k), "m"(ops.a));
}
