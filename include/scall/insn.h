/* SPDX-License-Identifier: MIT */
/*
 * scall/insn.h - the instruction half of the on-disk contract: every byte
 * sequence a site or a trampoline's patch window may hold, the trampoline
 * bodies that readers check, and small helpers to encode and decode them.
 *
 * scall/format.h includes this header, so every part that reads the records
 * gets these names with them; docs/format.md ("Instruction forms") is the
 * prose version.  A part that writes or checks one of these forms uses the
 * name here, never the bytes, so that a new form (pre-bound sites, branch
 * records) is added in one place.
 *
 * Plain C and valid C++, using nothing but <stdint.h>: the GCC plugin
 * includes it after GCC's system.h, which poisons parts of libc.
 */
#ifndef SCALL_INSN_H
#define SCALL_INSN_H

#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Site instructions: the forms of SCALL_KIND_CALL, _JMP and _JCC.     */
/* ------------------------------------------------------------------ */

#define SCALL_OP_CALL 0xe8      /* call rel32 */
#define SCALL_OP_JMP 0xe9       /* jmp rel32 */
#define SCALL_OP_JCC0 0x0f      /* Jcc rel32 is 0f 80+cc rel32 */
#define SCALL_OP_JCC1 0x80
#define SCALL_OP_JCC1_MASK 0xf0 /* the opcode bits of the second byte */
#define SCALL_JCC_CC_MASK 0x0f  /* the condition code of the second byte */
#define SCALL_REL32_LEN 4

/* Length in bytes of the instruction of each kind (the patch window). */
#define SCALL_CALL_LEN 5
#define SCALL_JMP_LEN 5
#define SCALL_JCC_LEN 6
#define SCALL_SITE_MAX_LEN 6

/* The breakpoint the patch protocol parks a window on (docs/protocol.md). */
#define SCALL_OP_INT3 0xcc
/* ret: a jmp site or a cond trampoline window whose key is NULL. */
#define SCALL_OP_RET 0xc3

/*
 * A call site whose cond key is NULL: nopl 0x0(%rax,%rax,1), one 5-byte
 * instruction so that a thread stopped after the first byte never resumes
 * inside it.
 */
#define SCALL_NOP5 0x0f, 0x1f, 0x44, 0x00, 0x00
#define SCALL_NOP5_LEN 5
/*
 * A call site whose key holds scall_return0: xorl %eax,%eax padded with
 * three cs prefixes to the call's 5 bytes, one instruction for the same
 * reason.
 */
#define SCALL_XOR5 0x2e, 0x2e, 0x2e, 0x31, 0xc0
#define SCALL_XOR5_LEN 5

/*
 * A static branch (SCALL_KIND_BRANCH_*): one 5-byte instruction, SCALL_NOP5
 * (fall through) or SCALL_OP_JMP rel32 (to the record's target), and
 * nothing else, so that the patch protocol's INT3 on byte 0 always parks
 * a whole instruction.
 */
#define SCALL_BRANCH_LEN 5

/* Little-endian 32-bit load and store, without alignment or memcpy. */
static inline uint32_t scall_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline void scall_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* A rel32 is relative to the address after its instruction (next). */
static inline int scall_rel32_fits(uint64_t next, uint64_t target)
{
	int64_t d = (int64_t)(target - next);

	return d == (int64_t)(int32_t)d;
}

static inline uint32_t scall_rel32(uint64_t next, uint64_t target)
{
	return (uint32_t)(target - next);
}

static inline uint64_t scall_rel32_target(uint64_t next, const uint8_t *rel)
{
	return next + (uint64_t)(int64_t)(int32_t)scall_get32(rel);
}

/* p holds SCALL_NOP5 (5 bytes readable). */
static inline int scall_is_nop5(const uint8_t *p)
{
	static const uint8_t b[SCALL_NOP5_LEN] = { SCALL_NOP5 };
	int i;

	for (i = 0; i < SCALL_NOP5_LEN; i++)
		if (p[i] != b[i])
			return 0;
	return 1;
}

