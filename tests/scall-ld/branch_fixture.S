/* scall-ld test fixture for branch records (section scall_branches,
 * docs/format.md), hand-written so that it depends on no scall.h macro.
 * Without a CASE_ it is a valid file: the four forms (unlikely/likely on
 * a FALSE and a TRUE key), a jump into the function's cold part, a dead
 * record, and a call site beside them.  -DCASE_<name> adds one defect
 * (or feature); -DMAIN adds main() so that the result runs.  Link with
 * dummy_runtime.c. */
#include "../common/scall_asm.h"

	/* a branch record: code, target, key, info (kind | flags), reserved */
	.macro BR_REC code, target, key, kind=5, reserved=0
	.pushsection scall_branches,"aw",@progbits
	.balign 8
	.long \code - .
	.long \target - .
	.quad \key
	.long \kind
	.long \reserved
	.popsection
	.endm
	/* the instruction as the compiler emits it, and its record */
	.macro BR_NOP target, key, kind=5
9980:	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00
	BR_REC 9980b, \target, \key, \kind
	.endm
	.macro BR_JMP target, key, kind=5
9981:	.byte 0xe9
	.long \target - . - 4
	BR_REC 9981b, \target, \key, \kind
	.endm

	/* Branch keys: a struct scall_branch_key starts with its int count */
	.bss
	.balign 8
	.globl	key_off
	.type	key_off,@object
key_off:	.zero	8	/* DEFINE_FALSE */
	.size	key_off, 8
	.data
	.balign 8
	.globl	key_on, key_a
	.type	key_on,@object
key_on:	.long	1, 0	/* DEFINE_TRUE */
	.size	key_on, 8
	.type	key_a,@object
key_a:	.quad	target_a	/* an ordinary scall key, for the call site */
	.size	key_a, 8

	.text
	.globl	target_a
	.type	target_a,@function
target_a:
	xorl	%eax, %eax
	ret
	.size	target_a, .-target_a
	SCALL_TRAMP_ __scall_tramp_key_a, key_a, 0

	/* int f_br(void): 0 with the compiled forms (the branches that are a
	 * jmp skip to a block that goes on) */
	.globl	f_br
	.type	f_br,@function
f_br:
.Lf_br:	/* a local label: PC32 to a preemptible symbol does not link -shared */
	pushq	%rbx
	BR_NOP	1f, key_off, 5		/* unlikely, FALSE: nop */
2:	BR_JMP	3f, key_on, 5		/* unlikely, TRUE: jmp */
3:	BR_JMP	4f, key_off, 6		/* likely, FALSE: jmp */
4:	BR_NOP	1f, key_on, 6		/* likely, TRUE: nop */
	SCALL_CALL -, __scall_tramp_key_a
	BR_NOP	f_br.cold, key_off, 5	/* into the cold part (GCC's f.cold) */
	xorl	%eax, %eax
	popq	%rbx
	ret
1:	movl	$1, %eax
	popq	%rbx
	ret
	.size	f_br, .-f_br
	/* a dead record (kind 0): ignored */
	BR_REC	.Lf_br, .Lf_br, 0, 0

	.section .text.unlikely,"ax",@progbits
	.type	f_br.cold,@function
f_br.cold:
	movl	$2, %eax
	popq	%rbx
	ret
	.size	f_br.cold, .-f_br.cold
	.text

#ifdef CASE_NOT_NOP
	.type	f_notnop,@function
f_notnop:
91:	movl	$5, %eax
	BR_REC	91b, 92f, key_off
92:	ret
	.size	f_notnop, .-f_notnop
#endif

#ifdef CASE_OTHER_NOP
	/* nopl 0x1(%rax,%rax): a 5-byte nop, but not the one form */
	.type	f_othernop,@function
f_othernop:
91:	.byte	0x0f, 0x1f, 0x44, 0x00, 0x01
	BR_REC	91b, 92f, key_off
