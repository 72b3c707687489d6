/* The oracle for the shared emitter (common/scall-rules.h): the same
 * trampolines, records and module header as emitter_gen.cpp writes, from
 * the hand-written macros of tests/common/scall_asm.h.  compare.py
 * assembles both and compares their bytes and relocations.  Keep the two
 * lists in step (compare.py fails on a section only one of them has). */
#include "../../common/scall_asm.h"

	SCALL_MODULE

	/* plain and cond flavour; a plain name, a promoted file-static's */
	SCALL_TRAMP key_a
	SCALL_CTRAMP key_a
	SCALL_TRAMP key_b.scall.0123456789abcdef
	SCALL_CTRAMP key_b.scall.0123456789abcdef
	SCALL_CTRAMP k

	/* one site record of each kind */
	SCALL_FUNC sites
	.globl site_call, site_jmp, site_jcc
site_call:
	nop
site_jmp:
	nop
site_jcc:
	nop
	SCALL_RECORD site_call, __scall_tramp_key_a, 1
	SCALL_RECORD site_jmp, __scall_ctramp_key_a, 2
	SCALL_RECORD site_jcc, __scall_tramp_key_b.scall.0123456789abcdef, 3
	SCALL_RECORD sites, __scall_ctramp_k, 4
	SCALL_ENDF sites
