// SPDX-License-Identifier: MIT
//
// keys.cc - what a scall key is: the scall_key attribute and its checks,
// and the one resolver that says whether an expression is a key, which
// member and at what offset (resolve_key), for the converter and for the
// diagnostics alike.

#include "scall-gcc.h"

bool is_key(const_tree t)
{
	return t && TREE_CODE(t) == VAR_DECL &&
	       lookup_attribute("scall_key", DECL_ATTRIBUTES(t));
}

static bool is_fnptr_type(const_tree t)
{
	return t && TREE_CODE(t) == POINTER_TYPE &&
	       TREE_CODE(TREE_TYPE(t)) == FUNCTION_TYPE;
}

static scall_rules::type_class type_class_of(const_tree t)
{
	if (is_fnptr_type(t))
		return scall_rules::type_class::fnptr;
	if (TREE_CODE(t) == RECORD_TYPE)
		return scall_rules::type_class::strct;
	return scall_rules::type_class::other;
}

// Byte offsets of the key members of a struct type (the rule:
// scall_rules::field_role_of).
static void key_members(const_tree type, HOST_WIDE_INT base,
			std::vector<HOST_WIDE_INT> &out)
{
	if (TREE_CODE(type) != RECORD_TYPE || !COMPLETE_TYPE_P(type))
		return;
	for (tree f = TYPE_FIELDS(type); f; f = DECL_CHAIN(f)) {
		if (TREE_CODE(f) != FIELD_DECL)
			continue;
		scall_rules::field_role role =
			scall_rules::field_role_of(type_class_of(TREE_TYPE(f)), DECL_BIT_FIELD(f));
		if (role == scall_rules::field_role::data ||
		    !tree_fits_shwi_p(byte_position(f)))
			continue;
		HOST_WIDE_INT off = base + int_byte_position(f);
		if (role == scall_rules::field_role::key_member)
			out.push_back(off);
		else
			key_members(TREE_TYPE(f), off, out);
	}
}

// A key whose keys are members at byte offsets: a struct key, or an array
// of keys (docs/format.md "Arrays of keys": the member O of element i is
// the member key at i*E + O).  Named, recorded and stored as members.
bool is_struct_key(const_tree t)
{
	if (!is_key(t))
		return false;
	tree_code c = TREE_CODE(TREE_TYPE(t));
	return c == RECORD_TYPE || c == ARRAY_TYPE;
}

// SCALL_KEY_ESCAPES: the user promised scall_resync() after writing the key
// through a pointer, so its address may go anywhere.
bool key_escapes(const_tree key)
{
	return is_key(key) &&
	       lookup_attribute("scall_key_escapes", DECL_ATTRIBUTES(key));
}

// Where the key pointers of a key's type are: the members of the struct,
// or of one element of an array (any number of dimensions) repeated every
// elem bytes.
struct key_layout {
	std::vector<HOST_WIDE_INT> members;
	HOST_WIDE_INT elem = 0;   // an array: its innermost element's size
	HOST_WIDE_INT count = -1; // an array: how many elements, -1 unknown
};

static const_tree innermost_element(const_tree type)
{
	while (TREE_CODE(type) == ARRAY_TYPE)
		type = TREE_TYPE(type);
	return type;
}

static key_layout layout_of(const_tree type)
{
	key_layout l;
	const_tree t = innermost_element(type);
	if (t != type) {
		l.elem = int_size_in_bytes(t);
		HOST_WIDE_INT all = int_size_in_bytes(type);
		if (l.elem <= 0)
			return key_layout(); // not laid out: no member known
		l.count = all >= 0 ? all / l.elem : -1;
	}
	if (is_fnptr_type(t))
		l.members.push_back(0);
	else
		key_members(t, 0, l.members);
	return l;
}

// Does the byte range [off, off + len) of struct key or array `key` hold
// (part of) a key member?  len < 0: unknown (everything from off on).
static bool range_has_member(tree key, HOST_WIDE_INT off, HOST_WIDE_INT len)
{
	key_layout l = layout_of(TREE_TYPE(key));
	const auto b = l.members.begin(), e = l.members.end();
	if (!l.elem)
		return scall_rules::range_holds_key(b, e, off, len, len >= 0);
	if (l.members.empty() || (l.count >= 0 && off >= l.count * l.elem))
		return false;
	if (len < 0)
		return true;
	// Element by element, each part of the range relative to its element
	// (the first element with a key member in the range answers).
	HOST_WIDE_INT end = off + len;
	if (l.count >= 0)
		end = MIN(end, l.count * l.elem);
	for (HOST_WIDE_INT i = off / l.elem; i * l.elem < end; i++) {
		HOST_WIDE_INT lo = MAX(off, i * l.elem) - i * l.elem;
		HOST_WIDE_INT hi = MIN(end, (i + 1) * l.elem) - i * l.elem;
		if (scall_rules::range_holds_key(b, e, lo, hi - lo, true))
			return true;
	}
	return false;
}

