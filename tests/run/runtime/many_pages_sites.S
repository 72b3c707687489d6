/* For many_pages.c: NPAGES call sites of key_m in consecutive pages, each
 * window straddling into the next page (2 of its 5 bytes in the first), so
 * that a step touches NPAGES + 1 adjacent pages and every window is split
 * by whatever page boundary a writer's batches happen to end on.  Function
 * k starts at many_start + 4090 + 4096 k, its site 4 bytes later. */
#include "../../common/scall_asm.h"
	SCALL_MODULE
	SCALL_TRAMP key_m

	.text
	.balign 4096
	.globl many_start
many_start:
	.skip 4090, 0xcc
	.rept NPAGES
	subq $8, %rsp			/* 4 bytes */
	SCALL_CALL -, __scall_tramp_key_m
	addq $8, %rsp
	ret
	.skip 4096 - 14, 0xcc
	.endr
	.globl many_end
many_end:
