/* SPDX-License-Identifier: MIT */
/*
 * The stale-key detector (SCALL_CHECK=1, or SCALL_DEBUG=1): after each
 * update, converted store and resync, and at exit, every registered key's
 * value is compared with what its windows were brought to.  A window that
 * no longer reads the key (a direct call, nop, xorl, ret: not its compiler
 * form, not INT3) and is not what the key's value asks for means the key
 * was written behind scall's back (through an escaped pointer, with no
 * scall_resync()).  Such a key gets one stderr line, once per process.
 * It only reports: nothing is patched here.
 *
 * Another thread may have stored a key and not yet reached its
 * __scall_stored() or scall_resync(); so a check at an update reports a key
 * only when the check before it found it stale with the same value too.
 * The check at exit reports at once.
 *
 * Collecting runs under the update lock and allocates; naming the key (the
 * module's .symtab read from its file: keys are often static, which dladdr
 * does not see) runs after the lock is released, since dladdr and
 * dl_iterate_phdr take the loader lock, which comes first (docs/protocol.md,
 * "Locking, the loader lock, signals, fork").
 */
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* A key found stale: its value and what its windows still do. */
struct stale {
	void **key;
	uintptr_t now;   /* the key's value */
	uintptr_t old;   /* what the first stale window calls (0: nothing) */
	size_t nsites, ntramps;
};

struct scall_stale {
	size_t n;
	struct stale s[];
};

/* SCALL_CHECK: -1 until read (under the lock). */
static int check_env = -1;
/* The keys reported (sorted), and those the last check found stale
 * (sorted) but did not report yet. */
static void ***reported;
static size_t nreported, capreported;
static struct stale *prev;
static size_t nprev;
/* The last cycle failed to write: its windows may be off their keys'
 * values through no fault of the program; the next one repairs them. */
static bool cycle_failed;

static bool enabled(void)
{
	if (check_env < 0) {
		const char *e = getenv("SCALL_CHECK");

		check_env = e && *e && strcmp(e, "0");
	}
	return check_env || scall_debug;
}

/* What window it does now when that no longer depends on its key:
 * *old gets the target (0 for a nop or ret, scall_return0 for xorl).
 * false when it reads the key (compiler form, INT3, or a site branching
 * to its trampoline, which is checked as an item of its own). */
static bool committed(const struct rt_item *it, uintptr_t *old)
{
	uint8_t b[ITEM_MAXLEN];
	const uint8_t *c = it->cur;
	uintptr_t next = it->addr + it->len;

	if (c[0] == SCALL_OP_INT3 || !memcmp(c, it->orig, it->len))
		return false;
	if (c[0] == SCALL_OP_RET) {
		*old = 0;
		return true;
	}
	if (scall_is_call(c) || scall_is_jmp(c))
		*old = (uintptr_t)scall_rel32_target(next, c + 1);
	else if (scall_is_jcc(c))
		*old = (uintptr_t)scall_rel32_target(next, c + 2);
	else {
		memcpy(b, c, it->len);
		scall_put_xor5(b);
		*old = !memcmp(b, c, SCALL_XOR5_LEN) ? (uintptr_t)scall_return0
						      : 0;
		return true;
	}
	return it->kind == ITEM_TRAMP || *old != it->tramp;
}

/* Append a stale item of key (value now) to *v. */
static void add(struct stale **v, size_t *n, size_t *cap,
		const struct rt_item *it, uintptr_t now, uintptr_t old)
{
	struct stale *s;

	if (*n && (*v)[*n - 1].key == it->key) {
		s = &(*v)[*n - 1];
	} else {
		if (*n == *cap) {
			size_t c = *cap ? 2 * *cap : 16;
			struct stale *p = scall_realloc(*v, c * sizeof(**v));

			if (!p)
				return; /* a report lost; nothing else */
			*v = p;
			*cap = c;
		}
		s = &(*v)[(*n)++];
		*s = (struct stale){ .key = it->key, .now = now, .old = old };
	}
	if (it->kind == ITEM_TRAMP)
		s->ntramps++;
	else
		s->nsites++;
}

static void check_item(const struct rt_item *it, struct stale **v, size_t *n,
		       size_t *cap)
{
	uint8_t want[ITEM_MAXLEN];
	uintptr_t now, old = 0;

	/* A branch's key is a count only libscall writes. */
	if (it->refused || !it->key || scall_kind_is_branch(it->kind) ||
	    !committed(it, &old))
		return;
	now = (uintptr_t)__atomic_load_n(it->key, __ATOMIC_ACQUIRE);
	scall_encode(it, scall_desired(it, (void *)now), want);
	if (memcmp(want, it->cur, it->len))
		add(v, n, cap, it, now, old);
}

static int cmp_stale(const void *a, const void *b)
{
	const struct stale *x = a, *y = b;

	return (uintptr_t)x->key < (uintptr_t)y->key ? -1
						     : (uintptr_t)x->key >
						       (uintptr_t)y->key;
}

