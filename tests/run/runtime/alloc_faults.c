/* SPDX-License-Identifier: MIT */
/*
 * Allocation failures, each allocation of an operation in turn (the test
 * hook __scall_test_alloc_hook fails the k-th): nothing may be half done.
 *   update   a batch of two keys returns -ENOMEM with both keys and every
 *            site unchanged; an update of one key, scall_resync and a
 *            converted store allocate nothing at all;
 *   dlopen   the module's registration fails: one line on stderr, the
 *            module stays on its trampolines (its sites and trampolines
 *            untouched, calls and updates correct through the key), and
 *            dlclose is harmless;
 *   dlclose  the unregistration cannot build a table without the module:
 *            one line, the module is dropped all the same, and later
 *            updates (whose cycle would read its unmapped code) and a new
 *            dlopen work.
 * Argument: the path of libdlplug.so (dl_plug.S, sites of key_s).
 */
#include <dlfcn.h>

#include "common_keys.h"

static int fa(int x) { return x + 1; }
static int fb(int x) { return x + 2; }
int (*key_a)(int) SCALL_KEY = fa;
DEFINE_OTHER_KEYS;
/* libdlkeyed.so */
int g1(int), g2(int), lib_call_s(int);
extern int (*key_s)(int);
void *lib_site(void);

extern int (*volatile __scall_test_alloc_hook)(size_t size);
extern int __scall_stored(void *addr, size_t len);

static int fail_at = -1, seen;
static int alloc_hook(size_t n)
{
	(void)n;
	return seen++ == fail_at;
}

/* Run the operation op with the k-th allocation failing (k = -1: none);
 * returns how many allocations it asked for. */
#define WITH_FAILING(k, op)                                                    \
	(fail_at = (k), seen = 0, __scall_test_alloc_hook = alloc_hook, (op),  \
	 __scall_test_alloc_hook = NULL, seen)

static uint8_t *exe_sites[] = { site_call_a, site_jmp_a, site_jcc_a,
				site_ccall_v, site_cjmp_v, site_cjcc_v,
				site_call_r };
enum { NEXE = sizeof(exe_sites) / sizeof(exe_sites[0]) };

struct snap {
	uint8_t b[NEXE + 1][6];
};
static struct snap snap_sites(void)
{
	struct snap s;

	for (int i = 0; i < NEXE; i++)
		memcpy(s.b[i], exe_sites[i], 6);
	memcpy(s.b[NEXE], lib_site(), 6);
	return s;
}
static void expect_snap(const struct snap *s)
{
	for (int i = 0; i < NEXE; i++)
		EXPECT_BYTES(exe_sites[i], s->b[i], 6);
	EXPECT_BYTES((uint8_t *)lib_site(), s->b[NEXE], 6);
}

static void updates(void)
{
	struct scall_update u[2] = { SCALL_UPDATE(key_a, fb),
				     SCALL_UPDATE(key_s, g2) };
	struct snap s0 = snap_sites();
	struct scall_stats st0 = rt_stats();
	int k, n, err = 0;

	for (k = 0;; k++) {
		n = WITH_FAILING(k, err = scall_update_batch(u, 2));
		if (k >= n)
			break;
		CHECK_EQ(err, -ENOMEM);
		CHECK(scall_query(key_a) == fa && scall_query(key_s) == g1);
		expect_snap(&s0);
		CHECK_EQ(call_a(1), 2);
		CHECK_EQ(lib_call_s(1), 11);
		CHECK_EQ(rt_stats().updates, st0.updates);
		CHECK_EQ(rt_stats().syncs, st0.syncs);
	}
	CHECK_EQ(err, 0);
	CHECK(n >= 1);
	CHECK_EQ(call_a(1), 3);
	CHECK_EQ(lib_call_s(1), 21);
	printf("update_batch: %d batch(es), each failing one allocation in "
	       "turn: -ENOMEM, nothing changed\n", k);
	/* After the keys are stored nothing allocates. */
	CHECK_EQ(WITH_FAILING(0, err = scall_update(key_a, fa)), 0);
	CHECK_EQ(err, 0);
	CHECK_EQ(call_a(1), 2);
	CHECK_EQ(WITH_FAILING(0, err = scall_resync()), 0);
	CHECK_EQ(err, 0);
	key_s = g1; /* behind scall's back */
	CHECK_EQ(WITH_FAILING(0, err = __scall_stored(&key_s, sizeof(key_s))),
		 0);
	CHECK_EQ(err, 0);
	CHECK_EQ(lib_call_s(1), 11);
	puts("update, resync, converted store: no allocation");
}

struct plug {
	void *h;
	int (*call)(int), (*jmp)(int);
	uint8_t *site[2];
};

static struct plug open_plug(const char *path)
{
	struct plug p;

	p.h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!p.h)
		fprintf(stderr, "dlopen: %s\n", dlerror());
	CHECK(p.h);
	p.call = (int (*)(int))dlsym(p.h, "plug_call_s");
	p.jmp = (int (*)(int))dlsym(p.h, "plug_jmp_s");
	p.site[0] = dlsym(p.h, "site_plug_call_s");
	p.site[1] = dlsym(p.h, "site_plug_jmp_s");
	CHECK(p.call && p.jmp && p.site[0] && p.site[1]);
	return p;
}

