/* SPDX-License-Identifier: MIT */
/*
 * The executable's keys, their targets, their call sites and every way the
 * soak writes them (soak.h).  Built with -fplugin=scall
 * -fplugin-arg-scall-convert-stores, or without the toolchain (the
 * fallback): the same source either way.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "soak.h"

const int soak_toolchain = SCALL_HAVE_PLUGIN;
_Thread_local volatile int soak_last_hit;
void soak_hit(int id) { soak_last_hit = id; }
int soak_take_hit(void) { return soak_last_hit; }

#define ARG_OK(x) ((x) == SOAK_ARG)
static int p1(int x) { return ARG_OK(x) ? 1 : SOAK_BADARG + 1; }
static int p2(int x) { return ARG_OK(x) ? 2 : SOAK_BADARG + 2; }
static int p3(int x) { return ARG_OK(x) ? 3 : SOAK_BADARG + 3; }
#define QARGS_OK (a == 1 && b == 2 && c == 3 && d == 4 && e == 5 && f == 6 && g == 7 && h == 8)
static long q1(long a, long b, long c, long d, long e, long f, long g, long h)
{
	return QARGS_OK ? 1 : SOAK_BADARG + 1;
}
static long q2(long a, long b, long c, long d, long e, long f, long g, long h)
{
	return QARGS_OK ? 2 : SOAK_BADARG + 2;
}
static long q3(long a, long b, long c, long d, long e, long f, long g, long h)
{
	return QARGS_OK ? 3 : SOAK_BADARG + 3;
}
static void h1(int x) { soak_last_hit = ARG_OK(x) ? 1 : SOAK_BADARG + 1; }
static void h2(int x) { soak_last_hit = ARG_OK(x) ? 2 : SOAK_BADARG + 2; }

#define RET0_AS(type) ((type)(void (*)(void))scall_return0)
typedef int (*int_fn)(int);
typedef long (*q_fn)(long, long, long, long, long, long, long, long);
typedef void (*void_fn)(int);

SCALL_DEFINE(kp, p1);
SCALL_DEFINE(kq, q1);
SCALL_DEFINE_NULL(kc, h1);
struct soak_ops ops SCALL_KEY = { p2, 0, { 0, p3, h1 } };
struct soak_hooks hooks SCALL_KEY = { NULL, h2 };
SCALL_DEFINE(kr, p1);

const struct soak_keyinfo soak_keys[NKEYS] = {
	[K_P] = { "kp", 5, 0, 1 },        [K_Q] = { "kq", 4, 0, 1 },
	[K_C] = { "kc", 4, 1, 0 },        [K_OA] = { "ops.a", 4, 0, 2 },
	[K_OC] = { "ops.in.c", 4, 0, 3 }, [K_OH] = { "ops.in.hook", 4, 1, 1 },
	[K_HX] = { "hooks.x", 4, 1, 0 },  [K_HY] = { "hooks.y", 4, 1, 2 },
	[K_R] = { "kr", 5, 0, 1 },
};
const struct soak_keyinfo soak_modkeys[NMODKEYS] = {
	[MK_K] = { "mk", 4, 0, 1 },
	[MK_C] = { "mc", 4, 1, 0 },
	[MK_F] = { "mops.f", 4, 0, 2 },
};

/* "mov $4, %eax; ret" in a page more than 2 GiB away from this code. */
void *soak_far;
int soak_far_init(void)
{
	for (uintptr_t gib = 64; gib < 512; gib += 64) {
		uint8_t *p = mmap((void *)(((uintptr_t)p1 + (gib << 30)) & ~(uintptr_t)0xfff),
				  4096, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == MAP_FAILED)
			continue;
		memcpy(p, "\xb8\x04\x00\x00\x00\xc3", 6);
		if (mprotect(p, 4096, PROT_READ | PROT_EXEC))
			return -errno;
		soak_far = p;
		return 0;
	}
	return -ENOMEM;
}

static void *int_target(int id)
{
	switch (id) {
	case 0: return (void *)scall_return0;
	case 1: return (void *)p1;
	case 2: return (void *)p2;
	case 3: return (void *)p3;
	default: return soak_far;
	}
}

