/* SPDX-License-Identifier: MIT */
/*
 * Internal interfaces of libscall.  Not installed.  The files, top down
 * (each calls only those below it; docs/protocol.md, "Where each layer
 * lives"):
 *   api.c     public API: key stores, branch flips (counts), the
 *             selection of each cycle
 *   module.c  register, unregister (restore on unload)
 *   lock.c    the update lock, fork, initialisation
 *   cycle.c   one patch cycle over a selection: desired bytes, verify, poke
 *   poke.c    INT3 and three syncs over a list of windows
 *   trap.c    the SIGTRAP handler (index.c's lookup, insn.c's emulation)
 *   index.c   the handler's table, the items of a selection, retirement,
 *             a lazy module's items built at its first cycle
 *   records.c records to items (checked against the file's forms): sites,
 *             trampolines, static branches
 *   keys.c    the per-key index: a module's items by key, the key tree
 *   insn.c    desired state, its bytes, its emulation (pure)
 *   writer.c, alias.c  writing code and syncing cores
 *   alloc.c   allocations a test can make fail
 *   check.c   SCALL_CHECK: keys written behind scall's back (reads only)
 */
#ifndef SCALL_RUNTIME_INTERNAL_H
#define SCALL_RUNTIME_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

#include "scall.h"
#include "scall/format.h"

#define SCALL_HIDDEN __attribute__((visibility("hidden")))
#define SCALL_EXPORT __attribute__((visibility("default")))
#define SCALL_NO_SANITIZE __attribute__((no_sanitize("address", "undefined")))

/* An update with its target resolved and checked; key never NULL. */
struct scall_req {
	void **key;
	void *target;
};

/* lock.c: the update lock.  lock returns -EDEADLK when this thread
 * already holds it (a signal handler interrupted an update on the same
 * thread).  Its fork handlers are installed by scall_init_locked, which
 * initialises the runtime once (writer, SIGTRAP handler); lock held. */
SCALL_HIDDEN int scall_lock(void);
SCALL_HIDDEN void scall_unlock(void);
SCALL_HIDDEN void scall_init_locked(void);

/* ------------------------------------------------------------------ */
/* Patchable items: sites (kinds 1-3), static branches (kinds 5-6) and */
/* trampolines.                                                        */
/* ------------------------------------------------------------------ */

#define ITEM_TRAMP 8 /* kind of a trampoline item (sites use 1..3) */
#define ITEM_MAXLEN SCALL_SITE_MAX_LEN

/* A static branch: kind SCALL_KIND_BRANCH_UNLIKELY or _LIKELY. */
static inline bool scall_kind_is_branch(unsigned kind)
{
	return kind == SCALL_KIND_BRANCH_UNLIKELY ||
	       kind == SCALL_KIND_BRANCH_LIKELY;
}

struct rt_module;

struct rt_item {
	uintptr_t addr;  /* first byte of the patch window */
	uintptr_t tramp; /* the trampoline (for a trampoline: addr; for a
			  * branch: its jump's target) */
	void **key;      /* for a branch: its struct scall_branch_key */
	struct rt_module *mod;
	uint8_t kind;    /* SCALL_KIND_CALL/JMP/JCC/BRANCH_* or ITEM_TRAMP */
	uint8_t len;     /* window length: SCALL_CALL_LEN .. SCALL_JCC_LEN */
	uint8_t cc;      /* Jcc condition code (low nibble) */
	uint8_t cond;    /* trampoline has SCALL_TRAMP_COND */
	volatile uint8_t refused; /* bytes did not verify: never written */
	/* A trampoline scall-ld pre-bound: SCALL_TRAMP_BOUND_* of its record
	 * (its sites were bound with it), 0 otherwise. */
	uint8_t bound;
	uint8_t orig[ITEM_MAXLEN]; /* compiler form */
	uint8_t cur[ITEM_MAXLEN];  /* the form the runtime expects there now */
	uint8_t want[ITEM_MAXLEN]; /* scratch: desired form */
};

struct rt_entry {
	uintptr_t addr;
	struct rt_item *it;
};

/* What an item's state follows, read now (acquire: the key is stored
 * before any byte changes): the key's target, or for a branch whether its
 * key is enabled (1) or not (0).  For the patcher and the handler. */
static inline void *scall_item_value(const struct rt_item *it)
{
	if (scall_kind_is_branch(it->kind))
		return (void *)(uintptr_t)(__atomic_load_n(
			&((struct scall_branch_key *)(void *)it->key)->count,
			__ATOMIC_ACQUIRE) > 0);
	return __atomic_load_n(it->key, __ATOMIC_ACQUIRE);
}

