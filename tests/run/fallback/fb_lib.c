/* SPDX-License-Identifier: MIT */
#include "fb_lib.h"

static int logged;

int lib_square(int x) { return x * x; }
int lib_cube(int x) { return x * x * x; }
void lib_log(int x) { logged += x; }

SCALL_DEFINE(lib_op, lib_square);
SCALL_DEFINE_NULL(lib_sink, lib_log);

int lib_apply(int x) { return scall(lib_op)(x); }
void lib_emit(int x) { scall_cond(lib_sink)(x); }
int lib_logged(void) { return logged; }
int lib_select_cube(void) { return scall_update(lib_op, lib_cube); }
