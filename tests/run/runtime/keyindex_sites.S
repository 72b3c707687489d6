/*
 * Sites of the keys of keyindex.h.  MOD 0..2: a module with the keys k
 * with k % 3 != MOD; the executable (MOD undefined): keys 0 ..
 * IDX_EXE_KEYS - 1.  Each key has a call, a tail-call and a Jcc site,
 * emitted in three sweeps with other code between, so that one key's sites
 * lie apart, among other keys' sites, over several pages; each member of
 * idx_ops has a call site (its trampoline loads the member, docs/format.md).
 * Module 2 has no code between: its sites and trampolines share a page or
 * two, so the writes of a step in one page come from several keys' runs,
 * which the cycle must merge into address order.
 * idx_fns lists, per key, the functions holding its three sites (0 when
 * this object has none), then the members' (see keyindex.c).
 */
#include "../../common/scall_asm.h"
#include "keyindex.h"

#ifdef MOD
#define HAS(k) ((k) % 3 != MOD)
#else
#define HAS(k) ((k) < IDX_EXE_KEYS)
#endif
#if defined(MOD) && MOD == 2
#define FILL_CALL 0
#define FILL_JMP 0
#else
#define FILL_CALL 83
#define FILL_JMP 29
#endif

	.macro IDX_FUNC name
	.text
	.globl \name
	.hidden \name
	.type \name,@function
	.balign 16
\name:
	.endm

	/* The trampoline of member `off` of idx_ops and its record (key
	 * idx_ops + off). */
	.macro IDX_MTRAMP off
	.section .text.__scall_tramp_idx_ops__\off,"axG",@progbits,__scall_tramp_idx_ops__\off,comdat
	.globl __scall_tramp_idx_ops__\off
	.hidden __scall_tramp_idx_ops__\off
	.type __scall_tramp_idx_ops__\off,@function
	.balign 16
__scall_tramp_idx_ops__\off:
	.byte 0x4c, 0x8b, 0x1d
	.long idx_ops@GOTPCREL - 4
	.if \off
	movq \off(%r11), %r11
	.else
	movq (%r11), %r11
	.endif
	jmpq *%r11
	.size __scall_tramp_idx_ops__\off, . - __scall_tramp_idx_ops__\off
	.section scall_tramps,"awG",@progbits,__scall_tramp_idx_ops__\off,comdat
	.balign 8
	.quad idx_ops + \off
	.long __scall_tramp_idx_ops__\off - .
	.long 0
	.text
	.endm

	SCALL_MODULE

	.irp k, IDX_LIST
	.if HAS(\k)
	SCALL_TRAMP kk_\k
	.endif
	.endr
	.irp off, 0, 8, 16, 24
	IDX_MTRAMP \off
	.endr

	.irp k, IDX_LIST
	.if HAS(\k)
	IDX_FUNC idx_call_\k
	subq $8, %rsp
	SCALL_CALL -, __scall_tramp_kk_\k
	addq $8, %rsp
	ret
	.fill FILL_CALL, 1, 0xcc
	.endif
	.endr

	.irp k, IDX_LIST
	.if HAS(\k)
	IDX_FUNC idx_jmp_\k
	SCALL_JMP -, __scall_tramp_kk_\k
	.fill FILL_JMP, 1, 0xcc
	.endif
	.endr

	/* idx_jcc_k(0) tail-calls the key's target with 0, others return -1 */
	.irp k, IDX_LIST
	.if HAS(\k)
	IDX_FUNC idx_jcc_\k
	testl %edi, %edi
	SCALL_JCC -, 4, __scall_tramp_kk_\k
	movl $-1, %eax
	ret
	.endif
	.endr

	.irp off, 0, 8, 16, 24
	IDX_FUNC idx_mcall_\off
	subq $8, %rsp
	SCALL_CALL -, __scall_tramp_idx_ops__\off
	addq $8, %rsp
	ret
	.endr

	.section .data.rel.ro,"aw",@progbits
	.balign 8
	.globl idx_fns
	.type idx_fns,@object
idx_fns:
	.irp k, IDX_LIST
	.if HAS(\k)
	.quad idx_call_\k, idx_jmp_\k, idx_jcc_\k
	.else
	.quad 0, 0, 0
	.endif
	.endr
	.quad idx_mcall_0, idx_mcall_8, idx_mcall_16, idx_mcall_24
	.size idx_fns, . - idx_fns
