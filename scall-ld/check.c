/* SPDX-License-Identifier: MIT */
/*
 * check.c - one run over a file: read the records, check trampolines,
 * records, sites and branch records (check_*.c, resolve.c), then plan the
 * edits (plan.c).  The order of the steps is the order of the messages.
 */
#include "check.h"

#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "writer.h"

static int cmp_br_src(const void *a, const void *b)
{
	const struct branch *x = a, *y = b;

	return x->src < y->src ? -1 : x->src > y->src;
}

/* Records with nothing to check against: no header, no symbols. */
static void notes_on_file(struct ld_ctx *c, const struct img_sec *ms)
{
	const struct img *img = c->img;
	struct ld_result *res = c->res;

	if (!ms && res->nsites)
		diag(c, SEV_ERR, UINT64_MAX,
		     "%zu site records but no %s header; the runtime would never "
		     "see them, link objects built by the scall toolchain only",
		     res->nsites, SCALL_SECTION_MODULE);
	if (!ms && res->nbr)
		diag(c, SEV_ERR, UINT64_MAX,
		     "%zu branch records but no %s header; the runtime would never "
		     "flip them, link objects built by the scall toolchain only",
		     res->nbr, SCALL_SECTION_MODULE);
	else if (res->nbr && !(res->old_flags & SCALL_MODULE_BRANCHES))
		diag(c, SEV_ERR, UINT64_MAX,
		     "%zu branch records but the %s header (%llu bytes) has no "
		     "SCALL_MODULE_BRANCHES flag, so the runtime would never flip "
		     "them: an object built by an older scall supplied the "
		     "header; rebuild every object with this one",
		     res->nbr, SCALL_SECTION_MODULE,
		     (unsigned long long)ms->size);
	if (img->symsrc != IMG_SYMS_SYMTAB && (res->nsites || res->nbr))
		diag(c, SEV_NOTE, UINT64_MAX,
		     "no .symtab (stripped); %s, so the inside-a-function check "
		     "is skipped and kind-4 records need exported functions",
		     img->symsrc == IMG_SYMS_DYNSYM ?
			     "naming code with .dynsym" :
			     "no symbols at all");
}

int ld_check(const struct img *img, const struct ld_opts *o,
	     struct ld_result *res, FILE *err)
{
	struct ld_ctx c = { .img = img, .o = o, .res = res, .err = err };
	const struct img_sec *ss = img_section(img, SCALL_SECTION_SITES);
	const struct img_sec *ts = img_section(img, SCALL_SECTION_TRAMPS);
	const struct img_sec *ms = img_section(img, SCALL_SECTION_MODULE);
	const struct img_sec *bs = img_section(img, SCALL_SECTION_BRANCHES);

	memset(res, 0, sizeof(*res));
	if (!ss && !ts && !ms && !bs)
		return 0; /* nothing built with scall: nothing to do */
	res->have_scall = 1;
	res->sites_sec = ss;
	res->module_sec = ms;
	if (ts) {
		if (records_read_tramps(&c, ts))
			return res->status;
		tramps_check(&c);
	}
	if (ss && records_read_sites(&c, ss))
		return res->status;
	if (bs && branches_read(&c, bs))
		return res->status;
	if (ms && (records_read_module(&c, ms, ss) ||
		   branches_check_bounds(&c, ms)))
		return res->status;
	/* never NULL, so that qsort/bsearch get valid pointers */
	if (!res->sites)
		res->sites = calloc(1, sizeof(*res->sites));
	if (!res->tr)
		res->tr = calloc(1, sizeof(*res->tr));
	if (!res->br)
		res->br = calloc(1, sizeof(*res->br));
	if (!res->sites || !res->tr || !res->br)
		return corrupt(&c, "out of memory");
	notes_on_file(&c, ms);
	if (dis_sweep(&c.dis, img, err))
		return res->status = 3;
	if (c.dis.nbr)
		qsort(c.dis.br, c.dis.nbr, sizeof(*c.dis.br), cmp_br_src);

	records_check_kinds(&c);
	resolve_kind4(&c);
	sites_check(&c);
	if (branches_check(&c)) {
		dis_free(&c.dis);
		return res->status = 3;
	}
	records_sort(&c);
	records_check_overlaps(&c);
	branches_check_overlaps(&c);
	into_build(&c);
	sites_check_branches_into(&c);
	branches_check_into(&c);
	free(c.bydst);
	sites_find_unrecorded(&c);
	if (!c.oom && bind_analyse(&c)) {
		dis_free(&c.dis);
		return res->status = 3;
	}
	if (!res->nerr && !c.oom && ms)
		ld_plan_build(&c);
	if (c.oom) {
		dis_free(&c.dis);
		return corrupt(&c, "out of memory");
	}
	if (o->verbose && err)
		fprintf(err, "%s: %zu site records, %zu trampolines, %zu branch "
			     "records, %zu instructions, %zu branches, %zu "
			     "unrecorded\n",
			img->path, res->nsites, res->ntr, res->nbr, c.dis.ninsns,
			c.dis.nbr, res->nun);
	dis_free(&c.dis);
	res->status = res->nerr ? 1 : 0;
	return res->status;
}

void ld_result_free(struct ld_result *res)
{
	size_t i;

	for (i = 0; i < res->ndiags; i++)
		free(res->diags[i].text);
	free(res->diags);
	free(res->sites);
	free(res->tr);
	free(res->un);
	free(res->br);
	ld_plan_free(&res->plan);
	memset(res, 0, sizeof(*res));
}

int ld_process(const uint8_t *buf, size_t len, const char *path,
	       const struct ld_opts *o, FILE *err, FILE *out,
	       uint8_t **patched)
{
	struct img img;
	struct ld_result res;
	int rc;

	*patched = NULL;
	rc = img_open(&img, buf, len, path, err);
	if (rc) {
		img_close(&img);
		return rc;
	}
	rc = ld_check(&img, o, &res, err);
	if (rc != 3 && out && o->json)
		ld_json(&img, &res, out);
	else if (rc != 3 && out && o->report)
		ld_report(&img, &res, out);
	if (rc == 0 && res.plan.n) {
		*patched = ld_apply(&img, &res.plan, err);
		if (!*patched)
			rc = 3;
	}
	ld_result_free(&res);
	img_close(&img);
	return rc;
}
