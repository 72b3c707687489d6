// SPDX-License-Identifier: MIT
//
// diagnose.cc - the compile errors on misused keys: stores to a key (unless
// -fplugin-arg-scall-convert-stores hands them to stores.cc) and addresses
// of keys that escape the scall.h macros, in code, in PHIs and in static
// initializers.  What a key is comes from resolve_key (keys.cc).  Also the
// stores into static branches' key objects (issue 16), always errors.

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

// ---------------------------------------------------------------------------
// Static branches (issue 16): their key objects are written by libscall
// only (scall_branch_enable and the like), which is never built with the
// plugin; a store from compiled code would leave the branch's tests in the
// state of the old count.  Nothing to convert: always an error.
// ---------------------------------------------------------------------------

// The types of scall.h's branch key objects, by their tags: struct
// scall_branch_key and the two wrappers that tell the default.
bool is_branch_type(const_tree type)
{
	if (!type || TREE_CODE(type) != RECORD_TYPE)
		return false;
	tree name = TYPE_NAME(TYPE_MAIN_VARIANT(CONST_CAST_TREE(type)));
	if (name && TREE_CODE(name) == TYPE_DECL)
		name = DECL_NAME(name);
	if (!name || TREE_CODE(name) != IDENTIFIER_NODE)
		return false;
	const char *n = IDENTIFIER_POINTER(name);
	return !strcmp(n, "scall_branch_key") || !strcmp(n, "scall_branch_false") ||
	       !strcmp(n, "scall_branch_true");
}

// A branch key object, or an aggregate with one inside.
static bool holds_branch(const_tree type, int depth = 0)
{
	if (is_branch_type(type))
		return true;
	if (depth > 8)
		return false;
	if (TREE_CODE(type) == ARRAY_TYPE)
		return holds_branch(TREE_TYPE(type), depth + 1);
	if (!RECORD_OR_UNION_TYPE_P(type))
		return false;
	for (tree f = TYPE_FIELDS(type); f; f = DECL_CHAIN(f))
		if (TREE_CODE(f) == FIELD_DECL && holds_branch(TREE_TYPE(f), depth + 1))
			return true;
	return false;
}

static bool points_to_branch(tree ptr)
{
	return POINTER_TYPE_P(TREE_TYPE(ptr)) && holds_branch(TREE_TYPE(TREE_TYPE(ptr)));
}

// Does a store to ref write into a branch key object (ref is one, is part
// of one, or holds one)?  *name: the variable, or `*p` for a pointer.
static bool writes_branch(tree ref, std::string *name)
{
	// What the store writes may hold a branch; what it writes into
	// (the bases around it) must be one.
	bool hit = holds_branch(TREE_TYPE(ref));
	for (tree t = ref; t;) {
		hit |= is_branch_type(TREE_TYPE(t));
		if (handled_component_p(t)) {
			t = TREE_OPERAND(t, 0);
		} else if (TREE_CODE(t) == MEM_REF || TREE_CODE(t) == TARGET_MEM_REF) {
			tree p = TREE_OPERAND(t, 0);
			if (TREE_CODE(p) == ADDR_EXPR) {
				t = TREE_OPERAND(p, 0);
				continue;
			}
			hit |= points_to_branch(p);
			tree v = TREE_CODE(p) == SSA_NAME ? SSA_NAME_VAR(p) : NULL_TREE;
			*name = std::string("*") +
				(v && DECL_NAME(v) ? IDENTIFIER_POINTER(DECL_NAME(v)) : "pointer");
			return hit;
		} else {
			if (DECL_P(t) && DECL_NAME(t))
				*name = IDENTIFIER_POINTER(DECL_NAME(t));
			return hit;
		}
	}
	return hit;
}

// The same for an address a call writes through (memcpy's destination, an
// atomic's object): &ref, or a pointer to a branch type, or an SSA name
// copied from either.
static bool addr_writes_branch(tree addr, std::string *name)
{
	for (int depth = 0; addr && depth < 8; depth++) {
		if (TREE_CODE(addr) == ADDR_EXPR)
			return writes_branch(TREE_OPERAND(addr, 0), name);
		if (TREE_CODE(addr) != SSA_NAME)
			return false;
		if (points_to_branch(addr)) {
			tree v = SSA_NAME_VAR(addr);
			*name = std::string("*") +
				(v && DECL_NAME(v) ? IDENTIFIER_POINTER(DECL_NAME(v)) : "pointer");
			return true;
		}
		gimple *def = SSA_NAME_DEF_STMT(addr);
		if (SSA_NAME_IS_DEFAULT_DEF(addr) || !is_gimple_assign(def))
			return false;
		enum tree_code code = gimple_assign_rhs_code(def);
		if (!gimple_assign_single_p(def) && !CONVERT_EXPR_CODE_P(code) &&
		    code != POINTER_PLUS_EXPR)
			return false;
		addr = gimple_assign_rhs1(def);
	}
	return false;
}

// Builtins that write their first argument's object: the store functions
// (memcpy, memset, the atomic stores, ...) and every other atomic or
// __sync builtin but the loads (scall_branch_enabled is an atomic load).
static bool writes_first_arg(tree fndecl)
{
	if (!fndecl || !fndecl_built_in_p(fndecl, BUILT_IN_NORMAL) || !DECL_NAME(fndecl))
		return false;
	const char *n = IDENTIFIER_POINTER(DECL_NAME(fndecl));
	if (!strncmp(n, "__atomic_load", 13) || !strncmp(n, "__atomic_always_lock_free", 25) ||
	    !strncmp(n, "__atomic_is_lock_free", 21) || !strncmp(n, "__atomic_thread_fence", 21) ||
	    !strncmp(n, "__atomic_signal_fence", 21) || !strncmp(n, "__sync_synchronize", 18))
		return false;
	return !strncmp(n, "__atomic_", 9) || !strncmp(n, "__sync_", 7);
}

static void branch_store_error(location_t loc, const std::string &name)
{
	error_at(loc, "store to scall branch %qs; use %<scall_branch_enable%>, "
		 "%<scall_branch_disable%>, %<scall_branch_inc%> or "
		 "%<scall_branch_dec%>", name.c_str());
}

static void check_branch_stores(gimple *stmt)
{
	location_t loc = scall_stmt_location(stmt);
	std::string name = "?";
	tree lhs = gimple_get_lhs(stmt);
	if (lhs && TREE_CODE(lhs) != SSA_NAME && writes_branch(lhs, &name)) {
		branch_store_error(loc, name);
		return;
	}
	if (gasm *as = dyn_cast<gasm *>(stmt)) {
		for (unsigned i = 0; i < gimple_asm_noutputs(as); i++)
			if (writes_branch(TREE_VALUE(gimple_asm_output_op(as, i)), &name)) {
				branch_store_error(loc, name);
				return;
			}
	}
	gcall *call = dyn_cast<gcall *>(stmt);
	if (!call)
		return;
	tree fndecl = gimple_call_fndecl(call);
	const scall_rules::store_fn *sf = classify_store_fn(fndecl);
	int dst = sf ? sf->dst_arg : writes_first_arg(fndecl) ? 0 : -1;
	if (dst >= 0 && (unsigned)dst < gimple_call_num_args(call) &&
	    addr_writes_branch(gimple_call_arg(call, dst), &name))
		branch_store_error(loc, name);
}

void check_branch_function(function *fun)
{
	basic_block bb;
	FOR_EACH_BB_FN(bb, fun)
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb); !gsi_end_p(gsi);
		     gsi_next(&gsi))
			if (!is_gimple_debug(gsi_stmt(gsi)))
				check_branch_stores(gsi_stmt(gsi));
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
