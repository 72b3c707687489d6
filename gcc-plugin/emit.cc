// SPDX-License-Identifier: MIT
//
// emit.cc - the assembly the GCC plugin writes (docs/format.md): a label on
// each site and its record (the two RTL passes), and at the end of the unit
// the trampolines the code calls, their records, the retpoline thunks and
// the module header with its constructor and destructor.  The text of the
// bytes (trampoline bodies, records, the header's words, the thunks) is the
// emitter of scall-rules.h, shared with the Clang pass; the sections and
// symbols around them, in GNU as's syntax, are written here.

#include "scall-gcc.h"

// Unique per translation unit, stable across identical builds: the
// suffix of the names of unit-local symbols.
std::string unit_suffix()
{
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

// For the verbose output.
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

// The trampoline a call insn calls, or NULL.
static tree call_tramp_decl(rtx_insn *insn, tramp_info *ti)
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
	return tramp_info_of(decl, ti) ? decl : NULL_TREE;
}

// RTL pass scall-sites (right before shorten): a code label right before
// every call insn to a trampoline, so that the label sits on the E8/E9
// byte; the kind is CALL or JMP (sibling call).
unsigned int scall_mark_sites()
{
	bool other_partition = false;
	for (rtx_insn *insn = get_insns(); insn; insn = NEXT_INSN(insn)) {
		if (NOTE_P(insn) && NOTE_KIND(insn) == NOTE_INSN_SWITCH_TEXT_SECTIONS)
			other_partition = !other_partition;
		if (!CALL_P(insn))
			continue;
		tramp_info ti;
		tree decl = call_tramp_decl(insn, &ti);
		if (!decl)
			continue;
		std::string tname = scall_decl_asm_name(decl);
		used_tramp &u = scall_unit.used_tramps[tname];
		u.key = scall_decl_asm_name(ti.key);
		u.off = ti.off;
		u.flags = (ti.cond ? SCALL_TRAMP_COND : 0) |
			  (retpoline_mode() ? SCALL_TRAMP_RETPOLINE : 0);
		u.local = ti.local;

		unsigned kind = SIBLING_CALL_P(insn) ? SCALL_KIND_JMP : SCALL_KIND_CALL;
		rtx_code_label *lab = gen_label_rtx();
		LABEL_PRESERVE_P(lab) = 1;
		emit_label_before(lab, insn);
		scall_unit.pending_sites.push_back({ (int)CODE_LABEL_NUMBER(lab), tname,
						     kind, other_partition });
		if (scall_opts.verbose) {
			expanded_location xl = expand_location(INSN_LOCATION(insn));
			std::string kn = IDENTIFIER_POINTER(DECL_NAME(ti.key));
			if (is_struct_key(ti.key))
				kn += "+" + std::to_string((long long)ti.off);
			fprintf(stderr, "%s:%d: scall: site in %s: key %s, %s, %s\n",
				xl.file ? xl.file : "?", xl.line,
				current_function_name(), kn.c_str(),
				ti.cond ? "cond" : "plain", kind_name(kind));
		}
	}
	return 0;
}

// The section final wrote a site of the current function into: the
// function's own, or the other one of a hot/cold split.  The same question
// final asks (current_function_section), with in_cold_section_p set for
// the site's partition.
static section *site_section(bool other_partition)
{
	bool saved = in_cold_section_p;
	in_cold_section_p = first_function_block_is_cold != other_partition;
	section *sec = current_function_section();
	in_cold_section_p = saved;
	return sec;
}

