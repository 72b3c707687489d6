/* SPDX-License-Identifier: MIT */
/*
 * check_sites.c - each live site record against the machine code: the
 * instruction at the site (decoded, of the recorded kind, to the recorded
 * trampoline, on an instruction boundary, inside a function), branches
 * into its bytes, and branches to trampolines that no record names.
 */
#include "checks.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

/* The compiler's bytes of site s (a branch to its trampoline; a Jcc keeps
 * the condition at p). */
void site_as_emitted(const struct ld_site *s, const uint8_t *p, uint8_t *out)
{
	if (s->kind == LD_KIND_CALL)
		scall_put_call(out, s->site, s->tramp);
	else if (s->kind == LD_KIND_JMP)
		scall_put_jmp(out, s->site, s->tramp);
	else
		scall_put_jcc(out, scall_jcc_cc(p), s->site, s->tramp);
}

/* The state a site of a trampoline bound (or to be bound) as b takes. */
struct scall_state site_bound_state(const struct ld_site *s,
				    const struct ld_tramp *t, enum ld_bind b,
				    uint64_t target)
{
	return scall_site_state(s->kind, !!(t->flags & SCALL_TRAMP_COND),
				s->site, s->tramp,
				b == LD_BIND_FUNC ? target : b == LD_BIND_NULL ? 0 : 1,
				b == LD_BIND_RET0);
}

/* A site of a pre-bound trampoline holds exactly the bound state. */
static int bound_site_ok(struct ld_ctx *c, const struct ld_site *s,
			 const struct ld_tramp *t, const char *text)
{
	unsigned len = scall_kind_len(s->kind);
	const uint8_t *p = img_bytes(c->img, s->site, len);
	struct scall_state st = site_bound_state(s, t, t->bound, t->bound_target);
	uint8_t want[SCALL_SITE_MAX_LEN];

	if (p) {
		site_as_emitted(s, p, want);
		scall_state_put(st, s->site, want);
	}
	if (!p || (t->bound == LD_BIND_RET0 && s->kind != LD_KIND_CALL) ||
	    memcmp(p, want, len)) {
		diag(c, SEV_ERR, s->site,
		     "site is '%s', not the form of its pre-bound trampoline %s; "
		     "the file was changed after scall-ld, relink", text, t->name);
		return 0;
	}
	return 1;
}

static void check_site(struct ld_ctx *c, struct ld_site *s)
{
	const struct img *img = c->img;
	enum ld_kind k = s->kind;
	unsigned len = scall_kind_len(k);
	const struct img_sec *sec;
	const struct ld_tramp *t = s->tr >= 0 ? &c->res->tr[s->tr] : NULL;
	char text[160];
	uint64_t dst;
	enum br_enc enc;
	int n, st;

	s->state = LD_SITE_ERROR;
	sec = img_section_at(img, s->site, len);
	if (!sec || !(sec->flags & SHF_EXECINSTR) || sec->type == SHT_NOBITS) {
		diag(c, SEV_ERR, s->site,
		     "site record points outside every executable section; "
		     "the record is corrupt, rebuild");
		return;
	}
	if (img->symsrc == IMG_SYMS_SYMTAB && !img_func_at(img, s->site)) {
		diag(c, SEV_ERR, s->site,
		     "site is not inside any function symbol; only compiler-"
		     "emitted calls may be recorded, rebuild");
		return;
	}
	if (!t) {
		char w[256];

		diag(c, SEV_ERR, s->site,
		     "site record names %s, which has no trampoline record; "
		     "the record is corrupt or its trampoline was discarded, "
		     "rebuild", img_where(img, s->tramp, w, sizeof(w)));
		return;
	}
	n = dis_one(img, s->site, &enc, &dst, text, sizeof(text));
	if (n == 0) {
		diag(c, SEV_ERR, s->site,
		     "site does not decode as an instruction; the record is "
		     "corrupt, rebuild");
		return;
	}
	if (t->bound != LD_BIND_UNCHECKED) {
		if (!bound_site_ok(c, s, t, text))
			return;
		goto placed;
	}
	if (enc == BR_NONE || enc == BR_OTHER) {
		diag(c, SEV_ERR, s->site,
		     "site is '%s', not a %s rel32 to %s; the code was changed "
		     "after the compiler recorded it, rebuild without "
		     "post-processing", text, ld_kind_name(k), t->name);
		return;
	}
	if ((enum ld_kind)enc != k) {
		diag(c, SEV_ERR, s->site,
		     "site is a %s ('%s') but its record says %s; the record is "
		     "corrupt, rebuild", ld_enc_name(enc), text, ld_kind_name(k));
		return;
	}
	if (dst != s->tramp) {
		long o = tramps_find(c->res, dst);

		diag(c, SEV_ERR, s->site,
		     "site branches to %s but its record names trampoline %s; "
		     "patching would change the callee, rebuild",
		     o >= 0 ? c->res->tr[o].name : text, t->name);
		return;
	}
placed:
	st = dis_is_start(&c->dis, s->site);
	if (st == 0) {
		diag(c, SEV_ERR, s->site,
		     "site is not on an instruction boundary of the disassembly; "
		     "the record points into another instruction, rebuild");
		return;
	}
	if (t->bad) {
		s->state = LD_SITE_BAD_TRAMP;
		return;
	}
	s->state = LD_SITE_OK;
}

