/* SPDX-License-Identifier: MIT */
/*
 * sitecheck.c - linked into every module of a random program's toolchain
 * build (run.py): checks the live code of the module against the state
 * table of docs/format.md ("Site instruction states", "Trampolines").
 *
 * The sites come from outside the process: run.py turns `scall-ld --json`
 * of the module into $RND_SITES/<module>.sites (one line per site: kind,
 * link-time address, link-time trampoline address, where).  The key and
 * flavour of each site come from the module's trampoline records, as the
 * runtime takes them; the expected bytes are computed here from the key's
 * current value, independently of the runtime, and compared with the bytes
 * the process executes.  A site left on its trampoline where the table says
 * direct is a failure, as is any other difference.
 *
 * On a failure it prints every bad site to stderr and exits 97; otherwise
 * one summary line per call, which run.py counts.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scall.h>
#include <scall/format.h>

#include "rnd_check.h"

extern const struct scall_tramp __start_scall_tramps[]
	__attribute__((weak, visibility("hidden")));
extern const struct scall_tramp __stop_scall_tramps[]
	__attribute__((weak, visibility("hidden")));

struct site {
	int kind; /* SCALL_KIND_* */
	uintptr_t addr, tramp;
	char where[128];
};

static struct site *sites;
static size_t nsites;
static uintptr_t bias;
static char module[256];

struct find {
	uintptr_t addr;
	int found;
	uintptr_t bias;
	char name[256];
};

static int find_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct find *f = data;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && f->addr >= lo && f->addr < lo + ph->p_memsz) {
			const char *n = info->dlpi_name, *slash;

			f->found = 1;
			f->bias = info->dlpi_addr;
			if (!n || !*n)
				n = "exe";
			slash = strrchr(n, '/');
			snprintf(f->name, sizeof f->name, "%s", slash ? slash + 1 : n);
			return 1;
		}
	}
	return 0;
}

static void load(void)
{
	struct find f = { .addr = (uintptr_t)&rnd_sitecheck };
	const char *dir = getenv("RND_SITES");
	char path[4096], kind[16];
	unsigned long long a, t;
	size_t cap = 0;
	FILE *fp;

	dl_iterate_phdr(find_cb, &f);
	if (!f.found || !dir) {
		fprintf(stderr, "sitecheck: %s\n", dir ? "own module not found" : "RND_SITES not set");
		exit(97);
	}
	bias = f.bias;
	snprintf(module, sizeof module, "%s", f.name);
	snprintf(path, sizeof path, "%s/%s.sites", dir, module);
	fp = fopen(path, "r");
	if (!fp) {
		fprintf(stderr, "sitecheck: %s: %s\n", path, strerror(errno));
		exit(97);
	}
	for (;;) {
		struct site s;

		if (fscanf(fp, "%15s %llx %llx %127s", kind, &a, &t, s.where) != 4)
			break;
		s.kind = !strcmp(kind, "call") ? SCALL_KIND_CALL
		       : !strcmp(kind, "jmp")  ? SCALL_KIND_JMP
		       : !strcmp(kind, "jcc")  ? SCALL_KIND_JCC : -1;
		if (s.kind < 0) {
			fprintf(stderr, "sitecheck: %s: bad kind %s\n", path, kind);
			exit(97);
		}
		s.addr = bias + a;
		s.tramp = bias + t;
		if (nsites == cap) {
			cap = cap ? 2 * cap : 64;
			sites = realloc(sites, cap * sizeof *sites);
			if (!sites)
				exit(97);
		}
		sites[nsites++] = s;
	}
	fclose(fp);
}

static uintptr_t tramp_entry(const struct scall_tramp *r)
{
	return (uintptr_t)&r->tramp + (intptr_t)r->tramp;
}

static const struct scall_tramp *tramp_of(uintptr_t entry)
{
	for (const struct scall_tramp *r = __start_scall_tramps; r < __stop_scall_tramps; r++)
		if (tramp_entry(r) == entry)
			return r;
	return NULL;
}

static int in_range(uintptr_t next, uintptr_t to)
{
	int64_t d = (int64_t)(to - next);

	return d >= INT32_MIN && d <= INT32_MAX;
}

static uintptr_t rel_target(const uint8_t *p, size_t len)
{
	int32_t r;

	memcpy(&r, p + len - 4, 4);
	return (uintptr_t)p + len + (intptr_t)r;
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 3 * i, "%02x ", p[i]);
}

static int fails;

static void bad(const char *what, const char *where, unsigned phase, const uint8_t *p,
		size_t n, const char *want)
{
	char got[64];

	hex(got, p, n);
	fprintf(stderr, "sitecheck: FAIL %s %s %s+%u: %s at %p: bytes %s; want %s\n", module,
		what, where, phase, what, (void *)p, got, want);
	fails++;
}

