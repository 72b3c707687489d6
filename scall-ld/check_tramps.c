/* SPDX-License-Identifier: MIT */
/*
 * check_tramps.c - each trampoline against its record: its name, its place
 * (an executable section), its flags and its indirect-state body
 * (scall/insn.h), and for the leaq form the key it loads.
 */
#include "checks.h"

#include <elf.h>
#include <string.h>

static void tramp_names(struct ld_ctx *c, struct ld_tramp *t)
{
	const struct img *img = c->img;
	const struct img_sym *s = img_func_start(img, t->addr);
	const char *best = NULL;

	for (; s && s < img->syms + img->nsyms && s->addr == t->addr; s++) {
		if (!strncmp(s->name, SCALL_SYM_TRAMP_PREFIX,
			     strlen(SCALL_SYM_TRAMP_PREFIX)) ||
		    !strncmp(s->name, SCALL_SYM_CTRAMP_PREFIX,
			     strlen(SCALL_SYM_CTRAMP_PREFIX))) {
			best = s->name;
			break;
		}
		if (!best)
			best = s->name;
	}
	if (best)
		snprintf(t->name, sizeof(t->name), "%s", best);
	else
		snprintf(t->name, sizeof(t->name), "tramp@0x%llx",
			 (unsigned long long)t->addr);
	if (best && !strncmp(best, SCALL_SYM_TRAMP_PREFIX,
			     strlen(SCALL_SYM_TRAMP_PREFIX)))
		snprintf(t->key_name, sizeof(t->key_name), "%s",
			 best + strlen(SCALL_SYM_TRAMP_PREFIX));
	else if (best && !strncmp(best, SCALL_SYM_CTRAMP_PREFIX,
				  strlen(SCALL_SYM_CTRAMP_PREFIX)))
		snprintf(t->key_name, sizeof(t->key_name), "%s",
			 best + strlen(SCALL_SYM_CTRAMP_PREFIX));
	else if (t->key)
		snprintf(t->key_name, sizeof(t->key_name), "key@0x%llx",
			 (unsigned long long)t->key);
	else
		snprintf(t->key_name, sizeof(t->key_name), "key@tramp 0x%llx",
			 (unsigned long long)t->addr);
}

/*
 * A pre-bound record (docs/format.md, "Pre-bound trampolines"): what its
 * flags say the file holds, and the window as the compiler emitted it
 * put back into buf (n bytes of the trampoline, copied from p), so that
 * the body is checked as emitted.  0 after an error.
 */
static int window_as_emitted(struct ld_ctx *c, struct ld_tramp *t,
			     const uint8_t *p, uint8_t *buf, size_t n)
{
	uint32_t b = t->flags & SCALL_TRAMP_BOUND_MASK;
	uint32_t saved = t->flags & (SCALL_TRAMP_SAVED_LEA | SCALL_TRAMP_SAVED_MASK);
	uint32_t lo = (t->flags & SCALL_TRAMP_SAVED_MASK) >> SCALL_TRAMP_SAVED_SHIFT;
	const char *why = NULL;

	memcpy(buf, p, n);
	if (b == SCALL_TRAMP_BOUND_FUNC) {
		t->bound = LD_BIND_FUNC;
		if (!scall_is_jmp(p))
			why = "pre-bound to a function, but its window is not a "
			      "jmp rel32";
		t->bound_target = scall_rel32_target(t->addr + SCALL_JMP_LEN,
						     p + 1);
		buf[0] = SCALL_TRAMP_OP0;
		buf[1] = t->flags & SCALL_TRAMP_SAVED_LEA ? SCALL_TRAMP_OP1_LEA
							  : SCALL_TRAMP_OP1_MOV;
		buf[2] = SCALL_TRAMP_OP2;
		buf[3] = (uint8_t)lo;
		buf[4] = (uint8_t)(lo >> 8);
	} else {
		t->bound = b == SCALL_TRAMP_BOUND_NULL ? LD_BIND_NULL : LD_BIND_RET0;
		if (saved)
			why = "pre-bound with saved window bytes, which only a "
			      "trampoline bound to a function has";
		else if (t->bound == LD_BIND_NULL && (t->flags & SCALL_TRAMP_COND)) {
			if (p[0] != SCALL_OP_RET)
				why = "pre-bound to NULL, but its window does not "
				      "start with ret";
			buf[0] = SCALL_TRAMP_OP0;
		}
	}
	if (why) {
		diag(c, SEV_ERR, t->addr, "trampoline %s is %s; the file was "
		     "changed after scall-ld, relink", t->name, why);
		t->bad = 1;
		return 0;
	}
	return 1;
}

