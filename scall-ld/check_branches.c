/* SPDX-License-Identifier: MIT */
/*
 * check_branches.c - branch records (section scall_branches, issue 16)
 * against the machine code: the 5-byte instruction at each record (a
 * NOP5 or a jmp rel32 to the record's target, nothing else), its place
 * (inside one function of an executable section), the jump's target
 * (an instruction of the same function), the key (a writable object),
 * and overlaps with other records.  Branches into the instruction are
 * checked with the sites' (check_sites.c, into_*).
 */
#include "checks.h"

#include <elf.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The smallest key object: its enable count, an int at offset 0
 * (struct scall_branch_key in scall.h), enabled while above 0. */
#define KEY_MIN_SIZE 4

static uint64_t rd64(const uint8_t *p)
{
	return scall_get32(p) | (uint64_t)scall_get32(p + 4) << 32;
}

static uint64_t pcrel(uint64_t field_addr, const uint8_t *p)
{
	return field_addr + (uint64_t)(int64_t)(int32_t)scall_get32(p);
}

int branches_read(struct ld_ctx *c, const struct img_sec *s)
{
	struct ld_result *r = c->res;
	const size_t sz = sizeof(struct scall_branch_rec);
	size_t i, n;

	if (s->type == SHT_NOBITS)
		return corrupt(c, "section %s holds no data (NOBITS): a separate "
				  "debug file? run scall-ld on the executable",
			       s->name);
	if (s->size % sz || s->addr % _Alignof(struct scall_branch_rec))
		return corrupt(c, "section %s: size %llu is not a multiple of %zu "
				  "or address 0x%llx not %zu-aligned: corrupt "
				  "branch records", s->name,
			       (unsigned long long)s->size, sz,
			       (unsigned long long)s->addr,
			       _Alignof(struct scall_branch_rec));
	n = s->size / sz;
	if (n > UINT32_MAX)
		return corrupt(c, "section %s: too many records", s->name);
	r->br = calloc(n ? n : 1, sizeof(*r->br));
	if (!r->br)
		return corrupt(c, "out of memory");
	for (i = 0; i < n; i++) {
		const uint8_t *p = c->img->buf + s->off + i * sz;
		struct ld_branch *b = &r->br[i];
		uint64_t at = s->addr + i * sz;

		b->rec = at;
		b->code = pcrel(at + offsetof(struct scall_branch_rec, code),
				p + offsetof(struct scall_branch_rec, code));
		b->target = pcrel(at + offsetof(struct scall_branch_rec, target),
				  p + offsetof(struct scall_branch_rec, target));
		b->key = rd64(p + offsetof(struct scall_branch_rec, key));
		b->info = scall_get32(p + offsetof(struct scall_branch_rec, info));
		b->reserved = scall_get32(p + offsetof(struct scall_branch_rec,
						       reserved));
		b->kind = (enum ld_kind)(b->info & SCALL_BRANCH_KIND_MASK);
		b->idx = (uint32_t)i;
		b->state = LD_BR_UNCHECKED;
	}
	r->nbr = n;
	r->branches_sec = s;
	return 0;
}

int branches_check_bounds(struct ld_ctx *c, const struct img_sec *m)
{
	const struct img_sec *s = c->res->branches_sec;
	const uint8_t *p = c->img->buf + m->off;
	uint64_t bs, be;

	/* records_read_module checked that the header holds the fields its
	 * flags say; a 48-byte header has no branch bounds */
	if (!(c->res->old_flags & SCALL_MODULE_BRANCHES) ||
	    m->size < SCALL_MODULE_SIZE)
		return 0;
	bs = rd64(p + offsetof(struct scall_module, branches_start));
	be = rd64(p + offsetof(struct scall_module, branches_stop));
	/* filled in by the static linker in non-PIE files; relocated
	 * (possibly zero in the file) otherwise */
	if ((bs || be) && (!s || bs != s->addr || be != s->addr + s->size))
		return corrupt(c, "section %s: header branch bounds [0x%llx, "
				  "0x%llx) do not match section %s: corrupt "
				  "module header", m->name,
			       (unsigned long long)bs, (unsigned long long)be,
			       SCALL_SECTION_BRANCHES);
	return 0;
}

/* "branch record 3 (unlikely, key dbg_on)": how messages name a record. */
static const char *rec_name(const struct ld_branch *b, char *buf, size_t size)
{
	snprintf(buf, size, "branch record %u (%s, key %s)", b->idx,
		 ld_kind_name(b->kind), b->key_name);
	return buf;
}

