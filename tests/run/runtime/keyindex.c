/* SPDX-License-Identifier: MIT */
/*
 * The per-key index over many keys and modules (keyindex.h): the
 * executable and three dlopen'ed modules hold sites of 64 keys and of the
 * four members of a struct key, each key in one to three of them, some
 * keys in modules only.  A fixed pseudo-random sequence of updates,
 * batches, converted stores and unloads and reloads of modules runs; the
 * middle module is unloaded first, then the first one, so that a key's
 * tree node passes to another module's run or leaves the tree.  After each
 * step every site and trampoline of every loaded module is checked against
 * memory (site_check.h) and every site is called; each cycle that changes
 * something costs 3 syncs, one that changes nothing 0.  During every
 * update cycle, after its first and second sync, every site of every
 * module is called from the test hook: the updated keys' sites hold INT3,
 * and the handler must find each one's item in its module and emulate the
 * new target.
 *
 * A converted store of the members m1 and m2 alone (the bytes
 * [&m1, &m3)) must leave the sites of m0 and m3, stored behind scall's
 * back, on their previous targets: the store selects exactly the keys in
 * its range.
 *
 * Arguments: the three modules (keyindex_sites.S with MOD 0, 1, 2).
 */
#include <dlfcn.h>

#include "rt_test.h"
#include "../../common/site_check.h"
#include "keyindex.h"

extern int __scall_stored(void *addr, size_t len);

#define EXE 3
#define NFNS (3 * IDX_NKEYS + IDX_NMEMBERS)

/* The executable's sites (keyindex_sites.S); the modules' by dlsym. */
extern idx_fn *const idx_fns[NFNS];

static struct {
	const char *path;
	void *h;
	idx_fn *const *fns;
} mods[4];

/* The model: which idx_t<n> each key and member holds. */
static int cur[IDX_NKEYS], mcur[IDX_NMEMBERS];
static idx_fn **const members[IDX_NMEMBERS] = { &idx_ops.m0, &idx_ops.m1,
						&idx_ops.m2, &idx_ops.m3 };

static int value(int t, int x)
{
	return x + 1000 * (t + 1);
}

static int has(int m, int k)
{
	return m == EXE ? k < IDX_EXE_KEYS : k % 3 != m;
}

static int loaded(int m)
{
	return m == EXE || mods[m].h;
}

/* Are module m's sites within rel32 of the targets (patched direct)? */
static int near(int m)
{
	return rt_in_range((const void *)mods[m].fns[NFNS - 1], 5,
			   (const void *)idx_t0);
}

/* Does a cycle over key k (member i when k < 0) change a window when its
 * value changes: some loaded module holds a site of it near its target. */
static int patched(int k)
{
	for (int m = 0; m <= EXE; m++)
		if (loaded(m) && (k < 0 || has(m, k)) && near(m))
			return 1;
	return 0;
}

/* Call every site of every loaded module; the members' sites of module m
 * are expected at mwant[m][i]. */
static void call_all_members(int mwant[4][IDX_NMEMBERS])
{
	for (int m = 0; m <= EXE; m++) {
		idx_fn *const *f = mods[m].fns;

		if (!loaded(m))
			continue;
		for (int k = 0; k < IDX_NKEYS; k++) {
			if (!has(m, k)) {
				CHECK(!f[3 * k] && !f[3 * k + 1] && !f[3 * k + 2]);
				continue;
			}
			CHECK_EQ(f[3 * k](5), value(cur[k], 5));
			CHECK_EQ(f[3 * k + 1](6), value(cur[k], 6));
			CHECK_EQ(f[3 * k + 2](0), value(cur[k], 0));
			CHECK_EQ(f[3 * k + 2](1), -1);
		}
		for (int i = 0; i < IDX_NMEMBERS; i++)
			CHECK_EQ(f[3 * IDX_NKEYS + i](7), value(mwant[m][i], 7));
	}
}

