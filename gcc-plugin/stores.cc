// SPDX-License-Identifier: MIT
//
// stores.cc - converted stores (-fplugin-arg-scall-convert-stores): which
// functions store into their first argument, and the __scall_stored call
// that follows each store diagnose.cc let through.

#include "scall-gcc.h"

store_fn classify_store_fn(tree fndecl)
{
	if (!fndecl || !fndecl_built_in_p(fndecl, BUILT_IN_NORMAL))
		return STORE_FN_NONE;
	switch (DECL_FUNCTION_CODE(fndecl)) {
	case BUILT_IN_MEMCPY: case BUILT_IN_MEMMOVE: case BUILT_IN_MEMSET:
	case BUILT_IN_MEMCPY_CHK: case BUILT_IN_MEMMOVE_CHK:
	case BUILT_IN_MEMSET_CHK: case BUILT_IN_BZERO: case BUILT_IN_MEMPCPY:
	case BUILT_IN_MEMPCPY_CHK:
		return STORE_FN_MEM;
	case BUILT_IN_STRCPY: case BUILT_IN_STRNCPY:
		return STORE_FN_STRING;
	case BUILT_IN_ATOMIC_STORE: case BUILT_IN_ATOMIC_STORE_N:
	case BUILT_IN_ATOMIC_STORE_1: case BUILT_IN_ATOMIC_STORE_2:
	case BUILT_IN_ATOMIC_STORE_4: case BUILT_IN_ATOMIC_STORE_8:
	case BUILT_IN_ATOMIC_STORE_16:
		return STORE_FN_ATOMIC;
	default:
		return STORE_FN_NONE;
	}
}

// After each store collected by check_stmt: __scall_stored(&key, sizeof key)
// (runtime/api.c): the runtime re-reads the keys in that range and patches
// their sites, one patch cycle per store.
bool insert_stored_calls(function *fun, std::vector<conv_store> &stores)
{
	bool changed = false;
	tree &stored_decl = scall_unit.stored_decl;
	if (!stored_decl) {
		tree type = build_function_type_list(integer_type_node, ptr_type_node,
						     size_type_node, NULL_TREE);
		stored_decl = build_decl(UNKNOWN_LOCATION, FUNCTION_DECL,
					 get_identifier("__scall_stored"), type);
		DECL_EXTERNAL(stored_decl) = 1;
		TREE_PUBLIC(stored_decl) = 1;
		DECL_ARTIFICIAL(stored_decl) = 1;
		TREE_NOTHROW(stored_decl) = 1;
		TREE_USED(stored_decl) = 1;
	}
	for (const conv_store &c : stores) {
		location_t loc = scall_stmt_location(c.stmt);
		if (loc == UNKNOWN_LOCATION)
			loc = DECL_SOURCE_LOCATION(fun->decl);
		if (stmt_ends_bb_p(c.stmt)) {
			error_at(loc, "scall: cannot convert this store to scall key "
				 "%qD (it ends a basic block: it may throw); use "
				 "%<scall_update%>", c.key);
			continue;
		}
		basic_block bb = gimple_bb(c.stmt);
		if (scall_opts.loop_warning && current_loops && bb->loop_father &&
		    loop_outer(bb->loop_father))
			warning_at(loc, 0,
				   "converted store to scall key %qD inside a "
				   "loop: each store costs a patch cycle (cross-"
				   "core syncs), not a store; store once after the "
				   "loop or use %<scall_update_batch%> "
				   "[scall-store-in-loop]", c.key);
		TREE_ADDRESSABLE(c.key) = 1;
		tree addr = build_fold_addr_expr(c.key);
		gcall *g = gimple_build_call(stored_decl, 2, addr,
					     size_int(tree_to_uhwi(DECL_SIZE_UNIT(c.key))));
		gimple_set_location(g, gimple_location(c.stmt));
		gimple_stmt_iterator gsi = gsi_for_stmt(c.stmt);
		gsi_insert_after(&gsi, g, GSI_NEW_STMT);
		if (scall_opts.verbose) {
			expanded_location xl = expand_location(loc);
			fprintf(stderr, "%s:%d: scall: store in %s: key %s converted\n",
				xl.file ? xl.file : "?", xl.line,
				function_name(fun),
				IDENTIFIER_POINTER(DECL_NAME(c.key)));
		}
		changed = true;
	}
	stores.clear();
	if (changed)
		mark_virtual_operands_for_renaming(fun);
	return changed;
}
