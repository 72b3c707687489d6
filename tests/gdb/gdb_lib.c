/* SPDX-License-Identifier: MIT */
/* libgdbt_lib.so for gdb_target.c: a module of its own with a site of the
 * executable's key k_near (out of rel32 range from here, so it stays on its
 * trampoline), and a target out of range of the executable's sites. */
#include <scall.h>

long near_a(long x);
SCALL_DECLARE(k_near, near_a);

__attribute__((noinline)) long lib_far_target(long x) { return x + 5; }

__attribute__((noinline)) long lib_call_near(long x) { return k_near(x) + 1; }
