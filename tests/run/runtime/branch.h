/* SPDX-License-Identifier: MIT */
/* Static branches across modules (branch.c): the keys live in the shared
 * library (branch_lib.c); the executable, the library and a dlopen'ed
 * module (branch_plug.c) each test both keys with both forms. */
#ifndef BRANCH_H
#define BRANCH_H
#include "scall.h"

SCALL_BRANCH_DECLARE_FALSE(bk_false);
SCALL_BRANCH_DECLARE_TRUE(bk_true);

/* A module's four tests, each 1 when its condition held:
 * unlikely(false key), likely(false key), unlikely(true key),
 * likely(true key). */
struct branch_tests {
	int (*t[4])(void);
};

/* A module's tests, in prefix##_tests. */
#define BRANCH_TESTS(prefix)                                                   \
	__attribute__((noinline)) static int prefix##_uf(void)                 \
	{                                                                      \
		if (scall_branch_unlikely(bk_false))                           \
			return 1;                                              \
		return 0;                                                      \
	}                                                                      \
	__attribute__((noinline)) static int prefix##_lf(void)                 \
	{                                                                      \
		if (scall_branch_likely(bk_false))                             \
			return 1;                                              \
		return 0;                                                      \
	}                                                                      \
	__attribute__((noinline)) static int prefix##_ut(void)                 \
	{                                                                      \
		if (scall_branch_unlikely(bk_true))                            \
			return 1;                                              \
		return 0;                                                      \
	}                                                                      \
	__attribute__((noinline)) static int prefix##_lt(void)                 \
	{                                                                      \
		return scall_branch_likely(bk_true) ? 1 : 0;                   \
	}                                                                      \
	static const struct branch_tests prefix##_tests = {                    \
		{ prefix##_uf, prefix##_lf, prefix##_ut, prefix##_lt }         \
	};

/* The library's tests. */
const struct branch_tests *branch_lib_tests(void);
#endif
