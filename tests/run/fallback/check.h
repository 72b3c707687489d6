/* SPDX-License-Identifier: MIT */
/* Minimal assertion helper for the run tests: fail loudly, never abort()
 * silently, so meson shows the line. */
#ifndef SCALL_TEST_CHECK_H
#define SCALL_TEST_CHECK_H
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			exit(1);                                               \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ != b_) {                                                \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
				__FILE__, __LINE__, #a, a_, #b, b_);           \
			exit(1);                                               \
		}                                                              \
	} while (0)
#endif
