/* SPDX-License-Identifier: MIT */
/*
 * struct scall_stats grows only at its end, and libscall never writes past
 * the struct its caller knows: a program built before the branch fields
 * calls the function scall_stats itself (filled through writer, nothing
 * after), one built now goes through the macro with its sizeof.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scall.h"

SCALL_BRANCH_DEFINE_FALSE(abi_branch);

static int counted;

__attribute__((noinline)) static void take(void)
{
	if (scall_branch_unlikely(abi_branch))
		counted++;
}

#define FAIL(...) (fprintf(stderr, "stats_abi: " __VA_ARGS__), exit(1))

int main(void)
{
	union {
		struct scall_stats s;
		unsigned char b[sizeof(struct scall_stats) + 64];
	} old, now;
	int err;

	take();
	/* What a program built against the older scall.h does. */
	memset(&old, 0xa5, sizeof old);
	err = (scall_stats)(&old.s);
	if (err)
		FAIL("scall_stats: %d\n", err);
	if (old.s.modules == 0 || !old.s.writer)
		FAIL("old layout not filled: modules %zu\n", old.s.modules);
	for (size_t i = SCALL_STATS_SIZE_V0; i < sizeof old.b; i++)
		if (old.b[i] != 0xa5)
			FAIL("byte %zu past the old struct (%zu bytes) written\n", i,
			     (size_t)SCALL_STATS_SIZE_V0);

	memset(&now, 0xa5, sizeof now);
	err = scall_stats(&now.s);
	if (err)
		FAIL("scall_stats (macro): %d\n", err);
	if (now.s.branches != 1 || now.s.branches_refused != 0)
		FAIL("branch fields: %zu branches, %zu refused\n", now.s.branches,
		     now.s.branches_refused);
	for (size_t i = sizeof now.s; i < sizeof now.b; i++)
		if (now.b[i] != 0xa5)
			FAIL("byte %zu past the struct written\n", i);
	if (__scall_stats_n(&now.s, SCALL_STATS_SIZE_V0 - 1) != -EINVAL)
		FAIL("a struct smaller than the first layout is not refused\n");
	printf("stats_abi: old layout %zu bytes, now %zu, %zu branch record(s)\n",
	       (size_t)SCALL_STATS_SIZE_V0, sizeof now.s, now.s.branches);
	return counted;
}
