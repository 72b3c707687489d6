#include <scall.h>
struct ops {
	int (*op)(int) SCALL_KEY; /* expect-error: 'op' is a struct or union member */
};
struct ops o;
