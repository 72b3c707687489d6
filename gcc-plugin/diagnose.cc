// SPDX-License-Identifier: MIT
//
// diagnose.cc - the compile errors on misused keys: stores to a key (unless
// -fplugin-arg-scall-convert-stores hands them to stores.cc) and addresses
// of keys that escape the scall.h macros, in code, in PHIs and in static
// initializers.  What a key is comes from resolve_key (keys.cc).

#include "scall-gcc.h"

// An address of a key the unit may not let escape: not under
// -fplugin-arg-scall-allow-address, not a SCALL_KEY_ESCAPES key.
bool may_escape(tree key)
{
	return scall_opts.allow_address || key_escapes(key);
}

// data: a bool, true to skip the keys whose address may escape
// (may_escape).
static tree key_in_addr(tree *tp, int *walk_subtrees, void *data)
{
	tree t = *tp;
	if (TREE_CODE(t) == MEM_REF && TREE_CODE(TREE_OPERAND(t, 0)) == ADDR_EXPR) {
		// An access to the key's memory (a read: stores are checked
		// on the lhs), not an escaping address.
		*walk_subtrees = 0;
		return NULL_TREE;
	}
	if (TREE_CODE(t) == ADDR_EXPR) {
		tree op = TREE_OPERAND(t, 0);
		// &S.data for a struct key S: fine unless the addressed
		// object holds a key member.
		key_ref r = resolve_key(op);
		if (r.key && (op == r.key || r.touches) &&
		    !(*static_cast<bool *>(data) && may_escape(r.key)))
			return r.key;
	}
	if (TYPE_P(t) || DECL_P(t))
		*walk_subtrees = 0;
	return NULL_TREE;
}

// The key whose address t holds; escaping: only one whose address may not
// escape.
static tree find_key_addr(tree t, bool escaping = false)
{
	if (!t)
		return NULL_TREE;
	// GIMPLE operands are small and unshared: no visited set needed.
	return walk_tree(&t, key_in_addr, &escaping, NULL);
}

static bool name_starts(tree fndecl, const char *prefix)
{
	if (!fndecl || !DECL_NAME(fndecl))
		return false;
	return strncmp(IDENTIFIER_POINTER(DECL_NAME(fndecl)), prefix,
		       strlen(prefix)) == 0;
}

static void store_error(location_t loc, tree key, const char *how)
{
	error_at(loc,
		 "%s scall key %qD; use %<scall_update(%E, target)%> to change "
		 "its target (it also retargets the call sites), or build with "
		 "%<-fplugin-arg-scall-convert-stores%>",
		 how, key, DECL_NAME(key));
}

// -fplugin-arg-scall-convert-stores: the store stays, stores.cc follows
// it with an update.
static bool convert_store(std::vector<conv_store> &stores, gimple *stmt, tree key)
{
	if (!scall_opts.convert_stores)
		return false;
	stores.push_back({ stmt, key });
	return true;
}

// origin: where the escaping pointer's &key was taken (a local alias,
// alias.cc), when that is not loc.
void addr_error(location_t loc, tree key, location_t origin)
{
	std::string at;
	expanded_location o = expand_location(origin);
	if (origin != UNKNOWN_LOCATION && o.file &&
	    o.line != expand_location(loc).line)
		at = std::string("; the address was taken at ") + lbasename(o.file) +
		     ":" + std::to_string(o.line);
	error_at(loc,
		 "address of scall key %qD taken outside the scall.h macros; "
		 "declare it %<SCALL_KEY_ESCAPES%>, use %<scall_update%> or "
		 "%<scall_query%>, or build with "
		 "%<-fplugin-arg-scall-allow-address%>, and call %<scall_resync%> "
		 "after writing the key through the pointer%s",
		 key, at.c_str());
}

// Is every use of SSA name t an argument of a __scall_ function?  With a
// variable index, scall_update(a[i].m, f)'s &a[i].m is computed into an SSA
// name before the call, not passed as an address constant.
static bool only_scall_macro_uses(tree t)
{
	imm_use_iterator it;
	use_operand_p use;
	bool any = false;
	FOR_EACH_IMM_USE_FAST(use, it, t) {
		gimple *u = USE_STMT(use);
		if (is_gimple_debug(u))
			continue;
		gcall *c = dyn_cast<gcall *>(u);
		if (!c || !name_starts(gimple_call_fndecl(c), "__scall_") ||
		    gimple_call_fn(c) == t || gimple_call_lhs(c) == t)
			return false;
		any = true;
	}
	return any;
}

