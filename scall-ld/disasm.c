/* SPDX-License-Identifier: MIT */
/*
 * disasm.c - Capstone decoding.  Capstone finds instruction lengths and
 * identities (detail off, which is fast); the target of a direct branch is
 * then read from the bytes, whose layout is fixed: prefixes, opcode, rel.
 */
#include "disasm.h"

#include <capstone/capstone.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "scall/insn.h"

static csh cs_handle;
static int cs_ready;

static int cs_get(csh *h)
{
	if (!cs_ready) {
		if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs_handle) != CS_ERR_OK)
			return -1;
		cs_ready = 1;
	}
	*h = cs_handle;
	return 0;
}

static int is_branch_id(unsigned id)
{
	switch (id) {
	case X86_INS_CALL: case X86_INS_JMP:
	case X86_INS_JAE: case X86_INS_JA: case X86_INS_JBE: case X86_INS_JB:
	case X86_INS_JCXZ: case X86_INS_JECXZ: case X86_INS_JRCXZ:
	case X86_INS_JE: case X86_INS_JGE: case X86_INS_JG: case X86_INS_JLE:
	case X86_INS_JL: case X86_INS_JNE: case X86_INS_JNO: case X86_INS_JNP:
	case X86_INS_JNS: case X86_INS_JO: case X86_INS_JP: case X86_INS_JS:
	case X86_INS_LOOP: case X86_INS_LOOPE: case X86_INS_LOOPNE:
	case X86_INS_XBEGIN:
		return 1;
	}
	return 0;
}

/* Opcodes of the direct branches that are not site forms (those are in
 * scall/insn.h): they are reported, never patched. */
enum {
	X86_JMP8 = 0xeb,                       /* jmp rel8 */
	X86_JCC8_LO = 0x70, X86_JCC8_HI = 0x7f, /* Jcc rel8 */
	X86_LOOP_LO = 0xe0, X86_LOOP_HI = 0xe3, /* loop*, jrcxz rel8 */
	X86_XBEGIN0 = 0xc7, X86_XBEGIN1 = 0xf8, /* xbegin rel32 */
	X86_REX_MASK = 0xf0, X86_REX = 0x40,
};

/* Legacy prefixes: operand and address size, rep, segments, lock. */
static int is_prefix(uint8_t b)
{
	switch (b) {
	case 0x66: case 0x67: case 0xf2: case 0xf3: case 0x2e: case 0x3e:
	case 0x26: case 0x36: case 0x64: case 0x65: case 0xf0:
		return 1;
	}
	return 0;
}

/* Direct-branch encoding and target of a decoded branch instruction
 * p[0..len) at addr; BR_NONE when it is indirect. */
static enum br_enc branch_of(const uint8_t *p, size_t len, uint64_t addr,
			     uint64_t *dst)
{
	size_t i = 0, relw;
	int64_t rel;
	int pfx = 0;
	enum br_enc enc;

	while (i < len && is_prefix(p[i])) {
		i++;
		pfx = 1;
	}
	if (i < len && (p[i] & X86_REX_MASK) == X86_REX) {
		i++;
		pfx = 1;
	}
	if (i >= len)
		return BR_NONE;
	if (p[i] == SCALL_OP_CALL || p[i] == SCALL_OP_JMP || p[i] == X86_JMP8 ||
	    (p[i] >= X86_JCC8_LO && p[i] <= X86_JCC8_HI) ||
	    (p[i] >= X86_LOOP_LO && p[i] <= X86_LOOP_HI)) {
		enc = scall_is_call(p + i) ? BR_CALL32 :
		      scall_is_jmp(p + i) ? BR_JMP32 : BR_OTHER;
		i += 1;
	} else if (i + 1 < len && scall_is_jcc(p + i)) {
		enc = BR_JCC32;
		i += 2;
	} else if (i + 1 < len && p[i] == X86_XBEGIN0 && p[i + 1] == X86_XBEGIN1) {
		enc = BR_OTHER;
		i += 2;
	} else {
		return BR_NONE;
	}
	relw = len - i;
	if (relw == 1)
		rel = (int8_t)p[i];
	else if (relw == 2)
		rel = (int16_t)(p[i] | p[i + 1] << 8);
	else if (relw == SCALL_REL32_LEN)
		rel = (int32_t)scall_get32(p + i);
	else
		return BR_NONE;
	if (enc != BR_OTHER && (pfx || relw != SCALL_REL32_LEN))
		enc = BR_OTHER;
	*dst = addr + len + (uint64_t)rel;
	return enc;
}

