// SPDX-License-Identifier: MIT
//
// scall-gcc.h - what crosses files inside the GCC plugin (not installed).
// The file map is in gcc-plugin/README.md; every byte emitted is in
// docs/format.md.
#ifndef SCALL_GCC_H
#define SCALL_GCC_H

#include "gcc-compat.h"
#include "scall/format.h"
// The rules the plugin shares with the Clang pass and scall-scan: key
// members, store functions, names, the bytes it emits (not installed).
#include "scall-rules.h"

// <map>, <string> and <vector> come from gcc-compat.h (INCLUDE_*), before
// system.h poisons what libstdc++ uses.

// ---------------------------------------------------------------------------
// State.  Besides the two structs below the plugin keeps no mutable
// file-scope variable.
// ---------------------------------------------------------------------------

// -fplugin-arg-scall-*: written by plugin_init only, read everywhere.
struct scall_options {
	bool verbose = false;
	bool allow_address = false;
	bool convert_stores = false;
	bool loop_warning = true;
};
extern scall_options scall_opts;

// What one trampoline is, as the RTL side needs it: decoded from the
// trampoline's decl (tramp_info_of), whose attribute carries it because only
// the decl reaches the link-time half of -flto (the IR streams attributes).
struct tramp_info {
	tree key;          // the key variable
	HOST_WIDE_INT off; // byte offset of the key member (struct key), else 0
	bool cond;         // cond trampoline (scall_cond)
	bool local;        // file-static key: local trampoline, no COMDAT
};

// A trampoline the unit's code calls, kept until the end of the unit.
struct used_tramp {
	std::string key;   // assembler name of the key
	long long off;     // byte offset of the member (struct key), else 0
	unsigned flags;    // SCALL_TRAMP_*
	bool local;        // file-static key: local trampoline, no COMDAT
};

// A site labelled by the sites pass, recorded by the records pass of the
// same function.
struct pending_site {
	int label;
	std::string tramp;
	unsigned kind;
	bool other_partition; // after NOTE_INSN_SWITCH_TEXT_SECTIONS
};

// Everything the plugin accumulates while compiling one unit (cc1 and each
// lto1 run compile one).  Trees held here live in std containers that GGC
// cannot see: mark_gc_roots() roots them (PLUGIN_GGC_MARKING, plugin.cc).
struct scall_unit_state {
	// Set when the unit declares a key: a unit without one has nothing to
	// convert or check (with -flto the link-time half sees the streamed
	// calls).
	bool any_key = false;
	// The compile half of -flto referenced the marker (convert.cc).
	bool lto_ref_done = false;
	// The unit defined a static branch's key type (scall.h): its
	// functions are checked for stores into branch objects.
	bool any_branch_type = false;
	// lto1 looked for keys among the variables (convert.cc).
	bool lto_keys_checked = false;
	// Trampoline decls by name (GC root).
	std::map<std::string, tree> tramp_decls;
	// A TREE_VEC of __scall_stored and __scall_stored_n, built on the
	// first converted store (GC root; stores.cc).
	tree stored_decl = NULL_TREE;
	// Trampolines called by the unit's code, by symbol (emit.cc).
	std::map<std::string, used_tramp> used_tramps;
	// Sites of the function being compiled (emit.cc).
	std::vector<pending_site> pending_sites;
	// The symbol each record section links to (SHF_LINK_ORDER), by the
	// code section and COMDAT group its sites are in: one record section
	// per code section, not per function (emit.cc).  Sections are GCC's
	// own, which it never frees.
	std::map<std::pair<const void *, std::string>, std::string> record_links;

	void mark_gc_roots();
};
extern scall_unit_state scall_unit;

// A decl's symbol as the assembler sees it (a name may carry an encoding
// prefix, such as '*' for a name fixed by asm("...")).
static inline const char *scall_decl_asm_name(tree decl)
{
	const char *n = IDENTIFIER_POINTER(DECL_ASSEMBLER_NAME(decl));
	return targetm.strip_name_encoding(n);
}

// Internal attribute on trampoline decls, holding their tramp_info.
static const char *const scall_tramp_attr = "scall tramp";
// Defined only by the link-time half of -flto (emit.cc), referenced by the
// compile half (convert.cc).
static const char *const scall_lto_marker = "__scall_lto_link_requires_fplugin_scall";

// ---------------------------------------------------------------------------
// Functions by file
// ---------------------------------------------------------------------------

// keys.cc: what a reference touches of a key.
struct key_ref {
	tree key;          // the key variable the reference is based on, or NULL
	bool touches;      // it covers (part of) a key pointer
	bool member;       // it is exactly one key pointer, read as a function
			   // pointer: the key, or one member of a struct key
	HOST_WIDE_INT off; // that member's byte offset (0 for a plain key)
};
key_ref resolve_key(tree ref);
bool is_key(const_tree t);
bool is_struct_key(const_tree t);
bool key_escapes(const_tree key);
void scall_register_attributes(void *, void *);
void promote_static_key_for_lto(tree decl);
tree constant_int_value(tree t, int depth = 0);
tree with_constant_indices(tree ref);

// A store that -fplugin-arg-scall-convert-stores turns into an update:
// found by diagnose.cc, completed by stores.cc in the same pass.
struct conv_store {
	gimple *stmt;
	tree key;
};

// alias.cc: the SSA names of one function that are local aliases of keys
// (pointers followed to a constant place in a key).  follow_local_aliases
// rewrites every access through them into an access to the key and
// diagnoses their escapes; their definitions are then not escapes.
struct local_aliases {
	std::vector<bool> is_alias; // by SSA_NAME_VERSION
	bool defines(gimple *stmt) const; // its lhs is an alias
	bool holds(tree t) const;         // t is an alias
};
void follow_local_aliases(function *fun, local_aliases &out);

// diagnose.cc
bool may_escape(tree key);
void addr_error(location_t loc, tree key, location_t origin = UNKNOWN_LOCATION);
void check_stmt(gimple *stmt, std::vector<conv_store> &stores, const local_aliases &al);
void check_phis(function *fun, basic_block bb, const local_aliases &al);
void check_static_initializer(tree decl);
bool is_branch_type(const_tree type);
void check_branch_function(function *fun);

// stores.cc: the store function (scall-rules.h) a call's fndecl is, or
// nullptr.
const scall_rules::store_fn *classify_store_fn(tree fndecl);
bool insert_stored_calls(function *fun, std::vector<conv_store> &stores);

// convert.cc
unsigned int scall_convert_function(function *fun);
unsigned int scall_convert_late(function *fun);
bool tramp_info_of(tree tramp_decl, tramp_info *out);

// emit.cc
std::string unit_suffix();
unsigned int scall_mark_sites();
unsigned int scall_emit_records(function *fun);
void scall_finish_unit(void *, void *);

#endif
