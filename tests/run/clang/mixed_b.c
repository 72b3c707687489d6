/* SPDX-License-Identifier: MIT */
#include "mixed.h"
__attribute__((noinline)) int call_b(int x) { return mk(x) + 0 * x; }
__attribute__((noinline)) int tail_b(int x) { return mk(x); }
__attribute__((noinline)) void cond_b(int x) { scall_cond(mv)(x); }
