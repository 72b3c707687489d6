/* scall-ld test fixture: hand-written scall output in the format of
 * docs/format.md.  -DCASE_<name> adds one defect (or feature); -DMAIN adds
 * main() so that the result runs.  Link with dummy_runtime.c. */
#include "../common/scall_asm.h"
#ifdef CASE_RELAXED
#define RELAX 1 /* REX_GOTPCRELX: ld may relax the trampoline's movq */
#else
#define RELAX 0
#endif

	.data
	.globl	key_a, key_b, key_c
	.balign 8
key_a:	.quad	target_a
key_b:	.quad	target_b
key_c:	.quad	0

	.text
	.globl	target_a, target_b
	.type	target_a,@function
target_a:
	xorl	%eax, %eax
	ret
	.size	target_a, .-target_a
	.type	target_b,@function
target_b:
	xorl	%eax, %eax
	ret
	.size	target_b, .-target_b

	SCALL_TRAMP_ __scall_tramp_key_a, key_a, 0, RELAX
	SCALL_TRAMP_ __scall_tramp_key_b, key_b, 0, RELAX
	SCALL_TRAMP_ __scall_ctramp_key_c, key_c, 1, RELAX
	.text
	.globl	f_calls
	.type	f_calls,@function
f_calls:
	pushq	%rbx
	SCALL_CALL -, __scall_tramp_key_a
	SCALL_CALL -, __scall_tramp_key_b
	SCALL_CALL -, __scall_ctramp_key_c
	popq	%rbx
	ret
	.size	f_calls, .-f_calls

	.globl	f_tail
	.type	f_tail,@function
f_tail:
	testl	%edi, %edi
	SCALL_JCC -, 5, __scall_tramp_key_a
	SCALL_JMP -, __scall_tramp_key_b
	.size	f_tail, .-f_tail

#ifdef CASE_BIND
	/* Keys whose link-time target is or is not fixed by the file:
	 * scall_return0 with only a call site and with a tail call, a libc
	 * function (another module), and a hidden key set to a hidden
	 * function (this module's own even in a shared object, where the
	 * other keys and targets are interposable). */
	.data
	.balign 8
	.globl	key_r1, key_r2, key_x, key_h
	.hidden	key_h
key_r1:	.quad	scall_return0
key_r2:	.quad	scall_return0
key_x:	.quad	puts
key_h:	.quad	target_h
	.text
	.hidden	target_h
	.type	target_h,@function
target_h:
	xorl	%eax, %eax
	ret
	.size	target_h, .-target_h
#ifndef CASE_SHARED
	.globl	scall_return0
	.type	scall_return0,@function
scall_return0:
	xorl	%eax, %eax
	ret
	.size	scall_return0, .-scall_return0
#endif
	SCALL_TRAMP_ __scall_tramp_key_r1, key_r1, 0, RELAX
	SCALL_TRAMP_ __scall_tramp_key_r2, key_r2, 0, RELAX
	SCALL_TRAMP_ __scall_tramp_key_x, key_x, 0, RELAX
	SCALL_TRAMP_ __scall_tramp_key_h, key_h, 0, RELAX
	.text
	.globl	f_bind
	.type	f_bind,@function
f_bind:
	subq	$8, %rsp
	SCALL_CALL -, __scall_tramp_key_r1
	SCALL_CALL -, __scall_tramp_key_r2
	SCALL_CALL -, __scall_tramp_key_x
	SCALL_CALL -, __scall_tramp_key_h
	addq	$8, %rsp
	SCALL_JMP -, __scall_tramp_key_r2
	.size	f_bind, .-f_bind
#endif

#ifdef CASE_COPY
	/* key_k is copy_lib.S's, copied into this non-PIE executable: its
	 * bytes here (0 in .bss) are not what it holds at run time. */
	SCALL_TRAMP_ __scall_tramp_key_k, key_k, 0, RELAX
	.text
	.globl	f_copy
	.type	f_copy,@function
f_copy:
	movq	key_k(%rip), %rax	/* a direct read: forces the copy */
	SCALL_JMP -, __scall_tramp_key_k
	.size	f_copy, .-f_copy
