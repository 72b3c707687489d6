/* SPDX-License-Identifier: MIT */
/*
 * The per-key index (docs/protocol.md, "The per-key index"): the items of
 * an update's keys, found without looking at any other item.
 *
 * At registration a module's items are grouped by key: one run per key,
 * that key's items of the module by address.  A lazy module has no run
 * until its items are built (index.c), only its keys, sorted, which a
 * selection looks up to know that the module must be built first.  The runs of one key (one
 * per module holding items of it) hang off one node of a tree ordered by
 * key address, so an update finds each of its keys in O(log keys), and a
 * converted store finds the keys whose address lies in the bytes it
 * stored.  Registration links the module's runs, unregistration unlinks
 * them: the other modules' runs are not touched.  Under the update lock
 * only; the SIGTRAP handler never reads it.
 *
 * The tree is a treap whose priorities are a hash of the key address: no
 * random state, and the same shape for the same keys whatever the order
 * of registration.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Nodes are the first run of each key; a key's other runs follow `next`. */
static struct rt_run *root;

/* Spreads key addresses (8 bytes apart, mostly) over 64 bits. */
static uint64_t mix(uintptr_t v)
{
	uint64_t z = (uint64_t)v * 0x9e3779b97f4a7c15ull;

	z ^= z >> 29;
	z *= 0xbf58476d1ce4e5b9ull;
	return z ^ (z >> 32);
}

static uint64_t prio(const struct rt_run *r)
{
	return mix((uintptr_t)r->key);
}

/* ---------------------------------------------------------------- */
/* A module's runs                                                  */
/* ---------------------------------------------------------------- */

/* Open addressing over a power of two of slots, never more than half
 * full: a module has no more keys than trampolines. */
struct slot {
	void **key;
	size_t n;   /* items of the key */
	size_t run; /* its run in m->runs */
};

static struct slot *slot_of(struct slot *h, size_t cap, void **key)
{
	size_t i = (size_t)mix((uintptr_t)key) & (cap - 1);

	while (h[i].key && h[i].key != key)
		i = (i + 1) & (cap - 1);
	return &h[i];
}

/* slot_of, for items in address order: neighbours often share a key (the
 * calls of one function, a compiler's order), so the last slot is tried
 * first. */
static struct slot *slot_near(struct slot *h, size_t cap, void **key,
			      struct slot **last)
{
	if (!*last || (*last)->key != key)
		*last = slot_of(h, cap, key);
	return *last;
}

/* Slots for a module's keys: at most ntramps (a site's key is its
 * trampoline's), and a key per branch. */
static size_t hash_cap(const struct rt_module *m)
{
	size_t cap = 2;

	while (cap < 2 * (m->ntramps + m->nbranches) + 2)
		cap *= 2;
	return cap;
}

/* Untouched until they are filled (a lazy module's, maybe never), so
 * malloc: a large one is a fresh mapping, which costs nothing until then. */
