/* SPDX-License-Identifier: MIT */
/*
 * Registration of modules, the handler's table and the items of a patch
 * cycle (docs/protocol.md); desired states and their bytes are insn.c's.
 */

#include <dlfcn.h>
#include <link.h>
#include <signal.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

int scall_debug;
static int initialised;
static struct rt_module *modules;
static size_t nmodules;

/* ------------------------------------------------------------------ */
/* Init, fork                                                          */
/* ------------------------------------------------------------------ */

static void atfork_prepare(void) { scall_lock_atfork_prepare(); }
static void atfork_parent(void) { scall_lock_atfork_parent(); }
static void atfork_child(void)
{
	/* Single-threaded now: no handler can be in flight. */
	__atomic_store_n(&scall_in_flight, 0, __ATOMIC_SEQ_CST);
	if (initialised)
		scall_writer_atfork_child();
	scall_lock_atfork_child();
}

/* The writer chosen, with SCALL_DEBUG; also without it when no writer
 * works (or no sync), which leaves every site on its trampoline. */
static void report_writer(void)
{
	bool loud;
	const char *why = scall_writer_reason(&loud);

	if (scall_debug || loud)
		fprintf(stderr, "scall: writer %s%s%s%s%s\n",
			scall_writer_name(), *why ? " (" : "", why,
			*why ? ")" : "",
			scall_writer == WRITER_NONE
				? ": sites stay on their trampolines"
				: "");
}

/* Lock held (or in the constructor, before any thread exists). */
static void init_locked(void)
{
	const char *d = getenv("SCALL_DEBUG");

	if (initialised)
		return;
	initialised = 1;
	scall_debug = d && *d && strcmp(d, "0");
	scall_writer_init();
	scall_trap_install();
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	report_writer();
}

/* Runs before the executable's constructors when libscall is a shared
 * library it depends on, i.e. before the program creates threads:
 * registering for membarrier SYNC_CORE is cheap then. */
__attribute__((constructor)) static void scall_ctor(void)
{
	if (scall_lock() == 0) {
		init_locked();
		scall_unlock();
	}
}

/* ------------------------------------------------------------------ */
/* Registration                                                        */
/* ------------------------------------------------------------------ */

static void report_refused(const struct rt_item *it, const char *why)
{
	uint8_t b[ITEM_MAXLEN];

	memcpy(b, (const void *)it->addr, it->len);
	fprintf(stderr,
		"scall: refusing %s at %p (%s+0x%lx): %s; bytes %02x %02x %02x "
		"%02x %02x%s\n",
		it->kind == ITEM_TRAMP ? "trampoline" : "site",
		(void *)it->addr, it->mod && it->mod->name ? it->mod->name : "?",
		(unsigned long)(it->addr - (it->mod ? it->mod->base : 0)),
		why, b[0], b[1], b[2], b[3], b[4], it->len > SCALL_CALL_LEN ? " .." : "");
}