static inline int scall_is_call(const uint8_t *p)
{
	return p[0] == SCALL_OP_CALL;
}

static inline int scall_is_jmp(const uint8_t *p)
{
	return p[0] == SCALL_OP_JMP;
}

/* p must hold two bytes. */
static inline int scall_is_jcc(const uint8_t *p)
{
	return p[0] == SCALL_OP_JCC0 &&
	       (p[1] & SCALL_OP_JCC1_MASK) == SCALL_OP_JCC1;
}

static inline unsigned scall_jcc_cc(const uint8_t *p)
{
	return p[1] & SCALL_JCC_CC_MASK;
}

/* Encoders: the whole instruction at p, which will live at address addr. */
static inline void scall_put_call(uint8_t *p, uint64_t addr, uint64_t target)
{
	p[0] = SCALL_OP_CALL;
	scall_put32(p + 1, scall_rel32(addr + SCALL_CALL_LEN, target));
}

static inline void scall_put_jmp(uint8_t *p, uint64_t addr, uint64_t target)
{
	p[0] = SCALL_OP_JMP;
	scall_put32(p + 1, scall_rel32(addr + SCALL_JMP_LEN, target));
}

static inline void scall_put_jcc(uint8_t *p, unsigned cc, uint64_t addr,
				 uint64_t target)
{
	p[0] = SCALL_OP_JCC0;
	p[1] = (uint8_t)(SCALL_OP_JCC1 | (cc & SCALL_JCC_CC_MASK));
	scall_put32(p + 2, scall_rel32(addr + SCALL_JCC_LEN, target));
}

static inline void scall_put_nop5(uint8_t *p)
{
	static const uint8_t b[SCALL_NOP5_LEN] = { SCALL_NOP5 };
	int i;

	for (i = 0; i < SCALL_NOP5_LEN; i++)
		p[i] = b[i];
}

static inline void scall_put_xor5(uint8_t *p)
{
	static const uint8_t b[SCALL_XOR5_LEN] = { SCALL_XOR5 };
	int i;

	for (i = 0; i < SCALL_XOR5_LEN; i++)
		p[i] = b[i];
}

/* ------------------------------------------------------------------ */
/* Trampolines: the patch window and the indirect-state body.          */
/* ------------------------------------------------------------------ */

/*
 * The trampoline's first instruction is its patch window (5 bytes).  In the
 * indirect state it is, as emitted and as the linker may relax it:
 *     4C 8B 1D rel32      movq key@GOTPCREL(%rip), %r11
 *  or 4C 8D 1D rel32      leaq key(%rip), %r11        (GOTPCRELX relaxed)
 * The other window states are SCALL_OP_JMP rel32 (direct, to the target)
 * and SCALL_OP_RET (cond flavour, NULL key), bytes 1..4 unchanged.
 */
#define SCALL_TRAMP_WINDOW 5
#define SCALL_TRAMP_OP0 0x4c     /* REX.WR */
#define SCALL_TRAMP_OP1_MOV 0x8b
#define SCALL_TRAMP_OP1_LEA 0x8d
#define SCALL_TRAMP_OP2 0x1d     /* ModRM: %r11, rip-relative */
#define SCALL_TRAMP_INSN_LEN 7   /* rel32 is relative to tramp + 7 */
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
#define SCALL_TRAMP_LOAD_LEN 3
#define SCALL_TRAMP_LOAD_DISP8_LEN 4
#define SCALL_TRAMP_LOAD_DISP32_LEN 7
#define SCALL_TRAMP_LOAD_MAX_LEN 7
/*
 * The rest of the indirect-state body after the key load, except with
 * SCALL_TRAMP_RETPOLINE, whose jumps go to thunks (docs/format.md).
 * Plain: jmpq *%r11.  Cond: testq %r11,%r11; je over the jmpq; jmpq *%r11;
 * ret.
 */
