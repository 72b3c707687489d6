/* SPDX-License-Identifier: MIT */
/*
 * rela_dump FILE [ADDR...] - scall-ld's relocation reader (elfimg.c) on a
 * linked file: every entry, one line each ("OFFSET TYPE SYMBOL ADDEND",
 * symbol "-" for none), then for each ADDR the entry img_rela_at finds
 * there ("at ADDR: ..." or "at ADDR: none").  rela_check.py compares the
 * lines with readelf.
 */
#include <stdio.h>
#include <stdlib.h>

#include "elfimg.h"

static void line(const struct img_rela *r)
{
	printf("0x%llx %u %s %lld\n", (unsigned long long)r->offset, r->type,
	       r->sym_name[0] ? r->sym_name : "-", (long long)r->addend);
}

int main(int argc, char **argv)
{
	struct img_rela *rel;
	struct img img;
	uint8_t *buf;
	size_t len, n, i;
	long size;
	FILE *f;
	int rc;

	if (argc < 2) {
		fputs("usage: rela_dump FILE [ADDR...]\n", stderr);
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		perror(argv[1]);
		return 3;
	}
	len = (size_t)size;
	buf = malloc(len ? len : 1);
	if (!buf || fread(buf, 1, len, f) != len) {
		perror(argv[1]);
		return 3;
	}
	fclose(f);
	rc = img_open(&img, buf, len, argv[1], stderr);
	if (!rc)
		rc = img_relas(&img, &rel, &n, stderr);
	if (rc) {
		img_close(&img);
		free(buf);
		return rc;
	}
	for (i = 0; i < n; i++)
		line(&rel[i]);
	for (i = 2; i < (size_t)argc; i++) {
		uint64_t a = strtoull(argv[i], NULL, 0);
		const struct img_rela *r = img_rela_at(rel, n, a);

		printf("at 0x%llx: ", (unsigned long long)a);
		if (r)
			line(r);
		else
			puts("none");
	}
	free(rel);
	img_close(&img);
	free(buf);
	return 0;
}
