/* SPDX-License-Identifier: MIT */
/*
 * One patch cycle (docs/protocol.md, "One patch cycle"): the items of a
 * selection (index.c), their desired bytes from their keys' values
 * (insn.c), verified against what memory holds, then written by the
 * INT3 and three-sync protocol (poke.c).  The selection is the caller's
 * argument: the keys of an update, a range of stored keys, a module, or
 * every item.  Lock held.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* A cycle failed to write: the next one takes every item. */
static bool repair;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static const char *what(const struct rt_sel *sel)
{
	switch (sel->kind) {
	case SEL_MODULE:
		return sel->mod->unloading ? "unregister" : "register";
	case SEL_KEYS:
		return "update";
	case SEL_RANGE:
		return "store";
	default:
		return "resync";
	}
}

/*
 * No writer: every window stays as it is.  A compiler form reads the key
 * at each call, so that is only slower; a form scall-ld pre-bound does not,
 * and calling its old target after the key changed would be wrong with
 * nothing to say so.  Stop the process instead, saying how to avoid it.
 * A module being unloaded keeps its (still right) bound forms.
 */
static void stuck(const struct rt_item *it, const struct rt_sel *sel)
{
	bool loud;

	if (!memcmp(it->cur, it->orig, it->len) ||
	    (sel->kind == SEL_MODULE && sel->mod->unloading))
		return;
	if (scall_kind_is_branch(it->kind))
		return; /* never written, so never off its compiler form */
	fprintf(stderr,
		"scall: fatal: the key of the pre-bound %s at %p (%s+0x%lx) "
		"changed, but no code writer works (%s): it would call its old "
		"target; link this module with scall-ld --no-prebind to run "
		"without a writer\n",
		it->kind == ITEM_TRAMP ? "trampoline" : "site", (void *)it->addr,
		it->mod && it->mod->name ? it->mod->name : "?",
		(unsigned long)(it->addr - (it->mod ? it->mod->base : 0)),
		*scall_writer_reason(&loud) ? scall_writer_reason(&loud)
					    : "SCALL_WRITER=none");
	abort();
}

/* Once per process: branches cannot follow their keys without a writer. */
static void report_frozen(void)
{
	static bool said;
	bool loud;

	if (said)
		return;
	said = true;
	fprintf(stderr, "scall: no code writer works (%s): static branches "
			"keep their compiled state whatever their keys say\n",
		*scall_writer_reason(&loud) ? scall_writer_reason(&loud)
					    : "SCALL_WRITER=none");
}

int scall_cycle(const struct rt_sel *sel)
{
	static const struct rt_sel every = { .kind = SEL_ALL };
	double t0 = scall_debug ? now_us() : 0;
	uint64_t s0 = scall_syncs;
	struct rt_batch b;
	size_t nchg = 0;
	bool frozen = false;
	int err = 0;

	if (!scall_index_select(repair ? &every : sel, &b))
		return 0;
	/* Desired states, in address order; the changing items are kept at
	 * the front of b.items. */
	for (size_t i = 0; i < b.n; i++) {
		struct rt_item *it = b.items[i];

		scall_encode(it, scall_desired(it, scall_item_value(it)),
			     it->want);
		if (!memcmp(it->want, it->cur, it->len))
			continue;
		if (scall_writer == WRITER_NONE) {
			/* A branch's compiler form does not read its key:
			 * it stays in the other state (the caller says so). */
			frozen |= scall_kind_is_branch(it->kind);
			stuck(it, sel);
			continue;
		}
		/* Verify: never write a byte we did not expect. */
		if (memcmp((const void *)it->addr, it->cur, it->len)) {
			scall_index_refuse(it, &b);
			scall_report_refused(it, "bytes changed behind scall's "
						 "back");
			continue;
		}
		b.items[nchg++] = it;
	}
	if (frozen)
		report_frozen();
	if (!nchg) {
		repair = false;
		err = frozen ? -ENOTSUP : 0;
		goto out;
	}
	err = scall_poke(b.items, nchg, b.w, b.bar, b.nbar,
			 sel->kind == SEL_MODULE && sel->mod->unloading);
	/* A failed write leaves items of this cycle off their targets:
	 * the next cycle takes every item, whatever its keys. */
	repair = err != 0;
out:
	if (scall_debug)
		fprintf(stderr,
			"scall: %s: %zu key(s), %zu window(s) changed, %llu "
			"sync(s), %.1f us\n",
			what(sel), sel->kind == SEL_KEYS ? sel->n : (size_t)0,
			nchg, (unsigned long long)(scall_syncs - s0),
			now_us() - t0);
	scall_index_reap();
	return err;
}
