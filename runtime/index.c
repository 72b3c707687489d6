/* SPDX-License-Identifier: MIT */
/*
 * The handler's table and the items of a selection (docs/protocol.md, "The
 * handler's table" and "The per-key index").
 *
 * Each module has its own table of (address, item), sorted by address and
 * immutable once built at its registration.  The table the SIGTRAP handler
 * searches is a directory of those: one span per module, by its lowest
 * address, published through an atomic pointer.  Registering or
 * unregistering a module copies the directory (one span per module), never
 * another module's items.  The handler searches it without a lock,
 * counting itself in scall_in_flight first, so an old directory (and the
 * module retired with it) is freed only once no handler is in flight.  The
 * scratch space of the patch cycle is sized here too, so that a cycle never
 * allocates.
 *
 * scall_index_select gives a cycle its items: an update's from the
 * per-key index (keys.c), a module's from its table; in address order,
 * with the refused windows a coalesced write could cover.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "internal.h"

#define PAGE 4096u

struct rt_table *scall_table;
unsigned long scall_in_flight;

/* Retired directories and modules, freed when no handler is in flight. */
struct retired {
	struct retired *next;
	struct rt_table *t;
	struct rt_module *m;
};
static struct retired *retire_list;
/* Modules dropped at unload without a new directory (out of memory): the
 * published one may still point to their items. */
static struct rt_module *dropped;

/* Scratch space of the patch cycle, for every item of every module: the
 * items selected, a second array to sort them, the refused windows, the
 * writes. */
static struct rt_item **scr_items, **scr_sort;
static uintptr_t *scr_bar;
static struct wr *scr_w;
static size_t scr_cap;

/* Items of the modules in the directory (dropped ones aside), and how many
 * of them are refused: with none, a selection has no refused window near. */
static size_t nitems_all, nrefused_all;
/* Lazy modules in the directory: none, and no selection looks for them. */
static size_t nlazy;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* ---------------------------------------------------------------- */
/* The handler's side: no lock, no wait                             */
/* ---------------------------------------------------------------- */

/* The first of the n entries of s at or above a. */
static size_t first_at(const struct rt_span *s, size_t n, uintptr_t a)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t m = (lo + hi) / 2;

		if (s->e[m].addr < a)
			lo = m + 1;
		else
			hi = m;
	}
	return lo;
}

/* How many spans start at or below a. */
static size_t spans_upto(const struct rt_table *t, uintptr_t a)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t m = (lo + hi) / 2;

		if (t->s[m].lo <= a)
			lo = m + 1;
		else
			hi = m;
	}
	return lo;
}

const struct rt_item *scall_index_lookup(const struct rt_table *t, uintptr_t a)
{
	const struct rt_item *found = NULL;

	if (!t)
		return NULL;
	/* The spans starting at or below a, nearest first, while one of
	 * them may still reach a (reach: the highest end so far). */
	for (size_t i = spans_upto(t, a); i-- > 0 && t->s[i].reach > a;) {
		const struct rt_span *s = &t->s[i];
		size_t n;

		if (a >= s->hi)
			continue;
		/* Acquire: the entries and items a lazy module's first cycle
		 * built are seen with their count. */
		n = __atomic_load_n(&s->mod->ntab, __ATOMIC_ACQUIRE);
		/* Duplicate records give several items at one address, all
		 * refused but one: that one is the item. */
		for (size_t k = first_at(s, n, a); k < n && s->e[k].addr == a;
		     k++) {
			if (!s->e[k].it->refused)
				return s->e[k].it;
			if (!found)
				found = s->e[k].it;
		}
	}
	return found;
}

/* ---------------------------------------------------------------- */
/* Retirement                                                       */
/* ---------------------------------------------------------------- */

void scall_index_free_module(struct rt_module *m)
{
	free(m->tab);
	free(m->runs);
	free(m->bykey);
	free(m->keyhash);
	free(m->lkeys);
	free(m->items);
	free(m->name);
	free(m);
}

