/* SPDX-License-Identifier: MIT */
/*
 * The soak (issue 13, part 4): worker threads run random, seeded sequences
 * of operations for a bounded time:
 *
 *   calls through every site of the executable and of the loaded modules;
 *   scall_update, scall_update_batch (a key may be named twice),
 *   converted stores (key = f, __atomic_store_n, struct copies, memset),
 *   writes behind scall's back followed by scall_resync, plain resyncs;
 *   updates, batches and converted stores of a module's own keys;
 *   dlopen/dlclose of two modules with sites (their own keys, and the
 *   executable's keys called from them);
 *   fork: the child checks every site's bytes (tests/common/site_check.h),
 *   that every site reaches exactly its key's target, takes signals,
 *   updates on its own and checks again;
 *
 * while a signaller thread sends them SIGUSR1, whose handler calls random
 * sites too.  Every call is checked against the model of soak_model.h (the
 * rule of scall.h: after an update returns, every next call reaches the new
 * target; while it runs, the old or the new one).  At the end every site
 * must reach exactly its key's target, every recorded site must hold its
 * key's state in memory, and, once the modules are unloaded and every key
 * has a target in the executable, every site must be direct.
 *
 *   soak MODULE0 MODULE1
 *
 * Environment: SCALL_SOAK_SECONDS (default 3), SCALL_SOAK_SEED (default:
 * from the clock; printed), SCALL_SOAK_THREADS (default 4),
 * SCALL_SOAK_OPS (operations per thread; stops the run before the time
 * does), SCALL_SOAK_WEIGHTS ("update=0,fork=5": the relative frequency of
 * each operation, to narrow down a failure), SCALL_SOAK_SIGNAL_US (the
 * signaller's pause, default 150).
 *
 * stdout carries the verdict only, identical with and without the
 * toolchain; stderr the figures and, on a failure, what was seen.  When
 * soak_keys.c was built with the toolchain (soak_toolchain) the sites must
 * be patched; without, there must be no records at all.  This driver has
 * no keys: it is built once, without the toolchain, for both.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/site_check.h"
#include "soak.h"
#include "soak_model.h"

#define MAXTHREADS 16
#define NSLOTS 2
#define NMODELS (NKEYS + NSLOTS * NMODKEYS)

enum {
	OP_CALL, OP_MODCALL, OP_UPDATE, OP_BATCH, OP_STORE, OP_BEHIND, OP_RESYNC,
	OP_MODUPDATE, OP_MODSTORE, OP_MODBATCH, OP_DL, OP_FORK, OP_STATS, NOPS
};
static const char *const op_name[NOPS] = {
	"call", "modcall", "update", "batch", "store", "behind", "resync",
	"modupdate", "modstore", "modbatch", "dl", "fork", "stats",
};
static int op_weight[NOPS] = { 700, 150, 25, 12, 25, 8, 4, 6, 6, 3, 6, 1, 2 };

/* ---------------------------------------------------------------------- */
/* State                                                                   */
/* ---------------------------------------------------------------------- */

static struct sm_key models[NMODELS];

/* A module slot.  Calls into a module hold `users` (lock-free, so that
 * signal handlers may call too); dlclose waits until it is 0. */
enum { UNLOADED, LOADED, BUSY };
struct slot {
	_Atomic int state, users;
	void *h;
	const struct soak_mod_api *api;
	const char *path;
	_Atomic long loads, unloads;
};
static struct slot slots[NSLOTS];

struct counts {
	long calls, strict, live, loose;
};

#define TRACE 32
struct worker {
	int idx;
	pthread_t th;
	uint64_t rng, hrng; /* hrng: the signal handler's */
	_Atomic long nops;
	long ops[NOPS];     /* operations done (not skipped) */
	struct counts c, hc; /* hc: calls from signal handlers */
	_Atomic uint64_t tr[TRACE]; /* the last operations, packed */
	_Atomic unsigned ntr;
};
static struct worker workers[MAXTHREADS];
static int nworkers = 4;
static _Thread_local struct worker *tl_w;

static volatile int stop;
static uint64_t seed;
static long ops_limit;
static struct timespec t0;
/* A fork waits (write lock) for the converted stores and the writes behind
 * scall's back in flight: a child that inherited a key stored and not yet
 * patched would rightly fail the byte check. */
static pthread_rwlock_t gate;
static int in_child;

static _Atomic long violations, op_errors, child_failures, signals_sent;

