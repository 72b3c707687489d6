/* SPDX-License-Identifier: MIT */
/*
 * elfimg.c - ELF reading with bounds checks.  Every header field that
 * becomes an offset or a size is checked against the buffer here, before
 * libelf or anything else follows it; the rest of scall-ld only asks
 * img_bytes() for ranges and gets NULL when they are not in the file.
 */
#include "elfimg.h"

#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int fail(const struct img *img, FILE *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(const struct img *img, FILE *err, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		fprintf(err, "%s: ", img->path);
		va_start(ap, fmt);
		vfprintf(err, fmt, ap);
		va_end(ap);
		fputc('\n', err);
	}
	return 3;
}

/* [off, off + size) inside [0, len)?  Overflow-safe. */
static int in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

/* A NUL-terminated string at offset o of section s, or NULL. */
static const char *str_at(const struct img *img, const struct img_sec *s,
			  uint64_t o)
{
	const char *p;

	if (s->type == SHT_NOBITS || o >= s->size)
		return NULL;
	p = (const char *)img->buf + s->off + o;
	return memchr(p, 0, s->size - o) ? p : NULL;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct img_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->size != y->size) /* larger first: the enclosing one */
		return x->size > y->size ? -1 : 1;
	if (x->bind != y->bind) /* global before local before weak */
		return x->bind == STB_GLOBAL ? -1 : y->bind == STB_GLOBAL ? 1 : 0;
	return strcmp(x->name, y->name);
}

static int load_syms(struct img *img, FILE *err)
{
	const struct img_sec *tab = NULL, *strs;
	size_t i, n, k = 0;

	for (i = 0; i < img->nsecs && !tab; i++)
		if (img->secs[i].type == SHT_SYMTAB)
			tab = &img->secs[i];
	img->symsrc = tab ? IMG_SYMS_SYMTAB : IMG_SYMS_NONE;
	for (i = 0; i < img->nsecs && !tab; i++)
		if (img->secs[i].type == SHT_DYNSYM) {
			tab = &img->secs[i];
			img->symsrc = IMG_SYMS_DYNSYM;
		}
	if (!tab)
		return 0;
	{
		GElf_Shdr sh;
		Elf_Scn *scn = elf_getscn(img->elf, tab->idx);

		if (!scn || !gelf_getshdr(scn, &sh))
			return fail(img, err, "section [%u] %s: libelf: %s",
				    tab->idx, tab->name, elf_errmsg(-1));
		if (sh.sh_entsize != sizeof(Elf64_Sym) ||
		    tab->size % sizeof(Elf64_Sym))
			return fail(img, err,
				    "section [%u] %s: entry size %llu, size %llu: "
				    "corrupt symbol table",
				    tab->idx, tab->name,
				    (unsigned long long)sh.sh_entsize,
				    (unsigned long long)tab->size);
		if (sh.sh_link == 0 || sh.sh_link >= img->nsecs ||
		    img->secs[sh.sh_link].type != SHT_STRTAB)
			return fail(img, err,
				    "section [%u] %s: sh_link %u is not a string "
				    "table: corrupt symbol table",
				    tab->idx, tab->name, sh.sh_link);
		strs = &img->secs[sh.sh_link];
	}
	if (tab->type == SHT_NOBITS)
		return 0;
	n = tab->size / sizeof(Elf64_Sym);
	img->syms = calloc(n ? n : 1, sizeof(*img->syms));
	img->objs = calloc(n ? n : 1, sizeof(*img->objs));
	if (!img->syms || !img->objs)
		return fail(img, err, "out of memory");
	for (i = 1; i < n; i++) {
		Elf64_Sym s;
		const char *name;
		struct img_sym *o;
		unsigned t;

		memcpy(&s, img->buf + tab->off + i * sizeof(s), sizeof(s));
		t = ELF64_ST_TYPE(s.st_info);
		if ((t != STT_FUNC && t != STT_OBJECT) ||
		    s.st_shndx == SHN_UNDEF || s.st_shndx == SHN_ABS)
			continue;
		name = str_at(img, strs, s.st_name);
		if (!name)
			return fail(img, err,
				    "section [%u] %s: symbol %zu has name offset "
				    "%u outside %s: corrupt symbol table",
				    tab->idx, tab->name, i, s.st_name,
				    strs->name);
		/* functions name code, objects name keys (branch records) */
		o = t == STT_FUNC ? &img->syms[k++] : &img->objs[img->nobjs++];
		o->addr = s.st_value;
		o->size = s.st_size;
		o->name = name;
		o->type = (unsigned char)t;
		o->bind = ELF64_ST_BIND(s.st_info);
	}
	img->nsyms = k;
	qsort(img->objs, img->nobjs, sizeof(*img->objs), cmp_sym);
	qsort(img->syms, k, sizeof(*img->syms), cmp_sym);
	return 0;
}

