/* A dlopen'ed module calling key_s (defined in libdlkeyed.so). */
#include "../../common/scall_asm.h"
	SCALL_MODULE
	SCALL_TRAMP key_s
	SCALL_FUNC plug_call_s
	subq $8, %rsp
	SCALL_CALL site_plug_call_s, __scall_tramp_key_s
	addq $8, %rsp
	ret
	SCALL_ENDF plug_call_s
	SCALL_FUNC plug_jmp_s
	SCALL_JMP site_plug_jmp_s, __scall_tramp_key_s
	SCALL_ENDF plug_jmp_s
