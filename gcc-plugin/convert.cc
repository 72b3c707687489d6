// SPDX-License-Identifier: MIT
//
// convert.cc - the GIMPLE pass "scall": a call whose callee is a load of a
// key (resolve_key) becomes a direct call to the key's trampoline decl, which
// carries its tramp_info to emit.cc; the pass also runs the diagnostics and
// the store conversion over each function, and under -flto references the
// marker only the link-time half defines.

#include "scall-gcc.h"

// The encoding of a trampoline's tramp_info: the attribute list (key, bits,
// offset), bits 1 cond, 2 local.  Streamed with the decl into the LTO IR,
// which is why it is a tree and not a side table; only these two functions
// know its shape.
static tree tramp_info_attr(const tramp_info &ti)
{
	tree args = tree_cons(NULL_TREE, ti.key,
			      tree_cons(NULL_TREE,
					build_int_cst(integer_type_node,
						      (ti.cond ? 1 : 0) | (ti.local ? 2 : 0)),
					tree_cons(NULL_TREE,
						  build_int_cst(long_integer_type_node, ti.off),
						  NULL_TREE)));
	return tree_cons(get_identifier(scall_tramp_attr), args, NULL_TREE);
}

bool tramp_info_of(tree decl, tramp_info *out)
{
	tree attr = lookup_attribute(scall_tramp_attr, DECL_ATTRIBUTES(decl));
	if (!attr)
		return false;
	tree key = TREE_VALUE(attr);
	tree bits = TREE_CHAIN(key);
	tree off = TREE_CHAIN(bits);
	out->key = TREE_VALUE(key);
	out->cond = tree_to_uhwi(TREE_VALUE(bits)) & 1;
	out->local = tree_to_uhwi(TREE_VALUE(bits)) & 2;
	out->off = tree_to_shwi(TREE_VALUE(off));
	return true;
}

// The trampoline of key `key` (member at byte offset `off` for a struct
// key), whose function type is `fntype`.
static tree get_tramp(tree key, HOST_WIDE_INT off, tree fntype, bool cond)
{
	bool local = !TREE_PUBLIC(key);
	std::string name = scall_rules::tramp_name(
		scall_rules::key_name(scall_decl_asm_name(key), is_struct_key(key), off),
		cond ? SCALL_TRAMP_COND : 0, local ? unit_suffix() : std::string());
	auto it = scall_unit.tramp_decls.find(name);
	if (it != scall_unit.tramp_decls.end())
		return it->second;

	tree decl = build_decl(DECL_SOURCE_LOCATION(key), FUNCTION_DECL,
			       get_identifier(name.c_str()), fntype);
	DECL_EXTERNAL(decl) = 1;
	TREE_PUBLIC(decl) = 1;
	DECL_ARTIFICIAL(decl) = 1;
	DECL_VISIBILITY(decl) = VISIBILITY_HIDDEN;
	DECL_VISIBILITY_SPECIFIED(decl) = 1;
	TREE_USED(decl) = 1;
	DECL_ATTRIBUTES(decl) = tramp_info_attr({ key, off, cond, local });
	scall_unit.tramp_decls[name] = decl;
	return decl;
}

// ---------------------------------------------------------------------------
// GIMPLE conversion
// ---------------------------------------------------------------------------

static bool is_cond_target_call(gimple *g)
{
	gcall *c = dyn_cast<gcall *>(g);
	if (!c || gimple_call_num_args(c) != 1)
		return false;
	tree fndecl = gimple_call_fndecl(c);
	return fndecl && DECL_NAME(fndecl) &&
	       strcmp(IDENTIFIER_POINTER(DECL_NAME(fndecl)),
		      "__scall_cond_target") == 0;
}

