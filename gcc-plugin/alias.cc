// SPDX-License-Identifier: MIT
//
// alias.cc - local aliases of keys (issue 15): a pointer the GIMPLE pass
// can follow, within one function, to a constant place in a key -- &key,
// &s.member, &arr[3], SSA copies, casts, constant pointer arithmetic, PHIs
// of equal values, indexes and offsets that are constants in the SSA form
// (constant_int_value: int i = 3; &arr[i]) -- is the key itself.  Every access through such a
// pointer is rewritten into the same access to the key (MEM[&key + off]),
// so that the conversion of calls, the stores and their diagnostics see the
// key as if the source had named it; any other use of the pointer is an
// escape, an error at the statement where it escapes (diagnose.cc's
// addr_error, silenced by SCALL_KEY_ESCAPES and allow-address).
//
// At the pass's place (right after "ssa") a local pointer that is not
// address-taken is an SSA name at every -O, -O0 included; one that is
// address-taken lives in memory, and the store of &key into it is itself
// the escape.

#include "scall-gcc.h"

namespace {

// What an SSA name of pointer type holds, as a lattice: top (not known
// yet), alias (&key + off), bottom (anything else).
struct alias_val {
	enum state { top, alias, bottom } st = top;
	tree key = NULL_TREE;
	HOST_WIDE_INT off = 0;
	location_t origin = UNKNOWN_LOCATION; // where &key was taken
};

const alias_val bottom_val = { alias_val::bottom, NULL_TREE, 0, UNKNOWN_LOCATION };

alias_val meet(const alias_val &a, const alias_val &b)
{
	if (a.st == alias_val::top)
		return b;
	if (b.st == alias_val::top)
		return a;
	if (a.st == alias_val::alias && b.st == alias_val::alias && a.key == b.key &&
	    a.off == b.off)
		return a;
	return bottom_val;
}

class alias_walk {
public:
	explicit alias_walk(function *fun) : fun(fun), vals(num_ssa_names) {}
	void solve();
	void check_and_rewrite(local_aliases &out);

private:
	function *fun;
	std::vector<alias_val> vals; // by SSA_NAME_VERSION

