// SPDX-License-Identifier: MIT
//
// scall.cc - GCC plugin for scall (gcc -fplugin=scall).
//
// 1. Attribute scall_key marks keys (function-pointer variables with static
//    storage duration).
// 2. GIMPLE pass "scall" (right after "ssa", before any inlining):
//    - every call whose callee is a load of a key becomes a direct call to
//      the key's hidden trampoline __scall_tramp_K; a call whose callee is
//      __scall_cond_target(key) (scall_cond) becomes a call to the cond
//      trampoline __scall_ctramp_K;
//    - stores to keys and escaping addresses of keys are errors.
// 3. RTL pass "scall-sites" (right before "shorten"): a code label right
//    before every call insn to a trampoline, so the label sits on the E8/E9
//    byte; the kind is CALL or JMP (sibling call).
// 4. RTL pass "scall-records" (right after "final"): the site records of the
//    function just written, in section scall_sites.
// 5. At the end of the unit: the trampolines that the code calls, their
//    records and the module header with its constructor/destructor.
// See docs/format.md for every byte emitted here.

#include "gcc-compat.h"
#include "scall/format.h"
#include "tree-dfa.h"
#include "cfgloop.h"
#include "tree-into-ssa.h"

#include <map>
#include <string>
#include <vector>

int plugin_is_GPL_compatible; // MIT: GPL-compatible

static struct plugin_info scall_plugin_info = {
	"0.1.0",
	"scall: static calls.  Options: -fplugin-arg-scall-verbose, "
	"-fplugin-arg-scall-allow-address, -fplugin-arg-scall-convert-stores, "
	"-fplugin-arg-scall-no-store-in-loop-warning",
};

static bool opt_verbose;
static bool opt_allow_address;
static bool opt_convert_stores;
static bool opt_loop_warning = true;

static const char *const tramp_attr = "scall tramp"; // internal, on tramp decls
static const char *const lto_marker = "__scall_lto_link_requires_fplugin_scall";

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

// Set when this unit declares a key: a unit without one has nothing to
// convert or check (with -flto the link-time half sees the streamed calls).
static bool any_key;

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

static bool is_struct_key(const_tree t)
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
	any_key = true;
	DECL_PRESERVE_P(decl) = 1;
	DECL_READ_P(decl) = 1;
	return NULL_TREE;
}

static struct attribute_spec scall_key_attr = {
	"scall_key", 0, 0, true, false, false, false, handle_scall_key, NULL,
};

static void register_attributes(void *, void *)
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
static std::vector<conv_store> conv_stores;

static bool convert_store(gimple *stmt, tree key)
{
	if (!opt_convert_stores)
		return false;
	conv_stores.push_back({ stmt, key });
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

static void check_stmt(gimple *stmt)
{
	location_t loc = scall_stmt_location(stmt);
	tree lhs = gimple_get_lhs(stmt);
	if (lhs) {
		if (tree key = ref_key(lhs))
			if (!convert_store(stmt, key))
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
				    convert_store(stmt, key))
					continue;
				store_error(loc, key,
					    is_atomic_store(fndecl)
						    ? "atomic store to"
						    : "store (via a string "
						      "function) to");
			} else if (!opt_allow_address)
				addr_error(loc, key);
		}
		tree fn = gimple_call_fn(call);
		if (tree key = find_key_addr(fn))
			if (!opt_allow_address)
				addr_error(loc, key);
		return;
	}
	if (opt_allow_address)
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

static std::string unit_suffix();

// Static initializers: `void *p = &key;` at file scope.
static void finish_decl(void *gcc_data, void *)
{
	tree decl = (tree)gcc_data;
	if (!any_key || !decl || TREE_CODE(decl) != VAR_DECL)
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
	if (!opt_allow_address && DECL_INITIAL(decl) &&
	    DECL_INITIAL(decl) != error_mark_node &&
	    (TREE_STATIC(decl) || DECL_EXTERNAL(decl))) {
		if (tree key = find_key_addr(DECL_INITIAL(decl)))
			addr_error(DECL_SOURCE_LOCATION(decl), key);
	}
}

