/* SPDX-License-Identifier: MIT */
/*
 * plan.h - the edits scall-ld makes to a file, as data: what bytes go
 * where, and why.  plan.c turns a checked file into a plan; writer.c is
 * the one place that applies it.  A file that needs no edit has an empty
 * plan and is not written.
 */
#ifndef SCALL_LD_PLAN_H
#define SCALL_LD_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "scall/format.h"

enum ld_edit_why {
	LD_EDIT_RECORD,      /* a site record at its sorted position: moved,
			      * kind 4 resolved, or made dead */
	LD_EDIT_HDR_FLAGS,   /* module header: VALIDATED | SORTED */
	LD_EDIT_HDR_NSITES,  /* module header: the number of records */
	LD_EDIT_SITE,        /* a site's bytes: its pre-bound form, or back
			      * to the compiler's */
	LD_EDIT_TRAMP_WINDOW, /* a trampoline's window, the same */
	LD_EDIT_TRAMP_FLAGS, /* a trampoline record's flags: bound or not */
};

/* The largest edit is one site record. */
#define LD_EDIT_MAX sizeof(struct scall_site)

struct ld_edit {
	enum ld_edit_why why;
	uint64_t off;   /* file offset of the first byte */
	uint32_t len;   /* at most LD_EDIT_MAX */
	uint32_t idx;   /* LD_EDIT_RECORD: the record's sorted index */
	uint8_t bytes[LD_EDIT_MAX];
};

struct ld_plan {
	struct ld_edit *edits; /* in file order within each kind of edit */
	size_t n, cap;
};

struct ld_ctx;
/* Plan the table and header of a checked, error-free file (plan.c). */
void ld_plan_build(struct ld_ctx *c);
void ld_plan_free(struct ld_plan *p);

#endif