/* A forked child's figures, in memory shared with the parent. */
struct shared {
	_Atomic long children, checked, calls, failed;
};
static struct shared *shm;

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)(((int64_t)ts.tv_sec - t0.tv_sec) * 1000000 +
			  ((int64_t)ts.tv_nsec - t0.tv_nsec) / 1000);
}

static const struct soak_keyinfo *info_of(unsigned m)
{
	return m < NKEYS ? &soak_keys[m] : &soak_modkeys[(m - NKEYS) % NMODKEYS];
}

static uint32_t all_ids(const struct soak_keyinfo *ki)
{
	return (1u << ki->ntargets) - 1;
}

static uint32_t outcomes(const struct soak_keyinfo *ki, uint32_t ids)
{
	uint32_t o = 0;

	for (int id = 0; id < ki->ntargets; id++)
		if (ids >> id & 1)
			o |= 1u << soak_outcome(ki, id);
	return o;
}

static int model_of_site(int slot, int key)
{
	return key < NKEYS ? key : NKEYS + slot * NMODKEYS + (key - NKEYS);
}

/* op (4 bits), a, b, err (8 bits each), time in us (36 bits). */
static void trace(struct worker *w, int op, int a, int b, int err)
{
	uint64_t e = (uint64_t)op | (uint64_t)(a & 0xff) << 4 | (uint64_t)(b & 0xff) << 12 |
		     (uint64_t)(-err & 0xff) << 20 | now_us() << 28;

	atomic_store_explicit(&w->tr[atomic_fetch_add(&w->ntr, 1) % TRACE], e,
			      memory_order_relaxed);
}

static void gate_enter(void)
{
	if (!in_child)
		pthread_rwlock_rdlock(&gate);
}

static void gate_leave(void)
{
	if (!in_child)
		pthread_rwlock_unlock(&gate);
}

/* ---------------------------------------------------------------------- */
/* Violations: recorded without locks (signal handlers record them too),  */
/* printed at the end.                                                     */
/* ---------------------------------------------------------------------- */

#define NVREC 8
struct vrec {
	int thread, handler;
	char site[32], key[16];
	int got;
	uint32_t may;
	struct sm_window w;
	uint64_t t_us;
};
static struct vrec vrec[NVREC];
static _Atomic int nvrec;
static uint64_t first_tr[MAXTHREADS][TRACE];
static unsigned first_ntr[MAXTHREADS];

static void copy_name(char *d, const char *s, size_t n)
{
	size_t i = 0;

	for (; s[i] && i + 1 < n; i++)
		d[i] = s[i];
	d[i] = 0;
}

static void violation(const struct worker *w, const struct soak_site *s,
		      const struct soak_keyinfo *ki, int got, uint32_t may,
		      const struct sm_window *win, int handler)
{
	int i = atomic_fetch_add(&nvrec, 1);

	violations++;
	if (i >= NVREC)
		return;
	vrec[i].thread = w ? w->idx : -1;
	vrec[i].handler = handler;
	copy_name(vrec[i].site, s->name, sizeof vrec[i].site);
	copy_name(vrec[i].key, ki->name, sizeof vrec[i].key);
	vrec[i].got = got;
	vrec[i].may = may;
	vrec[i].w = *win;
	vrec[i].t_us = now_us();
	if (i == 0)
		for (int t = 0; t < nworkers; t++) {
			first_ntr[t] = atomic_load(&workers[t].ntr);
			for (int j = 0; j < TRACE; j++)
				first_tr[t][j] = atomic_load_explicit(&workers[t].tr[j],
								      memory_order_relaxed);
		}
}

static void print_mask(const char *what, uint32_t m)
{
	fprintf(stderr, "%s {", what);
	for (int i = 0; i < 32; i++)
		if (m >> i & 1)
			fprintf(stderr, " %d", i);
	fprintf(stderr, " }");
}

