/* One machine site per site record under clang's tail duplication
 * (taildup.sh).  dispatch(): three tail calls through one key, which clang
 * -O3 sinks into one IR call (one kind-4 record) and the backend's tail
 * duplication used to copy back into two `jmp`s, one of them without a
 * record (tests/random/regress/clang-tail-dup).  cond(): a conditional tail
 * call, which clang -Os makes a `jcc` to the trampoline; the pass must leave
 * that optimisation possible. */
#include <scall.h>
#include <stdio.h>

static unsigned t1(unsigned a, unsigned long b) { return a * 3u + (unsigned)b; }
static void v(int x) { printf("v %d\n", x); }

SCALL_DEFINE(k, t1);
SCALL_DEFINE(kv, v);

static __attribute__((noinline)) unsigned dispatch(unsigned sel, unsigned a0, unsigned long a1)
{
	switch (sel % 3u) {
	case 0:
		return k(a0 & 7u, a1);
	case 1:
		return k((a0 + 3u) & 7u, a1);
	default:
		return k((a0 + 5u) & 7u, a1);
	}
}

__attribute__((noinline)) void cond(int x)
{
	if (x)
		kv(x);
}

int main(int argc, char **argv)
{
	unsigned s = 0;

	(void)argv;
	for (unsigned i = 0; i < 6; i++)
		s = s * 31u + dispatch(i + (unsigned)argc, i * 7u, i);
	cond(argc);
	printf("%u\n", s);
	return 0;
}
