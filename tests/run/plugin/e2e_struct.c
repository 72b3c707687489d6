/* SPDX-License-Identifier: MIT */
/* End to end: struct keys (global, file-static, nested members) called
 * through their members and retargeted by ordinary C stores that
 * -fplugin-arg-scall-convert-stores turns into runtime updates: a member
 * store, key = other key, a whole-struct copy, memset, __atomic_store_n,
 * __atomic_store, and a store in a constructor that runs before the module
 * is registered.  stdout must be identical without the plugin (plain
 * stores, indirect calls).  Built with it (E2E_EXPECT_PATCHED), the code
 * must hold the state each site's key requires after every step (NULL
 * members after the memset among them), and a direct branch at every site
 * at the end. */
#include <scall.h>
#include <stdio.h>
#include <string.h>

#include "../../common/site_check.h"

static int add1(int x) { return x + 1; }
static int add2(int x) { return x + 2; }
static int mul3(int x) { return x * 3; }
static int neg(int x) { return -x; }
static int total;
static void acc(int x) { total += x; }
static void acc10(int x) { total += 10 * x; }

struct inner {
	long data;
	int (*mul)(int);
	void (*hook)(int);
};
struct ops {
	int (*add)(int);
	int flags;
	struct inner in;
	char pad[200];
	int (*far)(int); /* beyond a disp8 */
};

struct ops ops SCALL_KEY = { add1, 1, { 7, mul3, acc }, { 0 }, neg };
static struct ops sops SCALL_KEY = { neg, 2, { 8, neg, NULL }, { 0 }, add2 };
static const struct ops table_a = { add2, 3, { 9, add1, acc10 }, { 0 }, mul3 };
int (*plain)(int) SCALL_KEY = add1;
int (*early)(int) SCALL_KEY = add1;

/* Before __scall_module_ctor (default priority) registers this module. */
__attribute__((constructor(101))) static void early_store(void) { early = mul3; }

__attribute__((noinline)) int f_add(int x) { return ops.add(x); }
__attribute__((noinline)) int f_mul(int x) { return ops.in.mul(x) * 2; }
__attribute__((noinline)) void f_hook(int x) { scall_cond(ops.in.hook)(x); }
__attribute__((noinline)) int f_far(int x) { return ops.far(x) + 0 * x; }
__attribute__((noinline)) int f_sadd(int x) { return sops.add(x) - 1; }
__attribute__((noinline)) int f_smul(int x) { return scall(sops.in.mul)(x); }
__attribute__((noinline)) void f_shook(int x) { scall_cond(sops.in.hook)(x); }
__attribute__((noinline)) int f_plain(int x) { return plain(x) + 0 * x; }
__attribute__((noinline)) int f_early(int x) { return early(x) + 0 * x; }

#ifdef E2E_EXPECT_PATCHED
static int wrong_states;
#endif

static void show(const char *what)
{
	total = 0;
	f_hook(2);
	f_shook(3);
	printf("%-8s add=%d mul=%d hook=%d far=%d sadd=%d smul=%d plain=%d "
	       "early=%d flags=%d data=%ld\n",
	       what, f_add(1), f_mul(2), total, f_far(4), f_sadd(5), f_smul(6),
	       f_plain(7), f_early(8), ops.flags, ops.in.data);
#ifdef E2E_EXPECT_PATCHED
	struct site_count c = site_check();
	site_check_print(what, &c);
	wrong_states += c.wrong != 0;
#endif
}

int main(void)
{
	show("initial");
	ops.add = add2;                 /* member store */
	ops.in.hook = acc10;            /* nested member */
	ops.flags = 5;                  /* data member: a plain store */
	show("member");
	plain = ops.in.mul;             /* key = other key */
	sops.in.hook = acc;
	show("keykey");
	ops = table_a;                  /* whole-struct copy: one batch */
	show("copy");
	sops = ops;                     /* struct key = struct key */
	show("copykey");
	memset(&sops, 0, sizeof sops);  /* every member NULL, one batch */
	sops.add = add1;
	sops.in.mul = add2;
	show("memset");
	__atomic_store_n(&ops.in.mul, neg, __ATOMIC_RELEASE);
	int (*t)(int) = mul3;
	__atomic_store(&plain, &t, __ATOMIC_RELEASE);
	__atomic_store_n(&early, add1, __ATOMIC_SEQ_CST);
	show("atomic");
	struct inner in = { 42, add1, acc };
	ops.in = in;                    /* a nested struct as a whole */
	show("inner");
	if (scall_update(ops.far, add2) || scall_query(ops.far) != add2)
		return 1;                /* the API on a member */
	struct scall_update u[] = { SCALL_UPDATE(ops.add, neg), SCALL_UPDATE(sops.in.hook, acc10) };
	if (scall_update_batch(u, 2))
		return 1;
	show("api");

	struct scall_stats st;
	if (scall_stats(&st))
		return 1;
	fprintf(stderr, "modules %zu sites %zu direct %zu tramp %zu refused %zu tramps %zu updates %llu\n",
		st.modules, st.sites, st.sites_direct, st.sites_trampoline,
		st.sites_refused, st.trampolines, (unsigned long long)st.updates);
#ifdef E2E_EXPECT_PATCHED
	/* 9 call sites (plus inlined copies), all direct now: every key has a
	 * non-NULL target in this executable, or is a NULL cond key (a NOP);
	 * the runtime registered every record memory holds. */
	struct site_count c = site_check();
	if (wrong_states || !site_check_all_direct("final", 1, 9) || st.modules != c.modules ||
	    st.sites != c.sites || st.sites_unresolved != c.unresolved ||
	    st.sites_refused != 0 || c.tramps < 9 || st.updates < 10) {
		fprintf(stderr, "FAIL: the runtime did not patch the struct keys' sites\n");
		return 1;
	}
#else
	if (!site_check_none("fallback"))
		return 1;
#endif
	return 0;
}