static void call_all(void)
{
	int mwant[4][IDX_NMEMBERS];

	for (int m = 0; m <= EXE; m++)
		memcpy(mwant[m], mcur, sizeof(mcur));
	call_all_members(mwant);
}

static void check_all(const char *what)
{
	struct site_count c = site_check();
	struct scall_stats s = rt_stats();
	size_t sites = 0;

	for (int m = 0; m <= EXE; m++)
		if (loaded(m))
			for (int k = 0; k < IDX_NKEYS; k++)
				sites += 3 * (size_t)has(m, k);
	for (int m = 0; m <= EXE; m++)
		sites += loaded(m) ? IDX_NMEMBERS : 0;
	if (c.wrong || c.sites != sites || s.sites != sites ||
	    s.sites_refused) {
		site_check_print(what, &c);
		fprintf(stderr, "%s: %zu sites expected, the runtime has %llu "
				"(%llu refused)\n", what, sites,
			(unsigned long long)s.sites,
			(unsigned long long)s.sites_refused);
		abort();
	}
	call_all();
}

/* Every site called after the first and the second sync of each update
 * cycle: the changing windows hold INT3 then, and the keys their new
 * value, which the model already has (members: hook_want when set). */
static int hooked;
static int (*hook_want)[IDX_NMEMBERS];
static void step_hook(int step)
{
	if (step == 1 || step == 2) {
		if (hook_want)
			call_all_members(hook_want);
		else
			call_all();
		hooked++;
	}
}

static unsigned seed = 2024;
static int rnd(int n)
{
	seed = seed * 1103515245u + 12345u;
	return (int)((seed >> 16) % (unsigned)n);
}

static uint64_t syncs(void)
{
	return rt_stats().syncs;
}

static void expect_syncs(uint64_t s0, int changed, const char *what)
{
	if (syncs() - s0 != (changed ? 3u : 0u)) {
		fprintf(stderr, "%s: %llu syncs, expected %d\n", what,
			(unsigned long long)(syncs() - s0), changed ? 3 : 0);
		abort();
	}
}

static void op_update(void)
{
	int k = rnd(IDX_NKEYS), t = rnd(4), changed = t != cur[k] && patched(k);
	struct scall_update u = { idx_keys[k], idx_targets[t],
				  SCALL_TARGET_TYPED };
	uint64_t s0 = syncs();

	cur[k] = t;
	CHECK_EQ(scall_update_batch(&u, 1), 0);
	expect_syncs(s0, changed, "update");
}

/* Up to 8 entries, a key possibly twice (the last entry wins). */
static void op_batch(void)
{
	struct scall_update u[8];
	int n = 1 + rnd(8), changed = 0, was[IDX_NKEYS];
	uint64_t s0 = syncs();

	memcpy(was, cur, sizeof(cur));
	for (int i = 0; i < n; i++) {
		int k = rnd(IDX_NKEYS), t = rnd(4);

		u[i] = (struct scall_update){ idx_keys[k], idx_targets[t],
					      SCALL_TARGET_TYPED };
		cur[k] = t;
	}
	for (int k = 0; k < IDX_NKEYS; k++)
		changed |= cur[k] != was[k] && patched(k);
	CHECK_EQ(scall_update_batch(u, (size_t)n), 0);
	expect_syncs(s0, changed, "batch");
}

/* A plain key stored behind scall's back, then announced. */
static void op_store_key(void)
{
	int k = rnd(IDX_NKEYS), t = rnd(4), changed = t != cur[k] && patched(k);
	uint64_t s0 = syncs();

	cur[k] = t;
	*idx_keys[k] = idx_targets[t];
	CHECK_EQ(__scall_stored(idx_keys[k], sizeof(idx_fn *)), 0);
	expect_syncs(s0, changed, "stored key");
}