int img_open(struct img *img, const uint8_t *buf, size_t len,
	     const char *path, FILE *err)
{
	Elf64_Ehdr eh;
	Elf64_Shdr sh0;
	uint64_t shnum, shstrndx;
	size_t i;
	Elf *elf;
	const struct img_sec *names;

	memset(img, 0, sizeof(*img));
	img->path = path;
	img->buf = buf;
	img->len = len;

	if (len < SELFMAG || memcmp(buf, ELFMAG, SELFMAG))
		return fail(img, err, "not an ELF file");
	if (len < EI_NIDENT)
		return fail(img, err, "truncated: %zu bytes, the ELF header "
				      "needs %zu", len, sizeof(Elf64_Ehdr));
	if (buf[EI_CLASS] != ELFCLASS64)
		return fail(img, err, "%s ELF file; scall-ld handles ELF64 "
				      "x86-64 only",
			    buf[EI_CLASS] == ELFCLASS32 ? "32-bit" :
							  "unknown-class");
	if (buf[EI_DATA] != ELFDATA2LSB)
		return fail(img, err, "%s ELF file; scall-ld handles "
				      "little-endian x86-64 only",
			    buf[EI_DATA] == ELFDATA2MSB ? "big-endian" :
							  "unknown-byte-order");
	if (len < sizeof(eh))
		return fail(img, err, "truncated: %zu bytes, the ELF header "
				      "needs %zu", len, sizeof(eh));
	memcpy(&eh, buf, sizeof(eh));
	if (eh.e_machine != EM_X86_64)
		return fail(img, err, "wrong machine (e_machine %u); scall-ld "
				      "handles x86-64 (%u) only",
			    eh.e_machine, EM_X86_64);
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return fail(img, err, "ELF type %u is not an executable or a "
				      "shared object; run scall-ld on the "
				      "linked output", eh.e_type);
	if (eh.e_shoff == 0)
		return fail(img, err, "no section headers; scall-ld needs them "
				      "to find the scall sections");
	if (eh.e_shentsize != sizeof(Elf64_Shdr))
		return fail(img, err, "section header size %u, expected %zu: "
				      "corrupt ELF header",
			    eh.e_shentsize, sizeof(Elf64_Shdr));
	if (!in_file(eh.e_shoff, sizeof(sh0), len))
		return fail(img, err, "truncated or corrupt: section headers at "
				      "0x%llx lie outside the file (%zu bytes)",
			    (unsigned long long)eh.e_shoff, len);
	memcpy(&sh0, buf + eh.e_shoff, sizeof(sh0));
	shnum = eh.e_shnum ? eh.e_shnum : sh0.sh_size;
	shstrndx = eh.e_shstrndx == SHN_XINDEX ? sh0.sh_link : eh.e_shstrndx;
	if (shnum == 0 || shnum > (len - eh.e_shoff) / sizeof(Elf64_Shdr))
		return fail(img, err, "truncated or corrupt: %llu section headers "
				      "at 0x%llx do not fit in the file (%zu bytes)",
			    (unsigned long long)shnum,
			    (unsigned long long)eh.e_shoff, len);
	if (shstrndx == 0 || shstrndx >= shnum)
		return fail(img, err, "section name table index %llu out of "
				      "range: corrupt ELF header",
			    (unsigned long long)shstrndx);

	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(img, err, "libelf: %s", elf_errmsg(-1));
	elf = elf_memory((char *)buf, len);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		return fail(img, err, "libelf cannot read it: %s",
			    elf_errmsg(-1));
	}
	img->elf = elf;
	{
		size_t n;

		if (elf_getshdrnum(elf, &n) || n != shnum)
			return fail(img, err, "libelf: section count: %s",
				    elf_errmsg(-1));
	}
	img->etype = eh.e_type;
	img->nsecs = shnum;
	img->secs = calloc(shnum, sizeof(*img->secs));
	if (!img->secs)
		return fail(img, err, "out of memory");
	for (i = 0; i < shnum; i++) {
		GElf_Shdr sh;
		Elf_Scn *scn = elf_getscn(elf, i);
		struct img_sec *s = &img->secs[i];

		if (!scn || !gelf_getshdr(scn, &sh))
			return fail(img, err, "section [%zu]: libelf: %s", i,
				    elf_errmsg(-1));
		s->idx = i;
		s->addr = sh.sh_addr;
		s->off = sh.sh_offset;
		s->size = sh.sh_size;
		s->flags = sh.sh_flags;
		s->type = sh.sh_type;
		if (i && sh.sh_type != SHT_NOBITS &&
		    !in_file(sh.sh_offset, sh.sh_size, len))
			return fail(img, err, "truncated or corrupt: section [%zu] "
					      "[0x%llx, +0x%llx) lies outside "
					      "the file (%zu bytes)",
				    i, (unsigned long long)sh.sh_offset,
				    (unsigned long long)sh.sh_size, len);
		if ((sh.sh_flags & SHF_ALLOC) &&
		    sh.sh_addr + sh.sh_size < sh.sh_addr)
			return fail(img, err, "section [%zu]: address range wraps "
					      "around: corrupt section header", i);
		/* keep the name offset for the second pass */
		s->name = (const char *)(uintptr_t)sh.sh_name;
	}
	names = &img->secs[shstrndx];
	if (names->type != SHT_STRTAB)
		return fail(img, err, "section name table [%llu] is not a string "
				      "table: corrupt ELF header",
			    (unsigned long long)shstrndx);
	for (i = 0; i < shnum; i++) {
		uint64_t o = (uint64_t)(uintptr_t)img->secs[i].name;
		const char *n = i ? str_at(img, names, o) : "";

		if (!n)
			return fail(img, err, "section [%zu]: name offset %llu "
					      "outside the section name table: "
					      "corrupt section header",
				    i, (unsigned long long)o);
		img->secs[i].name = n;
	}
	/* Program headers only say where RELRO is; a file without readable
	 * ones has none. */
	if (eh.e_phentsize == sizeof(Elf64_Phdr) && eh.e_phoff &&
	    in_file(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), len))
		for (i = 0; i < eh.e_phnum; i++) {
			Elf64_Phdr ph;

			memcpy(&ph, buf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
			if (ph.p_type == PT_GNU_RELRO &&
			    ph.p_vaddr + ph.p_memsz > ph.p_vaddr) {
				img->relro = ph.p_vaddr;
				img->relro_end = ph.p_vaddr + ph.p_memsz;
			}
		}
	return load_syms(img, err);
}