/* Sorted by key, one entry per key (its counts summed). */
static size_t merge(struct stale *v, size_t n)
{
	size_t k = 0;

	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_stale);
	for (size_t i = 0; i < n; i++) {
		if (k && v[k - 1].key == v[i].key) {
			v[k - 1].nsites += v[i].nsites;
			v[k - 1].ntramps += v[i].ntramps;
			continue;
		}
		v[k++] = v[i];
	}
	return k;
}

static const struct stale *find_stale(const struct stale *v, size_t n,
				      void **key)
{
	struct stale k = { .key = key };

	return n ? bsearch(&k, v, n, sizeof(*v), cmp_stale) : NULL;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a,
		  y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

static bool was_reported(void **key)
{
	return nreported &&
	       bsearch(&key, reported, nreported, sizeof(*reported), cmp_ptr);
}

/* Remember key as reported; false when there is no room (then it is not
 * reported this time either, so that it is never reported twice). */
static bool mark_reported(void **key)
{
	size_t i;

	if (nreported == capreported) {
		size_t c = capreported ? 2 * capreported : 16;
		void ***p = scall_realloc(reported, c * sizeof(*p));

		if (!p)
			return false;
		reported = p;
		capreported = c;
	}
	for (i = nreported; i && (uintptr_t)reported[i - 1] > (uintptr_t)key;
	     i--)
		reported[i] = reported[i - 1];
	reported[i] = key;
	nreported++;
	return true;
}

/* Lock held. */
static struct scall_stale *collect(bool at_exit)
{
	const struct rt_table *t = __atomic_load_n(&scall_table,
						   __ATOMIC_RELAXED);
	struct stale *v = NULL;
	size_t n = 0, cap = 0, k = 0;
	struct scall_stale *out = NULL;

	for (size_t i = 0; t && i < t->n; i++) {
		const struct rt_module *m = t->s[i].mod;

		if (m->dropped || m->unloading)
			continue;
		/* A lazy module's sites have no item yet: its trampolines,
		 * bound like them, stand for them. */
		for (size_t j = 0; j < m->nitems; j++)
			check_item(&m->items[j], &v, &n, &cap);
	}
	n = merge(v, n);
	for (size_t i = 0; i < n; i++) {
		const struct stale *p;

		if (was_reported(v[i].key))
			continue;
		p = find_stale(prev, nprev, v[i].key);
		if (at_exit || (p && p->now == v[i].now)) {
			if (!out) {
				out = scall_malloc(sizeof(*out) +
						   n * sizeof(out->s[0]));
				if (!out)
					break;
				out->n = 0;
			}
			if (mark_reported(v[i].key))
				out->s[out->n++] = v[i];
			continue;
		}
		v[k++] = v[i]; /* seen once: confirmed by the next check */
	}
	free(prev);
	prev = v;
	nprev = k;
	return out;
}

struct scall_stale *scall_check_keys(int cycle_err)
{
	if (!enabled())
		return NULL;
	cycle_failed = cycle_err != 0;
	return cycle_failed ? NULL : collect(false);
}

/* ---------------------------------------------------------------- */
/* Naming, outside the lock                                         */
/* ---------------------------------------------------------------- */

/* The object holding an address: its file and load bias. */
struct object {
	uintptr_t addr, bias;
	char file[4096];
	bool found;
};

static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct object *o = arg;

	(void)size;
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD || o->addr - lo >= ph->p_memsz)
			continue;
		o->bias = info->dlpi_addr;
		/* The executable's name is "" (dl_iterate_phdr(3)). */
		snprintf(o->file, sizeof(o->file), "%s",
			 info->dlpi_name && *info->dlpi_name ? info->dlpi_name
							     : "/proc/self/exe");
		o->found = true;
		return 1;
	}
	return 0;
}

static bool read_at(int fd, void *buf, size_t len, uint64_t off)
{
	return pread(fd, buf, len, (off_t)off) == (ssize_t)len;
}

/* The symbol of file fd's section table sh (symtab or dynsym) covering
 * the file address a: its name into name, its address into *start. */
static bool sym_in(int fd, const Elf64_Shdr *sh, const Elf64_Shdr *shs,
		   size_t nsh, uint64_t a, char *name, size_t len,
		   uint64_t *start, uint64_t *size)
{
	Elf64_Sym buf[256];
	size_t nsym = sh->sh_entsize == sizeof(Elf64_Sym)
			      ? sh->sh_size / sizeof(Elf64_Sym)
			      : 0;
	uint64_t best_off = 0;
	bool found = false;

	if (sh->sh_link >= nsh)
		return false;
	for (size_t i = 0; i < nsym; i += 256) {
		size_t c = nsym - i < 256 ? nsym - i : 256;

		if (!read_at(fd, buf, c * sizeof(buf[0]),
			     sh->sh_offset + i * sizeof(buf[0])))
			return false;
		for (size_t j = 0; j < c; j++) {
			const Elf64_Sym *s = &buf[j];
			unsigned type = ELF64_ST_TYPE(s->st_info);

			if ((type != STT_OBJECT && type != STT_FUNC) ||
			    s->st_shndx == SHN_UNDEF || a < s->st_value ||
			    a - s->st_value >= (s->st_size ? s->st_size : 1))
				continue;
			/* The nearest start wins: a symbol inside another. */
			if (found && a - s->st_value >= a - *start)
				continue;
			found = true;
			*start = s->st_value;
			*size = s->st_size;
			best_off = s->st_name;
		}
	}
	if (!found)
		return false;
	memset(name, 0, len);
	if (pread(fd, name, len - 1,
		  (off_t)(shs[sh->sh_link].sh_offset + best_off)) <= 0 ||
	    !*name)
		return false;
	return true;
}

