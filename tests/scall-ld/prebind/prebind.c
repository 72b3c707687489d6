/* A program whose keys all start at functions of its own (pre-bound by
 * scall-ld), for prebind.sh.  It prints its text mapping's Private_Dirty
 * after start, then, with argument "update", retargets a key and checks
 * the call follows it. */
#include <scall.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int add1(int x) { return x + 1; }
static int mul3(int x) { return x * 3; }
static void nothing(int x) { (void)x; }

SCALL_DEFINE(op, add1);
SCALL_DEFINE(hook, nothing);

__attribute__((noinline)) int use(int x)
{
	scall(hook)(x);
	return scall(op)(x);
}

__attribute__((noinline)) int tail(int x)
{
	return scall(op)(x);
}

/* kB of Private_Dirty in this executable's executable mappings (its
 * text): a page the runtime wrote is private and dirty. */
static long text_dirty(void)
{
	char exe[512], line[1024];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	FILE *f = fopen("/proc/self/smaps", "r");
	long sum = 0, kb;
	int in_text = 0;

	if (n <= 0 || !f)
		return -1;
	exe[n] = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		char perms[5], path[512];

		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %511s", &lo, &hi, perms,
			   path) == 4)
			in_text = perms[2] == 'x' && !strcmp(path, exe);
		else if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3)
			in_text = 0;
		else if (in_text && sscanf(line, "Private_Dirty: %ld kB", &kb) == 1)
			sum += kb;
	}
	fclose(f);
	return sum;
}

int main(int argc, char **argv)
{
	long dirty = text_dirty();

	printf("text Private_Dirty %ld kB\n", dirty);
	if (use(1) != 2 || tail(2) != 3)
		return printf("FAIL: initial targets\n"), 1;
	if (argc > 1 && !strcmp(argv[1], "update")) {
		if (scall_update(op, mul3))
			return printf("FAIL: scall_update\n"), 1;
		if (use(2) != 6 || tail(3) != 9)
			return printf("FAIL: after the update: %d %d\n", use(2), tail(3)), 1;
		printf("updated\n");
	}
	return 0;
}