#define SCALL_TRAMP_JMP_R11 0x41, 0xff, 0xe3
#define SCALL_TRAMP_JMP_R11_LEN 3
#define SCALL_TRAMP_TEST_R11 0x4d, 0x85, 0xdb
#define SCALL_OP_JE8 0x74
#define SCALL_TRAMP_TAIL_PLAIN SCALL_TRAMP_JMP_R11
#define SCALL_TRAMP_TAIL_PLAIN_LEN 3
#define SCALL_TRAMP_TAIL_COND \
	SCALL_TRAMP_TEST_R11, SCALL_OP_JE8, SCALL_TRAMP_JMP_R11_LEN, \
	SCALL_TRAMP_JMP_R11, SCALL_OP_RET
#define SCALL_TRAMP_TAIL_COND_LEN 9
/*
 * Not a state: what GNU ld makes of a movq key@GOTPCREL(%rip) emitted with
 * R_X86_64_REX_GOTPCRELX under -no-pie, movq $key, %r11 (49 c7 c3 imm32).
 * Readers recognise it to say why the trampoline cannot be patched.
 */
#define SCALL_TRAMP_MOVIMM0 0x49
#define SCALL_TRAMP_MOVIMM1 0xc7
#define SCALL_TRAMP_MOVIMM2 0xc3

/* The window holds the indirect state's movq or leaq (3 bytes at p). */
static inline int scall_tramp_is_indirect(const uint8_t *p)
{
	return p[0] == SCALL_TRAMP_OP0 &&
	       (p[1] == SCALL_TRAMP_OP1_MOV || p[1] == SCALL_TRAMP_OP1_LEA) &&
	       p[2] == SCALL_TRAMP_OP2;
}

/* The leaq form: rel32 names the key itself, not its GOT slot. */
static inline int scall_tramp_is_lea(const uint8_t *p)
{
	return scall_tramp_is_indirect(p) && p[1] == SCALL_TRAMP_OP1_LEA;
}

/* What the first instruction's rel32 points at (the GOT slot or the key)
 * for a trampoline at addr whose bytes are p. */
static inline uint64_t scall_tramp_rel_target(const uint8_t *p, uint64_t addr)
{
	return scall_rel32_target(addr + SCALL_TRAMP_INSN_LEN, p + 3);
}

static inline int scall_tramp_is_movimm(const uint8_t *p)
{
	return p[0] == SCALL_TRAMP_MOVIMM0 && p[1] == SCALL_TRAMP_MOVIMM1 &&
	       p[2] == SCALL_TRAMP_MOVIMM2;
}

/*
 * The key load at p (avail bytes readable): its length, 0 when p is not a
 * key load, and its displacement (the member offset O) in *disp.
 */
static inline unsigned scall_tramp_key_load(const uint8_t *p,
					    unsigned long avail,
					    int64_t *disp)
{
	if (avail < SCALL_TRAMP_LOAD_LEN || p[0] != SCALL_TRAMP_LOAD_REX ||
	    p[1] != SCALL_TRAMP_LOAD_OP)
		return 0;
	switch (p[2]) {
	case SCALL_TRAMP_LOAD_MODRM:
		*disp = 0;
		return SCALL_TRAMP_LOAD_LEN;
	case SCALL_TRAMP_LOAD_MODRM_DISP8:
		if (avail < SCALL_TRAMP_LOAD_DISP8_LEN)
			return 0;
		*disp = (int8_t)p[3];
		return SCALL_TRAMP_LOAD_DISP8_LEN;
	case SCALL_TRAMP_LOAD_MODRM_DISP32:
		if (avail < SCALL_TRAMP_LOAD_DISP32_LEN)
			return 0;
		*disp = (int32_t)scall_get32(p + 3);
		return SCALL_TRAMP_LOAD_DISP32_LEN;
	default:
		return 0;
	}
}

#endif /* SCALL_INSN_H */
