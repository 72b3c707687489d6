/* Struct keys under clang: what the AST half must tell apart. */
#include <scall.h>
#include <string.h>
int f(int);
struct ops {
	int (*a)(int);
	long data;
	struct { void (*h)(void); long d; } in;
	void (*tbl[2])(void);
	union { int (*u)(int); long l; } un;
};
struct ops ops SCALL_KEY = { f };
union { int (*a)(int); long l; } un SCALL_KEY; /* expect-error: 'un' is not a function pointer, a struct of them or an array of either */
void g(int i, void (*h)(void))
{
	__atomic_store_n(&ops.a, f, __ATOMIC_RELEASE); /* expect-error: atomic store to scall key 'ops' */
	ops.in.h = h; /* expect-error: store to scall key 'ops'; use 'scall_update\(ops, target\)' */
	ops.in.d = 1;                         /* data member: fine */
	ops.tbl[i] = h;                       /* array: not a key */
	ops.un.u = f;                         /* union: not a key */
	memset(&ops.data, 0, sizeof ops.data); /* data: fine */
	memset(&ops.in, 0, sizeof ops.in); /* expect-error: store \(via a string function\) to scall key 'ops' */
	long *p = &ops.in.d;                  /* data: fine */
	void *volatile q = &ops.in; /* expect-error: address of scall key 'ops' taken */
	(void)p, (void)q;
	scall_update(ops.in.h, h);            /* the macros: fine */
	(void)scall_query(ops.a);
}
