// SPDX-License-Identifier: MIT
//
// scall.cc - the GIMPLE side of the GCC plugin: the scall_key attribute,
// the diagnostics of misused keys, the conversion of calls through keys to
// direct calls to their trampolines, and converted stores.

#include "scall-gcc.h"

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

static bool is_key(const_tree t)
{
	return t && TREE_CODE(t) == VAR_DECL &&
	       lookup_attribute("scall_key", DECL_ATTRIBUTES(t));
}

static bool is_fnptr_type(const_tree t)
{
	return t && TREE_CODE(t) == POINTER_TYPE &&
	       TREE_CODE(TREE_TYPE(t)) == FUNCTION_TYPE;
}

// Byte offsets of the key members of a struct type: every function-pointer
// member at any depth of nested structs; not inside arrays, unions or
// bit-fields.
static void key_members(const_tree type, HOST_WIDE_INT base,
			std::vector<HOST_WIDE_INT> &out)
{
	if (TREE_CODE(type) != RECORD_TYPE || !COMPLETE_TYPE_P(type))
		return;
	for (tree f = TYPE_FIELDS(type); f; f = DECL_CHAIN(f)) {
		if (TREE_CODE(f) != FIELD_DECL || DECL_BIT_FIELD(f) ||
		    !tree_fits_shwi_p(byte_position(f)))
			continue;
		HOST_WIDE_INT off = base + int_byte_position(f);
		if (is_fnptr_type(TREE_TYPE(f)))
			out.push_back(off);
		else if (TREE_CODE(TREE_TYPE(f)) == RECORD_TYPE)
			key_members(TREE_TYPE(f), off, out);
	}
}

bool is_struct_key(const_tree t)
{
	return is_key(t) && TREE_CODE(TREE_TYPE(t)) == RECORD_TYPE;
}

// Does the byte range [off, off + len) of key `key` hold (part of) a key
// pointer?  len < 0: unknown (everything from off on).
static bool range_has_key(tree key, HOST_WIDE_INT off, HOST_WIDE_INT len)
{
	if (!is_struct_key(key))
		return true;
	std::vector<HOST_WIDE_INT> m;
	key_members(TREE_TYPE(key), 0, m);
	for (HOST_WIDE_INT o : m)
		if (o + (HOST_WIDE_INT)POINTER_SIZE_UNITS > off &&
		    (len < 0 || o < off + len))
			return true;
	return false;
}

// The key a reference (lvalue) `ref` touches in a key-holding byte, or NULL.
static tree ref_key(tree ref)
{
	tree base = get_base_address(ref);
	if (!is_key(base))
		return NULL_TREE;
	if (!is_struct_key(base))
		return base;
	poly_int64 bitpos, bitsize, maxsize;
	bool reverse;
	tree b = get_ref_base_and_extent(ref, &bitpos, &bitsize, &maxsize, &reverse);
	HOST_WIDE_INT pos, max;
	if (b != base || !bitpos.is_constant(&pos) || pos < 0)
		return base;
	if (!maxsize.is_constant(&max) || max < 0)
		return range_has_key(base, pos / BITS_PER_UNIT, -1) ? base : NULL_TREE;
	return range_has_key(base, pos / BITS_PER_UNIT,
			     (pos % BITS_PER_UNIT + max + BITS_PER_UNIT - 1) /
				     BITS_PER_UNIT)
		       ? base : NULL_TREE;
}

