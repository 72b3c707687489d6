/* SPDX-License-Identifier: MIT */
#include <scall.h>
struct slib_ops {
	int (*add)(int);
	struct { void (*log)(int); } ev;
	long gen;
};
extern struct slib_ops slib_ops SCALL_KEY;
extern int slib_logged;
int slib_call(int x);
void slib_log_it(int x);
void slib_reset(void);
