/* SPDX-License-Identifier: MIT */
/*
 * check.c - the four validations of every site record, trampoline checks,
 * kind-4 resolution, unrecorded-site detection and the sorted table.
 */
#include "check.h"

#include <elf.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "scall/format.h"

struct ctx {
	const struct img *img;
	const struct ld_opts *o;
	struct ld_result *res;
	FILE *err;
	struct disasm dis;
	int oom;
};

static uint64_t rd64(const uint8_t *p)
{
	return scall_get32(p) | (uint64_t)scall_get32(p + 4) << 32;
}

static void diag(struct ctx *c, int sev, uint64_t addr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void diag(struct ctx *c, int sev, uint64_t addr, const char *fmt, ...)
{
	static const char *const names[] = { "note", "warning", "error" };
	struct ld_result *r = c->res;
	char where[256], msg[768], *line;
	va_list ap;
	size_t n;

	if (sev == SEV_WARN && c->o->strict)
		sev = SEV_ERR;
	if (sev == SEV_ERR)
		r->nerr++;
	else if (sev == SEV_WARN)
		r->nwarn++;
	if (addr == UINT64_MAX)
		snprintf(where, sizeof(where), "%s", "scall");
	else
		img_where(c->img, addr, where, sizeof(where));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err)
		fprintf(c->err, "%s: %s: %s: %s\n", c->img->path, where,
			names[sev], msg);
	n = strlen(where) + strlen(msg) + 16;
	line = malloc(n);
	if (!line) {
		c->oom = 1;
		return;
	}
	snprintf(line, n, "%s: %s: %s", where, names[sev], msg);
	{
		struct ld_diag *d = realloc(r->diags, (r->ndiags + 1) * sizeof(*d));

		if (!d) {
			free(line);
			c->oom = 1;
			return;
		}
		r->diags = d;
		d[r->ndiags].sev = sev;
		d[r->ndiags].text = line;
		r->ndiags++;
	}
}

/* A structural problem: one line, exit code 3. */
static int corrupt(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int corrupt(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err) {
		fprintf(c->err, "%s: ", c->img->path);
		va_start(ap, fmt);
		vfprintf(c->err, fmt, ap);
		va_end(ap);
		fputc('\n', c->err);
	}
	c->res->status = 3;
	return 3;
}

static const char *const kind_names[] = { "none", "call", "jmp", "jcc",
					   "unresolved" };

static unsigned kind_of(uint32_t info)
{
	return info & SCALL_SITE_KIND_MASK;
}

/* ---------------------------------------------------------------- */
/* Trampolines                                                       */
/* ---------------------------------------------------------------- */

static void tramp_names(struct ctx *c, struct ld_tramp *t)
{
	const struct img *img = c->img;
	const struct img_sym *s = img_func_start(img, t->addr);
	const char *best = NULL;

	for (; s && s < img->syms + img->nsyms && s->addr == t->addr; s++) {
		if (!strncmp(s->name, SCALL_SYM_TRAMP_PREFIX,
			     strlen(SCALL_SYM_TRAMP_PREFIX)) ||
		    !strncmp(s->name, SCALL_SYM_CTRAMP_PREFIX,
			     strlen(SCALL_SYM_CTRAMP_PREFIX))) {
			best = s->name;
			break;
		}
		if (!best)
			best = s->name;
	}
	if (best)
		snprintf(t->name, sizeof(t->name), "%s", best);
	else
		snprintf(t->name, sizeof(t->name), "tramp@0x%llx",
			 (unsigned long long)t->addr);
	if (best && !strncmp(best, SCALL_SYM_TRAMP_PREFIX,
			     strlen(SCALL_SYM_TRAMP_PREFIX)))
		snprintf(t->key_name, sizeof(t->key_name), "%s",
			 best + strlen(SCALL_SYM_TRAMP_PREFIX));
	else if (best && !strncmp(best, SCALL_SYM_CTRAMP_PREFIX,
				  strlen(SCALL_SYM_CTRAMP_PREFIX)))
		snprintf(t->key_name, sizeof(t->key_name), "%s",
			 best + strlen(SCALL_SYM_CTRAMP_PREFIX));
	else if (t->key)
		snprintf(t->key_name, sizeof(t->key_name), "key@0x%llx",
			 (unsigned long long)t->key);
	else
		snprintf(t->key_name, sizeof(t->key_name), "key@tramp 0x%llx",
			 (unsigned long long)t->addr);
}

