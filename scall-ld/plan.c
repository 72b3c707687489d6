/* SPDX-License-Identifier: MIT */
/*
 * plan.c - the edits that make a checked file's table the one the runtime
 * trusts: every record at its sorted position (PC-relative fields
 * recomputed for the new position), then the header's flags and count.
 * Only bytes that change become edits, so a second run plans nothing.
 */
#include "checks.h"

#include <elf.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static struct ld_edit *add(struct ld_ctx *c, enum ld_edit_why why,
			   uint64_t off, uint32_t len)
{
	struct ld_plan *p = &c->res->plan;
	struct ld_edit *e;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;

		e = realloc(p->edits, cap * sizeof(*e));
		if (!e) {
			c->oom = 1;
			return NULL;
		}
		p->edits = e;
		p->cap = cap;
	}
	e = &p->edits[p->n++];
	memset(e, 0, sizeof(*e));
	e->why = why;
	e->off = off;
	e->len = len;
	return e;
}

/* The record bytes of s at sorted position i of sec; 0, or -1 when a
 * field does not reach from there (reported). */
static int encode_record(struct ld_ctx *c, const struct img_sec *sec,
			 size_t i, const struct ld_site *s, uint8_t *out)
{
	uint64_t at = sec->addr + i * sizeof(struct scall_site);
	uint64_t fs = at + offsetof(struct scall_site, site);
	uint64_t ft = at + offsetof(struct scall_site, tramp);

	if (!scall_rel32_fits(fs, s->site) || !scall_rel32_fits(ft, s->tramp)) {
		diag(c, SEV_ERR, s->site,
		     "site is out of rel32 range of %s at its sorted "
		     "position; the record is corrupt, rebuild", sec->name);
		return -1;
	}
	scall_put32(out + offsetof(struct scall_site, site),
		    scall_rel32(fs, s->site));
	scall_put32(out + offsetof(struct scall_site, tramp),
		    scall_rel32(ft, s->tramp));
	scall_put32(out + offsetof(struct scall_site, info), s->info);
	return 0;
}

static void plan_table(struct ld_ctx *c, const struct img_sec *sec)
{
	struct ld_result *r = c->res;
	const size_t sz = sizeof(struct scall_site);
	size_t i;

	for (i = 0; i < r->nsites && !c->oom; i++) {
		uint8_t rec[sizeof(struct scall_site)];
		uint64_t off = sec->off + i * sz;
		struct ld_edit *e;

		if (encode_record(c, sec, i, &r->sites[i], rec) ||
		    !memcmp(rec, c->img->buf + off, sz))
			continue;
		e = add(c, LD_EDIT_RECORD, off, (uint32_t)sz);
		if (!e)
			return;
		e->idx = (uint32_t)i;
		memcpy(e->bytes, rec, sz);
	}
}

static void plan_header(struct ld_ctx *c, const struct img_sec *m)
{
	struct ld_result *r = c->res;
	struct ld_edit *e;

	if (r->new_flags != r->old_flags) {
		e = add(c, LD_EDIT_HDR_FLAGS, m->off + SCALL_MODULE_OFF_FLAGS,
			sizeof(uint16_t));
		if (!e)
			return;
		e->bytes[0] = (uint8_t)r->new_flags;
		e->bytes[1] = (uint8_t)(r->new_flags >> 8);
	}
	if (r->new_nsites != r->old_nsites) {
		e = add(c, LD_EDIT_HDR_NSITES, m->off + SCALL_MODULE_OFF_NSITES,
			sizeof(uint32_t));
		if (!e)
			return;
		scall_put32(e->bytes, r->new_nsites);
	}
}

/* Plan bytes at address addr to become want[0..len), if they differ. */
static void plan_bytes(struct ld_ctx *c, enum ld_edit_why why, uint64_t addr,
		       const uint8_t *want, uint32_t len)
{
	const struct img_sec *sec = img_section_at(c->img, addr, len);
	uint64_t off;
	struct ld_edit *e;

	if (!sec || sec->type == SHT_NOBITS) {
		c->oom = 1; /* checked before: cannot happen */
		return;
	}
	off = sec->off + (addr - sec->addr);
	if (!memcmp(c->img->buf + off, want, len))
		return;
	e = add(c, why, off, len);
	if (e)
		memcpy(e->bytes, want, len);
}

