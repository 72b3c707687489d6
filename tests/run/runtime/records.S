/* Unusual records: kind 0 and 4, unknown flag bits, an overlapping
 * duplicate, a site whose trampoline has no record, a site whose bytes are
 * not the compiler's form.  The header is emitted VALIDATED|SORTED only
 * when RECORDS_VALIDATED is set (the records are then in address order). */
#include "../../common/scall_asm.h"
#ifdef RECORDS_VALIDATED
	SCALL_MODULE flags=3
#else
	SCALL_MODULE
#endif
	SCALL_TRAMP key_q

	SCALL_FUNC rec_call
	subq $8, %rsp
	.globl site_rec_a
site_rec_a:
.Lq1:	.byte 0xe8
	.long __scall_tramp_key_q - . - 4
	.globl site_rec_b
site_rec_b:
.Lq2:	.byte 0xe8
	.long __scall_tramp_key_q - . - 4
	.globl site_rec_c
site_rec_c:
.Lq3:	.byte 0xe8
	.long __scall_tramp_key_q - . - 4
	addq $8, %rsp
	ret
	SCALL_ENDF rec_call
	/* a call to a trampoline without record */
	SCALL_FUNC orphan
	movl $7, %eax
	ret
	SCALL_ENDF orphan
	SCALL_FUNC rec_orphan
	subq $8, %rsp
	.globl site_rec_orphan
site_rec_orphan:
.Lq4:	.byte 0xe8
	.long orphan - . - 4
	addq $8, %rsp
	ret
	SCALL_ENDF rec_orphan

	.section scall_sites,"a",@progbits
	.balign 4
	.long .Lq1 - .
	.long __scall_tramp_key_q - .
	.long 1                         /* valid */
	.long .Lq1 + 2 - .
	.long __scall_tramp_key_q - .
	.long 0                         /* kind 0: ignored */
	.long .Lq1 + 2 - .              /* overlaps .Lq1: refused */
	.long __scall_tramp_key_q - .
	.long 1
	.long .Lq2 - .
	.long __scall_tramp_key_q - .
	.long 0x101                     /* unknown flag: ignored */
	.long .Lq3 - .
	.long __scall_tramp_key_q - .
	.long 1                         /* valid */
	.long .Lq4 - .
	.long orphan - .
	.long 1                         /* no trampoline record: refused */
	.long rec_call - .
	.long __scall_tramp_key_q - .
	.long 4                         /* unresolved: counted, ignored */
	.text