static void print_violations(void)
{
	int n = atomic_load(&nvrec);

	for (int i = 0; i < n && i < NVREC; i++) {
		const struct vrec *v = &vrec[i];
		fprintf(stderr, "VIOLATION %d: thread %d%s, t=%" PRIu64 " us, site '%s' of key %s "
				"reached outcome %d;",
			i, v->thread, v->handler ? " (signal handler)" : "", v->t_us, v->site,
			v->key, v->got);
		print_mask(" allowed", v->may);
		fprintf(stderr, "; window: done up to ticket %" PRIu64 ", from ticket %" PRIu64
				" to %" PRIu64 ", logged:",
			v->w.d, v->w.l, v->w.st);
		for (int j = 0; j < v->w.n; j++)
			fprintf(stderr, " %" PRIu64 ":id%d", v->w.ent[j] >> 8,
				(int)(v->w.ent[j] & 0xff));
		fprintf(stderr, "\n");
	}
	if (!n)
		return;
	fprintf(stderr, "the last operations of each thread at the first violation "
			"(op a b -err @us):\n");
	for (int t = 0; t < nworkers; t++) {
		unsigned k = first_ntr[t];
		fprintf(stderr, "  thread %d:", t);
		for (unsigned j = k > TRACE ? k - TRACE : 0; j < k; j++) {
			uint64_t e = first_tr[t][j % TRACE];
			fprintf(stderr, " %s %d %d %d @%" PRIu64 ";", op_name[e & 15],
				(int)(e >> 4 & 0xff), (int)(e >> 12 & 0xff), (int)(e >> 20 & 0xff),
				e >> 28);
		}
		fprintf(stderr, "\n");
	}
}

static void op_error(struct worker *w, const char *what, int err)
{
	op_errors++;
	fprintf(stderr, "%sthread %d: %s failed: %s\n", in_child ? "child: " : "",
		w ? w->idx : -1, what, strerror(-err));
}

/* ---------------------------------------------------------------------- */
/* Checked calls                                                           */
/* ---------------------------------------------------------------------- */

/* Call site s once; the outcome must be one the model allows. */
static void check_call(struct worker *w, const struct soak_site *s, int model,
		       struct counts *c, int handler)
{
	struct sm_key *k = &models[model];
	const struct soak_keyinfo *ki = info_of(model);
	struct sm_probe p = sm_probe(k);
	int got = s->call();
	struct sm_window win;
	uint32_t all = outcomes(ki, all_ids(ki));
	uint32_t may = outcomes(ki, sm_allowed(k, &p, all_ids(ki), &win));

	c->calls++;
	if (got < 0 || got >= 32 || !(may >> got & 1)) {
		violation(w, s, ki, got, may, &win, handler);
		return;
	}
	if (may == all) {
		c->loose++;
	} else {
		c->strict++;
		if (win.st > win.d)
			c->live++;
	}
}

static const struct soak_mod_api *slot_get(int s)
{
	atomic_fetch_add(&slots[s].users, 1);
	if (atomic_load(&slots[s].state) != LOADED) {
		atomic_fetch_sub(&slots[s].users, 1);
		return NULL;
	}
	return slots[s].api;
}

static void slot_put(int s)
{
	atomic_fetch_sub(&slots[s].users, 1);
}

static void on_usr1(int sig)
{
	struct worker *w = tl_w;
	int e = errno, hit = soak_last_hit;
	const struct soak_mod_api *api;
	const struct soak_site *s;
	uint64_t r;
	int sl;

	(void)sig;
	if (!w)
		return;
	r = rnd(&w->hrng);
	s = &soak_sites[r % soak_nsites];
	check_call(w, s, s->key, &w->hc, 1);
	sl = (int)((r >> 32) % NSLOTS);
	if ((api = slot_get(sl))) {
		s = &api->sites[(r >> 40) % (uint64_t)api->nsites];
		check_call(w, s, model_of_site(sl, s->key), &w->hc, 1);
		slot_put(sl);
	}
	/* The interrupted call's cond outcome is not this handler's. */
	soak_last_hit = hit;
	errno = e;
}

/* ---------------------------------------------------------------------- */
/* Operations.  Each returns 1 when it did something, 0 when skipped.      */
/* ---------------------------------------------------------------------- */

static int op_call(struct worker *w, uint64_t r1)
{
	const struct soak_site *s = &soak_sites[r1 % soak_nsites];

	check_call(w, s, s->key, &w->c, 0);
	return 1;
}

static int op_modcall(struct worker *w, uint64_t r1, uint64_t r2)
{
	int sl = (int)(r1 % NSLOTS);
	const struct soak_mod_api *api = slot_get(sl);
	const struct soak_site *s;

	if (!api)
		return 0;
	s = &api->sites[r2 % (uint64_t)api->nsites];
	check_call(w, s, model_of_site(sl, s->key), &w->c, 0);
	slot_put(sl);
	return 1;
}

static int op_update(struct worker *w, uint64_t r1, uint64_t r2)
{
	int key = (int)(r1 % NKEYS), id = (int)(r2 % (uint64_t)soak_keys[key].ntargets);
	uint64_t t = sm_begin(&models[key], id, NULL, 0);
	int err = soak_update(key, id);

	sm_end(&models[key], t);
	trace(w, OP_UPDATE, key, id, err);
	if (err)
		op_error(w, "scall_update", err);
	return 1;
}

