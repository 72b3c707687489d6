/* A module whose header the runtime must refuse (BAD_HEADER selects how). */
#include "../../common/scall_asm.h"
#if BAD_HEADER == 1
	SCALL_MODULE magic=0x12345678
#elif BAD_HEADER == 2
	SCALL_MODULE version=2
#elif BAD_HEADER == 3
	SCALL_MODULE flags=0x10
#elif BAD_HEADER == 4
	SCALL_MODULE size=40
#elif BAD_HEADER == 6
	/* SCALL_MODULE_BRANCHES in a header whose size says 48 bytes: it
	 * has no branch bounds (the zeros after it would read as none). */
	SCALL_MODULE flags=8, v0=1, size=48, pad=16
#else
	SCALL_MODULE size=52, pad=8
#endif
	SCALL_TRAMP key_bad
	SCALL_FUNC bad_call
	subq $8, %rsp
	SCALL_CALL site_bad_call, __scall_tramp_key_bad
	addq $8, %rsp
	ret
	SCALL_ENDF bad_call
	/* the key, initially bad_t1 */
	SCALL_FUNC bad_t1
	leal 100(%rdi), %eax
	ret
	SCALL_ENDF bad_t1
	.data
	.balign 8
	.globl key_bad
key_bad:
	.quad bad_t1
	.text
