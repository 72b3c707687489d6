/* A program with the static runtime (scall::scall_static). */
#include <stdio.h>

#include <scall.h>

static long twice(long x) { return 2 * x; }
static long thrice(long x) { return 3 * x; }

SCALL_DEFINE(solo_key, twice);

__attribute__((noinline)) static long use(long x) { return scall(solo_key)(x); }

int main(void)
{
	struct scall_stats st;
	int ok = use(5) == 10 && scall_update(solo_key, thrice) == 0 && use(5) == 15 &&
		 scall_stats(&st) == 0;
#ifdef SCALL_TEST_TOOLCHAIN
	ok = ok && st.modules == 1 && st.sites > 0 && st.sites_direct == st.sites;
#endif
	if (!ok)
		fprintf(stderr, "solo: FAIL\n");
	return !ok;
}
