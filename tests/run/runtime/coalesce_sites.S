/* Sites for coalesce.c, all of key_c.  Page A: five call sites in a row
 * (the test makes the middle one refused by changing its bytes).  Page B:
 * a call site, a record whose bytes are not the compiler's form (refused
 * at registration), a call site.  Page C: two call sites and a (refused)
 * record starting inside the first one's window and ending after it. */
#include "../../common/scall_asm.h"
	SCALL_MODULE
	SCALL_TRAMP key_c

/* int co_K(int x), cb_K(int x): key_c(x) */
	.macro CALLER name
	SCALL_FUNC \name
	subq $8, %rsp
	SCALL_CALL site_\name, __scall_tramp_key_c
	addq $8, %rsp
	ret
	SCALL_ENDF \name
	.endm

	.text
	.balign 4096
	.irp k, 0,1,2,3,4
	CALLER co_\k
	.endr

	.balign 4096
	CALLER cb_0
	SCALL_FUNC cb_bad
	.globl site_cb_bad
site_cb_bad:
	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00	/* nopl 0(%rax,%rax): not a call */
	SCALL_RECORD site_cb_bad, __scall_tramp_key_c, 1
	ret
	SCALL_ENDF cb_bad
	CALLER cb_1

	.balign 4096
	CALLER cc_0
	SCALL_RECORD site_cc_0 + 3, __scall_tramp_key_c, 1
	.globl site_cc_bad
	.set site_cc_bad, site_cc_0 + 3
	CALLER cc_1
