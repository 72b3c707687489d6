/* The runtime the compile checks link with: the entry points the emitted
 * code references, and no patching, so every checked program runs entirely
 * on its trampolines (which linking libscall would hide: it patches the
 * sites at start-up).  The end-to-end tests use libscall. */
#include <scall/format.h>
#include <stdio.h>

int tramp_runtime_registered;

/* SCALL_SYM_REGISTER */
void __scall_needs_libscall__link_with_lscall(struct scall_module *m);
void __scall_needs_libscall__link_with_lscall(struct scall_module *m)
{
	if (m->magic == SCALL_MODULE_MAGIC)
		tramp_runtime_registered++;
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
