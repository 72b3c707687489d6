/* SPDX-License-Identifier: MIT */
/*
 * A module's records turned into items, each checked against the form the
 * file holds (the compiler's, or the one scall-ld pre-bound): the
 * trampolines at registration, the sites at registration or, for a module
 * registered lazily, at the first cycle that takes its keys
 * (docs/protocol.md, "Registration" and "Lazy registration").  Also the
 * stats of a lazy module's sites, read from its records without building
 * anything.  Lock held; writes no code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void scall_report_refused(const struct rt_item *it, const char *why)
{
	uint8_t b[ITEM_MAXLEN];

	memcpy(b, (const void *)it->addr, it->len);
	fprintf(stderr,
		"scall: refusing %s at %p (%s+0x%lx): %s; bytes %02x %02x %02x "
		"%02x %02x%s\n",
		it->kind == ITEM_TRAMP ? "trampoline"
		: scall_kind_is_branch(it->kind) ? "branch" : "site",
		(void *)it->addr, it->mod && it->mod->name ? it->mod->name : "?",
		(unsigned long)(it->addr - (it->mod ? it->mod->base : 0)),
		why, b[0], b[1], b[2], b[3], b[4], it->len > SCALL_CALL_LEN ? " .." : "");
}

static int cmp_item(const void *a, const void *b)
{
	const struct rt_item *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static const struct rt_item *find_tramp(const struct rt_item *t, size_t n,
					uintptr_t a)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t m = (lo + hi) / 2;

		if (t[m].addr < a)
			lo = m + 1;
		else if (t[m].addr > a)
			hi = m;
		else
			return &t[m];
	}
	return NULL;
}

size_t scall_records_nsites(const struct scall_module *h)
{
	return h->sites_start ? (h->sites_stop - h->sites_start) /
					sizeof(struct scall_site)
			      : 0;
}

size_t scall_records_ntramps(const struct scall_module *h)
{
	return h->tramps_start ? (h->tramps_stop - h->tramps_start) /
					 sizeof(struct scall_tramp)
			       : 0;
}

/* Only a header with SCALL_MODULE_BRANCHES has the bounds (module.c
 * refused one whose size is too small for them). */
size_t scall_records_nbranches(const struct scall_module *h)
{
	return (h->flags & SCALL_MODULE_BRANCHES) && h->branches_start
		       ? (h->branches_stop - h->branches_start) /
				 sizeof(struct scall_branch_rec)
		       : 0;
}

static const struct scall_site *site_records(const struct scall_module *h)
{
	return (const void *)(uintptr_t)h->sites_start;
}

/*
 * A trampoline record scall-ld pre-bound (docs/format.md, "Pre-bound
 * trampolines"): t->cur holds its window as it is, which must be the bound
 * form its flags say; t->orig gets the compiler's bytes back (the movq or
 * leaq the runtime writes for the indirect state and at unload).  false
 * when the bytes are not what the flags say.
 */
static bool unbind_tramp(struct rt_item *t, uint32_t flags)
{
	uint32_t lo = (flags & SCALL_TRAMP_SAVED_MASK) >> SCALL_TRAMP_SAVED_SHIFT;

	t->bound = (uint8_t)(flags & SCALL_TRAMP_BOUND_MASK);
	switch (t->bound) {
	case SCALL_TRAMP_BOUND_FUNC:
		if (!scall_is_jmp(t->cur))
			return false;
		t->orig[0] = SCALL_TRAMP_OP0;
		t->orig[1] = flags & SCALL_TRAMP_SAVED_LEA ? SCALL_TRAMP_OP1_LEA
							   : SCALL_TRAMP_OP1_MOV;
		t->orig[2] = SCALL_TRAMP_OP2;
		t->orig[3] = (uint8_t)lo;
		t->orig[4] = (uint8_t)(lo >> 8);
		break;
	case SCALL_TRAMP_BOUND_NULL:
		if (t->cond) {
			if (t->cur[0] != SCALL_OP_RET)
				return false;
			t->orig[0] = SCALL_TRAMP_OP0;
		}
		break;
	}
	return scall_tramp_is_indirect(t->orig);
}

