// SPDX-License-Identifier: MIT
//
// ast.cpp - the clang half of scall-clang.so (clang -fplugin=).
//
// IR has no source locations or syntax left to judge misuse, so the checks of
// the GCC plugin are made here, on the AST, each an error at file:line:col:
//   - SCALL_KEY (annotate("scall_key")) on anything but a function-pointer
//     variable, a struct variable with a function-pointer member (a struct
//     key) or an array of either (an array of keys), with static storage
//     duration;
//   - a store to a key or to the part of a struct key that holds a key
//     member (=, compound assignment, ++, --, memcpy/memset/... and
//     __atomic_store with &key as destination), unless
//     -fplugin-arg-scall-convert-stores (the IR pass then converts it; a
//     store inside a loop gets the warning [scall-store-in-loop]);
//   - &key, &s or &s.inner holding a key member, &A[i] or an array of keys
//     used as a pointer (but for A[i] and *A) anywhere except as an
//     argument (through casts and parentheses) of a call to a function whose
//     name starts with "__scall_" (the scall.h macros), unless
//     -fplugin-arg-scall-allow-address or the key is SCALL_KEY_ESCAPES
//     (annotate("scall_key_escapes")).
// It also hands to the IR pass the names of extern keys (clang drops the
// annotation of a declaration that is not a definition), the key members of
// every struct key and array of keys (IR types cannot tell unions and
// bit-fields apart) and whether stores are converted.

#include "scall-clang.h"

#include "clang/AST/ASTConsumer.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/Mangle.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/RecordLayout.h"
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

bool hasAnnotation(const Decl *D, StringRef What)
{
	for (const Decl *R : D->redecls())
		for (const auto *A : R->specific_attrs<AnnotateAttr>())
			if (A->getAnnotation() == What)
				return true;
	return false;
}

bool hasKeyAttr(const Decl *D)
{
	return hasAnnotation(D, "scall_key");
}

// SCALL_KEY_ESCAPES: the address of this key may escape anywhere (the
// user's promise: scall_resync() after writing through it).
bool escapes(const Decl *D)
{
	return hasAnnotation(D, "scall_key_escapes");
}

scall_rules::type_class typeClass(QualType T)
{
	if (T->isFunctionPointerType())
		return scall_rules::type_class::fnptr;
	if (T->isStructureType())
		return scall_rules::type_class::strct;
	return scall_rules::type_class::other;
}

// Byte offsets of the key members of a struct type (the rule:
// scall_rules::field_role_of, as in the GCC plugin and scall-scan).
void keyMembers(const ASTContext &Ctx, QualType T, uint64_t Base, std::vector<uint64_t> &Out)
{
	const RecordType *RT = T->getAsStructureType();
	if (!RT)
		return;
	const RecordDecl *RD = RT->getDecl()->getDefinition();
	if (!RD || RD->isInvalidDecl())
		return;
	const ASTRecordLayout &L = Ctx.getASTRecordLayout(RD);
	for (const FieldDecl *F : RD->fields()) {
		scall_rules::field_role Role = scall_rules::field_role_of(typeClass(F->getType()), F->isBitField());
		if (Role == scall_rules::field_role::data)
			continue;
		uint64_t Off = Base + L.getFieldOffset(F->getFieldIndex()) / 8;
		if (Role == scall_rules::field_role::key_member)
			Out.push_back(Off);
		else
			keyMembers(Ctx, F->getType(), Off, Out);
	}
}

// What the pass is told of a struct key (its size and key members) or an
// array of keys (its size, 0 when unknown, its element's size and the key
// members of one element: docs/format.md "Arrays of keys"); false for a
// plain key, or a type whose layout is unknown.
bool keyLayout(const ASTContext &Ctx, const VarDecl *VD, scall_clang::StructKey &SK)
{
	QualType T = VD->getType();
	QualType ET = T->isArrayType() ? Ctx.getBaseElementType(T) : T;
	if (!ET->isFunctionPointerType() && !ET->isStructureType())
		return false;
	if (ET->isIncompleteType() || (ET->isStructureType() && ET->getAsStructureType()->getDecl()->isInvalidDecl()))
		return false;
	SK.Offsets.clear();
	if (ET->isFunctionPointerType())
		SK.Offsets.push_back(0);
	else
		keyMembers(Ctx, ET, 0, SK.Offsets);
	SK.Elem = 0;
	if (T->isArrayType())
		SK.Elem = Ctx.getTypeSizeInChars(ET).getQuantity();
	else if (ET->isFunctionPointerType())
		return false;
	SK.Size = T->isIncompleteType() ? 0 : Ctx.getTypeSizeInChars(T).getQuantity();
	return true;
}

