/* SPDX-License-Identifier: MIT */
/* Keys living in a shared library, called and updated from both sides. */
#include "check.h"
#include "fb_lib.h"

static int twice(int x) { return 2 * x; }

int main(void)
{
	CHECK_EQ(scall(lib_op)(3), 9);
	CHECK_EQ(lib_apply(3), 9);

	/* The executable updates a key the library defines and calls. */
	CHECK_EQ(scall_update(lib_op, twice), 0);
	CHECK_EQ(scall(lib_op)(3), 6);
	CHECK_EQ(lib_apply(3), 6);
	CHECK(scall_query(lib_op) == twice);

	/* The library updates it; the executable sees it. */
	CHECK_EQ(lib_select_cube(), 0);
	CHECK_EQ(scall(lib_op)(3), 27);
	CHECK_EQ(lib_apply(3), 27);

	/* A NULL key in the library with scall_cond on both sides. */
	lib_emit(5);
	scall_cond(lib_sink)(5);
	CHECK_EQ(lib_logged(), 0);
	CHECK_EQ(scall_update(lib_sink, lib_log), 0);
	lib_emit(5);
	scall_cond(lib_sink)(1);
	CHECK_EQ(lib_logged(), 6);
	CHECK_EQ(scall_update(lib_sink, NULL), 0);
	lib_emit(5);
	CHECK_EQ(lib_logged(), 6);
	puts("fallback shared-library keys: ok");
	return 0;
}
