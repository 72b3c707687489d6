/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness over scall-ld's ELF reader and validator: the whole
 * pipeline of one run (img_open, Capstone sweep, every check, the report
 * and JSON writers, the table writer) on an in-memory file.
 * Built with clang -fsanitize=fuzzer,address,undefined (tests/scall-ld).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct ld_opts o = { 0 };
	uint8_t *copy, *patched = NULL;

	if (!null)
		null = fopen("/dev/null", "w");
	/* libelf gets a private, writable, malloc-aligned copy */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	/* vary the options with the size, so every printer runs */
	o.strict = size & 1;
	o.report = (size >> 1) & 1;
	o.json = (size >> 2) & 1;
	o.verbose = (size >> 3) & 1;
	ld_process(copy, size, "fuzz", &o, null, null, &patched);
	free(patched);
	free(copy);
	return 0;
}
