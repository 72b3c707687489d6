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
//     (annotate("scall_key_escapes"));
//   - a store into a static branch's key object (struct scall_branch_false,
//     _true, _key, or an aggregate holding one), under every option.
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
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <memory>
#include <optional>
#include <set>
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

// A place in a key: the key K and the byte offset Off that an lvalue
// designates or a pointer points at (Known false: somewhere in K, past a
// variable index); At: where its address was taken (for a local alias).
struct Place {
	const VarDecl *K = nullptr;
	uint64_t Off = 0;
	bool Known = true;
	SourceLocation At;
	bool same(const Place &O) const
	{
		return K == O.K && Known == O.Known && (!Known || Off == O.Off);
	}
};

// What lvalues and pointers designate of keys, local aliases included: a
// local pointer variable (automatic, not a parameter, not volatile) all of
// whose assigned values (null aside) point at one place of one key is that
// place (clang-pass/README.md "Local aliases"); the Checker makes sure it
// does not escape.  One with values of two places, or an alias and
// anything else, is no alias ("mixed"): assigning an alias to it is an
// escape.
class Places {
	ASTContext &Ctx;
	struct Assign {
		const VarDecl *V;
		const Expr *Value;
	};
	std::vector<Assign> Assigns;

public:
	std::map<const VarDecl *, Place> Alias;
	std::set<const VarDecl *> Mixed;

	explicit Places(ASTContext &Ctx) : Ctx(Ctx) {}

	static bool candidate(const VarDecl *VD)
	{
		return VD && VD->hasLocalStorage() && !isa<ParmVarDecl>(VD) &&
		       VD->getType()->isPointerType() && !VD->getType().isVolatileQualified();
	}

	// A candidate named by E (through parentheses), or null.
	static const VarDecl *varOf(const Expr *E)
	{
		const auto *DRE = E ? dyn_cast<DeclRefExpr>(E->IgnoreParens()) : nullptr;
		const auto *VD = DRE ? dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
		return candidate(VD) ? VD : nullptr;
	}

	const Place *aliasOf(const Expr *E) const
	{
		const VarDecl *VD = varOf(E);
		auto It = VD ? Alias.find(VD) : Alias.end();
		return It == Alias.end() ? nullptr : &It->second;
	}

	void addAssign(const VarDecl *V, const Expr *Value) { Assigns.push_back({V, Value}); }

	// Which candidates are aliases: to a fixed point, as a copy's value
	// depends on its source's.
	void solve()
	{
		for (bool Again = true; Again;) {
			Again = false;
			Alias.clear();
			for (bool Grew = true; Grew;) {
				Grew = false;
				for (const Assign &A : Assigns) {
					if (Mixed.count(A.V))
						continue;
					std::optional<Place> P = pointee(A.Value);
					if (!P)
						continue;
					auto It = Alias.find(A.V);
					if (It == Alias.end()) {
						Alias[A.V] = *P;
						Grew = true;
					} else if (!It->second.same(*P)) {
						Mixed.insert(A.V);
						Alias.erase(It);
						Again = true;
					}
				}
			}
			for (const Assign &A : Assigns)
				if (Alias.count(A.V) && !pointee(A.Value) &&
				    !A.Value->isNullPointerConstant(Ctx, Expr::NPC_ValueDependentIsNotNull)) {
					Mixed.insert(A.V);
					Again = true;
				}
		}
	}

	uint64_t sizeOf(QualType T) const
	{
		if (T->isIncompleteType() || T->isFunctionType())
			return 1; // GNU arithmetic on void * and function pointers
		return Ctx.getTypeSizeInChars(T).getQuantity();
	}

