/* SPDX-License-Identifier: MIT */
/* libidxkeys.so: the keys of rt_keyindex and their targets (keyindex.h),
 * in one shared object near the modules' code: their sites go direct. */
#include "keyindex.h"

int idx_t0(int x) { return x + 1000; }
int idx_t1(int x) { return x + 2000; }
int idx_t2(int x) { return x + 3000; }
int idx_t3(int x) { return x + 4000; }

#define IDX_DEF(k) idx_fn *kk_##k SCALL_KEY = idx_t0;
IDX_KEYS(IDX_DEF)
struct idx_ops idx_ops SCALL_KEY = { idx_t0, idx_t0, idx_t0, idx_t0 };

#define IDX_ADDR(k) &kk_##k,
idx_fn **const idx_keys[IDX_NKEYS] = { IDX_KEYS(IDX_ADDR) };
idx_fn *const idx_targets[4] = { idx_t0, idx_t1, idx_t2, idx_t3 };