/* The items of one key in one module, by address (keys.c). */
struct rt_run {
	void **key;
	struct rt_item **items;
	size_t n;
	struct rt_run *next;         /* the key's run in another module */
	struct rt_run *left, *right; /* tree links, of a key's first run */
};

struct rt_module {
	struct scall_module *hdr;
	char *name; /* file of the module, for messages */
	uintptr_t base; /* its load address */
	/* Trampolines, then sites and branches: items[0..ntramps) and
	 * items[ntramps..nitems) are each sorted by address (records.c);
	 * room for ncap.  A module with branches is never lazy. */
	struct rt_item *items;
	size_t nitems, nsites, ntramps, nunresolved, ncap, nbranches;
	/* Registered lazily (docs/protocol.md, "Lazy registration"): every
	 * trampoline pre-bound and its key at its bound value, so its
	 * ndeferred site records have no item yet (nitems == ntramps) until
	 * the first cycle that takes one of its keys (index.c).  Lock held. */
	bool lazy;
	size_t ndeferred;
	/* index.c: its windows by address, in [lo, hi); the handler searches
	 * the first ntab of them (ntab is accessed with the __atomic builtins:
	 * 0 while lazy, nitems once they are built, never changed again);
	 * nrefused of its items are refused.  keys.c: its runs, one per key,
	 * over bykey (room for ntramps runs and ncap items), the hash that
	 * groups them (freed once it did), and while lazy a set of its keys
	 * (open addressing, as the hash), in [klo, khi), instead of runs. */
	struct rt_entry *tab;
	size_t ntab;
	uintptr_t lo, hi;
	size_t nrefused;
	struct rt_run *runs;
	size_t nruns;
	struct rt_item **bykey;
	void *keyhash;
	void ***lkeys;
	uintptr_t klo, khi;
	struct rt_module *next;
	bool dropped;     /* unloaded without a directory that leaves it out */
	bool unpublished; /* dropped: a directory without it was published */
	/* The executable's own module (the first object dl_iterate_phdr
	 * reports): never unmapped, so its unregistration keeps it. */
	bool main_program;
	/* Set (release) while it is unregistered, before its restore cycle
	 * writes anything: scall_desired then gives the compiler's form of
	 * its items.  Read by the handler through an item's mod, so the
	 * module is retired with its items. */
	bool unloading;
};

/* The handler's table (index.c): a directory of the modules' tables, one
 * span per module with items, sorted by lo; immutable once published (the
 * number of entries of a module's tab is its mod->ntab). */
struct rt_span {
	uintptr_t lo, hi; /* the module's windows lie in [lo, hi) */
	uintptr_t reach;  /* the highest hi of this span and those before */
	const struct rt_entry *e; /* the module's tab */
	struct rt_module *mod;
};
struct rt_table {
	size_t n;
	struct rt_span s[];
};

/* What an instruction in a patch window does (docs/format.md states). */
enum insn_op {
	OP_CALL,     /* call target */
	OP_JMP,      /* jmp target */
	OP_JCC,      /* jcc target */
	OP_NOP,      /* 5-byte nop */
	OP_XOR,      /* xorl %eax,%eax (scall_return0) */
	OP_RET,      /* ret (c3 + bytes unchanged) */
	OP_INDIRECT, /* trampoline indirect state: jmp *key */
};
struct insn {
	enum insn_op op;
	uintptr_t target;
};

/* insn.c.  The ONE function computing the desired state of an item for
 * the key value f (scall_item_value: a target, or for a branch whether its
 * key is enabled): used by the patcher and by the SIGTRAP handler.  For an
 * item of a module being unloaded it is what the compiler's bytes do with f
 * (the restored form, which scall_encode writes as those bytes). */
SCALL_HIDDEN struct insn scall_desired(const struct rt_item *it, void *f);
/* The bytes of `in` in its window (it->len bytes at out); bytes the state
 * leaves unchanged come from it->cur. */
SCALL_HIDDEN void scall_encode(const struct rt_item *it, struct insn in,
			       uint8_t *out);
/* What the window's instruction would do, done on the registers g of a
 * thread stopped on its INT3; f is the key's value `in` was computed from. */
SCALL_HIDDEN void scall_emulate(const struct rt_item *it, struct insn in,
				void *f, greg_t *g);

/* Which items a patch cycle takes: an explicit argument, never a global. */
enum rt_sel_kind {
	SEL_ALL,    /* every item (scall_resync, a repair) */
	SEL_KEYS,   /* the keys of req[0..n), sorted by key (an update) */
	SEL_RANGE,  /* keys whose address is in [lo, hi) (__scall_stored) */
	SEL_MODULE, /* the items of mod (registration, unregistration) */
};
struct rt_sel {
	enum rt_sel_kind kind;
	const struct scall_req *req;
	size_t n;
	uintptr_t lo, hi;
	const struct rt_module *mod;
};

