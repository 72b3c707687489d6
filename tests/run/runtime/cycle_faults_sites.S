/* The sites of kinds_sites.S (without far_fn), each function in a page of
 * its own with a page between, so that a step of a cycle makes one pwrite
 * per site (proc-mem) or one mremap per site (alias: no two pages are
 * adjacent), and a write can fail between two windows of one step
 * (cycle_faults.c). */
#include "../../common/scall_asm.h"
	SCALL_MODULE
	SCALL_TRAMP key_a
	SCALL_CTRAMP key_v
	SCALL_TRAMP_RELAX key_r	/* linked as leaq */

/* int call_a(int x): return key_a(x) through a CALL site */
	.text
	.balign 4096
	.skip 4096, 0xcc
	SCALL_FUNC call_a
	subq $8, %rsp
	SCALL_CALL site_call_a, __scall_tramp_key_a
	addq $8, %rsp
	ret
	SCALL_ENDF call_a

/* int jmp_a(int x): tail call */
	.text
	.balign 4096
	.skip 4096, 0xcc
	SCALL_FUNC jmp_a
	SCALL_JMP site_jmp_a, __scall_tramp_key_a
	SCALL_ENDF jmp_a

/* int jcc_a(int x): x >= 100 ? key_a(x) : -1 (jge = cc 13) */
	.text
	.balign 4096
	.skip 4096, 0xcc
	SCALL_FUNC jcc_a
	cmpl $100, %edi
	SCALL_JCC site_jcc_a, 13, __scall_tramp_key_a
	movl $-1, %eax
	ret
	SCALL_ENDF jcc_a

/* void ccall_v(void): scall_cond call */
	.text
	.balign 4096
	.skip 4096, 0xcc
	SCALL_FUNC ccall_v
	subq $8, %rsp
	SCALL_CALL site_ccall_v, __scall_ctramp_key_v
	addq $8, %rsp
	ret
	SCALL_ENDF ccall_v

/* void cjmp_v(void): cond tail call */
	.text
	.balign 4096
	.skip 4096, 0xcc
	SCALL_FUNC cjmp_v
	SCALL_JMP site_cjmp_v, __scall_ctramp_key_v
	SCALL_ENDF cjmp_v

/* void cjcc_v(int x): if (x == 0) key_v() (je = cc 4) */
	.text
	.balign 4096
	.skip 4096, 0xcc
	SCALL_FUNC cjcc_v
	testl %edi, %edi
	SCALL_JCC site_cjcc_v, 4, __scall_ctramp_key_v
	ret
	SCALL_ENDF cjcc_v

/* long call_r(void): RET0 key; returns rax after the site */
	.text
	.balign 4096
	.skip 4096, 0xcc
	SCALL_FUNC call_r
	subq $8, %rsp
	movq $77, %rax
	SCALL_CALL site_call_r, __scall_tramp_key_r
	addq $8, %rsp
	ret
	SCALL_ENDF call_r

