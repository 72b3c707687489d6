/* SPDX-License-Identifier: MIT */
/* report.c - --report (a table for people) and --json. */
#include "check.h"

#include <stdlib.h>
#include <string.h>

#include "scall/format.h"

static const char *flavour(uint32_t f)
{
	return f & SCALL_TRAMP_COND ? (f & SCALL_TRAMP_RETPOLINE ? "cond,retpoline" : "cond")
				    : (f & SCALL_TRAMP_RETPOLINE ? "plain,retpoline" : "plain");
}

/* What the key holds when the module is loaded, if the file says. */
static const char *bind_text(const struct img *img, const struct ld_tramp *t,
			     char *buf, size_t size)
{
	char w[200];

	if (t->bind == LD_BIND_FUNC)
		snprintf(buf, size, "link-time target %s",
			 img_where(img, t->bind_target, w, sizeof(w)));
	else if (ld_bind_known(t->bind))
		snprintf(buf, size, "link-time target %s", ld_bind_name(t->bind));
	else
		snprintf(buf, size, "no link-time target (%s)",
			 ld_bind_name(t->bind));
	return buf;
}

/* Trampolines (and their live sites) whose target the file fixes, and
 * the others counted by reason. */
static void bind_summary(const struct ld_result *r, FILE *out)
{
	size_t ntr[LD_BIND_NREASONS] = { 0 }, nsites[LD_BIND_NREASONS] = { 0 };
	size_t i, known = 0, known_sites = 0;
	int b;

	if (r->status || !r->module_sec)
		return;
	for (i = 0; i < r->ntr; i++)
		ntr[r->tr[i].bind]++;
	for (i = 0; i < r->nsites; i++)
		if (r->sites[i].tr >= 0 && ld_kind_live(r->sites[i].kind))
			nsites[r->tr[r->sites[i].tr].bind]++;
	for (b = 0; b < LD_BIND_NREASONS; b++)
		if (ld_bind_known((enum ld_bind)b)) {
			known += ntr[b];
			known_sites += nsites[b];
		}
	fprintf(out, "link-time targets: %zu of %zu trampolines, %zu sites",
		known, r->ntr, known_sites);
	for (b = 0; b < LD_BIND_NREASONS; b++)
		if (!ld_bind_known((enum ld_bind)b) && ntr[b])
			fprintf(out, "; %s: %zu trampolines, %zu sites",
				ld_bind_name((enum ld_bind)b), ntr[b], nsites[b]);
	fputc('\n', out);
}

/* Branch records by key (address, then name: another module's keys are
 * 0 here), then code address: the order --report and --json list them.
 * NULL when there are none or no memory (then they are not listed). */
static int cmp_br_key(const void *a, const void *b)
{
	const struct ld_branch *x = *(struct ld_branch *const *)a;
	const struct ld_branch *y = *(struct ld_branch *const *)b;
	int d;

	if ((x->kind == LD_KIND_NONE) != (y->kind == LD_KIND_NONE))
		return x->kind == LD_KIND_NONE ? 1 : -1; /* dead ones last */
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	d = strcmp(x->key_name, y->key_name);
	if (d)
		return d;
	if (x->code != y->code)
		return x->code < y->code ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static const struct ld_branch **branches_by_key(const struct ld_result *r)
{
	const struct ld_branch **v;
	size_t i;

	if (!r->nbr)
		return NULL;
	v = malloc(r->nbr * sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; i < r->nbr; i++)
		v[i] = &r->br[i];
	qsort(v, r->nbr, sizeof(*v), cmp_br_key);
	return v;
}

/* v[i] starts a new key group (the dead records are one group). */
static int new_key(const struct ld_branch **v, size_t i)
{
	int dead = v[i]->kind == LD_KIND_NONE;

	if (!i || dead != (v[i - 1]->kind == LD_KIND_NONE))
		return 1;
	return !dead && (v[i]->key != v[i - 1]->key ||
			 strcmp(v[i]->key_name, v[i - 1]->key_name));
}

struct br_counts {
	size_t n, unlikely, likely, dead, refused;
};

static struct br_counts count_branches(const struct ld_branch **v, size_t n)
{
	struct br_counts k = { n, 0, 0, 0, 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		k.unlikely += v[i]->kind == LD_KIND_BRANCH_UNLIKELY;
		k.likely += v[i]->kind == LD_KIND_BRANCH_LIKELY;
		k.dead += v[i]->state == LD_BR_DEAD;
		k.refused += v[i]->state == LD_BR_ERROR;
	}
	return k;
}

/* How the file starts the key of group v[0..n), as far as it says. */
static const char *initial(const struct ld_branch **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i]->initial != LD_KEY_UNKNOWN)
			return v[i]->initial == LD_KEY_ENABLED ? "enabled" :
								 "disabled";
	return NULL;
}

