/* SPDX-License-Identifier: MIT */
/*
 * What the soak's units share: the keys of the executable (soak_keys.c),
 * their targets by id, their call sites, the writes of each kind, and the
 * interface of the dlopen'ed modules (soak_mod.c).
 *
 * A target is named by a small id per key.  Plain keys: the id is what a
 * call returns (scall_return0 is id 0 and returns 0).  Cond keys (void,
 * called with scall_cond): id 0 is NULL, the others record their id in the
 * calling thread's soak_last_hit; scall_return0 is an id of its own that
 * records nothing.  The *outcome* of a call is the returned id, or the id
 * recorded (0: none).  Every target checks its arguments and reports
 * SOAK_BADARG + id when they arrived wrong.
 */
#ifndef SOAK_H
#define SOAK_H
#include <scall.h>
#include <stddef.h>
#include <stdint.h>

#define SOAK_ARG 0x5eed
#define SOAK_BADARG 64

/* The executable's keys. */
enum {
	K_P,  /* kp: plain int (*)(int); ids 0 ret0, 1-3, 4 far (> 2 GiB away) */
	K_Q,  /* kq: plain long (*)(8 longs, stack-passed); ids 0 ret0, 1-3 */
	K_C,  /* kc: cond void (*)(int); ids 0 NULL, 1-2, 3 ret0 */
	K_OA, /* ops.a: struct key member, plain; ids 0 ret0, 1-3 */
	K_OC, /* ops.in.c: nested member, plain; ids 0 ret0, 1-3 */
	K_OH, /* ops.in.hook: nested member, cond; ids 0 NULL, 1-2, 3 ret0 */
	K_HX, /* hooks.x: cond member; ids 0 NULL, 1-2, 3 ret0 */
	K_HY, /* hooks.y: cond member; ids 0 NULL, 1-2, 3 ret0 */
	K_R,  /* kr: plain int (*)(int); ids 0 ret0, 1-3, 4 far */
	NKEYS
};

struct soak_inner {
	long data;
	int (*c)(int);
	void (*hook)(int);
};
struct soak_ops {
	int (*a)(int);
	long gen;
	struct soak_inner in;
};
struct soak_hooks {
	void (*x)(int);
	void (*y)(int);
};
extern int (*kp)(int) SCALL_KEY;
extern long (*kq)(long, long, long, long, long, long, long, long) SCALL_KEY;
extern void (*kc)(int) SCALL_KEY;
extern struct soak_ops ops SCALL_KEY;
extern struct soak_hooks hooks SCALL_KEY;
extern int (*kr)(int) SCALL_KEY;

/* The keys of one module; model index NKEYS + slot * NMODKEYS + k. */
enum {
	MK_K, /* mk: file-static plain key; ids 0 ret0, 1-3 */
	MK_C, /* mc: file-static cond key; ids 0 NULL, 1-2, 3 ret0 */
	MK_F, /* mops.f: file-static struct key member, plain; ids 0 ret0, 1-3 */
	NMODKEYS
};

struct soak_keyinfo {
	const char *name;
	int ntargets;
	int cond;
	int init; /* the id of the static initialiser */
};
extern const struct soak_keyinfo soak_keys[NKEYS], soak_modkeys[NMODKEYS];

/* The outcome of a call that reached target `id` of a key. */
static inline int soak_outcome(const struct soak_keyinfo *k, int id)
{
	return k->cond && id == k->ntargets - 1 ? 0 : id;
}

/* A site: calls through key `key` once, returns the outcome. */
struct soak_site {
	const char *name;
	int key; /* K_* in the executable; in a module, NKEYS + MK_* for its
		    own keys */
	int (*call)(void);
};
extern const struct soak_site soak_sites[];
extern const size_t soak_nsites;

/* Set by the cond targets (in the executable and, through soak_hit, the
 * modules). */
extern _Thread_local volatile int soak_last_hit;
void soak_hit(int id);
int soak_take_hit(void);

/* SCALL_HAVE_PLUGIN of soak_keys.c: 1 when the keys were built with a
 * scall plugin, whose sites must then be patched. */
extern const int soak_toolchain;

/* The far target: code outside rel32 range of every site (0: none). */
extern void *soak_far;
int soak_far_init(void);

/* The target pointer of id, and the id of a pointer (-1: none). */
void *soak_target(int key, int id);
int soak_id(int key, void *target);
void *soak_value(int key); /* scall_query */

/* scall_update(key, target id); 0 or a negative errno. */
int soak_update(int key, int id);
/* scall_update_batch over n (key, id) pairs. */
int soak_batch(const int *keys, const int *ids, int n);

/* Converted stores (-fplugin-arg-scall-convert-stores): form STORE_PLAIN
 * `key = t`, STORE_ATOMIC `__atomic_store_n(&key, t, ...)`; the struct
 * forms write several keys: soak_store_keys() says which and to what. */
enum {
	STORE_PLAIN,
	STORE_ATOMIC,
	STORE_OPS_COPY,   /* ops = ops_tab[arg] (K_OA, K_OC, K_OH) */
	STORE_INNER_COPY, /* ops.in = inner_tab[arg] (K_OC, K_OH) */
	STORE_HOOKS_COPY, /* hooks = hooks_tab[arg] (K_HX, K_HY) */
	STORE_HOOKS_ZERO, /* memset(&hooks, 0, sizeof hooks) */
	NSTORES
};
#define SOAK_NTAB 3
/* The keys a store form writes, and their new ids; returns how many. */
int soak_store_keys(int form, int key, int arg, int *keys, int *ids);
void soak_store(int form, int key, int arg);

/* soak_behind.c, built without the toolchain: write a key as a library
 * handed its address would, behind scall's back. */
void soak_behind_write(int key, void *target);

/* A module's interface: the struct soak_mod_api named "soak_mod_api". */
#define NMODSITES 10
struct soak_mod_api {
	const struct soak_site *sites;
	int nsites;
	int (*update)(int k, int id);  /* scall_update of its key k */
	int (*batch)(int mk_id, int mc_id, int mf_id);
	void (*store)(int k, int id);  /* converted store to its key k */
	void *(*target)(int k, int id);
	int (*id)(int k, void *target);
	void *(*value)(int k);
};
#endif
