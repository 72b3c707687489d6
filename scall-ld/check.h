/* SPDX-License-Identifier: MIT */
/*
 * check.h - the "check" half of scall-ld: read the scall records of an img,
 * check them against the machine code, resolve kind-4 records and build the
 * sorted table.  Knows the format (include/scall/format.h); knows nothing of
 * files.
 */
#ifndef SCALL_LD_CHECK_H
#define SCALL_LD_CHECK_H

#include "disasm.h"
#include "elfimg.h"

struct ld_opts {
	int strict, verbose, report, json;
};

enum { SEV_NOTE, SEV_WARN, SEV_ERR };

struct ld_site {
	uint64_t site, tramp;
	uint32_t info;
	uint32_t idx;    /* record index as found */
	long tr;         /* index into trampolines, -1 if none */
	const char *state;
};

struct ld_tramp {
	uint64_t addr, key;
	uint32_t flags;
	char name[128], key_name[128];
	int bad;
};

struct ld_unrec {
	uint64_t src, dst;
	int enc;
	long tr;
};

struct ld_diag {
	int sev;
	char *text; /* "where: severity: message" (no file name) */
};

struct ld_result {
	int status; /* exit code: 0, 1 or 3 */
	int have_scall;
	size_t nerr, nwarn;
	struct ld_site *sites;
	size_t nsites;
	struct ld_tramp *tr;
	size_t ntr;
	struct ld_unrec *un;
	size_t nun;
	struct ld_diag *diags;
	size_t ndiags;
	/* what to write: the new table and header fields */
	const struct img_sec *sites_sec, *module_sec;
	uint8_t *table;  /* sites_sec->size bytes */
	uint16_t old_flags, new_flags;
	uint32_t old_nsites, new_nsites;
	int changed;     /* the file would change */
};

/* Check img.  Diagnostics go to err (may be NULL) as they are found and
 * into res->diags.  Returns res->status. */
int ld_check(const struct img *img, const struct ld_opts *o,
	     struct ld_result *res, FILE *err);
void ld_result_free(struct ld_result *res);

/* Apply res to a copy of img->buf: a malloc'ed buffer of img->len bytes. */
uint8_t *ld_apply(const struct img *img, const struct ld_result *res);

void ld_report(const struct img *img, const struct ld_result *res, FILE *out);
void ld_json(const struct img *img, const struct ld_result *res, FILE *out);

/* Everything on a buffer: open, check, report; *patched gets the new
 * contents (NULL when nothing changes or on failure).  Returns the exit
 * code (0, 1 or 3). */
int ld_process(const uint8_t *buf, size_t len, const char *path,
	       const struct ld_opts *o, FILE *err, FILE *out,
	       uint8_t **patched);

#endif