static int op_batch(struct worker *w, uint64_t r1, uint64_t r2, uint64_t r3)
{
	int n = 2 + (int)(r1 % 3), keys[4], ids[4], err;
	uint64_t t[4];

	for (int i = 0; i < n; i++) {
		uint64_t ex[SM_MAXEX];
		int nex = 0;

		keys[i] = (int)((r2 >> (8 * i)) % NKEYS);
		ids[i] = (int)((r3 >> (8 * i)) % (uint64_t)soak_keys[keys[i]].ntargets);
		for (int j = 0; j < i; j++)
			if (keys[j] == keys[i])
				ex[nex++] = t[j];
		t[i] = sm_begin(&models[keys[i]], ids[i], ex, nex);
	}
	err = soak_batch(keys, ids, n);
	for (int i = 0; i < n; i++)
		sm_end(&models[keys[i]], t[i]);
	trace(w, OP_BATCH, keys[0] | n << 5, ids[0], err);
	if (err)
		op_error(w, "scall_update_batch", err);
	return 1;
}

static int op_store(struct worker *w, uint64_t r1, uint64_t r2, uint64_t r3)
{
	int form = (int)(r1 % NSTORES), key = (int)(r2 % NKEYS), keys[4], ids[4], n;
	int arg = (int)(r3 % (uint64_t)(form <= STORE_ATOMIC ? soak_keys[key].ntargets
							      : SOAK_NTAB));
	uint64_t t[4];

	n = soak_store_keys(form, key, arg, keys, ids);
	gate_enter();
	for (int i = 0; i < n; i++)
		t[i] = sm_begin(&models[keys[i]], ids[i], NULL, 0);
	soak_store(form, key, arg);
	for (int i = 0; i < n; i++)
		sm_end(&models[keys[i]], t[i]);
	gate_leave();
	trace(w, OP_STORE, form << 4 | key, arg, 0);
	return 1;
}

static int op_behind(struct worker *w, uint64_t r1, uint64_t r2)
{
	int key = (int)(r1 % NKEYS), id = (int)(r2 % (uint64_t)soak_keys[key].ntargets), err;
	uint64_t t;

	gate_enter();
	t = sm_begin(&models[key], id, NULL, 0);
	soak_behind_write(key, soak_target(key, id));
	err = scall_resync();
	sm_end(&models[key], t);
	gate_leave();
	trace(w, OP_BEHIND, key, id, err);
	if (err)
		op_error(w, "scall_resync after a write behind its back", err);
	return 1;
}

static int op_resync(struct worker *w)
{
	int err = scall_resync();

	trace(w, OP_RESYNC, 0, 0, err);
	if (err)
		op_error(w, "scall_resync", err);
	return 1;
}

/* Update (kind 0), store (1) or batch (2) of a module's own keys. */
static int op_mod(struct worker *w, int kind, uint64_t r1, uint64_t r2, uint64_t r3)
{
	int sl = (int)(r1 % NSLOTS), k = (int)(r2 % NMODKEYS), m0 = NKEYS + sl * NMODKEYS;
	const struct soak_mod_api *api = slot_get(sl);
	int err = 0, ids[NMODKEYS];
	uint64_t t[NMODKEYS];

	if (!api)
		return 0;
	for (int i = 0; i < NMODKEYS; i++)
		ids[i] = (int)((r3 >> (8 * i)) % (uint64_t)soak_modkeys[i].ntargets);
	if (kind == 2) {
		for (int i = 0; i < NMODKEYS; i++)
			t[i] = sm_begin(&models[m0 + i], ids[i], NULL, 0);
		err = api->batch(ids[0], ids[1], ids[2]);
		for (int i = 0; i < NMODKEYS; i++)
			sm_end(&models[m0 + i], t[i]);
	} else if (kind == 1) {
		gate_enter();
		t[0] = sm_begin(&models[m0 + k], ids[k], NULL, 0);
		api->store(k, ids[k]);
		sm_end(&models[m0 + k], t[0]);
		gate_leave();
	} else {
		t[0] = sm_begin(&models[m0 + k], ids[k], NULL, 0);
		err = api->update(k, ids[k]);
		sm_end(&models[m0 + k], t[0]);
	}
	slot_put(sl);
	trace(w, OP_MODUPDATE + kind, sl << 4 | k, ids[k], err);
	if (err)
		op_error(w, kind == 2 ? "a module's scall_update_batch" : "a module's scall_update",
			 err);
	return 1;
}

