/* Unusual records: kind 0 and 4, unknown flag bits, a site whose trampoline
 * has no record, a site whose bytes are not the compiler's form, two sites
 * whose bytes are both the compiler's form but whose windows overlap (so
 * that only the overlap check can refuse one), and two duplicates of a
 * valid record (refused as overlapping; the site stays live).
 * RECORDS_ORDER selects the table and header:
 *   0  records in no particular order, header as the compiler emits it
 *      but with size 0, as headers written before the size field hold;
 *   1  what scall-ld writes: records sorted by site, VALIDATED|SORTED and
 *      nsites = the number of records, in a header grown by 16 bytes a
 *      later version might append (read: the first 64);
 *   2  the same table and flags with a wrong nsites (must not be trusted). */
#include "../../common/scall_asm.h"
#define NRECORDS 11
#define NRECORDS_WRONG 10
#if RECORDS_ORDER == 1
	SCALL_MODULE flags=3, nsites=NRECORDS, size=80, pad=16
#elif RECORDS_ORDER == 2
	SCALL_MODULE flags=3, nsites=NRECORDS_WRONG
#else
	SCALL_MODULE size=0, v0=1
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
	/* a call to a trampoline without record; its first 5 bytes are a
	 * record's window that is not the compiler's form */
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

/* Never executed.  At X: e8 e8 01 00 00 = call X+5+0x1e8 (trampoline T1);
 * at X+1: e8 01 00 00 00 = call X+7 (trampoline T2).  Both trampolines are
 * of key_o, which stays NULL: nothing here is ever written. */
	.text
	.balign 16
	.globl site_rec_ov
site_rec_ov:
	.byte 0xe8, 0xe8, 0x01, 0x00, 0x00, 0x00, 0xcc
.Lt2:	/* X+7 */
	.byte 0x4c, 0x8b, 0x1d
	.long key_o@GOTPCREL - 4
	movq (%r11), %r11
	jmpq *%r11
	.org site_rec_ov + 5 + 0x1e8, 0xcc
.Lt1:
	.byte 0x4c, 0x8b, 0x1d
	.long key_o@GOTPCREL - 4
	movq (%r11), %r11
	jmpq *%r11

	.section scall_tramps,"aw",@progbits
	.balign 8
	.quad key_o
	.long .Lt1 - .
	.long 0
	.quad key_o
	.long .Lt2 - .
	.long 0

	.macro REC site, tramp, info
	.section scall_sites,"a",@progbits
	.balign 4
	.long \site - .
	.long \tramp - .
	.long \info
	.endm
#define R_KIND4   REC rec_call, __scall_tramp_key_q, 4   /* unresolved: counted */
#define R_A       REC .Lq1, __scall_tramp_key_q, 1       /* valid */
#define R_DUP     REC .Lq1, __scall_tramp_key_q, 1       /* refused: overlaps */
#define R_KIND0   REC .Lq1 + 2, __scall_tramp_key_q, 0   /* ignored */
#define R_FLAGGED REC .Lq2, __scall_tramp_key_q, 0x101   /* unknown flag: ignored */
#define R_C       REC .Lq3, __scall_tramp_key_q, 1       /* valid */
#define R_BYTES   REC orphan, __scall_tramp_key_q, 1     /* refused: bytes */
#define R_ORPHAN  REC .Lq4, orphan, 1                    /* refused: no tramp record */
#define R_OV1     REC site_rec_ov, .Lt1, 1               /* valid */
#define R_OV2     REC site_rec_ov + 1, .Lt2, 1           /* refused: overlaps */
#if RECORDS_ORDER
	R_KIND4; R_A; R_DUP; R_DUP; R_KIND0; R_FLAGGED; R_C; R_BYTES; R_ORPHAN
	R_OV1; R_OV2
#else
	R_DUP; R_A; R_KIND0; R_OV2; R_FLAGGED; R_C; R_OV1; R_DUP; R_ORPHAN
	R_KIND4; R_BYTES
#endif
	.text
