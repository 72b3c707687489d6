/* SPDX-License-Identifier: MIT */
/*
 * scall/format.h - the on-disk contract shared by every part of scall.
 *
 * The GCC plugin and the Clang pass emit these records, scall-ld validates
 * and sorts them, and libscall reads them at run time.  docs/format.md is the
 * prose version of this header; the two change together, in one commit with
 * every part that reads them.
 *
 * Everything here is plain C and also valid C++, so the compiler plugins
 * include it instead of re-deriving numbers.  The instruction forms the
 * records point at (site instructions, trampoline windows and bodies) are
 * in scall/insn.h, included here.
 */
#ifndef SCALL_FORMAT_H
#define SCALL_FORMAT_H

#include <stdint.h>

#include "insn.h"

/* Format version written in struct scall_module.version. */
#define SCALL_FORMAT_VERSION 1u
/* "SCAL" read as a little-endian 32-bit word. */
#define SCALL_MODULE_MAGIC 0x4c414353u

/*
 * Section names.  They are C identifiers so that the linker defines
 * __start_<name> and __stop_<name>.
 */
#define SCALL_SECTION_SITES  "scall_sites"
#define SCALL_SECTION_TRAMPS "scall_tramps"
#define SCALL_SECTION_MODULE "scall_module"
#define SCALL_SECTION_BRANCHES "scall_branches"

/* Symbol names emitted by the compilers (assembler names). */
#define SCALL_SYM_MODULE          "__scall_module"
#define SCALL_SYM_MODULE_CTOR     "__scall_module_ctor"
#define SCALL_SYM_MODULE_DTOR     "__scall_module_dtor"
#define SCALL_SYM_TRAMP_PREFIX    "__scall_tramp_"   /* + key name, plain */
#define SCALL_SYM_CTRAMP_PREFIX   "__scall_ctramp_"  /* + key name, cond */
/* What a module's constructor calls.  Named for the reader of a failed
 * link: without libscall the linker says "undefined reference to
 * __scall_needs_libscall__link_with_lscall".  libscall also exports it as
 * SCALL_SYM_REGISTER_V0, which objects built before this name call. */
#define SCALL_SYM_REGISTER        "__scall_needs_libscall__link_with_lscall"
#define SCALL_SYM_REGISTER_V0     "__scall_register_module"
#define SCALL_SYM_UNREGISTER      "__scall_unregister_module"

/* ------------------------------------------------------------------ */
/* Site records: section scall_sites, read-only, 4-byte aligned.       */
/* ------------------------------------------------------------------ */

/* Kinds, in the low 8 bits of scall_site.info. */
enum scall_site_kind {
	SCALL_KIND_NONE = 0,       /* dead record: ignore (set by scall-ld) */
	SCALL_KIND_CALL = 1,       /* E8 rel32 */
	SCALL_KIND_JMP = 2,        /* E9 rel32 (tail call) */
	SCALL_KIND_JCC = 3,        /* 0F 80+cc rel32 (conditional tail call) */
	SCALL_KIND_UNRESOLVED = 4, /* site = containing function; scall-ld
				    * finds the instruction (Clang pass) */
	/* Branch records only (section scall_branches, below): never in a
	 * site record, whose readers refuse them as unknown kinds. */
	SCALL_KIND_BRANCH_UNLIKELY = 5, /* JMP exactly when enabled */
	SCALL_KIND_BRANCH_LIKELY = 6,   /* JMP exactly when disabled */
};

#define SCALL_SITE_KIND_MASK 0xffu
/* Bits 8..31 of info are flags.  None are defined in version 1; writers
 * set them to zero and readers refuse a record with an unknown flag. */
#define SCALL_SITE_FLAGS_MASK 0xffffff00u

/*
 * One record per patchable instruction.  Both offsets are relative to the
 * address of the field that holds them (PC-relative, like the kernel's
 * static_call_site), so the section carries no dynamic relocation and
 * scall-ld can sort it by recomputing them.
 */
struct scall_site {
	int32_t site;  /* opcode byte (E8, E9 or the 0F of a Jcc) - &site */
	int32_t tramp; /* trampoline called by the site - &tramp */
	uint32_t info; /* kind | flags */
};

/* Length in bytes of the instruction of a live kind (1-3): its patch
 * window.  The lengths themselves are in scall/insn.h. */
static inline unsigned scall_kind_len(unsigned kind)
{
	return kind == SCALL_KIND_JCC ? SCALL_JCC_LEN :
	       kind == SCALL_KIND_JMP ? SCALL_JMP_LEN : SCALL_CALL_LEN;
}

