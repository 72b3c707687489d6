/* SPDX-License-Identifier: MIT */
/*
 * Static branches (scall.h "Static branches"): every transition of both
 * keys (default FALSE and TRUE), each tested with scall_branch_unlikely and
 * scall_branch_likely in the executable, in the shared library that defines
 * the keys, and in a module dlopen'ed after a flip (it must start in the
 * current state), unloaded and loaded again; counting (inc/dec nesting,
 * underflow is -EINVAL and changes nothing); a batch mixing a key update
 * and flips, all or nothing; -EDEADLK from a signal handler on the
 * patching thread, whose branches mid-patch take the new state (emulated
 * by the SIGTRAP handler); a fork whose child flips its own copy.  Built with -DSCALL_NO_ASM the tests are loads
 * of the count: the same results, and no branch is registered.
 *
 *   rt_branch PLUG.so            (argv[2] "none": SCALL_WRITER=none, where
 *                                 a flip that must move a branch is
 *                                 -ENOTSUP and the branches keep their
 *                                 compiled state)
 */
#include <dlfcn.h>
#include <signal.h>
#include <sys/wait.h>

#include "branch.h"
#include "rt_test.h"

BRANCH_TESTS(exe)

#ifdef SCALL_NO_ASM
#define NO_ASM 1
#else
#define NO_ASM 0
#endif

static const struct branch_tests *mods[3];
static size_t nmods;
static const char *plug_path;
static void *plug;
static int writer_none;

static const char *const names[4] = { "unlikely(false key)",
				      "likely(false key)",
				      "unlikely(true key)",
				      "likely(true key)" };

/* What each of the four tests must return. */
static void expect(int want[4])
{
	want[0] = want[1] = scall_branch_enabled(bk_false);
	want[2] = want[3] = scall_branch_enabled(bk_true);
}

static void check_all(const char *when)
{
	int want[4];

	expect(want);
	for (size_t m = 0; m < nmods; m++)
		for (int i = 0; i < 4; i++) {
			int got = mods[m]->t[i]();

			if (got != want[i]) {
				fprintf(stderr,
					"%s: module %zu: %s returned %d, the "
					"key says %d\n",
					when, m, names[i], got, want[i]);
				abort();
			}
		}
}

static void load_plug(void)
{
	const struct branch_tests *(*f)(void);

	plug = dlopen(plug_path, RTLD_NOW);
	if (!plug) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		abort();
	}
	f = (const struct branch_tests *(*)(void))dlsym(plug,
							 "branch_plug_tests");
	CHECK(f);
	mods[nmods++] = f();
}

static void unload_plug(void)
{
	CHECK(nmods == 3);
	nmods--;
	CHECK_EQ(dlclose(plug), 0);
	plug = NULL;
}

static void stats(struct scall_stats *s)
{
	CHECK_EQ(scall_stats(s), 0);
}

/* Each module holds 4 branches (the plug's while loaded). */
static void check_registered(void)
{
	struct scall_stats s;

	stats(&s);
	CHECK_EQ(s.branches, NO_ASM ? 0 : 4 * nmods);
	CHECK_EQ(s.branches_refused, 0);
	/* One of each key's two forms jumps, whatever the key's state. */
	CHECK_EQ(s.branches_jmp, NO_ASM || writer_none ? s.branches_jmp
						       : 2 * nmods);
}

static int count_of(struct scall_branch_key *k)
{
	return __atomic_load_n(&k->count, __ATOMIC_RELAXED);
}