	const alias_val &val_of(tree ssa) const { return vals[SSA_NAME_VERSION(ssa)]; }
	bool is_alias(tree t) const
	{
		return t && TREE_CODE(t) == SSA_NAME && val_of(t).st == alias_val::alias;
	}
	alias_val eval(tree t, location_t loc) const;
	alias_val eval_addr(tree ref, location_t loc) const;
	alias_val transfer(gimple *stmt) const;
	tree rewritten_ref(tree mem) const;
	bool rewrite_operands(gimple *stmt);
	static tree rewrite_cb(tree *tp, int *walk_subtrees, void *data);
	void escape(location_t loc, tree ssa) const;
	bool call_may_take(gcall *call) const;
};

// The value of a PHI argument or an operand: an SSA name's, or &ref's.
alias_val alias_walk::eval(tree t, location_t loc) const
{
	if (TREE_CODE(t) == SSA_NAME) {
		if (!POINTER_TYPE_P(TREE_TYPE(t)) || SSA_NAME_IS_DEFAULT_DEF(t))
			return bottom_val;
		return val_of(t);
	}
	if (TREE_CODE(t) == ADDR_EXPR)
		return eval_addr(TREE_OPERAND(t, 0), loc);
	return bottom_val;
}

// A copy of reference ref whose innermost base is new_base instead.
static tree rebased(tree ref, tree new_base)
{
	if (!handled_component_p(ref))
		return new_base;
	tree c = copy_node(ref);
	TREE_OPERAND(c, 0) = rebased(TREE_OPERAND(ref, 0), new_base);
	return c;
}

// &ref: an alias when ref is at a constant offset in a key, or in what an
// alias points to, and holds (part of) a key pointer; the address of data
// (&s.count) is an ordinary pointer, as it always was.
alias_val alias_walk::eval_addr(tree ref, location_t loc) const
{
	poly_int64 poff;
	HOST_WIDE_INT off;
	// &sys[i] with i a constant in the SSA form (int i = 3)
	if (tree folded = with_constant_indices(ref))
		ref = folded;
	tree base = get_addr_base_and_unit_offset(ref, &poff);
	if (!base || !poff.is_constant(&off))
		return bottom_val;
	alias_val v = bottom_val;
	if (is_key(base)) {
		key_ref r = resolve_key(ref);
		if (ref != base && !r.touches)
			return bottom_val;
		v = { alias_val::alias, base, off, loc };
	} else if (TREE_CODE(base) == MEM_REF &&
		   TREE_CODE(TREE_OPERAND(base, 0)) == SSA_NAME) {
		const alias_val &p = eval(TREE_OPERAND(base, 0), loc);
		if (p.st != alias_val::alias)
			return p;
		if (!resolve_key(rebased(ref, rewritten_ref(base))).touches)
			return bottom_val;
		v = p;
		v.off += mem_ref_offset(base).force_shwi().to_constant() + off;
	}
	return v;
}

// The value an assignment gives its pointer lhs.
alias_val alias_walk::transfer(gimple *stmt) const
{
	if (!is_gimple_assign(stmt))
		return bottom_val;
	location_t loc = gimple_location(stmt);
	tree rhs1 = gimple_assign_rhs1(stmt);
	enum tree_code code = gimple_assign_rhs_code(stmt);
	if (gimple_assign_single_p(stmt))
		return TREE_CODE(rhs1) == SSA_NAME || TREE_CODE(rhs1) == ADDR_EXPR
			? eval(rhs1, loc) : bottom_val;
	if (CONVERT_EXPR_CODE_P(code))
		return POINTER_TYPE_P(TREE_TYPE(rhs1)) ? eval(rhs1, loc) : bottom_val;
	if (code == POINTER_PLUS_EXPR) {
		alias_val v = eval(rhs1, loc);
		tree rhs2 = gimple_assign_rhs2(stmt);
		if (v.st != alias_val::alias)
			return v;
		rhs2 = constant_int_value(rhs2); // p + k, k = 2 * 8
		if (!rhs2)
			return bottom_val;
		v.off += int_cst_value(rhs2);
		return v;
	}
	return bottom_val;
}

// Optimistic fixpoint over the function (values only ever go down:
// top, alias, bottom), so that loops and PHIs of aliases settle.
void alias_walk::solve()
{
	bool changed = true;
	while (changed) {
		changed = false;
		basic_block bb;
		FOR_EACH_BB_FN(bb, fun) {
			for (gphi_iterator pi = gsi_start_phis(bb); !gsi_end_p(pi); gsi_next(&pi)) {
				gphi *phi = pi.phi();
				tree res = gimple_phi_result(phi);
				if (virtual_operand_p(res))
					continue;
				alias_val v;
				if (!POINTER_TYPE_P(TREE_TYPE(res)))
					v = bottom_val;
				for (unsigned i = 0; i < gimple_phi_num_args(phi) &&
				     v.st != alias_val::bottom; i++)
					v = meet(v, eval(gimple_phi_arg_def(phi, i),
							 gimple_phi_arg_location(phi, i)));
				alias_val &cur = vals[SSA_NAME_VERSION(res)];
				if (v.st != cur.st) {
					cur = v;
					changed = true;
				}
			}
			for (gimple_stmt_iterator gsi = gsi_start_bb(bb); !gsi_end_p(gsi);
			     gsi_next(&gsi)) {
				gimple *stmt = gsi_stmt(gsi);
				tree lhs = gimple_get_lhs(stmt);
				if (!lhs || TREE_CODE(lhs) != SSA_NAME)
					continue;
				alias_val v = POINTER_TYPE_P(TREE_TYPE(lhs)) ? transfer(stmt)
									      : bottom_val;
				alias_val &cur = vals[SSA_NAME_VERSION(lhs)];
				if (v.st != cur.st) {
					cur = v;
					changed = true;
				}
			}
		}
	}
}

// MEM[p + c] for an alias p of &key + off: MEM[&key + off + c], with the
// same access type and the same alias (TBAA) type.
tree alias_walk::rewritten_ref(tree mem) const
{
	if (TREE_CODE(mem) != MEM_REF || !is_alias(TREE_OPERAND(mem, 0)))
		return mem;
	const alias_val &v = val_of(TREE_OPERAND(mem, 0));
	TREE_ADDRESSABLE(v.key) = 1;
	tree n = build2(MEM_REF, TREE_TYPE(mem), build_fold_addr_expr(v.key),
			build_int_cst(TREE_TYPE(TREE_OPERAND(mem, 1)),
				      v.off + mem_ref_offset(mem).force_shwi().to_constant()));
	TREE_THIS_VOLATILE(n) = TREE_THIS_VOLATILE(mem);
	TREE_SIDE_EFFECTS(n) = TREE_SIDE_EFFECTS(mem);
	TREE_THIS_NOTRAP(n) = TREE_THIS_NOTRAP(mem);
	return n;
}

struct rewrite_data {
	const alias_walk *w;
	tree (alias_walk::*fn)(tree) const;
	bool changed;
};

tree alias_walk::rewrite_cb(tree *tp, int *walk_subtrees, void *data)
{
	rewrite_data *d = static_cast<rewrite_data *>(data);
	tree t = *tp;
	if (TYPE_P(t) || DECL_P(t) || TREE_CODE(t) == SSA_NAME) {
		*walk_subtrees = 0;
		return NULL_TREE;
	}
	if (TREE_CODE(t) == MEM_REF) {
		tree n = (d->w->*d->fn)(t);
		if (n != t) {
			*tp = n;
			d->changed = true;
		}
		*walk_subtrees = 0;
	}
	return NULL_TREE;
}

// Every access through an alias in stmt's operands becomes an access to
// the key.
bool alias_walk::rewrite_operands(gimple *stmt)
{
	rewrite_data d = { this, &alias_walk::rewritten_ref, false };
	for (unsigned i = 0; i < gimple_num_ops(stmt); i++)
		if (tree *op = gimple_op_ptr(stmt, i))
			if (*op && TREE_CODE(*op) != SSA_NAME)
				walk_tree_without_duplicates(op, rewrite_cb, &d);
	return d.changed;
}

void alias_walk::escape(location_t loc, tree ssa) const
{
	const alias_val &v = val_of(ssa);
	if (may_escape(v.key))
		return;
	if (loc == UNKNOWN_LOCATION)
		loc = DECL_SOURCE_LOCATION(fun->decl);
	addr_error(loc, v.key, v.origin);
}

// May a call take an alias as an argument?  The store functions
// (scall_rules::alias_may_pass_to: as destination the call is a converted
// store, as source it reads), the scall.h macros' __scall_* functions, and
// the object-size builtins _FORTIFY_SOURCE adds (they only look).
bool alias_walk::call_may_take(gcall *call) const
{
	tree fndecl = gimple_call_fndecl(call);
	if (!fndecl || !DECL_NAME(fndecl))
		return false;
	const char *n = IDENTIFIER_POINTER(DECL_NAME(fndecl));
	return scall_rules::alias_may_pass_to(classify_store_fn(fndecl)) ||
	       !strncmp(n, "__scall_", 8) || !strcmp(n, "__builtin_object_size") ||
	       !strcmp(n, "__builtin_dynamic_object_size");
}

// The uses of every alias: allowed ones (accesses, which are rewritten;
// copies, casts and constant offsets into other aliases; comparisons; the
// calls of call_may_take, whose argument becomes &key + off) or escapes.
void alias_walk::check_and_rewrite(local_aliases &out)
{
	out.is_alias.assign(num_ssa_names, false);
	for (unsigned i = 1; i < num_ssa_names; i++)
		if (tree t = ssa_name(i))
			out.is_alias[i] = is_alias(t);
	basic_block bb;
	FOR_EACH_BB_FN(bb, fun) {
		for (gphi_iterator pi = gsi_start_phis(bb); !gsi_end_p(pi); gsi_next(&pi)) {
			gphi *phi = pi.phi();
			if (is_alias(gimple_phi_result(phi)))
				continue;
			for (unsigned i = 0; i < gimple_phi_num_args(phi); i++) {
				tree a = gimple_phi_arg_def(phi, i);
				if (is_alias(a))
					escape(gimple_phi_arg_location(phi, i), a);
			}
		}
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb); !gsi_end_p(gsi);
		     gsi_next(&gsi)) {
			gimple *stmt = gsi_stmt(gsi);
			if (is_gimple_debug(stmt))
				continue;
			bool changed = rewrite_operands(stmt);
			location_t loc = scall_stmt_location(stmt);
			tree lhs = gimple_get_lhs(stmt);
			if (gcall *call = dyn_cast<gcall *>(stmt)) {
				bool may = call_may_take(call);
				for (unsigned i = 0; i < gimple_call_num_args(call); i++) {
					tree a = gimple_call_arg(call, i);
					if (!is_alias(a))
						continue;
					if (!may) {
						escape(loc, a);
						continue;
					}
					const alias_val &v = val_of(a);
					tree mem = build2(MEM_REF, char_type_node,
							  build_fold_addr_expr(v.key),
							  build_int_cst(ptr_type_node, v.off));
					gimple_call_set_arg(call, i,
						build_fold_addr_expr_with_type(mem, TREE_TYPE(a)));
					changed = true;
				}
				if (is_alias(gimple_call_fn(call)))
					escape(loc, gimple_call_fn(call));
			} else if (is_gimple_assign(stmt)) {
				bool propagates = lhs && is_alias(lhs);
				bool compares = TREE_CODE_CLASS(gimple_assign_rhs_code(stmt)) ==
							tcc_comparison ||
						gimple_assign_rhs_code(stmt) == POINTER_DIFF_EXPR;
				for (unsigned i = 1; i < gimple_num_ops(stmt); i++) {
					tree op = gimple_op(stmt, i);
					if (is_alias(op) && !propagates && !compares)
						escape(loc, op);
				}
			} else if (gimple_code(stmt) != GIMPLE_COND) {
				// return p, asm operands, anything else: after the
				// rewrite every use left is of the pointer's value
				if (changed)
					update_stmt(stmt);
				changed = false;
				ssa_op_iter it;
				tree use;
				FOR_EACH_SSA_TREE_OPERAND(use, stmt, it, SSA_OP_USE)
					if (is_alias(use))
						escape(loc, use);
			}
			if (changed)
				update_stmt(stmt);
		}
	}
}

} // namespace

bool local_aliases::defines(gimple *stmt) const
{
	tree lhs = gimple_get_lhs(stmt);
	return lhs && TREE_CODE(lhs) == SSA_NAME && SSA_NAME_VERSION(lhs) < is_alias.size() &&
	       is_alias[SSA_NAME_VERSION(lhs)];
}

bool local_aliases::holds(tree t) const
{
	return t && TREE_CODE(t) == SSA_NAME && SSA_NAME_VERSION(t) < is_alias.size() &&
	       is_alias[SSA_NAME_VERSION(t)];
}

void follow_local_aliases(function *fun, local_aliases &out)
{
	alias_walk w(fun);
	w.solve();
	w.check_and_rewrite(out);
}
