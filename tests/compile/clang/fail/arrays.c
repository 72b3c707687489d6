/* Arrays of keys: what SCALL_KEY accepts on an array, stores to elements
 * without convert-stores, and the array's address (its decay too). */
#include <scall.h>
#include <string.h>
static int f(int x) { return x; }
struct syscall {
	const char *name;
	int (*cur)(int);
};
struct data { long a[2]; union { int (*u)(int); long l; } un; };
static struct syscall sys[3] SCALL_KEY = { { "a", f }, { "b", f }, { "c", f } };
static int (*fns[2][2])(int) SCALL_KEY;
extern int (*later[])(int) SCALL_KEY;
long ints[4] SCALL_KEY; /* expect-error: 'ints' is an array of neither function pointers nor structs of them */
struct data datas[2] SCALL_KEY; /* expect-error: 'datas' is an array of structs without function-pointer members */
int (*const cfns[2])(int) SCALL_KEY = { f, f }; /* expect-error: 'cfns' is const */
void take(void *);
void g(int i)
{
	sys[1].name = "x";         /* a data member: fine */
	sys[i].name = "y";         /* any element's data member: fine */
	take((void *)sys[2].name); /* fine */
	sys[2].cur = f; /* expect-error: store to scall key 'sys'; use 'scall_update\(sys, target\)' */
	sys[i].cur = f; /* expect-error: store to scall key 'sys' */
	fns[1][i] = f; /* expect-error: store to scall key 'fns' */
	later[5] = f; /* expect-error: store to scall key 'later' */
	memcpy(&sys[1], &sys[0], sizeof sys[0]); /* expect-error: store \(via a string function\) to scall key 'sys' */
	memset(fns, 0, sizeof fns); /* expect-error: store \(via a string function\) to scall key 'fns' */
	take(sys); /* expect-error: address of scall key 'sys' taken */
	take(&sys[1].cur); /* expect-error: address of scall key 'sys' taken */
	take(fns[1]); /* expect-error: address of scall key 'fns' taken */
	take(&sys[1].name);        /* a data member's address: fine */
	(void)sizeof(sys);         /* fine */
	scall_update(sys[2].cur, f);   /* the macros: fine */
	scall_update(fns[1][0], f);
	(void)scall_query(later[3]);
	(void)(fns[i][1](3) + (*fns[0])(2) + sys[i].cur(1));
}