static tree handle_scall_key(tree *node, tree name, tree, int, bool *no_add)
{
	tree decl = *node;
	location_t loc = DECL_P(decl) ? DECL_SOURCE_LOCATION(decl) : input_location;
	const char *why = NULL;

	if (TREE_CODE(decl) == FIELD_DECL)
		why = "a struct or union member";
	else if (TREE_CODE(decl) == PARM_DECL)
		why = "a parameter";
	else if (TREE_CODE(decl) != VAR_DECL)
		why = "not a variable";
	else if (!TREE_STATIC(decl) && !DECL_EXTERNAL(decl))
		why = "a variable with automatic storage duration";
	else if (DECL_THREAD_LOCAL_P(decl))
		why = "a thread-local variable";
	else if (TREE_CODE(TREE_TYPE(decl)) == RECORD_TYPE) {
		std::vector<HOST_WIDE_INT> m;
		key_members(TREE_TYPE(decl), 0, m);
		if (TYPE_READONLY(TREE_TYPE(decl)))
			why = "const (scall_update() must be able to store it)";
		else if (COMPLETE_TYPE_P(TREE_TYPE(decl)) && m.empty())
			why = "a struct without function-pointer members "
			      "(arrays, unions and bit-fields do not count)";
	} else if (!is_fnptr_type(TREE_TYPE(decl)))
		why = "not a function pointer or a struct of them";
	else if (TYPE_READONLY(TREE_TYPE(decl)))
		why = "const (scall_update() must be able to store it)";
	if (why) {
		error_at(loc,
			 "%qE attribute: %qD is %s; a scall key must be a "
			 "function-pointer variable, or a struct variable (its "
			 "function-pointer members are keys), with static storage "
			 "duration",
			 name, decl, why);
		*no_add = true;
		return NULL_TREE;
	}
	// The trampoline references the key: keep it even when no code
	// reads it after conversion, and never fold its initial value.
	TREE_USED(decl) = 1;
	scall_unit.any_key = true;
	DECL_PRESERVE_P(decl) = 1;
	DECL_READ_P(decl) = 1;
	return NULL_TREE;
}

static struct attribute_spec scall_key_attr = {
	"scall_key", 0, 0, true, false, false, false, handle_scall_key, NULL,
};

void scall_register_attributes(void *, void *)
{
	register_attribute(&scall_key_attr);
}

// ---------------------------------------------------------------------------
// Misuse diagnostics
// ---------------------------------------------------------------------------

static tree key_in_addr(tree *tp, int *walk_subtrees, void *)
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
		tree base = get_base_address(op);
		// &S.data for a struct key S: fine unless the addressed
		// object holds a key member.
		if (is_key(base) && (op == base || ref_key(op)))
			return base;
	}
	if (TYPE_P(t) || DECL_P(t))
		*walk_subtrees = 0;
	return NULL_TREE;
}

static tree find_key_addr(tree t)
{
	if (!t)
		return NULL_TREE;
	// GIMPLE operands are small and unshared: no visited set needed.
	return walk_tree(&t, key_in_addr, NULL, NULL);
}

static bool name_starts(tree fndecl, const char *prefix)
{
	if (!fndecl || !DECL_NAME(fndecl))
		return false;
	return strncmp(IDENTIFIER_POINTER(DECL_NAME(fndecl)), prefix,
		       strlen(prefix)) == 0;
}

static bool is_store_builtin(tree fndecl)
{
	if (!fndecl || !fndecl_built_in_p(fndecl, BUILT_IN_NORMAL))
		return false;
	switch (DECL_FUNCTION_CODE(fndecl)) {
	case BUILT_IN_MEMCPY: case BUILT_IN_MEMMOVE: case BUILT_IN_MEMSET:
	case BUILT_IN_MEMCPY_CHK: case BUILT_IN_MEMMOVE_CHK:
	case BUILT_IN_MEMSET_CHK: case BUILT_IN_BZERO: case BUILT_IN_MEMPCPY:
	case BUILT_IN_MEMPCPY_CHK: case BUILT_IN_STRCPY: case BUILT_IN_STRNCPY:
		return true;
	default:
		return false;
	}
}

static void store_error(location_t loc, tree key, const char *how)
{
	error_at(loc,
		 "%s scall key %qD; use %<scall_update(%E, target)%> to change "
		 "its target (it also retargets the call sites), or build with "
		 "%<-fplugin-arg-scall-convert-stores%>",
		 how, key, DECL_NAME(key));
}