	// The place the pointer value E points at, or none: the address of a
	// key's lvalue, an array of keys decayed, an alias's value, through
	// parentheses, pointer casts, constant offsets and a ?: of one place.
	std::optional<Place> pointee(const Expr *E, unsigned Depth = 0) const
	{
		if (!E || Depth > 64)
			return std::nullopt;
		E = E->IgnoreParens();
		if (const auto *CE = dyn_cast<CastExpr>(E)) {
			switch (CE->getCastKind()) {
			case CK_ArrayToPointerDecay:
				return placeOf(CE->getSubExpr(), CE->getExprLoc(), Depth + 1);
			case CK_BitCast:
			case CK_NoOp:
			case CK_AddressSpaceConversion:
				return pointee(CE->getSubExpr(), Depth + 1);
			case CK_LValueToRValue:
				if (const Place *P = aliasOf(CE->getSubExpr()))
					return *P;
				return std::nullopt;
			default:
				return std::nullopt;
			}
		}
		if (const auto *UO = dyn_cast<UnaryOperator>(E))
			if (UO->getOpcode() == UO_AddrOf)
				return placeOf(UO->getSubExpr(), UO->getExprLoc(), Depth + 1);
		if (const auto *BO = dyn_cast<BinaryOperator>(E)) {
			if (BO->getOpcode() != BO_Add && BO->getOpcode() != BO_Sub)
				return std::nullopt;
			const Expr *Ptr = BO->getLHS(), *Int = BO->getRHS();
			if (!Ptr->getType()->isPointerType())
				std::swap(Ptr, Int);
			if (!Ptr->getType()->isPointerType() || !Int->getType()->isIntegerType())
				return std::nullopt;
			std::optional<Place> P = pointee(Ptr, Depth + 1);
			Expr::EvalResult R;
			if (!P || !Int->EvaluateAsInt(R, Ctx))
				return std::nullopt; // a variable offset is not followed
			int64_t C = R.Val.getInt().getExtValue() * (int64_t)sizeOf(Ptr->getType()->getPointeeType());
			P->Off += BO->getOpcode() == BO_Sub ? -C : C;
			return P;
		}
		if (const auto *CO = dyn_cast<ConditionalOperator>(E)) {
			std::optional<Place> A = pointee(CO->getTrueExpr(), Depth + 1);
			std::optional<Place> B = pointee(CO->getFalseExpr(), Depth + 1);
			if (A && B && A->same(*B))
				return A;
		}
		return std::nullopt;
	}

	// The place the lvalue E designates, or none.  Array elements are
	// alike: a constant index moves by whole elements, a variable one is
	// taken as element 0, the same bytes of another element (for an array
	// of keys the rule looks at the offset within the element; an array
	// member of a struct key holds no key); through a pointer, a variable
	// index leaves the offset unknown.
	std::optional<Place> placeOf(const Expr *E, SourceLocation At, unsigned Depth = 0) const
	{
		if (!E || Depth > 64)
			return std::nullopt;
		E = E->IgnoreParenImpCasts();
		uint64_t Off = 0;
		auto through = [&](const Expr *Ptr, bool Known) -> std::optional<Place> {
			std::optional<Place> P = pointee(Ptr, Depth + 1);
			if (P) {
				P->Off += Off;
				P->Known &= Known;
			}
			return P;
		};
		for (;;) {
			if (const auto *ME = dyn_cast<MemberExpr>(E)) {
				const auto *F = dyn_cast<FieldDecl>(ME->getMemberDecl());
				if (!F || F->getParent()->isInvalidDecl())
					return std::nullopt; // (no layout for an invalid record)
				const ASTRecordLayout &L = Ctx.getASTRecordLayout(F->getParent());
				Off += L.getFieldOffset(F->getFieldIndex()) / 8;
				if (ME->isArrow())
					return through(ME->getBase(), true);
				E = ME->getBase()->IgnoreParenImpCasts();
				continue;
			}
			if (const auto *AS = dyn_cast<ArraySubscriptExpr>(E)) {
				if (AS->getType()->isIncompleteType())
					return std::nullopt;
				Expr::EvalResult R;
				bool Const = AS->getIdx()->EvaluateAsInt(R, Ctx) && R.Val.getInt().isNonNegative();
				uint64_t Step = Const ? R.Val.getInt().getZExtValue() * sizeOf(AS->getType()) : 0;
				const Expr *B = AS->getBase()->IgnoreParenImpCasts();
				Off += Step;
				if (B->getType()->isArrayType()) {
					E = B;
					continue;
				}
				return through(AS->getBase(), Const);
			}
			if (const auto *UO = dyn_cast<UnaryOperator>(E); UO && UO->getOpcode() == UO_Deref)
				return through(UO->getSubExpr(), true);
			break;
		}
		const auto *DRE = dyn_cast<DeclRefExpr>(E);
		const auto *VD = DRE ? dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
		if (!VD || !hasKeyAttr(VD))
			return std::nullopt;
		return Place{VD, Off, true, At};
	}

