/* SPDX-License-Identifier: MIT */
/*
 * Keys used from a shared object and from a dlopen'ed object: a module
 * loaded later starts with the current target; dlclose unregisters it; an
 * update after dlclose works.  Then dlopen/dlclose in a loop in one thread
 * while another updates in a loop (no deadlock against the loader lock),
 * bounded to 2 s.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <time.h>

#include "rt_test.h"

int g1(int), g2(int), lib_call_s(int), exe_call_s(int);
extern int (*key_s)(int);
void *lib_site(void);
extern uint8_t site_exe_call_s[];
#define site_lib_call_s ((uint8_t *)lib_site())
static const char *plug_path;

/* A site in range of f must call f; otherwise it stays on its trampoline,
 * whose address the test does not know: check only the opcode. */
static void expect_call(const uint8_t *site, void *f, void *tramp)
{
	uint8_t b[5];
	(void)tramp;
	if (rt_in_range(site, 5, f)) {
		rt_branch(b, site, 0xe8, 0, f);
		EXPECT_BYTES(site, b, 5);
	} else {
		CHECK(site[0] == 0xe8);
	}
}

struct plug {
	void *h;
	int (*call)(int), (*jmp)(int);
	uint8_t *site_call, *site_jmp, *tramp;
};

static struct plug open_plug(void)
{
	struct plug p;
	p.h = dlopen(plug_path, RTLD_NOW | RTLD_LOCAL);
	if (!p.h)
		fprintf(stderr, "dlopen: %s\n", dlerror());
	CHECK(p.h);
	p.call = (int (*)(int))dlsym(p.h, "plug_call_s");
	p.jmp = (int (*)(int))dlsym(p.h, "plug_jmp_s");
	p.site_call = dlsym(p.h, "site_plug_call_s");
	p.site_jmp = dlsym(p.h, "site_plug_jmp_s");
	CHECK(p.call && p.jmp && p.site_call && p.site_jmp);
	/* The trampoline is hidden: find it from the site's compiler form
	 * is not possible once patched, so decode the jmp site when it
	 * still points at the trampoline (checked by the caller). */
	p.tramp = NULL;
	return p;
}

static volatile int stop;
static _Atomic long loops, bad;

static void *opener(void *a)
{
	(void)a;
	while (!stop) {
		struct plug p = open_plug();
		int r = p.call(1);
		if (r != 11 && r != 21)
			bad++;
		r = p.jmp(1);
		if (r != 11 && r != 21)
			bad++;
		CHECK(dlclose(p.h) == 0);
		loops++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct scall_stats s0, s;

	setvbuf(stdout, NULL, _IONBF, 0);
	CHECK(argc == 2);
	plug_path = argv[1];
	s0 = rt_stats();
	CHECK_EQ(s0.modules, 2); /* the executable and libdlkeyed.so */
	CHECK_EQ(s0.sites, 2);
	CHECK_EQ(lib_call_s(1), 11);
	CHECK_EQ(exe_call_s(1), 11);

	CHECK(scall_update(key_s, g2) == 0);
	CHECK(key_s == g2);
	CHECK_EQ(lib_call_s(1), 21);
	CHECK_EQ(exe_call_s(1), 21);
	expect_call(site_exe_call_s, (void *)g2, NULL);
	/* The shared object's site is within range of g2 (same object). */
	{
		uint8_t b[5];
		rt_branch(b, site_lib_call_s, 0xe8, 0, (void *)g2);
		EXPECT_BYTES(site_lib_call_s, b, 5);
	}

	/* A module loaded now starts with the current target, g2. */
	struct plug p = open_plug();
	s = rt_stats();
	CHECK_EQ(s.modules, 3);
	CHECK_EQ(s.sites, 4);
	CHECK_EQ(p.call(1), 21);
	CHECK_EQ(p.jmp(1), 21);
	if (rt_in_range(p.site_call, 5, (void *)g2)) {
		uint8_t b[5];
		rt_branch(b, p.site_call, 0xe8, 0, (void *)g2);
		EXPECT_BYTES(p.site_call, b, 5);
		rt_branch(b, p.site_jmp, 0xe9, 0, (void *)g2);
		EXPECT_BYTES(p.site_jmp, b, 5);
	}
	CHECK(scall_update(key_s, g1) == 0);
	CHECK_EQ(p.call(1), 11);
	CHECK_EQ(p.jmp(1), 11);
	if (rt_in_range(p.site_call, 5, (void *)g1)) {
		uint8_t b[5];
		rt_branch(b, p.site_call, 0xe8, 0, (void *)g1);
		EXPECT_BYTES(p.site_call, b, 5);
	}
	CHECK(dlclose(p.h) == 0);
	s = rt_stats();
	CHECK_EQ(s.modules, 2);
	CHECK_EQ(s.sites, 2);
	/* An update after dlclose: patches what is left, touches nothing
	 * unmapped. */
	CHECK(scall_update(key_s, g2) == 0);
	{
		uint8_t b[5];
		rt_branch(b, site_lib_call_s, 0xe8, 0, (void *)g2);
		EXPECT_BYTES(site_lib_call_s, b, 5);
	}
	CHECK_EQ(exe_call_s(1), 21);
	CHECK_EQ(lib_call_s(1), 21);

	/* dlopen/dlclose in a loop against updates in a loop. */
	pthread_t th;
	struct timespec t0, t1;
	long nup = 0;
	CHECK(pthread_create(&th, NULL, opener, NULL) == 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		CHECK(scall_update(key_s, nup & 1 ? g1 : g2) == 0);
		nup++;
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while (t1.tv_sec - t0.tv_sec < 2);
	stop = 1;
	pthread_join(th, NULL);
	printf("%ld updates, %ld dlopen/dlclose loops, %ld bad\n", nup,
	       (long)loops, (long)bad);
	CHECK_EQ(bad, 0);
	CHECK(loops > 10);
	CHECK_EQ(rt_stats().modules, 2);
	puts("ok");
	return 0;
}