/*
 * Trampoline j and its sites as they must be on disk: in the state of the
 * key's link-time target (docs/format.md, "Pre-bound trampolines"), or as
 * the compiler emitted them when there is none or --no-prebind.  Returns
 * whether the record ends up bound.
 */
static int plan_bind(struct ld_ctx *c, size_t j)
{
	struct ld_result *r = c->res;
	const struct ld_tramp *t = &r->tr[j];
	enum ld_bind b = !c->o->no_prebind && ld_bind_known(t->bind) ? t->bind
								     : LD_BIND_UNCHECKED;
	uint32_t flags = t->flags & ~(SCALL_TRAMP_BOUND_MASK | SCALL_TRAMP_SAVED_LEA |
				      SCALL_TRAMP_SAVED_MASK);
	uint8_t win[SCALL_TRAMP_WINDOW], fl[sizeof(uint32_t)];
	size_t i;

	memcpy(win, t->orig, sizeof(win));
	if (b == LD_BIND_FUNC) {
		flags |= SCALL_TRAMP_BOUND_FUNC |
			 (t->orig[1] == SCALL_TRAMP_OP1_LEA ? SCALL_TRAMP_SAVED_LEA : 0) |
			 (uint32_t)(t->orig[3] | t->orig[4] << 8) << SCALL_TRAMP_SAVED_SHIFT;
		scall_put_jmp(win, t->addr, t->bind_target);
	} else if (b == LD_BIND_NULL) {
		flags |= SCALL_TRAMP_BOUND_NULL;
		if (t->flags & SCALL_TRAMP_COND)
			win[0] = SCALL_OP_RET;
	} else if (b == LD_BIND_RET0) {
		flags |= SCALL_TRAMP_BOUND_RET0;
	}
	plan_bytes(c, LD_EDIT_TRAMP_WINDOW, t->addr, win, sizeof(win));
	scall_put32(fl, flags);
	plan_bytes(c, LD_EDIT_TRAMP_FLAGS, t->rec + offsetof(struct scall_tramp, flags),
		   fl, sizeof(fl));
	for (i = 0; i < r->nsites && !c->oom; i++) {
		const struct ld_site *s = &r->sites[i];
		unsigned len = scall_kind_len(s->kind);
		uint8_t want[SCALL_SITE_MAX_LEN];
		const uint8_t *p;

		if (s->tr != (long)j || !ld_kind_live(s->kind))
			continue;
		p = img_bytes(c->img, s->site, len);
		if (!p)
			continue; /* checked before: cannot happen */
		site_as_emitted(s, p, want);
		if (b != LD_BIND_UNCHECKED)
			scall_state_put(site_bound_state(s, t, b, t->bind_target),
					s->site, want);
		plan_bytes(c, LD_EDIT_SITE, s->site, want, len);
	}
	return b != LD_BIND_UNCHECKED;
}

void ld_plan_build(struct ld_ctx *c)
{
	struct ld_result *r = c->res;
	int bound = 0;
	size_t j;

	for (j = 0; j < r->ntr && !c->oom; j++)
		if (!r->tr[j].bad && r->tr[j].bind != LD_BIND_NOT_CLEAN)
			bound |= plan_bind(c, j);
	r->new_flags = r->old_flags | SCALL_MODULE_VALIDATED | SCALL_MODULE_SORTED;
	r->new_flags = bound ? r->new_flags | SCALL_MODULE_PREBOUND
			     : r->new_flags & ~SCALL_MODULE_PREBOUND;
	r->new_nsites = (uint32_t)r->nsites;
	if (r->sites_sec)
		plan_table(c, r->sites_sec);
	plan_header(c, r->module_sec);
}

void ld_plan_free(struct ld_plan *p)
{
	free(p->edits);
	memset(p, 0, sizeof(*p));
}
