/* SPDX-License-Identifier: MIT */
/* Built with -mindirect-branch=thunk: the indirect call goes through
 * __x86_indirect_thunk_*. */
__attribute__((noinline)) long loop_retpoline(int (*f)(int), long n);
__attribute__((noinline)) long loop_retpoline(int (*f)(int), long n)
{
	long s = 0;
	for (long i = 0; i < n; i++)
		s += f((int)i);
	return s;
}
