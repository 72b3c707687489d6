// SPDX-License-Identifier: MIT
//
// diagnose.cpp - every message the pass itself prints: its errors (a code
// model it cannot serve, a struct key whose members it was not given, a
// store it cannot follow with a call), the warning for a compile without
// the AST half, and the -fplugin-arg-scall-verbose lines.  The misuse
// errors at file:line:col come from the AST half (ast.cpp), for IR has no
// syntax left to judge them.

#include "scall-clang.h"

#include "llvm/IR/DebugLoc.h"
#include "llvm/IR/Metadata.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace scall_clang {

bool refuseCodeModel(Module &M)
{
	if (!M.getCodeModel() || *M.getCodeModel() != CodeModel::Large)
		return false;
	M.getContext().emitError("scall: -mcmodel=large is not supported: a call site "
				 "cannot reach its trampoline with a rel32");
	return true;
}

// Compiled by clang with -fpass-plugin= only: extern keys lost their
// annotation and nothing checked the source.
void warnWithoutAstHalf(Module &M)
{
	if (astHandoff().Active || M.getNamedMetadata(md::Keys) || M.getNamedMetadata(md::Tramps))
		return;
	bool FromClang = false;
	if (NamedMDNode *Id = M.getNamedMetadata("llvm.ident"))
		for (MDNode *N : Id->operands())
			if (N->getNumOperands() && isa<MDString>(N->getOperand(0)) &&
			    cast<MDString>(N->getOperand(0))->getString().contains("clang"))
				FromClang = true;
	if (FromClang)
		errs() << M.getSourceFileName()
		       << ": warning: scall: -fpass-plugin=scall-clang.so without "
			  "-fplugin=scall-clang.so: calls through extern keys are not "
			  "converted and misuse is not diagnosed; pass both flags\n";
}

void errorUnknownStructKey(Module &M, GlobalVariable *GV)
{
	M.getContext().emitError("scall: struct key '" + GV->getName() +
				 "': its key members are unknown to the pass");
}

void errorStoreEndsBlock(Instruction *I, GlobalVariable *K)
{
	I->getContext().emitError(I, "scall: cannot convert this store to scall key '" +
				     K->getName() + "' (it ends a basic block: it may throw); "
				     "use 'scall_update'");
}

void reportCall(const Unit &U, CallBase *CB, KeyRef Key, Function *T)
{
	if (!astHandoff().Verbose)
		return;
	errs() << U.M.getSourceFileName();
	if (const DebugLoc &DL = CB->getDebugLoc())
		errs() << ":" << DL.getLine() << ":" << DL.getCol();
	errs() << ": scall: " << CB->getFunction()->getName() << ": call through key "
	       << keyName(U, Key) << " -> " << T->getName() << "\n";
}

void reportVarIndexCalls(const Unit &U)
{
	if (!astHandoff().Verbose || !U.VarIndexCalls)
		return;
	errs() << U.M.getSourceFileName() << ": scall: " << U.VarIndexCalls
	       << " calls through keys with a variable index left indirect\n";
}

void errorStoreUnknownSize(Instruction *I, GlobalVariable *K)
{
	I->getContext().emitError(I, "scall: cannot convert this store to scall key '" +
				     K->getName() + "' (an array of unknown size: declare it "
				     "with its size); use 'scall_update'");
}

void reportStore(const Unit &U, Instruction *I, GlobalVariable *K)
{
	if (!astHandoff().Verbose)
		return;
	errs() << U.M.getSourceFileName();
	if (const DebugLoc &DLoc = I->getDebugLoc())
		errs() << ":" << DLoc.getLine() << ":" << DLoc.getCol();
	errs() << ": scall: store in " << I->getFunction()->getName() << ": key " << K->getName()
	       << " converted\n";
}

} // namespace scall_clang