int scall_keys_alloc(struct rt_module *m)
{
	m->keyhash = scall_malloc(hash_cap(m) * sizeof(struct slot));
	m->runs = scall_malloc((m->ntramps + m->nbranches + 1) *
			       sizeof(*m->runs));
	m->bykey = scall_malloc((m->ncap + 1) * sizeof(*m->bykey));
	m->lkeys = m->lazy ? scall_malloc(hash_cap(m) * sizeof(*m->lkeys))
			   : NULL;
	if (!m->keyhash || !m->runs || !m->bykey || (m->lazy && !m->lkeys)) {
		free(m->keyhash);
		free(m->runs);
		free(m->bykey);
		free(m->lkeys);
		m->keyhash = NULL;
		m->runs = NULL;
		m->bykey = NULL;
		m->lkeys = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* A lazy module's keys, each once, in a set of ncap-free slots (its
 * trampolines' keys, which are its sites' keys): what a selection looks
 * for in it.  A hash, not a sorted array: sorting a thousand keys would
 * cost more than the rest of the registration. */
static void lazy_keys(struct rt_module *m)
{
	size_t cap = hash_cap(m);

	memset(m->lkeys, 0, cap * sizeof(*m->lkeys));
	m->klo = UINTPTR_MAX;
	m->khi = 0;
	for (size_t i = 0; i < m->ntramps; i++) {
		void **key = m->items[i].key;
		size_t j = (size_t)mix((uintptr_t)key) & (cap - 1);

		while (m->lkeys[j] && m->lkeys[j] != key)
			j = (j + 1) & (cap - 1);
		m->lkeys[j] = key;
		if ((uintptr_t)key < m->klo)
			m->klo = (uintptr_t)key;
		if ((uintptr_t)key >= m->khi)
			m->khi = (uintptr_t)key + 1;
	}
}

static bool lazy_has(const struct rt_module *m, void **key)
{
	size_t cap = hash_cap(m), j = (size_t)mix((uintptr_t)key) & (cap - 1);

	while (m->lkeys[j]) {
		if (m->lkeys[j] == key)
			return true;
		j = (j + 1) & (cap - 1);
	}
	return false;
}

bool scall_keys_lazy_takes(const struct rt_module *m, const struct rt_sel *sel)
{
	if (sel->kind == SEL_RANGE) {
		size_t cap = hash_cap(m);

		if (sel->hi <= m->klo || sel->lo >= m->khi)
			return false;
		/* Rare (a store among the module's keys while it is lazy),
		 * and a store's range may hold any number of keys: every
		 * slot. */
		for (size_t j = 0; j < cap; j++)
			if (m->lkeys[j] && (uintptr_t)m->lkeys[j] >= sel->lo &&
			    (uintptr_t)m->lkeys[j] < sel->hi)
				return true;
		return false;
	}
	for (size_t r = 0; r < sel->n; r++)
		if (lazy_has(m, sel->req[r].key))
			return true;
	return false;
}

void scall_keys_build(struct rt_module *m)
{
	size_t cap = hash_cap(m), off = 0, i;
	struct slot *h = m->keyhash, *last = NULL;

	if (m->lazy) {
		/* No run until its sites are built: nothing else to find. */
		lazy_keys(m);
		return;
	}
	free(m->lkeys);
	m->lkeys = NULL;
	memset(h, 0, cap * sizeof(*h));
	m->nruns = 0;
	for (i = 0; i < m->nitems; i++) {
		struct rt_item *it = m->tab[i].it;
		struct slot *s;

		if (!it->key)
			continue; /* refused: its trampoline has no record */
		s = slot_near(h, cap, it->key, &last);
		if (!s->key)
			s->key = it->key;
		s->n++;
	}
	for (i = 0; i < cap; i++)
		if (h[i].key) {
			m->runs[m->nruns] = (struct rt_run){
				.key = h[i].key, .items = m->bykey + off
			};
			off += h[i].n;
			h[i].run = m->nruns++;
		}
	/* In address order (the module's table), so each run is. */
	last = NULL;
	for (i = 0; i < m->nitems; i++) {
		struct rt_item *it = m->tab[i].it;
		struct rt_run *r;

		if (!it->key)
			continue;
		r = &m->runs[slot_near(h, cap, it->key, &last)->run];
		r->items[r->n++] = it;
	}
	free(m->keyhash);
	m->keyhash = NULL;
}

/* ---------------------------------------------------------------- */
/* The tree                                                         */
/* ---------------------------------------------------------------- */

static void rotate_right(struct rt_run **link)
{
	struct rt_run *t = *link, *l = t->left;

	t->left = l->right;
	l->right = t;
	*link = l;
}

static void rotate_left(struct rt_run **link)
{
	struct rt_run *t = *link, *r = t->right;

	t->right = r->left;
	r->left = t;
	*link = r;
}

/* The link that holds key's node, or the NULL link where it would go. */
static struct rt_run **find(void **key)
{
	struct rt_run **link = &root;

	while (*link && (*link)->key != key)
		link = (uintptr_t)key < (uintptr_t)(*link)->key ? &(*link)->left
							 : &(*link)->right;
	return link;
}

static void insert(struct rt_run **link, struct rt_run *r)
{
	struct rt_run *t = *link;

	if (!t) {
		r->left = r->right = r->next = NULL;
		*link = r;
		return;
	}
	if (t->key == r->key) {
		/* Another module's items of the key. */
		r->left = r->right = NULL;
		r->next = t->next;
		t->next = r;
		return;
	}
	if ((uintptr_t)r->key < (uintptr_t)t->key) {
		insert(&t->left, r);
		if (prio(t->left) > prio(t))
			rotate_right(link);
	} else {
		insert(&t->right, r);
		if (prio(t->right) > prio(t))
			rotate_left(link);
	}
}

static void unlink_run(struct rt_run *r)
{
	struct rt_run **link = find(r->key), *t = *link, **pp;

	if (!t)
		return; /* cannot happen: linked at registration */
	if (t != r) {
		for (pp = &t->next; *pp && *pp != r; pp = &(*pp)->next)
			;
		if (*pp)
			*pp = r->next;
		return;
	}
	if (r->next) {
		/* The key's next run takes the node's place: same key, same
		 * priority, so the tree stays ordered and a heap. */
		r->next->left = r->left;
		r->next->right = r->right;
		*link = r->next;
		return;
	}
	/* The key's last run: rotate it down to a leaf's place and cut it. */
	while (r->left && r->right) {
		if (prio(r->left) > prio(r->right)) {
			rotate_right(link);
			link = &(*link)->right;
		} else {
			rotate_left(link);
			link = &(*link)->left;
		}
	}
	*link = r->left ? r->left : r->right;
}

void scall_keys_link(struct rt_module *m)
{
	/* A lazy module has no run (nruns 0) until its items are built. */
	for (size_t i = 0; i < m->nruns; i++)
		insert(&root, &m->runs[i]);
}

void scall_keys_unlink(struct rt_module *m)
{
	for (size_t i = 0; i < m->nruns; i++)
		unlink_run(&m->runs[i]);
}

/* ---------------------------------------------------------------- */
/* Selection                                                        */
/* ---------------------------------------------------------------- */

/* The live items of every run of node t's key into out[n..). */
static size_t take(const struct rt_run *t, struct rt_item **out, size_t n)
{
	for (; t; t = t->next)
		for (size_t i = 0; i < t->n; i++)
			if (!t->items[i]->refused)
				out[n++] = t->items[i];
	return n;
}

/* The keys of subtree t whose address lies in [lo, hi), by address. */
static size_t range(const struct rt_run *t, uintptr_t lo, uintptr_t hi,
		    struct rt_item **out, size_t n)
{
	while (t) {
		uintptr_t k = (uintptr_t)t->key;

		if (k > lo)
			n = range(t->left, lo, hi, out, n);
		if (k >= lo && k < hi)
			n = take(t, out, n);
		if (k >= hi)
			break;
		t = t->right; /* a loop, not a call: a long right spine */
	}
	return n;
}

size_t scall_keys_select(const struct rt_sel *sel, struct rt_item **out)
{
	size_t n = 0;

	if (sel->kind == SEL_RANGE)
		return range(root, sel->lo, sel->hi, out, 0);
	/* SEL_KEYS: sorted, so a key named twice is taken once. */
	for (size_t i = 0; i < sel->n; i++)
		if (i == 0 || sel->req[i].key != sel->req[i - 1].key)
			n = take(*find(sel->req[i].key), out, n);
	return n;
}