/* Unload the module of a slot, or load it and call each of its sites. */
static int op_dl(struct worker *w, uint64_t r1)
{
	int sl = (int)(r1 % NSLOTS), st = LOADED;
	struct slot *s = &slots[sl];

	if (atomic_compare_exchange_strong(&s->state, &st, BUSY)) {
		while (atomic_load(&s->users))
			sched_yield();
		if (dlclose(s->h)) {
			fprintf(stderr, "dlclose: %s\n", dlerror());
			op_errors++;
		}
		s->h = NULL, s->api = NULL;
		s->unloads++;
		atomic_store(&s->state, UNLOADED);
		trace(w, OP_DL, sl, 0, 0);
		return 1;
	}
	st = UNLOADED;
	if (!atomic_compare_exchange_strong(&s->state, &st, BUSY))
		return 0;
	for (int k = 0; k < NMODKEYS; k++)
		sm_reset(&models[NKEYS + sl * NMODKEYS + k], soak_modkeys[k].init);
	s->h = dlopen(s->path, RTLD_NOW | RTLD_LOCAL);
	if (!s->h || !(s->api = dlsym(s->h, "soak_mod_api"))) {
		fprintf(stderr, "dlopen %s: %s\n", s->path, dlerror());
		op_errors++;
		if (s->h)
			dlclose(s->h);
		s->h = NULL;
		atomic_store(&s->state, UNLOADED);
		return 0;
	}
	for (int i = 0; i < s->api->nsites; i++)
		check_call(w, &s->api->sites[i], model_of_site(sl, s->api->sites[i].key), &w->c,
			   0);
	s->loads++;
	atomic_store(&s->state, LOADED);
	trace(w, OP_DL, sl, 1, 0);
	return 1;
}

/* scall_stats() while everything else runs: no site refused (every record
 * is the compiler's), a writer named. */
static int op_stats(struct worker *w)
{
	struct scall_stats st;
	int err = scall_stats(&st);

	trace(w, OP_STATS, 0, 0, err);
	if (err) {
		op_error(w, "scall_stats", err);
	} else if (st.sites_refused || !st.writer || st.sites_unresolved ||
		   (soak_toolchain && (!st.modules || st.sites < soak_nsites))) {
		fprintf(stderr, "thread %d: scall_stats: modules %zu sites %zu refused %zu "
				"unresolved %zu writer %s\n",
			w->idx, st.modules, st.sites, st.sites_refused, st.sites_unresolved,
			st.writer ? st.writer : "(null)");
		op_errors++;
	}
	return 1;
}

/* ---------------------------------------------------------------------- */
/* fork                                                                    */
/* ---------------------------------------------------------------------- */

static int nloaded(void)
{
	int n = 0;

	for (int s = 0; s < NSLOTS; s++)
		n += atomic_load(&slots[s].state) == LOADED;
	return n;
}

/* Every recorded site of every module holds its key's state in memory, and
 * the runtime registered exactly these modules and sites. */
static int sites_ok(const char *what)
{
	struct site_count c;
	struct scall_stats st;
	size_t mods = 1 + (size_t)nloaded();
	int ok;

	if (!soak_toolchain)
		return site_check_none(what);
	c = site_check();
	ok = !scall_stats(&st) && c.wrong == 0 && c.modules == mods &&
		 st.modules == mods && st.sites == c.sites && st.sites_refused == 0 &&
		 c.unresolved == 0 && c.sites >= soak_nsites + (mods - 1) * NMODSITES;

	if (!ok) {
		site_check_print(what, &c);
		fprintf(stderr, "FAIL: %s: sites not in their keys' states (runtime: modules "
				"%zu sites %zu refused %zu; %zu modules loaded)\n",
			what, st.modules, st.sites, st.sites_refused, mods);
	}
	return ok;
}

/* Call every site once: each must reach exactly its key's target (no
 * update runs: the process has one thread, or every worker stopped). */
