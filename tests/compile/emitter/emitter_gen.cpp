// SPDX-License-Identifier: MIT
//
// emitter_gen - assembler text written by the shared emitter of
// common/scall-rules.h (the one both compilers call), for compare.py:
//
//   emitter_gen oracle   the trampolines, records and module header of
//                        oracle.S, each framed as scall_asm.h frames its
//                        own, so that the two objects have the same sections;
//   emitter_gen forms    what scall_asm.h cannot write: member loads of
//                        struct keys, retpoline and return-thunk jumps, the
//                        thunks, checked against docs/format.md's bytes.
//
// The trampolines are named by scall_rules::tramp_name, so the oracle's
// names (__scall_tramp_<key>, __scall_ctramp_<key>) check the naming too.
#include "scall-rules.h"

#include <cstdio>
#include <cstring>

namespace {

void tramp(const std::string &key, uint64_t off, unsigned flags, const char *thunk = nullptr,
	   const char *ret_thunk = nullptr)
{
	std::string name = scall_rules::tramp_name(scall_rules::key_name(key, off != 0, off), flags);
	const char *s = name.c_str();
	printf("\t.section .text.%s,\"axG\",@progbits,%s,comdat\n"
	       "\t.globl %s\n\t.hidden %s\n\t.type %s,@function\n\t.balign 16\n%s:\n",
	       s, s, s, s, s, s);
	fputs(scall_rules::tramp_body(key, off, flags, thunk, ret_thunk).c_str(), stdout);
	printf("\t.size %s, . - %s\n\t.section scall_tramps,\"awG\",@progbits,%s,comdat\n", s, s, s);
	fputs(scall_rules::tramp_record(key, off, name, flags).c_str(), stdout);
	fputs("\t.text\n", stdout);
}

void oracle()
{
	printf("\t.section scall_module,\"awG\",@progbits,__scall_module,comdat\n\t.balign 8\n"
	       "\t.globl __scall_module\n\t.hidden __scall_module\n\t.type __scall_module,@object\n"
	       "__scall_module:\n");
	fputs(scall_rules::module_header().c_str(), stdout);
	printf("\t.size __scall_module, %d\n", SCALL_MODULE_SIZE);

	const char *promoted = "key_b.scall.0123456789abcdef";
	tramp("key_a", 0, 0);
	tramp("key_a", 0, SCALL_TRAMP_COND);
	tramp(promoted, 0, 0);
	tramp(promoted, 0, SCALL_TRAMP_COND);
	tramp("k", 0, SCALL_TRAMP_COND);

	printf("\t.text\n\t.globl sites\n\t.type sites,@function\n\t.balign 16\nsites:\n"
	       "\t.globl site_call, site_jmp, site_jcc\nsite_call:\n\tnop\nsite_jmp:\n\tnop\n"
	       "site_jcc:\n\tnop\n\t.pushsection %s,\"a\",@progbits\n", SCALL_SECTION_SITES);
	std::string a = scall_rules::tramp_name("key_a", 0);
	std::string ca = scall_rules::tramp_name("key_a", SCALL_TRAMP_COND);
	std::string b = scall_rules::tramp_name(promoted, 0);
	std::string ck = scall_rules::tramp_name("k", SCALL_TRAMP_COND);
	fputs(scall_rules::site_record("site_call", a, SCALL_KIND_CALL).c_str(), stdout);
	fputs(scall_rules::site_record("site_jmp", ca, SCALL_KIND_JMP).c_str(), stdout);
	fputs(scall_rules::site_record("site_jcc", b, SCALL_KIND_JCC).c_str(), stdout);
	fputs(scall_rules::site_record("sites", ck, SCALL_KIND_UNRESOLVED).c_str(), stdout);
	fputs("\t.popsection\n\t.size sites, . - sites\n", stdout);
}

void forms()
{
	tramp("s", 8, 0);                  // disp8 member load
	tramp("s", 127, SCALL_TRAMP_COND); // the largest disp8
	tramp("s", 128, 0);                // the smallest disp32
	tramp("s", 200, SCALL_TRAMP_COND);
	tramp("k", 0, SCALL_TRAMP_RETPOLINE, "__x86_indirect_thunk_r11");
	tramp("k", 0, SCALL_TRAMP_COND | SCALL_TRAMP_RETPOLINE, "__scall_indirect_thunk_r11",
	      "__scall_return_thunk");
	tramp("c", 0, SCALL_TRAMP_COND, nullptr, "__x86_return_thunk");
	printf("\t.section .text.__scall_indirect_thunk_r11,\"ax\",@progbits\n"
	       "\t.globl __scall_indirect_thunk_r11\n__scall_indirect_thunk_r11:\n%s",
	       scall_rules::indirect_thunk_body());
	printf("\t.section .text.__scall_return_thunk,\"ax\",@progbits\n"
	       "\t.globl __scall_return_thunk\n__scall_return_thunk:\n%s",
	       scall_rules::return_thunk_body());
}

} // namespace

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "oracle"))
		oracle();
	else if (argc == 2 && !strcmp(argv[1], "forms"))
		forms();
	else {
		fputs("usage: emitter_gen oracle|forms\n", stderr);
		return 2;
	}
	fputs("\t.section .note.GNU-stack,\"\",@progbits\n", stdout);
	return 0;
}
