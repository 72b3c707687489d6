/* SPDX-License-Identifier: MIT */
/* A shared object that defines the key and two targets near its code. */
#include "scall.h"
int g1(int x) { return x + 10; }
int g2(int x) { return x + 20; }
int (*key_s)(int) SCALL_KEY = g1;
/* The site's address, for the test (a data reference to a code label from
 * the executable would be satisfied by a copy relocation). */
extern unsigned char site_lib_call_s[];
void *lib_site(void) { return site_lib_call_s; }
