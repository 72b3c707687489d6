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
#include <time.h>

#include "internal.h"

static struct rt_module *modules;
static size_t nmodules;

/* A 48-byte header (no SCALL_MODULE_BRANCHES) has no branch bounds: the
 * bytes after it are not its own. */
static bool has_branches(const struct scall_module *h)
{
	return h->flags & SCALL_MODULE_BRANCHES;
}

static int bad_header(const struct scall_module *h)
{
	return h->magic != SCALL_MODULE_MAGIC ||
	       h->version != SCALL_FORMAT_VERSION ||
	       (h->flags & ~SCALL_MODULE_FLAGS_MASK) ||
	       !scall_module_size(h->size) ||
	       !scall_module_size_fits(scall_module_size(h->size), h->flags) ||
	       h->sites_stop < h->sites_start ||
	       h->tramps_stop < h->tramps_start ||
	       (h->sites_stop - h->sites_start) % sizeof(struct scall_site) ||
	       (h->tramps_stop - h->tramps_start) % sizeof(struct scall_tramp) ||
	       (has_branches(h) &&
		(h->branches_stop < h->branches_start ||
		 (h->branches_stop - h->branches_start) %
			 sizeof(struct scall_branch_rec)));
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

/* The module at h with its trampolines, and its sites unless it can be
 * registered lazily (records.c); NULL when out of memory.  A lazy module's
 * arrays get room for every site now, untouched until they are filled:
 * the first cycle over its keys must not fail for want of memory, since
 * its key is stored by then. */
static struct rt_module *build_module(struct scall_module *h)
{
	size_t ns = scall_records_nsites(h), nt = scall_records_ntramps(h),
	       nb = scall_records_nbranches(h);
	struct rt_module *m = scall_calloc(1, sizeof(*m));
	Dl_info info;

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
	m->items = scall_calloc(nt + ns + nb + 1, sizeof(*m->items));
	if (!m->items)
		goto fail;
	scall_records_tramps(m);
	m->lazy = scall_records_lazy(m);
	if (m->lazy) {
		m->nitems = m->ntramps;
		if (scall_debug)
			fprintf(stderr, "scall: module %s: %zu site records, "
					"pre-bound: no item until a cycle takes "
					"its keys\n",
				m->name ? m->name : "?", ns);
	} else {
		scall_records_sites(m);
	}
	m->ncap = m->ntramps +
		  (m->lazy ? m->ndeferred : m->nsites + m->nbranches);
	return m;
fail:
	scall_index_free_module(m);
	return NULL;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

SCALL_EXPORT void __scall_register_module(struct scall_module *h)
{
	double t0;
	struct rt_module *m;
	int err;

	if (!h)
		return;
	if (scall_lock())
		return; /* from a signal handler mid-update: stay on trampolines */
	scall_init_locked();
	t0 = scall_debug ? now_us() : 0;
	for (m = modules; m; m = m->next)
		if (m->hdr == h)
			goto out; /* registered twice */
	if (bad_header(h)) {
		Dl_info info;

		fprintf(stderr,
			"scall: module %s: bad header (magic %#x version %u "
			"flags %#x size %u): left on its trampolines\n",
			dladdr(h, &info) && info.dli_fname ? info.dli_fname : "?",
			h->magic, h->version, h->flags, h->size);
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
	/* Start with the current target of every key; a lazy module is
	 * there already (every key at its bound value). */
	if (!m->lazy)
		scall_cycle(&(struct rt_sel){ .kind = SEL_MODULE, .mod = m });
	else if (scall_debug)
		fprintf(stderr, "scall: register: 0 key(s), 0 window(s) "
				"changed, 0 sync(s), %.1f us (lazy: the "
				"whole registration)\n",
			now_us() - t0);
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
	size_t k = m->lazy ? m->ndeferred : 0; /* bound, all of them */

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
	/* A lazy module's sites are in their bound forms: restored like any
	 * other written window, so its items are needed now. */
	if (m->lazy)
		scall_index_materialize(m);
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
		if (m->lazy) {
			/* From its records, building nothing. */
			scall_records_stats(m, out);
			continue;
		}
		out->sites_unresolved += m->nunresolved;
		for (size_t i = m->ntramps; i < m->nitems; i++) {
			struct rt_item *it = &m->items[i];

			if (scall_kind_is_branch(it->kind)) {
				out->branches++;
				if (it->refused)
					out->branches_refused++;
				else if (scall_is_jmp(it->cur))
					out->branches_jmp++;
				continue;
			}
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

