// SPDX-License-Identifier: MIT
//
// plugin.cc - plugin_init of the scall GCC plugin (gcc -fplugin=scall): its
// arguments, its callbacks and its three passes.  Each pass's work is in the
// file of its job (gcc-plugin/README.md):
//  - GIMPLE pass "scall", right after "ssa" (before any inlining): local
//    aliases of keys become accesses to the keys, calls through keys become
//    direct calls to trampolines, stores to keys are errors or converted,
//    escaping key addresses are errors, and so are stores into static
//    branches' key objects;
//  - GIMPLE pass "scall-late", right after "optimized": calls through
//    arrays of keys whose index became a constant during optimisation;
//  - RTL pass "scall-sites", right before "shorten": a label on each site;
//  - RTL pass "scall-records", right after "final": the records of the
//    function just written;
//  - end of unit: trampolines, their records, the module header.

#include "scall-gcc.h"
// Only here: it defines the static gcc_version plugin_init checks.
#include "plugin-version.h"

int plugin_is_GPL_compatible; // MIT: GPL-compatible

scall_options scall_opts;
scall_unit_state scall_unit;

// GGC cannot see trees held in std containers: mark them on every
// collection, or a collection between the GIMPLE pass and the end of the
// unit would free the trampoline decls the calls still use.
void scall_unit_state::mark_gc_roots()
{
	for (auto &p : tramp_decls)
		gt_ggc_mx(p.second);
	if (stored_decl)
		gt_ggc_mx(stored_decl);
}

static void ggc_mark_unit(void *, void *)
{
	scall_unit.mark_gc_roots();
}

static struct plugin_info scall_plugin_info = {
	"0.1.0",
	"scall: static calls.  Options: -fplugin-arg-scall-verbose, "
	"-fplugin-arg-scall-allow-address, -fplugin-arg-scall-convert-stores, "
	"-fplugin-arg-scall-no-store-in-loop-warning",
};

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

// Each declaration: file-static keys under -flto, and `void *p = &key;`.
static void finish_decl(void *gcc_data, void *)
{
	tree decl = (tree)gcc_data;
	if (!scall_unit.any_key || !decl || TREE_CODE(decl) != VAR_DECL)
		return;
	promote_static_key_for_lto(decl);
	check_static_initializer(decl);
}

// Each type: the key types of static branches (scall.h).
static void finish_type(void *gcc_data, void *)
{
	if (is_branch_type((tree)gcc_data))
		scall_unit.any_branch_type = true;
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
	unsigned int execute(function *fun) override
	{
		return scall_convert_function(fun);
	}
};

// The same conversion once more, after the optimisations, for calls
// through arrays of keys whose index only then became a constant.
const pass_data scall_late_pass_data = {
	GIMPLE_PASS, "scall-late", OPTGROUP_NONE, TV_NONE,
	PROP_cfg | PROP_ssa, 0, 0, 0, 0,
};

class scall_late_pass : public gimple_opt_pass {
public:
	scall_late_pass(gcc::context *ctx)
		: gimple_opt_pass(scall_late_pass_data, ctx) {}
	unsigned int execute(function *fun) override
	{
		return scall_convert_late(fun);
	}
};

const pass_data scall_sites_pass_data = {
	RTL_PASS, "scall-sites", OPTGROUP_NONE, TV_NONE, 0, 0, 0, 0, 0,
};

class scall_sites_pass : public rtl_opt_pass {
public:
	scall_sites_pass(gcc::context *ctx)
		: rtl_opt_pass(scall_sites_pass_data, ctx) {}
	unsigned int execute(function *) override
	{
		return scall_mark_sites();
	}
};

const pass_data scall_records_pass_data = {
	RTL_PASS, "scall-records", OPTGROUP_NONE, TV_NONE, 0, 0, 0, 0, 0,
};

class scall_records_pass : public rtl_opt_pass {
public:
	scall_records_pass(gcc::context *ctx)
		: rtl_opt_pass(scall_records_pass_data, ctx) {}
	unsigned int execute(function *fun) override
	{
		return scall_emit_records(fun);
	}
};

} // namespace

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
			scall_opts.verbose = true;
		else if (!strcmp(k, "allow-address"))
			scall_opts.allow_address = true;
		else if (!strcmp(k, "convert-stores"))
			scall_opts.convert_stores = true;
		else if (!strcmp(k, "no-store-in-loop-warning"))
			scall_opts.loop_warning = false;
		else
			error("unknown option %<-fplugin-arg-%s-%s%>; the scall "
			      "plugin knows %<verbose%>, %<allow-address%>, "
			      "%<convert-stores%> and %<no-store-in-loop-warning%>",
			      name, k);
	}
	register_callback(name, PLUGIN_INFO, NULL, &scall_plugin_info);
	register_callback(name, PLUGIN_ATTRIBUTES, scall_register_attributes, NULL);
	register_callback(name, PLUGIN_START_UNIT, start_unit, NULL);
	register_callback(name, PLUGIN_FINISH_DECL, finish_decl, NULL);
	register_callback(name, PLUGIN_FINISH_TYPE, finish_type, NULL);
	register_callback(name, PLUGIN_FINISH_UNIT, scall_finish_unit, NULL);
	register_callback(name, PLUGIN_GGC_MARKING, ggc_mark_unit, NULL);

	struct register_pass_info gimple_info = {
		new scall_gimple_pass(g), "ssa", 1, PASS_POS_INSERT_AFTER,
	};
	// "optimized" is the last GIMPLE pass at every -O (-O0 included),
	// in cc1 and in lto1's link-time compile: after inlining, unrolling
	// and constant propagation, before expand.
	struct register_pass_info late_info = {
		new scall_late_pass(g), "optimized", 1, PASS_POS_INSERT_AFTER,
	};
	struct register_pass_info sites_info = {
		new scall_sites_pass(g), "shorten", 1, PASS_POS_INSERT_BEFORE,
	};
	struct register_pass_info records_info = {
		new scall_records_pass(g), "final", 1, PASS_POS_INSERT_AFTER,
	};
	register_callback(name, PLUGIN_PASS_MANAGER_SETUP, NULL, &gimple_info);
	register_callback(name, PLUGIN_PASS_MANAGER_SETUP, NULL, &late_info);
	register_callback(name, PLUGIN_PASS_MANAGER_SETUP, NULL, &sites_info);
	register_callback(name, PLUGIN_PASS_MANAGER_SETUP, NULL, &records_info);
	return 0;
}
