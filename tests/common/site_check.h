/* SPDX-License-Identifier: MIT */
/*
 * What the code of this process holds at every recorded scall site, read
 * from memory, not from the runtime's bookkeeping: scall_stats() counts what
 * the runtime believes it wrote, so a writer that wrote nothing would still
 * show "patched" there.
 *
 * site_check() walks every loaded module (dl_iterate_phdr), finds its
 * scall_module header through the section headers of its file, and for each
 * site and trampoline record compares the bytes in memory with the state
 * docs/format.md ("Site instruction states", trampoline "States of the patch
 * window") prescribes for the key's current value.  It is an oracle written
 * from the format, independent of runtime/insn.c.  Call it while no update
 * runs.  Needs _GNU_SOURCE (dl_iterate_phdr); every test is built with it.
 */
#ifndef SCALL_SITE_CHECK_H
#define SCALL_SITE_CHECK_H
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <scall.h>
#include <scall/format.h>

struct site_count {
	size_t modules;       /* modules with a scall_module header */
	size_t sites;         /* records of kinds 1-3 (call, jmp, jcc) */
	size_t direct;        /* ... in the state that encodes the key's
				 target in place: a branch to it, or the NOP,
				 RET or xor form */
	size_t via_tramp;     /* ... branching to their trampoline, as they
				 must when the target is out of rel32 range
				 or a plain key is NULL */
	size_t unresolved;    /* kind-4 records (Clang, no scall-ld) */
	size_t tramps;        /* trampoline records */
	size_t tramps_direct; /* ... whose window jumps straight to the
				 target (or returns: cond flavour, NULL) */
	size_t wrong;         /* sites, trampolines or headers not in the
				 state the format prescribes; each one is
				 printed on stderr */
};

static inline int sc_in_range(uintptr_t next, uintptr_t to)
{
	int64_t d = (int64_t)(to - next);

	return d >= INT32_MIN && d <= INT32_MAX;
}

/* Does the rel32 at p, relative to next, reach `to`? */
static inline int sc_rel_is(const uint8_t *p, uintptr_t next, uintptr_t to)
{
	int32_t r;

	memcpy(&r, p, 4);
	return next + (uintptr_t)(intptr_t)r == to;
}

static inline void sc_wrong(struct site_count *c, const char *mod, uintptr_t base,
		     const char *what, uintptr_t a, int len, const char *want)
{
	const uint8_t *p = (const uint8_t *)a;

	c->wrong++;
	fprintf(stderr, "site_check: %s at %s+%#lx:", what, mod,
		(unsigned long)(a - base));
	for (int i = 0; i < len; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, ", expected %s\n", want);
}

static inline int sc_indirect_window(const uint8_t *p)
{
	return p[0] == SCALL_TRAMP_OP0 && p[2] == SCALL_TRAMP_OP2 &&
	       (p[1] == SCALL_TRAMP_OP1_MOV || p[1] == SCALL_TRAMP_OP1_LEA);
}

static inline const struct scall_tramp *sc_find_tramp(const struct scall_tramp *t,
					       size_t n, uintptr_t a)
{
	for (size_t i = 0; i < n; i++)
		if ((uintptr_t)&t[i].tramp + (intptr_t)t[i].tramp == a)
			return &t[i];
	return NULL;
}

static inline void sc_check_tramp(struct site_count *c, const char *mod, uintptr_t base,
			   const struct scall_tramp *tr)
{
	uintptr_t t = (uintptr_t)&tr->tramp + (intptr_t)tr->tramp;
	const uint8_t *p = (const uint8_t *)t;
	uintptr_t f = (uintptr_t)__atomic_load_n((void **)(uintptr_t)tr->key,
						 __ATOMIC_ACQUIRE);
	int cond = tr->flags & SCALL_TRAMP_COND;

	c->tramps++;
	if (!f && cond) {
		if (p[0] == 0xc3) {
			c->tramps_direct++;
			return;
		}
		sc_wrong(c, mod, base, "cond trampoline of a NULL key", t, 5, "ret");
	} else if (f && f != (uintptr_t)scall_return0 && sc_in_range(t + 5, f)) {
		if (p[0] == 0xe9 && sc_rel_is(p + 1, t + 5, f)) {
			c->tramps_direct++;
			return;
		}
		sc_wrong(c, mod, base, "trampoline", t, 5, "jmp to the key's target");
	} else if (!sc_indirect_window(p)) {
		sc_wrong(c, mod, base, "trampoline", t, 5,
			 "the indirect state (target NULL, scall_return0 or out "
			 "of range)");
	}
}