static int exact_all(struct worker *w, const char *what)
{
	int bad = 0;

	for (size_t i = 0; i < soak_nsites; i++) {
		const struct soak_site *s = &soak_sites[i];
		const struct soak_keyinfo *ki = &soak_keys[s->key];
		int id = soak_id(s->key, soak_value(s->key)), got = s->call();

		w->c.calls++;
		if (id < 0 || got != soak_outcome(ki, id)) {
			fprintf(stderr, "%s: %s: site '%s' reached %d, key %s holds target id %d\n",
				in_child ? "child" : "main", what, s->name, got, ki->name, id);
			bad++;
		}
	}
	for (int sl = 0; sl < NSLOTS; sl++) {
		const struct soak_mod_api *api = slot_get(sl);

		if (!api)
			continue;
		for (int i = 0; i < api->nsites; i++) {
			const struct soak_site *s = &api->sites[i];
			int k = s->key, id, got;
			const struct soak_keyinfo *ki = info_of(model_of_site(sl, k));

			id = k < NKEYS ? soak_id(k, soak_value(k))
				       : api->id(k - NKEYS, api->value(k - NKEYS));
			got = s->call();
			w->c.calls++;
			if (id < 0 || got != soak_outcome(ki, id)) {
				fprintf(stderr, "%s: %s: module %d site '%s' reached %d, key %s "
						"holds target id %d\n",
					in_child ? "child" : "main", what, sl, s->name, got,
					ki->name, id);
				bad++;
			}
		}
		slot_put(sl);
	}
	return bad;
}

/* The forked child: the parent's other threads are gone mid-operation. */
static int child_main(struct worker *w, uint64_t r)
{
	int bad = 0, busy = 0;
	long calls0 = w->c.calls + w->hc.calls;
	long v0 = violations, e0 = op_errors;

	in_child = 1;
	sm_nowait = 1;
	atomic_store(&nvrec, 0);
	shm->children++;
	for (int s = 0; s < NSLOTS; s++)
		busy |= atomic_load(&slots[s].state) == BUSY;
	/* A dlopen or dlclose cut by the fork leaves a module half there:
	 * its bytes are the loader's business, not scall's. */
	if (!busy) {
		bad += !sites_ok("child, at fork");
		shm->checked++;
	}
	bad += exact_all(w, "child, at fork");
	for (int i = 0; i < 3; i++)
		raise(SIGUSR1);
	for (int i = 0; i < 6; i++) {
		uint64_t r1 = rnd(&r), r2 = rnd(&r), r3 = rnd(&r);
		switch (rnd(&r) % 6) {
		case 0: op_update(w, r1, r2); break;
		case 1: op_batch(w, r1, r2, r3); break;
		case 2: op_store(w, r1, r2, r3); break;
		case 3: op_behind(w, r1, r2); break;
		case 4: op_mod(w, 0, r1, r2, r3); break;
		default: op_mod(w, 1, r1, r2, r3); break;
		}
		bad += exact_all(w, "child, after its update");
		raise(SIGUSR1);
	}
	if (!busy)
		bad += !sites_ok("child, after its updates");
	bad += (int)(violations - v0 + op_errors - e0);
	shm->calls += w->c.calls + w->hc.calls - calls0;
	if (bad) {
		print_violations();
		shm->failed++;
	}
	return bad ? 1 : 0;
}

static int op_fork(struct worker *w, uint64_t r1)
{
	pid_t pid;
	int st;

	pthread_rwlock_wrlock(&gate);
	pid = fork();
	if (pid == 0)
		_exit(child_main(w, r1));
	pthread_rwlock_unlock(&gate);
	if (pid < 0) {
		op_error(w, "fork", -errno);
		return 0;
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			op_error(w, "waitpid", -errno);
			return 1;
		}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		child_failures++;
		fprintf(stderr, "thread %d: child %d ended with status %#x\n", w->idx, (int)pid,
			st);
	}
	trace(w, OP_FORK, 0, 0, 0);
	return 1;
}

/* ---------------------------------------------------------------------- */
/* Threads                                                                 */
/* ---------------------------------------------------------------------- */

static int op_total;

static int pick(uint64_t r)
{
	int x = (int)(r % (uint64_t)op_total);

	for (int i = 0; i < NOPS; i++) {
		if (x < op_weight[i])
			return i;
		x -= op_weight[i];
	}
	return OP_CALL;
}

static void *worker(void *arg)
{
	struct worker *w = arg;

	tl_w = w;
	while (!stop && (!ops_limit || w->nops < ops_limit)) {
		int op = pick(rnd(&w->rng)), did = 0;
		uint64_t r1 = rnd(&w->rng), r2 = rnd(&w->rng), r3 = rnd(&w->rng);

		switch (op) {
		case OP_CALL: did = op_call(w, r1); break;
		case OP_MODCALL: did = op_modcall(w, r1, r2); break;
		case OP_UPDATE: did = op_update(w, r1, r2); break;
		case OP_BATCH: did = op_batch(w, r1, r2, r3); break;
		case OP_STORE: did = op_store(w, r1, r2, r3); break;
		case OP_BEHIND: did = op_behind(w, r1, r2); break;
		case OP_RESYNC: did = op_resync(w); break;
		case OP_MODUPDATE: did = op_mod(w, 0, r1, r2, r3); break;
		case OP_MODSTORE: did = op_mod(w, 1, r1, r2, r3); break;
		case OP_MODBATCH: did = op_mod(w, 2, r1, r2, r3); break;
		case OP_DL: did = op_dl(w, r1); break;
		case OP_FORK: did = op_fork(w, r1); break;
		default: did = op_stats(w); break;
		}
		w->ops[op] += did;
		w->nops++;
	}
	return NULL;
}

