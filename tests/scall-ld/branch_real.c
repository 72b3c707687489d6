/* Static branches through scall.h's own macros (scall_branch_likely and
 * scall_branch_unlikely on a FALSE and a TRUE key), for scall-ld against
 * what the compilers make of them (branch_cc.sh).  Exits 0 when every
 * branch goes the way of its key's initial state; nothing flips them. */
#include <scall.h>
#include <stdio.h>
#include <stdlib.h>

SCALL_BRANCH_DEFINE_FALSE(br_dbg);
SCALL_BRANCH_DEFINE_TRUE(br_feat);

__attribute__((cold, noinline)) void slow(const char *what)
{
	fprintf(stderr, "unexpected: %s\n", what);
	exit(1);
}

__attribute__((noinline)) int work(int n)
{
	int i, sum = 0;

	for (i = 0; i < n; i++) {
		if (scall_branch_unlikely(br_dbg))
			slow("unlikely(FALSE key) taken"); /* f.cold at -O2 */
		if (!scall_branch_unlikely(br_feat))
			slow("unlikely(TRUE key) not taken");
		if (scall_branch_likely(br_dbg))
			slow("likely(FALSE key) taken");
		if (scall_branch_likely(br_feat))
			sum += i;
		else
			slow("likely(TRUE key) not taken");
	}
	return sum;
}

int main(int argc, char **argv)
{
	(void)argv;
	return work(10 + argc) == (10 + argc) * (9 + argc) / 2 ? 0 : 2;
}