/* Length of the key group starting at v[i]. */
static size_t group_len(const struct ld_branch **v, size_t n, size_t i)
{
	size_t j = i + 1;

	while (j < n && !new_key(v, j))
		j++;
	return j - i;
}

static void report_branches(const struct img *img, const struct ld_result *r,
			    FILE *out)
{
	const struct ld_branch **v = branches_by_key(r);
	struct br_counts all;
	size_t i, j, g;
	char w[256], t[256];

	if (!v)
		return;
	all = count_branches(v, r->nbr);
	fprintf(out, "branch records: %zu (unlikely %zu, likely %zu, dead %zu), "
		     "%zu refused\n", all.n, all.unlikely, all.likely, all.dead,
		all.refused);
	for (i = 0; i < r->nbr; i += g) {
		struct br_counts k;

		g = group_len(v, r->nbr, i);
		k = count_branches(v + i, g);
		if (v[i]->kind == LD_KIND_NONE)
			fprintf(out, "dead branch records: %zu\n", g);
		else
			fprintf(out, "branch key %s%s: %zu records (unlikely %zu, "
				     "likely %zu), %zu refused%s%s\n",
				v[i]->key_name,
				v[i]->key_extern && !v[i]->key ? " (another module's)" : "",
				g, k.unlikely, k.likely, k.refused,
				initial(v + i, g) ? ", starts " : "",
				initial(v + i, g) ? initial(v + i, g) : "");
		for (j = i; j < i + g; j++)
			fprintf(out, "  %-40s %-10s %-3s -> %-30s %s\n",
				img_where(img, v[j]->code, w, sizeof(w)),
				ld_kind_name(v[j]->kind),
				ld_br_form_name(v[j]->form),
				img_where(img, v[j]->target, t, sizeof(t)),
				ld_br_state_name(v[j]->state));
	}
	free(v);
}

void ld_report(const struct img *img, const struct ld_result *r, FILE *out)
{
	char w[256];
	size_t i, j;

	if (!r->have_scall) {
		fprintf(out, "%s: no scall sections\n", img->path);
		return;
	}
	fprintf(out, "%s: %zu site records, %zu trampolines, %zu unrecorded "
		     "sites, header flags 0x%x -> 0x%x, %s\n",
		img->path, r->nsites, r->ntr, r->nun, r->old_flags,
		r->status ? r->old_flags : r->new_flags,
		r->status ? "INVALID" : "valid");
	for (j = 0; j < r->ntr; j++) {
		const struct ld_tramp *t = &r->tr[j];

		fprintf(out, "key %s: trampoline %s at 0x%llx (%s)%s, %s%s\n",
			t->key_name, t->name, (unsigned long long)t->addr,
			flavour(t->flags), t->bad ? " BAD" : "",
			bind_text(img, t, w, sizeof(w)),
			t->bound != LD_BIND_UNCHECKED ? ", pre-bound" : "");
		for (i = 0; i < r->nsites; i++)
			if (r->sites[i].tr == (long)j)
				fprintf(out, "  %-40s %-10s %s\n",
					img_where(img, r->sites[i].site, w, sizeof(w)),
					ld_kind_name(r->sites[i].kind),
					ld_state_name(r->sites[i].state));
		for (i = 0; i < r->nun; i++)
			if (r->un[i].tr == (long)j)
				fprintf(out, "  %-40s %-10s unrecorded\n",
					img_where(img, r->un[i].src, w, sizeof(w)),
					ld_enc_name(r->un[i].enc));
	}
	bind_summary(r, out);
	for (i = 0; i < r->nsites; i++)
		if (r->sites[i].tr < 0)
			fprintf(out, "no trampoline: %-30s %-10s %s\n",
				img_where(img, r->sites[i].site, w, sizeof(w)),
				ld_kind_name(r->sites[i].kind),
				ld_state_name(r->sites[i].state));
	report_branches(img, r, out);
}