92:	ret
	.size	f_othernop, .-f_othernop
#endif

#ifdef CASE_JMP_ELSEWHERE
	.type	f_jmpelse,@function
f_jmpelse:
91:	.byte	0xe9
	.long	93f - . - 4
	BR_REC	91b, 92f, key_on
92:	xorl	%eax, %eax
93:	ret
	.size	f_jmpelse, .-f_jmpelse
#endif

#ifdef CASE_SITE_KIND
	.type	f_sitekind,@function
f_sitekind:
	BR_NOP	1f, key_off, 1
1:	ret
	.size	f_sitekind, .-f_sitekind
#endif

#ifdef CASE_BAD_KIND
	.type	f_badkind,@function
f_badkind:
	BR_NOP	1f, key_off, 9
1:	ret
	.size	f_badkind, .-f_badkind
#endif

#ifdef CASE_FLAGS
	.type	f_flags,@function
f_flags:
	BR_NOP	1f, key_off, 0x105
1:	ret
	.size	f_flags, .-f_flags
#endif

#ifdef CASE_WRONG_DEFAULT
	/* compiled for a TRUE key (a jmp), but key_off is defined FALSE */
	.type	f_wrongdef,@function
f_wrongdef:
	BR_JMP	1f, key_off, 5
1:	ret
	.size	f_wrongdef, .-f_wrongdef
#endif

#ifdef CASE_COPY_KEY
	/* copy_lib.S's key_k, copied into this non-PIE executable: its
	 * bytes here (0 in .bss) are not its count at run time (not 0), so
	 * the jmp of an unlikely branch is not questioned */
	.type	f_copykey,@function
f_copykey:
	movq	key_k(%rip), %rax	/* a direct read: forces the copy */
	BR_JMP	1f, key_k, 5
1:	ret
	.size	f_copykey, .-f_copykey
#endif

#ifdef CASE_DEAD_FLAGS
	/* a dead record is not checked against code, but its flags are */
	BR_REC	.Lf_br, .Lf_br, 0, 0x100
#endif

#ifdef CASE_RESERVED
	.type	f_reserved,@function
f_reserved:
91:	.byte	0x0f, 0x1f, 0x44, 0x00, 0x00
	BR_REC	91b, 1f, key_off, 5, 1
1:	ret
	.size	f_reserved, .-f_reserved
#endif

#ifdef CASE_KEY_RO
	.section .rodata,"a",@progbits
	.balign 8
	.type	key_ro,@object
key_ro:	.zero	8
	.size	key_ro, 8
	.text
	.type	f_keyro,@function
f_keyro:
	BR_NOP	1f, key_ro
1:	ret
	.size	f_keyro, .-f_keyro
#endif

#ifdef CASE_KEY_RELRO
	/* writable in the file, read-only once relocated */
	.section .data.rel.ro,"aw",@progbits
	.balign 8
	.type	key_relro,@object
key_relro:	.zero	8
	.size	key_relro, 8
	.text
	.type	f_keyrelro,@function
f_keyrelro:
	BR_NOP	1f, key_relro
1:	ret
	.size	f_keyrelro, .-f_keyrelro
#endif

#ifdef CASE_KEY_CODE
	.type	f_keycode,@function
f_keycode:
	BR_NOP	1f, target_a
1:	ret
	.size	f_keycode, .-f_keycode
#endif

#ifdef CASE_KEY_NORELOC
	/* an absolute number: no relocation moves it with a PIE */
	.type	f_noreloc,@function
f_noreloc:
	BR_NOP	1f, 0x4000
1:	ret
	.size	f_noreloc, .-f_noreloc
#endif

#ifdef CASE_NOT_IN_FUNC
	.section .text.nofunc,"ax",@progbits
nofunc:
	BR_NOP	1f, key_off
1:	ret
	.text
#endif

#ifdef CASE_STRADDLE
	/* the symbol ends in the middle of the nop */
	.type	f_straddle,@function
