/* SPDX-License-Identifier: MIT */
/*
 * check_records.c - the three scall sections read as records: their sizes
 * and header, each record's kind and flags, duplicates and overlaps
 * between site records, and the order of the sorted table.
 */
#include "checks.h"

#include <elf.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rd64(const uint8_t *p)
{
	return scall_get32(p) | (uint64_t)scall_get32(p + 4) << 32;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* A field that holds "target - &field". */
static uint64_t pcrel(uint64_t field_addr, const uint8_t *p)
{
	return field_addr + (uint64_t)(int64_t)(int32_t)scall_get32(p);
}

static int nobits(struct ld_ctx *c, const struct img_sec *s)
{
	return corrupt(c, "section %s holds no data (NOBITS): a separate "
			  "debug file? run scall-ld on the executable",
		       s->name);
}

static int cmp_tramp(const void *a, const void *b)
{
	const struct ld_tramp *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int records_read_tramps(struct ld_ctx *c, const struct img_sec *s)
{
	struct ld_result *r = c->res;
	const size_t sz = sizeof(struct scall_tramp);
	size_t i, n;

	if (s->type == SHT_NOBITS)
		return nobits(c, s);
	if (s->size % sz)
		return corrupt(c, "section %s: size %llu is not a multiple of %zu: "
				  "corrupt trampoline records", s->name,
			       (unsigned long long)s->size, sz);
	n = s->size / sz;
	r->tr = calloc(n ? n : 1, sizeof(*r->tr));
	if (!r->tr)
		return corrupt(c, "out of memory");
	for (i = 0; i < n; i++) {
		const uint8_t *p = c->img->buf + s->off + i * sz;
		uint64_t at = s->addr + i * sz;
		struct ld_tramp *t = &r->tr[i];

		t->rec = at;
		t->key = rd64(p + offsetof(struct scall_tramp, key));
		t->addr = pcrel(at + offsetof(struct scall_tramp, tramp),
				p + offsetof(struct scall_tramp, tramp));
		t->flags = scall_get32(p + offsetof(struct scall_tramp, flags));
	}
	r->ntr = n;
	qsort(r->tr, n, sizeof(*r->tr), cmp_tramp);
	return 0;
}

int records_read_sites(struct ld_ctx *c, const struct img_sec *sec)
{
	struct ld_result *r = c->res;
	const size_t sz = sizeof(struct scall_site);
	size_t i, n;

	if (sec->type == SHT_NOBITS)
		return nobits(c, sec);
	if (sec->size % sz || sec->addr % _Alignof(struct scall_site))
		return corrupt(c, "section %s: size %llu is not a multiple of %zu "
				  "or address 0x%llx not %zu-aligned: corrupt site "
				  "records", sec->name,
			       (unsigned long long)sec->size, sz,
			       (unsigned long long)sec->addr,
			       _Alignof(struct scall_site));
	n = sec->size / sz;
	if (n > UINT32_MAX)
		return corrupt(c, "section %s: too many records", sec->name);
	r->sites = calloc(n ? n : 1, sizeof(*r->sites));
	if (!r->sites)
		return corrupt(c, "out of memory");
	for (i = 0; i < n; i++) {
		const uint8_t *p = c->img->buf + sec->off + i * sz;
		struct ld_site *s = &r->sites[i];
		uint64_t at = sec->addr + i * sz;

		s->site = pcrel(at + offsetof(struct scall_site, site),
				p + offsetof(struct scall_site, site));
		s->tramp = pcrel(at + offsetof(struct scall_site, tramp),
				 p + offsetof(struct scall_site, tramp));
		s->info = scall_get32(p + offsetof(struct scall_site, info));
		s->kind = (enum ld_kind)(s->info & SCALL_SITE_KIND_MASK);
		s->idx = (uint32_t)i;
		s->tr = tramps_find(r, s->tramp);
		s->state = LD_SITE_UNCHECKED;
	}
	r->nsites = n;
	return 0;
}

int records_read_module(struct ld_ctx *c, const struct img_sec *m,
			const struct img_sec *sites)
{
	struct ld_result *r = c->res;
	const uint8_t *p;
	uint32_t magic, hsize;
	uint16_t version;

	if (m->type == SHT_NOBITS)
		return nobits(c, m);
	if (m->size < SCALL_MODULE_MIN_SIZE)
		return corrupt(c, "section %s is %llu bytes, smaller than a "
				  "%u-byte module header: corrupt", m->name,
			       (unsigned long long)m->size, SCALL_MODULE_MIN_SIZE);
	p = c->img->buf + m->off;
	magic = scall_get32(p + offsetof(struct scall_module, magic));
	version = rd16(p + offsetof(struct scall_module, version));
	r->old_flags = rd16(p + SCALL_MODULE_OFF_FLAGS);
	r->old_nsites = scall_get32(p + SCALL_MODULE_OFF_NSITES);
	if (magic != SCALL_MODULE_MAGIC)
		return corrupt(c, "section %s: bad magic 0x%08x: corrupt module "
				  "header", m->name, magic);
	if (version != SCALL_FORMAT_VERSION)
		return corrupt(c, "section %s: format version %u, this scall-ld "
				  "knows %u: update scall-ld", m->name, version,
			       SCALL_FORMAT_VERSION);
	hsize = scall_module_size(scall_get32(p + SCALL_MODULE_OFF_SIZE));
	if (!hsize)
		return corrupt(c, "section %s: header size %u is not a whole "
				  "number of %u-byte words of at least %u: corrupt "
				  "module header", m->name,
			       scall_get32(p + SCALL_MODULE_OFF_SIZE),
			       SCALL_MODULE_SIZE_ALIGN, SCALL_MODULE_MIN_SIZE);
	if (m->size != hsize)
		return corrupt(c, "section %s is %llu bytes, expected one %u-byte "
				  "module header: corrupt, or objects built "
				  "without COMDAT groups", m->name,
			       (unsigned long long)m->size, hsize);
	if (r->old_flags & ~SCALL_MODULE_FLAGS_MASK)
		return corrupt(c, "section %s: unknown header flags 0x%x: corrupt "
				  "module header, or scall-ld is too old",
			       m->name, r->old_flags);
	if (!scall_module_size_fits(hsize, r->old_flags))
		return corrupt(c, "section %s: flags 0x%x need a %u-byte header, "
				  "the header is %u bytes: corrupt module header",
			       m->name, r->old_flags, SCALL_MODULE_SIZE, hsize);
	{
		/* Filled in by the static linker in non-PIE files; relocated
		 * (possibly zero in the file) otherwise. */
		uint64_t ss = rd64(p + offsetof(struct scall_module, sites_start));
		uint64_t se = rd64(p + offsetof(struct scall_module, sites_stop));

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

void records_check_kinds(struct ld_ctx *c)
{
	struct ld_result *r = c->res;
	size_t i;

	for (i = 0; i < r->nsites; i++) {
		struct ld_site *s = &r->sites[i];

		if (s->info & SCALL_SITE_FLAGS_MASK) {
			diag(c, SEV_ERR, s->site,
			     "site record has unknown flags 0x%x; update scall-ld "
			     "or rebuild", s->info & SCALL_SITE_FLAGS_MASK);
			s->kind = LD_KIND_INVALID;
		} else if (s->kind > LD_KIND_UNRESOLVED) {
			diag(c, SEV_ERR, s->site,
			     "site record has unknown kind %u; update scall-ld or "
			     "rebuild", (unsigned)s->kind);
			s->kind = LD_KIND_INVALID;
		}
		if (s->kind == LD_KIND_INVALID)
			s->state = LD_SITE_ERROR;
	}
}

/* Address, then kind (so a dead record sorts before a live one at the
 * same address, and an invalid one after), then trampoline, then the
 * order found: a total order, so the table is the same on every run. */
static int cmp_site(const void *a, const void *b)
{
	const struct ld_site *x = a, *y = b;

	if (x->site != y->site)
		return x->site < y->site ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->tramp != y->tramp)
		return x->tramp < y->tramp ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void records_sort(struct ld_ctx *c)
{
	qsort(c->res->sites, c->res->nsites, sizeof(*c->res->sites), cmp_site);
}

void records_check_overlaps(struct ld_ctx *c)
{
	struct ld_result *r = c->res;
	size_t i, prev = SIZE_MAX;

	for (i = 0; i < r->nsites; i++) {
		struct ld_site *s = &r->sites[i];

		if (!ld_kind_live(s->kind))
			continue;
		if (prev != SIZE_MAX) {
			struct ld_site *p = &r->sites[prev];

			if (p->site == s->site) {
				diag(c, SEV_ERR, s->site,
				     "duplicate site record (records %u and %u); "
				     "an object was linked twice or the record is "
				     "corrupt, rebuild", p->idx, s->idx);
				s->state = LD_SITE_ERROR;
				continue;
			}
			if (s->site - p->site < scall_kind_len(p->kind)) {
				char w[256];

				diag(c, SEV_ERR, s->site,
				     "site record overlaps the site at %s; the "
				     "record is corrupt, rebuild",
				     img_where(c->img, p->site, w, sizeof(w)));
				s->state = LD_SITE_ERROR;
				continue;
			}
		}
		prev = i;
	}
}
