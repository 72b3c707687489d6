/* SPDX-License-Identifier: MIT */
/*
 * check.h - what scall-ld knows about one file once it has read it: the
 * records, their states, the diagnostics and the plan of edits, and the
 * entry points that produce them (ld_check, ld_process).  Knows the format
 * (include/scall/format.h); knows nothing of files on disk (writer.c does).
 */
#ifndef SCALL_LD_CHECK_H
#define SCALL_LD_CHECK_H

#include "disasm.h"
#include "elfimg.h"
#include "plan.h"

struct ld_opts {
	int strict, verbose, report, json;
	int no_prebind; /* keep (or put back) the compiler's forms */
};

enum ld_sev { SEV_NOTE, SEV_WARN, SEV_ERR };

/*
 * A record's kind as scall-ld sees it: the contract's kinds, plus INVALID
 * for a record it cannot read (unknown kind or flag), which is never
 * resolved, checked or written.  INVALID sorts after every other kind.
 */
enum ld_kind {
	LD_KIND_NONE = SCALL_KIND_NONE,
	LD_KIND_CALL = SCALL_KIND_CALL,
	LD_KIND_JMP = SCALL_KIND_JMP,
	LD_KIND_JCC = SCALL_KIND_JCC,
	LD_KIND_UNRESOLVED = SCALL_KIND_UNRESOLVED,
	LD_KIND_BRANCH_UNLIKELY = SCALL_KIND_BRANCH_UNLIKELY, /* scall_branches */
	LD_KIND_BRANCH_LIKELY = SCALL_KIND_BRANCH_LIKELY,
	LD_KIND_INVALID,
};

/* A live kind: one whose record names a patchable instruction. */
static inline int ld_kind_live(enum ld_kind k)
{
	return k == LD_KIND_CALL || k == LD_KIND_JMP || k == LD_KIND_JCC;
}

/* Where a site record is in the checks; --report prints the name. */
enum ld_site_state {
	LD_SITE_UNCHECKED,  /* read, not checked yet */
	LD_SITE_RESOLVED,   /* kind 4 given its instruction, not checked yet */
	LD_SITE_OK,
	LD_SITE_DEAD,       /* kind 0: the runtime skips it */
	LD_SITE_ERROR,
	LD_SITE_BAD_TRAMP,  /* the site is fine, its trampoline is not */
};

struct ld_site {
	uint64_t site, tramp;
	uint32_t info;     /* kind | flags, as the table will hold it */
	enum ld_kind kind;
	enum ld_site_state state;
	uint32_t idx;      /* record index as found */
	long tr;           /* index into trampolines, -1 if none */
};

/*
 * Whether a trampoline's key starts, in this file, at a target the linker
 * fixed: the first three can be bound at link time (the final forms of its
 * sites written into the file); the others say why not.
 */
enum ld_bind {
	LD_BIND_UNCHECKED,      /* not analysed: the file has errors */
	LD_BIND_FUNC,           /* a function of this file */
	LD_BIND_NULL,
	LD_BIND_RET0,           /* scall_return0 */
	LD_BIND_NOT_CLEAN,      /* the trampoline or a site failed a check */
	LD_BIND_KEY_EXTERN,     /* the key is another module's, or interposable */
	LD_BIND_TARGET_EXTERN,  /* the target is another module's, or interposable */
	LD_BIND_TARGET_UNKNOWN, /* the key's bytes are not a code address here */
	LD_BIND_OUT_OF_REACH,   /* the trampoline cannot jmp rel32 to it */
	LD_BIND_RET0_TAIL,      /* scall_return0 with a tail-call site, whose
				 * form depends on where libscall is loaded */
	LD_BIND_NULL_TAIL,      /* NULL with a cond tail-call site, which
				 * becomes ret + 4 stray bytes that a later
				 * disassembly of the file would misread */
};
#define LD_BIND_NREASONS (LD_BIND_NULL_TAIL + 1)

struct ld_tramp {
	uint64_t addr, key;
	uint64_t rec;      /* address of the record */
	uint32_t flags;
	char name[128], key_name[128];
	int bad;
	enum ld_bind bind;
	uint64_t bind_target; /* LD_BIND_FUNC: the function */
	/* What the file holds now: LD_BIND_UNCHECKED when the record is not
	 * pre-bound, else the state its flags say (and the function the
	 * window jumps to), with the window as the compiler emitted it. */
	enum ld_bind bound;
	uint64_t bound_target;
	uint8_t orig[SCALL_TRAMP_WINDOW];
};

/* A branch record (section scall_branches) as checked; --report prints
 * the state's name. */
enum ld_br_state {
	LD_BR_UNCHECKED,
	LD_BR_OK,
	LD_BR_DEAD,  /* kind 0: the runtime skips it */
	LD_BR_ERROR, /* refused */
};

/* How the file starts a branch key (its count), when it says. */
enum ld_key_initial { LD_KEY_UNKNOWN, LD_KEY_DISABLED, LD_KEY_ENABLED };

/* What the 5 bytes at the record hold in the file. */
enum ld_br_form { LD_BR_FORM_UNKNOWN, LD_BR_FORM_NOP, LD_BR_FORM_JMP };

struct ld_branch {
	uint64_t code, target;
	uint64_t key;        /* its address here; 0 when another module's */
	uint64_t rec;        /* address of the record */
	uint32_t info, reserved;
	uint32_t idx;        /* record index as found */
	enum ld_kind kind;   /* NONE, BRANCH_*, or INVALID */
	enum ld_br_state state;
	enum ld_br_form form;
	int key_extern;      /* bound by symbol at load time */
	enum ld_key_initial initial;
	char key_name[128];
};

/* A direct branch to a trampoline that no record names. */
struct ld_unrec {
	uint64_t src, dst;
	enum br_enc enc;
	long tr;
};

struct ld_diag {
	enum ld_sev sev;
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
	struct ld_branch *br; /* in the order found (the table is not
			       * rewritten: each key field carries a
			       * dynamic relocation) */
	size_t nbr;
	const struct img_sec *branches_sec;
	struct ld_diag *diags;
	size_t ndiags;
	const struct img_sec *sites_sec, *module_sec;
	uint16_t old_flags, new_flags;
	uint32_t old_nsites, new_nsites;
	struct ld_plan plan; /* empty: the file stays as it is */
};

const char *ld_kind_name(enum ld_kind k);
const char *ld_bind_name(enum ld_bind b);
/* A target fixed at link time: the trampoline could be bound. */
static inline int ld_bind_known(enum ld_bind b)
{
	return b == LD_BIND_FUNC || b == LD_BIND_NULL || b == LD_BIND_RET0;
}
const char *ld_state_name(enum ld_site_state s);
const char *ld_br_state_name(enum ld_br_state s);
const char *ld_br_form_name(enum ld_br_form f);
const char *ld_enc_name(enum br_enc e);

/* Check img and plan the edits.  Diagnostics go to err (may be NULL) as
 * they are found and into res->diags.  Returns res->status. */
int ld_check(const struct img *img, const struct ld_opts *o,
	     struct ld_result *res, FILE *err);
void ld_result_free(struct ld_result *res);

void ld_report(const struct img *img, const struct ld_result *res, FILE *out);
void ld_json(const struct img *img, const struct ld_result *res, FILE *out);

/* Everything on a buffer: open, check, report; *patched gets the new
 * contents (NULL when nothing changes or on failure).  Returns the exit
 * code (0, 1 or 3). */
int ld_process(const uint8_t *buf, size_t len, const char *path,
	       const struct ld_opts *o, FILE *err, FILE *out,
	       uint8_t **patched);

#endif