/* The kind whose instruction is at p (SCALL_SITE_MAX_LEN bytes readable),
 * or SCALL_KIND_NONE. */
static inline unsigned scall_kind_of_insn(const uint8_t *p)
{
	return scall_is_call(p) ? SCALL_KIND_CALL :
	       scall_is_jmp(p) ? SCALL_KIND_JMP :
	       scall_is_jcc(p) ? SCALL_KIND_JCC : SCALL_KIND_NONE;
}

/* ------------------------------------------------------------------ */
/* Window states (docs/format.md, "Site instruction states" and the     */
/* trampoline's window states): the one definition, for the runtime    */
/* (every patch) and scall-ld (pre-binding).                            */
/* ------------------------------------------------------------------ */

enum scall_state_op {
	SCALL_ST_CALL,     /* call target */
	SCALL_ST_JMP,      /* jmp target */
	SCALL_ST_JCC,      /* jcc target, same condition */
	SCALL_ST_NOP,      /* SCALL_NOP5 */
	SCALL_ST_XOR,      /* SCALL_XOR5 */
	SCALL_ST_RET,      /* SCALL_OP_RET, bytes 1.. unchanged */
	SCALL_ST_INDIRECT, /* a trampoline's window as emitted */
};

struct scall_state {
	enum scall_state_op op;
	uint64_t target;
};

/* The state of a site of a live kind at `site`, whose trampoline `tramp`
 * is of the cond flavour or not, when its key holds f; ret0: f is
 * scall_return0. */
static inline struct scall_state scall_site_state(unsigned kind, int cond,
						  uint64_t site, uint64_t tramp,
						  uint64_t f, int ret0)
{
	uint64_t next = site + scall_kind_len(kind);
	struct scall_state st;

	st.target = tramp;
	st.op = kind == SCALL_KIND_CALL ? SCALL_ST_CALL :
		kind == SCALL_KIND_JMP ? SCALL_ST_JMP : SCALL_ST_JCC;
	if (!f) {
		/* A Jcc goes to the trampoline, which returns (cond) or
		 * faults on address 0 as the fallback's call would (plain). */
		if (cond && kind == SCALL_KIND_CALL)
			st.op = SCALL_ST_NOP;
		else if (cond && kind == SCALL_KIND_JMP)
			st.op = SCALL_ST_RET;
		return st;
	}
	if (ret0 && kind == SCALL_KIND_CALL) {
		st.op = SCALL_ST_XOR;
		return st;
	}
	if (scall_rel32_fits(next, f))
		st.target = f;
	return st;
}

/* The state of the window of trampoline `tramp` when its key holds f.
 * For scall_return0 (ret0) it stays indirect: its call sites are xorl,
 * and its place depends on where libscall is loaded, which a pre-bound
 * file cannot know. */
static inline struct scall_state scall_tramp_state(int cond, uint64_t tramp,
						   uint64_t f, int ret0)
{
	struct scall_state st = { SCALL_ST_INDIRECT, f };

	if (!f && cond)
		st.op = SCALL_ST_RET;
	else if (f && !ret0 && scall_rel32_fits(tramp + SCALL_JMP_LEN, f))
		st.op = SCALL_ST_JMP;
	return st;
}

/* Write state st into the window at addr (len bytes at p, holding its
 * current bytes: a Jcc keeps its condition, ret keeps bytes 1..).
 * SCALL_ST_INDIRECT is the compiler's bytes, which only the caller has:
 * returns 0 for it and writes nothing, else 1. */
