/* SPDX-License-Identifier: MIT */
/* A module dlopen'ed after the keys were flipped: its tests must start in
 * the keys' current state (its registration patches them). */
#include "branch.h"

BRANCH_TESTS(plug)

const struct branch_tests *branch_plug_tests(void)
{
	return &plug_tests;
}
