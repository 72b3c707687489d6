/* scall-ld Makefile-recipe test: two sites (a call and a tail call). */
#include <stdio.h>
#include <scall.h>
static int add1(int x) { return x + 1; }
static int add2(int x) { return x + 2; }
SCALL_DEFINE(op, add1);
__attribute__((noinline)) int use(int x) { return scall(op)(x) * 2; }
__attribute__((noinline)) int tail(int x) { return scall(op)(x); }
int main(void)
{
	int a = use(1) + tail(1);
	scall_update(op, add2);
	int b = use(1) + tail(1);
	printf("%d %d\n", a, b);
	return !(a == 6 && b == 9);
}