// ---------------------------------------------------------------------------
// Trampoline decls
// ---------------------------------------------------------------------------

static std::string unit_suffix()
{
	// Unique per translation unit, stable across identical builds.
	std::string s = main_input_filename ? main_input_filename : "";
	s += '\0';
	s += getpwd() ? getpwd() : "";
	uint32_t h = 2166136261u;
	for (unsigned char c : s)
		h = (h ^ c) * 16777619u;
	char buf[16];
	snprintf(buf, sizeof buf, "%08x", h);
	return buf;
}

static std::map<std::string, tree> tramp_decls; // by name; GC-rooted below
static tree stored_decl; // __scall_stored; GC-rooted below

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
	auto it = tramp_decls.find(name);
	if (it != tramp_decls.end())
		return it->second;

	tree decl = build_decl(DECL_SOURCE_LOCATION(key), FUNCTION_DECL,
			       get_identifier(name.c_str()), fntype);
	DECL_EXTERNAL(decl) = 1;
	TREE_PUBLIC(decl) = 1;
	DECL_ARTIFICIAL(decl) = 1;
	DECL_VISIBILITY(decl) = VISIBILITY_HIDDEN;
	DECL_VISIBILITY_SPECIFIED(decl) = 1;
	TREE_USED(decl) = 1;
	tree args = tree_cons(NULL_TREE, key,
			      tree_cons(NULL_TREE,
					build_int_cst(integer_type_node,
						      (cond ? 1 : 0) | (local ? 2 : 0)),
					tree_cons(NULL_TREE,
						  build_int_cst(long_integer_type_node, off),
						  NULL_TREE)));
	DECL_ATTRIBUTES(decl) = tree_cons(get_identifier(tramp_attr), args, NULL_TREE);
	tramp_decls[name] = decl;
	return decl;
}

