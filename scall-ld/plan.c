/* SPDX-License-Identifier: MIT */
/*
 * plan.c - the edits that make a checked file's table the one the runtime
 * trusts: every record at its sorted position (PC-relative fields
 * recomputed for the new position), then the header's flags and count.
 * Only bytes that change become edits, so a second run plans nothing.
 */
#include "checks.h"

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

void ld_plan_build(struct ld_ctx *c)
{
	struct ld_result *r = c->res;

	r->new_flags = r->old_flags | SCALL_MODULE_VALIDATED | SCALL_MODULE_SORTED;
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