f_straddle:
	xorl	%eax, %eax
	BR_NOP	1f, key_off
	.size	f_straddle, .-f_straddle-2
1:	ret
#endif

#ifdef CASE_TARGET_OTHER
	.type	f_tother,@function
f_tother:
	BR_NOP	target_a, key_off
	ret
	.size	f_tother, .-f_tother
#endif

#ifdef CASE_TARGET_SIBLING
	/* f_sib.cold.x and f_sib.colder are not f_sib's cold part */
	.type	f_sib,@function
f_sib:
	BR_NOP	f_sib.cold.x, key_off
	BR_NOP	f_sib.colder, key_off
	ret
	.size	f_sib, .-f_sib
	.section .text.unlikely,"ax",@progbits
	.type	f_sib.cold.x,@function
f_sib.cold.x:
	ret
	.size	f_sib.cold.x, .-f_sib.cold.x
	.type	f_sib.colder,@function
f_sib.colder:
	ret
	.size	f_sib.colder, .-f_sib.colder
	.text
#endif

#ifdef CASE_TARGET_MID
	/* the target is the second byte of a movl */
	.type	f_tmid,@function
f_tmid:
	BR_NOP	1f + 1, key_off
1:	movl	$0xc3c3c3c3, %eax
	ret
	.size	f_tmid, .-f_tmid
#endif

#ifdef CASE_MID_INSN
	/* the nop is bytes 2..6 of a movabs: not an instruction start */
	.type	f_mid,@function
f_mid:
	.byte	0x48, 0xb8
	BR_NOP	1f, key_off
	.byte	0, 0, 0
1:	ret
	.size	f_mid, .-f_mid
#endif

#ifdef CASE_INTO
	.type	f_into,@function
f_into:
	testl	%edi, %edi
	.byte	0x75, 0x02	/* jne 91f + 2, as bytes */
91:	BR_NOP	1f, key_off
1:	ret
	.size	f_into, .-f_into
#endif

#ifdef CASE_INTO_SITE
	/* the branch, once a jmp, would land in byte 2 of a call site */
	.type	f_intosite,@function
f_intosite:
	BR_NOP	91f + 2, key_off
91:	SCALL_CALL -, __scall_tramp_key_a
	ret
	.size	f_intosite, .-f_intosite
#endif

#ifdef CASE_DUP
	.type	f_dup,@function
f_dup:
91:	BR_NOP	1f, key_off
	BR_REC	91b, 1f, key_off
1:	ret
	.size	f_dup, .-f_dup
#endif

#ifdef CASE_OVERLAP
	.type	f_overlap,@function
f_overlap:
91:	BR_NOP	1f, key_off
	BR_REC	91b + 2, 1f, key_off
	nop; nop; nop
1:	ret
	.size	f_overlap, .-f_overlap
#endif

#ifdef CASE_OVER_SITE
	.type	f_oversite,@function
f_oversite:
91:	BR_NOP	1f, key_off
	SCALL_RECORD 91b, __scall_tramp_key_a	/* a call site record on it */
1:	ret
	.size	f_oversite, .-f_oversite
#endif

#ifdef CASE_EXTERN_KEY
	/* a key of another module (a shared object's DECLARE) */
	.type	f_extkey,@function
f_extkey:
	BR_NOP	1f, key_elsewhere
1:	ret
	.size	f_extkey, .-f_extkey
#endif

#ifdef MAIN
	.globl	main
	.type	main,@function
main:
	subq	$8, %rsp
	call	f_br
	addq	$8, %rsp
	ret
	.size	main, .-main
#endif

#if defined CASE_NO_HEADER
	/* no module header: nobody registers the branches */
#elif defined CASE_OLD_HEADER
	/* a 48-byte header without SCALL_MODULE_BRANCHES */
	SCALL_MODULE v0=1, size=48
#else
	SCALL_MODULE
#endif
	.section .note.GNU-stack,"",@progbits
