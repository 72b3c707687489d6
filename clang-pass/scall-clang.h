// SPDX-License-Identifier: MIT
//
// scall-clang.h - what crosses files inside scall-clang.so
// (not installed).  The file map and the !scall.* metadata are in
// clang-pass/README.md; every byte emitted is in docs/format.md.  What the
// AST half hands to the pass is in shared.h.
#ifndef SCALL_CLANG_H
#define SCALL_CLANG_H

#include "shared.h"
#include "llvm-compat.h"
#include "scall/format.h"
// The rules the pass shares with the GCC plugin and scall-scan: key
// members, store functions, names, the bytes it emits (not installed).
#include "scall-rules.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>

namespace scall_clang {

// ---------------------------------------------------------------------------
// The !scall.* named metadata: the pass's own internal format, through which
// one run hands its state to the next (clang's pipeline-start run, its
// optimizer-last run, the -flto link, opt on the output).  Operands in
// clang-pass/README.md, "Metadata".
// ---------------------------------------------------------------------------
namespace md {
constexpr const char *Keys = "scall.keys";                       // keys.cpp
constexpr const char *StructKeys = "scall.struct.keys";          // keys.cpp
constexpr const char *ArrayKeys = "scall.array.keys";            // keys.cpp
constexpr const char *Tramps = "scall.tramps";                   // convert.cpp
constexpr const char *ConvertStores = "scall.convert.stores";    // tests only
constexpr const char *StoresConverted = "scall.stores.converted"; // stores.cpp
} // namespace md

// What one run does (plugin.cpp chooses it).
enum class Mode {
	Convert, // convert calls only
	PreLink, // convert + LTO marker
	Emit,    // convert + records, trampolines, module header
	Auto,    // PreLink for an -flto compile, else Emit
};

// A key: a plain key (Off 0), or the key member at byte offset Off of the
// struct key (or array of keys) GV.
struct KeyRef {
	llvm::GlobalVariable *GV = nullptr;
	uint64_t Off = 0;
	explicit operator bool() const { return GV != nullptr; }
	bool operator==(const KeyRef &O) const { return GV == O.GV && Off == O.Off; }
};

// Is there a key member at byte offset Off of the struct key or array of
// keys SK (for an array: in some element, within the array)?
bool keyMemberAt(const StructKey &SK, uint64_t Off);
// Do the bytes [Off, Off + Len) of SK overlap a key member?
bool holdsKey(const StructKey &SK, uint64_t Off, uint64_t Len);

// The keys a run knows (keys.cpp: from the annotations, the AST half and
// !scall.keys / !scall.struct.keys / !scall.array.keys, written back for
// later runs).  Structs holds the arrays of keys too (StructKey::Elem).
struct KeyTable {
	llvm::SmallPtrSet<llvm::GlobalVariable *, 8> Plain;
	llvm::MapVector<llvm::GlobalVariable *, StructKey> Structs;
	bool empty() const { return Plain.empty() && Structs.empty(); }
	bool isPlain(llvm::GlobalVariable *GV) const { return Plain.count(GV); }
	bool isStruct(llvm::GlobalVariable *GV) const { return Structs.count(GV); }
};

// A trampoline declaration: which key it loads and its SCALL_TRAMP_* flags.
struct Tramp {
	KeyRef Key;
	unsigned Flags;
};

// The trampolines a run knows (convert.cpp: made by the converter or read
// from !scall.tramps, which it also writes), in creation order, and each by
// what it is, so that one key, member and flavour has one trampoline.
struct TrampTable {
	llvm::MapVector<llvm::Function *, Tramp> ByFn;
	std::map<std::tuple<llvm::GlobalVariable *, uint64_t, unsigned>, llvm::Function *> ByKey;
	bool empty() const { return ByFn.empty(); }
	bool has(llvm::Function *F) const { return ByFn.count(F); }
};

// Everything one run of the pass over a module works with.  Nothing else
// is kept between runs but the module itself (its !scall.* metadata).
struct Unit {
	llvm::Module &M;
	const llvm::DataLayout &DL;
	bool LinkTime;      // the -flto link: only the keys the compile listed
	bool Retpoline = false;     // a function has +retpoline-indirect-branches
	bool ExternalThunk = false; // ... and +retpoline-external-thunk
	// Calls through an array of keys whose index is not a constant here:
	// left indirect, counted for verbose.
	unsigned VarIndexCalls = 0;
	KeyTable Keys;
	TrampTable Tramps;
	Unit(llvm::Module &M, bool LinkTime) : M(M), DL(M.getDataLayout()), LinkTime(LinkTime) {}
};

// ---------------------------------------------------------------------------
// Functions by file
// ---------------------------------------------------------------------------

// keys.cpp: what a key is and what an access reaches of one.
void collectKeys(Unit &U);
void keepAlive(llvm::Module &M, llvm::GlobalValue *GV);
std::string hashSuffix(const llvm::Module &M, llvm::StringRef KeyName);
std::string keyName(const Unit &U, KeyRef Key);
// What an access at Ptr reaches of a key: the one answer for the converter
// (ReadTy: the load of a call's callee) and the store conversion (ReadTy
// null: a write of Len bytes, unknown: none).
struct KeyAccess {
	// A read: exactly one key pointer, the key or one member of a struct
	// key at a constant offset.
	KeyRef Member;
	// A write: the key, or struct key, whose key-holding bytes it may
	// reach; a data member of a struct key is no key.
	llvm::GlobalVariable *Touched = nullptr;
};
KeyAccess resolveKey(const Unit &U, llvm::Value *Ptr, llvm::Type *ReadTy,
		     std::optional<uint64_t> Len);
// The global Ptr points somewhere into, directly or through local aliases
// (any offset), or null.
llvm::GlobalVariable *underlyingKeyObject(const Unit &U, llvm::Value *Ptr);

// convert.cpp: calls through keys to calls of trampoline declarations.
void readTramps(Unit &U);
bool isCondTargetFn(const llvm::Function *F);
bool convertCalls(Unit &U);

// stores.cpp: the __scall_stored (or __scall_stored_n) call after each
// burst of stores to keys (which functions store is
// scall_rules::find_store_fn's).
bool convertStores(Unit &U);

// diagnose.cpp: every message the pass prints.
bool refuseCodeModel(llvm::Module &M);
void warnWithoutAstHalf(llvm::Module &M);
void errorUnknownStructKey(llvm::Module &M, llvm::GlobalVariable *GV);
void errorStoreEndsBlock(llvm::Instruction *I, llvm::GlobalVariable *K);
void reportCall(const Unit &U, llvm::CallBase *CB, KeyRef Key, llvm::Function *T);
void reportStore(const Unit &U, llvm::Instruction *I, llvm::GlobalVariable *K);
void reportVarIndexCalls(const Unit &U);
void errorStoreUnknownSize(llvm::Instruction *I, llvm::GlobalVariable *K);

// emit.cpp: the LTO marker, site records, trampolines, module header.
void addLtoMarker(Unit &U);
bool removeLtoMarker(Unit &U);
bool emit(Unit &U);

// plugin.cpp: one run.
bool runScall(llvm::Module &M, Mode mode, bool WarnNoAst, bool LinkTime);

} // namespace scall_clang

#endif
