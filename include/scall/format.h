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
 * include it instead of re-deriving numbers.
 */
#ifndef SCALL_FORMAT_H
#define SCALL_FORMAT_H

#include <stdint.h>

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

/* Symbol names emitted by the compilers (assembler names). */
#define SCALL_SYM_MODULE          "__scall_module"
#define SCALL_SYM_MODULE_CTOR     "__scall_module_ctor"
#define SCALL_SYM_MODULE_DTOR     "__scall_module_dtor"
#define SCALL_SYM_TRAMP_PREFIX    "__scall_tramp_"   /* + key name, plain */
#define SCALL_SYM_CTRAMP_PREFIX   "__scall_ctramp_"  /* + key name, cond */
#define SCALL_SYM_REGISTER        "__scall_register_module"
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

/* Length in bytes of the instruction of each kind (the patch window). */
#define SCALL_CALL_LEN 5
#define SCALL_JMP_LEN 5
#define SCALL_JCC_LEN 6

/* ------------------------------------------------------------------ */
/* Trampoline records: section scall_tramps, writable, 8-byte aligned. */
/* ------------------------------------------------------------------ */

/* Flags in scall_tramp.flags. */
#define SCALL_TRAMP_COND      0x1u /* scall_cond flavour: NULL key returns */
#define SCALL_TRAMP_RETPOLINE 0x2u /* indirect jump through a retpoline thunk */
#define SCALL_TRAMP_FLAGS_MASK 0x3u

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
 * The trampoline's first instruction is its patch window (5 bytes).  In the
 * indirect state it is, as emitted and as the linker may relax it:
 *     4C 8B 1D rel32      movq key@GOTPCREL(%rip), %r11
 *  or 4C 8D 1D rel32      leaq key(%rip), %r11        (GOTPCRELX relaxed)
 * followed by the rest of the indirect body (see docs/format.md).
 */
#define SCALL_TRAMP_WINDOW 5
#define SCALL_TRAMP_OP0 0x4c
#define SCALL_TRAMP_OP1_MOV 0x8b
#define SCALL_TRAMP_OP1_LEA 0x8d
#define SCALL_TRAMP_OP2 0x1d
#define SCALL_TRAMP_INSN_LEN 7 /* rel32 is relative to tramp + 7 */
/*
 * The key load that follows the window: movq O(%r11), %r11, O being 0 for a
 * plain key and the member's byte offset for a member of a struct key (the
 * record's key is then the struct's address + O).  Three encodings:
 * 4d 8b 1b (O = 0), 4d 8b 5b d8 (O < 128), 4d 8b 9b d32 (O >= 128).
 */
#define SCALL_TRAMP_LOAD_REX 0x4d
#define SCALL_TRAMP_LOAD_OP 0x8b
#define SCALL_TRAMP_LOAD_MODRM 0x1b        /* (%r11), no displacement */
#define SCALL_TRAMP_LOAD_MODRM_DISP8 0x5b  /* disp8(%r11) */
#define SCALL_TRAMP_LOAD_MODRM_DISP32 0x9b /* disp32(%r11) */

/* ------------------------------------------------------------------ */
/* Module header: section scall_module, writable, one per module.      */
/* ------------------------------------------------------------------ */

/* Flags in scall_module.flags. */
#define SCALL_MODULE_VALIDATED 0x1u /* scall-ld checked every record */
#define SCALL_MODULE_SORTED    0x2u /* sites sorted by address, no overlap */
#define SCALL_MODULE_FLAGS_MASK 0x3u

/*
 * Emitted in COMDAT group __scall_module by every translation unit that
 * has at least one key call, so that exactly one survives per module.
 * The four bounds are absolute (weak, hidden references to the linker's
 * __start_/__stop_ symbols); a module without records has zeros there.
 */
struct scall_module {
	uint32_t magic;   /* SCALL_MODULE_MAGIC */
	uint16_t version; /* SCALL_FORMAT_VERSION */
	uint16_t flags;   /* SCALL_MODULE_*: zero as emitted, set by scall-ld */
	uint32_t nsites;  /* scall-ld: number of records it validated */
	uint32_t reserved;
	uint64_t sites_start;  /* __start_scall_sites */
	uint64_t sites_stop;   /* __stop_scall_sites */
	uint64_t tramps_start; /* __start_scall_tramps */
	uint64_t tramps_stop;  /* __stop_scall_tramps */
};

/* Byte offsets, for tools that patch the file without the struct. */
#define SCALL_MODULE_OFF_FLAGS 6
#define SCALL_MODULE_OFF_NSITES 8
#define SCALL_MODULE_SIZE 48

#ifdef __cplusplus
static_assert(sizeof(struct scall_site) == 12, "scall_site layout");
static_assert(sizeof(struct scall_tramp) == 16, "scall_tramp layout");
static_assert(sizeof(struct scall_module) == SCALL_MODULE_SIZE, "scall_module layout");
#else
_Static_assert(sizeof(struct scall_site) == 12, "scall_site layout");
_Static_assert(sizeof(struct scall_tramp) == 16, "scall_tramp layout");
_Static_assert(sizeof(struct scall_module) == SCALL_MODULE_SIZE, "scall_module layout");
#endif

#endif /* SCALL_FORMAT_H */