// GC roots: the trampoline decls live in a std::map, invisible to GGC.
static void ggc_mark_tramps(void *, void *)
{
	for (auto &p : tramp_decls)
		gt_ggc_mx(p.second);
	if (stored_decl)
		gt_ggc_mx(stored_decl);
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

static bool lto_ref_done;

static void add_lto_marker_ref()
{
	// Compile half of -flto: make the IR reference a symbol that only the
	// plugin's link-time half defines, so that linking without
	// -fplugin=scall fails with this name instead of losing every site.
	// Also reference the runtime's entry points, which only the link-time
	// half's assembly calls, so that LTO symbol resolution keeps them.
	if (lto_ref_done || !flag_generate_lto || in_lto_p)
		return;
	lto_ref_done = true;
	add_ref_var(lto_marker, "__scall_lto_ref", false);
	add_ref_var(SCALL_SYM_REGISTER, "__scall_lto_ref_reg", true);
	add_ref_var(SCALL_SYM_UNREGISTER, "__scall_lto_ref_unreg", true);
}


// After each store collected by check_stmt: __scall_stored(&key, sizeof key)
// (runtime/api.c): the runtime re-reads the keys in that range and patches
// their sites, one patch cycle per store.
static bool insert_stored_calls(function *fun)
{
	bool changed = false;
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
	for (const conv_store &c : conv_stores) {
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
		if (opt_loop_warning && current_loops && bb->loop_father &&
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
		if (opt_verbose) {
			expanded_location xl = expand_location(loc);
			fprintf(stderr, "%s:%d: scall: store in %s: key %s converted\n",
				xl.file ? xl.file : "?", xl.line,
				function_name(fun),
				IDENTIFIER_POINTER(DECL_NAME(c.key)));
		}
		changed = true;
	}
	conv_stores.clear();
	if (changed)
		mark_virtual_operands_for_renaming(fun);
	return changed;
}

namespace {

const pass_data scall_gimple_pass_data = {
	GIMPLE_PASS, "scall", OPTGROUP_NONE, TV_NONE,
	PROP_gimple_any | PROP_cfg | PROP_ssa, 0, 0, 0, 0,
};

class scall_gimple_pass : public gimple_opt_pass {
public:
	scall_gimple_pass(gcc::context *ctx)
		: gimple_opt_pass(scall_gimple_pass_data, ctx) {}
	unsigned int execute(function *fun) override;
};

unsigned int scall_gimple_pass::execute(function *fun)
{
	std::vector<tree> dead;
	bool changed = false, purge = false;
	basic_block bb;

	if (!any_key)
		return 0;

	FOR_EACH_BB_FN(bb, fun) {
		// `p = c ? &key : q` leaves &key as a PHI argument.
		for (gphi_iterator pi = gsi_start_phis(bb); !opt_allow_address &&
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
			check_stmt(stmt);
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
	bool stored = insert_stored_calls(fun);
	if (changed)
		add_lto_marker_ref();
	if (changed || stored)
		cgraph_edge::rebuild_edges();
	return (purge ? TODO_cleanup_cfg : 0) |
	       (stored ? TODO_update_ssa_only_virtuals : 0);
}

} // namespace

// ---------------------------------------------------------------------------
// RTL: labels on the sites, then the records
// ---------------------------------------------------------------------------

struct used_tramp {
	std::string key;   // assembler name of the key
	long long off;     // byte offset of the member (struct key), else 0
	unsigned flags;    // SCALL_TRAMP_*
	bool local;        // file-static key: local trampoline, no COMDAT
};
static std::map<std::string, used_tramp> used_tramps;

struct pending_site {
	int label;
	std::string tramp;
	unsigned kind;
	bool other_partition; // after NOTE_INSN_SWITCH_TEXT_SECTIONS
};
static std::vector<pending_site> pending_sites;
static unsigned long nsites_unit;

static const char *kind_name(unsigned k)
{
	switch (k) {
	case SCALL_KIND_CALL: return "call";
	case SCALL_KIND_JMP: return "jmp";
	case SCALL_KIND_JCC: return "jcc";
	default: return "?";
	}
}

static bool retpoline_mode() { return ix86_indirect_branch != indirect_branch_keep &&
				      ix86_indirect_branch != indirect_branch_unset; }

static tree call_tramp_decl(rtx_insn *insn, tree *attr_out)
{
	rtx call = get_call_rtx_from(insn);
	if (!call)
		return NULL_TREE;
	rtx mem = XEXP(call, 0);
	if (!MEM_P(mem) || GET_CODE(XEXP(mem, 0)) != SYMBOL_REF)
		return NULL_TREE;
	tree decl = SYMBOL_REF_DECL(XEXP(mem, 0));
	if (!decl || TREE_CODE(decl) != FUNCTION_DECL)
		return NULL_TREE;
	tree attr = lookup_attribute(tramp_attr, DECL_ATTRIBUTES(decl));
	if (!attr)
		return NULL_TREE;
	*attr_out = attr;
	return decl;
}

namespace {

const pass_data scall_sites_pass_data = {
	RTL_PASS, "scall-sites", OPTGROUP_NONE, TV_NONE, 0, 0, 0, 0, 0,
};

class scall_sites_pass : public rtl_opt_pass {
public:
	scall_sites_pass(gcc::context *ctx)
		: rtl_opt_pass(scall_sites_pass_data, ctx) {}
	unsigned int execute(function *) override;
};

unsigned int scall_sites_pass::execute(function *)
{
	bool other_partition = false;
	for (rtx_insn *insn = get_insns(); insn; insn = NEXT_INSN(insn)) {
		if (NOTE_P(insn) && NOTE_KIND(insn) == NOTE_INSN_SWITCH_TEXT_SECTIONS)
			other_partition = !other_partition;
		if (!CALL_P(insn))
			continue;
		tree attr;
		tree decl = call_tramp_decl(insn, &attr);
		if (!decl)
			continue;
		tree key = TREE_VALUE(TREE_VALUE(attr));
		unsigned bits = tree_to_uhwi(TREE_VALUE(TREE_CHAIN(TREE_VALUE(attr))));
		long long off = tree_to_shwi(TREE_VALUE(TREE_CHAIN(TREE_CHAIN(TREE_VALUE(attr)))));
		std::string tname = scall_decl_asm_name(decl);
		used_tramp &u = used_tramps[tname];
		u.key = scall_decl_asm_name(key);
		u.off = off;
		u.flags = (bits & 1 ? SCALL_TRAMP_COND : 0) |
			  (retpoline_mode() ? SCALL_TRAMP_RETPOLINE : 0);
		u.local = bits & 2;

		unsigned kind = SIBLING_CALL_P(insn) ? SCALL_KIND_JMP : SCALL_KIND_CALL;
		rtx_code_label *lab = gen_label_rtx();
		LABEL_PRESERVE_P(lab) = 1;
		emit_label_before(lab, insn);
		pending_sites.push_back({ (int)CODE_LABEL_NUMBER(lab), tname, kind,
					  other_partition });
		nsites_unit++;
		if (opt_verbose) {
			expanded_location xl = expand_location(INSN_LOCATION(insn));
			std::string kn = IDENTIFIER_POINTER(DECL_NAME(key));
			if (is_struct_key(key))
				kn += "+" + std::to_string(off);
			fprintf(stderr, "%s:%d: scall: site in %s: key %s, %s, %s\n",
				xl.file ? xl.file : "?", xl.line,
				current_function_name(), kn.c_str(),
				bits & 1 ? "cond" : "plain", kind_name(kind));
		}
	}
	return 0;
}

const pass_data scall_records_pass_data = {
	RTL_PASS, "scall-records", OPTGROUP_NONE, TV_NONE, 0, 0, 0, 0, 0,
};

class scall_records_pass : public rtl_opt_pass {
public:
	scall_records_pass(gcc::context *ctx)
		: rtl_opt_pass(scall_records_pass_data, ctx) {}
	unsigned int execute(function *) override;
};

unsigned int scall_records_pass::execute(function *fun)
{
	if (pending_sites.empty())
		return 0;
	const char *group = NULL;
	if (symtab_node *n = symtab_node::get(fun->decl))
		if (tree g = n->get_comdat_group())
			group = IDENTIFIER_POINTER(g);
	for (const pending_site &s : pending_sites) {
		char lab[64];
		targetm.asm_out.generate_internal_label(lab, "L", s.label);
		const char *l = lab[0] == '*' ? lab + 1 : lab;
		// Linked to the function's symbol when the site is in the same
		// section (one record section per function), else to the label
		// (the other part of a hot/cold split function).
		const char *link = s.other_partition ? l : scall_decl_asm_name(fun->decl);
		// SHF_LINK_ORDER to the section holding the site: the record
		// is dropped with its code by --gc-sections (also under
		// -z start-stop-gc) and kept whenever the code is kept.
		if (group)
			fprintf(asm_out_file,
				"\t.pushsection %s,\"aoG\",@progbits,%s,%s,comdat\n",
				SCALL_SECTION_SITES, link, group);
		else
			fprintf(asm_out_file,
				"\t.pushsection %s,\"ao\",@progbits,%s\n",
				SCALL_SECTION_SITES, link);
		fprintf(asm_out_file,
			"\t.balign 4\n"
			"\t.long\t%s - .\n"
			"\t.long\t%s - .\n"
			"\t.long\t%u\n"
			"\t.popsection\n",
			l, s.tramp.c_str(), s.kind);
	}
	pending_sites.clear();
	return 0;
}

} // namespace

// ---------------------------------------------------------------------------
// End of unit: trampolines, thunks, module header
// ---------------------------------------------------------------------------

static void emit_thunks(FILE *f, bool need_ret)
{
	if (retpoline_mode() && ix86_indirect_branch != indirect_branch_thunk_extern) {
		// Same retpoline as GCC's __x86_indirect_thunk_r11; our own
		// name, because GCC emits its thunk only when it used it.
		fputs("\t.section .text.__scall_indirect_thunk_r11,\"axG\",@progbits,"
		      "__scall_indirect_thunk_r11,comdat\n"
		      "\t.globl __scall_indirect_thunk_r11\n"
		      "\t.hidden __scall_indirect_thunk_r11\n"
		      "\t.type __scall_indirect_thunk_r11, @function\n"
		      "__scall_indirect_thunk_r11:\n"
		      "\tcall 1f\n"
		      "2:\tpause\n\tlfence\n\tjmp 2b\n"
		      "1:\tmovq %r11, (%rsp)\n\tret\n"
		      "\t.size __scall_indirect_thunk_r11, .-__scall_indirect_thunk_r11\n",
		      f);
	}
	bool ret_thunk = ix86_function_return != indirect_branch_keep &&
			 ix86_function_return != indirect_branch_unset;
	if (need_ret && ret_thunk && ix86_function_return != indirect_branch_thunk_extern) {
		fputs("\t.section .text.__scall_return_thunk,\"axG\",@progbits,"
		      "__scall_return_thunk,comdat\n"
		      "\t.globl __scall_return_thunk\n"
		      "\t.hidden __scall_return_thunk\n"
		      "\t.type __scall_return_thunk, @function\n"
		      "__scall_return_thunk:\n"
		      "\tcall 1f\n"
		      "2:\tpause\n\tlfence\n\tjmp 2b\n"
		      "1:\tlea 8(%rsp), %rsp\n\tret\n"
		      "\t.size __scall_return_thunk, .-__scall_return_thunk\n",
		      f);
	}
}

static void emit_trampoline(FILE *f, const std::string &sym, const used_tramp &u)
{
	const char *s = sym.c_str();
	bool cond = u.flags & SCALL_TRAMP_COND;
	bool retp = u.flags & SCALL_TRAMP_RETPOLINE;
	bool ret_thunk = ix86_function_return != indirect_branch_keep &&
			 ix86_function_return != indirect_branch_unset;
	const char *ijmp = !retp ? "\tjmp *%r11\n"
		: ix86_indirect_branch == indirect_branch_thunk_extern
			? "\tjmp __x86_indirect_thunk_r11\n"
			: "\tjmp __scall_indirect_thunk_r11\n";
	if (u.local) {
		fprintf(f, "\t.section .text.%s,\"ax\",@progbits\n", s);
	} else {
		fprintf(f, "\t.section .text.%s,\"axG\",@progbits,%s,comdat\n"
			   "\t.globl %s\n\t.hidden %s\n", s, s, s, s);
	}
	// .cfi_startproc: an unwinder (perf, gdb, a signal's backtrace)
	// that stops inside the trampoline sees a frame-less function.
	fprintf(f, "\t.type %s, @function\n\t.p2align 4\n%s:\n\t.cfi_startproc\n", s, s);
	// movq K@GOTPCREL(%rip), %r11 with a plain R_X86_64_GOTPCREL: the
	// linker must not turn it into `movq $K, %r11` (REX_GOTPCRELX
	// relaxation under -no-pie), which is no state of docs/format.md.
	// A struct key's member: movq O(%r11), %r11 (docs/format.md).
	fprintf(f, "\t.byte 0x4c, 0x8b, 0x1d\n"
		   "\t.reloc ., R_X86_64_GOTPCREL, %s-4\n"
		   "\t.long 0\n",
		u.key.c_str());
	if (u.off)
		fprintf(f, "\tmovq %lld(%%r11), %%r11\n", u.off);
	else
		fputs("\tmovq (%r11), %r11\n", f);
	if (cond) {
		fputs("\ttestq %r11, %r11\n", f);
		// je over the 3- or 5-byte jump to the ret
		fprintf(f, "\t.byte 0x74, %d\n", retp ? 5 : 3);
	}
	// Force the 5-byte form of the direct jumps (E9 rel32).
	if (retp)
		fprintf(f, "\tjmp %s", ijmp + 5);
	else
		fputs(ijmp, f);
	if (cond) {
		if (ret_thunk)
			fprintf(f, "\tjmp %s\n",
				ix86_function_return == indirect_branch_thunk_extern
					? "__x86_return_thunk" : "__scall_return_thunk");
		else
			fputs("\tret\n", f);
	}
	fprintf(f, "\t.cfi_endproc\n\t.size %s, .-%s\n", s, s);
	// Linked (SHF_LINK_ORDER) to the trampoline, so that the record lives
	// exactly as long as the trampoline even under -z start-stop-gc.
	if (u.local)
		fprintf(f, "\t.section %s,\"awo\",@progbits,%s\n",
			SCALL_SECTION_TRAMPS, s);
	else
		fprintf(f, "\t.section %s,\"awoG\",@progbits,%s,%s,comdat\n",
			SCALL_SECTION_TRAMPS, s, s);
	if (u.off)
		fprintf(f, "\t.balign 8\n\t.quad %s+%lld\n\t.long %s - .\n\t.long %u\n",
			u.key.c_str(), u.off, s, u.flags);
	else
		fprintf(f, "\t.balign 8\n\t.quad %s\n\t.long %s - .\n\t.long %u\n",
			u.key.c_str(), s, u.flags);
}

static void emit_module(FILE *f)
{
	bool ibt = flag_cf_protection & CF_BRANCH;
	const char *m = SCALL_SYM_MODULE;
	fprintf(f, "\t.section %s,\"awG\",@progbits,%s,comdat\n"
		   "\t.globl %s\n\t.hidden %s\n\t.type %s, @object\n"
		   "\t.size %s, %d\n\t.balign 8\n%s:\n",
		SCALL_SECTION_MODULE, m, m, m, m, m, SCALL_MODULE_SIZE, m);
	fprintf(f, "\t.long 0x%x\n\t.short %u\n\t.short 0\n\t.long 0\n\t.long 0\n",
		SCALL_MODULE_MAGIC, SCALL_FORMAT_VERSION);
	const char *bounds[] = { "__start_" SCALL_SECTION_SITES, "__stop_" SCALL_SECTION_SITES,
				 "__start_" SCALL_SECTION_TRAMPS, "__stop_" SCALL_SECTION_TRAMPS };
	for (const char *b : bounds)
		fprintf(f, "\t.weak %s\n\t.hidden %s\n\t.quad %s\n", b, b, b);

	fprintf(f, "\t.section .text.%s,\"axG\",@progbits,%s,comdat\n",
		SCALL_SYM_MODULE_CTOR, m);
	const char *fns[2][2] = { { SCALL_SYM_MODULE_CTOR, SCALL_SYM_REGISTER },
				  { SCALL_SYM_MODULE_DTOR, SCALL_SYM_UNREGISTER } };
	for (auto &fn : fns) {
		fprintf(f, "\t.globl %s\n\t.hidden %s\n\t.type %s, @function\n\t.p2align 4\n%s:\n"
			   "\t.cfi_startproc\n",
			fn[0], fn[0], fn[0], fn[0]);
		if (ibt)
			fputs("\tendbr64\n", f);
		fprintf(f, "\tleaq %s(%%rip), %%rdi\n", m);
		if (!flag_plt && !retpoline_mode())
			fprintf(f, "\tjmp *%s@GOTPCREL(%%rip)\n", fn[1]);
		else
			fprintf(f, "\tjmp %s@PLT\n", fn[1]);
		fprintf(f, "\t.cfi_endproc\n\t.size %s, .-%s\n", fn[0], fn[0]);
	}
	fprintf(f, "\t.section .init_array,\"awG\",@init_array,%s,comdat\n"
		   "\t.balign 8\n\t.quad %s\n", m, SCALL_SYM_MODULE_CTOR);
	fprintf(f, "\t.section .fini_array,\"awG\",@fini_array,%s,comdat\n"
		   "\t.balign 8\n\t.quad %s\n", m, SCALL_SYM_MODULE_DTOR);
}

static void finish_unit(void *, void *)
{
	if (seen_error() || !asm_out_file)
		return;
	if ((in_lto_p && !flag_wpa) ||
	    (flag_generate_lto && flag_fat_lto_objects && lto_ref_done)) {
		// Link-time half of -flto: define the marker the compile
		// half referenced (one per module, COMDAT).  Also in the real
		// code of a fat LTO object, which a link without -flto uses.
		fprintf(asm_out_file,
			"\t.section .rodata.%s,\"aG\",@progbits,%s,comdat\n"
			"\t.globl %s\n\t.hidden %s\n\t.type %s, @object\n"
			"\t.size %s, 1\n%s:\n\t.byte 0\n",
			lto_marker, lto_marker, lto_marker, lto_marker, lto_marker,
			lto_marker, lto_marker);
	}
	if (used_tramps.empty())
		return;
	bool any_cond = false;
	fputs("\t# scall: trampolines and module header (docs/format.md)\n", asm_out_file);
	for (auto &p : used_tramps) {
		emit_trampoline(asm_out_file, p.first, p.second);
		any_cond |= p.second.flags & SCALL_TRAMP_COND;
	}
	emit_thunks(asm_out_file, any_cond);
	emit_module(asm_out_file);
	fputs("\t.text\n", asm_out_file);
}

// ---------------------------------------------------------------------------
// Setup
// ---------------------------------------------------------------------------

static void start_unit(void *, void *)
{
	if (ix86_cmodel == CM_LARGE || ix86_cmodel == CM_LARGE_PIC)
		error("scall: %<-mcmodel=large%> is not supported: a call site "
		      "cannot reach its trampoline with a rel32; use "
		      "%<-mcmodel=small%> or %<-mcmodel=medium%>, or drop "
		      "%<-fplugin=scall%>");
	if (!TARGET_64BIT)
		error("scall: only x86-64 (%<-m64%>) is supported");
}

int plugin_init(struct plugin_name_args *info, struct plugin_gcc_version *version)
{
	if (!plugin_default_version_check(version, &gcc_version)) {
		error("scall plugin: built for GCC %s, loaded into GCC %s; "
		      "rebuild it", gcc_version.basever, version->basever);
		return 1;
	}
	const char *name = info->base_name;
	for (int i = 0; i < info->argc; i++) {
		const char *k = info->argv[i].key;
		if (!strcmp(k, "verbose"))
			opt_verbose = true;
		else if (!strcmp(k, "allow-address"))
			opt_allow_address = true;
		else if (!strcmp(k, "convert-stores"))
			opt_convert_stores = true;
		else if (!strcmp(k, "no-store-in-loop-warning"))
			opt_loop_warning = false;
		else
			error("unknown option %<-fplugin-arg-%s-%s%>; the scall "
			      "plugin knows %<verbose%>, %<allow-address%>, "
			      "%<convert-stores%> and %<no-store-in-loop-warning%>",
			      name, k);
	}
	register_callback(name, PLUGIN_INFO, NULL, &scall_plugin_info);
	register_callback(name, PLUGIN_ATTRIBUTES, register_attributes, NULL);
	register_callback(name, PLUGIN_START_UNIT, start_unit, NULL);
	register_callback(name, PLUGIN_FINISH_DECL, finish_decl, NULL);
	register_callback(name, PLUGIN_FINISH_UNIT, finish_unit, NULL);
	register_callback(name, PLUGIN_GGC_MARKING, ggc_mark_tramps, NULL);

	struct register_pass_info gimple_info = {
		new scall_gimple_pass(g), "ssa", 1, PASS_POS_INSERT_AFTER,
	};
	struct register_pass_info sites_info = {
		new scall_sites_pass(g), "shorten", 1, PASS_POS_INSERT_BEFORE,
	};
	struct register_pass_info records_info = {
		new scall_records_pass(g), "final", 1, PASS_POS_INSERT_AFTER,
	};
	register_callback(name, PLUGIN_PASS_MANAGER_SETUP, NULL, &gimple_info);
	register_callback(name, PLUGIN_PASS_MANAGER_SETUP, NULL, &sites_info);
	register_callback(name, PLUGIN_PASS_MANAGER_SETUP, NULL, &records_info);
	return 0;
}
