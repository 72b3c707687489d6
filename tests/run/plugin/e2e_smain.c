/* SPDX-License-Identifier: MIT */
/* A struct key defined in a shared object, called and stored from the
 * executable (a copy relocation under -no-pie: the key is the copy) and
 * from the library itself.  Built with the toolchain (E2E_EXPECT_PATCHED),
 * every site of both modules must hold the state its key requires. */
#include <scall.h>
#include <stdio.h>
#include <string.h>
#include "e2e_slib.h"

#include "../../common/site_check.h"

static int main_add(int x) { return x * 7; }
static void main_log(int x) { slib_logged += 1000 * x; }

__attribute__((noinline)) int m_call(int x) { return slib_ops.add(x); }
__attribute__((noinline)) void m_log(int x) { scall_cond(slib_ops.ev.log)(x); }

static void show(const char *what)
{
	slib_logged = 0;
	m_log(1);
	slib_log_it(2);
	printf("%-8s main=%d lib=%d logged=%d gen=%ld\n", what, m_call(3),
	       slib_call(4), slib_logged, slib_ops.gen);
}

int main(void)
{
	show("initial");
	slib_ops.add = main_add;
	slib_ops.gen = 1;
	show("member");
	struct slib_ops o = { main_add, { main_log }, 2 };
	slib_ops = o;
	show("copy");
	memset(&slib_ops, 0, sizeof slib_ops);
	slib_ops.add = main_add;
	show("memset");
	slib_reset();
	show("reset");

	struct scall_stats st;
	if (scall_stats(&st))
		return 1;
	fprintf(stderr, "modules %zu sites %zu direct %zu refused %zu\n", st.modules,
		st.sites, st.sites_direct, st.sites_refused);
#ifdef E2E_EXPECT_PATCHED
	/* The library's sites reach the library's targets directly; the
	 * executable's may be out of rel32 range (they use the trampoline).
	 * The runtime registered every record memory holds. */
	struct site_count c = site_check();
	site_check_print("final", &c);
	if (c.wrong || c.modules != 2 || st.modules != 2 || st.sites != c.sites ||
	    st.sites_unresolved != c.unresolved || st.sites_refused != 0 ||
#ifdef E2E_EXPECT_UNRESOLVED
	    c.sites || c.unresolved < 4 || c.tramps_direct < 2
#else
	    c.unresolved || c.sites < 4 || c.direct < 2
#endif
	) {
		fprintf(stderr, "FAIL: the runtime did not patch the struct key's sites\n");
		return 1;
	}
#else
	if (!site_check_none("fallback"))
		return 1;
#endif
	return 0;
}
