/* SPDX-License-Identifier: MIT */
/* The sites of straddle_sites.S, all of key_p, and their expected state. */
#ifndef STRADDLE_H
#define STRADDLE_H
#include "rt_test.h"

/* NS windows crossing a page (NCALL calls, then Jccs), NP calls at the
 * start of the first pages. */
enum { NS = 9, NCALL = 4, NP = 4 };
extern int (*key_p)(int);
extern int (*const straddle_fns[NS])(int), (*const straddle_page_fns[NP])(int);
extern uint8_t *const straddle_sites[NS], *const straddle_page_sites[NP];

static inline int straddle_len(int i) { return i < NCALL ? 5 : 6; }

/* The bytes of straddling site i (0 <= i < NS) calling f directly. */
static inline void straddle_form(uint8_t *b, int i, int (*f)(int))
{
	rt_branch(b, straddle_sites[i], i < NCALL ? 0xe8 : 0x0f, 13, (void *)f);
}

/* Every site's bytes for target f, then every call. */
static inline void straddle_expect(int (*f)(int))
{
	uint8_t b[6];

	for (int i = 0; i < NS; i++) {
		straddle_form(b, i, f);
		EXPECT_BYTES(straddle_sites[i], b, straddle_len(i));
		CHECK_EQ(straddle_fns[i](150), f(150));
	}
	for (int i = 0; i < NP; i++) {
		rt_branch(b, straddle_page_sites[i], 0xe8, 0, (void *)f);
		EXPECT_BYTES(straddle_page_sites[i], b, 5);
		CHECK_EQ(straddle_page_fns[i](7), f(7));
	}
	for (int i = NCALL; i < NS; i++)
		CHECK_EQ(straddle_fns[i](5), -1);
}
#endif
