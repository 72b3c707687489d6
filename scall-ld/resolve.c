/* SPDX-License-Identifier: MIT */
/*
 * resolve.c - kind-4 records (Clang pass): each (function, trampoline)
 * group gets the function's rel32 branches to the trampoline in address
 * order; records left over become dead, branches left over stay
 * unrecorded (docs/format.md).
 */
#include "checks.h"

#include <stdlib.h>

/* First branch (in br[], sorted by src) with src >= addr. */
static size_t br_lower(const struct branch *br, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (br[mid].src < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Function, trampoline, then the order found: the group's records take
 * its branches in the order the compiler emitted them. */
static int cmp_group(const void *a, const void *b)
{
	const struct ld_site *x = *(struct ld_site *const *)a;
	const struct ld_site *y = *(struct ld_site *const *)b;

	if (x->site != y->site)
		return x->site < y->site ? -1 : 1;
	if (x->tramp != y->tramp)
		return x->tramp < y->tramp ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void set_kind(struct ld_site *s, enum ld_kind k,
		     enum ld_site_state state)
{
	s->kind = k;
	s->info = (s->info & ~SCALL_SITE_KIND_MASK) | (uint32_t)k;
	s->state = state;
}

/* One group: records grp[0..ng), all naming function fn and trampoline
 * tramp. */
static void resolve_group(struct ld_ctx *c, struct ld_site **grp, size_t ng)
{
	struct ld_result *r = c->res;
	uint64_t fn = grp[0]->site, tramp = grp[0]->tramp;
	long tr = grp[0]->tr;
	const struct img_sym *f = img_func_start(c->img, fn);
	size_t b, k;

	if (!f || !f->size) {
		diag(c, SEV_ERR, fn,
		     "kind-4 record names 0x%llx, which is not the start "
		     "of a function symbol; run scall-ld before strip, "
		     "or keep .symtab", (unsigned long long)fn);
		for (k = 0; k < ng; k++)
			grp[k]->state = LD_SITE_ERROR;
		return;
	}
	b = br_lower(c->dis.br, c->dis.nbr, f->addr);
	k = 0;
	for (; b < c->dis.nbr && c->dis.br[b].src - f->addr < f->size; b++) {
		const struct branch *br = &c->dis.br[b];

		if (br->dst != tramp || br->enc == BR_OTHER)
			continue;
		if (k < ng) {
			grp[k]->site = br->src;
			set_kind(grp[k], (enum ld_kind)br->enc, LD_SITE_RESOLVED);
			k++;
		}
		/* extra sites stay unrecorded and are reported so */
	}
	if (k < ng && c->o->verbose)
		diag(c, SEV_NOTE, f->addr,
		     "%zu of %zu kind-4 records for %s found no call; "
		     "they become dead records", ng - k, ng,
		     tr >= 0 ? r->tr[tr].name : "?");
	for (; k < ng; k++)
		set_kind(grp[k], LD_KIND_NONE, LD_SITE_DEAD);
}

void resolve_kind4(struct ld_ctx *c)
{
	struct ld_result *r = c->res;
	struct ld_site **grp;
	size_t i, k, g, ng, n4 = 0;

	for (i = 0; i < r->nsites; i++)
		n4 += r->sites[i].kind == LD_KIND_UNRESOLVED;
	if (!n4)
		return;
	grp = malloc(n4 * sizeof(*grp));
	if (!grp) {
		c->oom = 1;
		return;
	}
	for (i = k = 0; i < r->nsites; i++)
		if (r->sites[i].kind == LD_KIND_UNRESOLVED)
			grp[k++] = &r->sites[i];
	qsort(grp, n4, sizeof(*grp), cmp_group);
	for (g = 0; g < n4; g += ng) {
		for (ng = 1; g + ng < n4 && grp[g + ng]->site == grp[g]->site &&
			     grp[g + ng]->tramp == grp[g]->tramp; ng++)
			;
		resolve_group(c, grp + g, ng);
	}
	free(grp);
}
