/* SPDX-License-Identifier: MIT */
/*
 * disasm.h - Capstone over the executable sections of an img: one linear
 * sweep that restarts at every function symbol, collecting instruction
 * boundaries and every direct branch.
 */
#ifndef SCALL_LD_DISASM_H
#define SCALL_LD_DISASM_H

#include "elfimg.h"
#include "scall/format.h"

/* Encodings of a direct branch.  The patchable ones are the site forms of
 * the contract and carry the value of the record kind they are. */
enum br_enc {
	BR_NONE = 0, /* not a direct branch */
	BR_CALL32 = SCALL_KIND_CALL,
	BR_JMP32 = SCALL_KIND_JMP,
	BR_JCC32 = SCALL_KIND_JCC,
	BR_OTHER,    /* short, prefixed or not a site form: never patched */
};

struct branch {
	uint64_t src, dst;
	uint8_t len, enc; /* enc: enum br_enc, in a byte (there are many) */
};

struct dis_sec {
	uint64_t addr, size;
	uint8_t *starts; /* bitmap: 1 = an instruction starts here */
};

struct disasm {
	struct branch *br; /* sorted by src */
	size_t nbr, cap;
	struct dis_sec *secs;
	size_t nsecs;
	size_t ninsns;
};

/* Returns 0, or 3 on allocation/Capstone failure (message printed). */
int dis_sweep(struct disasm *d, const struct img *img, FILE *err);
void dis_free(struct disasm *d);
/* 1 if an instruction starts at addr, 0 if not, -1 if not swept. */
int dis_is_start(const struct disasm *d, uint64_t addr);

/* Decode the one instruction at addr.  Returns its length (0 if it does not
 * decode) and fills enc/dst when it is a direct branch (enc 0 otherwise);
 * text gets "mnemonic operands". */
int dis_one(const struct img *img, uint64_t addr, enum br_enc *enc,
	    uint64_t *dst,
	    char *text, size_t size);

#endif