// The key that the lvalue E designates, or whose key-holding bytes it
// covers (a member or nested struct of a struct key holding a key member,
// or the whole struct key); null for anything else, data members included.
const VarDecl *keyOf(const ASTContext &Ctx, const Expr *E)
{
	if (!E)
		return nullptr;
	E = E->IgnoreParenImpCasts();
	if (E->getType()->isIncompleteType())
		return nullptr;
	// [Off, Off + Size): the bytes of the current object that E covers.
	uint64_t Off = 0, Size = Ctx.getTypeSizeInChars(E->getType()).getQuantity();
	for (;;) {
		if (const auto *ME = dyn_cast<MemberExpr>(E)) {
			const auto *F = dyn_cast<FieldDecl>(ME->getMemberDecl());
			if (ME->isArrow() || !F || F->getParent()->isInvalidDecl())
				return nullptr; // (no layout for an invalid record)
			const ASTRecordLayout &L = Ctx.getASTRecordLayout(F->getParent());
			Off += L.getFieldOffset(F->getFieldIndex()) / 8;
			E = ME->getBase()->IgnoreParenImpCasts();
			continue;
		}
		if (const auto *AS = dyn_cast<ArraySubscriptExpr>(E)) {
			// The elements are alike: a constant index moves by whole
			// elements; a variable one is taken as element 0, the
			// same bytes of another element (for an array of keys the
			// rule looks at the offset within the element; an array
			// member of a struct key holds no key).
			const Expr *B = AS->getBase()->IgnoreParenImpCasts();
			if (!B->getType()->isArrayType() || AS->getType()->isIncompleteType())
				return nullptr;
			Expr::EvalResult R;
			if (AS->getIdx()->EvaluateAsInt(R, Ctx) && R.Val.getInt().isNonNegative())
				Off += R.Val.getInt().getZExtValue() *
				       Ctx.getTypeSizeInChars(AS->getType()).getQuantity();
			E = B;
			continue;
		}
		break;
	}
	const auto *DRE = dyn_cast<DeclRefExpr>(E);
	const auto *VD = DRE ? dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
	if (!VD || !hasKeyAttr(VD))
		return nullptr;
	scall_clang::StructKey SK{0, {}};
	if (!keyLayout(Ctx, VD, SK))
		return VD;
	return scall_clang::holdsKey(SK, Off, Size) ? VD : nullptr;
}

struct Options {
	bool AllowAddress = false;
	bool ConvertStores = false;
	bool LoopWarning = true;
};

class Checker : public RecursiveASTVisitor<Checker> {
	ASTContext &Ctx;
	DiagnosticsEngine &DE;
	Options Opt;
	unsigned BadAttr, Store, Addr, InLoop;

public:
	Checker(ASTContext &Ctx, const Options &Opt)
		: Ctx(Ctx), DE(Ctx.getDiagnostics()), Opt(Opt)
	{
		BadAttr = DE.getCustomDiagID(DiagnosticsEngine::Error,
			"'scall_key' attribute: %0 is %1; " SCALL_KEY_RULE_TEXT);
		Store = DE.getCustomDiagID(DiagnosticsEngine::Error,
			"%0 scall key %1; use 'scall_update(%2, target)' to change "
			"its target (it also retargets the call sites), or build with "
			"'-fplugin-arg-scall-convert-stores'");
		Addr = DE.getCustomDiagID(DiagnosticsEngine::Error,
			"address of scall key %0 taken outside the scall.h macros; "
			"declare it 'SCALL_KEY_ESCAPES', use 'scall_update' or "
			"'scall_query', or build with '-fplugin-arg-scall-allow-address', "
			"and call 'scall_resync' after writing the key through the "
			"pointer");
		// Custom diagnostics cannot be remapped: -Werror is applied here.
		InLoop = DE.getCustomDiagID(DE.getWarningsAsErrors() ? DiagnosticsEngine::Error
								     : DiagnosticsEngine::Warning,
			"converted store to scall key %0 inside a loop: each store "
			"costs a patch cycle (cross-core syncs), not a store; store "
			"once after the loop or use 'scall_update_batch' "
			"[scall-store-in-loop]");
	}