// Follow SSA copies and conversions back to their source.
static tree strip_ssa_conv(tree t)
{
	while (t && TREE_CODE(t) == SSA_NAME && !SSA_NAME_IS_DEFAULT_DEF(t)) {
		gimple *def = SSA_NAME_DEF_STMT(t);
		if (!is_gimple_assign(def))
			break;
		enum tree_code code = gimple_assign_rhs_code(def);
		if (code == SSA_NAME || CONVERT_EXPR_CODE_P(code))
			t = gimple_assign_rhs1(def);
		else
			break;
	}
	return t;
}

// Is ref an access through a pointer computed from the address of an
// array of keys (after optimisation a loop over sys[i].cur reads
// MEM[ivtmp + 8] with ivtmp stepping from &sys)?  Only for the count of
// calls left indirect: the early pass never sees such a pointer (it is an
// escape there, alias.cc).
static bool points_into_array_key(tree ref)
{
	tree base = get_base_address(ref);
	if (!base || (TREE_CODE(base) != MEM_REF && TREE_CODE(base) != TARGET_MEM_REF))
		return false;
	std::vector<tree> work = { TREE_OPERAND(base, 0) };
	hash_set<tree> seen;
	for (unsigned steps = 0; !work.empty() && steps < 64; steps++) {
		tree t = work.back();
		work.pop_back();
		if (TREE_CODE(t) == ADDR_EXPR) {
			tree b = get_base_address(TREE_OPERAND(t, 0));
			if (is_key(b) && TREE_CODE(TREE_TYPE(b)) == ARRAY_TYPE)
				return true;
			continue;
		}
		if (TREE_CODE(t) != SSA_NAME || SSA_NAME_IS_DEFAULT_DEF(t) || seen.add(t))
			continue;
		gimple *def = SSA_NAME_DEF_STMT(t);
		if (gphi *phi = dyn_cast<gphi *>(def)) {
			for (unsigned i = 0; i < gimple_phi_num_args(phi); i++)
				work.push_back(gimple_phi_arg_def(phi, i));
		} else if (is_gimple_assign(def)) {
			enum tree_code code = gimple_assign_rhs_code(def);
			if (code == POINTER_PLUS_EXPR || code == PLUS_EXPR || code == SSA_NAME ||
			    code == ADDR_EXPR || CONVERT_EXPR_CODE_P(code))
				work.push_back(gimple_assign_rhs1(def));
		}
	}
	return false;
}

// The key loaded into SSA name t, or NULL; *off is the member's byte offset
// for a struct key, *fntype the type of the function it points to.
// *variable: t is a function pointer read from an array of keys at an
// index that is not a constant here (the call stays indirect).
static tree loaded_key(tree t, HOST_WIDE_INT *off, tree *fntype, bool *variable)
{
	*off = 0;
	*variable = false;
	t = strip_ssa_conv(t);
	if (!t || TREE_CODE(t) != SSA_NAME || SSA_NAME_IS_DEFAULT_DEF(t))
		return NULL_TREE;
	gimple *def = SSA_NAME_DEF_STMT(t);
	if (!gimple_assign_single_p(def))
		return NULL_TREE;
	tree rhs = gimple_assign_rhs1(def);
	key_ref r = resolve_key(rhs);
	if (!r.member && r.touches) {
		// sys[i].cur with i a constant in the SSA form though not
		// yet propagated into the reference.
		tree folded = with_constant_indices(rhs);
		if (folded && folded != rhs)
			r = resolve_key(folded);
	}
	if (!r.member) {
		bool fnptr = POINTER_TYPE_P(TREE_TYPE(rhs)) &&
			     TREE_CODE(TREE_TYPE(TREE_TYPE(rhs))) == FUNCTION_TYPE;
		*variable = fnptr &&
			    ((r.touches && TREE_CODE(TREE_TYPE(r.key)) == ARRAY_TYPE) ||
			     (!r.key && points_into_array_key(rhs)));
		return NULL_TREE;
	}
	// A volatile load of a struct key's member stays indirect; a plain
	// key's is converted (the two rules as they were written; unifying
	// them would change what is converted).
	if (is_struct_key(r.key) && gimple_has_volatile_ops(def))
		return NULL_TREE;
	*off = r.off;
	*fntype = TREE_TYPE(TREE_TYPE(rhs));
	return r.key;
}