// Is there a key member at byte offset off of struct key or array `key`?
static bool member_at(tree key, HOST_WIDE_INT off)
{
	key_layout l = layout_of(TREE_TYPE(key));
	const auto b = l.members.begin(), e = l.members.end();
	if (!l.elem)
		return scall_rules::member_at(b, e, off);
	HOST_WIDE_INT i = off / l.elem;
	return (l.count < 0 || i < l.count) && scall_rules::member_at(b, e, off % l.elem);
}

key_ref resolve_key(tree ref)
{
	key_ref r = { NULL_TREE, false, false, 0 };
	tree base = get_base_address(ref);
	if (!is_key(base))
		return r;
	r.key = base;
	if (!is_struct_key(base)) {
		r.touches = true;
		// k, or MEM[(T *)&k] as the gimplifier writes (*&k)
		r.member = is_fnptr_type(TREE_TYPE(ref)) &&
			   (ref == base ||
			    (TREE_CODE(ref) == MEM_REF &&
			     TREE_CODE(TREE_OPERAND(ref, 0)) == ADDR_EXPR &&
			     integer_zerop(TREE_OPERAND(ref, 1))));
		return r;
	}
	poly_int64 bitpos, bitsize, maxsize;
	bool reverse;
	tree b = get_ref_base_and_extent(ref, &bitpos, &bitsize, &maxsize, &reverse);
	HOST_WIDE_INT pos, size, max;
	if (b != base || !bitpos.is_constant(&pos) || pos < 0) {
		// Unknown extent: assume the worst.
		r.touches = true;
		return r;
	}
	if (!maxsize.is_constant(&max) || max < 0) {
		r.touches = range_has_member(base, pos / BITS_PER_UNIT, -1);
		return r;
	}
	r.touches = range_has_member(base, pos / BITS_PER_UNIT,
				     (pos % BITS_PER_UNIT + max + BITS_PER_UNIT - 1) /
					     BITS_PER_UNIT);
	// s.m, s.a.b.m, MEM[(struct *)&s].m: exactly one key member, read as
	// a function pointer, at a constant offset.
	if (!is_fnptr_type(TREE_TYPE(ref)) || !bitsize.is_constant(&size) ||
	    size != max || size != POINTER_SIZE || pos % BITS_PER_UNIT)
		return r;
	if (member_at(base, pos / BITS_PER_UNIT)) {
		r.member = true;
		r.off = pos / BITS_PER_UNIT;
	}
	return r;
}

// ---------------------------------------------------------------------------
// The attribute
// ---------------------------------------------------------------------------