#endif

#ifdef CASE_UNSORTED
	/* records emitted in the order 3, 1, 2 */
	.type	f_unsorted,@function
f_unsorted:
	pushq	%rbx
61:	call	__scall_tramp_key_a
62:	call	__scall_tramp_key_b
63:	call	__scall_tramp_key_a
	popq	%rbx
	ret
	.size	f_unsorted, .-f_unsorted
	SCALL_RECORD 63b, __scall_tramp_key_a
	SCALL_RECORD 61b, __scall_tramp_key_a
	SCALL_RECORD 62b, __scall_tramp_key_b
#endif

#ifdef CASE_BRANCH_INTO
	.type	f_into,@function
f_into:
	testl	%edi, %edi
	.byte	0x75, 0x02	/* jne 71f + 2, as bytes: clang -O0 relaxes branches */
71:	call	__scall_tramp_key_a
	SCALL_RECORD 71b, __scall_tramp_key_a
	ret
	.size	f_into, .-f_into
#endif

#ifdef CASE_NOT_CALL
	.type	f_notcall,@function
f_notcall:
72:	movl	$5, %eax
	SCALL_RECORD 72b, __scall_tramp_key_a
	ret
	.size	f_notcall, .-f_notcall
#endif

#ifdef CASE_WRONG_TRAMP
	.type	f_wrongtramp,@function
f_wrongtramp:
73:	call	__scall_tramp_key_a
	SCALL_RECORD 73b, __scall_tramp_key_b
	ret
	.size	f_wrongtramp, .-f_wrongtramp
#endif

#ifdef CASE_WRONG_KIND
	.type	f_wrongkind,@function
f_wrongkind:
74:	jmp	__scall_tramp_key_a
	SCALL_RECORD 74b, __scall_tramp_key_a, 1
	.size	f_wrongkind, .-f_wrongkind
#endif

#ifdef CASE_DUP
	.type	f_dup,@function
f_dup:
75:	call	__scall_tramp_key_a
	SCALL_RECORD 75b, __scall_tramp_key_a
	SCALL_RECORD 75b, __scall_tramp_key_a
	ret
	.size	f_dup, .-f_dup
#endif

#ifdef CASE_OVERLAP
	.type	f_overlap,@function
f_overlap:
76:	.byte	0x0f, 0x85
	.long	__scall_tramp_key_a - . - 4
	SCALL_RECORD 76b, __scall_tramp_key_a, 3
	SCALL_RECORD 76b + 1, __scall_tramp_key_a, 2
	ret
	.size	f_overlap, .-f_overlap
#endif

#ifdef CASE_UNRECORDED
	.type	f_unrec,@function
f_unrec:
	call	__scall_tramp_key_a
	ret
	.size	f_unrec, .-f_unrec
#endif

#ifdef CASE_NOT_IN_FUNC
	.section .text.nofunc,"ax",@progbits
nofunc:
77:	call	__scall_tramp_key_a
	SCALL_RECORD 77b, __scall_tramp_key_a
	ret
	.text
#endif

#ifdef CASE_MID_INSN
	/* the E8 is the third byte of a movabs: not an instruction start */
	.type	f_mid,@function
f_mid:
	.byte	0x48, 0xb8
78:	call	__scall_tramp_key_a
	.byte	0, 0, 0
	SCALL_RECORD 78b, __scall_tramp_key_a
	ret
	.size	f_mid, .-f_mid
#endif

#ifdef CASE_NO_TRAMP_REC
	.type	f_notramp,@function
f_notramp:
79:	call	target_a
	SCALL_RECORD 79b, target_a
	ret
	.size	f_notramp, .-f_notramp
#endif

#ifdef CASE_BAD_KIND
	.type	f_badkind,@function
f_badkind:
80:	call	__scall_tramp_key_a
	SCALL_RECORD 80b, __scall_tramp_key_a, 7
	ret
	.size	f_badkind, .-f_badkind
#endif