uintptr_t scall_records_bound_value(const struct rt_item *t)
{
	switch (t->bound) {
	case SCALL_TRAMP_BOUND_FUNC:
		return (uintptr_t)scall_rel32_target(t->addr + SCALL_JMP_LEN,
						     t->cur + 1);
	case SCALL_TRAMP_BOUND_RET0:
		return (uintptr_t)scall_return0;
	}
	return 0;
}

/* Are the n items at it in address order? */
static bool sorted(const struct rt_item *it, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (it[i].addr < it[i - 1].addr)
			return false;
	return true;
}

size_t scall_records_tramps(struct rt_module *m)
{
	const struct scall_module *h = m->hdr;
	const struct scall_tramp *tr = (void *)(uintptr_t)h->tramps_start;
	size_t nt = scall_records_ntramps(h), i, k;
	struct rt_item *tramps = m->items;

	for (i = k = 0; i < nt; i++) {
		struct rt_item *t = &tramps[k];
		const uint8_t *p;

		if (tr[i].flags & ~SCALL_TRAMP_FLAGS_MASK)
			continue;
		t->addr = (uintptr_t)&tr[i].tramp + (intptr_t)tr[i].tramp;
		t->tramp = t->addr;
		t->key = (void **)(uintptr_t)tr[i].key;
		t->kind = ITEM_TRAMP;
		t->len = SCALL_TRAMP_WINDOW;
		t->cond = !!(tr[i].flags & SCALL_TRAMP_COND);
		t->mod = m;
		p = (const uint8_t *)t->addr;
		memcpy(t->orig, p, t->len);
		memcpy(t->cur, p, t->len);
		if (tr[i].flags & SCALL_TRAMP_BOUND_MASK) {
			if (!unbind_tramp(t, tr[i].flags)) {
				t->refused = 1;
				scall_report_refused(t, "not the pre-bound form "
							"its record says");
			}
		} else if (!scall_tramp_is_indirect(p)) {
			t->refused = 1;
			scall_report_refused(t, "not an indirect trampoline");
		}
		k++;
	}
	/* In order already, mostly (the linker's order of the records and
	 * of the trampolines' sections is the same). */
	if (!sorted(tramps, k))
		qsort(tramps, k, sizeof(*tramps), cmp_item);
	/* Drop duplicate trampoline records (keep the first). */
	for (i = 1; i < k; i++)
		if (tramps[i].addr == tramps[i - 1].addr)
			tramps[i].refused = 1;
	m->ntramps = k;
	return k;
}

/* The item of site record s into x (zeroed), checked against the form
 * the file holds for it; false for a record that makes no item (kind 0, 4
 * or unknown, unknown flags).  Refusals are reported only with report.
 * *last: the trampoline of the record before, tried first (a function's
 * sites, a key's callers, are neighbours). */