void img_close(struct img *img)
{
	if (img->elf)
		elf_end(img->elf);
	free(img->secs);
	free(img->syms);
	free(img->objs);
	memset(img, 0, sizeof(*img));
}

const struct img_sec *img_section(const struct img *img, const char *name)
{
	size_t i;

	for (i = 1; i < img->nsecs; i++)
		if (!strcmp(img->secs[i].name, name))
			return &img->secs[i];
	return NULL;
}

const struct img_sec *img_section_at(const struct img *img, uint64_t addr,
				     uint64_t len)
{
	const struct img_sec *nobits = NULL;
	size_t i;

	for (i = 1; i < img->nsecs; i++) {
		const struct img_sec *s = &img->secs[i];

		if (!(s->flags & SHF_ALLOC) || s->type == SHT_NULL || addr < s->addr ||
		    addr - s->addr > s->size || len > s->size - (addr - s->addr))
			continue;
		if (s->size == 0)
			continue;
		if (s->type != SHT_NOBITS)
			return s;
		nobits = s;
	}
	return nobits;
}

const uint8_t *img_bytes(const struct img *img, uint64_t addr, uint64_t len)
{
	const struct img_sec *s = img_section_at(img, addr, len);

	if (!s || s->type == SHT_NOBITS)
		return NULL;
	return img->buf + s->off + (addr - s->addr);
}

