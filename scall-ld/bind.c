/* SPDX-License-Identifier: MIT */
/*
 * bind.c - what each key holds when its module is loaded, as far as the
 * linked file fixes it: a function of this file, NULL or scall_return0
 * (a target that can be bound at link time), or the reason it cannot be
 * known here.  Reads the key's bytes and the dynamic relocations that
 * will write them (elfimg.c); decides nothing about the checks.
 */
#include "checks.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

/* The runtime's function that scall_return0 sites become xorl for. */
#define RET0_SYM "scall_return0"

struct dynrel {
	struct img_rela *r; /* the allocated SHT_RELA sections only */
	size_t n;
};

/* Relocations the loader applies: those of allocated sections.  The ones
 * --emit-relocs keeps describe the static link and are never applied. */
static int dynrel_read(struct ld_ctx *c, struct dynrel *d)
{
	size_t i, n = 0;

	if (img_relas(c->img, &d->r, &d->n, c->err))
		return -1;
	for (i = 0; i < d->n; i++)
		if (d->r[i].sec->flags & SHF_ALLOC)
			d->r[n++] = d->r[i];
	d->n = n;
	return 0;
}

/* A COPY relocation fills [off, off + size) from another module. */
static int copied_in(const struct dynrel *d, uint64_t addr)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->r[i].type == R_X86_64_COPY &&
		    addr - d->r[i].offset < d->r[i].sym_size)
			return 1;
	return 0;
}

static int is_code(const struct img *img, uint64_t addr)
{
	const struct img_sec *s = img_section_at(img, addr, 1);

	return s && (s->flags & SHF_EXECINSTR) && s->type != SHT_NOBITS;
}

static int is_ret0(const struct img *img, uint64_t addr)
{
	const struct img_sym *s = img_func_start(img, addr);

	for (; s && s < img->syms + img->nsyms && s->addr == addr; s++)
		if (!strcmp(s->name, RET0_SYM))
			return 1;
	return 0;
}

/* The key's address in this file, from its record. */
static enum ld_bind key_of(struct ld_ctx *c, const struct dynrel *d,
			   const struct ld_tramp *t, uint64_t *key)
{
	const struct img_rela *r = img_rela_at(
		d->r, d->n, t->rec + offsetof(struct scall_tramp, key));
	const struct img_sec *s;

	if (r && r->type != R_X86_64_RELATIVE)
		return LD_BIND_KEY_EXTERN; /* bound by symbol at load time */
	*key = r ? (uint64_t)r->addend : t->key;
	s = img_section_at(c->img, *key, sizeof(uint64_t));
	if (!*key || !s || !(s->flags & SHF_WRITE))
		return LD_BIND_KEY_EXTERN;
	if (copied_in(d, *key))
		return LD_BIND_KEY_EXTERN;
	return LD_BIND_UNCHECKED;
}

/* What the loader leaves in the key at addr. */
static enum ld_bind value_of(struct ld_ctx *c, const struct dynrel *d,
			     uint64_t addr, uint64_t *v)
{
	const struct img *img = c->img;
	const struct img_rela *r = img_rela_at(d->r, d->n, addr);
	const struct img_sec *s = img_section_at(img, addr, sizeof(uint64_t));
	const uint8_t *p;

	if (r && r->type == R_X86_64_RELATIVE) {
		*v = (uint64_t)r->addend;
	} else if (r) {
		/* By symbol: another module's, or this one's if nothing
		 * interposes; only scall_return0 has a form that does not
		 * depend on where it is. */
		if ((r->type == R_X86_64_64 || r->type == R_X86_64_GLOB_DAT) &&
		    !strcmp(r->sym_name, RET0_SYM) && r->addend == 0)
			return LD_BIND_RET0;
		return LD_BIND_TARGET_EXTERN;
	} else if (s->type == SHT_NOBITS) {
		*v = 0;
	} else {
		p = img_bytes(img, addr, sizeof(uint64_t));
		if (!p)
			return LD_BIND_TARGET_UNKNOWN;
		*v = (uint64_t)scall_get32(p) |
		     (uint64_t)scall_get32(p + 4) << 32;
		/* Without a relocation a position-independent file can only
		 * hold 0 there as a pointer. */
		if (*v && img->etype != ET_EXEC)
			return LD_BIND_TARGET_UNKNOWN;
	}
	if (!*v)
		return LD_BIND_NULL;
	if (!is_code(img, *v))
		return LD_BIND_TARGET_UNKNOWN;
	return is_ret0(img, *v) ? LD_BIND_RET0 : LD_BIND_FUNC;
}

/* Every site of trampoline tr passed its checks; *tail: one is a jmp
 * or Jcc, *jmp: one is a jmp. */
static int sites_clean(const struct ld_result *r, long tr, int *tail, int *jmp)
{
	size_t i;

	*tail = *jmp = 0;
	for (i = 0; i < r->nsites; i++) {
		const struct ld_site *s = &r->sites[i];

		if (s->tr != tr || s->kind == LD_KIND_NONE)
			continue;
		if (s->state != LD_SITE_OK)
			return 0;
		if (s->kind != LD_KIND_CALL)
			*tail = 1;
		if (s->kind == LD_KIND_JMP)
			*jmp = 1;
	}
	return 1;
}

static void bind_one(struct ld_ctx *c, const struct dynrel *d, long j)
{
	struct ld_tramp *t = &c->res->tr[j];
	uint64_t key = 0, v = 0;
	int tail, jmp;

	if (t->bad || !sites_clean(c->res, j, &tail, &jmp)) {
		t->bind = LD_BIND_NOT_CLEAN;
		return;
	}
	t->bind = key_of(c, d, t, &key);
	if (t->bind != LD_BIND_UNCHECKED)
		return;
	t->bind = value_of(c, d, key, &v);
	if (t->bind == LD_BIND_FUNC) {
		t->bind_target = v;
		if (!scall_rel32_fits(t->addr + SCALL_JMP_LEN, v))
			t->bind = LD_BIND_OUT_OF_REACH;
	} else if (t->bind == LD_BIND_RET0 && tail) {
		t->bind = LD_BIND_RET0_TAIL;
	} else if (t->bind == LD_BIND_NULL && jmp &&
		   (t->flags & SCALL_TRAMP_COND)) {
		t->bind = LD_BIND_NULL_TAIL;
	}
}

/* A record scall-ld bound before must still describe the file. */
static void check_bound(struct ld_ctx *c, const struct ld_tramp *t)
{
	if (t->bound == LD_BIND_UNCHECKED || t->bad)
		return;
	if (t->bind == t->bound &&
	    (t->bound != LD_BIND_FUNC || t->bind_target == t->bound_target))
		return;
	diag(c, SEV_ERR, t->addr,
	     "trampoline %s was pre-bound to %s, but its key now starts as %s; "
	     "the file was changed after scall-ld, relink", t->name,
	     ld_bind_name(t->bound), ld_bind_name(t->bind));
}

int bind_analyse(struct ld_ctx *c)
{
	struct dynrel d = { NULL, 0 };
	size_t j;

	if (c->res->nerr || !c->res->module_sec)
		return 0;
	if (dynrel_read(c, &d))
		return 3;
	for (j = 0; j < c->res->ntr; j++) {
		bind_one(c, &d, (long)j);
		check_bound(c, &c->res->tr[j]);
	}
	free(d.r);
	return 0;
}