#ifdef CASE_BAD_TRAMP
	/* a trampoline whose body is not the documented one */
	.section .text.__scall_tramp_key_d,"axG",@progbits,__scall_tramp_key_d,comdat
	.globl	__scall_tramp_key_d
	.hidden	__scall_tramp_key_d
	.type	__scall_tramp_key_d,@function
	.balign 16
__scall_tramp_key_d:
	nop
	jmp	target_a
	.size	__scall_tramp_key_d, .-__scall_tramp_key_d
	.section scall_tramps,"awG",@progbits,__scall_tramp_key_d,comdat
	.balign 8
	.quad	key_a
	.long	__scall_tramp_key_d - .
	.long	0
	.text
	.type	f_badtramp,@function
f_badtramp:
	SCALL_JMP -, __scall_tramp_key_d
	.size	f_badtramp, .-f_badtramp
#endif

#ifdef CASE_WRONG_KEY
	/* the trampoline loads key_a, its record says key_b */
	.section .text.__scall_tramp_key_e,"axG",@progbits,__scall_tramp_key_e,comdat
	.globl	__scall_tramp_key_e
	.hidden	__scall_tramp_key_e
	.type	__scall_tramp_key_e,@function
	.balign 16
__scall_tramp_key_e:
	leaq	key_a(%rip), %r11
	movq	(%r11), %r11
	jmpq	*%r11
	.size	__scall_tramp_key_e, .-__scall_tramp_key_e
	.section scall_tramps,"awG",@progbits,__scall_tramp_key_e,comdat
	.balign 8
	.quad	key_b
	.long	__scall_tramp_key_e - .
	.long	0
	.text
	.type	f_wrongkey,@function
f_wrongkey:
	SCALL_JMP -, __scall_tramp_key_e
	.size	f_wrongkey, .-f_wrongkey
#endif

#if defined(CASE_KIND4) || defined(CASE_KIND4_EXTRA)
	/* Clang-pass style: kind 4, site = the function's entry */
	.globl	f_k4
	.type	f_k4,@function
f_k4:
.Lf_k4:	/* a local label: PC32 to a preemptible symbol does not link -shared */
	pushq	%rbx
	call	__scall_tramp_key_a
	call	__scall_tramp_key_b
	testl	%eax, %eax
	.byte	0x0f, 0x84
	.long	__scall_tramp_key_a - . - 4
	call	__scall_tramp_key_a
	popq	%rbx
	jmp	__scall_tramp_key_a
	.size	f_k4, .-f_k4
	/* (f_k4, a): 4 records, 4 sites; (f_k4, b): 2 records, 1 site */
	SCALL_RECORD .Lf_k4, __scall_tramp_key_a, 4
	SCALL_RECORD .Lf_k4, __scall_tramp_key_b, 4
	SCALL_RECORD .Lf_k4, __scall_tramp_key_a, 4
	SCALL_RECORD .Lf_k4, __scall_tramp_key_a, 4
	SCALL_RECORD .Lf_k4, __scall_tramp_key_b, 4
	SCALL_RECORD .Lf_k4, __scall_tramp_key_a, 4
#endif
#ifdef CASE_KIND4_EXTRA
	/* 2 sites, 1 record: the second stays unrecorded */
	.type	f_k4x,@function
f_k4x:
.Lf_k4x:
	pushq	%rbx
	call	__scall_tramp_key_b
	call	__scall_tramp_key_b
	popq	%rbx
	ret
	.size	f_k4x, .-f_k4x
	SCALL_RECORD .Lf_k4x, __scall_tramp_key_b, 4
#endif

#ifdef MAIN
	.globl	main
	.type	main,@function
main:
	pushq	%rbx
	call	f_calls
	movl	$1, %edi
	call	f_tail
	xorl	%eax, %eax
	popq	%rbx
	ret
	.size	main, .-main
#endif

#if defined CASE_HDR_GROWN
	/* A header a later version grew by two words: read as 64 bytes. */
	SCALL_MODULE size=80, pad=16
#elif defined CASE_HDR_LEGACY
	/* Written before the size field existed (48 bytes, no branches). */
	SCALL_MODULE size=0, v0=1
#else
	SCALL_MODULE
#endif
	.section .note.GNU-stack,"",@progbits
