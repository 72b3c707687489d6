/* SPDX-License-Identifier: MIT */
/*
 * 1. SCALL_WRITER=none: nothing is ever written, every site stays on its
 *    trampoline and every transition still behaves (the trampolines read
 *    the key).  No sync.
 * 2. Modules with a bad header (magic, version, flags) are refused and stay
 *    on their trampolines.
 */
#include <dlfcn.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common_keys.h"

static int fa(int x) { return x + 1; }
static int fb(int x) { return x + 2; }
static int v1;
static void fv1(void) { v1++; }
int (*key_a)(int) SCALL_KEY = fa;
DEFINE_OTHER_KEYS;

static uint8_t snap[7][6];
static uint8_t *sites[7];

static void expect_untouched(void)
{
	for (int i = 0; i < 7; i++)
		EXPECT_BYTES(sites[i], snap[i], 6);
}

static void bad_modules(char **paths, int n)
{
	struct scall_stats s0 = rt_stats();
	for (int i = 0; i < n; i++) {
		void *h = dlopen(paths[i], RTLD_NOW | RTLD_LOCAL);
		CHECK(h);
		int (*call)(int) = (int (*)(int))dlsym(h, "bad_call");
		uint8_t *site = dlsym(h, "site_bad_call");
		void **key = dlsym(h, "key_bad");
		CHECK(call && site && key);
		uint8_t before[5];
		memcpy(before, site, 5);
		CHECK_EQ(rt_stats().modules, s0.modules);
		CHECK_EQ(call(1), 101);
		CHECK(__scall_update_key(key, (void *)fb, SCALL_TARGET_TYPED) == 0);
		EXPECT_BYTES(site, before, 5);
		CHECK_EQ(call(1), 3); /* through the trampoline */
		dlclose(h);
	}
	CHECK_EQ(rt_stats().sites, s0.sites);
}

/* argv[1] says which part runs ("none" or "bad-header"), not the writer
 * found: a runtime that ignored SCALL_WRITER=none must fail "none". */
int main(int argc, char **argv)
{
	uint8_t *s[7] = { site_call_a, site_jmp_a, site_jcc_a, site_ccall_v,
			  site_cjmp_v, site_cjcc_v, site_call_r };
	struct scall_stats st = rt_stats();
	const char *env = getenv("SCALL_WRITER");

	CHECK(argc >= 2);
	if (!strcmp(argv[1], "bad-header")) {
		/* With a writer: a bad header must be refused, not patched. */
		CHECK(strcmp(st.writer, "none"));
		bad_modules(argv + 2, argc - 2);
		puts("ok (bad modules)");
		return 0;
	}
	CHECK(!strcmp(argv[1], "none"));
	CHECK(env && !strcmp(env, "none"));
	printf("writer %s\n", st.writer);
	CHECK(!strcmp(st.writer, "none"));
	for (int i = 0; i < 7; i++) {
		sites[i] = s[i];
		memcpy(snap[i], s[i], 6);
	}
	CHECK(site_call_a[0] == 0xe8 && site_ccall_v[0] == 0xe8);
	CHECK_EQ(st.sites_trampoline, 7);
	CHECK_EQ(st.sites_direct, 0);
	CHECK_EQ(call_a(1), 2);
	ccall_v(); /* NULL: the cond trampoline returns */
	cjmp_v();
	cjcc_v(0);
	CHECK_EQ(call_r(), 0);
	CHECK(scall_update(key_a, fb) == 0);
	CHECK(scall_update(key_v, fv1) == 0);
	CHECK_EQ(call_a(1), 3);
	CHECK_EQ(jmp_a(1), 3);
	CHECK_EQ(jcc_a(100), 102);
	ccall_v();
	cjmp_v();
	cjcc_v(0);
	CHECK_EQ(v1, 3);
	CHECK(scall_update(key_v, NULL) == 0);
	ccall_v();
	CHECK_EQ(v1, 3);
	expect_untouched();
	CHECK_EQ(rt_stats().syncs, 0);
	bad_modules(argv + 2, argc - 2);
	puts("ok");
	return 0;
}
