/* Link stub for the compile checks: the runtime entry points the emitted
 * code references, doing nothing.  The end-to-end tests use libscall. */
#include <scall/format.h>
#include <stdio.h>

int stub_registered;

void __scall_register_module(struct scall_module *m)
{
	if (m->magic == SCALL_MODULE_MAGIC)
		stub_registered++;
}
void __scall_unregister_module(struct scall_module *m) { (void)m; }
void __scall_nop(void) {}
long scall_return0(void) { return 0; }
int __scall_update_key(void *key, void *target, int check)
{
	(void)check;
	*(void **)key = target;
	return 0;
}
