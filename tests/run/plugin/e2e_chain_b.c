/* SPDX-License-Identifier: MIT */
#include "e2e_chain.h"

static header_filter_pt next_header_filter SCALL_KEY;

static int b_header_filter(int r) { return next_header_filter(r + 10); }

int filter_b_init(void)
{
	next_header_filter = top_header_filter;
	top_header_filter = b_header_filter;
	return 0;
}
