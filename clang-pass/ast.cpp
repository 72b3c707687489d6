// SPDX-License-Identifier: MIT
//
// ast.cpp - the clang half of scall-clang.so (clang -fplugin=).
//
// IR has no source locations or syntax left to judge misuse, so the checks of
// the GCC plugin are made here, on the AST, each an error at file:line:col:
//   - SCALL_KEY (annotate("scall_key")) on anything but a function-pointer
//     variable with static storage duration;
//   - a store to a key (=, compound assignment, ++, --, and memcpy/memset/...
//     with &key as destination);
//   - &key anywhere except as an argument (through casts and parentheses) of
//     a call to a function whose name starts with "__scall_" (the scall.h
//     macros), unless -fplugin-arg-scall-allow-address.
// It also hands the names of extern keys to the IR pass (clang drops the
// annotation of a declaration that is not a definition).

#include "shared.h"

#include "clang/AST/ASTConsumer.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/Mangle.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/Diagnostic.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendPluginRegistry.h"
#include "clang/Lex/Preprocessor.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>
#include <vector>

using namespace clang;

namespace {

bool hasKeyAttr(const Decl *D)
{
	for (const Decl *R : D->redecls())
		for (const auto *A : R->specific_attrs<AnnotateAttr>())
			if (A->getAnnotation() == "scall_key")
				return true;
	return false;
}

const VarDecl *keyOf(const Expr *E)
{
	if (!E)
		return nullptr;
	const auto *DRE = dyn_cast<DeclRefExpr>(E->IgnoreParenImpCasts());
	if (!DRE)
		return nullptr;
	const auto *VD = dyn_cast<VarDecl>(DRE->getDecl());
	return VD && hasKeyAttr(VD) ? VD : nullptr;
}

bool isStoreFn(StringRef N)
{
	if (N.startswith("__builtin_"))
		N = N.drop_front(10);
	if (N.endswith("_chk") && N.startswith("__"))
		N = N.drop_front(2).drop_back(4);
	return N == "memcpy" || N == "memmove" || N == "memset" || N == "bzero" ||
	       N == "mempcpy" || N == "strcpy" || N == "strncpy";
}

class Checker : public RecursiveASTVisitor<Checker> {
	ASTContext &Ctx;
	DiagnosticsEngine &DE;
	bool AllowAddress;
	unsigned BadAttr, Store, Addr;

public:
	Checker(ASTContext &Ctx, bool AllowAddress)
		: Ctx(Ctx), DE(Ctx.getDiagnostics()), AllowAddress(AllowAddress)
	{
		BadAttr = DE.getCustomDiagID(DiagnosticsEngine::Error,
			"'scall_key' attribute: %0 is %1; a scall key must be a "
			"function-pointer variable with static storage duration");
		Store = DE.getCustomDiagID(DiagnosticsEngine::Error,
			"%0 scall key %1; use 'scall_update(%2, target)' to change "
			"its target (it also retargets the call sites)");
		Addr = DE.getCustomDiagID(DiagnosticsEngine::Error,
			"address of scall key %0 taken outside the scall.h macros; "
			"use 'scall_update' or 'scall_query', or build with "
			"'-fplugin-arg-scall-allow-address' and call 'scall_resync' "
			"after writing the key through the pointer");
	}

	bool VisitDecl(Decl *D)
	{
		bool Own = false;
		for (const auto *A : D->specific_attrs<AnnotateAttr>())
			if (A->getAnnotation() == "scall_key")
				Own = true;
		if (!Own)
			return true;
		const char *Why = nullptr;
		auto *VD = dyn_cast<VarDecl>(D);
		if (isa<FieldDecl>(D))
			Why = "a struct or union member";
		else if (isa<ParmVarDecl>(D))
			Why = "a parameter";
		else if (!VD)
			Why = "not a variable";
		else if (!VD->hasGlobalStorage())
			Why = "a variable with automatic storage duration";
		else if (VD->getTLSKind() != VarDecl::TLS_None)
			Why = "a thread-local variable";
		else if (!VD->getType()->isFunctionPointerType())
			Why = "not a function pointer";
		else if (VD->getType().isConstQualified())
			Why = "const (scall_update() must be able to store it)";
		if (Why) {
			auto B = DE.Report(D->getLocation(), BadAttr);
			if (auto *ND = dyn_cast<NamedDecl>(D))
				B << ND;
			else
				B << "the declaration";
			B << Why;
		}
		return true;
	}

	void storeError(SourceLocation L, const VarDecl *K, const char *How)
	{
		DE.Report(L, Store) << How << K << K->getName();
	}

	bool VisitBinaryOperator(BinaryOperator *BO)
	{
		if (BO->isAssignmentOp())
			if (const VarDecl *K = keyOf(BO->getLHS()))
				storeError(BO->getOperatorLoc(), K, "store to");
		return true;
	}