/* Index of the last of syms[0..n) with address <= addr, or -1. */
static long floor_in(const struct img_sym *syms, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

static long sym_floor(const struct img *img, uint64_t addr)
{
	return floor_in(img->syms, img->nsyms, addr);
}

const struct img_sym *img_obj_at(const struct img *img, uint64_t addr)
{
	long i = floor_in(img->objs, img->nobjs, addr), stop = i - 64;

	for (; i >= 0 && i > stop; i--) {
		const struct img_sym *s = &img->objs[i];

		if (addr - s->addr < s->size || addr == s->addr)
			return s;
	}
	return NULL;
}

int img_in_relro(const struct img *img, uint64_t addr, uint64_t len)
{
	return img->relro_end > img->relro && addr < img->relro_end &&
	       addr + len > img->relro;
}

const struct img_sym *img_func_at(const struct img *img, uint64_t addr)
{
	long i = sym_floor(img, addr), stop = i - 64;

	for (; i >= 0 && i > stop; i--) {
		const struct img_sym *s = &img->syms[i];

		if (addr - s->addr < s->size)
			return s;
	}
	return NULL;
}

const struct img_sym *img_func_start(const struct img *img, uint64_t addr)
{
	long i = sym_floor(img, addr);

	/* sorted larger-first among equal addresses: walk to the first */
	while (i > 0 && img->syms[i - 1].addr == addr)
		i--;
	if (i >= 0 && img->syms[i].addr == addr)
		return &img->syms[i];
	return NULL;
}

const char *img_where(const struct img *img, uint64_t addr, char *buf,
		      size_t size)
{
	const struct img_sym *f = img_func_at(img, addr);
	const struct img_sec *s;

	if (f) {
		snprintf(buf, size, "%s+0x%llx", f->name,
			 (unsigned long long)(addr - f->addr));
		return buf;
	}
	s = img_section_at(img, addr, 1);
	if (s)
		snprintf(buf, size, "%s+0x%llx", s->name,
			 (unsigned long long)(addr - s->addr));
	else
		snprintf(buf, size, "0x%llx", (unsigned long long)addr);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Relocations                                                         */
/* ------------------------------------------------------------------ */

struct rela_tab {
	const struct img_sec *syms, *strs; /* NULL: no symbol table */
	size_t nsyms;
};

/* The symbol table a SHT_RELA section names (sh_link), checked. */
static int rela_symtab(const struct img *img, const struct img_sec *rs,
		       struct rela_tab *t, FILE *err)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elf_getscn(img->elf, rs->idx);
	const struct img_sec *syms;

	memset(t, 0, sizeof(*t));
	if (!scn || !gelf_getshdr(scn, &sh))
		return fail(img, err, "section [%u] %s: libelf: %s", rs->idx,
			    rs->name, elf_errmsg(-1));
	if (sh.sh_entsize != sizeof(Elf64_Rela) || rs->size % sizeof(Elf64_Rela))
		return fail(img, err, "section [%u] %s: entry size %llu, size "
				      "%llu: corrupt relocation section",
			    rs->idx, rs->name, (unsigned long long)sh.sh_entsize,
			    (unsigned long long)rs->size);
	if (sh.sh_link == 0)
		return 0; /* static-pie: RELATIVE and IRELATIVE only */
	if (sh.sh_link >= img->nsecs ||
	    (img->secs[sh.sh_link].type != SHT_DYNSYM &&
	     img->secs[sh.sh_link].type != SHT_SYMTAB))
		return fail(img, err, "section [%u] %s: sh_link %u is not a symbol "
				      "table: corrupt relocation section",
			    rs->idx, rs->name, sh.sh_link);
	syms = &img->secs[sh.sh_link];
	scn = elf_getscn(img->elf, syms->idx);
	if (!scn || !gelf_getshdr(scn, &sh))
		return fail(img, err, "section [%u] %s: libelf: %s", syms->idx,
			    syms->name, elf_errmsg(-1));
	if (syms->type == SHT_NOBITS || syms->size % sizeof(Elf64_Sym) ||
	    sh.sh_link == 0 || sh.sh_link >= img->nsecs ||
	    img->secs[sh.sh_link].type != SHT_STRTAB)
		return fail(img, err, "section [%u] %s: not a readable symbol "
				      "table with a string table: corrupt",
			    syms->idx, syms->name);
	t->syms = syms;
	t->strs = &img->secs[sh.sh_link];
	t->nsyms = syms->size / sizeof(Elf64_Sym);
	return 0;
}

static int read_rela(const struct img *img, const struct img_sec *rs,
		     const struct rela_tab *t, struct img_rela *out,
		     FILE *err)
{
	size_t i, n = rs->size / sizeof(Elf64_Rela);

	for (i = 0; i < n; i++) {
		Elf64_Rela r;
		struct img_rela *o = &out[i];

		memcpy(&r, img->buf + rs->off + i * sizeof(r), sizeof(r));
		o->offset = r.r_offset;
		o->type = (uint32_t)ELF64_R_TYPE(r.r_info);
		o->sym = (uint32_t)ELF64_R_SYM(r.r_info);
		o->addend = r.r_addend;
		o->sym_name = "";
		o->sym_value = 0;
		o->sym_size = 0;
		o->sec = rs;
		o->entry = (uint32_t)i;
		if (o->sym == 0)
			continue;
		if (!t->syms || o->sym >= t->nsyms)
			return fail(img, err, "section [%u] %s: entry %zu names "
					      "symbol %u, which does not exist: "
					      "corrupt relocation section",
				    rs->idx, rs->name, i, o->sym);
		{
			Elf64_Sym s;

			memcpy(&s, img->buf + t->syms->off + o->sym * sizeof(s),
			       sizeof(s));
			o->sym_name = str_at(img, t->strs, s.st_name);
			o->sym_value = s.st_value;
			o->sym_size = s.st_size;
			if (!o->sym_name)
				return fail(img, err, "section [%u] %s: symbol %u "
						      "has name offset %u outside "
						      "%s: corrupt symbol table",
					    t->syms->idx, t->syms->name, o->sym,
					    s.st_name, t->strs->name);
		}
	}
	return 0;
}

static int cmp_rela(const void *a, const void *b)
{
	const struct img_rela *x = a, *y = b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	if (x->sec != y->sec) /* file order: sections, then entries */
		return x->sec->idx < y->sec->idx ? -1 : 1;
	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

int img_relas(const struct img *img, struct img_rela **out, size_t *n,
	      FILE *err)
{
	struct img_rela *all = NULL;
	size_t i, k = 0, total = 0;

	*out = NULL;
	*n = 0;
	for (i = 1; i < img->nsecs; i++)
		if (img->secs[i].type == SHT_RELA)
			total += img->secs[i].size / sizeof(Elf64_Rela);
	if (!total)
		return 0;
	all = calloc(total, sizeof(*all));
	if (!all)
		return fail(img, err, "out of memory");
	for (i = 1; i < img->nsecs; i++) {
		const struct img_sec *rs = &img->secs[i];
		struct rela_tab t;

		if (rs->type != SHT_RELA || !rs->size)
			continue;
		if (rela_symtab(img, rs, &t, err) ||
		    read_rela(img, rs, &t, all + k, err)) {
			free(all);
			return 3;
		}
		k += rs->size / sizeof(Elf64_Rela);
	}
	qsort(all, k, sizeof(*all), cmp_rela);
	*out = all;
	*n = k;
	return 0;
}

const struct img_rela *img_rela_at(const struct img_rela *rel, size_t n,
				   uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rel[mid].offset < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && rel[lo].offset == addr ? &rel[lo] : NULL;
}
