/* SPDX-License-Identifier: MIT */
/* Keys defined in a shared library (libfbkeys.so) and used from the
 * executable. */
#ifndef FB_LIB_H
#define FB_LIB_H
#include <scall.h>

int lib_square(int x);
int lib_cube(int x);
void lib_log(int x);

SCALL_DECLARE(lib_op, lib_square);
SCALL_DECLARE(lib_sink, lib_log);

/* Calls through the keys from inside the library. */
int lib_apply(int x);
void lib_emit(int x);
int lib_logged(void);
/* Updates from inside the library. */
int lib_select_cube(void);
#endif
