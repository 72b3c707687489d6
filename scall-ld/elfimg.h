/* SPDX-License-Identifier: MIT */
/*
 * elfimg.h - the "decode" half of scall-ld: read an ELF64 x86-64 file that
 * is held in memory, check every offset and size against the buffer, and
 * answer address questions (which section, which function, which bytes).
 * Nothing here knows about scall records; the check_*.c modules do.
 */
#ifndef SCALL_LD_ELFIMG_H
#define SCALL_LD_ELFIMG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct img_sec {
	const char *name;
	uint64_t addr, off, size, flags;
	uint32_t type;
	unsigned idx;
};

struct img_sym {
	uint64_t addr, size;
	const char *name;
	unsigned char type, bind;
};

enum img_symsrc { IMG_SYMS_NONE, IMG_SYMS_DYNSYM, IMG_SYMS_SYMTAB };

struct img {
	const char *path;   /* for messages */
	const uint8_t *buf; /* whole file, never written */
	size_t len;
	void *elf;          /* Elf * (libelf), kept opaque here */
	unsigned etype;     /* ET_EXEC or ET_DYN */
	struct img_sec *secs;
	size_t nsecs;
	struct img_sym *syms; /* defined FUNC symbols, sorted by address */
	size_t nsyms;
	struct img_sym *objs; /* defined OBJECT symbols, the same */
	size_t nobjs;
	uint64_t relro, relro_end; /* PT_GNU_RELRO's addresses, or 0, 0 */
	enum img_symsrc symsrc;
};

/* Parse buf[0..len).  Returns 0, or 3 after printing one line
 * "PATH: what is wrong" on err.  buf must stay alive while img is used. */
int img_open(struct img *img, const uint8_t *buf, size_t len,
	     const char *path, FILE *err);
void img_close(struct img *img);

const struct img_sec *img_section(const struct img *img, const char *name);
/* The allocated section that holds [addr, addr + len), or NULL. */
const struct img_sec *img_section_at(const struct img *img, uint64_t addr,
				     uint64_t len);
/* Bytes of [addr, addr + len) when they are in the file, else NULL. */
const uint8_t *img_bytes(const struct img *img, uint64_t addr, uint64_t len);
/* The function symbol whose [addr, addr + size) holds addr, or NULL. */
const struct img_sym *img_func_at(const struct img *img, uint64_t addr);
/* The object symbol whose [addr, addr + size) holds addr (or that starts
 * at addr), or NULL. */
const struct img_sym *img_obj_at(const struct img *img, uint64_t addr);
/* Whether [addr, addr + len) meets the RELRO segment (read-only once
 * relocated). */
int img_in_relro(const struct img *img, uint64_t addr, uint64_t len);
/* The function symbol that starts exactly at addr, or NULL. */
const struct img_sym *img_func_start(const struct img *img, uint64_t addr);
/*
 * One relocation entry of a SHT_RELA section (.rela.dyn, .rela.plt, and
 * the .rela.* sections --emit-relocs keeps).  For a PIE or a shared object
 * this is where a pointer's link-time value is when the file holds 0:
 * R_X86_64_RELATIVE's addend, or a symbol plus addend.
 */
struct img_rela {
	uint64_t offset;      /* r_offset: the address it writes */
	uint32_t type;        /* R_X86_64_* */
	uint32_t sym;         /* index into the section's symbol table */
	int64_t addend;
	const char *sym_name; /* "" when sym is 0 */
	uint64_t sym_value;   /* st_value, 0 when sym is 0 */
	uint64_t sym_size;    /* st_size, 0 when sym is 0 */
	const struct img_sec *sec; /* the SHT_RELA section */
	uint32_t entry;       /* index of the entry in sec */
};

/* Every entry of every SHT_RELA section with data, sorted by offset (then
 * in file order), in *out (malloc'ed, free it; may be NULL when *n is 0).
 * Returns 0, or 3 after printing one line on err: a bad entry size, symbol
 * table or symbol index is a corrupt file. */
int img_relas(const struct img *img, struct img_rela **out, size_t *n,
	      FILE *err);
/* The first of rel[0..n) (sorted by img_relas) at offset addr, or NULL. */
const struct img_rela *img_rela_at(const struct img_rela *rel, size_t n,
				   uint64_t addr);

/* "func+0xoff", "section+0xoff" or "0xaddr", into buf. */
const char *img_where(const struct img *img, uint64_t addr, char *buf,
		      size_t size);

#endif