static void check_tramp_body(struct ctx *c, struct ld_tramp *t)
{
	static const uint8_t tail_plain[] = { SCALL_TRAMP_TAIL_PLAIN };
	static const uint8_t tail_cond[] = { SCALL_TRAMP_TAIL_COND };
	const struct img_sec *s = img_section_at(c->img, t->addr, 1);
	const uint8_t *p;
	size_t want, ll = 0;
	int64_t disp = 0;

	if (!s || !(s->flags & SHF_EXECINSTR) || s->type == SHT_NOBITS) {
		diag(c, SEV_ERR, t->addr,
		     "trampoline %s is not in an executable section of the file; "
		     "the trampoline record is corrupt, rebuild", t->name);
		t->bad = 1;
		return;
	}
	if (t->flags & ~SCALL_TRAMP_FLAGS_MASK) {
		diag(c, SEV_ERR, t->addr,
		     "trampoline %s has unknown flags 0x%x; this scall-ld is "
		     "older than the compiler, update it", t->name, t->flags);
		t->bad = 1;
		return;
	}
	/* The window and the key load (3, 4 or 7 bytes); then, except in
	 * retpoline bodies, the fixed tail. */
	p = img_bytes(c->img, t->addr,
		      SCALL_TRAMP_INSN_LEN + SCALL_TRAMP_LOAD_LEN);
	if (p) {
		const uint8_t *q = img_bytes(c->img, t->addr,
					     SCALL_TRAMP_INSN_LEN +
						     SCALL_TRAMP_LOAD_MAX_LEN);

		ll = scall_tramp_key_load(q ? q + SCALL_TRAMP_INSN_LEN
					    : p + SCALL_TRAMP_INSN_LEN,
					  q ? SCALL_TRAMP_LOAD_MAX_LEN
					    : SCALL_TRAMP_LOAD_LEN,
					  &disp);
		if (q)
			p = q;
	}
	want = SCALL_TRAMP_INSN_LEN + ll +
	       (t->flags & SCALL_TRAMP_RETPOLINE ? 0 :
		t->flags & SCALL_TRAMP_COND ? sizeof(tail_cond) : sizeof(tail_plain));
	if (p && ll)
		p = img_bytes(c->img, t->addr, want);
	if (!p || !ll || !scall_tramp_is_indirect(p) ||
	    memcmp(p + SCALL_TRAMP_INSN_LEN + ll,
		   t->flags & SCALL_TRAMP_COND ? tail_cond : tail_plain,
		   want - SCALL_TRAMP_INSN_LEN - ll)) {
		char text[160];
		int enc;
		uint64_t dst;

		dis_one(c->img, t->addr, &enc, &dst, text, sizeof(text));
		if (p && scall_tramp_is_movimm(p)) {
			diag(c, SEV_ERR, t->addr,
			     "trampoline %s starts with '%s': the linker relaxed "
			     "movq key@GOTPCREL(%%rip) (R_X86_64_REX_GOTPCRELX, "
			     "-no-pie), which the runtime cannot patch; emit a "
			     "plain R_X86_64_GOTPCREL as the scall plugin does, or "
			     "assemble with -Wa,-mrelax-relocations=no", t->name,
			     text);
			t->bad = 1;
			return;
		}
		diag(c, SEV_ERR, t->addr,
		     "trampoline %s does not have the indirect-state body of a %s "
		     "trampoline (starts with '%s'); it was not emitted by the "
		     "scall toolchain or was modified, rebuild", t->name,
		     t->flags & SCALL_TRAMP_COND ? "cond" : "plain",
		     text[0] ? text : "(bad)");
		t->bad = 1;
		return;
	}
	/* leaq key(%rip): the trampoline names its key itself (plus the
	 * member offset of its key load).  The record's key is checked when
	 * the file holds it (it is 0 in the file when only a symbolic
	 * dynamic relocation will fill it in). */
	if (scall_tramp_is_lea(p) && t->key) {
		uint64_t k = scall_tramp_rel_target(p, t->addr) + (uint64_t)disp;

		if (k != t->key) {
			diag(c, SEV_ERR, t->addr,
			     "trampoline %s loads key 0x%llx but its record names "
			     "key 0x%llx; the trampoline record is corrupt, rebuild",
			     t->name, (unsigned long long)k,
			     (unsigned long long)t->key);
			t->bad = 1;
		}
	}
}

