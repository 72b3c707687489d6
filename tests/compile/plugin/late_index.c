/* Arrays of keys whose index becomes a constant only after optimisation
 * (late_index.sh): the late pass (scall-late) converts the calls of a
 * static inline function given a constant index and those of a loop
 * unrolled over the array; a truly variable index stays indirect and is
 * counted by verbose, after the late pass. */
#include <scall.h>
#include <stdio.h>
typedef int fn(int);
static int add1(int x) { return x + 1; }
static int add2(int x) { return x + 2; }
static int add3(int x) { return x + 3; }
static int add4(int x) { return x + 4; }
static struct syscall { const char *name; fn *cur; fn *dflt; } sys[4] SCALL_KEY = {
	{ "a", add1, add2 }, { "b", add2, add3 }, { "c", add3, add4 }, { "d", add4, add1 },
};
static inline int at(int i, int x) { return sys[i].cur(x); }
__attribute__((noinline)) int inlined(int x) { return at(1, x) + at(2, x); }
__attribute__((noinline)) int unrolled(int x)
{
	int s = 0;
#pragma GCC unroll 4
	for (int i = 0; i < 4; i++)
		s += sys[i].cur(x);
	return s;
}
__attribute__((noinline)) int var(int i, int x) { return sys[i].cur(x); }
__attribute__((noinline)) int varloop(int n, int x)
{
	int s = 0;
	for (int i = 0; i < n; i++)
		s += sys[i].dflt(x);
	return s;
}
int main(int argc, char **argv)
{
	(void)argv;
	printf("%d %d %d %d\n", inlined(1), unrolled(1), var(argc + 1, 1), varloop(argc + 3, 1));
	return 0;
}
