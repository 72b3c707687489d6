/* SPDX-License-Identifier: MIT */
/*
 * Modules: the records of a module turned into items (checked against the
 * compiler's forms), its registration and its unregistration, which puts a
 * module that is about to be unmapped back in its compiler form
 * (docs/protocol.md, "Registration").  The table the handler searches is
 * index.c's; the cycles, cycle.c's.
 */

#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static struct rt_module *modules;
static size_t nmodules;

static int cmp_item(const void *a, const void *b)
{
	const struct rt_item *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static struct rt_item *find_tramp(struct rt_item *t, size_t n, uintptr_t a)
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

static int bad_header(const struct scall_module *h)
{
	return h->magic != SCALL_MODULE_MAGIC ||
	       h->version != SCALL_FORMAT_VERSION ||
	       (h->flags & ~SCALL_MODULE_FLAGS_MASK) ||
	       !scall_module_size(h->size) ||
	       h->sites_stop < h->sites_start ||
	       h->tramps_stop < h->tramps_start ||
	       (h->sites_stop - h->sites_start) % sizeof(struct scall_site) ||
	       (h->tramps_stop - h->tramps_start) % sizeof(struct scall_tramp);
}

/* dl_iterate_phdr reports the main program first (dl_iterate_phdr(3)),
 * with its load bias and program headers, also for a non-PIE or static
 * executable, where dladdr's base would be the first segment's address:
 * the header is the executable's when one of those PT_LOAD segments holds
 * it. */
struct main_probe {
	uintptr_t addr;
	bool found;
};

static int in_first_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct main_probe *p = arg;

	(void)size;
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && p->addr - lo < ph->p_memsz)
			p->found = true;
	}
	return 1; /* the first object only */
}

