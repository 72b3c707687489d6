/* SPDX-License-Identifier: MIT */
/*
 * checks.h - what the check modules share: the context of one run, the
 * diagnostics, and each module's entry points.  ld_check (check.c) calls
 * them in the order docs and tests rely on: a file's messages always come
 * in the same order.
 */
#ifndef SCALL_LD_CHECKS_H
#define SCALL_LD_CHECKS_H

#include "check.h"

struct ld_ctx {
	const struct img *img;
	const struct ld_opts *o;
	struct ld_result *res;
	FILE *err;
	struct disasm dis; /* branches sorted by src once swept */
	/* every direct branch, and the jmp each branch record that is a
	 * nop may become, sorted by destination (into_build) */
	struct branch *bydst;
	size_t nbydst;
	int oom;
};

/* diag.c: one diagnostic, "where" being addr (UINT64_MAX: "scall");
 * --strict makes a warning an error. */
void diag(struct ld_ctx *c, enum ld_sev sev, uint64_t addr, const char *fmt,
	  ...) __attribute__((format(printf, 4, 5)));
/* A structural problem: one line, exit code 3 (returned). */
int corrupt(struct ld_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* check_records.c: the three sections, read and checked as records. */
int records_read_tramps(struct ld_ctx *c, const struct img_sec *s);
int records_read_sites(struct ld_ctx *c, const struct img_sec *s);
int records_read_module(struct ld_ctx *c, const struct img_sec *m,
			const struct img_sec *sites);
void records_check_kinds(struct ld_ctx *c);   /* unknown kind or flag */
void records_sort(struct ld_ctx *c);
void records_check_overlaps(struct ld_ctx *c); /* after records_sort */

/* check_tramps.c: each trampoline against its record. */
void tramps_check(struct ld_ctx *c);
long tramps_find(const struct ld_result *r, uint64_t addr);

/* resolve.c: kind-4 records get their instructions. */
void resolve_kind4(struct ld_ctx *c);

/* check_sites.c: each live record against the machine code. */
void sites_check(struct ld_ctx *c);
/* c->bydst, after branches_check (which knows each record's form); then
 * into_first gives the first edge with a destination >= addr. */
void into_build(struct ld_ctx *c);
size_t into_first(const struct ld_ctx *c, uint64_t addr);
void sites_check_branches_into(struct ld_ctx *c); /* after into_build */
void sites_find_unrecorded(struct ld_ctx *c);
/* The compiler's bytes of a site (p: its bytes now, for a Jcc's
 * condition), and its state when its trampoline is bound as b. */
void site_as_emitted(const struct ld_site *s, const uint8_t *p, uint8_t *out);
struct scall_state site_bound_state(const struct ld_site *s,
				    const struct ld_tramp *t, enum ld_bind b,
				    uint64_t target);

/* check_branches.c: branch records (section scall_branches).  Read
 * returns 0 or 3 (corrupt section); check returns 3 after one line when
 * the relocations are corrupt. */
int branches_read(struct ld_ctx *c, const struct img_sec *s);
/* The header's branches_start/stop against the section: 0, or 3. */
int branches_check_bounds(struct ld_ctx *c, const struct img_sec *m);
int branches_check(struct ld_ctx *c);
void branches_check_overlaps(struct ld_ctx *c); /* after records_sort */
void branches_check_into(struct ld_ctx *c);     /* after into_build */
/* The jmps that the live records holding a nop may become, as branches
 * (enc BR_NONE) into out (NULL: count only).  Returns how many. */
size_t branches_edges(const struct ld_result *r, struct branch *out);

/* bind.c: each trampoline's link-time target, or why it has none, in a
 * file without errors.  Returns 0, or 3 after one line (corrupt
 * relocations). */
int bind_analyse(struct ld_ctx *c);

#endif
