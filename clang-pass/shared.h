// SPDX-License-Identifier: MIT
// shared.h - state shared by the AST plugin and the IR pass of scall-clang.so.
//
// clang loads the same shared object for -fplugin= and -fpass-plugin=, so
// both halves see these globals.  The AST half records the assembler names
// of every variable declared with SCALL_KEY (clang drops the annotation of
// an extern declaration, so the pass cannot see those keys in the IR), the
// key members of every struct key (the IR cannot tell a union or a
// bit-field from a struct member), and -fplugin-arg-scall-convert-stores.
#ifndef SCALL_CLANG_SHARED_H
#define SCALL_CLANG_SHARED_H

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace scall_clang {
std::set<std::string> &astKeyNames();
bool &astPluginActive();
bool &verbose(); // -fplugin-arg-scall-verbose

// A struct key: its size and the byte offsets of its key members.
struct StructKey {
	uint64_t Size;
	std::vector<uint64_t> Offsets;
};
// By IR name (the assembler name; "fn.var" for a static local).
std::map<std::string, StructKey> &astStructKeys();
bool &convertStores(); // -fplugin-arg-scall-convert-stores
} // namespace scall_clang

#endif
