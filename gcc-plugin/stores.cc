// SPDX-License-Identifier: MIT
//
// stores.cc - converted stores (-fplugin-arg-scall-convert-stores): which
// builtins are store functions (the table is scall-rules.h's), and the
// runtime call that follows each burst of the stores diagnose.cc let
// through: one per burst, over the bytes the burst stored in each key
// object.

#include "scall-gcc.h"

// A GCC builtin's name (memcpy, __builtin___memcpy_chk, __atomic_store_8)
// names what it does; the table (scall-rules.h) says which of them store.
const scall_rules::store_fn *classify_store_fn(tree fndecl)
{
	if (!fndecl || !fndecl_built_in_p(fndecl, BUILT_IN_NORMAL) || !DECL_NAME(fndecl))
		return nullptr;
	return scall_rules::find_store_fn(IDENTIFIER_POINTER(DECL_NAME(fndecl)));
}

// The bytes of its key object that one converted store writes: [lo, hi).
struct stored_range {
	tree key;
	unsigned HOST_WIDE_INT lo, hi;
};

// The byte length store function sf writes at its destination dst, when
// the call says it as a constant; 0 when unknown.
static unsigned HOST_WIDE_INT store_fn_len(gcall *call, const scall_rules::store_fn *sf,
					   tree dst)
{
	tree len = NULL_TREE;
	if (!scall_rules::convertible(sf->kind))
		return 0;
	if (sf->len_arg < 0) // __atomic_store_N(&x, v, order): x's own size
		len = TYPE_SIZE_UNIT(TREE_TYPE(dst));
	else if ((unsigned)sf->len_arg < gimple_call_num_args(call))
		len = gimple_call_arg(call, sf->len_arg);
	return len && tree_fits_uhwi_p(len) ? tree_to_uhwi(len) : 0;
}

// What one store writes of its key object; the whole object when the store
// does not say it with constants (a variable index, a variable length).
// Every key inside the range is re-read by the runtime, so a wider range
// only costs the reading.
static stored_range store_extent(const conv_store &c)
{
	// An array declared without its size (extern fn tbl[];): no whole
	// object to fall back on (hi == 0, diagnosed by the caller).
	tree size_t_ = DECL_SIZE_UNIT(c.key);
	unsigned HOST_WIDE_INT size = size_t_ && tree_fits_uhwi_p(size_t_)
		? tree_to_uhwi(size_t_) : 0;
	stored_range whole = { c.key, 0, size };
	HOST_WIDE_INT lo = -1;
	unsigned HOST_WIDE_INT len = 0;
	tree lhs = gimple_get_lhs(c.stmt);
	gcall *call = dyn_cast<gcall *>(c.stmt);
	const scall_rules::store_fn *sf = call ? classify_store_fn(gimple_call_fndecl(call)) : nullptr;

	if (lhs && resolve_key(lhs).key == c.key) {
		poly_int64 off, bits, max_bits;
		bool reverse;
		tree base = get_ref_base_and_extent(lhs, &off, &bits, &max_bits,
						    &reverse);
		HOST_WIDE_INT o, b;
		if (base == c.key && off.is_constant(&o) && bits.is_constant(&b) &&
		    known_eq(bits, max_bits) && o % BITS_PER_UNIT == 0 &&
		    b % BITS_PER_UNIT == 0) {
			lo = o / BITS_PER_UNIT;
			len = b / BITS_PER_UNIT;
		}
	} else if (sf && (unsigned)sf->dst_arg < gimple_call_num_args(call) &&
		   TREE_CODE(gimple_call_arg(call, sf->dst_arg)) == ADDR_EXPR) {
		tree dst = TREE_OPERAND(gimple_call_arg(call, sf->dst_arg), 0);
		poly_int64 off;
		HOST_WIDE_INT o;
		if (get_addr_base_and_unit_offset(dst, &off) == c.key &&
		    off.is_constant(&o)) {
			lo = o;
			len = store_fn_len(call, sf, dst);
		}
	}
	if (!size && lo >= 0 && len)
		return { c.key, (unsigned HOST_WIDE_INT)lo, lo + len };
	if (lo < 0 || !len || (unsigned HOST_WIDE_INT)lo >= size ||
	    len > size - lo)
		return whole;
	return { c.key, (unsigned HOST_WIDE_INT)lo, lo + len };
}