static void *cond_target(int id)
{
	switch (id) {
	case 1: return (void *)h1;
	case 2: return (void *)h2;
	case 3: return (void *)scall_return0;
	default: return NULL;
	}
}

void *soak_target(int key, int id)
{
	if (key == K_Q) {
		static const q_fn q[4] = { RET0_AS(q_fn), q1, q2, q3 };
		return (void *)q[id & 3];
	}
	return soak_keys[key].cond ? cond_target(id) : int_target(id);
}

int soak_id(int key, void *target)
{
	for (int id = 0; id < soak_keys[key].ntargets; id++)
		if (soak_target(key, id) == target)
			return id;
	return -1;
}

void *soak_value(int key)
{
	switch (key) {
	case K_P: return (void *)scall_query(kp);
	case K_Q: return (void *)scall_query(kq);
	case K_C: return (void *)scall_query(kc);
	case K_OA: return (void *)scall_query(ops.a);
	case K_OC: return (void *)scall_query(ops.in.c);
	case K_OH: return (void *)scall_query(ops.in.hook);
	case K_HX: return (void *)scall_query(hooks.x);
	case K_HY: return (void *)scall_query(hooks.y);
	default: return (void *)scall_query(kr);
	}
}

/* The API with each kind of target: typed, scall_return0, NULL. */
#define UPDATE_INT(k)                                                          \
	(id == 0 ? scall_update(k, scall_return0)                              \
		 : scall_update(k, (int_fn)soak_target(key, id)))
#define UPDATE_COND(k)                                                         \
	(id == 0   ? scall_update(k, NULL)                                     \
	 : id == 3 ? scall_update(k, scall_return0)                            \
		   : scall_update(k, (void_fn)soak_target(key, id)))
int soak_update(int key, int id)
{
	switch (key) {
	case K_P: return UPDATE_INT(kp);
	case K_Q:
		return id == 0 ? scall_update(kq, scall_return0)
			       : scall_update(kq, (q_fn)soak_target(key, id));
	case K_C: return UPDATE_COND(kc);
	case K_OA: return UPDATE_INT(ops.a);
	case K_OC: return UPDATE_INT(ops.in.c);
	case K_OH: return UPDATE_COND(ops.in.hook);
	case K_HX: return UPDATE_COND(hooks.x);
	case K_HY: return UPDATE_COND(hooks.y);
	default: return UPDATE_INT(kr);
	}
}

static struct scall_update entry(int key, int id)
{
	void *t = soak_target(key, id);

	switch (key) {
	case K_P: return SCALL_UPDATE(kp, (int_fn)t);
	case K_Q: return SCALL_UPDATE(kq, (q_fn)t);
	case K_C: return id == 0 ? SCALL_UPDATE(kc, NULL) : SCALL_UPDATE(kc, (void_fn)t);
	case K_OA: return id == 0 ? SCALL_UPDATE(ops.a, scall_return0)
				  : SCALL_UPDATE(ops.a, (int_fn)t);
	case K_OC: return SCALL_UPDATE(ops.in.c, (int_fn)t);
	case K_OH: return id == 3 ? SCALL_UPDATE(ops.in.hook, scall_return0)
				  : SCALL_UPDATE(ops.in.hook, (void_fn)t);
	case K_HX: return SCALL_UPDATE(hooks.x, (void_fn)t);
	case K_HY: return SCALL_UPDATE(hooks.y, (void_fn)t);
	default: return SCALL_UPDATE(kr, (int_fn)t);
	}
}

int soak_batch(const int *keys, const int *ids, int n)
{
	struct scall_update u[8];

	if (n > 8)
		return -E2BIG;
	for (int i = 0; i < n; i++)
		u[i] = entry(keys[i], ids[i]);
	return scall_update_batch(u, (size_t)n);
}

/* Converted stores.  Each sits in a function of its own, outside any loop
 * (a store in a loop gets the store-in-loop warning, an error here). */
