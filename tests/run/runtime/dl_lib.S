/* Sites of key_s in the shared object that defines it. */
#include "../../common/scall_asm.h"
	SCALL_MODULE
	SCALL_TRAMP key_s
	SCALL_FUNC lib_call_s
	subq $8, %rsp
	SCALL_CALL site_lib_call_s, __scall_tramp_key_s
	addq $8, %rsp
	ret
	SCALL_ENDF lib_call_s
