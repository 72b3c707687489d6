/* SPDX-License-Identifier: MIT */
/* Key in a shared object, called from the executable, from the object
 * itself and from a dlopen'ed object; updated from the executable. */
#include <dlfcn.h>
#include <scall.h>
#include <stdio.h>

extern int (*shared_op)(int) SCALL_KEY;
int lib_call(int x);
static int times3(int x) { return 3 * x; }
static int minus(int x) { return -x; }
__attribute__((noinline)) int main_call(int x) { return shared_op(x) + 0 * x; }

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	void *h = dlopen(argv[1], RTLD_NOW);
	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	int (*plug_call)(int) = (int (*)(int))dlsym(h, "plug_call");
	printf("initial %d %d %d\n", main_call(1), lib_call(1), plug_call(1));
	if (scall_update(shared_op, times3))
		return 1;
	printf("times3  %d %d %d\n", main_call(2), lib_call(2), plug_call(2));
	struct scall_stats st;
	scall_stats(&st);
	fprintf(stderr, "modules %zu sites %zu direct %zu refused %zu\n",
		st.modules, st.sites, st.sites_direct, st.sites_refused);
#if SCALL_HAVE_PLUGIN
	/* Kind-4 records count instead when scall-ld did not run (Clang). */
	if (st.modules < 3 || st.sites + st.sites_unresolved < 3 ||
	    st.sites_refused) {
		fprintf(stderr, "FAIL: expected 3 modules with sites\n");
		return 1;
	}
#endif
	dlclose(h);
	if (scall_update(shared_op, minus))
		return 1;
	printf("minus   %d %d\n", main_call(3), lib_call(3));
	return 0;
}