	bool VisitDecl(Decl *D)
	{
		bool Own = false;
		for (const auto *A : D->specific_attrs<AnnotateAttr>())
			if (A->getAnnotation() == "scall_key")
				Own = true;
		if (!Own)
			return true;
		scall_rules::decl_facts F = {};
		auto *VD = dyn_cast<VarDecl>(D);
		if (isa<FieldDecl>(D))
			F.what = scall_rules::decl_facts::field;
		else if (isa<ParmVarDecl>(D))
			F.what = scall_rules::decl_facts::parameter;
		else if (!VD)
			F.what = scall_rules::decl_facts::other;
		else
			F = varFacts(VD);
		if (const char *Why = scall_rules::key_problem(F)) {
			auto B = DE.Report(D->getLocation(), BadAttr);
			if (auto *ND = dyn_cast<NamedDecl>(D))
				B << ND;
			else
				B << "the declaration";
			B << Why;
		}
		return true;
	}

	scall_rules::decl_facts varFacts(const VarDecl *VD)
	{
		scall_rules::decl_facts F = {};
		QualType T = VD->getType();
		F.what = scall_rules::decl_facts::variable;
		F.static_storage = VD->hasGlobalStorage();
		F.thread_local_ = VD->getTLSKind() != VarDecl::TLS_None;
		// An array of keys: the rules look at its element type (with
		// the array's qualifiers).
		F.array = T->isArrayType();
		if (F.array)
			T = Ctx.getBaseElementType(T);
		F.is_const = T.isConstQualified();
		F.type = typeClass(T);
		if (F.type == scall_rules::type_class::strct) {
			// Not for an extern declaration of an opaque struct, nor
			// an invalid one (already an error).
			F.layout_known = !T->isIncompleteType() &&
					 !T->getAsStructureType()->getDecl()->isInvalidDecl();
			std::vector<uint64_t> M;
			if (F.layout_known)
				keyMembers(Ctx, T, 0, M);
			F.key_members = M.size();
		}
		return F;
	}

	void storeError(SourceLocation L, const VarDecl *K, const char *How)
	{
		DE.Report(L, Store) << How << K << K->getName();
	}

	// A store the IR pass will follow with __scall_stored(), or an error.
	void store(const Stmt *S, SourceLocation L, const VarDecl *K, const char *How)
	{
		if (!Opt.ConvertStores) {
			storeError(L, K, How);
			return;
		}
		if (Opt.LoopWarning && !DE.getIgnoreAllWarnings() && inLoop(S))
			DE.Report(L, InLoop) << K;
	}

	// Inside the body or condition of a for/while/do of its function (the
	// GCC plugin asks the CFG's loops; this sees the syntax, so the
	// do { } while (0) of a macro is no loop).
	bool inLoop(const Stmt *S)
	{
		DynTypedNode N = DynTypedNode::create(*S);
		for (;;) {
			auto Parents = Ctx.getParents(N);
			if (Parents.empty())
				return false;
			const DynTypedNode &P = Parents[0];
			if (const auto *FS = P.get<ForStmt>())
				return FS->getInit() != N.get<Stmt>();
			if (P.get<WhileStmt>())
				return true;
			if (const auto *DS = P.get<DoStmt>()) {
				bool Again = true;
				if (DS->getCond()->EvaluateAsBooleanCondition(Again, Ctx) && !Again) {
					N = P;
					continue;
				}
				return true;
			}
			if (P.get<Decl>() && !P.get<VarDecl>())
				return false; // the function (or a block): no loop
			N = P;
		}
	}

	bool VisitBinaryOperator(BinaryOperator *BO)
	{
		if (BO->isAssignmentOp())
			if (const VarDecl *K = keyOf(Ctx, BO->getLHS()))
				store(BO, BO->getOperatorLoc(), K, "store to");
		return true;
	}

