/* SPDX-License-Identifier: MIT */
/* The four keys and a site of each in each form, for the tests to link
 * into the executable or into a shared object. */
#include "br_test.h"

BR_KEYS_DEFINE;
BR_SITES(lib)
