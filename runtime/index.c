/* SPDX-License-Identifier: MIT */
/*
 * The handler's table and the items of a selection (docs/protocol.md, "The
 * handler's table").
 *
 * The table is an immutable array of (address, item) for every item of
 * every module, published through an atomic pointer; the SIGTRAP handler
 * searches it without a lock, counting itself in scall_in_flight first, so
 * an old table (and what was retired with it) is freed only once no handler
 * is in flight.  The scratch space of the patch cycle is sized here, with
 * the table, so that a cycle never allocates.
 *
 * scall_index_select is where a cycle learns which items it takes.  It
 * walks the table today (O(all items)); a per-key index replaces that walk
 * without changing its callers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

struct rt_table *scall_table;
unsigned long scall_in_flight;

/* Retired allocations, freed when no handler is in flight. */
struct retired {
	struct retired *next;
	void *p[4];
};
static struct retired *retire_list;
/* Modules dropped at unload without a new table (out of memory): the
 * published table may still point to their items. */
static struct rt_module *dropped;

/* Scratch space of the patch cycle, for every item of every module. */
static struct rt_item **scr_items;
static uintptr_t *scr_bar;
static struct wr *scr_w;
static size_t scr_cap;

const struct rt_item *scall_index_lookup(const struct rt_table *t, uintptr_t a)
{
	size_t lo = 0, hi;

	if (!t)
		return NULL;
	hi = t->n;
	while (lo < hi) {
		size_t m = (lo + hi) / 2;

		if (t->e[m].addr < a)
			lo = m + 1;
		else
			hi = m;
	}
	return lo < t->n && t->e[lo].addr == a ? t->e[lo].it : NULL;
}

/* By address; at one address (duplicate records) the live item first: the
 * handler takes the first entry of an address. */
static int cmp_entry(const void *a, const void *b)
{
	const struct rt_entry *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (int)x->it->refused - (int)y->it->refused;
}

static void free_retired(struct retired *r)
{
	while (r) {
		struct retired *n = r->next;

		for (size_t i = 0; i < 4; i++)
			free(r->p[i]);
		free(r);
		r = n;
	}
}

void scall_index_reap(void)
{
	struct rt_module **pp, *m;

	if (__atomic_load_n(&scall_in_flight, __ATOMIC_SEQ_CST))
		return;
	if (retire_list) {
		free_retired(retire_list);
		retire_list = NULL;
		if (scall_debug)
			fprintf(stderr, "scall: retired tables freed\n");
	}
	/* No handler in flight, and none can load a table that has them. */
	for (pp = &dropped; (m = *pp);)
		if (m->unpublished) {
			*pp = m->next;
			free(m->items);
			free(m->name);
			free(m);
		} else {
			pp = &m->next;
		}
}

/* Free p0..p3 once no handler can still see them (p0 may be the old
 * table).  Called after the new table is published, with r allocated
 * before: it is used or freed. */
static void retire(struct retired *r, void *p0, void *p1, void *p2, void *p3)
{
	if (__atomic_load_n(&scall_in_flight, __ATOMIC_SEQ_CST) == 0) {
		free(r);
		free(p0);
		free(p1);
		free(p2);
		free(p3);
		scall_index_reap();
		return;
	}
	*r = (struct retired){ retire_list, { p0, p1, p2, p3 } };
	retire_list = r;
	if (scall_debug)
		fprintf(stderr, "scall: handler in flight: old table freed "
				"later\n");
}

static int reserve_scratch(size_t n)
{
	void *a, *b, *c;

	if (n <= scr_cap)
		return 0;
	a = scall_realloc(scr_items, n * sizeof(*scr_items));
	if (a)
		scr_items = a;
	b = scall_realloc(scr_bar, n * sizeof(*scr_bar));
	if (b)
		scr_bar = b;
	c = scall_realloc(scr_w, n * sizeof(*scr_w));
	if (c)
		scr_w = c;
	if (!a || !b || !c)
		return -ENOMEM;
	scr_cap = n;
	return 0;
}

int scall_index_publish(const struct rt_module *mods, void *free1,
			void *free2, void *free3)
{
	size_t n = 0, k = 0;
	struct rt_table *t, *old;
	const struct rt_module *m;
	struct rt_module *d;
	struct retired *r;

	for (m = mods; m; m = m->next)
		n += m->nitems;
	if (reserve_scratch(n + 1))
		return -ENOMEM;
	t = scall_malloc(sizeof(*t) + n * sizeof(t->e[0]));
	r = scall_malloc(sizeof(*r));
	if (!t || !r) {
		free(t);
		free(r);
		return -ENOMEM;
	}
	for (m = mods; m; m = m->next)
		for (size_t i = 0; i < m->nitems; i++)
			t->e[k++] = (struct rt_entry){ m->items[i].addr,
						       &m->items[i] };
	t->n = k;
	qsort(t->e, k, sizeof(t->e[0]), cmp_entry);
	old = __atomic_exchange_n(&scall_table, t, __ATOMIC_SEQ_CST);
	for (d = dropped; d; d = d->next)
		d->unpublished = true;
	retire(r, old, free1, free2, free3);
	return 0;
}

void scall_index_drop(struct rt_module *m)
{
	m->next = dropped;
	m->unpublished = false;
	dropped = m;
}

static bool key_wanted(const struct scall_req *req, size_t n, void **key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t m = (lo + hi) / 2;

		if ((uintptr_t)req[m].key < (uintptr_t)key)
			lo = m + 1;
		else if ((uintptr_t)req[m].key > (uintptr_t)key)
			hi = m;
		else
			return true;
	}
	return false;
}

static bool selected(const struct rt_sel *sel, const struct rt_item *it)
{
	switch (sel->kind) {
	case SEL_KEYS:
		return key_wanted(sel->req, sel->n, it->key);
	case SEL_RANGE:
		return (uintptr_t)it->key >= sel->lo &&
		       (uintptr_t)it->key < sel->hi;
	case SEL_MODULE:
		return it->mod == sel->mod;
	default:
		return true;
	}
}

bool scall_index_select(const struct rt_sel *sel, struct rt_batch *b)
{
	struct rt_table *t = __atomic_load_n(&scall_table, __ATOMIC_RELAXED);

	if (!t || !t->n)
		return false;
	if (scr_cap < t->n)
		return false; /* cannot happen: reserved at every publication */
	*b = (struct rt_batch){ scr_items, 0, scr_bar, 0, scr_w };
	/* In address order (the table is sorted), as the writer needs. */
	for (size_t i = 0; i < t->n; i++) {
		struct rt_item *it = t->e[i].it;

		if (it->refused)
			b->bar[b->nbar++] = it->addr;
		else if (selected(sel, it))
			b->items[b->n++] = it;
	}
	return true;
}