/* One site: 1 when it is direct (not on its trampoline). */
static int check_site(const struct site *s, const char *where, unsigned phase)
{
	static const uint8_t nop5[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	static const uint8_t xor5[5] = { 0x2e, 0x2e, 0x2e, 0x31, 0xc0 };
	const struct scall_tramp *r = tramp_of(s->tramp);
	const uint8_t *p = (const uint8_t *)s->addr;
	size_t len = s->kind == SCALL_KIND_JCC ? SCALL_JCC_LEN : SCALL_CALL_LEN;
	uintptr_t f, want;
	int cond;
	char msg[160];

	if (!r) {
		bad(s->where, where, phase, p, len, "a trampoline with a record");
		return 0;
	}
	cond = !!(r->flags & SCALL_TRAMP_COND);
	f = (uintptr_t)__atomic_load_n((void **)(uintptr_t)r->key, __ATOMIC_ACQUIRE);
	if (!f && cond && s->kind == SCALL_KIND_CALL) {
		if (memcmp(p, nop5, 5))
			bad(s->where, where, phase, p, len, "the 5-byte NOP (cond, NULL)");
		return 1;
	}
	if (!f && cond && s->kind == SCALL_KIND_JMP) {
		if (p[0] != 0xc3)
			bad(s->where, where, phase, p, len, "c3 (cond tail call, NULL)");
		return 1;
	}
	if (f == (uintptr_t)scall_return0 && s->kind == SCALL_KIND_CALL) {
		if (memcmp(p, xor5, 5))
			bad(s->where, where, phase, p, len, "xorl %eax,%eax (scall_return0)");
		return 1;
	}
	want = f && in_range(s->addr + len, f) ? f : s->tramp;
	if (s->kind == SCALL_KIND_CALL && p[0] == 0xe8 && rel_target(p, 5) == want)
		return want != s->tramp;
	if (s->kind == SCALL_KIND_JMP && p[0] == 0xe9 && rel_target(p, 5) == want)
		return want != s->tramp;
	if (s->kind == SCALL_KIND_JCC && p[0] == 0x0f && (p[1] & 0xf0) == 0x80 &&
	    rel_target(p, 6) == want)
		return want != s->tramp;
	snprintf(msg, sizeof msg, "%s to %#lx (%s)",
		 s->kind == SCALL_KIND_CALL ? "call" : s->kind == SCALL_KIND_JMP ? "jmp" : "jcc",
		 (unsigned long)want, want == s->tramp ? "its trampoline" : "the target");
	bad(s->where, where, phase, p, len, msg);
	return 0;
}

static void check_tramp(const struct scall_tramp *r, const char *where, unsigned phase)
{
	const uint8_t *p = (const uint8_t *)tramp_entry(r);
	uintptr_t f = (uintptr_t)__atomic_load_n((void **)(uintptr_t)r->key, __ATOMIC_ACQUIRE);
	int indirect = p[0] == SCALL_TRAMP_OP0 && p[2] == SCALL_TRAMP_OP2 &&
		       (p[1] == SCALL_TRAMP_OP1_MOV || p[1] == SCALL_TRAMP_OP1_LEA);
	char name[32];

	snprintf(name, sizeof name, "trampoline@%#lx", (unsigned long)(uintptr_t)p - bias);
	if (!f) {
		if (r->flags & SCALL_TRAMP_COND ? p[0] != 0xc3 : !indirect)
			bad(name, where, phase, p, 5, r->flags & SCALL_TRAMP_COND ? "c3" : "indirect");
	} else if (f != (uintptr_t)scall_return0 && in_range((uintptr_t)p + 5, f)) {
		if (p[0] != 0xe9 || rel_target(p, 5) != f)
			bad(name, where, phase, p, 5, "jmp to the target");
	} else if (!indirect) {
		/* scall_return0's trampoline stays indirect (docs/format.md) */
		bad(name, where, phase, p, 5, "indirect (scall_return0, or target out of range)");
	}
}

void rnd_sitecheck(const char *where, unsigned phase)
{
	struct scall_stats st;
	size_t direct = 0, ntramps = 0;

	if (!sites && !module[0])
		load();
	fails = 0;
	for (size_t i = 0; i < nsites; i++)
		direct += check_site(&sites[i], where, phase);
	for (const struct scall_tramp *r = __start_scall_tramps; r < __stop_scall_tramps; r++) {
		check_tramp(r, where, phase);
		ntramps++;
	}
	if (scall_stats(&st) || st.sites_refused) {
		fprintf(stderr, "sitecheck: FAIL %s %s+%u: scall_stats: %zu sites refused\n",
			module, where, phase, st.sites_refused);
		fails++;
	}
	fprintf(stderr, "sitecheck: %s %s+%u: %zu sites, %zu direct, %zu trampolines, %d bad\n",
		module, where, phase, nsites, direct, ntramps, fails);
	if (fails) {
		fflush(stdout);
		exit(97);
	}
}