	bool VisitUnaryOperator(UnaryOperator *UO)
	{
		if (UO->isIncrementDecrementOp()) {
			if (const VarDecl *K = keyOf(Ctx, UO->getSubExpr()))
				store(UO, UO->getOperatorLoc(), K, "store to");
			return true;
		}
		if (UO->getOpcode() != UO_AddrOf)
			return true;
		if (const VarDecl *K = keyOf(Ctx, UO->getSubExpr()))
			checkAddress(UO, K);
		return true;
	}

	// An array of keys used as a pointer is its address, but for an
	// element's access (A[i], *A), which it is as the subscript's base.
	bool VisitImplicitCastExpr(ImplicitCastExpr *ICE)
	{
		if (ICE->getCastKind() == CK_ArrayToPointerDecay)
			if (const VarDecl *K = keyOf(Ctx, ICE->getSubExpr()))
				checkAddress(ICE, K);
		return true;
	}

	bool VisitGCCAsmStmt(GCCAsmStmt *S)
	{
		for (unsigned i = 0; i < S->getNumOutputs(); i++)
			if (const VarDecl *K = keyOf(Ctx, S->getOutputExpr(i)))
				storeError(S->getOutputExpr(i)->getExprLoc(), K, "asm output to");
		return true;
	}

	// &key as the destination of __atomic_store_n / __atomic_store.
	bool atomicStore(const Expr *E, const Expr *Child, const VarDecl *K)
	{
		const auto *AE = dyn_cast<AtomicExpr>(E);
		if (!AE || AE->getPtr() != Child)
			return false;
		const char *Name = scall_rules::clang_atomic_store_name<AtomicExpr>(AE->getOp());
		const scall_rules::store_fn *SF = Name ? scall_rules::find_store_fn(Name) : nullptr;
		if (!SF || SF->kind != scall_rules::store_kind::atomic)
			return false;
		store(AE, AE->getExprLoc(), K, "atomic store to");
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
				if (const auto *CE = dyn_cast<CastExpr>(PE))
					if (CE->getCastKind() == CK_ToVoid)
						return; // discarded
				if (isa<ParenExpr>(PE) || isa<CastExpr>(PE)) {
					Child = PE;
					N = P;
					continue;
				}
				if (isa<UnaryExprOrTypeTraitExpr>(PE))
					return; // sizeof / alignof: unevaluated
				// An element's access through a decayed array.
				if (const auto *AS = dyn_cast<ArraySubscriptExpr>(PE))
					if (AS->getBase() == Child && isa<ImplicitCastExpr>(E))
						return;
				if (const auto *UO = dyn_cast<UnaryOperator>(PE))
					if (UO->getOpcode() == UO_Deref && isa<ImplicitCastExpr>(E))
						return;
				if (atomicStore(PE, Child, K))
					return;
				if (const auto *CE = dyn_cast<CallExpr>(PE)) {
					const FunctionDecl *FD = CE->getDirectCallee();
					unsigned Arg = ~0u;
					for (unsigned i = 0; i < CE->getNumArgs(); i++)
						if (CE->getArg(i) == Child)
							Arg = i;
					if (FD && Arg != ~0u) {
						StringRef Name = FD->getName();
						if (scall_compat::startsWith(Name, "__scall_"))
							return;
						const scall_rules::store_fn *SF =
							scall_rules::find_store_fn(Name.data(), Name.size());
						if (SF && Arg == (unsigned)SF->dst_arg) {
							const char *How = SF->kind == scall_rules::store_kind::atomic
										  ? "atomic store to"
										  : "store (via a string function) to";
							// The string functions are never converted.
							if (scall_rules::convertible(SF->kind))
								store(CE, E->getExprLoc(), K, How);
							else
								storeError(E->getExprLoc(), K, How);
							return;
						}
					}
				}
			}
			break;
		}
		if (!Opt.AllowAddress && !escapes(K))
			DE.Report(E->getExprLoc(), Addr) << K;
	}

	// Unevaluated operands of typeof / _Generic's type: nothing to check.
	bool TraverseTypeOfExprTypeLoc(TypeOfExprTypeLoc) { return true; }
};