/* The symbol of the ELF file path covering a (a file address). */
static bool elf_symbol(const char *path, uint64_t a, char *name, size_t len,
		       uint64_t *start, uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf64_Ehdr eh;
	Elf64_Shdr *sh = NULL;
	bool ok = false;

	if (fd < 0)
		return false;
	if (!read_at(fd, &eh, sizeof(eh), 0) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_shentsize != sizeof(Elf64_Shdr) || !eh.e_shnum)
		goto out;
	sh = malloc(eh.e_shnum * sizeof(*sh));
	if (!sh || !read_at(fd, sh, eh.e_shnum * sizeof(*sh), eh.e_shoff))
		goto out;
	/* .symtab has the file-static symbols; .dynsym when it is stripped. */
	for (unsigned type = SHT_SYMTAB; !ok; type = SHT_DYNSYM) {
		for (size_t i = 0; i < eh.e_shnum && !ok; i++)
			if (sh[i].sh_type == type)
				ok = sym_in(fd, &sh[i], sh, eh.e_shnum, a,
					    name, len, start, size);
		if (type == SHT_DYNSYM)
			break;
	}
out:
	free(sh);
	close(fd);
	return ok;
}

/* "sym", "sym+0x18" (a member of a struct key), or the address alone;
 * mod (when not NULL) gets the file of the object holding it. */
static void name_of(uintptr_t a, char *out, size_t len, char *mod,
		    size_t modlen, bool key)
{
	struct object o = { .addr = a };
	char sym[256];
	uint64_t start = 0, size = 0;
	Dl_info info;
	char *dot;

	if (mod)
		snprintf(mod, modlen, "?");
	if (dladdr((void *)a, &info) && info.dli_fname && mod)
		snprintf(mod, modlen, "%s", info.dli_fname);
	dl_iterate_phdr(find_object, &o);
	if (o.found &&
	    elf_symbol(o.file, a - o.bias, sym, sizeof(sym), &start, &size)) {
		start += o.bias;
	} else if (info.dli_sname && info.dli_saddr) {
		snprintf(sym, sizeof(sym), "%s", info.dli_sname);
		start = (uintptr_t)info.dli_saddr;
	} else {
		snprintf(out, len, "%#lx", (unsigned long)a);
		return;
	}
	/* The Clang pass renames a file-static key it gives a record to
	 * "name.scall.HASH": the user wrote "name". */
	if ((dot = strstr(sym, ".scall.")) &&
	    strspn(dot + 7, "0123456789abcdef") == strlen(dot + 7))
		*dot = 0;
	/* A key at the start of a larger object is its first member. */
	if (a != start || (key && size > sizeof(void *)))
		snprintf(out, len, "%s+%#lx", sym, (unsigned long)(a - start));
	else
		snprintf(out, len, "%s", sym);
}

static void report_one(const struct stale *s)
{
	char key[300], mod[4096], old[300], now[300], what[96];

	name_of((uintptr_t)s->key, key, sizeof(key), mod, sizeof(mod), true);
	if (s->old)
		name_of(s->old, old, sizeof(old), NULL, 0, false);
	if (s->now)
		name_of(s->now, now, sizeof(now), NULL, 0, false);
	if (s->nsites && s->ntramps)
		snprintf(what, sizeof(what), "%zu site(s) and %zu trampoline(s)",
			 s->nsites, s->ntramps);
	else if (s->nsites)
		snprintf(what, sizeof(what), "%zu site(s)", s->nsites);
	else
		snprintf(what, sizeof(what), "%zu trampoline(s)", s->ntramps);
	fprintf(stderr,
		"scall: key '%s' (%s) was written without scall_resync(): "
		"its %s still call %#lx (%s), the key holds %#lx (%s)\n",
		key, mod, what, (unsigned long)s->old, s->old ? old : "nothing",
		(unsigned long)s->now, s->now ? now : "NULL");
}

void scall_check_report(struct scall_stale *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		report_one(&r->s[i]);
	free(r);
}

/* At exit, read only: the keys nothing reported yet, whatever the check
 * before found.  libscall's destructor runs after those of the objects
 * that depend on it (their modules are unregistered by then); the
 * executable's module stays registered to the end. */
__attribute__((destructor)) static void check_at_exit(void)
{
	struct scall_stale *r;

	/* Unset: not even the lock (racing only with the first check, which
	 * computes the same value). */
	if (!enabled() || scall_lock())
		return; /* exit from a handler that interrupted an update */
	r = cycle_failed ? NULL : collect(true);
	free(prev);
	prev = NULL;
	nprev = 0;
	scall_unlock();
	scall_check_report(r);
}