static inline void sc_check_site(struct site_count *c, const char *mod, uintptr_t base,
			  const struct scall_site *s, const struct scall_tramp *trs,
			  size_t ntr)
{
	static const uint8_t nop5[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	static const uint8_t xor5[5] = { 0x2e, 0x2e, 0x2e, 0x31, 0xc0 };
	unsigned kind = s->info & SCALL_SITE_KIND_MASK;
	uintptr_t a = (uintptr_t)&s->site + (intptr_t)s->site;
	uintptr_t t = (uintptr_t)&s->tramp + (intptr_t)s->tramp;
	const uint8_t *p = (const uint8_t *)a;
	const struct scall_tramp *tr;
	uintptr_t f, next;
	int cond, len = kind == SCALL_KIND_JCC ? SCALL_JCC_LEN : SCALL_CALL_LEN;

	if (kind == SCALL_KIND_NONE)
		return;
	if (kind == SCALL_KIND_UNRESOLVED) {
		c->unresolved++;
		return;
	}
	c->sites++;
	if (kind > SCALL_KIND_UNRESOLVED || (s->info & SCALL_SITE_FLAGS_MASK)) {
		sc_wrong(c, mod, base, "record with an unknown kind or flag", a, 1,
			 "kind 1-4, no flag");
		return;
	}
	if (!(tr = sc_find_tramp(trs, ntr, t))) {
		sc_wrong(c, mod, base, "site whose trampoline has no record", a, len,
			 "a trampoline record");
		return;
	}
	f = (uintptr_t)__atomic_load_n((void **)(uintptr_t)tr->key, __ATOMIC_ACQUIRE);
	cond = tr->flags & SCALL_TRAMP_COND;
	next = a + (uintptr_t)len;
	/* docs/format.md, "Site instruction states". */
	switch (kind) {
	case SCALL_KIND_CALL:
		if (!f && cond) {
			if (!memcmp(p, nop5, 5))
				goto direct;
			sc_wrong(c, mod, base, "call site of a NULL cond key", a, len, "nop");
			return;
		}
		if (f == (uintptr_t)scall_return0) {
			if (!memcmp(p, xor5, 5))
				goto direct;
			sc_wrong(c, mod, base, "call site of scall_return0", a, len,
				 "xorl %eax,%eax");
			return;
		}
		if (p[0] != 0xe8)
			break;
		goto branch;
	case SCALL_KIND_JMP:
		if (!f && cond) {
			if (p[0] == 0xc3)
				goto direct;
			sc_wrong(c, mod, base, "tail site of a NULL cond key", a, len, "ret");
			return;
		}
		if (p[0] != 0xe9)
			break;
		goto branch;
	default:
		if (p[0] != 0x0f || (p[1] & 0xf0) != 0x80)
			break;
		goto branch;
	}
	sc_wrong(c, mod, base, "site", a, len, "its kind's opcode");
	return;
branch:
	if (f && sc_in_range(next, f)) {
		if (sc_rel_is(p + len - 4, next, f))
			goto direct;
		sc_wrong(c, mod, base, "site", a, len, "a branch to the key's target");
		return;
	}
	if (sc_rel_is(p + len - 4, next, t)) {
		c->via_tramp++;
		return;
	}
	sc_wrong(c, mod, base, "site", a, len,
		 "a branch to its trampoline (target NULL or out of range)");
	return;
direct:
	c->direct++;
}

/* Sections named `name` of the ELF file `path`: their [addr, addr + size)
 * as linked, up to max; returns how many (-1 when the file is unreadable). */
static inline int sc_sections(const char *path, const char *name, uint64_t (*out)[2], int max)
{
	Elf64_Ehdr eh;
	Elf64_Shdr *sh = NULL;
	char *str = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC), n = -1;

	if (fd < 0)
		return -1;
	if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    !eh.e_shoff || eh.e_shstrndx >= eh.e_shnum ||
	    eh.e_shentsize != sizeof *sh)
		goto out;
	sh = calloc(eh.e_shnum, sizeof *sh);
	if (!sh || pread(fd, sh, eh.e_shnum * sizeof *sh, (off_t)eh.e_shoff) !=
			   (ssize_t)(eh.e_shnum * sizeof *sh))
		goto out;
	str = calloc(1, sh[eh.e_shstrndx].sh_size + 1);
	if (!str || pread(fd, str, sh[eh.e_shstrndx].sh_size,
			  (off_t)sh[eh.e_shstrndx].sh_offset) !=
			    (ssize_t)sh[eh.e_shstrndx].sh_size)
		goto out;
	n = 0;
	for (int i = 0; i < eh.e_shnum; i++)
		if (sh[i].sh_name < sh[eh.e_shstrndx].sh_size &&
		    !strcmp(str + sh[i].sh_name, name) && n < max) {
			out[n][0] = sh[i].sh_addr;
			out[n][1] = sh[i].sh_size;
			n++;
		}
out:
	free(str);
	free(sh);
	close(fd);
	return n;
}

/* The header's bounds are those of the module's section (0 without one). */
static inline int sc_bounds(const char *path, uintptr_t base, const char *name,
			    uint64_t start, uint64_t stop)
{
	uint64_t sec[2][2];
	int n = sc_sections(path, name, sec, 2);

	if (n == 0)
		return !start && !stop;
	return n == 1 && start == base + sec[0][0] && stop == base + sec[0][0] + sec[0][1];
}

