/* SPDX-License-Identifier: MIT */
/* The keys of branch.c and the library's own tests of them. */
#include "branch.h"

SCALL_BRANCH_DEFINE_FALSE(bk_false);
SCALL_BRANCH_DEFINE_TRUE(bk_true);

BRANCH_TESTS(lib)

const struct branch_tests *branch_lib_tests(void)
{
	return &lib_tests;
}