// RTL pass scall-records (right after final): the records of the sites of
// the function just written, in section scall_sites with SHF_LINK_ORDER to
// the section holding the site, so that --gc-sections (also under
// -z start-stop-gc) drops a record with its code and keeps it whenever the
// code is kept; in the function's COMDAT group, if any.
//
// All the records of one code section go into one record section: every
// function of the unit's .text shares one, and only a function with its
// own section (-ffunction-sections, COMDAT, a section attribute) gets its
// own.  The assembler looks a section up by name through every section of
// that name, so one record section per function made `as` quadratic in the
// number of functions.  The link symbol (the first site label written into
// that code section) is what makes the assembler find the same record
// section again.
//
// Under -ffunction-sections that still leaves one record section per
// function, all named scall_sites, and GNU as (up to 2.40 at least) makes
// each new one by first failing a lookup through all the others: `as` stays
// quadratic.  (A lookup of the section made last stops at the second entry,
// where bfd links each new section of a known name: the other records of
// the same function cost no walk.)  The ",unique,N" of each record section
// (GNU as >= 2.35, probed by meson) makes every step of that walk fail on a
// number rather than on a string compare of link symbols: half the time of
// `as` (10^4 functions: 5.1 s -> 2.6 s).  The object is the same.
#ifdef SCALL_AS_SECTION_UNIQUE
static std::string record_section_unique(const std::string &link)
{
	// By link symbol: a site label, unique in the process's assembler
	// output, and one per record section (record_links).
	static std::map<std::string, unsigned> ids;
	unsigned id = ids.emplace(link, (unsigned)ids.size() + 1).first->second;
	return ",unique," + std::to_string(id);
}
#else
static std::string record_section_unique(const std::string &) { return ""; }
#endif

unsigned int scall_emit_records(function *fun)
{
	std::vector<pending_site> &pending_sites = scall_unit.pending_sites;
	if (pending_sites.empty())
		return 0;
	std::string group;
	if (symtab_node *n = symtab_node::get(fun->decl))
		if (tree g = n->get_comdat_group())
			group = IDENTIFIER_POINTER(g);
	for (const pending_site &s : pending_sites) {
		char lab[64];
		targetm.asm_out.generate_internal_label(lab, "L", s.label);
		const char *l = lab[0] == '*' ? lab + 1 : lab;
		auto key = std::make_pair((const void *)site_section(s.other_partition), group);
		const std::string &link = scall_unit.record_links.emplace(key, l).first->second;
		std::string unique = record_section_unique(link);
		if (!group.empty())
			fprintf(asm_out_file,
				"\t.pushsection %s,\"aoG\",@progbits,%s,%s,comdat%s\n",
				SCALL_SECTION_SITES, link.c_str(), group.c_str(),
				unique.c_str());
		else
			fprintf(asm_out_file,
				"\t.pushsection %s,\"ao\",@progbits,%s%s\n",
				SCALL_SECTION_SITES, link.c_str(), unique.c_str());
		fputs(scall_rules::site_record(l, s.tramp, s.kind).c_str(), asm_out_file);
		fputs("\t.popsection\n", asm_out_file);
	}
	pending_sites.clear();
	return 0;
}

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
		      "__scall_indirect_thunk_r11:\n",
		      f);
		fputs(scall_rules::indirect_thunk_body(), f);
		fputs("\t.size __scall_indirect_thunk_r11, .-__scall_indirect_thunk_r11\n", f);
	}
	bool ret_thunk = ix86_function_return != indirect_branch_keep &&
			 ix86_function_return != indirect_branch_unset;
	if (need_ret && ret_thunk && ix86_function_return != indirect_branch_thunk_extern) {
		fputs("\t.section .text.__scall_return_thunk,\"axG\",@progbits,"
		      "__scall_return_thunk,comdat\n"
		      "\t.globl __scall_return_thunk\n"
		      "\t.hidden __scall_return_thunk\n"
		      "\t.type __scall_return_thunk, @function\n"
		      "__scall_return_thunk:\n",
		      f);
		fputs(scall_rules::return_thunk_body(), f);
		fputs("\t.size __scall_return_thunk, .-__scall_return_thunk\n", f);
	}
}

