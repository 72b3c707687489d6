/* Sites of every kind in a dlopen'ed module (unload_lib.c): a plain key, a
 * cond key and a RET0 key, each with its own trampoline. */
#include "../../common/scall_asm.h"
	SCALL_MODULE
	SCALL_TRAMP key_u
	SCALL_CTRAMP key_w
	SCALL_TRAMP key_z

/* int ul_call_u(int x): key_u(x) */
	SCALL_FUNC ul_call_u
	subq $8, %rsp
	SCALL_CALL site_ul_call_u, __scall_tramp_key_u
	addq $8, %rsp
	ret
	SCALL_ENDF ul_call_u

/* int ul_jmp_u(int x): tail call */
	SCALL_FUNC ul_jmp_u
	SCALL_JMP site_ul_jmp_u, __scall_tramp_key_u
	SCALL_ENDF ul_jmp_u

/* int ul_jcc_u(int x): x >= 100 ? key_u(x) : -1 (jge = cc 13) */
	SCALL_FUNC ul_jcc_u
	cmpl $100, %edi
	SCALL_JCC site_ul_jcc_u, 13, __scall_tramp_key_u
	movl $-1, %eax
	ret
	SCALL_ENDF ul_jcc_u

/* void ul_call_w(void): scall_cond call */
	SCALL_FUNC ul_call_w
	subq $8, %rsp
	SCALL_CALL site_ul_call_w, __scall_ctramp_key_w
	addq $8, %rsp
	ret
	SCALL_ENDF ul_call_w

/* void ul_jmp_w(void): cond tail call */
	SCALL_FUNC ul_jmp_w
	SCALL_JMP site_ul_jmp_w, __scall_ctramp_key_w
	SCALL_ENDF ul_jmp_w

/* void ul_jcc_w(int x): if (x == 0) key_w() (je = cc 4) */
	SCALL_FUNC ul_jcc_w
	testl %edi, %edi
	SCALL_JCC site_ul_jcc_w, 4, __scall_ctramp_key_w
	ret
	SCALL_ENDF ul_jcc_w

/* long ul_call_z(void): RET0 key; returns rax after the site */
	SCALL_FUNC ul_call_z
	subq $8, %rsp
	movq $77, %rax
	SCALL_CALL site_ul_call_z, __scall_tramp_key_z
	addq $8, %rsp
	ret
	SCALL_ENDF ul_call_z