static long find_tramp(const struct ld_result *r, uint64_t addr)
{
	size_t lo = 0, hi = r->ntr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->tr[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->ntr && r->tr[lo].addr == addr ? (long)lo : -1;
}

static int cmp_tramp(const void *a, const void *b)
{
	const struct ld_tramp *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int read_tramps(struct ctx *c, const struct img_sec *s)
{
	struct ld_result *r = c->res;
	size_t i, n;

	if (s->type == SHT_NOBITS)
		return corrupt(c, "section %s holds no data (NOBITS): a separate "
				  "debug file? run scall-ld on the executable",
			       s->name);
	if (s->size % sizeof(struct scall_tramp))
		return corrupt(c, "section %s: size %llu is not a multiple of %zu: "
				  "corrupt trampoline records", s->name,
			       (unsigned long long)s->size,
			       sizeof(struct scall_tramp));
	n = s->size / sizeof(struct scall_tramp);
	r->tr = calloc(n ? n : 1, sizeof(*r->tr));
	if (!r->tr)
		return corrupt(c, "out of memory");
	for (i = 0; i < n; i++) {
		const uint8_t *p = c->img->buf + s->off + i * 16;
		struct ld_tramp *t = &r->tr[i];

		t->key = rd64(p);
		t->addr = s->addr + i * 16 + 8 + (uint64_t)(int64_t)(int32_t)scall_get32(p + 8);
		t->flags = scall_get32(p + 12);
	}
	r->ntr = n;
	qsort(r->tr, n, sizeof(*r->tr), cmp_tramp);
	for (i = 0; i < n; i++) {
		tramp_names(c, &r->tr[i]);
		if (i && r->tr[i].addr == r->tr[i - 1].addr) {
			diag(c, SEV_ERR, r->tr[i].addr,
			     "two trampoline records name %s; the COMDAT group "
			     "was broken, rebuild", r->tr[i].name);
			r->tr[i].bad = 1;
			continue;
		}
		check_tramp_body(c, &r->tr[i]);
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* Sites                                                             */
/* ---------------------------------------------------------------- */

static int cmp_br_src(const void *a, const void *b)
{
	const struct branch *x = a, *y = b;

	return x->src < y->src ? -1 : x->src > y->src;
}

static int cmp_br_dst(const void *a, const void *b)
{
	const struct branch *x = a, *y = b;

	if (x->dst != y->dst)
		return x->dst < y->dst ? -1 : 1;
	return x->src < y->src ? -1 : x->src > y->src;
}

static int cmp_site(const void *a, const void *b)
{
	const struct ld_site *x = a, *y = b;

	if (x->site != y->site)
		return x->site < y->site ? -1 : 1;
	if (x->info != y->info)
		return x->info < y->info ? -1 : 1;
	if (x->tramp != y->tramp)
		return x->tramp < y->tramp ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

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

static const struct ld_site *sort_base;

static int cmp_k4(const void *a, const void *b)
{
	const struct ld_site *x = &sort_base[*(const uint32_t *)a];
	const struct ld_site *y = &sort_base[*(const uint32_t *)b];

	if (x->site != y->site)
		return x->site < y->site ? -1 : 1;
	if (x->tramp != y->tramp)
		return x->tramp < y->tramp ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Kind 4: (function, trampoline) groups get the function's branches to the
 * trampoline, in address order (docs/format.md). */
static void resolve_unresolved(struct ctx *c)
{
	struct ld_result *r = c->res;
	struct ld_site *s = r->sites;
	size_t i, k, g, ng, n4 = 0, n = r->nsites;
	uint32_t *grp;

	for (i = 0; i < n; i++)
		n4 += kind_of(s[i].info) == SCALL_KIND_UNRESOLVED;
	if (!n4)
		return;
	grp = malloc(n4 * sizeof(*grp));
	if (!grp) {
		c->oom = 1;
		return;
	}
	for (i = k = 0; i < n; i++)
		if (kind_of(s[i].info) == SCALL_KIND_UNRESOLVED)
			grp[k++] = (uint32_t)i;
	sort_base = s;
	qsort(grp, n4, sizeof(*grp), cmp_k4);
	for (g = 0; g < n4; g += ng) {
		uint64_t fn = s[grp[g]].site, tramp = s[grp[g]].tramp;
		long tr = s[grp[g]].tr;
		const struct img_sym *f;
		size_t b;

		for (ng = 1; g + ng < n4 && s[grp[g + ng]].site == fn &&
			     s[grp[g + ng]].tramp == tramp; ng++)
			;
		f = img_func_start(c->img, fn);
		if (!f || !f->size) {
			diag(c, SEV_ERR, fn,
			     "kind-4 record names 0x%llx, which is not the start "
			     "of a function symbol; run scall-ld before strip, "
			     "or keep .symtab", (unsigned long long)fn);
			for (k = 0; k < ng; k++)
				s[grp[g + k]].state = "error";
			continue;
		}
		b = br_lower(c->dis.br, c->dis.nbr, f->addr);
		k = 0;
		for (; b < c->dis.nbr && c->dis.br[b].src - f->addr < f->size; b++) {
			const struct branch *br = &c->dis.br[b];

			if (br->dst != tramp || br->enc == BR_OTHER)
				continue;
			if (k < ng) {
				s[grp[g + k]].site = br->src;
				s[grp[g + k]].info = (uint32_t)br->enc;
				s[grp[g + k]].state = "resolved";
				k++;
			}
			/* extra sites stay unrecorded and are reported so */
		}
		if (k < ng && c->o->verbose)
			diag(c, SEV_NOTE, f->addr,
			     "%zu of %zu kind-4 records for %s found no call; "
			     "they become dead records", ng - k, ng,
			     tr >= 0 ? r->tr[tr].name : "?");
		for (; k < ng; k++) {
			s[grp[g + k]].info = SCALL_KIND_NONE;
			s[grp[g + k]].state = "dead";
		}
	}
	free(grp);
}

static void check_site(struct ctx *c, struct ld_site *s)
{
	const struct img *img = c->img;
	unsigned k = kind_of(s->info), len = scall_kind_len(k);
	const struct img_sec *sec;
	const struct ld_tramp *t = s->tr >= 0 ? &c->res->tr[s->tr] : NULL;
	char text[160];
	uint64_t dst;
	int enc, n, st;

	s->state = "error";
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
	if (enc == 0 || enc == BR_OTHER) {
		diag(c, SEV_ERR, s->site,
		     "site is '%s', not a %s rel32 to %s; the code was changed "
		     "after the compiler recorded it, rebuild without "
		     "post-processing", text, kind_names[k], t->name);
		return;
	}
	if ((unsigned)enc != k) {
		diag(c, SEV_ERR, s->site,
		     "site is a %s ('%s') but its record says %s; the record is "
		     "corrupt, rebuild", kind_names[enc], text, kind_names[k]);
		return;
	}
	if (dst != s->tramp) {
		long o = find_tramp(c->res, dst);

		diag(c, SEV_ERR, s->site,
		     "site branches to %s but its record names trampoline %s; "
		     "patching would change the callee, rebuild",
		     o >= 0 ? c->res->tr[o].name : text, t->name);
		return;
	}
	st = dis_is_start(&c->dis, s->site);
	if (st == 0) {
		diag(c, SEV_ERR, s->site,
		     "site is not on an instruction boundary of the disassembly; "
		     "the record points into another instruction, rebuild");
		return;
	}
	if (t->bad) {
		s->state = "bad-trampoline";
		return;
	}
	s->state = "ok";
}

static void branches_into_sites(struct ctx *c, struct branch *bydst,
				size_t nbr)
{
	struct ld_result *r = c->res;
	size_t i, lo;

	for (i = 0; i < r->nsites; i++) {
		struct ld_site *s = &r->sites[i];
		unsigned k = kind_of(s->info);
		uint64_t a = s->site + 1, b = s->site + scall_kind_len(k);
		size_t hi = nbr;

		if (k < SCALL_KIND_CALL || k > SCALL_KIND_JCC)
			continue;
		lo = 0;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (bydst[mid].dst < a)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < nbr && bydst[lo].dst < b; lo++) {
			char from[256];

			img_where(c->img, bydst[lo].src, from, sizeof(from));
			diag(c, SEV_ERR, s->site,
			     "branch at %s targets byte %llu of this site; "
			     "patching the site would break it, build the "
			     "function without this call converted",
			     from, (unsigned long long)(bydst[lo].dst - s->site));
			s->state = "error";
		}
	}
}

static void overlaps(struct ctx *c)
{
	struct ld_result *r = c->res;
	size_t i, prev = SIZE_MAX;

	for (i = 0; i < r->nsites; i++) {
		struct ld_site *s = &r->sites[i];
		unsigned k = kind_of(s->info);

		if (k < SCALL_KIND_CALL || k > SCALL_KIND_JCC)
			continue;
		if (prev != SIZE_MAX) {
			struct ld_site *p = &r->sites[prev];

			if (p->site == s->site) {
				diag(c, SEV_ERR, s->site,
				     "duplicate site record (records %u and %u); "
				     "an object was linked twice or the record is "
				     "corrupt, rebuild", p->idx, s->idx);
				s->state = "error";
				continue;
			}
			if (s->site - p->site < scall_kind_len(kind_of(p->info))) {
				char w[256];

				diag(c, SEV_ERR, s->site,
				     "site record overlaps the site at %s; the "
				     "record is corrupt, rebuild",
				     img_where(c->img, p->site, w, sizeof(w)));
				s->state = "error";
				continue;
			}
		}
		prev = i;
	}
}

static int cmp_site_addr(const void *key, const void *elt)
{
	uint64_t a = *(const uint64_t *)key;
	const struct ld_site *s = elt;

	return a < s->site ? -1 : a > s->site;
}

static void unrecorded(struct ctx *c)
{
	struct ld_result *r = c->res;
	size_t i;

	for (i = 0; i < c->dis.nbr; i++) {
		const struct branch *b = &c->dis.br[i];
		long t = find_tramp(r, b->dst);
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
				if (kind_of(s->info) != SCALL_KIND_NONE)
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
			     kind_names[b->enc], r->tr[t].name);
		u = realloc(r->un, (r->nun + 1) * sizeof(*u));
		if (!u) {
			c->oom = 1;
			return;
		}
		r->un = u;
		u[r->nun].src = b->src;
		u[r->nun].dst = b->dst;
		u[r->nun].enc = b->enc;
		u[r->nun].tr = t;
		r->nun++;
	}
}

static int read_sites(struct ctx *c, const struct img_sec *sec)
{
	struct ld_result *r = c->res;
	size_t i, n;

	if (sec->type == SHT_NOBITS)
		return corrupt(c, "section %s holds no data (NOBITS): a separate "
				  "debug file? run scall-ld on the executable",
			       sec->name);
	if (sec->size % sizeof(struct scall_site) || sec->addr % 4)
		return corrupt(c, "section %s: size %llu is not a multiple of %zu "
				  "or address 0x%llx not 4-aligned: corrupt site "
				  "records", sec->name,
			       (unsigned long long)sec->size,
			       sizeof(struct scall_site),
			       (unsigned long long)sec->addr);
	n = sec->size / sizeof(struct scall_site);
	if (n > UINT32_MAX)
		return corrupt(c, "section %s: too many records", sec->name);
	r->sites = calloc(n ? n : 1, sizeof(*r->sites));
	if (!r->sites)
		return corrupt(c, "out of memory");
	for (i = 0; i < n; i++) {
		const uint8_t *p = c->img->buf + sec->off + i * 12;
		struct ld_site *s = &r->sites[i];
		uint64_t at = sec->addr + i * 12;

		s->site = at + (uint64_t)(int64_t)(int32_t)scall_get32(p);
		s->tramp = at + 4 + (uint64_t)(int64_t)(int32_t)scall_get32(p + 4);
		s->info = scall_get32(p + 8);
		s->idx = (uint32_t)i;
		s->tr = find_tramp(r, s->tramp);
		s->state = "unchecked";
	}
	r->nsites = n;
	return 0;
}

static int read_module(struct ctx *c, const struct img_sec *m,
		       const struct img_sec *sites)
{
	struct ld_result *r = c->res;
	const uint8_t *p;
	uint32_t magic;
	uint16_t version;

	if (m->type == SHT_NOBITS)
		return corrupt(c, "section %s holds no data (NOBITS): a separate "
				  "debug file? run scall-ld on the executable",
			       m->name);
	if (m->size != SCALL_MODULE_SIZE)
		return corrupt(c, "section %s is %llu bytes, expected one %u-byte "
				  "module header: corrupt, or objects built "
				  "without COMDAT groups", m->name,
			       (unsigned long long)m->size, SCALL_MODULE_SIZE);
	p = c->img->buf + m->off;
	magic = scall_get32(p);
	version = (uint16_t)(p[4] | p[5] << 8);
	r->old_flags = (uint16_t)(p[6] | p[7] << 8);
	r->old_nsites = scall_get32(p + 8);
	if (magic != SCALL_MODULE_MAGIC)
		return corrupt(c, "section %s: bad magic 0x%08x: corrupt module "
				  "header", m->name, magic);
	if (version != SCALL_FORMAT_VERSION)
		return corrupt(c, "section %s: format version %u, this scall-ld "
				  "knows %u: update scall-ld", m->name, version,
			       SCALL_FORMAT_VERSION);
	if (r->old_flags & ~SCALL_MODULE_FLAGS_MASK)
		return corrupt(c, "section %s: unknown header flags 0x%x: corrupt "
				  "module header, or scall-ld is too old",
			       m->name, r->old_flags);
	{
		/* Filled in by the static linker in non-PIE files; relocated
		 * (possibly zero in the file) otherwise. */
		uint64_t ss = rd64(p + 16), se = rd64(p + 24);

		if (sites && (ss || se) &&
		    (ss != sites->addr || se != sites->addr + sites->size))
			return corrupt(c, "section %s: header bounds "
					  "[0x%llx, 0x%llx) do not match section "
					  "%s: corrupt module header",
				       m->name, (unsigned long long)ss,
				       (unsigned long long)se, sites->name);
	}
	return 0;
}

static void build_table(struct ctx *c)
{
	struct ld_result *r = c->res;
	const struct img_sec *sec = r->sites_sec;
	size_t i;

	r->new_flags = r->old_flags | SCALL_MODULE_VALIDATED | SCALL_MODULE_SORTED;
	r->new_nsites = (uint32_t)r->nsites;
	if (!sec)
		goto header;
	r->table = malloc(sec->size ? sec->size : 1);
	if (!r->table) {
		c->oom = 1;
		return;
	}
	for (i = 0; i < r->nsites; i++) {
		const struct ld_site *s = &r->sites[i];
		uint64_t at = sec->addr + i * 12;
		int64_t ds = (int64_t)(s->site - at), dt = (int64_t)(s->tramp - at - 4);

		if (ds != (int32_t)ds || dt != (int32_t)dt) {
			diag(c, SEV_ERR, s->site,
			     "site is out of rel32 range of %s at its sorted "
			     "position; the record is corrupt, rebuild",
			     sec->name);
			continue;
		}
		scall_put32(r->table + i * 12, (uint32_t)ds);
		scall_put32(r->table + i * 12 + 4, (uint32_t)dt);
		scall_put32(r->table + i * 12 + 8, s->info);
	}
	if (memcmp(r->table, c->img->buf + sec->off, sec->size))
		r->changed = 1;
header:
	if (r->new_flags != r->old_flags || r->new_nsites != r->old_nsites)
		r->changed = 1;
}

int ld_check(const struct img *img, const struct ld_opts *o,
	     struct ld_result *res, FILE *err)
{
	struct ctx c = { .img = img, .o = o, .res = res, .err = err };
	const struct img_sec *ss = img_section(img, SCALL_SECTION_SITES);
	const struct img_sec *ts = img_section(img, SCALL_SECTION_TRAMPS);
	const struct img_sec *ms = img_section(img, SCALL_SECTION_MODULE);
	struct branch *bydst = NULL;
	size_t i;

	memset(res, 0, sizeof(*res));
	if (!ss && !ts && !ms)
		return 0; /* nothing built with scall: nothing to do */
	res->have_scall = 1;
	res->sites_sec = ss;
	res->module_sec = ms;
	if (ts && read_tramps(&c, ts))
		return res->status;
	if (ss && read_sites(&c, ss))
		return res->status;
	if (ms && read_module(&c, ms, ss))
		return res->status;
	/* never NULL, so that qsort/bsearch get valid pointers */
	if (!res->sites)
		res->sites = calloc(1, sizeof(*res->sites));
	if (!res->tr)
		res->tr = calloc(1, sizeof(*res->tr));
	if (!res->sites || !res->tr)
		return corrupt(&c, "out of memory");
	if (!ms && res->nsites)
		diag(&c, SEV_ERR, UINT64_MAX,
		     "%zu site records but no %s header; the runtime would never "
		     "see them, link objects built by the scall toolchain only",
		     res->nsites, SCALL_SECTION_MODULE);
	if (img->symsrc != IMG_SYMS_SYMTAB && res->nsites)
		diag(&c, SEV_NOTE, UINT64_MAX,
		     "no .symtab (stripped); %s, so the inside-a-function check "
		     "is skipped and kind-4 records need exported functions",
		     img->symsrc == IMG_SYMS_DYNSYM ?
			     "naming code with .dynsym" :
			     "no symbols at all");
	if (dis_sweep(&c.dis, img, err))
		return res->status = 3;
	if (c.dis.nbr)
		qsort(c.dis.br, c.dis.nbr, sizeof(*c.dis.br), cmp_br_src);

	for (i = 0; i < res->nsites; i++) {
		struct ld_site *s = &res->sites[i];
		unsigned k = kind_of(s->info);

		if (s->info & SCALL_SITE_FLAGS_MASK) {
			diag(&c, SEV_ERR, s->site,
			     "site record has unknown flags 0x%x; update scall-ld "
			     "or rebuild", s->info & SCALL_SITE_FLAGS_MASK);
			s->info = SCALL_KIND_UNRESOLVED | 0x80000000u;
		} else if (k > SCALL_KIND_UNRESOLVED) {
			diag(&c, SEV_ERR, s->site,
			     "site record has unknown kind %u; update scall-ld or "
			     "rebuild", k);
			s->info = SCALL_KIND_UNRESOLVED | 0x80000000u;
		}
	}
	/* records flagged above are not resolved: keep them out of the way */
	for (i = 0; i < res->nsites; i++)
		if (res->sites[i].info & 0x80000000u) {
			res->sites[i].info = 0xff; /* never a live kind */
			res->sites[i].state = "error";
		}
	resolve_unresolved(&c);
	for (i = 0; i < res->nsites; i++) {
		unsigned k = kind_of(res->sites[i].info);

		if (k >= SCALL_KIND_CALL && k <= SCALL_KIND_JCC)
			check_site(&c, &res->sites[i]);
		else if (k == SCALL_KIND_NONE && !strcmp(res->sites[i].state, "unchecked"))
			res->sites[i].state = "dead";
	}
	qsort(res->sites, res->nsites, sizeof(*res->sites), cmp_site);
	overlaps(&c);
	bydst = malloc((c.dis.nbr ? c.dis.nbr : 1) * sizeof(*bydst));
	if (!bydst) {
		c.oom = 1;
	} else {
		if (c.dis.nbr) {
			memcpy(bydst, c.dis.br, c.dis.nbr * sizeof(*bydst));
			qsort(bydst, c.dis.nbr, sizeof(*bydst), cmp_br_dst);
		}
		branches_into_sites(&c, bydst, c.dis.nbr);
		free(bydst);
	}
	unrecorded(&c);
	if (!res->nerr && !c.oom && ms)
		build_table(&c);
	if (c.oom) {
		dis_free(&c.dis);
		return corrupt(&c, "out of memory");
	}
	if (o->verbose && err)
		fprintf(err, "%s: %zu site records, %zu trampolines, %zu "
			     "instructions, %zu branches, %zu unrecorded\n",
			img->path, res->nsites, res->ntr, c.dis.ninsns, c.dis.nbr,
			res->nun);
	dis_free(&c.dis);
	res->status = res->nerr ? 1 : 0;
	return res->status;
}

void ld_result_free(struct ld_result *res)
{
	size_t i;

	for (i = 0; i < res->ndiags; i++)
		free(res->diags[i].text);
	free(res->diags);
	free(res->sites);
	free(res->tr);
	free(res->un);
	free(res->table);
	memset(res, 0, sizeof(*res));
}

uint8_t *ld_apply(const struct img *img, const struct ld_result *res)
{
	uint8_t *out = malloc(img->len ? img->len : 1);
	uint8_t *h;

	if (!out)
		return NULL;
	memcpy(out, img->buf, img->len);
	if (res->table)
		memcpy(out + res->sites_sec->off, res->table,
		       res->sites_sec->size);
	h = out + res->module_sec->off;
	h[SCALL_MODULE_OFF_FLAGS] = (uint8_t)res->new_flags;
	h[SCALL_MODULE_OFF_FLAGS + 1] = (uint8_t)(res->new_flags >> 8);
	scall_put32(h + SCALL_MODULE_OFF_NSITES, res->new_nsites);
	return out;
}

int ld_process(const uint8_t *buf, size_t len, const char *path,
	       const struct ld_opts *o, FILE *err, FILE *out,
	       uint8_t **patched)
{
	struct img img;
	struct ld_result res;
	int rc;

	*patched = NULL;
	rc = img_open(&img, buf, len, path, err);
	if (rc) {
		img_close(&img);
		return rc;
	}
	rc = ld_check(&img, o, &res, err);
	if (rc != 3 && out && o->json)
		ld_json(&img, &res, out);
	else if (rc != 3 && out && o->report)
		ld_report(&img, &res, out);
	if (rc == 0 && res.changed) {
		*patched = ld_apply(&img, &res);
		if (!*patched) {
			if (err)
				fprintf(err, "%s: out of memory\n", path);
			rc = 3;
		}
	}
	ld_result_free(&res);
	img_close(&img);
	return rc;
}
