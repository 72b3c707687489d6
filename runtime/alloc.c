/* SPDX-License-Identifier: MIT */
/*
 * Every allocation the runtime makes goes through here, so that a test can
 * make any one of them fail and check that an update, a registration or an
 * unregistration that cannot allocate leaves nothing half done.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Test hook (not API, see scall.h): called before each allocation with its
 * size; a nonzero return makes that allocation fail. */
SCALL_EXPORT int (*volatile __scall_test_alloc_hook)(size_t size);

static bool fail(size_t n)
{
	int (*h)(size_t) = __scall_test_alloc_hook;

	return h && h(n);
}

void *scall_malloc(size_t n)
{
	return fail(n) ? NULL : malloc(n);
}

void *scall_calloc(size_t n, size_t size)
{
	return fail(n * size) ? NULL : calloc(n, size);
}

void *scall_realloc(void *p, size_t n)
{
	return fail(n) ? NULL : realloc(p, n);
}

char *scall_strdup(const char *s)
{
	return fail(strlen(s) + 1) ? NULL : strdup(s);
}
