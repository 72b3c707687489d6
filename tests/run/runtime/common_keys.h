/* SPDX-License-Identifier: MIT */
/* The keys and entry points of kinds_sites.S, for tests that reuse it. */
#ifndef COMMON_KEYS_H
#define COMMON_KEYS_H
#include "rt_test.h"
int call_a(int), jmp_a(int), jcc_a(int), far_fn(int);
void ccall_v(void), cjmp_v(void), cjcc_v(int);
long call_r(void);
extern uint8_t site_call_a[], site_jmp_a[], site_jcc_a[], site_ccall_v[],
	site_cjmp_v[], site_cjcc_v[], site_call_r[], far_fn_end[];
extern uint8_t __scall_tramp_key_a[], __scall_ctramp_key_v[],
	__scall_tramp_key_r[];
#define DEFINE_OTHER_KEYS                                                      \
	void (*key_v)(void) SCALL_KEY = NULL;                                  \
	long (*key_r)(void) SCALL_KEY = scall_return0
#endif
