/* SPDX-License-Identifier: MIT */
/* A struct key defined in a shared object (e2e_smain.c uses it). */
#include <scall.h>
#include "e2e_slib.h"

static int lib_add(int x) { return x + 100; }
static void lib_log(int x) { slib_logged += x; }
int slib_logged;

struct slib_ops slib_ops SCALL_KEY = { lib_add, { lib_log }, 0 };

__attribute__((noinline)) int slib_call(int x) { return slib_ops.add(x) + 1; }
__attribute__((noinline)) void slib_log_it(int x) { scall_cond(slib_ops.ev.log)(x); }
void slib_reset(void)
{
	static const struct slib_ops dflt = { lib_add, { lib_log }, 0 };
	slib_ops = dflt; /* converted store, in the library */
}