	bool VisitUnaryOperator(UnaryOperator *UO)
	{
		if (UO->isIncrementDecrementOp()) {
			if (const VarDecl *K = keyOf(UO->getSubExpr()))
				storeError(UO->getOperatorLoc(), K, "store to");
			return true;
		}
		if (UO->getOpcode() != UO_AddrOf)
			return true;
		const auto *DRE = dyn_cast<DeclRefExpr>(UO->getSubExpr()->IgnoreParens());
		if (!DRE)
			return true;
		const auto *K = dyn_cast<VarDecl>(DRE->getDecl());
		if (!K || !hasKeyAttr(K))
			return true;
		checkAddress(UO, K);
		return true;
	}

	bool VisitGCCAsmStmt(GCCAsmStmt *S)
	{
		for (unsigned i = 0; i < S->getNumOutputs(); i++)
			if (const VarDecl *K = keyOf(S->getOutputExpr(i)))
				storeError(S->getOutputExpr(i)->getExprLoc(), K, "asm output to");
		return true;
	}

	void checkAddress(const Expr *E, const VarDecl *K)
	{
		// Climb through parentheses and casts to the user of the address.
		DynTypedNode N = DynTypedNode::create(*E);
		const Expr *Child = E;
		for (;;) {
			auto Parents = Ctx.getParents(N);
			if (Parents.empty())
				return; // unevaluated (typeof) or not reachable
			const DynTypedNode &P = Parents[0];
			if (const auto *PE = P.get<Expr>()) {
				if (isa<ParenExpr>(PE) || isa<CastExpr>(PE)) {
					Child = PE;
					N = P;
					continue;
				}
				if (isa<UnaryExprOrTypeTraitExpr>(PE))
					return; // sizeof / alignof: unevaluated
				if (const auto *CE = dyn_cast<CallExpr>(PE)) {
					const FunctionDecl *FD = CE->getDirectCallee();
					unsigned Arg = ~0u;
					for (unsigned i = 0; i < CE->getNumArgs(); i++)
						if (CE->getArg(i) == Child)
							Arg = i;
					if (FD && Arg != ~0u) {
						StringRef Name = FD->getName();
						if (Name.startswith("__scall_"))
							return;
						if (Arg == 0 && isStoreFn(Name)) {
							storeError(E->getExprLoc(), K,
								   "store (via a string function) to");
							return;
						}
					}
				}
			}
			break;
		}
		if (!AllowAddress)
			DE.Report(E->getExprLoc(), Addr) << K;
	}

	// Unevaluated operands of typeof / _Generic's type: nothing to check.
	bool TraverseTypeOfExprTypeLoc(TypeOfExprTypeLoc) { return true; }
};

class Consumer : public ASTConsumer {
	bool AllowAddress;

public:
	explicit Consumer(bool AllowAddress) : AllowAddress(AllowAddress) {}

	void HandleTranslationUnit(ASTContext &Ctx) override
	{
		Checker(Ctx, AllowAddress).TraverseDecl(Ctx.getTranslationUnitDecl());
		// Hand every key with linkage to the IR pass.
		std::unique_ptr<MangleContext> MC(Ctx.createMangleContext());
		for (Decl *D : Ctx.getTranslationUnitDecl()->decls()) {
			auto *VD = dyn_cast<VarDecl>(D);
			if (!VD || !hasKeyAttr(VD) || !VD->hasExternalFormalLinkage())
				continue;
			std::string Name;
			if (MC->shouldMangleDeclName(VD)) {
				llvm::raw_string_ostream OS(Name);
				MC->mangleName(GlobalDecl(VD), OS);
			} else {
				Name = VD->getName().str();
			}
			if (!Name.empty() && Name[0] == '\1')
				Name.erase(0, 1);
			scall_clang::astKeyNames().insert(Name);
		}
	}
};

class Action : public PluginASTAction {
	bool AllowAddress = false;

protected:
	std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance &CI, StringRef) override
	{
		scall_clang::astPluginActive() = true;
		// Before the main file is entered: lets scall.h know the
		// toolchain is there (the GCC plugin has __has_attribute).
		Preprocessor &PP = CI.getPreprocessor();
		PP.setPredefines(PP.getPredefines() + "#define __SCALL_CLANG_PLUGIN__ 1\n");
		return std::make_unique<Consumer>(AllowAddress);
	}

	bool ParseArgs(const CompilerInstance &CI, const std::vector<std::string> &Args) override
	{
		for (const std::string &A : Args) {
			if (A == "allow-address") {
				AllowAddress = true;
			} else if (A == "verbose") {
				scall_clang::verbose() = true;
			} else {
				DiagnosticsEngine &DE = CI.getDiagnostics();
				DE.Report(DE.getCustomDiagID(DiagnosticsEngine::Error,
					"unknown option '-fplugin-arg-scall-%0'; the scall "
					"plugin knows 'allow-address' and 'verbose'")) << A;
				return false;
			}
		}
		return true;
	}

	ActionType getActionType() override { return AddBeforeMainAction; }
};

FrontendPluginRegistry::Add<Action> Registered("scall", "scall: checks the use of scall keys");

} // namespace
