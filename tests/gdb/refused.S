/* SPDX-License-Identifier: MIT */
/* libgdbt_refused.so for gdb_target.c: a module with one good site, one
 * record on bytes that are not the compiler's form, and one whose
 * trampoline has no record.  The runtime refuses the last two. */
#include "../common/scall_asm.h"
	SCALL_MODULE
	SCALL_TRAMP refused_key
	SCALL_FUNC refused_touch
	subq $8, %rsp
	SCALL_CALL -, __scall_tramp_refused_key
71:	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00	/* a nopl, not a call */
	SCALL_RECORD 71b, __scall_tramp_refused_key, 1
72:	call orphan_tramp
	SCALL_RECORD 72b, orphan_tramp, 1
	addq $8, %rsp
	ret
	SCALL_ENDF refused_touch
	SCALL_FUNC refused_target
	leaq 7(%rdi), %rax
	ret
	SCALL_ENDF refused_target
	/* Called like a trampoline but without a record. */
	.type orphan_tramp,@function
orphan_tramp:
	ret
	.size orphan_tramp, . - orphan_tramp
	.data
	.balign 8
	.globl refused_key
refused_key:
	.quad refused_target
	.text