// Remove the now unused chain that computed a converted callee.
static void remove_dead_chain(tree t, bool *purge)
{
	while (t && TREE_CODE(t) == SSA_NAME && !SSA_NAME_IS_DEFAULT_DEF(t) &&
	       has_zero_uses(t)) {
		gimple *def = SSA_NAME_DEF_STMT(t);
		tree next = NULL_TREE;
		if (is_gimple_assign(def)) {
			if (gimple_has_volatile_ops(def))
				return;
			enum tree_code code = gimple_assign_rhs_code(def);
			if (!gimple_assign_single_p(def) && !CONVERT_EXPR_CODE_P(code))
				return;
			next = gimple_assign_rhs1(def);
		} else if (is_cond_target_call(def)) {
			next = gimple_call_arg(def, 0);
		} else {
			return;
		}
		basic_block bb = gimple_bb(def);
		bool could_throw = stmt_could_throw_p(cfun, def);
		gimple_stmt_iterator gsi = gsi_for_stmt(def);
		unlink_stmt_vdef(def);
		gsi_remove(&gsi, true);
		release_defs(def);
		if (could_throw && gimple_purge_dead_eh_edges(bb))
			*purge = true;
		t = next;
	}
}


static void add_ref_var(const char *target, const char *refname, bool fn)
{
	tree t;
	if (fn) {
		tree type = build_function_type_list(void_type_node, NULL_TREE);
		t = build_decl(UNKNOWN_LOCATION, FUNCTION_DECL, get_identifier(target), type);
	} else {
		t = build_decl(UNKNOWN_LOCATION, VAR_DECL, get_identifier(target),
			       char_type_node);
		DECL_VISIBILITY(t) = VISIBILITY_HIDDEN;
		DECL_VISIBILITY_SPECIFIED(t) = 1;
	}
	DECL_EXTERNAL(t) = 1;
	TREE_PUBLIC(t) = 1;
	DECL_ARTIFICIAL(t) = 1;
	tree ref = build_decl(UNKNOWN_LOCATION, VAR_DECL, get_identifier(refname),
			      ptr_type_node);
	TREE_STATIC(ref) = 1;
	TREE_PUBLIC(ref) = 0;
	DECL_ARTIFICIAL(ref) = 1;
	DECL_PRESERVE_P(ref) = 1;
	TREE_USED(ref) = 1;
	TREE_READONLY(ref) = 1;
	DECL_INITIAL(ref) = fold_convert(ptr_type_node, build_fold_addr_expr(t));
	varpool_node::add(ref);
}

static void add_lto_marker_ref()
{
	// Compile half of -flto: make the IR reference a symbol that only the
	// plugin's link-time half defines, so that linking without
	// -fplugin=scall fails with this name instead of losing every site.
	// Also reference the runtime's entry points, which only the link-time
	// half's assembly calls, so that LTO symbol resolution keeps them.
	if (scall_unit.lto_ref_done || !flag_generate_lto || in_lto_p)
		return;
	scall_unit.lto_ref_done = true;
	add_ref_var(scall_lto_marker, "__scall_lto_ref", false);
	add_ref_var(SCALL_SYM_REGISTER, "__scall_lto_ref_reg", true);
	add_ref_var(SCALL_SYM_UNREGISTER, "__scall_lto_ref_unreg", true);
}


// Does the unit have a key?  cc1 knows it from the attribute's handler;
// lto1 never runs the handler (the attribute is streamed with the decl):
// there the variables are asked once.
static bool unit_has_keys()
{
	if (!scall_unit.any_key && in_lto_p && !scall_unit.lto_keys_checked) {
		scall_unit.lto_keys_checked = true;
		varpool_node *v;
		FOR_EACH_VARIABLE(v)
			if (is_key(v->decl)) {
				scall_unit.any_key = true;
				break;
			}
	}
	return scall_unit.any_key;
}

