// SPDX-License-Identifier: MIT
// shared.h - what the AST half (ast.cpp) hands to the LLVM pass of
// scall-clang.so.
//
// clang loads the same shared object for -fplugin= and -fpass-plugin=, so
// both halves see one AstHandoff (defined in plugin.cpp).  The AST half
// records the assembler names of every variable declared with SCALL_KEY
// (clang drops the annotation of an extern declaration, so the pass cannot
// see those keys in the IR), the key members of every struct key (the IR
// cannot tell a union or a bit-field from a struct member), and the options
// the pass needs.
#ifndef SCALL_CLANG_SHARED_H
#define SCALL_CLANG_SHARED_H

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace scall_clang {

// A struct key: its size and the byte offsets of its key members.  An
// array of keys (docs/format.md "Arrays of keys") is one too, with Elem its
// element's size and Offsets the key members of one element: element i's
// member O is the member at i * Elem + O.  Size 0: an array whose size is
// unknown (an extern declaration of an incomplete array).
struct StructKey {
	uint64_t Size;
	std::vector<uint64_t> Offsets;
	uint64_t Elem = 0;
};

struct AstHandoff {
	bool Active = false;        // the AST half is loaded (-fplugin=)
	bool Verbose = false;       // -fplugin-arg-scall-verbose
	bool ConvertStores = false; // -fplugin-arg-scall-convert-stores
	// The compile's code generation puts functions in .text unless told
	// otherwise (no -ffunction-sections, no basic-block sections).
	bool NoFunctionSections = false;
	// The IR names of the keys with linkage.
	std::set<std::string> KeyNames;
	// Struct keys and arrays of keys by IR name (the assembler name;
	// "fn.var" for a static local).
	std::map<std::string, StructKey> StructKeys;
};
AstHandoff &astHandoff();

} // namespace scall_clang

#endif