static bool site_item(struct rt_module *m, const struct scall_site *s,
		      struct rt_item *x, bool report,
		      const struct rt_item **last)
{
	unsigned kind = s->info & SCALL_SITE_KIND_MASK;
	const struct rt_item *t;
	const uint8_t *p;

	if (kind < SCALL_KIND_CALL || kind > SCALL_KIND_JCC ||
	    (s->info & SCALL_SITE_FLAGS_MASK))
		return false;
	x->addr = (uintptr_t)&s->site + (intptr_t)s->site;
	x->tramp = (uintptr_t)&s->tramp + (intptr_t)s->tramp;
	x->kind = (uint8_t)kind;
	x->len = (uint8_t)scall_kind_len(kind);
	x->mod = m;
	p = (const uint8_t *)x->addr;
	t = *last && (*last)->addr == x->tramp
		    ? *last
		    : find_tramp(m->items, m->ntramps, x->tramp);
	if (t)
		*last = t;
	if (!t) {
		/* No trampoline record: we cannot know the key. */
		x->refused = 1;
		if (report)
			scall_report_refused(x, "its trampoline has no record");
		return true;
	}
	x->key = t->key;
	x->cond = t->cond;
	x->cc = kind == SCALL_KIND_JCC ? scall_jcc_cc(p) : 0;
	memcpy(x->cur, p, x->len); /* for scall_encode() below */
	scall_encode(x, (struct insn){ kind == SCALL_KIND_CALL ? OP_CALL
				 : kind == SCALL_KIND_JMP ? OP_JMP
							   : OP_JCC,
				 x->tramp },
	       x->orig);
	memcpy(x->cur, x->orig, x->len);
	if (t->bound && !t->refused) {
		/* On disk in the state of the value it was bound for. */
		uintptr_t v = scall_records_bound_value(t);
		struct scall_state st = scall_site_state(
			kind, x->cond, x->addr, x->tramp, v,
			t->bound == SCALL_TRAMP_BOUND_RET0);

		scall_state_put(st, x->addr, x->cur);
	}
	if (memcmp(p, x->cur, x->len)) {
		x->refused = 1;
		if (report)
			scall_report_refused(x, t->bound ? "not its pre-bound form"
							 : "not the compiler's form");
	}
	return true;
}


/* The item of branch record r into x (zeroed), its bytes checked: the NOP
 * or the jmp to the record's target, nothing else (verify-before-write
 * starts here).  false for a record that makes no item (kind 0, an unknown
 * kind, flag or reserved word). */
static bool branch_item(struct rt_module *m, const struct scall_branch_rec *r,
			struct rt_item *x)
{
	unsigned kind = r->info & SCALL_BRANCH_KIND_MASK;
	const uint8_t *p;

	if (!scall_kind_is_branch(kind) || (r->info & SCALL_BRANCH_FLAGS_MASK) ||
	    r->reserved || !r->key)
		return false;
	x->addr = (uintptr_t)&r->code + (intptr_t)r->code;
	x->tramp = (uintptr_t)&r->target + (intptr_t)r->target;
	x->key = (void **)(uintptr_t)r->key;
	x->kind = (uint8_t)kind;
	x->len = SCALL_BRANCH_LEN;
	x->mod = m;
	p = (const uint8_t *)x->addr;
	memcpy(x->orig, p, x->len);
	memcpy(x->cur, p, x->len);
	if (!scall_is_nop5(p) &&
	    !(scall_is_jmp(p) &&
	      scall_rel32_target(x->addr + SCALL_JMP_LEN, p + 1) == x->tramp)) {
		x->refused = 1;
		scall_report_refused(x, "not a branch's nop or its jmp");
	}
	return true;
}

/* m's branch items into x[0..), unsorted; returns how many. */
static size_t branch_items(struct rt_module *m, struct rt_item *x)
{
	const struct scall_module *h = m->hdr;
	const struct scall_branch_rec *r =
		(const void *)(uintptr_t)h->branches_start;
	size_t nb = scall_records_nbranches(h), k = 0;

	for (size_t i = 0; i < nb; i++)
		if (branch_item(m, &r[i], &x[k]))
			k++;
	if (scall_debug && nb)
		fprintf(stderr, "scall: module %s: %zu branch records, %zu "
				"branch(es)\n",
			m->name ? m->name : "?", nb, k);
	return k;
}

/* Refuse each window that overlaps the one before it, in address order
 * (trampolines and sites together: the two sorted runs merged). */
static void refuse_overlaps(struct rt_module *m)
{
	struct rt_item *t = m->items, *te = t + m->ntramps, *s = te,
		       *se = m->items + m->nitems, *prev = NULL;

	while (t < te || s < se) {
		struct rt_item *it =
			s == se || (t < te && t->addr <= s->addr) ? t++ : s++;

		if (prev && it->addr < prev->addr + prev->len && !it->refused) {
			it->refused = 1;
			scall_report_refused(it, "overlaps another record");
		}
		prev = it;
	}
}