/* What a cycle works on, in the scratch space sized at registration:
 * items[0..n) selected and not refused, bar[0..nbar) the addresses of the
 * refused windows a coalesced write of them could cover (which it must
 * not), both by address; bar and w have room for every item. */
struct rt_batch {
	struct rt_item **items;
	size_t n;
	uintptr_t *bar;
	size_t nbar;
	struct wr *w;
};

/* index.c.  The table and the in-flight counter are accessed only with the
 * __atomic builtins. */
SCALL_HIDDEN extern struct rt_table *scall_table;
SCALL_HIDDEN extern unsigned long scall_in_flight;
/* The live item at a (or a refused one, or NULL); for the handler: no
 * lock, no wait. */
SCALL_HIDDEN const struct rt_item *scall_index_lookup(const struct rt_table *t,
						       uintptr_t a);
/* Index m (its table, its runs by key), link its runs into the key tree,
 * publish a directory with it, and size the cycle's scratch space for it.
 * Every allocation comes first, for a lazy module's sites too:
 * -ENOMEM leaves all as it was.  Lock held; m is in the module list. */
SCALL_HIDDEN int scall_index_add(struct rt_module *m);
/* Build the items of lazy module m (records.c), its table and its runs,
 * in the room allocated at registration, and publish them to the handler.
 * Lock held; allocates nothing; before any cycle writes a window of m. */
SCALL_HIDDEN void scall_index_materialize(struct rt_module *m);
/* Unlink m's runs (always: no cycle selects its items from then on) and
 * publish a directory without it; m is freed with the old one once no
 * handler can see it.  -ENOMEM: m is still in the published directory
 * (the caller refuses its items and hands it to scall_index_drop). */
SCALL_HIDDEN int scall_index_remove(struct rt_module *m);
/* m, out of the list but still in the published directory (its items
 * refused), is freed once a later directory is published and no handler
 * is in flight. */
SCALL_HIDDEN void scall_index_drop(struct rt_module *m);
/* Free m, its items and its index (no handler may see it). */
SCALL_HIDDEN void scall_index_free_module(struct rt_module *m);
/* Free what was retired, if no handler is in flight. */
SCALL_HIDDEN void scall_index_reap(void);
/* The items of sel and the refused windows near them into *b; false when
 * no module has any item. */
SCALL_HIDDEN bool scall_index_select(const struct rt_sel *sel,
				     struct rt_batch *b);
/* it (an item of b) is refused for good: never written, a barrier. */
SCALL_HIDDEN void scall_index_refuse(struct rt_item *it, struct rt_batch *b);

/* keys.c, under the lock.  Room for m's runs (ntramps), ncap items by key,
 * the hash that groups them, and for a lazy m the set of its keys: 0 or
 * -ENOMEM (nothing allocated). */
SCALL_HIDDEN int scall_keys_alloc(struct rt_module *m);
/* Group m's items (m->tab[0..nitems)) by key into m->runs, in that room;
 * for a lazy m, only the set of its keys. */
SCALL_HIDDEN void scall_keys_build(struct rt_module *m);
SCALL_HIDDEN void scall_keys_link(struct rt_module *m);
SCALL_HIDDEN void scall_keys_unlink(struct rt_module *m);
/* Does lazy m hold a key of sel (SEL_KEYS or SEL_RANGE)? */
SCALL_HIDDEN bool scall_keys_lazy_takes(const struct rt_module *m,
					const struct rt_sel *sel);
/* The live items of the keys of sel (SEL_KEYS or SEL_RANGE) into out, each
 * key's runs in turn; returns how many. */
SCALL_HIDDEN size_t scall_keys_select(const struct rt_sel *sel,
				      struct rt_item **out);

/* cycle.c: bring the items of sel (every item when a failed write left a
 * repair due) to the desired states of their keys' current values.  Lock
 * held; allocates nothing.  0, the -errno of a failed write, or -ENOTSUP
 * when a branch had to change and no writer works. */
SCALL_HIDDEN int scall_cycle(const struct rt_sel *sel);

/* records.c.  One stderr line: it is refused (never written again), and
 * why. */
SCALL_HIDDEN void scall_report_refused(const struct rt_item *it,
				       const char *why);
/* How many site, trampoline and branch records the header h gives. */
SCALL_HIDDEN size_t scall_records_nsites(const struct scall_module *h);
SCALL_HIDDEN size_t scall_records_ntramps(const struct scall_module *h);
SCALL_HIDDEN size_t scall_records_nbranches(const struct scall_module *h);
/* m's trampoline items into m->items, sorted, each checked against the
 * form its record says (refused otherwise); sets and returns ntramps. */
