/* SPDX-License-Identifier: MIT */
/* libgdbt_badhdr.so for gdb_target.c: a module whose header the runtime
 * refuses (wrong magic): it is left on its trampolines and not counted. */
#include "../common/scall_asm.h"
	SCALL_MODULE magic=0x12345678
	SCALL_TRAMP badhdr_key
	SCALL_FUNC badhdr_touch
	subq $8, %rsp
	SCALL_CALL -, __scall_tramp_badhdr_key
	addq $8, %rsp
	ret
	SCALL_ENDF badhdr_touch
	SCALL_FUNC badhdr_target
	leaq 9(%rdi), %rax
	ret
	SCALL_ENDF badhdr_target
	.data
	.balign 8
	.globl badhdr_key
badhdr_key:
	.quad badhdr_target
	.text
