/* SPDX-License-Identifier: MIT */
/*
 * Hand-written scall sites in exactly the format of docs/format.md, so that
 * the runtime and scall-ld are tested without a compiler plugin.  Include
 * from a .S file (tests/run/runtime, tests/scall-ld, bench).
 *
 *   SCALL_MODULE                      module header + ctor/dtor (once per .S),
 *                                     64 bytes with the branch bounds and
 *                                     SCALL_MODULE_BRANCHES (8) ORed into
 *                                     flags, as the compilers emit it;
 *                                     flags= and nsites= write what scall-ld
 *                                     would (a sorted table, its count);
 *                                     size= the size field, pad= bytes
 *                                     appended (a grown header: size=64+pad);
 *                                     v0=1 the 48-byte header of before
 *                                     branch records (no flag added,
 *                                     size=48+pad)
 *   SCALL_TRAMP key                   plain trampoline + record
 *   SCALL_CTRAMP key                  cond trampoline + record
 *     (the movq carries a plain R_X86_64_GOTPCREL, as the compilers emit
 *     it; SCALL_TRAMP_RELAX key uses the relaxable REX_GOTPCRELX, which the
 *     linker turns into leaq for a key local to the module)
 *   SCALL_CALL label, tramp           labelled `call tramp` + site record
 *   SCALL_JMP label, tramp            labelled `jmp tramp` (tail call)
 *   SCALL_JCC label, cc, tramp        labelled `j<cc> tramp` (cc = 0..15)
 *   SCALL_TRAMP_ sym, key, flags, relax   any trampoline name and flags
 *   SCALL_RECORD site, tramp, kind    a site record alone (any site address,
 *                                     any kind: for defects and kind 4)
 *   SCALL_FUNC name / SCALL_ENDF name global function bracket
 * A label `-` means "no global label".
 */
	.macro SCALL_MODULE magic=0x4c414353, version=1, flags=0, nsites=0, size=64, pad=0, v0=0
	.section scall_module,"awG",@progbits,__scall_module,comdat
	.balign 8
	.globl __scall_module
	.hidden __scall_module
	.type __scall_module,@object
__scall_module:
	.long \magic
	.short \version
	.if \v0
	.short \flags
	.else
	.short (\flags) | 8
	.endif
	.long \nsites
	.long \size
	.quad __start_scall_sites
	.quad __stop_scall_sites
	.quad __start_scall_tramps
	.quad __stop_scall_tramps
	.if \v0
	.size __scall_module, 48 + \pad
	.else
	.quad __start_scall_branches
	.quad __stop_scall_branches
	.size __scall_module, 64 + \pad
	.endif
	.skip \pad
	.weak __start_scall_sites
	.hidden __start_scall_sites
	.weak __stop_scall_sites
	.hidden __stop_scall_sites
	.weak __start_scall_tramps
	.hidden __start_scall_tramps
	.weak __stop_scall_tramps
	.hidden __stop_scall_tramps
	.if \v0 == 0
	.weak __start_scall_branches
	.hidden __start_scall_branches
	.weak __stop_scall_branches
	.hidden __stop_scall_branches
	.endif
	.section .text.__scall_module_ctor,"axG",@progbits,__scall_module,comdat
	.globl __scall_module_ctor
	.hidden __scall_module_ctor
	.type __scall_module_ctor,@function
__scall_module_ctor:
	leaq __scall_module(%rip), %rdi
	jmp __scall_register_module@PLT
	.size __scall_module_ctor, . - __scall_module_ctor
	.globl __scall_module_dtor
	.hidden __scall_module_dtor
	.type __scall_module_dtor,@function
__scall_module_dtor:
	leaq __scall_module(%rip), %rdi
	jmp __scall_unregister_module@PLT
	.size __scall_module_dtor, . - __scall_module_dtor
	.section .init_array,"awG",@init_array,__scall_module,comdat
	.balign 8
	.quad __scall_module_ctor
	.section .fini_array,"awG",@fini_array,__scall_module,comdat
	.balign 8
	.quad __scall_module_dtor
	.text
	.endm

	.macro SCALL_TRAMP_ sym, key, flags, relax=0
	.section .text.\sym,"axG",@progbits,\sym,comdat
	.globl \sym
	.hidden \sym
	.type \sym,@function
	.balign 16
\sym:
	.if \relax
	movq \key@GOTPCREL(%rip), %r11
	.else
	.byte 0x4c, 0x8b, 0x1d
	.long \key@GOTPCREL - 4
	.endif
	movq (%r11), %r11
	.if \flags & 1
	testq %r11, %r11
	.byte 0x74, 0x03	/* je to the retq */
	jmpq *%r11
	retq
	.else
	jmpq *%r11
	.endif
	.size \sym, . - \sym
	.section scall_tramps,"awG",@progbits,\sym,comdat
	.balign 8
	.quad \key
	.long \sym - .
	.long \flags
	.text
	.endm

	.macro SCALL_TRAMP key
	SCALL_TRAMP_ __scall_tramp_\key, \key, 0
	.endm
	.macro SCALL_TRAMP_RELAX key
	SCALL_TRAMP_ __scall_tramp_\key, \key, 0, 1
	.endm
	.macro SCALL_CTRAMP key
	SCALL_TRAMP_ __scall_ctramp_\key, \key, 1
	.endm

	.macro SCALL_LABEL label
	.ifnc \label,-
	.globl \label
\label:
	.endif
	.endm

	.macro SCALL_RECORD site, tramp, kind=1
	.pushsection scall_sites,"a",@progbits
	.balign 4
	.long \site - .
	.long \tramp - .
	.long \kind
	.popsection
	.endm

	.macro SCALL_REC kind, tramp
	SCALL_RECORD 9990b, \tramp, \kind
	.endm

	.macro SCALL_CALL label, tramp
	SCALL_LABEL \label
9990:	.byte 0xe8
	.long \tramp - . - 4
	SCALL_REC 1, \tramp
	.endm

	.macro SCALL_JMP label, tramp
	SCALL_LABEL \label
9990:	.byte 0xe9
	.long \tramp - . - 4
	SCALL_REC 2, \tramp
	.endm

	.macro SCALL_JCC label, cc, tramp
	SCALL_LABEL \label
9990:	.byte 0x0f, 0x80 + \cc
	.long \tramp - . - 4
	SCALL_REC 3, \tramp
	.endm

	.macro SCALL_FUNC name
	.text
	.globl \name
	.type \name,@function
	.balign 16
\name:
	.endm
	.macro SCALL_ENDF name
	.size \name, . - \name
	.endm

	.section .note.GNU-stack,"",@progbits
	.text
