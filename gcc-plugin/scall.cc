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

#include <map>
#include <string>
#include <vector>

int plugin_is_GPL_compatible; // MIT: GPL-compatible

static struct plugin_info scall_plugin_info = {
	"0.1.0",
	"scall: static calls.  Options: -fplugin-arg-scall-verbose, "
	"-fplugin-arg-scall-allow-address",
};

static bool opt_verbose;
static bool opt_allow_address;

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
	else if (TREE_CODE(TREE_TYPE(decl)) != POINTER_TYPE ||
		 TREE_CODE(TREE_TYPE(TREE_TYPE(decl))) != FUNCTION_TYPE)
		why = "not a function pointer";
	else if (TYPE_READONLY(TREE_TYPE(decl)))
		why = "const (scall_update() must be able to store it)";
	if (why) {
		error_at(loc,
			 "%qE attribute: %qD is %s; a scall key must be a "
			 "function-pointer variable with static storage duration",
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
		tree base = get_base_address(TREE_OPERAND(t, 0));
		if (is_key(base))
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
		 "its target (it also retargets the call sites)",
		 how, key, DECL_NAME(key));
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
	location_t loc = gimple_location(stmt);
	tree lhs = gimple_get_lhs(stmt);
	if (lhs) {
		tree base = get_base_address(lhs);
		if (is_key(base))
			store_error(loc, base, "store to");
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
			if (i == 0 && is_store_builtin(fndecl))
				store_error(loc, key, "store (via a string "
					    "function) to");
			else if (!opt_allow_address)
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

static tree get_tramp(tree key, bool cond)
{
	std::string name = cond ? SCALL_SYM_CTRAMP_PREFIX : SCALL_SYM_TRAMP_PREFIX;
	name += scall_decl_asm_name(key);
	bool local = !TREE_PUBLIC(key);
	if (local) {
		name += ".";
		name += unit_suffix();
	}
	auto it = tramp_decls.find(name);
	if (it != tramp_decls.end())
		return it->second;

	tree fntype = TREE_TYPE(TREE_TYPE(key));
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
					NULL_TREE));
	DECL_ATTRIBUTES(decl) = tree_cons(get_identifier(tramp_attr), args, NULL_TREE);
	tramp_decls[name] = decl;
	return decl;
}

// GC roots: the trampoline decls live in a std::map, invisible to GGC.
static void ggc_mark_tramps(void *, void *)
{
	for (auto &p : tramp_decls)
		gt_ggc_mx(p.second);
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

// The key loaded into SSA name t, or NULL.
static tree loaded_key(tree t)
{
	t = strip_ssa_conv(t);
	if (!t || TREE_CODE(t) != SSA_NAME || SSA_NAME_IS_DEFAULT_DEF(t))
		return NULL_TREE;
	gimple *def = SSA_NAME_DEF_STMT(t);
	if (!gimple_assign_single_p(def))
		return NULL_TREE;
	tree rhs = gimple_assign_rhs1(def);
	if (is_key(rhs))
		return rhs;
	// MEM[(T *)&key] as the gimplifier writes (*&key)
	if (TREE_CODE(rhs) == MEM_REF &&
	    TREE_CODE(TREE_OPERAND(rhs, 0)) == ADDR_EXPR &&
	    integer_zerop(TREE_OPERAND(rhs, 1)) &&
	    is_key(TREE_OPERAND(TREE_OPERAND(rhs, 0), 0)))
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
			tree key = loaded_key(fn);
			tree src = strip_ssa_conv(fn);
			if (!key && TREE_CODE(src) == SSA_NAME &&
			    !SSA_NAME_IS_DEFAULT_DEF(src) &&
			    is_cond_target_call(SSA_NAME_DEF_STMT(src))) {
				key = loaded_key(gimple_call_arg(SSA_NAME_DEF_STMT(src), 0));
				cond = key != NULL_TREE;
			}
			if (!key)
				continue;
			if (TREE_CODE(TREE_TYPE(TREE_TYPE(key))) != FUNCTION_TYPE)
				continue;
			gimple_call_set_fndecl(call, get_tramp(key, cond));
			update_stmt(call);
			dead.push_back(fn);
			changed = true;
		}
	}
	for (tree t : dead)
		remove_dead_chain(t, &purge);
	if (changed) {
		add_lto_marker_ref();
		cgraph_edge::rebuild_edges();
	}
	return purge ? TODO_cleanup_cfg : 0;
}

} // namespace

// ---------------------------------------------------------------------------
// RTL: labels on the sites, then the records
// ---------------------------------------------------------------------------

struct used_tramp {
	std::string key;   // assembler name of the key
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
		std::string tname = scall_decl_asm_name(decl);
		used_tramp &u = used_tramps[tname];
		u.key = scall_decl_asm_name(key);
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
			fprintf(stderr, "%s:%d: scall: site in %s: key %s, %s, %s\n",
				xl.file ? xl.file : "?", xl.line,
				current_function_name(),
				IDENTIFIER_POINTER(DECL_NAME(key)),
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
	fprintf(f, "\t.byte 0x4c, 0x8b, 0x1d\n"
		   "\t.reloc ., R_X86_64_GOTPCREL, %s-4\n"
		   "\t.long 0\n"
		   "\tmovq (%%r11), %%r11\n",
		u.key.c_str());
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
		else
			error("unknown option %<-fplugin-arg-%s-%s%>; the scall "
			      "plugin knows %<verbose%> and %<allow-address%>",
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