/* Every transition of one key (its default given), checked after each. */
static void transitions(struct scall_branch_key *k, int dflt, const char *kn)
{
	char when[96];
	int r;

#define STEP(call, want_count)                                                 \
	do {                                                                   \
		r = (call);                                                    \
		CHECK_EQ(r, 0);                                                \
		CHECK_EQ(count_of(k), (want_count));                           \
		snprintf(when, sizeof(when), "%s: %s", kn, #call);             \
		check_all(when);                                               \
	} while (0)

	CHECK_EQ(count_of(k), dflt);
	check_all(kn);
	STEP(__scall_branch_op(k, SCALL_BRANCH_OP_ENABLE), 1);
	STEP(__scall_branch_op(k, SCALL_BRANCH_OP_ENABLE), 1);
	STEP(__scall_branch_op(k, SCALL_BRANCH_OP_DISABLE), 0);
	STEP(__scall_branch_op(k, SCALL_BRANCH_OP_DISABLE), 0);
	/* Nesting: enabled while any inc is not matched by a dec. */
	STEP(__scall_branch_op(k, SCALL_BRANCH_OP_INC), 1);
	STEP(__scall_branch_op(k, SCALL_BRANCH_OP_INC), 2);
	STEP(__scall_branch_op(k, SCALL_BRANCH_OP_DEC), 1);
	STEP(__scall_branch_op(k, SCALL_BRANCH_OP_DEC), 0);
	/* Underflow: an error, nothing changes. */
	CHECK_EQ(__scall_branch_op(k, SCALL_BRANCH_OP_DEC), -EINVAL);
	CHECK_EQ(count_of(k), 0);
	check_all("after an underflow");
	/* enable over a count of 2 sets 1, as the kernel's. */
	STEP(__scall_branch_op(k, SCALL_BRANCH_OP_INC), 1);
	STEP(__scall_branch_op(k, SCALL_BRANCH_OP_INC), 2);
	STEP(__scall_branch_op(k, SCALL_BRANCH_OP_ENABLE), 1);
	STEP(__scall_branch_op(k, dflt ? SCALL_BRANCH_OP_ENABLE
				       : SCALL_BRANCH_OP_DISABLE),
	     dflt);
#undef STEP
}

/* The public macros, on both keys. */
static void macros(void)
{
	CHECK_EQ(scall_branch_enable(bk_false), 0);
	CHECK(scall_branch_enabled(bk_false));
	check_all("scall_branch_enable");
	CHECK_EQ(scall_branch_disable(bk_true), 0);
	CHECK(!scall_branch_enabled(bk_true));
	check_all("scall_branch_disable");
	CHECK_EQ(scall_branch_inc(bk_true), 0);
	CHECK_EQ(scall_branch_inc(bk_true), 0);
	CHECK_EQ(scall_branch_dec(bk_true), 0);
	CHECK(scall_branch_enabled(bk_true));
	check_all("scall_branch_inc/dec");
	CHECK_EQ(scall_branch_dec(bk_true), 0);
	CHECK_EQ(scall_branch_dec(bk_true), -EINVAL);
	CHECK_EQ(scall_branch_dec(bk_false), 0);
	CHECK_EQ(scall_branch_dec(bk_false), -EINVAL);
	check_all("scall_branch_dec");
	/* Back to the defaults. */
	CHECK_EQ(scall_branch_enable(bk_true), 0);
	check_all("defaults");
}

/* A key of the update half of a mixed batch. */
static long one(void) { return 1; }
static long two(void) { return 2; }
SCALL_DEFINE(bkey, one);

static void batch(void)
{
	struct scall_update u[] = { SCALL_UPDATE(bkey, two) };
	struct scall_branch_update ok[] = { SCALL_BRANCH_INC(bk_false),
					    SCALL_BRANCH_INC(bk_false),
					    SCALL_BRANCH_DISABLE(bk_true),
					    SCALL_BRANCH_DEC(bk_false) };
	struct scall_branch_update bad[] = { SCALL_BRANCH_ENABLE(bk_true),
					     SCALL_BRANCH_DEC(bk_false),
					     SCALL_BRANCH_DEC(bk_false) };
	struct scall_update back[] = { SCALL_UPDATE(bkey, one) };
	struct scall_branch_update undo[] = { SCALL_BRANCH_DISABLE(bk_false),
					      SCALL_BRANCH_ENABLE(bk_true) };
	struct scall_branch_update badop = { &bk_false.key, 7 };
	struct scall_stats s0, s1;

	stats(&s0);
	/* In order: +1 +1 -1 on bk_false, bk_true off, bkey retargeted. */
	CHECK_EQ(scall_update_batch_branches(u, 1, ok, 4), 0);
	CHECK_EQ(count_of(&bk_false.key), 1);
	CHECK_EQ(count_of(&bk_true.key), 0);
	CHECK(scall_query(bkey) == two);
	/* With a plugin, a site of the same module as the branches. */
	CHECK_EQ(scall(bkey)(), 2);
	check_all("batch");
	stats(&s1);
	CHECK_EQ(s1.updates, s0.updates + 1);
	/* One cycle: at most 3 syncs for all of it. */
	CHECK(s1.syncs - s0.syncs <= 3);
	/* All or nothing: the second DEC of bk_false underflows. */
	CHECK_EQ(scall_update_batch_branches(back, 1, bad, 3), -EINVAL);
	CHECK_EQ(count_of(&bk_false.key), 1);
	CHECK_EQ(count_of(&bk_true.key), 0);
	CHECK(scall_query(bkey) == two);
	check_all("failed batch");
	CHECK_EQ(scall_update_batch_branches(NULL, 1, NULL, 0), -EINVAL);
	CHECK_EQ(scall_update_batch_branches(NULL, 0, NULL, 1), -EINVAL);
	CHECK_EQ(scall_update_batch_branches(NULL, 0, &badop, 1), -EINVAL);
	CHECK_EQ(scall_update_batch_branches(NULL, 0, NULL, 0), 0);
	CHECK_EQ(count_of(&bk_false.key), 1);
	CHECK_EQ(scall_update_batch_branches(back, 1, undo, 2), 0);
	CHECK(scall_query(bkey) == one);
	CHECK_EQ(scall(bkey)(), 1);
	CHECK_EQ(count_of(&bk_false.key), 0);
	CHECK_EQ(count_of(&bk_true.key), 1);
	check_all("batch undone");
}

/* A signal handler on the patching thread, mid-patch (after the INT3
 * step's sync): a flip is -EDEADLK, and its tests take the state the
 * flip in progress stored. */
static volatile int sig_flip = 1, sig_results[4], sig_ran;

static void on_usr1(int sig)
{
	(void)sig;
	sig_flip = scall_branch_disable(bk_true);
	for (int i = 0; i < 4; i++)
		sig_results[i] = mods[0]->t[i]();
	sig_ran = 1;
}

static void hook(int step)
{
	if (step == 1 && !sig_ran)
		raise(SIGUSR1);
}

static void deadlock(void)
{
	struct scall_stats s0, s1;
	int want[4];

	signal(SIGUSR1, on_usr1);
	stats(&s0);
	__scall_test_hook = hook;
	CHECK_EQ(scall_branch_enable(bk_false), 0);
	__scall_test_hook = NULL;
	if (NO_ASM) {
		/* No branch, no cycle: the hook never ran. */
		CHECK_EQ(sig_ran, 0);
		on_usr1(SIGUSR1);
		CHECK_EQ(sig_flip, 0);
		expect(want);
		for (int i = 0; i < 4; i++)
			CHECK_EQ(sig_results[i], want[i]);
		CHECK_EQ(scall_branch_enable(bk_true), 0);
	} else {
		CHECK_EQ(sig_ran, 1);
		CHECK_EQ(sig_flip, -EDEADLK);
		stats(&s1);
		/* The handler's tests of bk_false hit its parked INT3s. */
		CHECK(s1.traps >= s0.traps + 2);
	}
	CHECK(scall_branch_enabled(bk_true));
	expect(want);
	for (int i = 0; i < 4 && !NO_ASM; i++)
		CHECK_EQ(sig_results[i], want[i]);
	check_all("after the signal");
	CHECK_EQ(scall_branch_disable(bk_false), 0);
}

/* fork: the child flips its own copy (patching its own text), the
 * parent's branches and counts stay as they were. */
static void forked(void)
{
	int status;
	pid_t pid;

	check_all("before fork");
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CHECK_EQ(scall_branch_enable(bk_false), 0);
		CHECK_EQ(scall_branch_disable(bk_true), 0);
		check_all("child");
		CHECK_EQ(scall_branch_disable(bk_false), 0);
		CHECK_EQ(scall_branch_dec(bk_false), -EINVAL);
		check_all("child, back");
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	check_all("parent after fork");
	CHECK_EQ(scall_branch_enable(bk_false), 0);
	check_all("parent flips after fork");
	CHECK_EQ(scall_branch_disable(bk_false), 0);
}

/* SCALL_WRITER=none: the counts change, the branches keep their
 * compiled state, and a flip that needed a write says so. */
static void none(void)
{
	int got[4];

	CHECK_EQ(scall_branch_enable(bk_false), NO_ASM ? 0 : -ENOTSUP);
	CHECK(scall_branch_enabled(bk_false));
	for (int i = 0; i < 4; i++)
		got[i] = mods[0]->t[i]();
	if (NO_ASM) {
		check_all("none");
	} else {
		/* As compiled: the defaults. */
		CHECK_EQ(got[0], 0);
		CHECK_EQ(got[1], 0);
		CHECK_EQ(got[2], 1);
		CHECK_EQ(got[3], 1);
	}
	/* Back to the default: nothing to write, no error. */
	CHECK_EQ(scall_branch_disable(bk_false), 0);
	check_all("none, defaults");
}

int main(int argc, char **argv)
{
	struct scall_stats s;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PLUG.so [none]\n", argv[0]);
		return 2;
	}
	plug_path = argv[1];
	writer_none = argc > 2 && !strcmp(argv[2], "none");
	mods[nmods++] = &exe_tests;
	mods[nmods++] = branch_lib_tests();
	check_registered();
	check_all("start");
	stats(&s);
	CHECK_EQ(s.writer && !strcmp(s.writer, "none"), writer_none);
	if (writer_none) {
		none();
		printf("rt_branch (writer none%s): ok\n",
		       NO_ASM ? ", no asm" : "");
		return 0;
	}

	transitions(&bk_false.key, 0, "false key");
	transitions(&bk_true.key, 1, "true key");
	macros();

	/* A module loaded after a flip starts in the current state. */
	CHECK_EQ(scall_branch_enable(bk_false), 0);
	CHECK_EQ(scall_branch_disable(bk_true), 0);
	load_plug();
	check_registered();
	check_all("dlopen after a flip");
	transitions(&bk_false.key, 1, "false key, plug loaded");
	transitions(&bk_true.key, 0, "true key, plug loaded");
	/* Unloaded (its branches put back as compiled) and loaded again:
	 * its bytes verify, and it starts in the current state. */
	unload_plug();
	check_registered();
	load_plug();
	check_registered();
	check_all("dlopen again");
	CHECK_EQ(scall_branch_disable(bk_false), 0);
	CHECK_EQ(scall_branch_enable(bk_true), 0);
	check_all("defaults, plug loaded");
	batch();
	forked();
	deadlock();
	check_registered();
	printf("rt_branch%s: ok\n", NO_ASM ? " (no asm)" : "");
	return 0;
}