static void free_retired(struct retired *r)
{
	while (r) {
		struct retired *n = r->next;

		free(r->t);
		if (r->m)
			scall_index_free_module(r->m);
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
	/* No handler in flight, and none can load a directory that has
	 * them. */
	for (pp = &dropped; (m = *pp);)
		if (m->unpublished) {
			*pp = m->next;
			scall_index_free_module(m);
		} else {
			pp = &m->next;
		}
}

/* Publish t; the old directory and m (NULL, or the module t leaves out)
 * are freed once no handler can still see them.  r, allocated before, is
 * used or freed. */
static void publish(struct rt_table *t, struct retired *r, struct rt_module *m)
{
	struct rt_table *old =
		__atomic_exchange_n(&scall_table, t, __ATOMIC_SEQ_CST);

	for (struct rt_module *d = dropped; d; d = d->next)
		d->unpublished = true;
	if (__atomic_load_n(&scall_in_flight, __ATOMIC_SEQ_CST) == 0) {
		free(r);
		free(old);
		if (m)
			scall_index_free_module(m);
		scall_index_reap();
		return;
	}
	*r = (struct retired){ retire_list, old, m };
	retire_list = r;
	if (scall_debug)
		fprintf(stderr, "scall: handler in flight: old table freed "
				"later\n");
}

/* ---------------------------------------------------------------- */
/* Registration and unregistration                                  */
/* ---------------------------------------------------------------- */

/* Room for n items in every scratch array.  Grown by half at least, so
 * that a run of registrations costs in proportion to their items; the
 * contents need not survive, so nothing is copied. */
static int reserve_scratch(size_t n)
{
	struct wr *w;

	if (n <= scr_cap)
		return 0;
	if (n < scr_cap + scr_cap / 2)
		n = scr_cap + scr_cap / 2;
	/* One allocation for the four: one mapping to set up, not four. */
	w = scall_malloc(n * (sizeof(*scr_w) + sizeof(*scr_items) +
			      sizeof(*scr_sort) + sizeof(*scr_bar)));
	if (!w)
		return -ENOMEM;
	free(scr_w);
	scr_w = w;
	scr_items = (struct rt_item **)(w + n);
	scr_sort = scr_items + n;
	scr_bar = (uintptr_t *)(scr_sort + n);
	scr_cap = n;
	return 0;
}

/* m's windows by address: its trampolines and its sites, each sorted
 * (records.c), merged; its extent and its refused items.  With fixed, the
 * extent is the one already published (a lazy module's, from its records):
 * a window outside it is refused, so the handler never needs it. */
static void build_tab(struct rt_module *m, bool fixed)
{
	struct rt_item *t = m->items, *te = t + m->ntramps, *s = te,
		       *se = m->items + m->nitems;
	size_t k = 0;

	m->nrefused = 0;
	if (!fixed && !m->lazy) {
		m->lo = m->nitems ? UINTPTR_MAX : 0;
		m->hi = 0;
	}
	while (t < te || s < se) {
		struct rt_item *it =
			s == se || (t < te && t->addr <= s->addr) ? t++ : s++;

		/* A lazy module's entries are made with its sites. */
		if (!m->lazy)
			m->tab[k++] = (struct rt_entry){ it->addr, it };
		if (fixed) {
			if ((it->addr < m->lo || it->addr + it->len > m->hi) &&
			    !it->refused) {
				it->refused = 1;
				scall_report_refused(it, "outside the extent "
							 "of its module's "
							 "records");
			}
		} else {
			if (it->addr < m->lo)
				m->lo = it->addr;
			if (it->addr + it->len > m->hi)
				m->hi = it->addr + it->len;
		}
		m->nrefused += it->refused;
	}
}

static size_t table_n(const struct rt_table *t)
{
	return t ? t->n : 0;
}

static struct rt_span span_of(struct rt_module *m)
{
	return (struct rt_span){ .lo = m->lo, .hi = m->hi, .e = m->tab,
				 .mod = m };
}

/* t: the spans of old, without del's and the dropped modules', with add's
 * (a module without items has none), by lo; each with its reach. */
static void fill_table(struct rt_table *t, const struct rt_table *old,
		       struct rt_module *add, const struct rt_module *del)
{
	bool placed = !add || !add->nitems;
	uintptr_t reach = 0;
	size_t k = 0;

	for (size_t i = 0; i < table_n(old); i++) {
		const struct rt_span *s = &old->s[i];

		if (s->mod == del || s->mod->dropped)
			continue;
		if (!placed && add->lo < s->lo) {
			t->s[k++] = span_of(add);
			placed = true;
		}
		t->s[k++] = *s;
	}
	if (!placed)
		t->s[k++] = span_of(add);
	t->n = k;
	for (k = 0; k < t->n; k++) {
		if (t->s[k].hi > reach)
			reach = t->s[k].hi;
		t->s[k].reach = reach;
	}
}

int scall_index_add(struct rt_module *m)
{
	struct rt_table *old = __atomic_load_n(&scall_table, __ATOMIC_RELAXED);
	struct rt_table *t = NULL;
	struct retired *r = NULL;

	/* A lazy module's arrays have room for its sites (ncap), which its
	 * first cycle fills without allocating; large ones are fresh
	 * mappings, so until then they cost neither time nor memory. */
	if (m->ncap) {
		m->tab = scall_malloc(m->ncap * sizeof(*m->tab));
		if (!m->tab)
			goto fail;
		build_tab(m, false);
	}
	if (scall_keys_alloc(m))
		goto fail;
	t = scall_malloc(sizeof(*t) + (table_n(old) + 1) * sizeof(t->s[0]));
	r = scall_malloc(sizeof(*r));
	/* The scratch last: grown only when the registration succeeds. */
	if (!t || !r || reserve_scratch(nitems_all + m->ncap + 1))
		goto fail;
	scall_keys_build(m);
	/* The handler sees a lazy module's windows only once they are
	 * built: none of them is written before. */
	m->ntab = m->lazy ? 0 : m->nitems;
	fill_table(t, old, m, NULL);
	scall_keys_link(m);
	nitems_all += m->ncap;
	nrefused_all += m->nrefused;
	nlazy += m->lazy;
	publish(t, r, NULL);
	return 0;
fail:
	free(t);
	free(r);
	free(m->tab);
	free(m->runs);
	free(m->bykey);
	free(m->keyhash);
	free(m->lkeys);
	m->tab = NULL;
	m->runs = NULL;
	m->bykey = NULL;
	m->keyhash = NULL;
	m->lkeys = NULL;
	m->nruns = 0;
	return -ENOMEM;
}

void scall_index_materialize(struct rt_module *m)
{
	double t0 = scall_debug ? now_us() : 0;
	size_t nref = m->nrefused;

	if (!m->lazy)
		return;
	scall_records_sites(m);
	m->lazy = false;
	build_tab(m, true);
	scall_keys_build(m);
	scall_keys_link(m);
	nrefused_all += m->nrefused - nref;
	nlazy--;
	/* Release: a handler that reads the count sees the entries and the
	 * items they point to.  No window of m was written before. */
	__atomic_store_n(&m->ntab, m->nitems, __ATOMIC_RELEASE);
	if (scall_debug)
		fprintf(stderr, "scall: module %s: %zu site items built for "
				"its first cycle, %.1f us\n",
			m->name ? m->name : "?", m->nsites, now_us() - t0);
}

/* Build the items of every lazy module that sel takes, before it takes
 * them. */
static void materialize_sel(const struct rt_sel *sel,
			    const struct rt_table *t)
{
	struct rt_module *m;

	if (!nlazy)
		return;
	if (sel->kind == SEL_MODULE) {
		scall_index_materialize((struct rt_module *)sel->mod);
		return;
	}
	/* Building a module changes no directory entry. */
	for (size_t i = 0; i < table_n(t) && nlazy; i++) {
		m = t->s[i].mod;
		if (m->lazy && !m->dropped &&
		    (sel->kind == SEL_ALL || scall_keys_lazy_takes(m, sel)))
			scall_index_materialize(m);
	}
}

int scall_index_remove(struct rt_module *m)
{
	struct rt_table *old = __atomic_load_n(&scall_table, __ATOMIC_RELAXED);
	struct rt_table *t =
		scall_malloc(sizeof(*t) + table_n(old) * sizeof(t->s[0]));
	struct retired *r = scall_malloc(sizeof(*r));

	/* No cycle selects its items from now on, whatever happens. */
	scall_keys_unlink(m);
	nitems_all -= m->ncap;
	nrefused_all -= m->nrefused;
	nlazy -= m->lazy;
	if (!t || !r) {
		free(t);
		free(r);
		return -ENOMEM;
	}
	fill_table(t, old, NULL, m);
	publish(t, r, m);
	return 0;
}

void scall_index_drop(struct rt_module *m)
{
	m->dropped = true;
	m->next = dropped;
	m->unpublished = false;
	dropped = m;
}

/* ---------------------------------------------------------------- */
/* Selection                                                        */
/* ---------------------------------------------------------------- */

/* Keep bar[0..n] sorted, as scall_write needs: v goes in among bar[0..n). */
static void insert_barrier(uintptr_t *bar, size_t n, uintptr_t v)
{
	while (n && bar[n - 1] > v) {
		bar[n] = bar[n - 1];
		n--;
	}
	bar[n] = v;
}

void scall_index_refuse(struct rt_item *it, struct rt_batch *b)
{
	it->refused = 1;
	it->mod->nrefused++;
	nrefused_all++;
	insert_barrier(b->bar, b->nbar++, it->addr);
}

/* The live items of m into out[n..), by address. */
static size_t take_module(const struct rt_module *m, struct rt_item **out,
			  size_t n)
{
	for (size_t i = 0; i < m->nitems; i++)
		if (!m->tab[i].it->refused)
			out[n++] = m->tab[i].it;
	return n;
}

/* The end of the run in address order that starts at a[i]. */
static size_t run_end(struct rt_item *const *a, size_t i, size_t n)
{
	while (++i < n && a[i - 1]->addr <= a[i]->addr)
		;
	return i;
}

/* a[0..n) by address: the runs already in order (a key's items in one
 * module, a module's items) merged pairwise into tmp and back until one
 * is left.  Returns the array that holds the result, a or tmp. */
static struct rt_item **sort_by_addr(struct rt_item **a, struct rt_item **tmp,
				     size_t n)
{
	while (run_end(a, 0, n) < n) {
		struct rt_item **swap;

		for (size_t i = 0; i < n;) {
			size_t mid = run_end(a, i, n),
			       end = mid < n ? run_end(a, mid, n) : n;
			size_t p = i, q = mid, k = i;

			while (p < mid && q < end)
				tmp[k++] = a[q]->addr < a[p]->addr ? a[q++]
								   : a[p++];
			while (p < mid)
				tmp[k++] = a[p++];
			while (q < end)
				tmp[k++] = a[q++];
			i = end;
		}
		swap = a;
		a = tmp;
		tmp = swap;
	}
	return a;
}

/* The refused windows of t starting in [lo, hi) into b's barriers. */
static void refused_in(const struct rt_table *t, uintptr_t lo, uintptr_t hi,
		       struct rt_batch *b)
{
	for (size_t i = spans_upto(t, hi - 1); i-- > 0 && t->s[i].reach > lo;) {
		const struct rt_span *s = &t->s[i];

		size_t n = s->mod->ntab;

		if (s->hi <= lo || s->mod->dropped || !s->mod->nrefused)
			continue;
		for (size_t k = first_at(s, n, lo); k < n && s->e[k].addr < hi;
		     k++)
			if (s->e[k].it->refused)
				insert_barrier(b->bar, b->nbar++, s->e[k].addr);
	}
}

/*
 * The refused windows a coalesced write of b's items could cover.  The
 * writer joins two writes only within one page and asks for a refused
 * window starting between ITEM_MAXLEN - 1 bytes before the end of the
 * first and the start of the second; each write is at an item's address or
 * the byte after it.  So the windows starting from ITEM_MAXLEN - 1 bytes
 * before an item up to the byte after the next one, for consecutive items
 * at most a page apart, answer every question it asks.
 */
static void add_barriers(const struct rt_table *t, struct rt_batch *b)
{
	uintptr_t done = 0;

	for (size_t i = 0; i + 1 < b->n; i++) {
		uintptr_t lo = b->items[i]->addr, hi = b->items[i + 1]->addr + 1;

		if (hi - lo > PAGE + 1)
			continue;
		lo = lo > ITEM_MAXLEN - 1 ? lo - (ITEM_MAXLEN - 1) : 0;
		if (lo < done)
			lo = done;
		if (lo < hi)
			refused_in(t, lo, hi, b);
		done = hi;
	}
}

bool scall_index_select(const struct rt_sel *sel, struct rt_batch *b)
{
	const struct rt_table *t = __atomic_load_n(&scall_table, __ATOMIC_RELAXED);
	size_t n = 0;

	if (!nitems_all)
		return false;
	materialize_sel(sel, t);
	switch (sel->kind) {
	case SEL_KEYS:
	case SEL_RANGE:
		n = scall_keys_select(sel, scr_items);
		break;
	case SEL_MODULE:
		n = take_module(sel->mod, scr_items, 0);
		break;
	default:
		for (size_t i = 0; i < t->n; i++)
			if (!t->s[i].mod->dropped)
				n = take_module(t->s[i].mod, scr_items, n);
		break;
	}
	*b = (struct rt_batch){ sort_by_addr(scr_items, scr_sort, n), n,
				scr_bar, 0, scr_w };
	if (nrefused_all)
		add_barriers(t, b);
	return true;
}
