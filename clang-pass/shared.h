// SPDX-License-Identifier: MIT
// shared.h - state shared by the AST plugin and the IR pass of scall-clang.so.
//
// clang loads the same shared object for -fplugin= and -fpass-plugin=, so
// both halves see these globals.  The AST half records the assembler names
// of every variable declared with SCALL_KEY (clang drops the annotation of
// an extern declaration, so the pass cannot see those keys in the IR).
#ifndef SCALL_CLANG_SHARED_H
#define SCALL_CLANG_SHARED_H

#include <set>
#include <string>

namespace scall_clang {
std::set<std::string> &astKeyNames();
bool &astPluginActive();
bool &verbose(); // -fplugin-arg-scall-verbose
} // namespace scall_clang

#endif