static const struct soak_ops ops_tab[SOAK_NTAB] = {
	{ p1, 1, { 10, p2, h2 } },
	{ p3, 2, { 20, RET0_AS(int_fn), NULL } },
	{ RET0_AS(int_fn), 3, { 30, p1, RET0_AS(void_fn) } },
};
static const struct soak_inner inner_tab[SOAK_NTAB] = {
	{ 11, p3, NULL }, { 21, p1, h1 }, { 31, p2, h2 },
};
static const struct soak_hooks hooks_tab[SOAK_NTAB] = {
	{ h1, h2 }, { h2, NULL }, { RET0_AS(void_fn), h1 },
};

int soak_store_keys(int form, int key, int arg, int *keys, int *ids)
{
	int n = 0;
#define PUT(k, f) (keys[n] = (k), ids[n] = soak_id((k), (void *)(f)), n++)
	switch (form) {
	case STORE_PLAIN:
	case STORE_ATOMIC:
		keys[0] = key, ids[0] = arg;
		return 1;
	case STORE_OPS_COPY:
		PUT(K_OA, ops_tab[arg].a);
		PUT(K_OC, ops_tab[arg].in.c);
		PUT(K_OH, ops_tab[arg].in.hook);
		return n;
	case STORE_INNER_COPY:
		PUT(K_OC, inner_tab[arg].c);
		PUT(K_OH, inner_tab[arg].hook);
		return n;
	case STORE_HOOKS_COPY:
		PUT(K_HX, hooks_tab[arg].x);
		PUT(K_HY, hooks_tab[arg].y);
		return n;
	default:
		PUT(K_HX, NULL);
		PUT(K_HY, NULL);
		return n;
	}
#undef PUT
}

__attribute__((noinline)) static void store_plain(int key, void *t)
{
	switch (key) {
	case K_P: kp = (int_fn)t; break;
	case K_Q: kq = (q_fn)t; break;
	case K_C: kc = (void_fn)t; break;
	case K_OA: ops.a = (int_fn)t; break;
	case K_OC: ops.in.c = (int_fn)t; break;
	case K_OH: ops.in.hook = (void_fn)t; break;
	case K_HX: hooks.x = (void_fn)t; break;
	case K_HY: hooks.y = (void_fn)t; break;
	default: kr = (int_fn)t; break;
	}
}

__attribute__((noinline)) static void store_atomic(int key, void *t)
{
	switch (key) {
	case K_P: __atomic_store_n(&kp, (int_fn)t, __ATOMIC_RELEASE); break;
	case K_Q: __atomic_store_n(&kq, (q_fn)t, __ATOMIC_SEQ_CST); break;
	case K_C: __atomic_store_n(&kc, (void_fn)t, __ATOMIC_RELEASE); break;
	case K_OA: __atomic_store_n(&ops.a, (int_fn)t, __ATOMIC_RELEASE); break;
	case K_OC: __atomic_store_n(&ops.in.c, (int_fn)t, __ATOMIC_RELAXED); break;
	case K_OH: __atomic_store_n(&ops.in.hook, (void_fn)t, __ATOMIC_RELEASE); break;
	case K_HX: __atomic_store_n(&hooks.x, (void_fn)t, __ATOMIC_RELEASE); break;
	case K_HY: __atomic_store_n(&hooks.y, (void_fn)t, __ATOMIC_RELEASE); break;
	default: __atomic_store_n(&kr, (int_fn)t, __ATOMIC_RELEASE); break;
	}
}

__attribute__((noinline)) static void store_ops(int i) { ops = ops_tab[i]; }
__attribute__((noinline)) static void store_inner(int i) { ops.in = inner_tab[i]; }
__attribute__((noinline)) static void store_hooks(int i) { hooks = hooks_tab[i]; }
__attribute__((noinline)) static void zero_hooks(void) { memset(&hooks, 0, sizeof hooks); }

void soak_store(int form, int key, int arg)
{
	switch (form) {
	case STORE_PLAIN: store_plain(key, soak_target(key, arg)); break;
	case STORE_ATOMIC: store_atomic(key, soak_target(key, arg)); break;
	case STORE_OPS_COPY: store_ops(arg); break;
	case STORE_INNER_COPY: store_inner(arg); break;
	case STORE_HOOKS_COPY: store_hooks(arg); break;
	default: zero_hooks(); break;
	}
}

