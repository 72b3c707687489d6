/* One conditional tail call per condition code, for jcc.c. */
#include "../../common/scall_asm.h"
	SCALL_MODULE
	SCALL_TRAMP key_j

/* int jcc_N(unsigned long flags): RFLAGS = flags, then jN to key_j's
 * target (whose value is returned), else return 0. */
	.macro JCC_FN n
	SCALL_FUNC jcc_\n
	pushq %rdi
	popfq
	SCALL_JCC site_jcc_\n, \n, __scall_tramp_key_j
	xorl %eax, %eax
	ret
	SCALL_ENDF jcc_\n
	.endm
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	JCC_FN \n
	.endr

	.section .data.rel.ro,"aw"
	.balign 8
	.globl jcc_fns
jcc_fns:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	.quad jcc_\n
	.endr
	.globl jcc_sites
jcc_sites:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	.quad site_jcc_\n
	.endr
	.text