static long signal_us = 150;

static void *signaller(void *arg)
{
	uint64_t r = seed ^ 0x5197a1;
	struct timespec ts = { signal_us / 1000000, signal_us % 1000000 * 1000 };

	(void)arg;
	while (!stop) {
		pthread_kill(workers[rnd(&r) % (uint64_t)nworkers].th, SIGUSR1);
		signals_sent++;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

static double env_double(const char *name, double def)
{
	const char *v = getenv(name);

	return v && *v ? strtod(v, NULL) : def;
}

static int parse_weights(const char *s)
{
	while (s && *s) {
		const char *eq = strchr(s, '='), *end = strchr(s, ',');
		int i;

		if (!eq)
			return -1;
		for (i = 0; i < NOPS; i++)
			if (strlen(op_name[i]) == (size_t)(eq - s) && !strncmp(s, op_name[i], eq - s))
				break;
		if (i == NOPS)
			return -1;
		op_weight[i] = atoi(eq + 1);
		s = end ? end + 1 : NULL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	pthread_rwlockattr_t ra;
	pthread_t sg;
	double seconds = env_double("SCALL_SOAK_SECONDS", 3);
	uint64_t t_end;
	struct counts c = { 0 }, hc = { 0 };
	long ops[NOPS] = { 0 }, nops = 0, loads = 0, unloads = 0;
	int final_ok = 1, exercised = 1;
	struct scall_stats rs;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (argc != 1 + NSLOTS) {
		fprintf(stderr, "usage: %s MODULE0 MODULE1\n", argv[0]);
		return 2;
	}
	seed = (uint64_t)env_long("SCALL_SOAK_SEED", 0);
	if (!seed)
		seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 20;
	ops_limit = env_long("SCALL_SOAK_OPS", 0);
	nworkers = (int)env_long("SCALL_SOAK_THREADS", 4);
	signal_us = env_long("SCALL_SOAK_SIGNAL_US", 150);
	if (nworkers < 1 || nworkers > MAXTHREADS || parse_weights(getenv("SCALL_SOAK_WEIGHTS"))) {
		fprintf(stderr, "bad SCALL_SOAK_THREADS or SCALL_SOAK_WEIGHTS\n");
		return 2;
	}
	for (int i = 0; i < NOPS; i++)
		op_total += op_weight[i];
	if (op_total <= 0) {
		fprintf(stderr, "SCALL_SOAK_WEIGHTS: every weight is 0\n");
		return 2;
	}
	fprintf(stderr, "soak: seed %#" PRIx64 " (SCALL_SOAK_SEED), %d threads, %.1f s%s\n", seed,
		nworkers, seconds, ops_limit ? " or the operation budget" : "");
	shm = mmap(NULL, sizeof *shm, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED || soak_far_init()) {
		fprintf(stderr, "FAIL: cannot map the shared page or the far target\n");
		return 1;
	}
	for (int k = 0; k < NKEYS; k++) {
		sm_reset(&models[k], soak_keys[k].init);
		if (soak_id(k, soak_value(k)) != soak_keys[k].init) {
			fprintf(stderr, "FAIL: key %s does not start at target id %d\n",
				soak_keys[k].name, soak_keys[k].init);
			return 1;
		}
	}
	for (int s = 0; s < NSLOTS; s++)
		slots[s].path = argv[1 + s];
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&gate, &ra);
	sigaction(SIGUSR1, &sa, NULL);

	for (int i = 0; i < nworkers; i++) {
		workers[i].idx = i;
		workers[i].rng = seed * 0x100000001b3ull + (uint64_t)i;
		workers[i].hrng = ~workers[i].rng;
	}
	for (int i = 0; i < nworkers; i++)
		if (pthread_create(&workers[i].th, NULL, worker, &workers[i])) {
			fprintf(stderr, "FAIL: pthread_create\n");
			return 1;
		}
	pthread_create(&sg, NULL, signaller, NULL);
	t_end = now_us() + (uint64_t)(seconds * 1e6);
	for (;;) {
		struct timespec ts = { 0, 10000000 };
		int busy = 0;

		for (int i = 0; i < nworkers; i++)
			busy |= !ops_limit || workers[i].nops < ops_limit;
		if (!busy || now_us() >= t_end)
			break;
		nanosleep(&ts, NULL);
	}
	stop = 1;
	/* The signaller first: it must not signal a thread already joined. */
	pthread_join(sg, NULL);
	for (int i = 0; i < nworkers; i++)
		pthread_join(workers[i].th, NULL);

	/* Quiet now: every site reaches exactly its key's target and holds
	 * its state in memory; then, modules unloaded and every key on a
	 * target in the executable, every site is direct. */
	tl_w = &workers[0];
	final_ok &= exact_all(&workers[0], "final") == 0;
	final_ok &= sites_ok("final");
	for (int s = 0; s < NSLOTS; s++)
		if (atomic_load(&slots[s].state) == LOADED)
			op_dl(&workers[0], (uint64_t)s);
	{
		int keys[NKEYS], ids[NKEYS], err;
		for (int k = 0; k < NKEYS; k++)
			keys[k] = k, ids[k] = 1;
		err = soak_batch(keys, ids, 8) || soak_batch(keys + 8, ids + 8, NKEYS - 8);
		final_ok &= !err && exact_all(&workers[0], "final, in the executable") == 0;
		final_ok &= soak_toolchain
				    ? site_check_all_direct("final, modules unloaded", 1, soak_nsites)
				    : site_check_none("final, modules unloaded");
	}

	for (int i = 0; i < nworkers; i++) {
		struct worker *w = &workers[i];
		for (int o = 0; o < NOPS; o++)
			ops[o] += w->ops[o], nops += w->ops[o];
		c.calls += w->c.calls, c.strict += w->c.strict, c.live += w->c.live,
			c.loose += w->c.loose;
		hc.calls += w->hc.calls, hc.strict += w->hc.strict, hc.live += w->hc.live,
			hc.loose += w->hc.loose;
	}
	for (int s = 0; s < NSLOTS; s++)
		loads += slots[s].loads, unloads += slots[s].unloads;
	print_violations();
	if (!scall_stats(&rs))
		fprintf(stderr, "soak: runtime: writer %s, %" PRIu64 " updates, %" PRIu64
				" calls emulated at a trap, %" PRIu64 " syncs\n",
			rs.writer, rs.updates, rs.traps, rs.syncs);
	fprintf(stderr, "soak: seed %#" PRIx64 ", %.2f s, %d threads: %ld operations (", seed,
		(double)now_us() / 1e6, nworkers, nops);
	for (int o = 0; o < NOPS; o++)
		fprintf(stderr, "%s%s %ld", o ? ", " : "", op_name[o], ops[o]);
	fprintf(stderr, "; %ld loads, %ld unloads, %ld children, %ld of them checked by bytes), "
			"%ld calls checked (%ld strict, %ld of them while updating, %ld loose; "
			"%ld in signal handlers of %ld signals; %ld in children), "
			"%ld violations, %ld operation errors, %ld failed children\n",
		loads, unloads, (long)shm->children, (long)shm->checked,
		c.calls + hc.calls + (long)shm->calls, c.strict + hc.strict, c.live + hc.live,
		c.loose + hc.loose, hc.calls, (long)signals_sent, (long)shm->calls,
		(long)violations, (long)op_errors, (long)child_failures);

	/* A run that did not do each thing could not have failed on it. */
	if (!ops_limit) {
		for (int o = 0; o < NOPS; o++)
			if (op_weight[o] && !ops[o]) {
				fprintf(stderr, "FAIL: no '%s' operation was done\n", op_name[o]);
				exercised = 0;
			}
		if (!c.live || !hc.calls || (op_weight[OP_DL] && (!loads || !unloads)) ||
		    (op_weight[OP_FORK] && !shm->checked)) {
			fprintf(stderr, "FAIL: no call checked while updating, none in a signal "
					"handler, no module unloaded, or no child checked by bytes\n");
			exercised = 0;
		}
	}
	printf("soak verdict: %ld violations, %ld operation errors, %ld failed children, "
	       "final check %s%s\n",
	       (long)violations, (long)op_errors, (long)child_failures, final_ok ? "ok" : "FAILED",
	       exercised ? "" : ", not everything exercised");
	return violations || op_errors || child_failures || !final_ok || !exercised;
}