static void check_tramp_body(struct ld_ctx *c, struct ld_tramp *t)
{
	uint8_t buf[SCALL_TRAMP_INSN_LEN + SCALL_TRAMP_LOAD_MAX_LEN +
		    SCALL_TRAMP_TAIL_COND_LEN];
	static const uint8_t tail_plain[] = { SCALL_TRAMP_TAIL_PLAIN };
	static const uint8_t tail_cond[] = { SCALL_TRAMP_TAIL_COND };
	const struct img_sec *s = img_section_at(c->img, t->addr, 1);
	const uint8_t *p;
	size_t want, ll = 0;
	int64_t disp = 0;

	if (!s || !(s->flags & SHF_EXECINSTR) || s->type == SHT_NOBITS) {
		diag(c, SEV_ERR, t->addr,
		     "trampoline %s is not in an executable section of the file; "
		     "the trampoline record is corrupt, rebuild", t->name);
		t->bad = 1;
		return;
	}
	if (t->flags & ~SCALL_TRAMP_FLAGS_MASK) {
		diag(c, SEV_ERR, t->addr,
		     "trampoline %s has unknown flags 0x%x; this scall-ld is "
		     "older than the compiler, update it", t->name, t->flags);
		t->bad = 1;
		return;
	}
	/* The window and the key load (3, 4 or 7 bytes); then, except in
	 * retpoline bodies, the fixed tail. */
	p = img_bytes(c->img, t->addr,
		      SCALL_TRAMP_INSN_LEN + SCALL_TRAMP_LOAD_LEN);
	if (p) {
		const uint8_t *q = img_bytes(c->img, t->addr,
					     SCALL_TRAMP_INSN_LEN +
						     SCALL_TRAMP_LOAD_MAX_LEN);

		ll = scall_tramp_key_load(q ? q + SCALL_TRAMP_INSN_LEN
					    : p + SCALL_TRAMP_INSN_LEN,
					  q ? SCALL_TRAMP_LOAD_MAX_LEN
					    : SCALL_TRAMP_LOAD_LEN,
					  &disp);
		if (q)
			p = q;
	}
	want = SCALL_TRAMP_INSN_LEN + ll +
	       (t->flags & SCALL_TRAMP_RETPOLINE ? 0 :
		t->flags & SCALL_TRAMP_COND ? sizeof(tail_cond) : sizeof(tail_plain));
	if (p && ll)
		p = img_bytes(c->img, t->addr, want);
	if (p && ll && (t->flags & SCALL_TRAMP_BOUND_MASK)) {
		if (!window_as_emitted(c, t, p, buf, want))
			return;
		p = buf;
	}
	if (p && ll)
		memcpy(t->orig, p, SCALL_TRAMP_WINDOW);
	if (!p || !ll || !scall_tramp_is_indirect(p) ||
	    memcmp(p + SCALL_TRAMP_INSN_LEN + ll,
		   t->flags & SCALL_TRAMP_COND ? tail_cond : tail_plain,
		   want - SCALL_TRAMP_INSN_LEN - ll)) {
		char text[160];
		enum br_enc enc;
		uint64_t dst;

		dis_one(c->img, t->addr, &enc, &dst, text, sizeof(text));
		if (p && scall_tramp_is_movimm(p)) {
			diag(c, SEV_ERR, t->addr,
			     "trampoline %s starts with '%s': the linker relaxed "
			     "movq key@GOTPCREL(%%rip) (R_X86_64_REX_GOTPCRELX, "
			     "-no-pie), which the runtime cannot patch; emit a "
			     "plain R_X86_64_GOTPCREL as the scall plugin does, or "
			     "assemble with -Wa,-mrelax-relocations=no", t->name,
			     text);
			t->bad = 1;
			return;
		}
		diag(c, SEV_ERR, t->addr,
		     "trampoline %s does not have the indirect-state body of a %s "
		     "trampoline (starts with '%s'); it was not emitted by the "
		     "scall toolchain or was modified, rebuild", t->name,
		     t->flags & SCALL_TRAMP_COND ? "cond" : "plain",
		     text[0] ? text : "(bad)");
		t->bad = 1;
		return;
	}
	/* leaq key(%rip): the trampoline names its key itself (plus the
	 * member offset of its key load).  The record's key is checked when
	 * the file holds it (it is 0 in the file when only a symbolic
	 * dynamic relocation will fill it in). */
	if (scall_tramp_is_lea(p) && t->key) {
		uint64_t k = scall_tramp_rel_target(p, t->addr) + (uint64_t)disp;

		if (k != t->key) {
			diag(c, SEV_ERR, t->addr,
			     "trampoline %s loads key 0x%llx but its record names "
			     "key 0x%llx; the trampoline record is corrupt, rebuild",
			     t->name, (unsigned long long)k,
			     (unsigned long long)t->key);
			t->bad = 1;
		}
	}
}

long tramps_find(const struct ld_result *r, uint64_t addr)
{
	size_t lo = 0, hi = r->ntr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->tr[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->ntr && r->tr[lo].addr == addr ? (long)lo : -1;
}


void tramps_check(struct ld_ctx *c)
{
	struct ld_result *r = c->res;
	size_t i;

	for (i = 0; i < r->ntr; i++) {
		tramp_names(c, &r->tr[i]);
		if (i && r->tr[i].addr == r->tr[i - 1].addr) {
			diag(c, SEV_ERR, r->tr[i].addr,
			     "two trampoline records name %s; the COMDAT group "
			     "was broken, rebuild", r->tr[i].name);
			r->tr[i].bad = 1;
			continue;
		}
		check_tramp_body(c, &r->tr[i]);
	}
}
