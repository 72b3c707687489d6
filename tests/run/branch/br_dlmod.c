/* SPDX-License-Identifier: MIT */
/* A module dlopen'ed by br_dlopen: sites of the four keys of libbrsites
 * (another module), and a key of its own with a site in each form. */
#include "br_test.h"

BR_SITES(mod)

SCALL_BRANCH_DEFINE_TRUE(bkmod);

int mod_own_take(int form);
int mod_own_take(int form)
{
	if (form ? scall_branch_likely(bkmod) : scall_branch_unlikely(bkmod))
		return 1;
	return 0;
}

int mod_own_flip(int on);
int mod_own_flip(int on)
{
	return on ? scall_branch_enable(bkmod) : scall_branch_disable(bkmod);
}

int mod_own_enabled(void);
int mod_own_enabled(void)
{
	return scall_branch_enabled(bkmod);
}