void sites_check(struct ld_ctx *c)
{
	struct ld_result *r = c->res;
	size_t i;

	for (i = 0; i < r->nsites; i++) {
		struct ld_site *s = &r->sites[i];

		if (ld_kind_live(s->kind))
			check_site(c, s);
		else if (s->kind == LD_KIND_NONE &&
			 s->state == LD_SITE_UNCHECKED)
			s->state = LD_SITE_DEAD;
	}
}

static int cmp_br_dst(const void *a, const void *b)
{
	const struct branch *x = a, *y = b;

	if (x->dst != y->dst)
		return x->dst < y->dst ? -1 : 1;
	return x->src < y->src ? -1 : x->src > y->src;
}

void into_build(struct ld_ctx *c)
{
	size_t n = c->dis.nbr, nb = branches_edges(c->res, NULL);
	struct branch *bydst = malloc((n + nb ? n + nb : 1) * sizeof(*bydst));

	if (!bydst) {
		c->oom = 1;
		return;
	}
	if (n)
		memcpy(bydst, c->dis.br, n * sizeof(*bydst));
	branches_edges(c->res, bydst + n);
	n += nb;
	if (n)
		qsort(bydst, n, sizeof(*bydst), cmp_br_dst);
	c->bydst = bydst;
	c->nbydst = n;
}

size_t into_first(const struct ld_ctx *c, uint64_t addr)
{
	size_t lo = 0, hi = c->nbydst;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->bydst[mid].dst < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void sites_check_branches_into(struct ld_ctx *c)
{
	struct ld_result *r = c->res;
	size_t i, k;

	for (i = 0; i < r->nsites; i++) {
		struct ld_site *s = &r->sites[i];
		uint64_t b = s->site + scall_kind_len(s->kind);

		if (!ld_kind_live(s->kind))
			continue;
		for (k = into_first(c, s->site + 1);
		     k < c->nbydst && c->bydst[k].dst < b; k++) {
			const struct branch *e = &c->bydst[k];
			char from[256];

			img_where(c->img, e->src, from, sizeof(from));
			diag(c, SEV_ERR, s->site,
			     "%s at %s targets byte %llu of this site; "
			     "patching the site would break it, build the "
			     "function without this call converted",
			     e->enc == BR_NONE ? "the jmp of the branch record" :
						 "branch",
			     from, (unsigned long long)(e->dst - s->site));
			s->state = LD_SITE_ERROR;
		}
	}
}

static int cmp_site_addr(const void *key, const void *elt)
{
	uint64_t a = *(const uint64_t *)key;
	const struct ld_site *s = elt;

	return a < s->site ? -1 : a > s->site;
}

void sites_find_unrecorded(struct ld_ctx *c)
{
	struct ld_result *r = c->res;
	size_t i;

	for (i = 0; i < c->dis.nbr; i++) {
		const struct branch *b = &c->dis.br[i];
		long t = tramps_find(r, b->dst);
		const struct ld_site *s;
		struct ld_unrec *u;

		if (t < 0)
			continue;
		s = bsearch(&b->src, r->sites, r->nsites, sizeof(*r->sites),
			    cmp_site_addr);
		if (s) {
			/* bsearch may land on any of equal addresses */
			while (s > r->sites && s[-1].site == b->src)
				s--;
			for (; s < r->sites + r->nsites && s->site == b->src; s++)
				if (s->kind != LD_KIND_NONE)
					break;
			if (s < r->sites + r->nsites && s->site == b->src)
				continue;
		}
		if (b->enc == BR_OTHER)
			diag(c, SEV_WARN, b->src,
			     "short or prefixed branch to trampoline %s has no "
			     "site record; it stays on the trampoline (correct, "
			     "one extra jump), report it as a toolchain bug",
			     r->tr[t].name);
		else
			diag(c, SEV_WARN, b->src,
			     "%s to trampoline %s has no site record; it stays on "
			     "the trampoline (correct, one extra jump), rebuild "
			     "this object with the scall plugin",
			     ld_enc_name((enum br_enc)b->enc), r->tr[t].name);
		u = realloc(r->un, (r->nun + 1) * sizeof(*u));
		if (!u) {
			c->oom = 1;
			return;
		}
		r->un = u;
		u[r->nun].src = b->src;
		u[r->nun].dst = b->dst;
		u[r->nun].enc = (enum br_enc)b->enc;
		u[r->nun].tr = t;
		r->nun++;
	}
}