/* The sites.  KEEP keeps a call from becoming a tail call. */
#define KEEP(r) __asm__ volatile("" : "+r"(r))
#define SITE __attribute__((noinline)) static
SITE int call_kp(void) { int r = kp(SOAK_ARG); KEEP(r); return r; }
SITE int tail_kp(void) { return kp(SOAK_ARG); }
SITE int call_kq(void) { long r = kq(1, 2, 3, 4, 5, 6, 7, 8); KEEP(r); return (int)r; }
SITE long tail_kq_(long a, long b, long c, long d, long e, long f, long g, long h)
{
	return kq(a, b, c, d, e, f, g, h);
}
SITE int tail_kq(void) { return (int)tail_kq_(1, 2, 3, 4, 5, 6, 7, 8); }
SITE int cond_kc(void)
{
	soak_last_hit = 0;
	scall_cond(kc)(SOAK_ARG);
	return soak_last_hit;
}
SITE void tail_cond_kc_(void) { scall_cond(kc)(SOAK_ARG); }
SITE int tail_cond_kc(void)
{
	soak_last_hit = 0;
	tail_cond_kc_();
	return soak_last_hit;
}
SITE int call_oa(void) { int r = ops.a(SOAK_ARG); KEEP(r); return r; }
SITE int tail_oa(void) { return scall(ops.a)(SOAK_ARG); }
SITE int call_oc(void) { int r = ops.in.c(SOAK_ARG); KEEP(r); return r; }
SITE int cond_oh(void)
{
	soak_last_hit = 0;
	scall_cond(ops.in.hook)(SOAK_ARG);
	return soak_last_hit;
}
SITE int cond_hx(void)
{
	soak_last_hit = 0;
	scall_cond(hooks.x)(SOAK_ARG);
	return soak_last_hit;
}
SITE void tail_cond_hy_(void) { scall_cond(hooks.y)(SOAK_ARG); }
SITE int tail_cond_hy(void)
{
	soak_last_hit = 0;
	tail_cond_hy_();
	return soak_last_hit;
}
SITE int call_kr(void) { int r = kr(SOAK_ARG); KEEP(r); return r; }
SITE int tail_kr(void) { return kr(SOAK_ARG); }
/* No argument to set up between the test and the call: clang makes these
 * conditional tail calls (Jcc sites) at -Os.  External, so that no constant
 * argument is propagated into them. */
static volatile int soak_one = 1;
int jcc_kp_(int x, int c);
void jcc_kc_(int x, int c);
__attribute__((noinline)) int jcc_kp_(int x, int c)
{
	if (c)
		return kp(x);
	return c;
}
SITE int jcc_kp(void) { return jcc_kp_(SOAK_ARG, soak_one); }
__attribute__((noinline)) void jcc_kc_(int x, int c)
{
	if (c)
		scall_cond(kc)(x);
}
SITE int jcc_kc(void)
{
	soak_last_hit = 0;
	jcc_kc_(SOAK_ARG, soak_one);
	return soak_last_hit;
}

const struct soak_site soak_sites[] = {
	{ "kp call", K_P, call_kp },
	{ "kp tail", K_P, tail_kp },
	{ "kq call", K_Q, call_kq },
	{ "kq tail", K_Q, tail_kq },
	{ "kc cond", K_C, cond_kc },
	{ "kc cond tail", K_C, tail_cond_kc },
	{ "ops.a call", K_OA, call_oa },
	{ "ops.a tail", K_OA, tail_oa },
	{ "ops.in.c call", K_OC, call_oc },
	{ "ops.in.hook cond", K_OH, cond_oh },
	{ "hooks.x cond", K_HX, cond_hx },
	{ "hooks.y cond tail", K_HY, tail_cond_hy },
	{ "kr call", K_R, call_kr },
	{ "kr tail", K_R, tail_kr },
	{ "kp jcc", K_P, jcc_kp },
	{ "kc cond jcc", K_C, jcc_kc },
};
const size_t soak_nsites = sizeof soak_sites / sizeof soak_sites[0];