// The name codegen gives a variable: its assembler name, or "fn.var" for a
// static local (CodeGenModule's static-local naming).
std::string irName(MangleContext &MC, const NamedDecl *D)
{
	std::string Name;
	if (const auto *VD = dyn_cast<VarDecl>(D); VD && VD->isStaticLocal()) {
		const auto *FD = dyn_cast<FunctionDecl>(VD->getDeclContext());
		if (!FD)
			return ""; // a block or a captured statement: not named here
		return irName(MC, FD) + "." + VD->getName().str();
	}
	if (MC.shouldMangleDeclName(D)) {
		llvm::raw_string_ostream OS(Name);
		if (const auto *FD = dyn_cast<FunctionDecl>(D))
			MC.mangleName(GlobalDecl(FD), OS);
		else
			MC.mangleName(GlobalDecl(cast<VarDecl>(D)), OS);
	} else {
		Name = D->getName().str();
	}
	if (!Name.empty() && Name[0] == '\1')
		Name.erase(0, 1);
	return Name;
}

// Hands every key with linkage, and every struct key's members, to the pass.
class Collector : public RecursiveASTVisitor<Collector> {
	ASTContext &Ctx;
	std::unique_ptr<MangleContext> MC;

public:
	explicit Collector(ASTContext &Ctx) : Ctx(Ctx), MC(Ctx.createMangleContext()) {}

	bool VisitVarDecl(VarDecl *VD)
	{
		if (!VD->hasGlobalStorage() || isa<ParmVarDecl>(VD) || !hasKeyAttr(VD))
			return true;
		std::string Name = irName(*MC, VD);
		if (Name.empty())
			return true;
		if (VD->hasExternalFormalLinkage())
			scall_clang::astHandoff().KeyNames.insert(Name);
		scall_clang::StructKey SK{0, {}};
		if ((VD->getType()->isArrayType() || !VD->getType()->isIncompleteType()) &&
		    keyLayout(Ctx, VD, SK))
			scall_clang::astHandoff().StructKeys[Name] = SK;
		return true;
	}
};

class Consumer : public ASTConsumer {
	Options Opt;

public:
	explicit Consumer(const Options &Opt) : Opt(Opt) {}

	void HandleTranslationUnit(ASTContext &Ctx) override
	{
		Checker(Ctx, Opt).TraverseDecl(Ctx.getTranslationUnitDecl());
		Collector(Ctx).TraverseDecl(Ctx.getTranslationUnitDecl());
	}
};

class Action : public PluginASTAction {
	Options Opt;

protected:
	std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance &CI, StringRef) override
	{
		scall_clang::astHandoff().Active = true;
		scall_clang::astHandoff().ConvertStores = Opt.ConvertStores;
		const CodeGenOptions &CG = CI.getCodeGenOpts();
		scall_clang::astHandoff().NoFunctionSections =
			!CG.FunctionSections && CG.BBSections == "none" && !CG.SplitMachineFunctions;
		// Before the main file is entered: lets scall.h know the
		// toolchain is there (the GCC plugin has __has_attribute).
		Preprocessor &PP = CI.getPreprocessor();
		PP.setPredefines(PP.getPredefines() + "#define __SCALL_CLANG_PLUGIN__ 1\n");
		return std::make_unique<Consumer>(Opt);
	}

	bool ParseArgs(const CompilerInstance &CI, const std::vector<std::string> &Args) override
	{
		for (const std::string &A : Args) {
			if (A == "allow-address") {
				Opt.AllowAddress = true;
			} else if (A == "verbose") {
				scall_clang::astHandoff().Verbose = true;
			} else if (A == "convert-stores") {
				Opt.ConvertStores = true;
			} else if (A == "no-store-in-loop-warning") {
				Opt.LoopWarning = false;
			} else {
				DiagnosticsEngine &DE = CI.getDiagnostics();
				DE.Report(DE.getCustomDiagID(DiagnosticsEngine::Error,
					"unknown option '-fplugin-arg-scall-%0'; the scall "
					"plugin knows 'allow-address', 'verbose', "
					"'convert-stores' and 'no-store-in-loop-warning'")) << A;
				return false;
			}
		}
		return true;
	}

	ActionType getActionType() override { return AddBeforeMainAction; }
};

FrontendPluginRegistry::Add<Action> Registered("scall", "scall: checks the use of scall keys");

} // namespace
