/* SPDX-License-Identifier: MIT */
/*
 * Code that runs after its module's own destructor
 * (__scall_unregister_module), as a later destructor does
 * (tests/random/regress/dtor-after-unregister).
 *
 * dlclose: the module (unload_lib.c, .S; every window out of its compiler
 * form, all kinds, a plain, a cond and a RET0 key) is restored by one patch
 * cycle before it is dropped.  The test hook stops that cycle after each
 * step (-1..-3: the unregistration's cycle) and calls every site: a thread
 * trapping mid-cycle runs the restored form.  The module's priority-101
 * destructor then finds every window in its compiler form and calls that
 * follow later updates.
 *
 * exit: the executable's module stays registered, so a priority-101
 * destructor of the executable (after __scall_module_dtor) updates key_a
 * and finds its site patched to the new target.  It runs in a child that
 * exits; the parent requires the line the destructor writes.
 *
 * Argument: the path of libunloadmod.so.
 */
#include <dlfcn.h>
#include <sys/wait.h>

#include "common_keys.h"

static int fa(int x) { return x + 1; }
static int fb(int x) { return x + 2; }
int (*key_a)(int) SCALL_KEY = fa;
DEFINE_OTHER_KEYS;

static void (*ul_calls)(void);
static unsigned steps_seen, other_steps;

static void unload_hook(int step)
{
	if (step >= 0) {
		other_steps++;
		return;
	}
	steps_seen |= 1u << -step;
	ul_calls();
}

static void dlclose_restores(const char *path)
{
	struct scall_stats s0 = rt_stats(), s;
	void (*prepare)(int *);
	int done = 0;
	void *h;

	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		fprintf(stderr, "dlopen: %s\n", dlerror());
	CHECK(h);
	prepare = (void (*)(int *))dlsym(h, "ul_prepare");
	ul_calls = (void (*)(void))dlsym(h, "ul_calls");
	CHECK(prepare && ul_calls);
	CHECK_EQ(rt_stats().modules, s0.modules + 1);
	prepare(&done);
	s0 = rt_stats();
	__scall_test_hook = unload_hook;
	CHECK(dlclose(h) == 0);
	__scall_test_hook = NULL;
	s = rt_stats();
	CHECK_EQ(done, 10); /* the late destructor checked 10 windows */
	CHECK_EQ(steps_seen, 0xe); /* steps -1, -2, -3 */
	CHECK_EQ(other_steps, 0);
	CHECK_EQ(s.modules, s0.modules - 1);
	/* After steps 1 and 2 every changing window holds INT3: each call of
	 * ul_calls traps at least 13 times (2 per call through a changing site
	 * and trampoline, 1 for the Jcc not taken, the cond Jcc site, which
	 * stays in its form, and the RET0 site). */
	CHECK(s.traps - s0.traps >= 2 * 13);
	printf("dlclose: 10 windows restored, %llu calls emulated mid-cycle\n",
	       (unsigned long long)(s.traps - s0.traps));
}

static int late_fd = -1;
static size_t late_modules;

/* After the executable's __scall_module_dtor (default priority). */
__attribute__((destructor(101))) static void late_main(void)
{
	uint8_t b[5];

	if (late_fd < 0)
		return;
	CHECK_EQ(rt_stats().modules, late_modules);
	CHECK_EQ(call_a(10), 11);
	CHECK(scall_update(key_a, fb) == 0);
	rt_branch(b, site_call_a, 0xe8, 0, (void *)fb);
	EXPECT_BYTES(site_call_a, b, 5);
	CHECK_EQ(call_a(10), 12);
	CHECK_EQ(jmp_a(10), 12);
	CHECK(write(late_fd, "late: ok\n", 9) == 9);
}

static void exit_keeps_main(void)
{
	char buf[64] = "";
	int fd[2], st;
	ssize_t n, k = 0;
	uint8_t b[5];
	pid_t pid;

	rt_branch(b, site_call_a, 0xe8, 0, (void *)fa);
	EXPECT_BYTES(site_call_a, b, 5);
	CHECK(pipe(fd) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(fd[0]);
		late_fd = fd[1];
		late_modules = rt_stats().modules;
		exit(0);
	}
	close(fd[1]);
	while ((n = read(fd[0], buf + k, sizeof(buf) - 1 - (size_t)k)) > 0)
		k += n;
	close(fd[0]);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(!strcmp(buf, "late: ok\n"));
	puts("exit: the executable's destructor updated a site of its own");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	CHECK(argc == 2);
	if (!strcmp(rt_stats().writer, "none")) {
		puts("SKIP: no code writer (every site stays in its compiler "
		     "form)");
		return 77;
	}
	dlclose_restores(argv[1]);
	exit_keeps_main();
	puts("ok");
	return 0;
}