static void refuse(struct ld_ctx *c, struct ld_branch *b, uint64_t where,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void refuse(struct ld_ctx *c, struct ld_branch *b, uint64_t where,
		   const char *fmt, ...)
{
	char name[200], msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag(c, SEV_ERR, where, "%s: %s", rec_name(b, name, sizeof(name)), msg);
	b->state = LD_BR_ERROR;
}

/* The object symbol's name at key (+0xoff inside it), or its address. */
static void key_name(const struct img *img, struct ld_branch *b)
{
	const struct img_sym *o = img_obj_at(img, b->key);

	if (o && b->key == o->addr)
		snprintf(b->key_name, sizeof(b->key_name), "%s", o->name);
	else if (o)
		snprintf(b->key_name, sizeof(b->key_name), "%s+0x%llx", o->name,
			 (unsigned long long)(b->key - o->addr));
	else
		snprintf(b->key_name, sizeof(b->key_name), "key@0x%llx",
			 (unsigned long long)b->key);
}

/*
 * Where the key is at run time, as far as the file says: the address in
 * the record (a non-PIE file), a RELATIVE relocation's addend, or a
 * symbol the loader binds (another module's key: nothing here to check).
 */
static void key_of(struct ld_ctx *c, const struct img_rela *rel, size_t nrel,
		   struct ld_branch *b)
{
	const struct img *img = c->img;
	const struct img_rela *r = img_rela_at(
		rel, nrel, b->rec + offsetof(struct scall_branch_rec, key));

	if (r && r->type == R_X86_64_RELATIVE) {
		b->key = (uint64_t)r->addend;
	} else if (r && r->type == R_X86_64_64 && r->sym) {
		b->key_extern = 1;
		if (r->addend)
			snprintf(b->key_name, sizeof(b->key_name), "%s+0x%llx",
				 r->sym_name, (unsigned long long)r->addend);
		else
			snprintf(b->key_name, sizeof(b->key_name), "%s",
				 r->sym_name);
		/* defined here too (interposable): check this definition */
		b->key = r->sym_value ? r->sym_value + (uint64_t)r->addend : 0;
		return;
	} else if (r) {
		b->key_extern = 1;
		snprintf(b->key_name, sizeof(b->key_name), "key@0x%llx",
			 (unsigned long long)b->key);
		refuse(c, b, b->code,
		       "the key field has a dynamic relocation of type %u, not "
		       "R_X86_64_RELATIVE or R_X86_64_64; the record is corrupt, "
		       "rebuild", r->type);
		return;
	} else if (img->etype != ET_EXEC && b->key) {
		key_name(img, b);
		refuse(c, b, b->code,
		       "the key field holds 0x%llx but no dynamic relocation "
		       "moves it with the module; the record is corrupt, rebuild",
		       (unsigned long long)b->key);
		return;
	}
	key_name(img, b);
}

/* The key object lies in a writable data section outside RELRO. */
static void check_key(struct ld_ctx *c, struct ld_branch *b)
{
	const struct img_sec *s;

	if (b->state == LD_BR_ERROR || (b->key_extern && !b->key))
		return;
	s = img_section_at(c->img, b->key, KEY_MIN_SIZE);
	if (!b->key || !s || !(s->flags & SHF_WRITE) ||
	    (s->flags & SHF_EXECINSTR)) {
		char w[256];

		refuse(c, b, b->code,
		       "its key 0x%llx (%s) is not in a writable data section; "
		       "the record is corrupt, rebuild", (unsigned long long)b->key,
		       b->key ? img_where(c->img, b->key, w, sizeof(w)) : "null");
		return;
	}
	if (img_in_relro(c->img, b->key, KEY_MIN_SIZE))
		refuse(c, b, b->code,
		       "its key %s is in %s, which is read-only after "
		       "relocation (RELRO): flipping it would fault; define "
		       "the key with SCALL_BRANCH_DEFINE_*, not const",
		       b->key_name, s->name);
}

/* Names of f and g are one function's: equal, or one is the other's
 * cold part (GCC's "f.cold", "f.cold.N" in .text.unlikely). */
static int same_function(const struct img_sym *f, const struct img_sym *g)
{
	const char *a = f->name, *b = g->name;
	size_t la;

	if (f == g || (f->addr == g->addr && f->size == g->size))
		return 1;
	if (strlen(a) > strlen(b)) {
		a = g->name;
		b = f->name;
	}
	la = strlen(a);
	/* a is the shorter: b must be a ".cold" then optionally ".N" */
	if (strncmp(a, b, la) || strncmp(b + la, ".cold", 5))
		return 0;
	b += la + 5;
	if (!*b)
		return 1;
	if (*b++ != '.' || !*b)
		return 0;
	for (; *b; b++)
		if (*b < '0' || *b > '9')
			return 0;
	return 1;
}

static void check_code(struct ld_ctx *c, struct ld_branch *b)
{
	const struct img *img = c->img;
	const struct img_sec *sec, *tsec;
	const struct img_sym *f = NULL, *tf = NULL;
	const uint8_t *p;
	char text[160], w[256];
	enum br_enc enc;
	uint64_t dst;
	int n;

	sec = img_section_at(img, b->code, SCALL_BRANCH_LEN);
	if (!sec || !(sec->flags & SHF_EXECINSTR) || sec->type == SHT_NOBITS) {
		refuse(c, b, b->code,
		       "its code address points outside every executable "
		       "section; the record is corrupt, rebuild");
		return;
	}
	if (img->symsrc == IMG_SYMS_SYMTAB) {
		f = img_func_at(img, b->code);
		if (!f) {
			refuse(c, b, b->code,
			       "the instruction is not inside any function "
			       "symbol; only compiler-emitted branches may be "
			       "recorded, rebuild");
			return;
		}
		if (b->code + SCALL_BRANCH_LEN - f->addr > f->size) {
			refuse(c, b, b->code,
			       "the 5-byte instruction runs past the end of %s "
			       "(%llu bytes); the record is corrupt, rebuild",
			       f->name, (unsigned long long)f->size);
			return;
		}
	}
	n = dis_one(img, b->code, &enc, &dst, text, sizeof(text));
	p = img_bytes(img, b->code, SCALL_BRANCH_LEN);
	if (n == SCALL_BRANCH_LEN && p && scall_is_nop5(p)) {
		b->form = LD_BR_FORM_NOP;
	} else if (n == SCALL_JMP_LEN && enc == BR_JMP32) {
		b->form = LD_BR_FORM_JMP;
		if (dst != b->target) {
			char t[256];

			refuse(c, b, b->code,
			       "the instruction is 'jmp %s' but the record's "
			       "target is %s; flipping it would change where the "
			       "branch goes, rebuild",
			       img_where(img, dst, w, sizeof(w)),
			       img_where(img, b->target, t, sizeof(t)));
			return;
		}
	} else {
		refuse(c, b, b->code,
		       "the instruction is '%s', not a 5-byte nop (0f 1f 44 00 "
		       "00) or a jmp rel32 to %s; the code was changed after "
		       "the compiler recorded it, rebuild without "
		       "post-processing", n ? text : "(bad)",
		       img_where(img, b->target, w, sizeof(w)));
		return;
	}
	if (dis_is_start(&c->dis, b->code) == 0) {
		refuse(c, b, b->code,
		       "the instruction is not on an instruction boundary of "
		       "the disassembly; the record points into another "
		       "instruction, rebuild");
		return;
	}
	tsec = img_section_at(img, b->target, 1);
	if (!tsec || !(tsec->flags & SHF_EXECINSTR) || tsec->type == SHT_NOBITS) {
		refuse(c, b, b->code,
		       "its target 0x%llx is outside every executable section; "
		       "the record is corrupt, rebuild",
		       (unsigned long long)b->target);
		return;
	}
	if (f) {
		tf = img_func_at(img, b->target);
		if (!tf || !same_function(f, tf)) {
			refuse(c, b, b->code,
			       "its target %s is not in %s; a branch jumps "
			       "inside its own function, the record is corrupt, "
			       "rebuild", img_where(img, b->target, w, sizeof(w)),
			       f->name);
			return;
		}
	}
	if (dis_is_start(&c->dis, b->target) == 0) {
		refuse(c, b, b->code,
		       "its target %s is not on an instruction boundary of the "
		       "disassembly; the jmp would land inside an instruction, "
		       "rebuild", img_where(img, b->target, w, sizeof(w)));
		return;
	}
	if (b->state == LD_BR_UNCHECKED)
		b->state = LD_BR_OK;
}

/*
 * The key's count as the file starts it (b->initial), and the compiled
 * form against it: the compilers write the form of the default the key's
 * declaration says (docs/format.md), so a mismatch is a key declared with
 * one default and defined with the other, which the C compiler cannot see
 * across units.  The runtime corrects it when it registers the module;
 * until then the branch goes the wrong way.
 */
static void check_default(struct ld_ctx *c, const struct img_rela *rel,
			  size_t nrel, struct ld_branch *b)
{
	const struct img_sec *s;
	const uint8_t *p;
	int32_t count;
	int jumps;

	/* bound by symbol: the definition that wins may be another's */
	if (b->key_extern || b->state != LD_BR_OK)
		return;
	s = img_section_at(c->img, b->key, KEY_MIN_SIZE);
	if (!s)
		return;
	/* a relocation at the count: R_X86_64_COPY (another module's key
	 * copied into this executable at load, with that module's count,
	 * not the 0 of its .bss here), or not a key scall.h wrote */
	if (img_rela_at(rel, nrel, b->key))
		return;
	if (s->type == SHT_NOBITS) {
		count = 0;
	} else {
		p = img_bytes(c->img, b->key, KEY_MIN_SIZE);
		if (!p)
			return;
		count = (int32_t)scall_get32(p);
	}
	b->initial = count > 0 ? LD_KEY_ENABLED : LD_KEY_DISABLED;
	jumps = scall_branch_jumps(b->kind, count > 0);
	if (jumps == (b->form == LD_BR_FORM_JMP))
		return;
	diag(c, SEV_WARN, b->code,
	     "branch record %u (%s, key %s): the instruction is a %s, but the "
	     "key starts %s (count %d), so this %s branch should be a %s: a "
	     "declaration with the other default than the key's definition? "
	     "The branch goes the wrong way until libscall registers the "
	     "module; declare the key with its definition's default",
	     b->idx, ld_kind_name(b->kind), b->key_name,
	     b->form == LD_BR_FORM_JMP ? "jmp" : "nop",
	     count > 0 ? "enabled" : "disabled", (int)count,
	     ld_kind_name(b->kind), jumps ? "jmp" : "nop");
}

int branches_check(struct ld_ctx *c)
{
	struct ld_result *r = c->res;
	struct img_rela *rel = NULL;
	size_t i, k, nrel = 0;

	if (!r->nbr)
		return 0;
	if (img_relas(c->img, &rel, &nrel, c->err))
		return 3;
	/* only the relocations the loader applies (allocated sections) */
	for (i = k = 0; i < nrel; i++)
		if (rel[i].sec->flags & SHF_ALLOC)
			rel[k++] = rel[i];
	nrel = k;
	for (i = 0; i < r->nbr; i++) {
		struct ld_branch *b = &r->br[i];

		if (b->kind != LD_KIND_NONE &&
		    b->kind != LD_KIND_BRANCH_UNLIKELY &&
		    b->kind != LD_KIND_BRANCH_LIKELY)
			b->kind = LD_KIND_INVALID; /* named "invalid" below */
		/* a dead record's key is not looked at, its flags are (as a
		 * dead site's) */
		if (b->kind == LD_KIND_NONE)
			snprintf(b->key_name, sizeof(b->key_name), "-");
		else
			key_of(c, rel, nrel, b);
		if (b->info & SCALL_BRANCH_FLAGS_MASK)
			refuse(c, b, b->code,
			       "unknown flags 0x%x; update scall-ld or rebuild",
			       b->info & SCALL_BRANCH_FLAGS_MASK);
		else if (b->kind == LD_KIND_INVALID)
			refuse(c, b, b->code,
			       "kind %u is not a branch kind (%u unlikely, %u "
			       "likely); update scall-ld or rebuild",
			       b->info & SCALL_BRANCH_KIND_MASK,
			       SCALL_KIND_BRANCH_UNLIKELY,
			       SCALL_KIND_BRANCH_LIKELY);
		else if (b->reserved)
			refuse(c, b, b->code,
			       "reserved word is 0x%x, not 0; update scall-ld or "
			       "rebuild", b->reserved);
		else if (b->kind == LD_KIND_NONE)
			b->state = LD_BR_DEAD;
		if (b->state == LD_BR_ERROR || b->state == LD_BR_DEAD)
			continue;
		check_key(c, b);
		check_code(c, b);
		check_default(c, rel, nrel, b);
	}
	free(rel);
	return 0;
}

static int cmp_branch_code(const void *a, const void *b)
{
	const struct ld_branch *x = *(struct ld_branch *const *)a;
	const struct ld_branch *y = *(struct ld_branch *const *)b;

	if (x->code != y->code)
		return x->code < y->code ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int live(const struct ld_branch *b)
{
	return b->kind == LD_KIND_BRANCH_UNLIKELY ||
	       b->kind == LD_KIND_BRANCH_LIKELY;
}

/* The live site record whose instruction overlaps [a, a + len), if any
 * (sites sorted by address, no overlaps among the live ones). */
static const struct ld_site *site_over(const struct ld_result *r, uint64_t a,
				       uint64_t len)
{
	size_t lo = 0, hi = r->nsites;

	/* first site at or after a - SCALL_SITE_MAX_LEN + 1 */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->sites[mid].site + SCALL_SITE_MAX_LEN <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < r->nsites && r->sites[lo].site < a + len; lo++) {
		const struct ld_site *s = &r->sites[lo];

		if (ld_kind_live(s->kind) &&
		    s->site + scall_kind_len(s->kind) > a)
			return s;
	}
	return NULL;
}

void branches_check_overlaps(struct ld_ctx *c)
{
	struct ld_result *r = c->res;
	struct ld_branch **v, *prev = NULL;
	size_t i, n = 0;
	char w[256];

	if (!r->nbr)
		return;
	v = malloc(r->nbr * sizeof(*v));
	if (!v) {
		c->oom = 1;
		return;
	}
	for (i = 0; i < r->nbr; i++)
		if (live(&r->br[i]))
			v[n++] = &r->br[i];
	qsort(v, n, sizeof(*v), cmp_branch_code);
	for (i = 0; i < n; i++) {
		struct ld_branch *b = v[i];
		const struct ld_site *s;

		if (prev && prev->code == b->code) {
			refuse(c, b, b->code,
			       "duplicate of branch record %u; an object was "
			       "linked twice or the record is corrupt, rebuild",
			       prev->idx);
			continue;
		}
		if (prev && b->code - prev->code < SCALL_BRANCH_LEN) {
			refuse(c, b, b->code,
			       "overlaps the branch at %s (record %u); the record "
			       "is corrupt, rebuild",
			       img_where(c->img, prev->code, w, sizeof(w)),
			       prev->idx);
			continue;
		}
		s = site_over(r, b->code, SCALL_BRANCH_LEN);
		if (s)
			refuse(c, b, b->code,
			       "overlaps the call site at %s; the record is "
			       "corrupt, rebuild",
			       img_where(c->img, s->site, w, sizeof(w)));
		prev = b;
	}
	free(v);
}

/* What the runtime may make of each live record: a jmp to its target.
 * The ones that are a nop in the file are branches the sweep did not
 * see; the others it saw. */
size_t branches_edges(const struct ld_result *r, struct branch *out)
{
	size_t i, n = 0;

	for (i = 0; i < r->nbr; i++) {
		const struct ld_branch *b = &r->br[i];

		if (!live(b) || b->form != LD_BR_FORM_NOP)
			continue;
		if (out) {
			out[n].src = b->code;
			out[n].dst = b->target;
			out[n].len = SCALL_BRANCH_LEN;
			out[n].enc = BR_NONE; /* not in the code yet */
		}
		n++;
	}
	return n;
}

void branches_check_into(struct ld_ctx *c)
{
	struct ld_result *r = c->res;
	size_t i, k;

	for (i = 0; i < r->nbr; i++) {
		struct ld_branch *b = &r->br[i];

		if (!live(b) || b->state == LD_BR_ERROR)
			continue;
		for (k = into_first(c, b->code + 1);
		     k < c->nbydst && c->bydst[k].dst < b->code + SCALL_BRANCH_LEN;
		     k++) {
			const struct branch *e = &c->bydst[k];
			char from[256];

			img_where(c->img, e->src, from, sizeof(from));
			refuse(c, b, b->code,
			       "%s at %s targets byte %llu of its instruction; "
			       "flipping it would break that jump, build the "
			       "function without this branch",
			       e->enc == BR_NONE ? "the jmp of the branch record" :
						   "branch",
			       from,
			       (unsigned long long)(e->dst - b->code));
		}
	}
}