	// The key that the lvalue E designates, or whose key-holding bytes it
	// covers (a member or nested struct of a struct key or array of keys
	// holding a key member, the whole key), directly or through a local
	// alias; null for anything else, data members included.
	const VarDecl *keyOf(const Expr *E) const
	{
		if (!E || E->IgnoreParenImpCasts()->getType()->isIncompleteType())
			return nullptr;
		std::optional<Place> P = placeOf(E, SourceLocation());
		if (!P)
			return nullptr;
		scall_clang::StructKey SK{0, {}};
		if (!P->Known || !keyLayout(Ctx, P->K, SK))
			return P->K;
		uint64_t Size = sizeOf(E->IgnoreParenImpCasts()->getType());
		return scall_clang::holdsKey(SK, P->Off, Size) ? P->K : nullptr;
	}
};

// The values assigned to local pointer variables (initializers and plain
// assignments), for Places::solve.
class AssignFinder : public RecursiveASTVisitor<AssignFinder> {
	Places &Pl;

public:
	explicit AssignFinder(Places &Pl) : Pl(Pl) {}
	bool VisitVarDecl(VarDecl *VD)
	{
		if (Places::candidate(VD) && VD->getInit())
			Pl.addAssign(VD, VD->getInit());
		return true;
	}
	bool VisitBinaryOperator(BinaryOperator *BO)
	{
		if (BO->getOpcode() == BO_Assign)
			if (const VarDecl *V = Places::varOf(BO->getLHS()))
				Pl.addAssign(V, BO->getRHS());
		return true;
	}
	bool TraverseTypeOfExprTypeLoc(TypeOfExprTypeLoc) { return true; }
};

// ---------------------------------------------------------------------------
// Static branches (issue 16): libscall alone writes a branch's key object
// (scall_branch_enable and the like); a store from compiled code would
// leave the branch's test sites in the state of the old count.  Nothing
// to convert: always an error, under every option (gcc-plugin/diagnose.cc).
// ---------------------------------------------------------------------------

// scall.h's branch key object types, by their tags.
bool isBranchType(QualType T)
{
	const auto *RT = T.isNull() ? nullptr : T->getAs<RecordType>();
	const IdentifierInfo *II = RT ? RT->getDecl()->getIdentifier() : nullptr;
	if (!II)
		return false;
	StringRef N = II->getName();
	return N == "scall_branch_key" || N == "scall_branch_false" || N == "scall_branch_true";
}

// A branch key object, or an aggregate (array, struct, union) holding one.
bool holdsBranch(const ASTContext &Ctx, QualType T, unsigned Depth = 0)
{
	if (T.isNull() || Depth > 8)
		return false;
	if (isBranchType(T))
		return true;
	if (const ArrayType *AT = Ctx.getAsArrayType(T))
		return holdsBranch(Ctx, AT->getElementType(), Depth + 1);
	const auto *RT = T->getAs<RecordType>();
	const RecordDecl *RD = RT ? RT->getDecl()->getDefinition() : nullptr;
	if (!RD)
		return false;
	for (const FieldDecl *F : RD->fields())
		if (holdsBranch(Ctx, F->getType(), Depth + 1))
			return true;
	return false;
}

// How the messages name what a pointer points at: `*p`, or `*pointer`.
std::string derefName(const Expr *Ptr)
{
	const auto *DRE = dyn_cast<DeclRefExpr>(Ptr->IgnoreParenCasts());
	return "*" + (DRE ? DRE->getDecl()->getName().str() : std::string("pointer"));
}

// An object any of whose bytes are a branch's: a branch, or a union
// holding one (a write to any of its members overwrites the branch).
bool coveredByBranch(const ASTContext &Ctx, QualType T)
{
	return isBranchType(T) || (T->isUnionType() && holdsBranch(Ctx, T));
}