/* The site still has its compiler form: a branch to a trampoline that
 * still loads the key. */
static void expect_on_trampoline(const uint8_t *site)
{
	int32_t rel;
	const uint8_t *t;

	CHECK(site[0] == 0xe8 || site[0] == 0xe9);
	memcpy(&rel, site + 1, 4);
	t = site + 5 + rel;
	CHECK(t[0] == 0x4c && (t[1] == 0x8b || t[1] == 0x8d) && t[2] == 0x1d);
}

static void expect_direct(const uint8_t *site, int (*f)(int))
{
	uint8_t b[5];

	rt_branch(b, site, site[0], 0, (void *)f);
	EXPECT_BYTES(site, b, 5);
}

static void dlopen_fails(const char *path)
{
	struct scall_stats s0 = rt_stats(), s;
	struct rt_capture cap;
	struct plug p;
	char *log;
	int k, n;

	for (k = 0;; k++) {
		cap = rt_capture_begin();
		n = WITH_FAILING(k, p = open_plug(path));
		log = rt_capture_end(cap);
		s = rt_stats();
		if (k >= n)
			break;
		CHECK_EQ(rt_count_lines(log, "out of memory: left on its "
					     "trampolines", ""), 1);
		CHECK_EQ(rt_count_lines(log, "scall:", ""), 1);
		free(log);
		CHECK_EQ(s.modules, s0.modules);
		CHECK_EQ(s.sites, s0.sites);
		expect_on_trampoline(p.site[0]);
		expect_on_trampoline(p.site[1]);
		CHECK_EQ(p.call(1), 11);
		CHECK_EQ(p.jmp(1), 11);
		CHECK(scall_update(key_s, g2) == 0);
		expect_on_trampoline(p.site[0]);
		CHECK_EQ(p.call(1), 21);
		CHECK_EQ(p.jmp(1), 21);
		expect_direct(lib_site(), g2);
		CHECK(scall_update(key_s, g1) == 0);
		CHECK_EQ(p.call(1), 11);
		cap = rt_capture_begin();
		CHECK(dlclose(p.h) == 0);
		log = rt_capture_end(cap);
		CHECK_EQ(rt_count_lines(log, "scall:", ""), 0);
		free(log);
		CHECK_EQ(rt_stats().modules, s0.modules);
	}
	CHECK_EQ(rt_count_lines(log, "scall:", ""), 0);
	free(log);
	CHECK_EQ(s.modules, s0.modules + 1);
	expect_direct(p.site[0], g1);
	expect_direct(p.site[1], g1);
	CHECK(dlclose(p.h) == 0);
	printf("dlopen: %d registrations, each failing one allocation in "
	       "turn: left on its trampolines\n", k);
}

static void dlclose_fails(const char *path)
{
	struct scall_stats s0 = rt_stats();
	struct rt_capture cap;
	struct plug p;
	char *log;
	int k, n, err = 0;

	for (k = 0;; k++) {
		p = open_plug(path);
		CHECK_EQ(rt_stats().modules, s0.modules + 1);
		cap = rt_capture_begin();
		n = WITH_FAILING(k, err = dlclose(p.h));
		log = rt_capture_end(cap);
		CHECK_EQ(err, 0);
		CHECK_EQ(rt_stats().modules, s0.modules);
		CHECK_EQ(rt_stats().sites, s0.sites);
		if (k >= n) {
			CHECK_EQ(rt_count_lines(log, "scall:", ""), 0);
			free(log);
			break;
		}
		CHECK_EQ(rt_count_lines(log, "out of memory while unloading",
					""), 1);
		free(log);
		/* A cycle over every item: the dropped module's are not
		 * read (its code is gone). */
		CHECK(scall_update(key_s, g2) == 0);
		CHECK_EQ(lib_call_s(1), 21);
		CHECK(scall_resync() == 0);
		CHECK(scall_update(key_s, g1) == 0);
		CHECK_EQ(lib_call_s(1), 11);
	}
	CHECK(n >= 1);
	/* and a module loaded again after all that */
	p = open_plug(path);
	expect_direct(p.site[0], g1);
	CHECK_EQ(p.call(1), 11);
	CHECK(scall_update(key_s, g2) == 0);
	expect_direct(p.site[0], g2);
	CHECK_EQ(p.jmp(1), 21);
	CHECK(scall_update(key_s, g1) == 0);
	CHECK(dlclose(p.h) == 0);
	printf("dlclose: %d unregistrations, each failing one allocation in "
	       "turn: module dropped\n", k);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	CHECK(argc == 2);
	printf("writer %s\n", rt_stats().writer);
	CHECK(!strcmp(rt_stats().writer, "proc-mem"));
	updates();
	/* The first registration of the module grows the cycle's scratch
	 * space (and stops failing once it has: the loop ends early); the
	 * second needs no growth and reaches the allocations after it. */
	dlopen_fails(argv[1]);
	dlopen_fails(argv[1]);
	dlclose_fails(argv[1]);
	puts("ok");
	return 0;
}
