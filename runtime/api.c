/* SPDX-License-Identifier: MIT */
/*
 * The public API: argument checks, the key stores, and the selection of
 * each call's patch cycle (its keys, a stored range, or every item).
 * Everything that touches code is behind scall_cycle(); the lock is
 * lock.c's.
 */
#include <errno.h>
#include <string.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

static uint64_t updates;

SCALL_EXPORT long scall_return0(void) { return 0; }

SCALL_EXPORT void __scall_nop(void) {}

static int cmp_key(const void *a, const void *b)
{
	const struct scall_req *x = a, *y = b;

	return (uintptr_t)x->key < (uintptr_t)y->key ? -1
						     : (uintptr_t)x->key >
						       (uintptr_t)y->key;
}

static int check_target(const struct scall_update *u)
{
	if (!u->key)
		return -EINVAL;
	switch (u->check) {
	case SCALL_TARGET_TYPED:
		return 0;
	case SCALL_TARGET_NULL:
		return u->target ? -EINVAL : 0;
	case SCALL_TARGET_RET0:
		return u->target == (void *)scall_return0 ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

/* A flip of a batch, with its place in it: the flips of one key apply in
 * the batch's order. */
struct flip {
	struct scall_branch_key *key;
	int op;
	size_t idx;
};

static int cmp_flip(const void *a, const void *b)
{
	const struct flip *x = a, *y = b;

	if (x->key != y->key)
		return (uintptr_t)x->key < (uintptr_t)y->key ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* count after op, or -errno (lock held: only libscall writes counts). */
static long long apply_op(long long c, int op)
{
	switch (op) {
	case SCALL_BRANCH_OP_ENABLE:
		return 1;
	case SCALL_BRANCH_OP_DISABLE:
		return 0;
	case SCALL_BRANCH_OP_INC:
		return c == INT_MAX ? -EOVERFLOW : c + 1;
	default:
		return c <= 0 ? -EINVAL : c - 1;
	}
}

/* The new count of each key of f[0..nb) (sorted by key, then place) into
 * the first flip of its run (key NULL on the others); -errno, storing
 * nothing, when one op fails. */
static int plan_flips(struct flip *f, size_t nb, int *count)
{
	for (size_t i = 0, j; i < nb; i = j) {
		long long c = __atomic_load_n(&f[i].key->count, __ATOMIC_RELAXED);

		for (j = i; j < nb && f[j].key == f[i].key; j++) {
			c = apply_op(c, f[j].op);
			if (c < 0)
				return (int)c;
		}
		count[i] = (int)c;
		for (size_t k = i + 1; k < j; k++)
			f[k].key = NULL;
	}
	return 0;
}

SCALL_EXPORT int scall_update_batch_branches(const struct scall_update *u,
					     size_t n,
					     const struct scall_branch_update *b,
					     size_t nb)
{
	struct scall_req one, *req;
	struct flip *flips = NULL;
	struct scall_stale *stale;
	int *count = NULL;
	size_t i, nreq;
	int err;

	if (n == 0 && nb == 0)
		return 0;
	if ((n && !u) || (nb && !b))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		err = check_target(&u[i]);
		if (err)
			return err;
	}
	for (i = 0; i < nb; i++)
		if (!b[i].key || b[i].op < SCALL_BRANCH_OP_ENABLE ||
		    b[i].op > SCALL_BRANCH_OP_DEC)
			return -EINVAL;
	req = n + nb == 1 ? &one : scall_calloc(n + nb, sizeof(*req));
	if (nb) {
		flips = scall_calloc(nb, sizeof(*flips));
		count = scall_calloc(nb, sizeof(*count));
	}
	if (!req || (nb && (!flips || !count))) {
		err = -ENOMEM;
		goto free;
	}
	for (i = 0; i < nb; i++)
		flips[i] = (struct flip){ b[i].key, b[i].op, i };
	if (nb > 1)
		qsort(flips, nb, sizeof(*flips), cmp_flip);
	err = scall_lock();
	if (err)
		goto free;
	err = nb ? plan_flips(flips, nb, count) : 0;
	if (err) {
		scall_unlock();
		goto free;
	}
	/* Store every key and count before any code changes: a key always
	 * holds the current target, and sites that cannot be patched read
	 * it; a branch's handler emulation reads its count. */
	for (i = 0; i < n; i++) {
		__atomic_store_n((void **)u[i].key, u[i].target,
				 __ATOMIC_RELEASE);
		req[i] = (struct scall_req){ u[i].key, u[i].target };
	}
	nreq = n;
	for (i = 0; i < nb; i++)
		if (flips[i].key) {
			__atomic_store_n(&flips[i].key->count, count[i],
					 __ATOMIC_RELEASE);
			req[nreq++] = (struct scall_req){ (void **)(void *)flips[i].key,
							  NULL };
		}
	updates++;
	if (scall_debug && nb)
		fprintf(stderr, "scall: branches: %zu flip(s) of %zu key(s)\n",
			nb, nreq - n);
	/* Sorted for the selection's lookup; a key named twice selects its
	 * items once, from the value stored last. */
	if (nreq > 1)
		qsort(req, nreq, sizeof(*req), cmp_key);
	/* The keys are stored: a failed write is repaired by the next cycle,
	 * and the update itself succeeded (sites unpatched read the key).  A
	 * branch does not read its count: its flip reports the failure. */
	err = scall_cycle(
		&(struct rt_sel){ .kind = SEL_KEYS, .req = req, .n = nreq });
	stale = scall_check_keys(err);
	scall_unlock();
	scall_check_report(stale);
	if (!nb)
		err = 0;
free:
	if (req != &one)
		free(req);
	free(flips);
	free(count);
	return err;
}

SCALL_EXPORT int scall_update_batch(const struct scall_update *u, size_t n)
{
	return scall_update_batch_branches(u, n, NULL, 0);
}

SCALL_EXPORT int __scall_branch_op(struct scall_branch_key *key, int op)
{
	struct scall_branch_update b = { key, op };

	return scall_update_batch_branches(NULL, 0, &b, 1);
}

SCALL_EXPORT int scall_resync(void)
{
	struct scall_stale *stale;
	int err = scall_lock();

	if (err)
		return err;
	updates++;
	stale = scall_check_keys(scall_cycle(&(struct rt_sel){ .kind = SEL_ALL }));
	scall_unlock();
	scall_check_report(stale);
	return 0;
}

/*
 * A store the compiler converted (-fplugin-arg-scall-convert-stores): the
 * program has just written [addr, addr + len) with ordinary stores (a key, a
 * member, a whole struct key); bring the sites of every registered key in
 * that range to the value it now holds, in one patch cycle.  Before the
 * module's registration (a store in an early constructor) there is nothing
 * to patch: registration itself starts every site from the key's value.
 */
SCALL_EXPORT int __scall_stored(void *addr, size_t len)
{
	struct scall_stale *stale;
	int err;

	if (!addr || !len)
		return 0;
	err = scall_lock();
	if (err)
		return err;
	updates++;
	if ((uintptr_t)addr + len > (uintptr_t)addr)
		err = scall_cycle(&(struct rt_sel){ .kind = SEL_RANGE,
						    .lo = (uintptr_t)addr,
						    .hi = (uintptr_t)addr + len });
	stale = scall_check_keys(err);
	scall_unlock();
	scall_check_report(stale);
	return 0;
}

/*
 * A burst of converted stores into several key objects: one patch cycle
 * over every range.  The selection is the smallest range covering them all
 * (cycle.c selects one range): a key between two of them that the burst did
 * not store is re-read and, its sites already matching its value, costs
 * nothing but that reading.
 */
SCALL_EXPORT int __scall_stored_n(const struct scall_stored_range *r, size_t n)
{
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	struct scall_stale *stale;
	int err;

	if (!r)
		return n ? -EINVAL : 0;
	for (size_t i = 0; i < n; i++) {
		uintptr_t a = (uintptr_t)r[i].addr;

		/* Skipped as __scall_stored skips them. */
		if (!a || !r[i].len || a + r[i].len <= a)
			continue;
		lo = a < lo ? a : lo;
		hi = a + r[i].len > hi ? a + r[i].len : hi;
	}
	if (lo >= hi)
		return 0;
	err = scall_lock();
	if (err)
		return err;
	updates++;
	stale = scall_check_keys(scall_cycle(
		&(struct rt_sel){ .kind = SEL_RANGE, .lo = lo, .hi = hi }));
	scall_unlock();
	scall_check_report(stale);
	return 0;
}

SCALL_EXPORT int __scall_update_key(void *key, void *target, int check)
{
	struct scall_update u = { key, target, check };

	return scall_update_batch(&u, 1);
}

SCALL_EXPORT int __scall_stats_n(struct scall_stats *out, size_t size)
{
	struct scall_stats all = { .updates = updates };
	int err;

	if (!out || size < SCALL_STATS_SIZE_V0)
		return -EINVAL;
	err = scall_lock();
	if (err)
		return err;
	scall_module_stats(&all);
	all.traps = __atomic_load_n(&scall_traps, __ATOMIC_RELAXED);
	all.syncs = scall_syncs;
	all.writer = scall_writer_name();
	scall_unlock();
	/* A caller built against an older scall.h passes a smaller struct:
	 * fill the fields it knows, never past them. */
	memcpy(out, &all, size < sizeof all ? size : sizeof all);
	return 0;
}

/* The symbol programs built against the scall.h of before the branch
 * fields call: it fills the struct as it was then (scall.h now routes
 * scall_stats() to __scall_stats_n with the caller's size). */
SCALL_EXPORT int (scall_stats)(struct scall_stats *out)
{
	return __scall_stats_n(out, SCALL_STATS_SIZE_V0);
}
