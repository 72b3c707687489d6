/* SPDX-License-Identifier: MIT */
/*
 * What an item's window should do and how: the one function giving an
 * item's desired state from its key's value (scall_desired, for the patcher
 * and the SIGTRAP handler alike), the bytes of a state (scall_encode, with
 * the forms of scall/insn.h) and what the handler does in its place
 * (scall_emulate).  Pure: no lock, no table, no write to code.
 */
#include <string.h>

#include "internal.h"

/* The RFLAGS bits a Jcc reads and xorl writes (Intel SDM vol. 1, 3.4.3). */
enum {
	FL_CF = 1u << 0,
	FL_PF = 1u << 2,
	FL_AF = 1u << 4,
	FL_ZF = 1u << 6,
	FL_SF = 1u << 7,
	FL_OF = 1u << 11,
};

/* What the compiler's bytes of it do when its key holds f: a site branches
 * to its trampoline, a trampoline reads the key (the cond flavour returns
 * on NULL). */
static struct insn restored(const struct rt_item *it, uintptr_t f)
{
	switch (it->kind) {
	case SCALL_KIND_BRANCH_UNLIKELY:
	case SCALL_KIND_BRANCH_LIKELY:
		/* Compiled in its key's default state, whatever f. */
		return scall_is_nop5(it->orig) ? (struct insn){ OP_NOP, 0 }
					       : (struct insn){ OP_JMP, it->tramp };
	case ITEM_TRAMP:
		if (!f && it->cond)
			return (struct insn){ OP_RET, 0 };
		return (struct insn){ OP_INDIRECT, f };
	case SCALL_KIND_CALL:
		return (struct insn){ OP_CALL, it->tramp };
	case SCALL_KIND_JMP:
		return (struct insn){ OP_JMP, it->tramp };
	default:
		return (struct insn){ OP_JCC, it->tramp };
	}
}

/* The contract's state (scall/format.h) as the runtime names it. */
static struct insn from_state(struct scall_state st)
{
	static const enum insn_op op[] = {
		[SCALL_ST_CALL] = OP_CALL, [SCALL_ST_JMP] = OP_JMP,
		[SCALL_ST_JCC] = OP_JCC,   [SCALL_ST_NOP] = OP_NOP,
		[SCALL_ST_XOR] = OP_XOR,   [SCALL_ST_RET] = OP_RET,
		[SCALL_ST_INDIRECT] = OP_INDIRECT,
	};

	return (struct insn){ op[st.op], (uintptr_t)st.target };
}

struct insn scall_desired(const struct rt_item *it, void *fv)
{
	uintptr_t f = (uintptr_t)fv;
	bool ret0 = fv == (void *)scall_return0;

	/* A module being unloaded goes back to the compiler's form: its code
	 * runs on (its later destructors) with no cycle to follow the keys. */
	if (it->mod && __atomic_load_n(&it->mod->unloading, __ATOMIC_ACQUIRE))
		return restored(it, f);
	if (scall_kind_is_branch(it->kind))
		return scall_branch_jumps(it->kind, f != 0)
			       ? (struct insn){ OP_JMP, it->tramp }
			       : (struct insn){ OP_NOP, 0 };
	if (it->kind == ITEM_TRAMP)
		return from_state(scall_tramp_state(it->cond, it->addr, f, ret0));
	return from_state(scall_site_state(it->kind, it->cond, it->addr,
					   it->tramp, f, ret0));
}

/* Bytes of insn `in` in the window of it; bytes not defined by the state
 * are taken from it->cur.  An item of a module being unloaded is encoded
 * as its compiler form whatever `in` says: scall_desired gives what those
 * bytes do with the key (for a cond trampoline holding NULL, `ret`), which
 * is what the handler emulates, but the bytes must read the key at every
 * later call. */
void scall_encode(const struct rt_item *it, struct insn in, uint8_t *out)
{
	if (it->mod && it->mod->unloading) {
		memcpy(out, it->orig, it->len);
		return;
	}
	memcpy(out, it->cur, it->len);
	switch (in.op) {
	case OP_CALL:
		scall_put_call(out, it->addr, in.target);
		break;
	case OP_JMP:
		scall_put_jmp(out, it->addr, in.target);
		break;
	case OP_JCC:
		scall_put_jcc(out, it->cc, it->addr, in.target);
		break;
	case OP_NOP:
		scall_put_nop5(out);
		break;
	case OP_XOR:
		scall_put_xor5(out);
		break;
	case OP_RET:
		out[0] = SCALL_OP_RET;
		break;
	case OP_INDIRECT:
		memcpy(out, it->orig, it->len);
		break;
	}
}


/* Condition code cc (0..15) of a Jcc on RFLAGS fl. */
static int cond_true(unsigned cc, unsigned long fl)
{
	int cf = !!(fl & FL_CF), pf = !!(fl & FL_PF), zf = !!(fl & FL_ZF),
	    sf = !!(fl & FL_SF), of = !!(fl & FL_OF), r;

	switch (cc >> 1) {
	case 0: r = of; break;
	case 1: r = cf; break;
	case 2: r = zf; break;
	case 3: r = cf || zf; break;
	case 4: r = sf; break;
	case 5: r = pf; break;
	case 6: r = sf != of; break;
	default: r = zf || sf != of; break;
	}
	return (cc & 1) ? !r : r;
}

/* Writes the interrupted thread's stack below its stack pointer, which the
 * sanitizers would take for a stray access. */
SCALL_NO_SANITIZE void scall_emulate(const struct rt_item *it, struct insn in,
				     void *f, greg_t *g)
{
	uintptr_t next = it->addr + it->len;
	uint64_t *sp;

	switch (in.op) {
	case OP_CALL:
		sp = (uint64_t *)g[REG_RSP] - 1;
		*sp = next;
		g[REG_RSP] = (greg_t)sp;
		g[REG_RIP] = (greg_t)in.target;
		break;
	case OP_JMP:
		g[REG_RIP] = (greg_t)in.target;
		break;
	case OP_JCC:
		g[REG_RIP] = (greg_t)(cond_true(it->cc, g[REG_EFL]) ? in.target
								    : next);
		break;
	case OP_NOP:
		g[REG_RIP] = (greg_t)next;
		break;
	case OP_XOR:
		g[REG_RAX] = 0;
		/* xorl %eax,%eax: CF=OF=SF=0, ZF=PF=1, AF cleared (undefined) */
		g[REG_EFL] = (g[REG_EFL] &
			      ~(greg_t)(FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF |
					FL_OF)) |
			     (FL_ZF | FL_PF);
		g[REG_RIP] = (greg_t)next;
		break;
	case OP_RET:
		sp = (uint64_t *)g[REG_RSP];
		g[REG_RIP] = (greg_t)*sp;
		g[REG_RSP] = (greg_t)(sp + 1);
		break;
	case OP_INDIRECT:
		/* movq key, %r11; movq (%r11), %r11; jmpq *%r11.  For the
		 * cond flavour a NULL key is OP_RET above; for the plain one
		 * this jumps to 0 like the fallback. */
		g[REG_R11] = (greg_t)f;
		g[REG_RIP] = (greg_t)f;
		break;
	}
}
