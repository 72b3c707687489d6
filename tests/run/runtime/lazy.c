/* SPDX-License-Identifier: MIT */
/*
 * rt_lazy: lazy registration of a module scall-ld pre-bound whole
 * (lazy_lib.S; docs/protocol.md, "Lazy registration").  Run with
 * SCALL_DEBUG=1 and four copies of the module: argv[1], argv[2] and
 * argv[4] pre-bound, argv[3] pre-bound with a constructor that stores its
 * key before it registers.
 *  - dlopen of argv[1] builds no site item (the SCALL_DEBUG lines), writes
 *    nothing (0 syncs, text Private_Dirty 0 kB), and scall_stats counts
 *    its sites from the records;
 *  - its first update builds them once, while two threads call through
 *    every site and the test hook calls them from the updating thread
 *    after each step (INT3 on every window at step 1: the handler must
 *    find the items just built); then every call reaches the new target;
 *  - argv[2]: a plain store and __scall_stored build its items and bring
 *    its sites to the new value; argv[4]: scall_resync builds its items
 *    and writes nothing;
 *  - argv[3]: the key's value at registration wins: registered whole, its
 *    sites written at once.
 */
#include <dlfcn.h>
#include <pthread.h>

#include "rt_test.h"

#define LZ_N 300
#define NSITES (3 * LZ_N + 1)

typedef int lz_fn(int i, int x);

struct lz {
	void *h;
	lz_fn *call, *jmp, *jcc;
	int (*cond)(void);
	void **a, **w, *t1;
};

static struct lz open_lz(const char *path)
{
	struct lz m = { .h = dlopen(path, RTLD_NOW | RTLD_LOCAL) };
	void **(*ka)(void), **(*kw)(void);

	if (!m.h)
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
	CHECK(m.h);
	CHECK((m.call = (lz_fn *)dlsym(m.h, "lz_call")));
	CHECK((m.jmp = (lz_fn *)dlsym(m.h, "lz_jmp")));
	CHECK((m.jcc = (lz_fn *)dlsym(m.h, "lz_jcc")));
	CHECK((m.cond = (int (*)(void))dlsym(m.h, "lz_cond")));
	CHECK((ka = (void **(*)(void))dlsym(m.h, "lz_key_a")));
	CHECK((kw = (void **(*)(void))dlsym(m.h, "lz_key_w")));
	m.a = ka();
	m.w = kw();
	return m;
}

/* Every site of m with x = 200 + i: each returns x + 1000 (old) or
 * x + 2000 (new); only new once `must_new`.  The Jcc sites also with
 * x < 100 (not taken). */
static void call_all(const struct lz *m, int must_new)
{
	for (int i = 0; i < LZ_N; i++) {
		int x = 200 + i;
		int r[3] = { m->call(i, x), m->jmp(i, x), m->jcc(i, x) };

		for (int k = 0; k < 3; k++) {
			if (r[k] == x + 2000 || (!must_new && r[k] == x + 1000))
				continue;
			fprintf(stderr, "site %d of kind %d: %d for x = %d%s\n", i,
				k, r[k], x, must_new ? " (must be new)" : "");
			abort();
		}
		CHECK_EQ(m->jcc(i, 7), -1);
	}
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)); p++)
		n++;
	return n;
}

/* The text mappings of path: their Private_Dirty, in kB. */
static long text_dirty(const char *path)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512], perms[8], name[256];
	long kb, total = 0;
	int ours = 0;

	CHECK(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		name[0] = 0;
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &lo, &hi, perms,
			   name) >= 3) {
			ours = strchr(perms, 'x') && !strcmp(name, path);
			continue;
		}
		if (ours && sscanf(line, "Private_Dirty: %ld kB", &kb) == 1)
			total += kb;
	}
	fclose(f);
	return total;
}

static struct lz *hooked;
static int stop, after, hook_steps, started;

static void hook(int step)
{
	/* Each step of the first cycle: at step 1 every window holds INT3,
	 * so these calls are the handler's, from the items just built. */
	hook_steps++;
	(void)step;
	call_all(hooked, 0);
}

static void *caller(void *arg)
{
	const struct lz *m = arg;
	long rounds = 0;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		/* Read before the calls: set once the update has returned. */
		int must_new = __atomic_load_n(&after, __ATOMIC_ACQUIRE);

		call_all(m, must_new);
		if (!rounds++)
			__atomic_fetch_add(&started, 1, __ATOMIC_RELEASE);
	}
	return (void *)rounds;
}

static int seven(void)
{
	return 7;
}