static void jstr(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void jsite(FILE *out, const struct img *img, uint64_t addr,
		  const char *kind, const char *state)
{
	char w[256];

	fprintf(out, "{\"addr\":%llu,\"where\":", (unsigned long long)addr);
	jstr(out, img_where(img, addr, w, sizeof(w)));
	fprintf(out, ",\"kind\":\"%s\",\"state\":", kind);
	jstr(out, state);
	fputc('}', out);
}

static void jcounts(FILE *out, const struct br_counts *k)
{
	fprintf(out, "{\"records\":%zu,\"unlikely\":%zu,\"likely\":%zu,"
		     "\"dead\":%zu,\"refused\":%zu}",
		k->n, k->unlikely, k->likely, k->dead, k->refused);
}

/* "branch_counts":{...},"branch_keys":[{"key":..,"counts":..,
 * "branches":[...]}]: dead records are the group with key null. */
static void json_branches(const struct img *img, const struct ld_result *r,
			  FILE *out)
{
	const struct ld_branch **v = branches_by_key(r);
	struct br_counts all = { 0, 0, 0, 0, 0 };
	size_t i, j, g;
	char w[256];

	if (v)
		all = count_branches(v, r->nbr);
	fputs("\"branch_counts\":", out);
	jcounts(out, &all);
	fputs(",\"branch_keys\":[", out);
	for (i = 0; v && i < r->nbr; i += g) {
		struct br_counts k;

		g = group_len(v, r->nbr, i);
		k = count_branches(v + i, g);
		fputs(i ? ",{\"key\":" : "{\"key\":", out);
		if (v[i]->kind == LD_KIND_NONE)
			fputs("null", out);
		else
			jstr(out, v[i]->key_name);
		fprintf(out, ",\"key_addr\":%llu,\"another_module\":%s,"
			     "\"initial\":", (unsigned long long)v[i]->key,
			v[i]->key_extern && !v[i]->key ? "true" : "false");
		if (initial(v + i, g))
			fprintf(out, "\"%s\"", initial(v + i, g));
		else
			fputs("null", out);
		fputs(",\"counts\":", out);
		jcounts(out, &k);
		fputs(",\"branches\":[", out);
		for (j = i; j < i + g; j++) {
			const struct ld_branch *b = v[j];

			fprintf(out, "%s{\"record\":%u,\"addr\":%llu,\"where\":",
				j > i ? "," : "", b->idx,
				(unsigned long long)b->code);
			jstr(out, img_where(img, b->code, w, sizeof(w)));
			fprintf(out, ",\"kind\":\"%s\",\"form\":\"%s\","
				     "\"target\":%llu,\"target_where\":",
				ld_kind_name(b->kind), ld_br_form_name(b->form),
				(unsigned long long)b->target);
			jstr(out, img_where(img, b->target, w, sizeof(w)));
			fprintf(out, ",\"state\":\"%s\"}",
				ld_br_state_name(b->state));
		}
		fputs("]}", out);
	}
	fputc(']', out);
	free(v);
}

void ld_json(const struct img *img, const struct ld_result *r, FILE *out)
{
	size_t i, j;
	int first;

	fputs("{\"file\":", out);
	jstr(out, img->path);
	fprintf(out, ",\"scall\":%s,\"valid\":%s,\"header_flags\":%u,"
		     "\"records\":%zu,\"errors\":%zu,\"warnings\":%zu,\"keys\":[",
		r->have_scall ? "true" : "false", r->status ? "false" : "true",
		r->status ? r->old_flags : r->new_flags, r->nsites, r->nerr,
		r->nwarn);
	for (j = 0; j < r->ntr; j++) {
		const struct ld_tramp *t = &r->tr[j];
		char w[256];

		fputs(j ? ",{\"key\":" : "{\"key\":", out);
		jstr(out, t->key_name);
		fputs(",\"trampoline\":", out);
		jstr(out, t->name);
		fprintf(out, ",\"tramp_addr\":%llu,\"flavour\":\"%s\",\"ok\":%s,"
			     "\"bind\":\"%s\",\"bound\":\"%s\",",
			(unsigned long long)t->addr, flavour(t->flags),
			t->bad ? "false" : "true", ld_bind_name(t->bind),
			t->bound == LD_BIND_UNCHECKED ? "no" : ld_bind_name(t->bound));
		if (t->bind == LD_BIND_FUNC) {
			fputs("\"bind_target\":", out);
			jstr(out, img_where(img, t->bind_target, w, sizeof(w)));
			fputc(',', out);
		}
		fputs("\"sites\":[", out);
		first = 1;
		for (i = 0; i < r->nsites; i++)
			if (r->sites[i].tr == (long)j) {
				if (!first)
					fputc(',', out);
				first = 0;
				jsite(out, img, r->sites[i].site,
				      ld_kind_name(r->sites[i].kind),
					ld_state_name(r->sites[i].state));
			}
		for (i = 0; i < r->nun; i++)
			if (r->un[i].tr == (long)j) {
				if (!first)
					fputc(',', out);
				first = 0;
				jsite(out, img, r->un[i].src, ld_enc_name(r->un[i].enc),
				      "unrecorded");
			}
		fputs("]}", out);
	}
	fputs("],", out);
	json_branches(img, r, out);
	fputs(",\"diagnostics\":[", out);
	for (i = 0; i < r->ndiags; i++) {
		if (i)
			fputc(',', out);
		jstr(out, r->diags[i].text);
	}
	fputs("]}\n", out);
}