void scall_records_sites(struct rt_module *m)
{
	const struct scall_module *h = m->hdr;
	const struct scall_site *s = site_records(h);
	size_t ns = scall_records_nsites(h), i, k;
	struct rt_item *sites = m->items + m->ntramps;
	const struct rt_item *last = NULL;
	bool trusted;

	m->nunresolved = 0;
	for (i = k = 0; i < ns; i++) {
		if ((s[i].info & SCALL_SITE_KIND_MASK) == SCALL_KIND_UNRESOLVED)
			m->nunresolved++;
		if (site_item(m, &s[i], &sites[k], true, &last))
			k++;
	}
	m->nsites = k;
	/* Trust scall-ld's order only when its count matches the table, and
	 * check it (one pass): the handler's binary search relies on it. */
	trusted = (h->flags & (SCALL_MODULE_VALIDATED | SCALL_MODULE_SORTED)) ==
			  (SCALL_MODULE_VALIDATED | SCALL_MODULE_SORTED) &&
		  h->nsites == ns && sorted(sites, k);
	/* The branches go among the sites, in one run by address. */
	m->nbranches = branch_items(m, sites + k);
	k += m->nbranches;
	if (!trusted || (m->nbranches && !sorted(sites, k)))
		qsort(sites, k, sizeof(*sites), cmp_item);
	if (scall_debug)
		fprintf(stderr, "scall: module %s: %zu site records, %s\n",
			m->name ? m->name : "?", ns,
			trusted ? "in scall-ld's order" : "sorted here");
	m->nitems = m->ntramps + k;
	refuse_overlaps(m);
}

bool scall_records_lazy(struct rt_module *m)
{
	const struct scall_module *h = m->hdr;
	const uint16_t need = SCALL_MODULE_VALIDATED | SCALL_MODULE_SORTED |
			      SCALL_MODULE_PREBOUND;
	const struct scall_site *s = site_records(h);
	size_t ns = scall_records_nsites(h);

	/* A branch is brought to its key's state at registration: its items
	 * are needed now. */
	if ((h->flags & need) != need || h->nsites != ns || !ns ||
	    !m->ntramps || scall_records_nbranches(h))
		return false;
	for (size_t i = 0; i < m->ntramps; i++) {
		const struct rt_item *t = &m->items[i];

		/* The key's value at registration wins: a key stored before
		 * (a constructor, another library) needs its sites now. */
		if (t->refused || !t->bound ||
		    (uintptr_t)__atomic_load_n(t->key, __ATOMIC_ACQUIRE) !=
			    scall_records_bound_value(t))
			return false;
	}
	/* Where the sites lie, from the first and the last record (scall-ld
	 * sorted them): the handler's directory needs the module's extent
	 * before its items exist.  A site found outside it later is refused
	 * (index.c), so a wrong order can cost a site, never a lookup. */
	m->lo = (uintptr_t)&s[0].site + (intptr_t)s[0].site;
	m->hi = (uintptr_t)&s[ns - 1].site + (intptr_t)s[ns - 1].site +
		ITEM_MAXLEN;
	if (m->hi < m->lo)
		return false;
	m->ndeferred = ns;
	return true;
}

void scall_records_stats(struct rt_module *m, struct scall_stats *out)
{
	const struct scall_module *h = m->hdr;
	const struct scall_site *s = site_records(h);
	size_t ns = scall_records_nsites(h);
	const struct rt_item *last = NULL;

	for (size_t i = 0; i < ns; i++) {
		struct rt_item x;

		if ((s[i].info & SCALL_SITE_KIND_MASK) == SCALL_KIND_UNRESOLVED)
			out->sites_unresolved++;
		memset(&x, 0, sizeof(x));
		if (!site_item(m, &s[i], &x, false, &last))
			continue;
		out->sites++;
		if (x.refused)
			out->sites_refused++;
		else if (!memcmp(x.cur, x.orig, x.len))
			out->sites_trampoline++;
		else
			out->sites_direct++;
	}
}