void check_stmt(gimple *stmt, std::vector<conv_store> &stores, const local_aliases &al)
{
	// A local alias's definition (alias.cc checked its uses).
	if (al.defines(stmt))
		return;
	location_t loc = scall_stmt_location(stmt);
	tree lhs = gimple_get_lhs(stmt);
	if (lhs) {
		key_ref r = resolve_key(lhs);
		if (r.touches && !convert_store(stores, stmt, r.key))
			store_error(loc, r.key, "store to");
	}
	if (gasm *as = dyn_cast<gasm *>(stmt)) {
		for (unsigned i = 0; i < gimple_asm_noutputs(as); i++) {
			tree o = TREE_VALUE(gimple_asm_output_op(as, i));
			if (tree key = resolve_key(o).key)
				store_error(loc, key, "asm output to");
		}
	}
	if (gcall *call = dyn_cast<gcall *>(stmt)) {
		tree fndecl = gimple_call_fndecl(call);
		bool scall_fn = name_starts(fndecl, "__scall_");
		for (unsigned i = 0; i < gimple_call_num_args(call); i++) {
			tree arg = gimple_call_arg(call, i);
			tree key = find_key_addr(arg);
			if (!key)
				continue;
			if (scall_fn && TREE_CODE(arg) == ADDR_EXPR)
				continue;
			const scall_rules::store_fn *sf = classify_store_fn(fndecl);
			if (sf && (int)i == sf->dst_arg) {
				if (scall_rules::convertible(sf->kind) &&
				    convert_store(stores, stmt, key))
					continue;
				store_error(loc, key,
					    sf->kind == scall_rules::store_kind::atomic
						    ? "atomic store to"
						    : "store (via a string "
						      "function) to");
			} else if (scall_rules::alias_may_pass_to(sf)) {
				// the source of memcpy and the like: a read
			} else if (tree esc = find_key_addr(arg, true))
				addr_error(loc, esc);
		}
		if (tree key = find_key_addr(gimple_call_fn(call), true))
			addr_error(loc, key);
		return;
	}
	if (lhs && TREE_CODE(lhs) == SSA_NAME && gimple_assign_single_p(stmt) &&
	    TREE_CODE(gimple_assign_rhs1(stmt)) == ADDR_EXPR &&
	    only_scall_macro_uses(lhs))
		return;
	// Comparing an address with &key lets nothing escape.
	if (gimple_code(stmt) == GIMPLE_COND ||
	    (is_gimple_assign(stmt) &&
	     TREE_CODE_CLASS(gimple_assign_rhs_code(stmt)) == tcc_comparison))
		return;
	// Every operand but the lhs (reported above).
	for (unsigned i = 0; i < gimple_num_ops(stmt); i++) {
		tree op = gimple_op(stmt, i);
		if (!op || op == lhs)
			continue;
		if (tree key = find_key_addr(op, true)) {
			addr_error(loc, key);
			return;
		}
	}
	if (gasm *as = dyn_cast<gasm *>(stmt)) {
		for (unsigned i = 0; i < gimple_asm_ninputs(as); i++)
			if (tree key = find_key_addr(TREE_VALUE(gimple_asm_input_op(as, i)), true))
				addr_error(loc, key);
	}
}

// `p = c ? &key : q` leaves &key as a PHI argument.
void check_phis(function *fun, basic_block bb, const local_aliases &al)
{
	for (gphi_iterator pi = gsi_start_phis(bb); !gsi_end_p(pi); gsi_next(&pi)) {
		gphi *phi = pi.phi();
		if (al.holds(gimple_phi_result(phi)))
			continue; // the same alias either way (alias.cc)
		for (unsigned i = 0; i < gimple_phi_num_args(phi); i++)
			if (tree key = find_key_addr(gimple_phi_arg_def(phi, i), true)) {
				location_t loc = gimple_phi_arg_location(phi, i);
				addr_error(loc != UNKNOWN_LOCATION ? loc
					   : DECL_SOURCE_LOCATION(fun->decl), key);
			}
	}
}

// Static initializers: `void *p = &key;` at file scope.
void check_static_initializer(tree decl)
{
	if (DECL_INITIAL(decl) && DECL_INITIAL(decl) != error_mark_node &&
	    (TREE_STATIC(decl) || DECL_EXTERNAL(decl))) {
		if (tree key = find_key_addr(DECL_INITIAL(decl), true))
			addr_error(DECL_SOURCE_LOCATION(decl), key);
	}
}