// Statements that end a burst: anything that may call out (a call to
// anything, an atomic builtin other than the converted stores themselves,
// inline asm: it could call a site of a stored key, or tell another thread
// how far this one got) and volatile accesses (a store to a volatile flag
// is how older code publishes).  Loads, plain stores and arithmetic do
// not.  Ordered atomic stores into keys (release, seq_cst) are part of the
// burst like the others: the burst is then ordered as one batch of them
// (docs/protocol.md, "Converted stores").
static bool ends_burst(gimple *stmt)
{
	return is_gimple_call(stmt) || gimple_code(stmt) == GIMPLE_ASM ||
	       gimple_has_volatile_ops(stmt);
}

// The runtime's entry points for bursts: __scall_stored (0) and
// __scall_stored_n (1), built on first use.  scall_unit.stored_decl, the
// plugin's GC root for them, holds them in a TREE_VEC: marking the vector
// marks both.
static tree runtime_fn_decl(int which)
{
	static const char *const names[] = { "__scall_stored", "__scall_stored_n" };
	tree &vec = scall_unit.stored_decl;
	if (!vec)
		vec = make_tree_vec(2);
	tree &decl = TREE_VEC_ELT(vec, which);
	if (!decl) {
		tree arg0 = which ? const_ptr_type_node : ptr_type_node;
		tree type = build_function_type_list(integer_type_node, arg0,
						     size_type_node, NULL_TREE);
		decl = build_decl(UNKNOWN_LOCATION, FUNCTION_DECL,
				  get_identifier(names[which]), type);
		DECL_EXTERNAL(decl) = 1;
		TREE_PUBLIC(decl) = 1;
		DECL_ARTIFICIAL(decl) = 1;
		TREE_NOTHROW(decl) = 1;
		TREE_USED(decl) = 1;
	}
	return decl;
}

// The address of the first byte of r: &key, or &MEM[&key + lo] when that is
// a constant address (a valid call argument and initializer); otherwise
// the range starts at the object's start, and *lo says where it starts.
static tree range_addr(const stored_range &r, unsigned HOST_WIDE_INT *lo)
{
	TREE_ADDRESSABLE(r.key) = 1;
	tree addr = build_fold_addr_expr(r.key);
	*lo = 0;
	if (r.lo) {
		tree mem = build2(MEM_REF, char_type_node, addr,
				  build_int_cst(ptr_type_node, r.lo));
		tree at = build_fold_addr_expr_with_type(mem, ptr_type_node);
		if (is_gimple_min_invariant(at)) {
			*lo = r.lo;
			return at;
		}
	}
	return addr;
}

// A burst into several key objects: a read-only table of its ranges, laid
// out as struct scall_stored_range[n] (include/scall.h: two pointer-sized
// words each, the length as an integer of pointer type), for one
// __scall_stored_n call.
static tree ranges_table(const std::vector<stored_range> &ranges)
{
	vec<constructor_elt, va_gc> *elts = nullptr;
	unsigned i = 0;
	for (const stored_range &r : ranges) {
		unsigned HOST_WIDE_INT lo;
		tree addr = range_addr(r, &lo);
		CONSTRUCTOR_APPEND_ELT(elts, size_int(i++),
				       fold_convert(ptr_type_node, addr));
		CONSTRUCTOR_APPEND_ELT(elts, size_int(i++),
				       build_int_cst(ptr_type_node, r.hi - lo));
	}
	tree type = build_array_type_nelts(ptr_type_node, i);
	tree ctor = build_constructor(type, elts);
	TREE_CONSTANT(ctor) = 1;
	TREE_STATIC(ctor) = 1;
	tree table = build_decl(UNKNOWN_LOCATION, VAR_DECL,
				create_tmp_var_name("__scall_ranges"), type);
	TREE_STATIC(table) = 1;
	TREE_PUBLIC(table) = 0;
	TREE_READONLY(table) = 1;
	TREE_CONSTANT(table) = 1;
	TREE_ADDRESSABLE(table) = 1;
	TREE_USED(table) = 1;
	DECL_ARTIFICIAL(table) = 1;
	DECL_IGNORED_P(table) = 1;
	DECL_INITIAL(table) = ctor;
	varpool_node::finalize_decl(table);
	return build_fold_addr_expr_with_type(table, ptr_type_node);
}