static inline int sc_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct site_count *c = arg;
	const char *path = info->dlpi_name;
	uint64_t hdr[4][2], sec[2][2];
	uintptr_t base = info->dlpi_addr;
	int nh;

	(void)size;
	if (info->dlpi_phdr == (const ElfW(Phdr) *)getauxval(AT_PHDR))
		path = "/proc/self/exe";
	else if (!path || !*path)
		return 0; /* the vDSO */
	nh = sc_sections(path, SCALL_SECTION_MODULE, hdr, 4);
	if (nh < 0) {
		if (strstr(path, "linux-vdso"))
			return 0;
		fprintf(stderr, "site_check: cannot read the sections of %s\n", path);
		c->wrong++;
		return 0;
	}
	if (nh == 0) {
		/* Records without a header are never registered. */
		if (sc_sections(path, SCALL_SECTION_SITES, sec, 1) > 0 ||
		    sc_sections(path, SCALL_SECTION_TRAMPS, sec, 1) > 0) {
			fprintf(stderr, "site_check: %s has records but no header\n", path);
			c->wrong++;
		}
		return 0;
	}
	for (int h = 0; h < nh; h++) {
		const struct scall_module *m = (const void *)(base + hdr[h][0]);
		if (hdr[h][1] < SCALL_MODULE_MIN_SIZE ||
		    hdr[h][1] != scall_module_size(m->size) ||
		    !scall_module_size_fits((uint32_t)hdr[h][1], m->flags)) {
			fprintf(stderr, "site_check: %s: scall_module of %llu bytes, "
				"size field %u\n", path, (unsigned long long)hdr[h][1],
				hdr[h][1] < SCALL_MODULE_MIN_SIZE ? 0u : m->size);
			c->wrong++;
			continue;
		}
		const struct scall_site *s = (const void *)(uintptr_t)m->sites_start;
		const struct scall_tramp *t = (const void *)(uintptr_t)m->tramps_start;
		size_t ns = (m->sites_stop - m->sites_start) / sizeof *s;
		size_t nt = (m->tramps_stop - m->tramps_start) / sizeof *t;

		c->modules++;
		if (m->magic != SCALL_MODULE_MAGIC || m->version != SCALL_FORMAT_VERSION ||
		    !sc_bounds(path, base, SCALL_SECTION_SITES, m->sites_start, m->sites_stop) ||
		    !sc_bounds(path, base, SCALL_SECTION_TRAMPS, m->tramps_start,
			       m->tramps_stop)) {
			fprintf(stderr, "site_check: %s: bad header or record bounds\n", path);
			c->wrong++;
			continue;
		}
		for (size_t i = 0; i < nt; i++)
			sc_check_tramp(c, path, base, &t[i]);
		for (size_t i = 0; i < ns; i++)
			sc_check_site(c, path, base, &s[i], t, nt);
	}
	return 0;
}

/* Every record of every loaded module, checked against memory. */
static inline struct site_count site_check(void)
{
	struct site_count c = { 0 };

	dl_iterate_phdr(sc_module, &c);
	return c;
}

static inline void site_check_print(const char *what, const struct site_count *c)
{
	fprintf(stderr,
		"site_check %s: modules %zu sites %zu direct %zu via-trampoline %zu "
		"unresolved %zu tramps %zu (direct %zu) wrong %zu\n",
		what, c->modules, c->sites, c->direct, c->via_tramp, c->unresolved,
		c->tramps, c->tramps_direct, c->wrong);
}

/*
 * The check of a test built with the toolchain, after it brought every key
 * to a target within rel32 range of all its sites: at least min_modules
 * modules and min_sites records, every site and trampoline in the state its
 * key requires, and every one direct.  Built with E2E_EXPECT_UNRESOLVED
 * (the Clang pass without scall-ld) there are kind-4 records only, which are
 * never patched: then the trampolines must be, and min_sites counts the
 * kind-4 records.  Prints the counts; returns 1 when all holds.
 */
static inline int site_check_all_direct(const char *what, size_t min_modules,
					size_t min_sites)
{
	struct site_count c = site_check();
	int ok = c.wrong == 0 && c.modules >= min_modules && c.tramps > 0 &&
		 c.tramps_direct == c.tramps;

	site_check_print(what, &c);
#ifdef E2E_EXPECT_UNRESOLVED
	ok = ok && c.sites == 0 && c.unresolved >= min_sites;
#else
	ok = ok && c.unresolved == 0 && c.sites >= min_sites && c.direct == c.sites;
#endif
	if (!ok)
		fprintf(stderr, "FAIL: %s: not every recorded site is direct to its "
				"key's target\n", what);
	return ok;
}

/* No module has scall records (a build without the toolchain). */
static inline int site_check_none(const char *what)
{
	struct site_count c = site_check();

	if (c.modules || c.sites || c.unresolved || c.tramps || c.wrong) {
		site_check_print(what, &c);
		fprintf(stderr, "FAIL: %s: scall records in a build without the "
				"toolchain\n", what);
		return 0;
	}
	return 1;
}
#endif
