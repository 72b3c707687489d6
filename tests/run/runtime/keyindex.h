/* SPDX-License-Identifier: MIT */
/*
 * rt_keyindex: 64 plain keys kk_0 .. kk_63 and a struct key idx_ops, all
 * defined in libidxkeys.so (keyindex_keys.c) with the targets idx_t0 ..
 * idx_t3; their sites in keyindex_sites.S, built for the executable (keys
 * 0 .. IDX_EXE_KEYS - 1) and for three modules (module m: every key k with
 * k % 3 != m).  For C and for the assembler.
 */
#ifndef KEYINDEX_H
#define KEYINDEX_H

#define IDX_NKEYS 64
#define IDX_EXE_KEYS 40
#define IDX_NMEMBERS 4
/* The key numbers, for .irp */
#define IDX_LIST \
	0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25, \
	26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48, \
	49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
/* X(k) for every key number, for C */
#define IDX_KEYS(X) \
	X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) \
	X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23) X(24) X(25) \
	X(26) X(27) X(28) X(29) X(30) X(31) X(32) X(33) X(34) X(35) X(36) X(37) \
	X(38) X(39) X(40) X(41) X(42) X(43) X(44) X(45) X(46) X(47) X(48) X(49) \
	X(50) X(51) X(52) X(53) X(54) X(55) X(56) X(57) X(58) X(59) X(60) X(61) \
	X(62) X(63)

#ifndef __ASSEMBLER__
#include "scall.h"

typedef int idx_fn(int);
/* idx_t<t>(x) = x + 1000 * (t + 1) */
idx_fn idx_t0, idx_t1, idx_t2, idx_t3;
#define IDX_DECL(k) extern idx_fn *kk_##k;
IDX_KEYS(IDX_DECL)
struct idx_ops {
	idx_fn *m0, *m1, *m2, *m3;
};
extern struct idx_ops idx_ops;
extern idx_fn **const idx_keys[IDX_NKEYS];
extern idx_fn *const idx_targets[4];
#endif
#endif
