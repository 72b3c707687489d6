/* A shared object defining a key that a non-PIE executable reads
 * directly, so the linker copies it into the executable (R_X86_64_COPY):
 * the executable's copy holds what this object says at load time. */
	.data
	.balign 8
	.globl	key_k
	.type	key_k,@object
	.size	key_k, 8
key_k:	.quad	lib_target
	.text
	.type	lib_target,@function
lib_target:
	xorl	%eax, %eax
	ret
	.size	lib_target, .-lib_target
	.section .note.GNU-stack,"",@progbits
