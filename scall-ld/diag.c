/* SPDX-License-Identifier: MIT */
/*
 * diag.c - diagnostics (printed as found, objtool style, and kept for
 * --json) and the names --report and the messages give to kinds, states
 * and branch encodings.
 */
#include "checks.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *ld_kind_name(enum ld_kind k)
{
	switch (k) {
	case LD_KIND_NONE: return "none";
	case LD_KIND_CALL: return "call";
	case LD_KIND_JMP: return "jmp";
	case LD_KIND_JCC: return "jcc";
	case LD_KIND_UNRESOLVED: return "unresolved";
	case LD_KIND_BRANCH_UNLIKELY: return "unlikely";
	case LD_KIND_BRANCH_LIKELY: return "likely";
	case LD_KIND_INVALID: break;
	}
	return "invalid";
}

const char *ld_state_name(enum ld_site_state s)
{
	switch (s) {
	case LD_SITE_UNCHECKED: return "unchecked";
	case LD_SITE_RESOLVED: return "resolved";
	case LD_SITE_OK: return "ok";
	case LD_SITE_DEAD: return "dead";
	case LD_SITE_ERROR: return "error";
	case LD_SITE_BAD_TRAMP: return "bad-trampoline";
	}
	return "?";
}

const char *ld_br_state_name(enum ld_br_state s)
{
	switch (s) {
	case LD_BR_UNCHECKED: return "unchecked";
	case LD_BR_OK: return "ok";
	case LD_BR_DEAD: return "dead";
	case LD_BR_ERROR: return "refused";
	}
	return "?";
}

const char *ld_br_form_name(enum ld_br_form f)
{
	switch (f) {
	case LD_BR_FORM_NOP: return "nop";
	case LD_BR_FORM_JMP: return "jmp";
	case LD_BR_FORM_UNKNOWN: break;
	}
	return "-";
}

/* Short names: --report and --json print them. */
const char *ld_bind_name(enum ld_bind b)
{
	switch (b) {
	case LD_BIND_UNCHECKED: return "unchecked";
	case LD_BIND_FUNC: return "function";
	case LD_BIND_NULL: return "null";
	case LD_BIND_RET0: return "return0";
	case LD_BIND_NOT_CLEAN: return "not-clean";
	case LD_BIND_KEY_EXTERN: return "key-in-another-module";
	case LD_BIND_TARGET_EXTERN: return "target-in-another-module";
	case LD_BIND_TARGET_UNKNOWN: return "target-unknown";
	case LD_BIND_OUT_OF_REACH: return "out-of-reach";
	case LD_BIND_RET0_TAIL: return "return0-tail-call";
	case LD_BIND_NULL_TAIL: return "null-cond-tail-call";
	}
	return "?";
}

const char *ld_enc_name(enum br_enc e)
{
	switch (e) {
	case BR_CALL32: return "call";
	case BR_JMP32: return "jmp";
	case BR_JCC32: return "jcc";
	case BR_NONE: case BR_OTHER: break;
	}
	return "short";
}

static int keep(struct ld_ctx *c, enum ld_sev sev, const char *where,
		const char *sevname, const char *msg)
{
	struct ld_result *r = c->res;
	size_t n = strlen(where) + strlen(msg) + 16;
	char *line = malloc(n);
	struct ld_diag *d;

	if (!line)
		return -1;
	snprintf(line, n, "%s: %s: %s", where, sevname, msg);
	d = realloc(r->diags, (r->ndiags + 1) * sizeof(*d));
	if (!d) {
		free(line);
		return -1;
	}
	r->diags = d;
	d[r->ndiags].sev = sev;
	d[r->ndiags].text = line;
	r->ndiags++;
	return 0;
}

void diag(struct ld_ctx *c, enum ld_sev sev, uint64_t addr, const char *fmt,
	  ...)
{
	static const char *const names[] = { "note", "warning", "error" };
	struct ld_result *r = c->res;
	char where[256], msg[768];
	va_list ap;

	if (sev == SEV_WARN && c->o->strict)
		sev = SEV_ERR;
	if (sev == SEV_ERR)
		r->nerr++;
	else if (sev == SEV_WARN)
		r->nwarn++;
	if (addr == UINT64_MAX)
		snprintf(where, sizeof(where), "%s", "scall");
	else
		img_where(c->img, addr, where, sizeof(where));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err)
		fprintf(c->err, "%s: %s: %s: %s\n", c->img->path, where,
			names[sev], msg);
	if (keep(c, sev, where, names[sev], msg))
		c->oom = 1;
}

int corrupt(struct ld_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err) {
		fprintf(c->err, "%s: ", c->img->path);
		va_start(ap, fmt);
		vfprintf(c->err, fmt, ap);
		va_end(ap);
		fputc('\n', c->err);
	}
	c->res->status = 3;
	return 3;
}
