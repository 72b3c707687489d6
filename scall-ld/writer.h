/* SPDX-License-Identifier: MIT */
/*
 * writer.h - the one place scall-ld changes bytes: a plan applied to a copy
 * of the file, and the copy put in place of the target.  Nothing is
 * written unless the checks passed (ld_process, main.c), so a refused or
 * corrupt input is left byte-identical.
 */
#ifndef SCALL_LD_WRITER_H
#define SCALL_LD_WRITER_H

#include <stdio.h>
#include <sys/stat.h>

#include "elfimg.h"
#include "plan.h"

/* img->buf with every edit of p applied, in a malloc'ed buffer of img->len
 * bytes; NULL (message on err) when out of memory or when an edit does not
 * lie inside the file. */
uint8_t *ld_apply(const struct img *img, const struct ld_plan *p, FILE *err);

/*
 * Write data to a temporary file next to target, fsync it and rename it
 * over target, then fsync the directory.  in_place: target is the file
 * described by st, rewritten: it keeps st's owner, and scall-ld stops
 * (exit 3) if it changed since it was read.  The mode is st's in both
 * cases.  Returns 0 or 3 (message on stderr).
 */
int ld_write_file(const char *target, const uint8_t *data, size_t len,
		  const struct stat *st, int in_place);

#endif
