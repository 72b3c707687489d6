// SPDX-License-Identifier: MIT
//
// llvm-compat.h - every difference between the LLVM and Clang versions that
// scall-clang.so and scall-scan are built against, and nothing else.  The
// pass, the AST half and scall-scan use the names below and carry no
// version test of their own.
//
// Tested: LLVM 13, 14, 15, 16.  Prepared from the documented API changes,
// not tested: 17, 18, 19, 20.  The root meson.build refuses any other
// version before this header is compiled; the #error is for a build that
// bypasses it.
#ifndef SCALL_LLVM_COMPAT_H
#define SCALL_LLVM_COMPAT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Passes/PassBuilder.h"

#if LLVM_VERSION_MAJOR < 13 || LLVM_VERSION_MAJOR > 20
#error "scall-clang.so and scall-scan support LLVM 13 to 20"
#endif

// LLVM 13 and 14: lld runs a plugin's link-time pass only in its legacy LTO
// pipeline (--lto-legacy-pass-manager), which takes passes registered by a
// static object of the loaded library (-mllvm -load=).  lld 15 loads a
// new-pass-manager plugin (--load-pass-plugin=) and LLVM 15 added the
// full-LTO extension points; LLVM 16 removed RegisterStandardPasses.
#if LLVM_VERSION_MAJOR <= 14
#define SCALL_LLVM_LEGACY_LTO 1
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/Pass.h"
#include "llvm/Transforms/IPO/PassManagerBuilder.h"
#else
#define SCALL_LLVM_LEGACY_LTO 0
#endif

#include <functional>

namespace scall_compat {

// The major version the object was built for (the loader checks the host's
// against it before anything else runs).
constexpr unsigned LLVMMajor = LLVM_VERSION_MAJOR;

// LLVM 14 moved OptimizationLevel out of PassBuilder.
#if LLVM_VERSION_MAJOR >= 14
using OptimizationLevel = llvm::OptimizationLevel;
#else
using OptimizationLevel = llvm::PassBuilder::OptimizationLevel;
#endif

// LLVM 16 added StringRef::starts_with/ends_with (the std::string_view
// names), LLVM 18 deprecated startswith/endswith, LLVM 19 removed them.
inline bool startsWith(llvm::StringRef S, llvm::StringRef Prefix)
{
#if LLVM_VERSION_MAJOR >= 16
	return S.starts_with(Prefix);
#else
	return S.startswith(Prefix);
#endif
}
inline bool endsWith(llvm::StringRef S, llvm::StringRef Suffix)
{
#if LLVM_VERSION_MAJOR >= 16
	return S.ends_with(Suffix);
#else
	return S.endswith(Suffix);
#endif
}

// The pointer type of the runtime's void * arguments: i8* under typed
// pointers (LLVM 13 to 16 can still run them), ptr otherwise.  LLVM 17
// removed typed pointers; LLVM 18 removed Type::getInt8PtrTy.
inline llvm::PointerType *bytePtrTy(llvm::LLVMContext &C)
{
#if LLVM_VERSION_MAJOR >= 17
	return llvm::PointerType::getUnqual(C);
#else
	return llvm::Type::getInt8PtrTy(C);
#endif
}

using ModulePassAdder = std::function<void(llvm::ModulePassManager &)>;

// The first extension point of every (non-LTO-backend) pipeline, -O0 too.
inline void onPipelineStart(llvm::PassBuilder &PB, ModulePassAdder Add)
{
	PB.registerPipelineStartEPCallback(
		[Add](llvm::ModulePassManager &MPM, OptimizationLevel) { Add(MPM); });
}

// The last extension point of a compile's optimizer (also of an -flto
// compile's pre-link pipeline).  LLVM 20 passes the ThinOrFullLTOPhase.
inline void onOptimizerLast(llvm::PassBuilder &PB, ModulePassAdder Add)
{
#if LLVM_VERSION_MAJOR >= 20
	PB.registerOptimizerLastEPCallback(
		[Add](llvm::ModulePassManager &MPM, OptimizationLevel, llvm::ThinOrFullLTOPhase) {
			Add(MPM);
		});
#else
	PB.registerOptimizerLastEPCallback(
		[Add](llvm::ModulePassManager &MPM, OptimizationLevel) { Add(MPM); });
#endif
}

// The end of the full-LTO link pipeline, for a plugin lld loads with
// --load-pass-plugin= (LLVM 15 and later; before, see LegacyLinkTimePass).
inline void onFullLTOLast(llvm::PassBuilder &PB, ModulePassAdder Add)
{
#if SCALL_LLVM_LEGACY_LTO
	(void)PB;
	(void)Add;
#else
	PB.registerFullLinkTimeOptimizationLastEPCallback(
		[Add](llvm::ModulePassManager &MPM, OptimizationLevel) { Add(MPM); });
#endif
}

// LLVM 13 and 14: Run at the end of lld's legacy full-LTO pipeline, from a
// static object (constructed when -mllvm -load= loads the library).  Later
// versions: nothing (onFullLTOLast).
using ModuleRunner = bool (*)(llvm::Module &);
#if SCALL_LLVM_LEGACY_LTO
struct LegacyLinkTimePass : llvm::ModulePass {
	static char ID;
	static ModuleRunner Run;
	LegacyLinkTimePass() : llvm::ModulePass(ID) {}
	bool runOnModule(llvm::Module &M) override { return Run(M); }
	llvm::StringRef getPassName() const override { return "scall (LTO link)"; }
};
inline char LegacyLinkTimePass::ID = 0;
inline ModuleRunner LegacyLinkTimePass::Run = nullptr;

struct LegacyLinkTime {
	llvm::RegisterStandardPasses Reg;
	explicit LegacyLinkTime(ModuleRunner R)
		: Reg(llvm::PassManagerBuilder::EP_FullLinkTimeOptimizationLast,
		      [](const llvm::PassManagerBuilder &, llvm::legacy::PassManagerBase &PM) {
			      PM.add(new LegacyLinkTimePass());
		      })
	{
		LegacyLinkTimePass::Run = R;
	}
};
#else
struct LegacyLinkTime {
	explicit LegacyLinkTime(ModuleRunner) {}
};
#endif

// What an -flto link must add to run the link-time half, as the linker of
// this version takes it; named by the marker symbol of an unlinked unit.
#if SCALL_LLVM_LEGACY_LTO
#define SCALL_LTO_LINK_FLAGS "-Wl,--lto-legacy-pass-manager,-mllvm,-load=scall-clang.so"
#else
#define SCALL_LTO_LINK_FLAGS "-Wl,--load-pass-plugin=scall-clang.so"
#endif

} // namespace scall_compat

#endif