int main(int argc, char **argv)
{
	struct scall_stats st;
	struct rt_capture c;
	struct lz m, m2, m3, m4;
	pthread_t th[2];
	char *out;

	CHECK(argc == 5);
	CHECK(getenv("SCALL_DEBUG"));

	/* Registered lazily: no item, no write. */
	c = rt_capture_begin();
	m = open_lz(argv[1]);
	out = rt_capture_end(c);
	CHECK(count(out, "site records, pre-bound: no item until a cycle "
			 "takes its keys") == 1);
	CHECK(count(out, "site items built") == 0);
	CHECK(count(out, "register: 0 key(s), 0 window(s) changed, 0 sync(s)"));
	free(out);
	CHECK_EQ(scall_stats(&st), 0);
	CHECK_EQ(st.modules, 1);
	CHECK_EQ(st.sites, NSITES);
	CHECK_EQ(st.sites_direct, NSITES); /* bound: direct, NOP */
	CHECK_EQ(st.sites_refused, 0);
	CHECK_EQ(st.trampolines, 2);
	CHECK_EQ(st.syncs, 0);
	CHECK_EQ(text_dirty(argv[1]), 0);
	CHECK_EQ(m.cond(), 5);
	CHECK_EQ(m.call(0, 1), 1001);
	CHECK((m.t1 = dlsym(m.h, "lz_t1")));
	CHECK_EQ(((int (*)(int))m.t1)(1), 2001);

	/* The first update builds the items, mid-cycle calls included. */
	hooked = &m;
	__scall_test_hook = hook;
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&th[i], NULL, caller, &m) == 0);
	/* Both calling (their start-up done, SIGTRAP unblocked). */
	rt_wait_for(&started, 2, "the callers");
	c = rt_capture_begin();
	CHECK_EQ(__scall_update_key(m.a, m.t1, SCALL_TARGET_TYPED), 0);
	__atomic_store_n(&after, 1, __ATOMIC_RELEASE);
	out = rt_capture_end(c);
	__scall_test_hook = NULL;
	CHECK_EQ(hook_steps, 3);
	CHECK(count(out, ": 901 site items built for its first cycle") == 1);
	CHECK(count(out, "update: 1 key(s), 901 window(s) changed, 3 sync(s)") == 1);
	free(out);
	usleep(20000);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++) {
		void *rounds;

		CHECK(pthread_join(th[i], &rounds) == 0);
		CHECK((long)rounds > 0);
	}
	call_all(&m, 1);
	CHECK_EQ(scall_stats(&st), 0);
	CHECK_EQ(st.sites, NSITES);
	CHECK_EQ(st.sites_direct, NSITES);
	CHECK_EQ(st.sites_refused, 0);
	CHECK_EQ(st.syncs, 3);
	/* Built once: a later update of another key builds nothing. */
	c = rt_capture_begin();
	CHECK_EQ(__scall_update_key(m.w, (void *)seven, SCALL_TARGET_TYPED), 0);
	out = rt_capture_end(c);
	CHECK(count(out, "site items built") == 0);
	free(out);
	CHECK_EQ(m.cond(), 12);

	/* A converted store builds a lazy module's items (the keys in its
	 * range) and patches its sites. */
	c = rt_capture_begin();
	m2 = open_lz(argv[2]);
	call_all(&m2, 0);
	CHECK_EQ(m2.call(3, 1), 1001);
	CHECK((m2.t1 = dlsym(m2.h, "lz_t1")));
	*m2.a = m2.t1;
	CHECK_EQ(__scall_stored(m2.a, sizeof(void *)), 0);
	out = rt_capture_end(c);
	CHECK(count(out, "site records, pre-bound: no item") == 1);
	CHECK(count(out, ": 901 site items built for its first cycle") == 1);
	CHECK(count(out, "store: 0 key(s), 901 window(s) changed, 3 sync(s)") == 1);
	free(out);
	call_all(&m2, 1);

	/* So does a resync, with nothing to write. */
	c = rt_capture_begin();
	m4 = open_lz(argv[4]);
	CHECK_EQ(scall_resync(), 0);
	out = rt_capture_end(c);
	CHECK(count(out, "site records, pre-bound: no item") == 1);
	CHECK(count(out, ": 901 site items built for its first cycle") == 1);
	CHECK(count(out, "resync: 0 key(s), 0 window(s) changed, 0 sync(s)") == 1);
	free(out);
	call_all(&m4, 0);
	CHECK_EQ(m4.call(3, 1), 1001);

	/* The key's value at registration wins: stored by a constructor
	 * before, so the module registers whole and its sites follow. */
	c = rt_capture_begin();
	m3 = open_lz(argv[3]);
	out = rt_capture_end(c);
	CHECK(count(out, "pre-bound: no item") == 0);
	CHECK(count(out, "site records, in scall-ld's order") == 1);
	CHECK(count(out, "register: 0 key(s), 901 window(s) changed, 3 sync(s)") == 1);
	free(out);
	call_all(&m3, 1);
	CHECK_EQ(m3.cond(), 5);

	CHECK_EQ(scall_stats(&st), 0);
	CHECK_EQ(st.modules, 4);
	CHECK_EQ(st.sites, 4 * NSITES);
	CHECK_EQ(st.sites_refused, 0);
	dlclose(m4.h);
	dlclose(m3.h);
	dlclose(m2.h);
	dlclose(m.h);
	printf("ok\n");
	return 0;
}
