/* SPDX-License-Identifier: MIT */
/*
 * A module scall-ld pre-binds whole (rt_lazy, lazy.c): two hidden keys of
 * its own, lz_a (plain, starting at lz_t0, a function of the module) and
 * lz_w (cond, starting NULL), with LZ_N call, tail-call and Jcc sites of
 * lz_a and a cond call site of lz_w.  With -DPRESTORE a priority-101
 * constructor stores lz_t1 into lz_a before the module registers: the
 * key's value at registration wins.
 *   int lz_call(int i, int x), lz_jmp(int i, int x), lz_jcc(int i, int x):
 *     lz_a(x) through site i of that kind (lz_jcc: -1 for x < 100);
 *   int lz_cond(void): 5 + (lz_w ? lz_w() : 0), through its site;
 *   void **lz_key_a(void), **lz_key_w(void): the keys (hidden, so that
 *     scall-ld can bind them in a shared object).
 * lz_t0(x) = x + 1000, lz_t1(x) = x + 2000 (exported).
 */
#include "../../common/scall_asm.h"
#define LZ_N 300
	SCALL_MODULE

	.data
	.balign 8
	.globl lz_a, lz_w
	.hidden lz_a, lz_w
lz_a:	.quad lz_t0
lz_w:	.quad 0

	.text
	/* lz_t0 hidden: a target scall-ld binds is the module's own */
	.globl lz_t0, lz_t1
	.hidden lz_t0
	.type lz_t0,@function
lz_t0:	leal 1000(%rdi), %eax
	ret
	.size lz_t0, . - lz_t0
	.type lz_t1,@function
lz_t1:	leal 2000(%rdi), %eax
	ret
	.size lz_t1, . - lz_t1

	SCALL_TRAMP_ __scall_tramp_lz_a, lz_a, 0, 1
	SCALL_TRAMP_ __scall_ctramp_lz_w, lz_w, 1, 1

	/* Site i of each kind: a 16-byte slot in a table of slots. */
	.text
	.balign 16
	.type lz_calls,@function
lz_calls:
	.rept LZ_N
	.balign 16
	subq $8, %rsp
	SCALL_CALL -, __scall_tramp_lz_a
	addq $8, %rsp
	ret
	.endr
	.size lz_calls, . - lz_calls
	.balign 16
	.type lz_jmps,@function
lz_jmps:
	.rept LZ_N
	.balign 16
	SCALL_JMP -, __scall_tramp_lz_a
	.endr
	.size lz_jmps, . - lz_jmps
	.balign 16
	.type lz_jccs,@function
lz_jccs:
	.rept LZ_N
	.balign 16
	cmpl $100, %edi
	SCALL_JCC -, 13, __scall_tramp_lz_a
	movl $-1, %eax
	ret
	.endr
	.size lz_jccs, . - lz_jccs

	/* int lz_call(int i, int x): the slot of site i with x */
	.macro LZ_ENTRY name, table
	SCALL_FUNC \name
	movslq %edi, %rax
	shlq $4, %rax
	leaq \table(%rip), %rcx
	addq %rcx, %rax
	movl %esi, %edi
	jmpq *%rax
	SCALL_ENDF \name
	.endm
	LZ_ENTRY lz_call, lz_calls
	LZ_ENTRY lz_jmp, lz_jmps
	LZ_ENTRY lz_jcc, lz_jccs

	SCALL_FUNC lz_cond
	subq $8, %rsp
	xorl %eax, %eax
	SCALL_CALL -, __scall_ctramp_lz_w
	addq $8, %rsp
	addl $5, %eax
	ret
	SCALL_ENDF lz_cond

	SCALL_FUNC lz_key_a
	leaq lz_a(%rip), %rax
	ret
	SCALL_ENDF lz_key_a
	SCALL_FUNC lz_key_w
	leaq lz_w(%rip), %rax
	ret
	SCALL_ENDF lz_key_w

#ifdef PRESTORE
	.text
	.type lz_prestore,@function
lz_prestore:
	movq lz_t1@GOTPCREL(%rip), %rax
	movq %rax, lz_a(%rip)
	ret
	.size lz_prestore, . - lz_prestore
	.section .init_array.00101,"aw",@init_array
	.balign 8
	.quad lz_prestore
#endif
