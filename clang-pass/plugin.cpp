// SPDX-License-Identifier: MIT
//
// plugin.cpp - the LLVM half of scall-clang.so (clang -fpass-plugin=): one
// run of the pass (runScall: keys, store conversion, call conversion, then
// the LTO marker or the emission), where the pipelines run it, the pass
// names opt takes, and the state the AST half hands over (shared.h).
//
// Runs: at the pipeline start (-O0 too; scall_cond is still a call of
// __scall_cond_target) to convert; last in the optimizer to convert what
// inlining exposed and to emit, or, in an -flto compile (the module carries
// the "ThinLTO" flag clang adds), to reference the LTO marker instead; and
// at the end of the full-LTO link to emit.  One run hands its state to the
// next through the !scall.* metadata (clang-pass/README.md).

#include "scall-clang.h"

#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"

using namespace llvm;

namespace scall_clang {

AstHandoff &astHandoff()
{
	static AstHandoff H;
	return H;
}

bool runScall(Module &M, Mode mode, bool WarnNoAst, bool LinkTime)
{
	Unit U(M, LinkTime);
	if (mode == Mode::Auto)
		// clang adds these flags to an -flto (full: both; thin:
		// EnableSplitLTOUnit) compile before running the pipeline.
		mode = M.getModuleFlag("ThinLTO") || M.getModuleFlag("EnableSplitLTOUnit")
			       ? Mode::PreLink : Mode::Emit;
	if (refuseCodeModel(M))
		return false;
	for (Function &F : M) {
		if (F.isDeclaration())
			continue;
		StringRef TF = F.getFnAttribute("target-features").getValueAsString();
		U.Retpoline |= TF.contains("+retpoline-indirect-branches");
		U.ExternalThunk |= TF.contains("+retpoline-external-thunk");
	}
	if (WarnNoAst)
		warnWithoutAstHalf(M);
	readTramps(U);
	collectKeys(U);
	bool Changed = convertStores(U);
	Changed |= convertCalls(U);
	// The count of the run whose conversion is final: the pipeline
	// start's would count calls that optimisation then gives a constant
	// index.
	if (mode != Mode::Convert)
		reportVarIndexCalls(U);
	if (mode == Mode::PreLink && !U.Tramps.empty())
		addLtoMarker(U);
	if (mode == Mode::Emit) {
		Changed |= removeLtoMarker(U);
		Changed |= emit(U);
	}
	return Changed;
}

} // namespace scall_clang

namespace {

using scall_clang::Mode;

struct ScallPass : PassInfoMixin<ScallPass> {
	Mode mode;
	bool WarnNoAst;
	bool LinkTime;
	explicit ScallPass(Mode m, bool WarnNoAst = false, bool LinkTime = false)
		: mode(m), WarnNoAst(WarnNoAst), LinkTime(LinkTime) {}
	PreservedAnalyses run(Module &M, ModuleAnalysisManager &)
	{
		return scall_clang::runScall(M, mode, WarnNoAst, LinkTime) ? PreservedAnalyses::none()
									   : PreservedAnalyses::all();
	}
	static bool isRequired() { return true; }
};

// The -flto link: the records, trampolines and header of the whole program,
// from the keys the compile-time runs listed.  How lld loads and runs it
// depends on the version (llvm-compat.h: a legacy pass registered when the
// object is loaded, or the full-LTO extension point).
bool runAtLink(Module &M)
{
	return scall_clang::runScall(M, Mode::Emit, /*WarnNoAst=*/false, /*LinkTime=*/true);
}
scall_compat::LegacyLinkTime RegisterLinkTime(runAtLink);

} // namespace

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo llvmGetPassPluginInfo()
{
	return {LLVM_PLUGIN_API_VERSION, "scall", "0.1.0", [](PassBuilder &PB) {
			scall_compat::onPipelineStart(PB, [](ModulePassManager &MPM) {
				MPM.addPass(ScallPass(Mode::Convert, /*WarnNoAst=*/true));
			});
			scall_compat::onOptimizerLast(PB, [](ModulePassManager &MPM) {
				MPM.addPass(ScallPass(Mode::Auto));
			});
			scall_compat::onFullLTOLast(PB, [](ModulePassManager &MPM) {
				MPM.addPass(ScallPass(Mode::Emit, /*WarnNoAst=*/false, /*LinkTime=*/true));
			});
			PB.registerPipelineParsingCallback(
				[](StringRef Name, ModulePassManager &MPM, ArrayRef<PassBuilder::PipelineElement>) {
					Mode m;
					if (Name == "scall")
						m = Mode::Emit;
					else if (Name == "scall-convert")
						m = Mode::Convert;
					else if (Name == "scall-prelink")
						m = Mode::PreLink;
					else if (Name == "scall-auto")
						m = Mode::Auto;
					else
						return false;
					MPM.addPass(ScallPass(m));
					return true;
				});
		}};
}