static bool is_main_program(const struct scall_module *h)
{
	struct main_probe p = { (uintptr_t)h, false };

	/* In a constructor, inside the loader lock already, as for dladdr. */
	dl_iterate_phdr(in_first_object, &p);
	return p.found;
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

/* The key value the sites of a pre-bound trampoline t were bound for. */
static uintptr_t bound_value(const struct rt_item *t)
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

/* The records of the module at h turned into its items, each checked
 * against the compiler's form (refused when it is not); trampolines and
 * sites each sorted by address.  NULL when out of memory. */
static struct rt_module *build_module(struct scall_module *h)
{
	const struct scall_site *s = (void *)(uintptr_t)h->sites_start;
	const struct scall_tramp *tr = (void *)(uintptr_t)h->tramps_start;
	size_t ns = h->sites_start ? (h->sites_stop - h->sites_start) /
					     sizeof(*s)
				   : 0;
	size_t nt = h->tramps_start ? (h->tramps_stop - h->tramps_start) /
					      sizeof(*tr)
				    : 0;
	struct rt_module *m = scall_calloc(1, sizeof(*m));
	struct rt_item *it = NULL, *tramps, *sites;
	Dl_info info;
	size_t i, k;
	bool trusted;

	if (!m)
		return NULL;
	m->hdr = h;
	m->main_program = is_main_program(h);
	/* Inside the loader lock already (constructor): dladdr is fine. */
	if (dladdr(h, &info) && info.dli_fname) {
		m->base = (uintptr_t)info.dli_fbase;
		if (!(m->name = scall_strdup(info.dli_fname)))
			goto fail;
	}
	m->items = it = scall_calloc(nt + ns + 1, sizeof(*it));
	if (!it)
		goto fail;
	/* Trampolines first (sorted), then sites. */
	tramps = it;
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
	qsort(tramps, k, sizeof(*tramps), cmp_item);
	/* Drop duplicate trampoline records (keep the first). */
	for (i = 1; i < k; i++)
		if (tramps[i].addr == tramps[i - 1].addr)
			tramps[i].refused = 1;
	m->ntramps = k;
	sites = tramps + k;
	for (i = k = 0; i < ns; i++) {
		struct rt_item *x = &sites[k], *t;
		unsigned kind = s[i].info & SCALL_SITE_KIND_MASK;
		const uint8_t *p;

		if (kind == SCALL_KIND_UNRESOLVED)
			m->nunresolved++;
		if (kind < SCALL_KIND_CALL || kind > SCALL_KIND_JCC ||
		    (s[i].info & SCALL_SITE_FLAGS_MASK))
			continue;
		x->addr = (uintptr_t)&s[i].site + (intptr_t)s[i].site;
		x->tramp = (uintptr_t)&s[i].tramp + (intptr_t)s[i].tramp;
		x->kind = (uint8_t)kind;
		x->len = (uint8_t)scall_kind_len(kind);
		x->mod = m;
		p = (const uint8_t *)x->addr;
		t = find_tramp(tramps, m->ntramps, x->tramp);
		if (!t) {
			/* No trampoline record: we cannot know the key. */
			x->refused = 1;
			x->key = NULL;
			scall_report_refused(x, "its trampoline has no record");
			k++;
			continue;
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
			uintptr_t v = bound_value(t);
			struct scall_state st = scall_site_state(
				kind, x->cond, x->addr, x->tramp, v,
				t->bound == SCALL_TRAMP_BOUND_RET0);

			scall_state_put(st, x->addr, x->cur);
		}
		if (memcmp(p, x->cur, x->len)) {
			x->refused = 1;
			scall_report_refused(x, t->bound ? "not its pre-bound form"
							 : "not the compiler's form");
		}
		k++;
	}
	m->nsites = k;
	/* Trust scall-ld's order only when its count matches the table, and
	 * check it (one pass): the handler's binary search relies on it. */
	trusted = (h->flags & (SCALL_MODULE_VALIDATED | SCALL_MODULE_SORTED)) ==
			  (SCALL_MODULE_VALIDATED | SCALL_MODULE_SORTED) &&
		  h->nsites == ns && sorted(sites, k);
	if (!trusted)
		qsort(sites, k, sizeof(*sites), cmp_item);
	if (scall_debug)
		fprintf(stderr, "scall: module %s: %zu site records, %s\n",
			m->name ? m->name : "?", ns,
			trusted ? "in scall-ld's order" : "sorted here");
	m->nitems = m->ntramps + m->nsites;
	refuse_overlaps(m);
	return m;
fail:
	scall_index_free_module(m);
	return NULL;
}

SCALL_EXPORT void __scall_register_module(struct scall_module *h)
{
	struct rt_module *m;
	int err;

	if (!h)
		return;
	if (scall_lock())
		return; /* from a signal handler mid-update: stay on trampolines */
	scall_init_locked();
	for (m = modules; m; m = m->next)
		if (m->hdr == h)
			goto out; /* registered twice */
	if (bad_header(h)) {
		Dl_info info;

		fprintf(stderr,
			"scall: module %s: bad header (magic %#x version %u "
			"flags %#x): left on its trampolines\n",
			dladdr(h, &info) && info.dli_fname ? info.dli_fname : "?",
			h->magic, h->version, h->flags);
		goto out;
	}
	m = build_module(h);
	if (!m)
		goto oom;
	err = scall_index_add(m);
	if (err) {
		scall_index_free_module(m);
		goto oom;
	}
	m->next = modules;
	modules = m;
	nmodules++;
	/* Start with the current target of every key. */
	scall_cycle(&(struct rt_sel){ .kind = SEL_MODULE, .mod = m });
	goto out;
oom:
	/* Nothing was published or written: its sites call their
	 * trampolines, which read the keys. */
	{
		Dl_info info;

		fprintf(stderr, "scall: module %s: out of memory: left on its "
				"trampolines\n",
			dladdr(h, &info) && info.dli_fname ? info.dli_fname
							   : "?");
	}
out:
	scall_unlock();
}

/* The name the compilers' constructors call (SCALL_SYM_REGISTER): a link
 * without libscall fails naming the fix.  __scall_register_module stays
 * for objects built before. */
SCALL_EXPORT void __scall_needs_libscall__link_with_lscall(struct scall_module *h)
	__attribute__((alias("__scall_register_module")));

/* The windows of m that are not in their compiler form (refused ones are
 * never written: they are as they were). */
static size_t not_restored(const struct rt_module *m)
{
	size_t k = 0;

	for (size_t i = 0; i < m->nitems; i++)
		if (!m->items[i].refused &&
		    memcmp(m->items[i].cur, m->items[i].orig, m->items[i].len))
			k++;
	return k;
}

/* Put every window of m back in its compiler form before m is dropped: its
 * code runs on until it is unmapped (its later destructors, the other
 * modules' destructors it calls), and once it is out of the table no cycle
 * follows its keys, so each of its calls must read the key.  One cycle over
 * m's items (every item when a repair is due), from scall_desired with
 * m->unloading set, so a thread trapping mid-cycle runs the same restored
 * form.  Lock held.  Returns what stops it, or NULL when every window is
 * restored (or never was written). */
static const char *restore_module(struct rt_module *m)
{
	if (!not_restored(m))
		return NULL;
	/* Without a sync the cycle would only park the windows on INT3, which
	 * no handler emulates once the module is out of the table. */
	if (scall_sync_lost())
		return "no sync";
	__atomic_store_n(&m->unloading, true, __ATOMIC_RELEASE);
	if (scall_cycle(&(struct rt_sel){ .kind = SEL_MODULE, .mod = m }))
		return "a write failed";
	return not_restored(m) ? "a sync failed" : NULL;
}

SCALL_EXPORT void __scall_unregister_module(struct scall_module *h)
{
	struct rt_module **pp, *m;
	bool locked = scall_lock() == 0;
	const char *why;

	for (pp = &modules; (m = *pp); pp = &m->next)
		if (m->hdr == h)
			break;
	if (m && m->main_program) {
		/* exit: the executable stays mapped to the end, so its items
		 * stay, and later destructors' updates still patch them. */
		if (scall_debug)
			fprintf(stderr, "scall: module %s: the main program "
					"stays registered\n",
				m->name ? m->name : "?");
		m = NULL;
	}
	if (m) {
		/* From a signal handler that interrupted an update on this
		 * thread, the cycle in progress is not ours to join. */
		why = locked ? restore_module(m) : "update lock held";
		if (why)
			fprintf(stderr, "scall: module %s: unloading: %zu "
					"window(s) not restored (%s): a call "
					"from its code may still reach a "
					"previous target\n",
				m->name ? m->name : "?", not_restored(m), why);
		*pp = m->next;
		nmodules--;
		/* The handler reads m (unloading) through the items of the
		 * table it holds: m is retired with them. */
		if (scall_index_remove(m) != 0) {
			/* The published table still holds its items, and its
			 * code is about to be unmapped: mark them refused so
			 * that the handler does not touch them (no cycle
			 * selects them any more), and keep them until a table
			 * without them is published and no handler is in
			 * flight (reap). */
			for (size_t i = 0; i < m->nitems; i++)
				m->items[i].refused = 1;
			scall_index_drop(m);
			fprintf(stderr, "scall: module %s: out of memory while "
					"unloading: %zu records dropped\n",
				m->name ? m->name : "?", m->nitems);
		}
	}
	if (locked)
		scall_unlock();
}

void scall_module_stats(struct scall_stats *out)
{
	struct rt_module *m;

	out->modules = nmodules;
	for (m = modules; m; m = m->next) {
		out->trampolines += m->ntramps;
		out->sites_unresolved += m->nunresolved;
		for (size_t i = m->ntramps; i < m->nitems; i++) {
			struct rt_item *it = &m->items[i];

			out->sites++;
			/* Parked on INT3 (no sync): it reads the key, as the
			 * trampoline does. */
			if (it->refused)
				out->sites_refused++;
			else if (!memcmp(it->cur, it->orig, it->len) ||
				 it->cur[0] == SCALL_OP_INT3)
				out->sites_trampoline++;
			else
				out->sites_direct++;
		}
	}
}