static int add_branch(struct disasm *d, uint64_t src, uint64_t dst,
		      size_t len, enum br_enc enc)
{
	if (d->nbr == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 1024;
		struct branch *n = realloc(d->br, cap * sizeof(*n));

		if (!n)
			return -1;
		d->br = n;
		d->cap = cap;
	}
	d->br[d->nbr].src = src;
	d->br[d->nbr].dst = dst;
	d->br[d->nbr].len = (uint8_t)len;
	d->br[d->nbr].enc = (uint8_t)enc;
	d->nbr++;
	return 0;
}

static int sweep_sec(struct disasm *d, const struct img *img,
		     const struct img_sec *s, struct dis_sec *ds, csh h,
		     cs_insn *insn)
{
	const uint8_t *base = img->buf + s->off;
	uint64_t pos = 0;
	size_t fi = 0;

	/* first function symbol at or after the section start */
	{
		size_t lo = 0, hi = img->nsyms;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (img->syms[mid].addr < s->addr)
				lo = mid + 1;
			else
				hi = mid;
		}
		fi = lo;
	}
	while (pos < s->size) {
		uint64_t next = s->size; /* next function start, relative */
		const uint8_t *code = base + pos;
		size_t left = s->size - pos;
		uint64_t addr = s->addr + pos, dst;
		enum br_enc enc;

		while (fi < img->nsyms && img->syms[fi].addr <= addr)
			fi++;
		if (fi < img->nsyms && img->syms[fi].addr - s->addr < s->size)
			next = img->syms[fi].addr - s->addr;
		if (!cs_disasm_iter(h, &code, &left, &addr, insn)) {
			pos++;
			continue;
		}
		if (pos + insn->size > next) {
			pos = next; /* resync on the function start */
			continue;
		}
		ds->starts[pos >> 3] |= (uint8_t)(1u << (pos & 7));
		d->ninsns++;
		if (is_branch_id(insn->id) &&
		    (enc = branch_of(insn->bytes, insn->size, insn->address,
				     &dst)) &&
		    add_branch(d, insn->address, dst, insn->size, enc))
			return -1;
		pos += insn->size;
	}
	return 0;
}

int dis_sweep(struct disasm *d, const struct img *img, FILE *err)
{
	cs_insn *insn;
	csh h;
	size_t i;

	memset(d, 0, sizeof(*d));
	if (cs_get(&h)) {
		fprintf(err, "%s: Capstone cannot open x86-64 mode\n", img->path);
		return 3;
	}
	d->secs = calloc(img->nsecs ? img->nsecs : 1, sizeof(*d->secs));
	insn = cs_malloc(h);
	if (!d->secs || !insn)
		goto oom;
	for (i = 1; i < img->nsecs; i++) {
		const struct img_sec *s = &img->secs[i];
		struct dis_sec *ds = &d->secs[d->nsecs];

		if (!(s->flags & SHF_EXECINSTR) || !(s->flags & SHF_ALLOC) ||
		    s->type == SHT_NOBITS || !s->size)
			continue;
		ds->addr = s->addr;
		ds->size = s->size;
		ds->starts = calloc(s->size / 8 + 1, 1);
		if (!ds->starts)
			goto oom;
		d->nsecs++;
		if (sweep_sec(d, img, s, ds, h, insn))
			goto oom;
	}
	cs_free(insn, 1);
	return 0;
oom:
	if (insn)
		cs_free(insn, 1);
	fprintf(err, "%s: out of memory while disassembling\n", img->path);
	return 3;
}

void dis_free(struct disasm *d)
{
	size_t i;

	for (i = 0; i < d->nsecs; i++)
		free(d->secs[i].starts);
	free(d->secs);
	free(d->br);
	memset(d, 0, sizeof(*d));
}

int dis_is_start(const struct disasm *d, uint64_t addr)
{
	size_t i;

	for (i = 0; i < d->nsecs; i++) {
		uint64_t o = addr - d->secs[i].addr;

		if (addr >= d->secs[i].addr && o < d->secs[i].size)
			return (d->secs[i].starts[o >> 3] >> (o & 7)) & 1;
	}
	return -1;
}

int dis_one(const struct img *img, uint64_t addr, enum br_enc *enc,
	    uint64_t *dst, char *text, size_t size)
{
	const struct img_sec *s = img_section_at(img, addr, 1);
	cs_insn *insn = NULL;
	size_t n, avail;
	int len;
	csh h;

	*enc = BR_NONE;
	*dst = 0;
	if (size)
		text[0] = 0;
	if (!s || s->type == SHT_NOBITS || cs_get(&h))
		return 0;
	avail = s->size - (addr - s->addr);
	if (avail > 15)
		avail = 15;
	n = cs_disasm(h, img->buf + s->off + (addr - s->addr), avail, addr, 1,
		      &insn);
	if (n != 1)
		return 0;
	len = insn->size;
	snprintf(text, size, "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "",
		 insn->op_str);
	if (is_branch_id(insn->id))
		*enc = branch_of(insn->bytes, insn->size, addr, dst);
	cs_free(insn, n);
	return len;
}