static int cmp_item(const void *a, const void *b)
{
	const struct rt_item *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
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

static int cmp_itemp(const void *a, const void *b)
{
	return cmp_item(*(struct rt_item *const *)a, *(struct rt_item *const *)b);
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

/* Retired allocations, freed when no handler is in flight. */
struct retired {
	struct retired *next;
	void *p[4];
};
static struct retired *retire_list;
/* Modules dropped at unload without a new table (out of memory): the
 * published table may still point to their items. */
static struct rt_module *dropped;

static void free_module(struct rt_module *m)
{
	free(m->items);
	free(m->name);
	free(m);
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

static void reap(void)
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
			free_module(m);
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
		reap();
		return;
	}
	*r = (struct retired){ retire_list, { p0, p1, p2, p3 } };
	retire_list = r;
	if (scall_debug)
		fprintf(stderr, "scall: handler in flight: old table freed "
				"later\n");
}

/* Scratch space of the patch cycle, sized for every item of every module
 * when the table is rebuilt, so that an update never allocates after the
 * keys are stored. */
static struct rt_item **scr_chg;
static uintptr_t *scr_bar;
static struct wr *scr_w;
static size_t scr_cap;

static int reserve_scratch(size_t n)
{
	void *a, *b, *c;

	if (n <= scr_cap)
		return 0;
	a = scall_realloc(scr_chg, n * sizeof(*scr_chg));
	if (a)
		scr_chg = a;
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

/* Rebuild and publish the table from the module list; lock held.  Every
 * allocation comes first: -ENOMEM leaves the table as it was. */
static int rebuild_table(void *free1, void *free2, void *free3)
{
	size_t n = 0, k = 0;
	struct rt_table *t, *old;
	struct rt_module *m;
	struct retired *r;

	for (m = modules; m; m = m->next)
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
	for (m = modules; m; m = m->next)
		for (size_t i = 0; i < m->nitems; i++)
			t->e[k++] = (struct rt_entry){ m->items[i].addr,
						       &m->items[i] };
	t->n = k;
	qsort(t->e, k, sizeof(t->e[0]), cmp_entry);
	old = __atomic_exchange_n(&scall_table, t, __ATOMIC_SEQ_CST);
	for (m = dropped; m; m = m->next)
		m->unpublished = true;
	retire(r, old, free1, free2, free3);
	return 0;
}

static int patch_items(const struct scall_req *req, size_t n,
		       struct rt_module *only);

/* scall_patch_range: keys in [range_lo, range_hi) instead of req (lock held). */
static uintptr_t range_lo, range_hi;
/* A cycle failed to write: the next one takes every item. */
static bool repair;


static int bad_header(const struct scall_module *h)
{
	return h->magic != SCALL_MODULE_MAGIC ||
	       h->version != SCALL_FORMAT_VERSION ||
	       (h->flags & ~SCALL_MODULE_FLAGS_MASK) ||
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
	struct rt_item *it = NULL, *tramps, *sites, **v = NULL;
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
	/* for the overlap check below */
	v = scall_malloc((nt + ns + 1) * sizeof(*v));
	if (!it || !v)
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
		if (!scall_tramp_is_indirect(p)) {
			t->refused = 1;
			report_refused(t, "not an indirect trampoline");
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
			report_refused(x, "its trampoline has no record");
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
		if (memcmp(p, x->orig, x->len)) {
			x->refused = 1;
			report_refused(x, "not the compiler's form");
		}
		k++;
	}
	m->nsites = k;
	/* Trust scall-ld's order only when its count matches the table. */
	trusted = (h->flags & (SCALL_MODULE_VALIDATED | SCALL_MODULE_SORTED)) ==
			  (SCALL_MODULE_VALIDATED | SCALL_MODULE_SORTED) &&
		  h->nsites == ns;
	if (!trusted)
		qsort(sites, k, sizeof(*sites), cmp_item);
	if (scall_debug)
		fprintf(stderr, "scall: module %s: %zu site records, %s\n",
			m->name ? m->name : "?", ns,
			trusted ? "in scall-ld's order" : "sorted here");
	m->nitems = m->ntramps + m->nsites;
	/* Reject overlapping windows (sites and trampolines together). */
	for (i = 0; i < m->nitems; i++)
		v[i] = &it[i];
	qsort(v, m->nitems, sizeof(*v), cmp_itemp);
	for (i = 1; i < m->nitems; i++)
		if (v[i]->addr < v[i - 1]->addr + v[i - 1]->len &&
		    !v[i]->refused) {
			v[i]->refused = 1;
			report_refused(v[i], "overlaps another record");
		}
	free(v);
	return m;
fail:
	free(v);
	free(m->items);
	free(m->name);
	free(m);
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
	init_locked();
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
	m->next = modules;
	modules = m;
	nmodules++;
	err = rebuild_table(NULL, NULL, NULL);
	if (err) {
		modules = m->next;
		nmodules--;
		free_module(m);
		goto oom;
	}
	/* Start with the current target of every key. */
	patch_items(NULL, 0, m);
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
	if (patch_items(NULL, 0, m))
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
		if (rebuild_table(m->items, m->name, m) != 0) {
			/* The published table still holds its items, and its
			 * code is about to be unmapped: mark them refused so
			 * that neither a cycle nor the handler touches them,
			 * and keep them until a table without them is
			 * published and no handler is in flight (reap). */
			for (size_t i = 0; i < m->nitems; i++)
				m->items[i].refused = 1;
			m->next = dropped;
			m->unpublished = false;
			dropped = m;
			fprintf(stderr, "scall: module %s: out of memory while "
					"unloading: %zu records dropped\n",
				m->name ? m->name : "?", m->nitems);
		}
	}
	if (locked)
		scall_unlock();
}

/* ------------------------------------------------------------------ */
/* The patch cycle                                                     */
/* ------------------------------------------------------------------ */

static int cmp_ptr(const void *a, const void *b)
{
	const struct scall_req *x = a, *y = b;

	return (uintptr_t)x->key < (uintptr_t)y->key ? -1
						     : (uintptr_t)x->key >
						       (uintptr_t)y->key;
}

static bool wanted(const struct scall_req *req, size_t n, void **key)
{
	size_t lo = 0, hi = n;

	if (!req)
		return true;
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

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Bring the items of keys req[0..n) (all keys if req is NULL), or of module
 * `only` (all keys), to their desired states.  Lock held.  0, or the
 * -errno of a failed write (the next cycle then repairs every item). */
static int patch_items(const struct scall_req *req, size_t n,
		       struct rt_module *only)
{
	struct rt_table *t = __atomic_load_n(&scall_table, __ATOMIC_RELAXED);
	struct rt_item **chg = scr_chg;
	struct wr *w = scr_w;
	uintptr_t *bar = scr_bar;
	size_t nchg = 0, nbar = 0, i;
	double t0 = scall_debug ? now_us() : 0;
	uint64_t s0 = scall_syncs;
	bool all = repair;
	int err = 0;

	if (scall_writer == WRITER_NONE || !t || !t->n)
		return 0;
	if (scr_cap < t->n)
		return 0; /* cannot happen: reserved at every rebuild */
	/* Desired states, in address order (the table is sorted). */
	for (i = 0; i < t->n; i++) {
		struct rt_item *it = t->e[i].it;

		if (it->refused) {
			bar[nbar++] = it->addr;
			continue;
		}
		if (!all && (only ? it->mod != only
				  : range_hi ? (uintptr_t)it->key < range_lo ||
						       (uintptr_t)it->key >= range_hi
					     : !wanted(req, n, it->key)))
			continue;
		scall_encode(it, scall_desired(it, __atomic_load_n(it->key,
							     __ATOMIC_ACQUIRE)),
		       it->want);
		if (!memcmp(it->want, it->cur, it->len))
			continue;
		/* Verify: never write a byte we did not expect. */
		if (memcmp((const void *)it->addr, it->cur, it->len)) {
			it->refused = 1;
			bar[nbar++] = it->addr;
			report_refused(it, "bytes changed behind scall's back");
			continue;
		}
		chg[nchg++] = it;
	}
	if (!nchg) {
		repair = false;
		goto out;
	}
	/* bar[] was filled in table order: sorted, as scall_write needs. */
	err = scall_cycle(chg, nchg, w, bar, nbar, only && only->unloading);
	/* A failed write leaves items of this cycle off their targets:
	 * the next cycle takes every item, whatever its keys. */
	repair = err != 0;
out:
	if (scall_debug)
		fprintf(stderr,
			"scall: %s: %zu key(s), %zu window(s) changed, %llu "
			"sync(s), %.1f us\n",
			only ? only->unloading ? "unregister" : "register"
			: req ? "update" : range_hi ? "store" : "resync",
			only ? (size_t)0 : n, nchg,
			(unsigned long long)(scall_syncs - s0), now_us() - t0);
	reap();
	return err;
}

/* The keys are stored: a failed write is repaired by the next cycle, and
 * the update itself succeeded (sites unpatched read the key). */
int scall_patch_range(uintptr_t lo, uintptr_t hi)
{
	if (hi <= lo)
		return 0;
	range_lo = lo;
	range_hi = hi;
	patch_items(NULL, 0, NULL);
	range_lo = range_hi = 0;
	return 0;
}

int scall_patch_keys(struct scall_req *req, size_t n)
{
	if (req && n > 1)
		qsort(req, n, sizeof(*req), cmp_ptr);
	patch_items(req, n, NULL);
	return 0;
}

void scall_patch_stats(struct scall_stats *out)
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
	out->traps = __atomic_load_n(&scall_traps, __ATOMIC_RELAXED);
	out->syncs = scall_syncs;
	out->writer = scall_writer_name();
}
