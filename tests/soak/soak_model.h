/* SPDX-License-Identifier: MIT */
/*
 * The soak's model of which targets a call through one key may reach.
 *
 * Every write of a key (scall_update, one entry of a batch, a converted
 * store, a write behind scall's back followed by scall_resync) is an
 * *update* with a ticket: sm_begin() takes the next ticket and logs the
 * target's id before the key is written; sm_end() marks it done once the
 * operation returned.  Updates of one key may run in several threads at
 * once.  The rule of scall.h, "after scall_update returns, every next call
 * reaches the new target", then says:
 *
 *   a call that starts when every ticket up to d is done, and ends when the
 *   last ticket taken is st, reaches the target of one of the tickets
 *   lo(d) .. st,
 *
 * where lo(n) is the smallest ticket that was not done when n was taken
 * (n itself if all were): an update done before n was taken stored its
 * value before n stored, so once n is done its value is gone.  A ticket
 * taken but not logged yet has not written the key and allows nothing.
 * An earlier entry of the same batch naming the key again is left out of
 * lo (the batch stores its entries in order: the last one wins).
 *
 * Lock-free and async-signal-safe on the call side (sm_probe, sm_allowed):
 * signal handlers check their calls too.  The logs are rings of SM_RING
 * entries; a window wider than a ring allows every target (a loose check),
 * and sm_begin() waits while half a ring of one key's updates is in flight
 * so that a ring entry is never reused under a live window.
 */
#ifndef SOAK_MODEL_H
#define SOAK_MODEL_H
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

#define SM_RING 1024
#define SM_MAXEX 4

struct sm_key {
	_Atomic uint64_t claim;          /* last ticket taken */
	_Atomic uint64_t wm;             /* every ticket <= wm is done */
	_Atomic uint64_t hist[SM_RING];  /* ticket << 8 | target id */
	_Atomic uint64_t lo[SM_RING];    /* ticket << 16 | ticket - lo(ticket) */
	_Atomic uint64_t done[SM_RING];  /* the ticket, once done */
};

/* A forked child has no other thread to finish the parent's tickets: it
 * must not wait for them. */
static int sm_nowait;

/* Ticket 0 is the key's initial value. */
static inline void sm_reset(struct sm_key *k, int init_id)
{
	for (int i = 0; i < SM_RING; i++) {
		atomic_store(&k->hist[i], UINT64_MAX);
		atomic_store(&k->lo[i], UINT64_MAX);
		atomic_store(&k->done[i], UINT64_MAX);
	}
	atomic_store(&k->hist[0], (uint64_t)init_id);
	atomic_store(&k->lo[0], 0);
	atomic_store(&k->done[0], 0);
	atomic_store(&k->wm, 0);
	atomic_store(&k->claim, 0);
}

/* Take a ticket for writing target `id`; ex[0..nex-1] are earlier tickets
 * of the same batch for this key. */
static inline uint64_t sm_begin(struct sm_key *k, int id, const uint64_t *ex, int nex)
{
	uint64_t n, w, l;

	while (!sm_nowait && atomic_load(&k->claim) - atomic_load(&k->wm) >= SM_RING / 2)
		sched_yield();
	n = atomic_fetch_add(&k->claim, 1) + 1;
	w = atomic_load(&k->wm);
	l = n;
	for (uint64_t j = w + 1; j < n; j++) {
		int mine = 0;
		for (int e = 0; e < nex; e++)
			mine |= ex[e] == j;
		if (!mine && atomic_load(&k->done[j % SM_RING]) != j) {
			l = j;
			break;
		}
	}
	/* Too far behind to encode (a forked child): calls are then loose. */
	atomic_store(&k->lo[n % SM_RING],
		     n - l >= SM_RING / 2 ? UINT64_MAX : n << 16 | (n - l));
	atomic_store(&k->hist[n % SM_RING], n << 8 | (uint64_t)id);
	return n;
}

static inline void sm_end(struct sm_key *k, uint64_t n)
{
	atomic_store(&k->done[n % SM_RING], n);
	for (;;) {
		uint64_t w = atomic_load(&k->wm);
		if (atomic_load(&k->done[(w + 1) % SM_RING]) != w + 1)
			break;
		atomic_compare_exchange_strong(&k->wm, &w, w + 1);
	}
}

/* What a call needs to know before it starts. */
struct sm_probe {
	uint64_t d, l;
	int loose;
};

static inline struct sm_probe sm_probe(struct sm_key *k)
{
	struct sm_probe p = { 0, 0, 0 };
	uint64_t e;

	p.d = atomic_load(&k->wm);
	e = atomic_load(&k->lo[p.d % SM_RING]);
	if (e == UINT64_MAX || e >> 16 != p.d)
		p.loose = 1;
	else
		p.l = p.d - (e & 0xffff);
	return p;
}

/* The window of one checked call, for a report. */
struct sm_window {
	uint64_t d, l, st;
	int n;
	uint64_t ent[8]; /* the logged (ticket << 8 | id) of the window */
};

/* The ids a call probed with p may have reached, as a bit mask; all_ids
 * when the window cannot be checked. */
static inline uint32_t sm_allowed(struct sm_key *k, const struct sm_probe *p,
				  uint32_t all_ids, struct sm_window *win)
{
	uint64_t st = atomic_load(&k->claim);
	uint32_t m = 0;

	win->d = p->d, win->l = p->l, win->st = st, win->n = 0;
	if (p->loose || st - p->l >= SM_RING / 2)
		return all_ids;
	for (uint64_t j = p->l; j <= st; j++) {
		uint64_t e = atomic_load(&k->hist[j % SM_RING]);
		if (e == UINT64_MAX || e >> 8 < j)
			continue; /* taken, not logged: the key is not written yet */
		if (e >> 8 > j)
			return all_ids; /* the ring moved on */
		m |= 1u << (e & 0xff);
		if (win->n < 8)
			win->ent[win->n++] = e;
	}
	return m;
}
#endif
