/* SPDX-License-Identifier: MIT */
/* Key in a shared object, called from the executable, from the object
 * itself and from a dlopen'ed object; updated from the executable.  Built
 * with the toolchain (E2E_EXPECT_PATCHED), every site of the three modules
 * must hold the state its key requires after each step. */
#include <dlfcn.h>
#include <scall.h>
#include <stdio.h>

#include "../../common/site_check.h"

extern int (*shared_op)(int) SCALL_KEY;
int lib_call(int x);
static int times3(int x) { return 3 * x; }
static int minus(int x) { return -x; }
__attribute__((noinline)) int main_call(int x) { return shared_op(x) + 0 * x; }

/* The records of `modules` modules, at least `sites` of them, all in the
 * state the key requires: direct to the target from its own module (the
 * others may be out of rel32 range: via their trampolines), and the runtime
 * registered every one of them. */
static int sites_ok(const char *what, size_t modules, size_t sites)
{
#ifdef E2E_EXPECT_PATCHED
	struct site_count c = site_check();
	struct scall_stats st;

	site_check_print(what, &c);
	if (scall_stats(&st) || c.wrong || c.modules != modules || st.modules != modules ||
	    st.sites != c.sites || st.sites_unresolved != c.unresolved || st.sites_refused) {
		fprintf(stderr, "FAIL: %s: sites not in their keys' states\n", what);
		return 0;
	}
#ifdef E2E_EXPECT_UNRESOLVED
	/* Only the trampolines are patched; the one of the target's module
	 * jumps to it. */
	if (c.sites || c.unresolved < sites || c.tramps_direct < 1) {
#else
	if (c.unresolved || c.sites < sites || c.direct < 1) {
#endif
		fprintf(stderr, "FAIL: %s: expected %zu sites, one direct at least\n",
			what, sites);
		return 0;
	}
	return 1;
#else
	(void)modules, (void)sites;
	return site_check_none(what);
#endif
}

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
	if (!sites_ok("initial", 3, 3))
		return 1;
	if (scall_update(shared_op, times3))
		return 1;
	printf("times3  %d %d %d\n", main_call(2), lib_call(2), plug_call(2));
	if (!sites_ok("times3", 3, 3))
		return 1;
	dlclose(h);
	if (scall_update(shared_op, minus))
		return 1;
	printf("minus   %d %d\n", main_call(3), lib_call(3));
	return !sites_ok("minus", 2, 2);
}
