/* SPDX-License-Identifier: MIT */
/*
 * A module the soak loads and unloads with dlopen/dlclose while other
 * threads call, update and fork: file-static keys of its own (a plain key,
 * a cond key, a struct key), updated with the API and with converted
 * stores, and sites calling the executable's keys (exported with
 * -rdynamic).  Two copies of the file make two modules that come and go
 * independently.
 */
#include <stddef.h>

#include "soak.h"

#define ARG_OK(x) ((x) == SOAK_ARG)
static int m1(int x) { return ARG_OK(x) ? 1 : SOAK_BADARG + 1; }
static int m2(int x) { return ARG_OK(x) ? 2 : SOAK_BADARG + 2; }
static int m3(int x) { return ARG_OK(x) ? 3 : SOAK_BADARG + 3; }
static void c1(int x) { soak_hit(ARG_OK(x) ? 1 : SOAK_BADARG + 1); }
static void c2(int x) { soak_hit(ARG_OK(x) ? 2 : SOAK_BADARG + 2); }

typedef int (*int_fn)(int);
typedef void (*void_fn)(int);
#define RET0_AS(type) ((type)(void (*)(void))scall_return0)

static SCALL_DEFINE(mk, m1);
static SCALL_DEFINE_NULL(mc, c1);
struct mod_ops {
	long tag;
	int (*f)(int);
};
static struct mod_ops mops SCALL_KEY = { 0, m2 };
static const struct mod_ops mops_tab[4] = {
	{ 0, RET0_AS(int_fn) }, { 1, m1 }, { 2, m2 }, { 3, m3 },
};

static void *mod_target(int k, int id)
{
	static void *const ints[4] = { (void *)scall_return0, (void *)m1, (void *)m2,
				       (void *)m3 };
	static void *const conds[4] = { NULL, (void *)c1, (void *)c2,
					(void *)scall_return0 };

	return k == MK_C ? conds[id & 3] : ints[id & 3];
}

static int mod_id(int k, void *t)
{
	for (int id = 0; id < 4; id++)
		if (mod_target(k, id) == t)
			return id;
	return -1;
}

static void *mod_value(int k)
{
	switch (k) {
	case MK_K: return (void *)scall_query(mk);
	case MK_C: return (void *)scall_query(mc);
	default: return (void *)scall_query(mops.f);
	}
}

static int mod_update(int k, int id)
{
	void *t = mod_target(k, id);

	switch (k) {
	case MK_K: return id ? scall_update(mk, (int_fn)t) : scall_update(mk, scall_return0);
	case MK_C: return id ? scall_update(mc, (void_fn)t) : scall_update(mc, NULL);
	default: return scall_update(mops.f, (int_fn)t);
	}
}

static int mod_batch(int mk_id, int mc_id, int mf_id)
{
	struct scall_update u[3] = {
		SCALL_UPDATE(mk, (int_fn)mod_target(MK_K, mk_id)),
		SCALL_UPDATE(mc, (void_fn)mod_target(MK_C, mc_id)),
		SCALL_UPDATE(mops.f, (int_fn)mod_target(MK_F, mf_id)),
	};

	return scall_update_batch(u, 3);
}

/* Converted stores, one form per key, outside any loop. */
__attribute__((noinline)) static void mod_store(int k, int id)
{
	switch (k) {
	case MK_K: mk = (int_fn)mod_target(k, id); break;
	case MK_C: __atomic_store_n(&mc, (void_fn)mod_target(k, id), __ATOMIC_RELEASE); break;
	default: mops = mops_tab[id & 3]; break;
	}
}

#define KEEP(r) __asm__ volatile("" : "+r"(r))
#define SITE __attribute__((noinline)) static
SITE int call_mk(void) { int r = mk(SOAK_ARG); KEEP(r); return r; }
SITE int tail_mk(void) { return mk(SOAK_ARG); }
SITE int cond_mc(void)
{
	soak_hit(0);
	scall_cond(mc)(SOAK_ARG);
	return soak_take_hit();
}
SITE int call_mf(void) { int r = mops.f(SOAK_ARG); KEEP(r); return r; }
SITE int call_kp(void) { int r = kp(SOAK_ARG); KEEP(r); return r; }
SITE int tail_kp(void) { return kp(SOAK_ARG); }
SITE int cond_kc(void)
{
	soak_hit(0);
	scall_cond(kc)(SOAK_ARG);
	return soak_take_hit();
}
SITE int call_oa(void) { int r = ops.a(SOAK_ARG); KEEP(r); return r; }
SITE int cond_hx(void)
{
	soak_hit(0);
	scall_cond(hooks.x)(SOAK_ARG);
	return soak_take_hit();
}
SITE int call_kq(void) { long r = kq(1, 2, 3, 4, 5, 6, 7, 8); KEEP(r); return (int)r; }

static const struct soak_site mod_sites[NMODSITES] = {
	{ "mod mk call", NKEYS + MK_K, call_mk },
	{ "mod mk tail", NKEYS + MK_K, tail_mk },
	{ "mod mc cond", NKEYS + MK_C, cond_mc },
	{ "mod mops.f call", NKEYS + MK_F, call_mf },
	{ "mod kp call", K_P, call_kp },
	{ "mod kp tail", K_P, tail_kp },
	{ "mod kc cond", K_C, cond_kc },
	{ "mod ops.a call", K_OA, call_oa },
	{ "mod hooks.x cond", K_HX, cond_hx },
	{ "mod kq call", K_Q, call_kq },
};

const struct soak_mod_api soak_mod_api = {
	mod_sites, NMODSITES, mod_update, mod_batch, mod_store, mod_target, mod_id, mod_value,
};
