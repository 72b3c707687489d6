/* Sites whose patch window crosses a 4 KiB page boundary, for
 * straddle.c: a call with k = 1..4 of its 5 bytes in the first page and a
 * Jcc with k = 1..5 of its 6, each at the end of a page of its own, after
 * an ordinary call site at the start of that page (so that a step writes
 * two windows in the first page, one of them crossing). */
#include "../../common/scall_asm.h"
	SCALL_MODULE
	SCALL_TRAMP key_p

/* int pc_K(int x) (page start) and int sc_K(int x): key_p(x) */
	.macro STRADDLE_CALL k
	.text
	.balign 4096
.Lpage_\k:
	SCALL_FUNC pc_\k
	subq $8, %rsp
	SCALL_CALL site_pc_\k, __scall_tramp_key_p
	addq $8, %rsp
	ret
	SCALL_ENDF pc_\k
	.org .Lpage_\k + 4096 - 4 - \k, 0xcc
	.globl sc_\k
	.type sc_\k,@function
sc_\k:
	subq $8, %rsp			/* 4 bytes */
	SCALL_CALL site_sc_\k, __scall_tramp_key_p
	addq $8, %rsp
	ret
	.size sc_\k, . - sc_\k
	.endm

/* int sj_K(int x): x >= 100 ? key_p(x) : -1 */
	.macro STRADDLE_JCC k
	.text
	.balign 4096
	.skip 4096 - 3 - \k, 0xcc
	.globl sj_\k
	.type sj_\k,@function
sj_\k:
	cmpl $100, %edi			/* 3 bytes */
	SCALL_JCC site_sj_\k, 13, __scall_tramp_key_p
	movl $-1, %eax
	ret
	.size sj_\k, . - sj_\k
	.endm

	.irp k, 1,2,3,4
	STRADDLE_CALL \k
	.endr
	.irp k, 1,2,3,4,5
	STRADDLE_JCC \k
	.endr

	.section .data.rel.ro,"aw"
	.balign 8
	.globl straddle_fns, straddle_sites, straddle_page_fns, straddle_page_sites
straddle_fns:
	.irp k, 1,2,3,4
	.quad sc_\k
	.endr
	.irp k, 1,2,3,4,5
	.quad sj_\k
	.endr
straddle_sites:
	.irp k, 1,2,3,4
	.quad site_sc_\k
	.endr
	.irp k, 1,2,3,4,5
	.quad site_sj_\k
	.endr
straddle_page_fns:
	.irp k, 1,2,3,4
	.quad pc_\k
	.endr
straddle_page_sites:
	.irp k, 1,2,3,4
	.quad site_pc_\k
	.endr
	.text