// Stores that -fplugin-arg-scall-convert-stores turns into updates: the
// store stays, and a call __scall_stored(&key, sizeof key) follows it.
struct conv_store {
	gimple *stmt;
	tree key;
};

static bool convert_store(std::vector<conv_store> &stores, gimple *stmt, tree key)
{
	if (!scall_opts.convert_stores)
		return false;
	stores.push_back({ stmt, key });
	return true;
}

static bool is_atomic_store(tree fndecl)
{
	if (!fndecl || !fndecl_built_in_p(fndecl, BUILT_IN_NORMAL))
		return false;
	switch (DECL_FUNCTION_CODE(fndecl)) {
	case BUILT_IN_ATOMIC_STORE: case BUILT_IN_ATOMIC_STORE_N:
	case BUILT_IN_ATOMIC_STORE_1: case BUILT_IN_ATOMIC_STORE_2:
	case BUILT_IN_ATOMIC_STORE_4: case BUILT_IN_ATOMIC_STORE_8:
	case BUILT_IN_ATOMIC_STORE_16:
		return true;
	default:
		return false;
	}
}

// memset/memcpy/memmove onto a key: convertible (the string functions
// that write a string into it are not).
static bool is_mem_builtin(tree fndecl)
{
	switch (DECL_FUNCTION_CODE(fndecl)) {
	case BUILT_IN_MEMCPY: case BUILT_IN_MEMMOVE: case BUILT_IN_MEMSET:
	case BUILT_IN_MEMCPY_CHK: case BUILT_IN_MEMMOVE_CHK:
	case BUILT_IN_MEMSET_CHK: case BUILT_IN_BZERO: case BUILT_IN_MEMPCPY:
	case BUILT_IN_MEMPCPY_CHK:
		return true;
	default:
		return false;
	}
}

static void addr_error(location_t loc, tree key)
{
	error_at(loc,
		 "address of scall key %qD taken outside the scall.h macros; "
		 "use %<scall_update%> or %<scall_query%>, or build with "
		 "%<-fplugin-arg-scall-allow-address%> and call %<scall_resync%> "
		 "after writing the key through the pointer",
		 key);
}

static void check_stmt(gimple *stmt, std::vector<conv_store> &stores)
{
	location_t loc = scall_stmt_location(stmt);
	tree lhs = gimple_get_lhs(stmt);
	if (lhs) {
		if (tree key = ref_key(lhs))
			if (!convert_store(stores, stmt, key))
				store_error(loc, key, "store to");
	}
	if (gasm *as = dyn_cast<gasm *>(stmt)) {
		for (unsigned i = 0; i < gimple_asm_noutputs(as); i++) {
			tree o = TREE_VALUE(gimple_asm_output_op(as, i));
			if (is_key(get_base_address(o)))
				store_error(loc, get_base_address(o),
					    "asm output to");
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
			if (i == 0 && (is_store_builtin(fndecl) ||
				       is_atomic_store(fndecl))) {
				if ((is_atomic_store(fndecl) ||
				     is_mem_builtin(fndecl)) &&
				    convert_store(stores, stmt, key))
					continue;
				store_error(loc, key,
					    is_atomic_store(fndecl)
						    ? "atomic store to"
						    : "store (via a string "
						      "function) to");
			} else if (!scall_opts.allow_address)
				addr_error(loc, key);
		}
		tree fn = gimple_call_fn(call);
		if (tree key = find_key_addr(fn))
			if (!scall_opts.allow_address)
				addr_error(loc, key);
		return;
	}
	if (scall_opts.allow_address)
		return;
	// Every operand but the lhs (reported above).
	for (unsigned i = 0; i < gimple_num_ops(stmt); i++) {
		tree op = gimple_op(stmt, i);
		if (!op || op == lhs)
			continue;
		if (tree key = find_key_addr(op)) {
			addr_error(loc, key);
			return;
		}
	}
	if (gasm *as = dyn_cast<gasm *>(stmt)) {
		for (unsigned i = 0; i < gimple_asm_ninputs(as); i++)
			if (tree key = find_key_addr(TREE_VALUE(gimple_asm_input_op(as, i))))
				addr_error(loc, key);
	}
}

