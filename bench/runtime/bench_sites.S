/* Keys with 1, 10, 100, 1000 and 10000 sites, plus one for the trap cost. */
#include "../../tests/common/scall_asm.h"
	SCALL_MODULE

	.macro KEYSITES n
	SCALL_TRAMP kb\n
	/* int live_\n(int): one live call site */
	SCALL_FUNC live_\n
	subq $8, %rsp
	SCALL_CALL -, __scall_tramp_kb\n
	addq $8, %rsp
	ret
	SCALL_ENDF live_\n
	/* n - 1 more sites, never executed */
	SCALL_FUNC dead_\n
	.rept \n - 1
	SCALL_CALL -, __scall_tramp_kb\n
	.endr
	ret
	SCALL_ENDF dead_\n
	.endm

	KEYSITES 1
	KEYSITES 10
	KEYSITES 100
	KEYSITES 1000
	KEYSITES 10000
	KEYSITES 2