static inline int scall_state_put(struct scall_state st, uint64_t addr,
				  uint8_t *p)
{
	switch (st.op) {
	case SCALL_ST_CALL: scall_put_call(p, addr, st.target); return 1;
	case SCALL_ST_JMP: scall_put_jmp(p, addr, st.target); return 1;
	case SCALL_ST_JCC:
		scall_put_jcc(p, scall_jcc_cc(p), addr, st.target);
		return 1;
	case SCALL_ST_NOP: scall_put_nop5(p); return 1;
	case SCALL_ST_XOR: scall_put_xor5(p); return 1;
	case SCALL_ST_RET: p[0] = SCALL_OP_RET; return 1;
	case SCALL_ST_INDIRECT: break;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Trampoline records: section scall_tramps, writable, 8-byte aligned. */
/* ------------------------------------------------------------------ */

/* Flags in scall_tramp.flags. */
#define SCALL_TRAMP_COND      0x1u /* scall_cond flavour: NULL key returns */
#define SCALL_TRAMP_RETPOLINE 0x2u /* indirect jump through a retpoline thunk */
/*
 * Pre-bound by scall-ld (docs/format.md, "Pre-bound trampolines"): the
 * trampoline's window and every live site naming it hold the state of
 * the key value the field says, instead of the compiler's bytes.  Zero
 * as emitted.
 */
#define SCALL_TRAMP_BOUND_MASK 0xcu
#define SCALL_TRAMP_BOUND_FUNC 0x4u /* the function the window jumps to */
#define SCALL_TRAMP_BOUND_NULL 0x8u
#define SCALL_TRAMP_BOUND_RET0 0xcu /* scall_return0 */
/* BOUND_FUNC only: what the window held before scall-ld wrote its jmp,
 * so that the compiler's bytes can be put back: the lea form (else the
 * movq), and bytes 3..4 (the low half of the rel32) in bits 16..31. */
#define SCALL_TRAMP_SAVED_LEA 0x10u
#define SCALL_TRAMP_SAVED_SHIFT 16
#define SCALL_TRAMP_SAVED_MASK 0xffff0000u
#define SCALL_TRAMP_FLAGS_MASK 0xffff001fu

/*
 * One record per trampoline, emitted in the trampoline's COMDAT group so
 * that the linker keeps exactly one per (module, key, flavour).
 * key is an absolute address: the record is relocated at load time, so it
 * names the key object even when the key lives in another shared object
 * (or was copied into the executable by a copy relocation).
 */
struct scall_tramp {
	uint64_t key;   /* address of the key (the pointer object itself) */
	int32_t tramp;  /* trampoline entry - &tramp */
	uint32_t flags; /* SCALL_TRAMP_* */
};

/*
 * The trampoline's patch window and indirect-state body (SCALL_TRAMP_OP*,
 * SCALL_TRAMP_LOAD_*, SCALL_TRAMP_TAIL_*) are in scall/insn.h.
 */

/* ------------------------------------------------------------------ */
/* Branch records: section scall_branches, writable, 8-byte aligned.   */
/* ------------------------------------------------------------------ */

/* info: the kind (SCALL_KIND_BRANCH_*, or SCALL_KIND_NONE for a dead
 * record) in the low 8 bits, flags above.  No flag is defined: writers set
 * them to zero and readers refuse a record with an unknown one. */
#define SCALL_BRANCH_KIND_MASK 0xffu
#define SCALL_BRANCH_FLAGS_MASK 0xffffff00u

/*
 * One record per static branch (scall_branch_likely/unlikely in scall.h):
 * a 5-byte instruction that is either SCALL_NOP5 (fall through) or
 * E9 rel32 to target.  code and target are PC-relative like a site's;
 * key is absolute (relocated at load, like scall_tramp.key), so it names
 * the key object even when it lives in another module.
 */
struct scall_branch_rec {
	int32_t code;      /* the 5-byte instruction - &code */
	int32_t target;    /* the jump's destination - &target */
	uint64_t key;      /* address of the branch key (struct scall_branch_key) */
	uint32_t info;     /* kind | flags */
	uint32_t reserved; /* 0; readers refuse a record where it is not */
};

/* Does a branch of kind (SCALL_KIND_BRANCH_*) jump when its key is
 * enabled or not?  The one rule: the compiler's form (the key's default)
 * and every later state follow it.  Unlikely: the jump goes to the "true"
 * block, taken exactly when enabled; likely: to the "false" block, taken
 * exactly when disabled. */
static inline int scall_branch_jumps(unsigned kind, int enabled)
{
	return kind == SCALL_KIND_BRANCH_UNLIKELY ? !!enabled : !enabled;
}

/* ------------------------------------------------------------------ */
/* Module header: section scall_module, writable, one per module.      */
/* ------------------------------------------------------------------ */

/* Flags in scall_module.flags.  Readers refuse an unknown flag: a later
 * addition that a reader must understand to stay correct is a new flag. */
#define SCALL_MODULE_VALIDATED 0x1u /* scall-ld checked every record */
#define SCALL_MODULE_SORTED    0x2u /* sites sorted by address, no overlap */
#define SCALL_MODULE_PREBOUND  0x4u /* some trampoline records are bound */
/* The header has branches_start/stop (SCALL_MODULE_SIZE bytes at least).
 * Set as emitted, in every header that has the fields: a runtime that
 * does not know branch records refuses the module, instead of leaving its
 * branches frozen in their compiled state. */
#define SCALL_MODULE_BRANCHES  0x8u
#define SCALL_MODULE_FLAGS_MASK 0xfu

/*
 * Emitted in COMDAT group __scall_module by every translation unit that
 * has at least one key call or static branch, so that exactly one survives
 * per module (the compilers' emitters and scall.h's branch macros write
 * the same bytes, each guarded by `.ifndef __scall_module`, so a unit
 * holding both emits it once).  The six bounds are absolute (weak, hidden references to the linker's
 * __start_/__stop_ symbols); a module without records has zeros there.
 *
 * size lets the header grow without a version break: fields are only
 * ever appended, a reader reads the SCALL_MODULE_SIZE bytes it knows and
 * ignores the rest, and an appended field that must not be ignored comes
 * with a new flag.  Headers written before the field existed hold 0 there.
 */
struct scall_module {
	uint32_t magic;   /* SCALL_MODULE_MAGIC */
	uint16_t version; /* SCALL_FORMAT_VERSION */
	uint16_t flags;   /* SCALL_MODULE_*: zero as emitted, set by scall-ld */
	uint32_t nsites;  /* scall-ld: number of records it validated */
	uint32_t size;    /* bytes in this header: SCALL_MODULE_MIN_SIZE or
			   * more, SCALL_MODULE_SIZE as this version emits it
			   * (0: a header from before this field, 48 bytes) */
	uint64_t sites_start;  /* __start_scall_sites */
	uint64_t sites_stop;   /* __stop_scall_sites */
	uint64_t tramps_start; /* __start_scall_tramps */
	uint64_t tramps_stop;  /* __stop_scall_tramps */
	/* With SCALL_MODULE_BRANCHES only (a 48-byte header has neither): */
	uint64_t branches_start; /* __start_scall_branches */
	uint64_t branches_stop;  /* __stop_scall_branches */
};

/* Byte offsets, for tools that patch the file without the struct. */
#define SCALL_MODULE_OFF_FLAGS 6
#define SCALL_MODULE_OFF_NSITES 8
#define SCALL_MODULE_OFF_SIZE 12
/* The size of the header this version writes (with the branch bounds and
 * SCALL_MODULE_BRANCHES), and the least it reads (a header from before
 * branch records, without the flag). */
#define SCALL_MODULE_SIZE 64
#define SCALL_MODULE_MIN_SIZE 48
/* Header sizes are whole 8-byte words, as the bounds are aligned. */
#define SCALL_MODULE_SIZE_ALIGN 8

/* The header's size in bytes given its size field, or 0 when the field is
 * not a valid size (smaller than the least header, or unaligned). */
static inline uint32_t scall_module_size(uint32_t field)
{
	if (field == 0)
		return SCALL_MODULE_MIN_SIZE;
	if (field < SCALL_MODULE_MIN_SIZE || field % SCALL_MODULE_SIZE_ALIGN)
		return 0;
	return field;
}

/* Does a header of size bytes (scall_module_size) hold the fields its
 * flags say it has: the branch bounds with SCALL_MODULE_BRANCHES? */
static inline int scall_module_size_fits(uint32_t size, uint32_t flags)
{
	return !(flags & SCALL_MODULE_BRANCHES) || size >= SCALL_MODULE_SIZE;
}

#ifdef __cplusplus
static_assert(sizeof(struct scall_site) == 12, "scall_site layout");
static_assert(sizeof(struct scall_tramp) == 16, "scall_tramp layout");
static_assert(sizeof(struct scall_module) == SCALL_MODULE_SIZE, "scall_module layout");
static_assert(sizeof(struct scall_branch_rec) == 24, "scall_branch_rec layout");
static_assert(__builtin_offsetof(struct scall_module, branches_start) == SCALL_MODULE_MIN_SIZE,
	      "scall_module: the branch bounds follow the 48-byte header");
#else
_Static_assert(sizeof(struct scall_site) == 12, "scall_site layout");
_Static_assert(sizeof(struct scall_tramp) == 16, "scall_tramp layout");
_Static_assert(sizeof(struct scall_module) == SCALL_MODULE_SIZE, "scall_module layout");
_Static_assert(sizeof(struct scall_branch_rec) == 24, "scall_branch_rec layout");
_Static_assert(__builtin_offsetof(struct scall_module, branches_start) == SCALL_MODULE_MIN_SIZE,
	       "scall_module: the branch bounds follow the 48-byte header");
#endif

#endif /* SCALL_FORMAT_H */