// Does a store to the lvalue E write into a branch key object: is what it
// writes one, or does it hold one, or is one of the objects around it one
// (or a union holding one)?  Through a pointer likewise the pointee (a
// data member of a struct holding a branch, written through a pointer to
// that struct, is no store into the branch; the GCC plugin takes it for
// one).  *Name: the variable, or *p.
bool writesBranch(const ASTContext &Ctx, const Expr *E, std::string *Name)
{
	bool Hit = holdsBranch(Ctx, E->getType());
	auto through = [&](const Expr *Ptr) {
		Hit |= Ptr->getType()->isPointerType() &&
		       coveredByBranch(Ctx, Ptr->getType()->getPointeeType());
		*Name = derefName(Ptr);
		return Hit;
	};
	for (unsigned Depth = 0; E && Depth < 64; Depth++) {
		E = E->IgnoreParenImpCasts();
		Hit |= coveredByBranch(Ctx, E->getType());
		const Expr *Ptr = nullptr;
		if (const auto *ME = dyn_cast<MemberExpr>(E)) {
			if (!ME->isArrow()) {
				E = ME->getBase();
				continue;
			}
			Ptr = ME->getBase();
		} else if (const auto *AS = dyn_cast<ArraySubscriptExpr>(E)) {
			const Expr *B = AS->getBase()->IgnoreParenImpCasts();
			if (B->getType()->isArrayType()) {
				E = B;
				continue;
			}
			Ptr = AS->getBase();
		} else if (const auto *UO = dyn_cast<UnaryOperator>(E); UO && UO->getOpcode() == UO_Deref) {
			Ptr = UO->getSubExpr();
		} else {
			if (const auto *DRE = dyn_cast<DeclRefExpr>(E))
				*Name = DRE->getDecl()->getName().str();
			return Hit;
		}
		// (&x)->m and *&x are x.m and x.
		if (const auto *A = dyn_cast<UnaryOperator>(Ptr->IgnoreParenCasts());
		    A && A->getOpcode() == UO_AddrOf) {
			E = A->getSubExpr();
			continue;
		}
		return through(Ptr);
	}
	return Hit;
}

// The same for the address a call writes through (memcpy's destination,
// an atomic's object): &lvalue, a decayed array, a pointer to an object
// holding a branch, through parentheses, casts and offsets.
bool addrWritesBranch(const ASTContext &Ctx, const Expr *E, std::string *Name)
{
	for (unsigned Depth = 0; E && Depth < 64; Depth++) {
		E = E->IgnoreParens();
		if (const auto *UO = dyn_cast<UnaryOperator>(E); UO && UO->getOpcode() == UO_AddrOf)
			return writesBranch(Ctx, UO->getSubExpr(), Name);
		if (const auto *CE = dyn_cast<CastExpr>(E); CE && CE->getCastKind() == CK_ArrayToPointerDecay)
			return writesBranch(Ctx, CE->getSubExpr(), Name);
		if (E->getType()->isPointerType() && holdsBranch(Ctx, E->getType()->getPointeeType())) {
			*Name = derefName(E);
			return true;
		}
		if (const auto *CE = dyn_cast<CastExpr>(E)) {
			E = CE->getSubExpr();
			continue;
		}
		if (const auto *BO = dyn_cast<BinaryOperator>(E);
		    BO && (BO->getOpcode() == BO_Add || BO->getOpcode() == BO_Sub)) {
			E = BO->getLHS()->getType()->isPointerType() ? BO->getLHS() : BO->getRHS();
			continue;
		}
		return false;
	}
	return false;
}

// The atomic builtins that write their object: all but the loads
// (scall_branch_enabled is a relaxed __atomic_load_n).
bool atomicWrites(const AtomicExpr *AE)
{
	switch (AE->getOp()) {
	case AtomicExpr::AO__c11_atomic_load:
	case AtomicExpr::AO__atomic_load:
	case AtomicExpr::AO__atomic_load_n:
	case AtomicExpr::AO__opencl_atomic_load:
		return false;
	default:
		return true;
	}
}