SCALL_HIDDEN size_t scall_records_tramps(struct rt_module *m);
/* m's site and branch items after its trampolines, sorted together, each
 * checked; sets nsites, nbranches, nitems, nunresolved.  Refusals go to
 * stderr. */
SCALL_HIDDEN void scall_records_sites(struct rt_module *m);
/* Can m (its trampolines built) be registered without its sites: scall-ld
 * validated, sorted and pre-bound it, every trampoline is bound and live,
 * and every key holds its bound value?  If so, sets ndeferred and the
 * extent of its sites (lo, hi) from the first and last records. */
SCALL_HIDDEN bool scall_records_lazy(struct rt_module *m);
/* The key value trampoline t (bound) was pre-bound for. */
SCALL_HIDDEN uintptr_t scall_records_bound_value(const struct rt_item *t);
/* Lazy m's site counts into *out, from its records, building nothing. */
SCALL_HIDDEN void scall_records_stats(struct rt_module *m,
				      struct scall_stats *out);

/* module.c: the module and site/trampoline counts of *out; lock held. */
SCALL_HIDDEN void scall_module_stats(struct scall_stats *out);

/* trap.c (scall_traps is accessed only with the __atomic builtins) */
SCALL_HIDDEN extern uint64_t scall_traps;
SCALL_HIDDEN void scall_trap_install(void);   /* (re)install if not ours */
SCALL_HIDDEN bool scall_trap_blocked(void);   /* SIGTRAP blocked here */

/* writer.c */
enum writer_kind { WRITER_NONE, WRITER_PROCMEM, WRITER_ALIAS, WRITER_MPROTECT };
struct wr {
	uintptr_t addr;
	const uint8_t *bytes;
	uint8_t len;
};
SCALL_HIDDEN extern enum writer_kind scall_writer;
SCALL_HIDDEN extern int scall_coalesce;
SCALL_HIDDEN extern uint64_t scall_syncs, scall_pwrites;
SCALL_HIDDEN void scall_writer_init(void);
SCALL_HIDDEN void scall_writer_atfork_child(void);
/* "proc-mem", "alias", "mprotect", "none", or "int3" once a sync failed. */
SCALL_HIDDEN const char *scall_writer_name(void);
/* Why a better writer was passed over ("" for proc-mem); *loud when the
 * writer is none without SCALL_WRITER asking for it. */
SCALL_HIDDEN const char *scall_writer_reason(bool *loud);
/* Write w[0..n) (sorted by address); barriers[0..nb) (sorted) are
 * addresses of refused windows a coalesced write must not cover. */
SCALL_HIDDEN int scall_write(const struct wr *w, size_t n,
			     const uintptr_t *barriers, size_t nb);
/* Make every core running a thread of ours execute a core-serialising
 * instruction: 0, or -errno when it failed (then and ever after). */
SCALL_HIDDEN int scall_sync(void);
SCALL_HIDDEN bool scall_sync_lost(void);

/* poke.c: write chg[0..n) (sorted by address, verified, want[] set) with
 * the three steps and their syncs; w has room for n writes, bar[0..nb) as
 * for scall_write.  0, or -errno when a write failed: each item's cur then
 * holds what memory holds, every INT3 among them emulated from the key.
 * unloading: the cycle restores a module being unregistered (the test
 * hook then gets the step negated). */
SCALL_HIDDEN int scall_poke(struct rt_item **chg, size_t n, struct wr *w,
			    const uintptr_t *bar, size_t nb, bool unloading);

/* alias.c: the alias writer; w[0..n) sorted by address.  The probe
 * returns 0 or -errno. */
SCALL_HIDDEN int scall_alias_write(const struct wr *w, size_t n);
SCALL_HIDDEN int scall_alias_probe(void);

/* alloc.c: malloc, calloc, realloc, strdup, each of which a test can make
 * fail (__scall_test_alloc_hook); free() frees what they return. */
SCALL_HIDDEN void *scall_malloc(size_t n);
SCALL_HIDDEN void *scall_calloc(size_t n, size_t size);
SCALL_HIDDEN void *scall_realloc(void *p, size_t n);
SCALL_HIDDEN char *scall_strdup(const char *s);

SCALL_HIDDEN extern int scall_debug;

/* check.c (SCALL_CHECK=1 or SCALL_DEBUG=1): after a cycle of api.c, lock
 * held, the keys whose windows are off their values (cycle_err: that
 * cycle's result; a failed one is not checked), or NULL; print them with
 * scall_check_report once the lock is released (naming takes the loader
 * lock).  NULL at once when the check is off. */
struct scall_stale;
SCALL_HIDDEN struct scall_stale *scall_check_keys(int cycle_err);
SCALL_HIDDEN void scall_check_report(struct scall_stale *r);

#endif
