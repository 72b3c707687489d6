/* Struct keys: what stays an error. */
#include <scall.h>
static int f(int x) { return x; }
static int g(int x) { return -x; }
struct ops { int (*a)(int); long data; };
struct ops ops SCALL_KEY = { f, 0 };
void store(void)
{
	ops.a = g; /* expect-error: store to scall key .*convert-stores */
	ops.data = 3; /* a data member: fine */
}
void copy(struct ops *o)
{
	ops = *o; /* expect-error: store to scall key */
}
long *data_addr(void) { return &ops.data; } /* a data member: fine */
struct ops *escape(void)
{
	return &ops; /* expect-error: address of scall key .*scall_resync */
}
void through(struct ops *p) { p->a = g; } /* unseen: see docs (scall_resync) */
int use(void) { return ops.a(1); }
