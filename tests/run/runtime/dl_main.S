/* The executable's own sites of key_s. */
#include "../../common/scall_asm.h"
	SCALL_MODULE
	SCALL_TRAMP key_s
	SCALL_FUNC exe_call_s
	subq $8, %rsp
	SCALL_CALL site_exe_call_s, __scall_tramp_key_s
	addq $8, %rsp
	ret
	SCALL_ENDF exe_call_s