// The two GIMPLE passes.  Early (scall, right after ssa): diagnostics,
// local aliases, conversion of calls, converted stores.  Late
// (scall-late, right after optimized, in cc1 and in lto1): conversion of
// the calls through arrays of keys whose index became a constant after
// inlining, unrolling and constant propagation, and the count of those
// left indirect.
static unsigned int convert_function(function *fun, bool late)
{
	std::vector<tree> dead;
	std::vector<conv_store> stores;
	bool changed = false, purge = false;
	unsigned variable = 0; // calls through keys with a variable index
	basic_block bb;

	// Stores into static branches, whether the unit has keys or not.
	if (!late && scall_unit.any_branch_type)
		check_branch_function(fun);
	if (!unit_has_keys())
		return 0;

	local_aliases aliases;
	if (!late)
		follow_local_aliases(fun, aliases);
	FOR_EACH_BB_FN(bb, fun) {
		if (!late)
			check_phis(fun, bb, aliases);
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb); !gsi_end_p(gsi);
		     gsi_next(&gsi)) {
			gimple *stmt = gsi_stmt(gsi);
			if (!late)
				check_stmt(stmt, stores, aliases);
			gcall *call = dyn_cast<gcall *>(stmt);
			if (!call || gimple_call_fndecl(call) ||
			    gimple_call_internal_p(call))
				continue;
			tree fn = gimple_call_fn(call);
			if (!fn || TREE_CODE(fn) != SSA_NAME)
				continue;
			bool cond = false, var;
			HOST_WIDE_INT off;
			tree fntype;
			tree key = loaded_key(fn, &off, &fntype, &var);
			tree src = strip_ssa_conv(fn);
			if (!key && !var && TREE_CODE(src) == SSA_NAME &&
			    !SSA_NAME_IS_DEFAULT_DEF(src) &&
			    is_cond_target_call(SSA_NAME_DEF_STMT(src))) {
				key = loaded_key(gimple_call_arg(SSA_NAME_DEF_STMT(src), 0),
						 &off, &fntype, &var);
				cond = key != NULL_TREE;
			}
			if (var)
				variable++;
			if (!key)
				continue;
			gimple_call_set_fndecl(call, get_tramp(key, off, fntype, cond));
			update_stmt(call);
			dead.push_back(fn);
			changed = true;
		}
	}
	// Correct, but the user may have expected them converted.  Counted
	// by the last pass to see the function's calls.
	if (late && variable && scall_opts.verbose) {
		expanded_location xl = expand_location(DECL_SOURCE_LOCATION(fun->decl));
		fprintf(stderr, "%s:%d: scall: in %s: %u call%s through keys with a "
			"variable index left indirect\n", xl.file ? xl.file : "?",
			xl.line, function_name(fun), variable, variable == 1 ? "" : "s");
	}
	for (tree t : dead)
		remove_dead_chain(t, &purge);
	bool stored = !late && insert_stored_calls(fun, stores);
	// A call through an array of keys at an index not yet constant may
	// be converted by lto1's late pass, which then emits a trampoline
	// and the module header.  Past IPA (late) the IR is already
	// streamed: nothing to reference.
	if ((changed || variable) && !late)
		add_lto_marker_ref();
	if (changed || stored)
		cgraph_edge::rebuild_edges();
	return (purge ? TODO_cleanup_cfg : 0) |
	       (stored ? TODO_update_ssa_only_virtuals : 0);
}

unsigned int scall_convert_function(function *fun)
{
	return convert_function(fun, false);
}

unsigned int scall_convert_late(function *fun)
{
	return convert_function(fun, true);
}
