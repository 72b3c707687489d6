/* Assembler macros that emit exactly what docs/format.md specifies, for
 * hand-written scall-ld test fixtures (no compiler plugin needed). */

/* trampoline + trampoline record, in one COMDAT group */
	.macro scall_tramp sym, key, flags=0
	.section .text.\sym,"axG",@progbits,\sym,comdat
	.globl \sym
	.hidden \sym
	.type \sym,@function
	.balign 16
\sym:
#ifdef CASE_RELAXED
	movq	\key@GOTPCREL(%rip), %r11	/* REX_GOTPCRELX: ld may relax */
#else
	/* movq key@GOTPCREL(%rip), %r11 with a plain R_X86_64_GOTPCREL, as
	 * the GCC plugin emits it, so that ld never relaxes it to
	 * movq $key, %r11 (no state of docs/format.md) */
	.byte	0x4c, 0x8b, 0x1d
	.reloc	., R_X86_64_GOTPCREL, \key - 4
	.long	0
#endif
	movq	(%r11), %r11
	.if \flags & 1
	testq	%r11, %r11
	/* je to the retq, as bytes: clang's assembler relaxes every branch
	 * to rel32 at -O0 (-mrelax-all), which is not the format's body */
	.byte	0x74, 0x03
	jmpq	*%r11
	retq
	.else
	jmpq	*%r11
	.endif
	.size \sym, .-\sym
	.section scall_tramps,"awG",@progbits,\sym,comdat
	.balign 8
	.quad	\key
	.long	\sym - .
	.long	\flags
	.text
	.endm

/* one site record: label of the opcode byte, trampoline, kind */
	.macro scall_rec site, tramp, kind=1
	.pushsection scall_sites,"a",@progbits
	.balign 4
	.long	\site - .
	.long	\tramp - .
	.long	\kind
	.popsection
	.endm

/* a recorded call/jmp site */
	.macro scall_call tramp
.Lsite\@:
	call	\tramp
	scall_rec .Lsite\@, \tramp, 1
	.endm
	.macro scall_jmp tramp
.Lsite\@:
	jmp	\tramp
	scall_rec .Lsite\@, \tramp, 2
	.endm
	.macro scall_jne tramp
.Lsite\@:
	.byte	0x0f, 0x85
	.long	\tramp - . - 4
	scall_rec .Lsite\@, \tramp, 3
	.endm

/* module header, constructor and destructor (COMDAT __scall_module) */
	.macro scall_module
	.section scall_module,"awG",@progbits,__scall_module,comdat
	.balign 8
	.globl	__scall_module
	.hidden	__scall_module
	.type	__scall_module,@object
__scall_module:
	.long	0x4c414353
	.short	1, 0
	.long	0, 0
	.quad	__start_scall_sites, __stop_scall_sites
	.quad	__start_scall_tramps, __stop_scall_tramps
	.size	__scall_module, 48
	.weak	__start_scall_sites, __stop_scall_sites
	.weak	__start_scall_tramps, __stop_scall_tramps
	.hidden	__start_scall_sites, __stop_scall_sites
	.hidden	__start_scall_tramps, __stop_scall_tramps
	.section .text.__scall_module_ctor,"axG",@progbits,__scall_module,comdat
	.hidden	__scall_module_ctor, __scall_module_dtor
	.type	__scall_module_ctor,@function
__scall_module_ctor:
	leaq	__scall_module(%rip), %rdi
	jmp	__scall_register_module@PLT
	.size	__scall_module_ctor, .-__scall_module_ctor
	.type	__scall_module_dtor,@function
__scall_module_dtor:
	leaq	__scall_module(%rip), %rdi
	jmp	__scall_unregister_module@PLT
	.size	__scall_module_dtor, .-__scall_module_dtor
	.section .init_array,"awG",@init_array,__scall_module,comdat
	.quad	__scall_module_ctor
	.section .fini_array,"awG",@fini_array,__scall_module,comdat
	.quad	__scall_module_dtor
	.text
	.endm
