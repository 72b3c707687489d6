/* SPDX-License-Identifier: MIT */
/* The callee, in its own translation unit so nothing inlines it. */
int bench_target(int x);
int bench_target(int x) { return x + 1; }
