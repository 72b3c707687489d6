/* SPDX-License-Identifier: MIT */
/* Generating many sites of one key: SITE(k) is one site in a function of
 * its own (kept: `used`, never inlined, so that every expansion is a
 * distinct site), R10..R1000 repeat it. */
#ifndef FLIP_SITES_H
#define FLIP_SITES_H
#include "scall.h"

SCALL_BRANCH_DECLARE_FALSE(bf10000);

#ifndef CHUNK
#define CHUNK main
#endif
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define CAT3(a, b, c) CAT(CAT(a, b), c)
#define SITE_N(k, n)                                                           \
	__attribute__((noinline, used)) int CAT3(site_, CHUNK, n)(int x);      \
	__attribute__((noinline, used)) int CAT3(site_, CHUNK, n)(int x)       \
	{                                                                      \
		if (scall_branch_unlikely(k))                                  \
			return x + 1;                                          \
		return x;                                                      \
	}
#define SITE_(k, n) SITE_N(k, CAT(_, n))
#define SITE(k) SITE_(k, __COUNTER__)
#define R10(k) SITE(k) SITE(k) SITE(k) SITE(k) SITE(k) SITE(k) SITE(k) \
	SITE(k) SITE(k) SITE(k)
#define R100(k) R10(k) R10(k) R10(k) R10(k) R10(k) R10(k) R10(k) R10(k) \
	R10(k) R10(k)
#define R1000(k) R100(k) R100(k) R100(k) R100(k) R100(k) R100(k) R100(k) \
	R100(k) R100(k) R100(k)
#endif