// Consecutive converted stores of one basic block with nothing between them
// that ends_burst: one runtime call after the last of them, over the bytes
// the burst wrote in each key object (docs/protocol.md, "Converted
// stores"): __scall_stored for one object, __scall_stored_n for several.
struct store_burst {
	gimple *last = nullptr;
	std::vector<stored_range> ranges; // one per key, in first-stored order

	void add(gimple *stmt, const stored_range &r)
	{
		last = stmt;
		for (stored_range &have : ranges)
			if (have.key == r.key) {
				have.lo = MIN(have.lo, r.lo);
				have.hi = MAX(have.hi, r.hi);
				return;
			}
		ranges.push_back(r);
	}

	// The call goes right after the burst's last store.
	void flush(location_t loc)
	{
		if (!last)
			return;
		gimple_stmt_iterator gsi = gsi_for_stmt(last);
		gcall *g;
		if (ranges.size() == 1) {
			unsigned HOST_WIDE_INT lo;
			tree addr = range_addr(ranges[0], &lo);
			g = gimple_build_call(runtime_fn_decl(0), 2, addr,
					      size_int(ranges[0].hi - lo));
		} else {
			g = gimple_build_call(runtime_fn_decl(1), 2,
					      ranges_table(ranges),
					      size_int(ranges.size()));
		}
		gimple_set_location(g, loc);
		gsi_insert_after(&gsi, g, GSI_NEW_STMT);
		last = nullptr;
		ranges.clear();
	}
};

// Diagnoses each store collected by check_stmt that cannot be converted,
// then follows every burst of the others with its runtime call
// (runtime/api.c): one patch cycle per burst.
bool insert_stored_calls(function *fun, std::vector<conv_store> &stores)
{
	std::map<gimple *, std::vector<stored_range>> at_stmt;
	std::vector<basic_block> blocks; // with a store, in walk order
	hash_set<basic_block> at_block;

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
		if (scall_opts.verbose) {
			expanded_location xl = expand_location(loc);
			fprintf(stderr, "%s:%d: scall: store in %s: key %s converted\n",
				xl.file ? xl.file : "?", xl.line,
				function_name(fun),
				IDENTIFIER_POINTER(DECL_NAME(c.key)));
		}
		stored_range r = store_extent(c);
		if (r.hi == 0) {
			error_at(loc, "scall: cannot convert this store to scall key "
				 "%qD: its index is not a constant and the size of the "
				 "array is not known here; declare the array with its "
				 "size, or use %<scall_update%>", c.key);
			continue;
		}
		if (!at_block.add(bb))
			blocks.push_back(bb);
		at_stmt[c.stmt].push_back(r);
	}
	stores.clear();
	for (basic_block bb : blocks) {
		store_burst burst;
		location_t loc = UNKNOWN_LOCATION;
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb); !gsi_end_p(gsi);
		     gsi_next(&gsi)) {
			gimple *stmt = gsi_stmt(gsi);
			auto it = at_stmt.find(stmt);
			if (it != at_stmt.end()) {
				for (const stored_range &r : it->second)
					burst.add(stmt, r);
				loc = gimple_location(stmt);
			} else if (ends_burst(stmt))
				burst.flush(loc);
		}
		burst.flush(loc);
	}
	if (at_stmt.empty())
		return false;
	mark_virtual_operands_for_renaming(fun);
	return true;
}