static tree handle_scall_key(tree *node, tree name, tree, int, bool *no_add)
{
	tree decl = *node;
	location_t loc = DECL_P(decl) ? DECL_SOURCE_LOCATION(decl) : input_location;
	scall_rules::decl_facts d = {};

	if (TREE_CODE(decl) == FIELD_DECL)
		d.what = scall_rules::decl_facts::field;
	else if (TREE_CODE(decl) == PARM_DECL)
		d.what = scall_rules::decl_facts::parameter;
	else if (TREE_CODE(decl) != VAR_DECL)
		d.what = scall_rules::decl_facts::other;
	else {
		// An array: the rule is its innermost element's (const
		// arrays carry the qualifier on the element type).
		tree type = CONST_CAST_TREE(innermost_element(TREE_TYPE(decl)));
		d.what = scall_rules::decl_facts::variable;
		d.static_storage = TREE_STATIC(decl) || DECL_EXTERNAL(decl);
		d.thread_local_ = DECL_THREAD_LOCAL_P(decl);
		d.array = type != TREE_TYPE(decl);
		d.is_const = TYPE_READONLY(type) || TYPE_READONLY(TREE_TYPE(decl));
		d.type = type_class_of(type);
		d.layout_known = COMPLETE_TYPE_P(type);
		if (d.type == scall_rules::type_class::strct) {
			std::vector<HOST_WIDE_INT> m;
			key_members(type, 0, m);
			d.key_members = m.size();
		}
	}
	if (const char *why = scall_rules::key_problem(d)) {
		error_at(loc, "%qE attribute: %qD is %s; " SCALL_KEY_RULE_TEXT,
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

// scall_key_escapes only comes with scall_key (SCALL_KEY_ESCAPES spells
// both, scall_key first: GCC applies them in order).
static tree handle_scall_key_escapes(tree *node, tree name, tree, int, bool *no_add)
{
	tree decl = *node;
	if (!DECL_P(decl) || !lookup_attribute("scall_key", DECL_ATTRIBUTES(decl))) {
		error_at(DECL_P(decl) ? DECL_SOURCE_LOCATION(decl) : input_location,
			 "%qE attribute without %<scall_key%>; write "
			 "%<SCALL_KEY_ESCAPES%> (scall.h)", name);
		*no_add = true;
	}
	return NULL_TREE;
}

static const struct attribute_spec scall_key_attr = {
	"scall_key", 0, 0, true, false, false, false, handle_scall_key, NULL,
};
static const struct attribute_spec scall_key_escapes_attr = {
	"scall_key_escapes", 0, 0, true, false, false, false,
	handle_scall_key_escapes, NULL,
};

void scall_register_attributes(void *, void *)
{
	register_attribute(&scall_key_attr);
	register_attribute(&scall_key_escapes_attr);
}

// With -flto the trampoline may land in another partition than a
// file-static key, and only symtab references make the partitioner promote
// a local: promote it when it is declared, as a hidden global with a name
// unique to this unit.
void promote_static_key_for_lto(tree decl)
{
	if (!is_key(decl) || TREE_PUBLIC(decl) || !flag_generate_lto)
		return;
	std::string n = IDENTIFIER_POINTER(DECL_NAME(decl));
	n += scall_rules::promoted_infix;
	n += std::to_string(DECL_UID(decl)) + "." + unit_suffix();
	TREE_PUBLIC(decl) = 1;
	DECL_VISIBILITY(decl) = VISIBILITY_HIDDEN;
	DECL_VISIBILITY_SPECIFIED(decl) = 1;
	SET_DECL_ASSEMBLER_NAME(decl, get_identifier(n.c_str()));
}

// ---------------------------------------------------------------------------
// Constant indexes (issue 15: a call through an array of keys is converted
// when its index is a constant where the pass looks)
// ---------------------------------------------------------------------------

// The integer constant t holds, following SSA copies, conversions,
// arithmetic on constants and PHIs whose arguments are all that constant
// (`int i = 3; sys[i].cur(x)`, an inlined parameter at -O0); NULL_TREE when
// it is not one.  depth bounds the walk (a loop's PHI refers to itself).
tree constant_int_value(tree t, int depth)
{
	if (TREE_CODE(t) == INTEGER_CST)
		return t;
	if (TREE_CODE(t) != SSA_NAME || SSA_NAME_IS_DEFAULT_DEF(t) || depth > 8 ||
	    !INTEGRAL_TYPE_P(TREE_TYPE(t)))
		return NULL_TREE;
	gimple *def = SSA_NAME_DEF_STMT(t);
	if (gphi *phi = dyn_cast<gphi *>(def)) {
		tree v = NULL_TREE;
		for (unsigned i = 0; i < gimple_phi_num_args(phi); i++) {
			tree a = constant_int_value(gimple_phi_arg_def(phi, i), depth + 1);
			if (!a || (v && !tree_int_cst_equal(a, v)))
				return NULL_TREE;
			v = a;
		}
		return v ? fold_convert(TREE_TYPE(t), v) : NULL_TREE;
	}
	if (!is_gimple_assign(def))
		return NULL_TREE;
	enum tree_code code = gimple_assign_rhs_code(def);
	tree type = TREE_TYPE(t), r = NULL_TREE;
	tree a = constant_int_value(gimple_assign_rhs1(def), depth + 1);
	if (!a)
		return NULL_TREE;
	switch (get_gimple_rhs_class(code)) {
	case GIMPLE_SINGLE_RHS:
		r = fold_convert(type, a);
		break;
	case GIMPLE_UNARY_RHS:
		r = fold_unary(code, type, a);
		break;
	case GIMPLE_BINARY_RHS:
		if (tree b = constant_int_value(gimple_assign_rhs2(def), depth + 1))
			r = fold_binary(code, type, a, b);
		break;
	default:
		break;
	}
	return r && TREE_CODE(r) == INTEGER_CST && !TREE_OVERFLOW(r) ? r : NULL_TREE;
}

// ref with each ARRAY_REF index that constant_int_value folds replaced by
// its constant (a copy; ref itself when nothing changes), or NULL_TREE when
// an index is an SSA name that does not fold.
tree with_constant_indices(tree ref)
{
	if (!handled_component_p(ref))
		return ref;
	tree inner = with_constant_indices(TREE_OPERAND(ref, 0));
	if (!inner)
		return NULL_TREE;
	tree idx = NULL_TREE;
	if ((TREE_CODE(ref) == ARRAY_REF || TREE_CODE(ref) == ARRAY_RANGE_REF) &&
	    TREE_CODE(TREE_OPERAND(ref, 1)) == SSA_NAME) {
		idx = constant_int_value(TREE_OPERAND(ref, 1));
		if (!idx)
			return NULL_TREE;
	}
	if (inner == TREE_OPERAND(ref, 0) && !idx)
		return ref;
	tree c = copy_node(ref);
	TREE_OPERAND(c, 0) = inner;
	if (idx)
		TREE_OPERAND(c, 1) = fold_convert(TREE_TYPE(TREE_OPERAND(ref, 1)), idx);
	return c;
}