// Static initializers: `void *p = &key;` at file scope.
void scall_finish_decl(void *gcc_data, void *)
{
	tree decl = (tree)gcc_data;
	if (!scall_unit.any_key || !decl || TREE_CODE(decl) != VAR_DECL)
		return;
	if (is_key(decl) && !TREE_PUBLIC(decl) && flag_generate_lto) {
		// With -flto the trampoline may land in another partition
		// than a file-static key, and only symtab references make the
		// partitioner promote a local: promote it here, as a hidden
		// global with a name unique to this unit.
		char uid[32];
		snprintf(uid, sizeof uid, ".%u.", DECL_UID(decl));
		std::string n = IDENTIFIER_POINTER(DECL_NAME(decl));
		n += ".scall";
		n += uid;
		n += unit_suffix();
		TREE_PUBLIC(decl) = 1;
		DECL_VISIBILITY(decl) = VISIBILITY_HIDDEN;
		DECL_VISIBILITY_SPECIFIED(decl) = 1;
		SET_DECL_ASSEMBLER_NAME(decl, get_identifier(n.c_str()));
	}
	if (!scall_opts.allow_address && DECL_INITIAL(decl) &&
	    DECL_INITIAL(decl) != error_mark_node &&
	    (TREE_STATIC(decl) || DECL_EXTERNAL(decl))) {
		if (tree key = find_key_addr(DECL_INITIAL(decl)))
			addr_error(DECL_SOURCE_LOCATION(decl), key);
	}
}

// ---------------------------------------------------------------------------
// Trampoline decls
// ---------------------------------------------------------------------------

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
	std::string name = cond ? SCALL_SYM_CTRAMP_PREFIX : SCALL_SYM_TRAMP_PREFIX;
	name += scall_decl_asm_name(key);
	if (is_struct_key(key)) // docs/format.md: member key S__O
		name += "__" + std::to_string((long long)off);
	bool local = !TREE_PUBLIC(key);
	if (local) {
		name += ".";
		name += unit_suffix();
	}
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