/* Every member stored, only m1 and m2 announced; then the whole struct. */
static void op_store_members(void)
{
	int t[IDX_NMEMBERS], mwant[4][IDX_NMEMBERS], changed = 0;
	uint64_t s0 = syncs();

	for (int i = 0; i < IDX_NMEMBERS; i++) {
		t[i] = rnd(4);
		*members[i] = idx_targets[t[i]];
	}
	changed = (t[1] != mcur[1] || t[2] != mcur[2]) && patched(-1);
	/* Sites left on a previous target: a direct site of m0 or m3; the
	 * others read the key or were patched. */
	for (int m = 0; m <= EXE; m++)
		for (int i = 0; i < IDX_NMEMBERS; i++)
			mwant[m][i] = (i == 0 || i == 3) && loaded(m) && near(m)
					      ? mcur[i]
					      : t[i];
	mcur[1] = t[1];
	mcur[2] = t[2];
	hook_want = mwant;
	CHECK_EQ(__scall_stored(&idx_ops.m1, 2 * sizeof(idx_fn *)), 0);
	hook_want = NULL;
	expect_syncs(s0, changed, "stored m1, m2");
	call_all_members(mwant);
	s0 = syncs();
	changed = (t[0] != mcur[0] || t[3] != mcur[3]) && patched(-1);
	memcpy(mcur, t, sizeof(t));
	CHECK_EQ(__scall_stored(&idx_ops, sizeof(idx_ops)), 0);
	expect_syncs(s0, changed, "stored idx_ops");
}

static void open_mod(int m)
{
	mods[m].h = dlopen(mods[m].path, RTLD_NOW | RTLD_LOCAL);
	if (!mods[m].h)
		fprintf(stderr, "dlopen: %s\n", dlerror());
	CHECK(mods[m].h);
	mods[m].fns = dlsym(mods[m].h, "idx_fns");
	CHECK(mods[m].fns);
	/* Registration starts every site from the keys' current values. */
	check_all("dlopen");
}

static void close_mod(int m)
{
	CHECK_EQ(dlclose(mods[m].h), 0);
	mods[m].h = NULL;
	mods[m].fns = NULL;
	check_all("dlclose");
}

int main(int argc, char **argv)
{
	static const struct {
		int at, mod, open;
	} plan[] = { { 120, 1, 0 }, { 200, 0, 0 }, { 260, 1, 1 },
		     { 320, 2, 0 }, { 340, 0, 1 }, { 380, 2, 1 } };
	size_t next = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	CHECK(argc == 4);
	printf("writer %s\n", rt_stats().writer);
	CHECK(!strcmp(rt_stats().writer, "proc-mem"));
	mods[EXE].fns = idx_fns;
	check_all("start");
	for (int m = 0; m < 3; m++) {
		mods[m].path = argv[1 + m];
		open_mod(m);
		CHECK(near(m)); /* or this test would patch nothing */
	}
	__scall_test_hook = step_hook;
	for (int i = 0; i < 440; i++) {
		if (next < sizeof(plan) / sizeof(plan[0]) && plan[next].at == i) {
			__scall_test_hook = NULL;
			if (plan[next].open)
				open_mod(plan[next].mod);
			else
				close_mod(plan[next].mod);
			__scall_test_hook = step_hook;
			next++;
		}
		switch (rnd(8)) {
		case 0:
		case 1:
		case 2:
			op_update();
			break;
		case 3:
		case 4:
			op_batch();
			break;
		case 5:
		case 6:
			op_store_key();
			break;
		default:
			op_store_members();
			break;
		}
		check_all("step");
	}
	__scall_test_hook = NULL;
	CHECK(next == sizeof(plan) / sizeof(plan[0]));
	CHECK(hooked > 100);
	{
		uint64_t s0 = syncs();

		CHECK_EQ(scall_resync(), 0);
		expect_syncs(s0, 0, "resync");
	}
	check_all("end");
	printf("ok: 440 steps over %d modules, sites called mid-cycle %d "
	       "times\n", 4, hooked);
	return 0;
}
