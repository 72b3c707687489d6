/* SPDX-License-Identifier: MIT */
/* report.c - --report (a table for people) and --json. */
#include "check.h"

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
	fputs("],\"diagnostics\":[", out);
	for (i = 0; i < r->ndiags; i++) {
		if (i)
			fputc(',', out);
		jstr(out, r->diags[i].text);
	}
	fputs("]}\n", out);
}