// The key loaded into SSA name t, or NULL; *off is the member's byte offset
// for a struct key.
static tree loaded_key(tree t, HOST_WIDE_INT *off)
{
	*off = 0;
	t = strip_ssa_conv(t);
	if (!t || TREE_CODE(t) != SSA_NAME || SSA_NAME_IS_DEFAULT_DEF(t))
		return NULL_TREE;
	gimple *def = SSA_NAME_DEF_STMT(t);
	if (!gimple_assign_single_p(def))
		return NULL_TREE;
	tree rhs = gimple_assign_rhs1(def);
	if (is_fnptr_type(TREE_TYPE(rhs)) && !gimple_has_volatile_ops(def)) {
		// s.m, s.a.b.m, MEM[(struct *)&s].m: a key member of a
		// struct key at a constant offset.
		tree base = get_base_address(rhs);
		if (is_struct_key(base)) {
			poly_int64 bitpos, bitsize, maxsize;
			bool reverse;
			HOST_WIDE_INT pos, size, max;
			tree b = get_ref_base_and_extent(rhs, &bitpos, &bitsize,
							 &maxsize, &reverse);
			if (b != base || !bitpos.is_constant(&pos) ||
			    !bitsize.is_constant(&size) ||
			    !maxsize.is_constant(&max) || size != max ||
			    size != POINTER_SIZE || pos % BITS_PER_UNIT)
				return NULL_TREE;
			std::vector<HOST_WIDE_INT> m;
			key_members(TREE_TYPE(base), 0, m);
			for (HOST_WIDE_INT o : m)
				if (o == pos / BITS_PER_UNIT) {
					*off = o;
					return base;
				}
			return NULL_TREE;
		}
	}
	if (is_struct_key(rhs))
		return NULL_TREE;
	if (is_key(rhs))
		return rhs;
	// MEM[(T *)&key] as the gimplifier writes (*&key)
	if (TREE_CODE(rhs) == MEM_REF &&
	    TREE_CODE(TREE_OPERAND(rhs, 0)) == ADDR_EXPR &&
	    integer_zerop(TREE_OPERAND(rhs, 1)) &&
	    is_key(TREE_OPERAND(TREE_OPERAND(rhs, 0), 0)) &&
	    !is_struct_key(TREE_OPERAND(TREE_OPERAND(rhs, 0), 0)))
		return TREE_OPERAND(TREE_OPERAND(rhs, 0), 0);
	return NULL_TREE;
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


// After each store collected by check_stmt: __scall_stored(&key, sizeof key)
// (runtime/api.c): the runtime re-reads the keys in that range and patches
// their sites, one patch cycle per store.
static bool insert_stored_calls(function *fun, std::vector<conv_store> &stores)
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

// GIMPLE pass scall: diagnostics, conversion of calls, converted stores.
unsigned int scall_convert_function(function *fun)
{
	std::vector<tree> dead;
	std::vector<conv_store> stores;
	bool changed = false, purge = false;
	basic_block bb;

	if (!scall_unit.any_key)
		return 0;

	FOR_EACH_BB_FN(bb, fun) {
		// `p = c ? &key : q` leaves &key as a PHI argument.
		for (gphi_iterator pi = gsi_start_phis(bb); !scall_opts.allow_address &&
		     !gsi_end_p(pi); gsi_next(&pi)) {
			gphi *phi = pi.phi();
			for (unsigned i = 0; i < gimple_phi_num_args(phi); i++)
				if (tree key = find_key_addr(gimple_phi_arg_def(phi, i))) {
					location_t loc = gimple_phi_arg_location(phi, i);
					addr_error(loc != UNKNOWN_LOCATION ? loc
						   : DECL_SOURCE_LOCATION(fun->decl), key);
				}
		}
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb); !gsi_end_p(gsi);
		     gsi_next(&gsi)) {
			gimple *stmt = gsi_stmt(gsi);
			check_stmt(stmt, stores);
			gcall *call = dyn_cast<gcall *>(stmt);
			if (!call || gimple_call_fndecl(call) ||
			    gimple_call_internal_p(call))
				continue;
			tree fn = gimple_call_fn(call);
			if (!fn || TREE_CODE(fn) != SSA_NAME)
				continue;
			bool cond = false;
			HOST_WIDE_INT off;
			tree key = loaded_key(fn, &off);
			tree src = strip_ssa_conv(fn);
			if (!key && TREE_CODE(src) == SSA_NAME &&
			    !SSA_NAME_IS_DEFAULT_DEF(src) &&
			    is_cond_target_call(SSA_NAME_DEF_STMT(src))) {
				key = loaded_key(gimple_call_arg(SSA_NAME_DEF_STMT(src), 0), &off);
				cond = key != NULL_TREE;
			}
			if (!key)
				continue;
			// The loaded member's type (the key's own for a plain key).
			tree ktype = TREE_TYPE(gimple_assign_rhs1(SSA_NAME_DEF_STMT(
				strip_ssa_conv(cond ? gimple_call_arg(SSA_NAME_DEF_STMT(src), 0)
						    : fn))));
			if (!is_fnptr_type(ktype))
				continue;
			gimple_call_set_fndecl(call, get_tramp(key, off, TREE_TYPE(ktype), cond));
			update_stmt(call);
			dead.push_back(fn);
			changed = true;
		}
	}
	for (tree t : dead)
		remove_dead_chain(t, &purge);
	bool stored = insert_stored_calls(fun, stores);
	if (changed)
		add_lto_marker_ref();
	if (changed || stored)
		cgraph_edge::rebuild_edges();
	return (purge ? TODO_cleanup_cfg : 0) |
	       (stored ? TODO_update_ssa_only_virtuals : 0);
}