static void emit_trampoline(FILE *f, const std::string &sym, const used_tramp &u)
{
	const char *s = sym.c_str();
	bool ret_thunk = ix86_function_return != indirect_branch_keep &&
			 ix86_function_return != indirect_branch_unset;
	const char *thunk = ix86_indirect_branch == indirect_branch_thunk_extern
		? "__x86_indirect_thunk_r11" : "__scall_indirect_thunk_r11";
	const char *rthunk = !ret_thunk ? nullptr
		: ix86_function_return == indirect_branch_thunk_extern
			? "__x86_return_thunk" : "__scall_return_thunk";
	if (u.local) {
		fprintf(f, "\t.section .text.%s,\"ax\",@progbits\n", s);
	} else {
		fprintf(f, "\t.section .text.%s,\"axG\",@progbits,%s,comdat\n"
			   "\t.globl %s\n\t.hidden %s\n", s, s, s, s);
	}
	// .cfi_startproc: an unwinder (perf, gdb, a signal's backtrace)
	// that stops inside the trampoline sees a frame-less function.
	fprintf(f, "\t.type %s, @function\n\t.p2align 4\n%s:\n\t.cfi_startproc\n", s, s);
	fputs(scall_rules::tramp_body(u.key, u.off, u.flags, thunk, rthunk).c_str(), f);
	fprintf(f, "\t.cfi_endproc\n\t.size %s, .-%s\n", s, s);
	// Linked (SHF_LINK_ORDER) to the trampoline, so that the record lives
	// exactly as long as the trampoline even under -z start-stop-gc.
	if (u.local)
		fprintf(f, "\t.section %s,\"awo\",@progbits,%s\n",
			SCALL_SECTION_TRAMPS, s);
	else
		fprintf(f, "\t.section %s,\"awoG\",@progbits,%s,%s,comdat\n",
			SCALL_SECTION_TRAMPS, s, s);
	fputs(scall_rules::tramp_record(u.key, u.off, sym, u.flags).c_str(), f);
}

static void emit_module(FILE *f)
{
	bool ibt = flag_cf_protection & CF_BRANCH;
	const char *m = SCALL_SYM_MODULE;
	// Once per unit, whoever emits it first: scall.h's branch macros
	// emit the same header from their asm (docs/format.md).
	fprintf(f, "\t.ifndef %s\n", m);
	fprintf(f, "\t.section %s,\"awG\",@progbits,%s,comdat\n"
		   "\t.globl %s\n\t.hidden %s\n\t.type %s, @object\n"
		   "\t.size %s, %d\n\t.balign 8\n%s:\n",
		SCALL_SECTION_MODULE, m, m, m, m, m, SCALL_MODULE_SIZE, m);
	fputs(scall_rules::module_header().c_str(), f);

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
		   "\t.balign 8\n\t.quad %s\n\t.endif\n", m, SCALL_SYM_MODULE_DTOR);
}

void scall_finish_unit(void *, void *)
{
	if (seen_error() || !asm_out_file)
		return;
	if ((in_lto_p && !flag_wpa) ||
	    (flag_generate_lto && flag_fat_lto_objects && scall_unit.lto_ref_done)) {
		// Link-time half of -flto: define the marker the compile
		// half referenced (one per module, COMDAT).  Also in the real
		// code of a fat LTO object, which a link without -flto uses.
		fprintf(asm_out_file,
			"\t.section .rodata.%s,\"aG\",@progbits,%s,comdat\n"
			"\t.globl %s\n\t.hidden %s\n\t.type %s, @object\n"
			"\t.size %s, 1\n%s:\n\t.byte 0\n",
			scall_lto_marker, scall_lto_marker, scall_lto_marker,
			scall_lto_marker, scall_lto_marker, scall_lto_marker,
			scall_lto_marker);
	}
	if (scall_unit.used_tramps.empty())
		return;
	bool any_cond = false;
	fputs("\t# scall: trampolines and module header (docs/format.md)\n", asm_out_file);
	for (auto &p : scall_unit.used_tramps) {
		emit_trampoline(asm_out_file, p.first, p.second);
		any_cond |= p.second.flags & SCALL_TRAMP_COND;
	}
	emit_thunks(asm_out_file, any_cond);
	emit_module(asm_out_file);
	fputs("\t.text\n", asm_out_file);
}
