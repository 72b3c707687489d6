#include <scall.h>
#include <string.h>
int f(int);
void take(void *);
SCALL_DEFINE(k, f);
void *pinit = (void *)&k; /* expect-error: address of scall key 'k' taken */
int (**pp)(int) = &(k); /* expect-error: address of scall key 'k' taken */
void g(void)
{
	take((char *)(void *)&k); /* expect-error: address of scall key 'k' taken */
	memset(&k, 0, sizeof k); /* expect-error: store \(via a string function\) to scall key 'k' */
	k--; /* expect-error: store to scall key 'k'; use 'scall_update\(k, target\)' */
	k = 0; /* expect-error: store to scall key 'k' */
	(void)sizeof(&k);            /* unevaluated: fine */
	__typeof__(&k) q = 0;        /* unevaluated: fine */
	(void)q;
	scall_update(k, f);          /* the macros: fine */
	(void)scall_query(k);
	(void)__scall_key_ref((void *)(char *)&k);
}