// The builtins called as functions that write through their first
// argument: __sync_* and the __atomic_* that are no AtomicExpr
// (__atomic_test_and_set, __atomic_clear), as the GCC plugin's list.
bool builtinWritesFirstArg(const FunctionDecl *FD)
{
	if (!FD || !FD->getBuiltinID() || !FD->getIdentifier())
		return false;
	StringRef N = FD->getName();
	for (const char *Read : {"__atomic_load", "__atomic_always_lock_free", "__atomic_is_lock_free",
				 "__atomic_thread_fence", "__atomic_signal_fence", "__sync_synchronize"})
		if (scall_compat::startsWith(N, Read))
			return false;
	return scall_compat::startsWith(N, "__atomic_") || scall_compat::startsWith(N, "__sync_");
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
	const Places &Pl;
	unsigned BadAttr, Store, Addr, InLoop, BranchStore;

public:
	Checker(ASTContext &Ctx, const Options &Opt, const Places &Pl)
		: Ctx(Ctx), DE(Ctx.getDiagnostics()), Opt(Opt), Pl(Pl)
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
			"pointer%1");
		// Custom diagnostics cannot be remapped: -Werror is applied here.
		InLoop = DE.getCustomDiagID(DE.getWarningsAsErrors() ? DiagnosticsEngine::Error
								     : DiagnosticsEngine::Warning,
			"converted store to scall key %0 inside a loop: each store "
			"costs a patch cycle (cross-core syncs), not a store; store "
			"once after the loop or use 'scall_update_batch' "
			"[scall-store-in-loop]");
		BranchStore = DE.getCustomDiagID(DiagnosticsEngine::Error,
			"store to scall branch '%0'; use 'scall_branch_enable', "
			"'scall_branch_disable', 'scall_branch_inc' or "
			"'scall_branch_dec'");
	}

	// A store into a branch key object at L (the lvalue E, or the
	// address A a call writes through): an error.
	void branchStore(SourceLocation L, const Expr *E, const Expr *A = nullptr)
	{
		std::string Name = "?";
		if (E ? writesBranch(Ctx, E, &Name) : addrWritesBranch(Ctx, A, &Name))
			DE.Report(L, BranchStore) << Name;
	}

	bool VisitAtomicExpr(AtomicExpr *AE)
	{
		if (atomicWrites(AE))
			branchStore(AE->getExprLoc(), nullptr, AE->getPtr());
		return true;
	}

	bool VisitCallExpr(CallExpr *CE)
	{
		const FunctionDecl *FD = CE->getDirectCallee();
		if (!FD || !FD->getIdentifier())
			return true;
		StringRef Name = FD->getName();
		const scall_rules::store_fn *SF = scall_rules::find_store_fn(Name.data(), Name.size());
		int Dst = SF ? SF->dst_arg : builtinWritesFirstArg(FD) ? 0 : -1;
		if (Dst >= 0 && (unsigned)Dst < CE->getNumArgs())
			branchStore(CE->getExprLoc(), nullptr, CE->getArg(Dst));
		return true;
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
		if (!BO->isAssignmentOp())
			return true;
		branchStore(BO->getOperatorLoc(), BO->getLHS());
		if (const VarDecl *K = Pl.keyOf(BO->getLHS()))
			store(BO, BO->getOperatorLoc(), K, "store to");
		// p += n moves a local alias: its value is then no one place.
		if (BO->getOpcode() != BO_Assign)
			if (const Place *P = Pl.aliasOf(BO->getLHS()))
				escape(BO->getOperatorLoc(), P->K, P->At);
		return true;
	}

	bool VisitUnaryOperator(UnaryOperator *UO)
	{
		if (UO->isIncrementDecrementOp()) {
			branchStore(UO->getOperatorLoc(), UO->getSubExpr());
			if (const VarDecl *K = Pl.keyOf(UO->getSubExpr()))
				store(UO, UO->getOperatorLoc(), K, "store to");
			if (const Place *P = Pl.aliasOf(UO->getSubExpr()))
				escape(UO->getOperatorLoc(), P->K, P->At);
			return true;
		}
		if (UO->getOpcode() != UO_AddrOf)
			return true;
		// &p of a local alias: the pointer is no longer followed.
		if (const Place *P = Pl.aliasOf(UO->getSubExpr()))
			escape(UO->getExprLoc(), P->K, P->At);
		else if (const VarDecl *K = Pl.keyOf(UO->getSubExpr()))
			checkAddress(UO, K);
		return true;
	}

	// An array of keys used as a pointer is its address, as is the value
	// of a local alias: both are checked where they go (an element's
	// access A[i], *A, p->m is no escape).
	bool VisitImplicitCastExpr(ImplicitCastExpr *ICE)
	{
		if (ICE->getCastKind() == CK_ArrayToPointerDecay) {
			if (const VarDecl *K = Pl.keyOf(ICE->getSubExpr()))
				checkAddress(ICE, K);
		} else if (ICE->getCastKind() == CK_LValueToRValue) {
			if (const Place *P = Pl.aliasOf(ICE->getSubExpr()))
				checkAddress(ICE, P->K, P->At);
		}
		return true;
	}

	bool VisitGCCAsmStmt(GCCAsmStmt *S)
	{
		for (unsigned i = 0; i < S->getNumOutputs(); i++)
			branchStore(S->getOutputExpr(i)->getExprLoc(), S->getOutputExpr(i));
		for (unsigned i = 0; i < S->getNumOutputs(); i++)
			if (const VarDecl *K = Pl.keyOf(S->getOutputExpr(i)))
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

	// An address of key K escapes at L (Origin: where it was taken, when
	// that is another line).
	void escape(SourceLocation L, const VarDecl *K, SourceLocation Origin)
	{
		if (Opt.AllowAddress || escapes(K))
			return;
		std::string At;
		const SourceManager &SM = Ctx.getSourceManager();
		if (Origin.isValid()) {
			PresumedLoc O = SM.getPresumedLoc(Origin), H = SM.getPresumedLoc(L);
			if (O.isValid() && H.isValid() && O.getLine() != H.getLine())
				At = "; the address was taken at " +
				     llvm::sys::path::filename(O.getFilename()).str() + ":" +
				     std::to_string(O.getLine());
		}
		DE.Report(L, Addr) << K << At;
	}

	// E is an address of key K (&key..., a decayed array of keys, the
	// value of a local alias taken at Origin): climb through parentheses,
	// casts, constant offsets and ?: of one place to its user, which may
	// access through it (*p, p->m, p[i]), compare it, copy it into a
	// local alias, hand it to the scall.h macros or to a store function
	// (a store to the key as destination, a read as source); anything
	// else lets it escape.
	void checkAddress(const Expr *E, const VarDecl *K, SourceLocation Origin = SourceLocation())
	{
		DynTypedNode N = DynTypedNode::create(*E);
		const Expr *Child = E;
		for (;;) {
			auto Parents = Ctx.getParents(N);
			if (Parents.empty())
				return; // unevaluated (typeof) or not reachable
			const DynTypedNode &P = Parents[0];
			if (const auto *VD = P.get<VarDecl>()) {
				if (VD->getInit() == Child && Pl.Alias.count(VD))
					return; // a local alias's initializer
				break;
			}
			if (const auto *PE = P.get<Expr>()) {
				if (const auto *CE = dyn_cast<CastExpr>(PE)) {
					CastKind CK = CE->getCastKind();
					if (CK == CK_ToVoid || CK == CK_PointerToBoolean)
						return; // discarded, tested
					if (CK == CK_PointerToIntegral)
						break;
				}
				if (isa<ParenExpr>(PE) || isa<CastExpr>(PE)) {
					Child = PE;
					N = P;
					continue;
				}
				if (isa<UnaryExprOrTypeTraitExpr>(PE))
					return; // sizeof / alignof: unevaluated
				// An access through it.
				if (const auto *AS = dyn_cast<ArraySubscriptExpr>(PE))
					if (AS->getBase() == Child)
						return;
				if (const auto *ME = dyn_cast<MemberExpr>(PE))
					if (ME->isArrow() && ME->getBase() == Child)
						return;
				if (const auto *UO = dyn_cast<UnaryOperator>(PE))
					if (UO->getOpcode() == UO_Deref || UO->getOpcode() == UO_LNot)
						return;
				if (const auto *BO = dyn_cast<BinaryOperator>(PE)) {
					if (BO->isComparisonOp())
						return;
					if (BO->getOpcode() == BO_Assign && BO->getRHS() == Child) {
						const VarDecl *V = Places::varOf(BO->getLHS());
						if (V && Pl.Alias.count(V))
							return; // a copy into a local alias
						break;
					}
					// A constant offset: still the key.
					if ((BO->getOpcode() == BO_Add || BO->getOpcode() == BO_Sub) &&
					    Pl.pointee(BO)) {
						Child = PE;
						N = P;
						continue;
					}
					break;
				}
				if (const auto *CO = dyn_cast<ConditionalOperator>(PE)) {
					if (CO->getCond() != Child && Pl.pointee(CO)) {
						Child = PE;
						N = P;
						continue;
					}
					break;
				}
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
						// The source of memcpy and the like: a read.
						if (SF && Arg != (unsigned)SF->dst_arg &&
						    scall_rules::alias_may_pass_to(SF))
							return;
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
		escape(E->getExprLoc(), K, Origin);
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
		Places Pl(Ctx);
		AssignFinder(Pl).TraverseDecl(Ctx.getTranslationUnitDecl());
		Pl.solve();
		Checker(Ctx, Opt, Pl).TraverseDecl(Ctx.getTranslationUnitDecl());
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
