// SPDX-License-Identifier: MIT
//
// keys.cpp - what a scall key is to the pass: the keys of a module (the
// "scall_key" annotations, the AST half's names and struct keys, and
// !scall.keys / !scall.struct.keys from an earlier run, written back for
// the next), their names in trampoline names, and the one resolver that
// says what an access reaches of a key (resolveKey), for the converter and
// the store conversion alike.

#include "scall-clang.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Metadata.h"
#include "llvm/IR/Operator.h"
#include "llvm/Support/MD5.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

#include <vector>

using namespace llvm;

namespace scall_clang {

std::string hashSuffix(const Module &M, StringRef KeyName)
{
	MD5 H;
	H.update(M.getSourceFileName());
	H.update(StringRef("\0", 1));
	H.update(M.getModuleIdentifier());
	H.update(StringRef("\0", 1));
	H.update(KeyName);
	MD5::MD5Result R;
	H.final(R);
	return utohexstr(R.low(), /*LowerCase=*/true);
}

bool keyMemberAt(const StructKey &SK, uint64_t Off)
{
	if (SK.Elem) {
		if (SK.Size && Off >= SK.Size)
			return false;
		Off %= SK.Elem;
	}
	return scall_rules::member_at(SK.Offsets.begin(), SK.Offsets.end(), Off);
}

bool holdsKey(const StructKey &SK, uint64_t Off, uint64_t Len)
{
	auto B = SK.Offsets.begin(), E = SK.Offsets.end();
	if (!SK.Elem)
		return scall_rules::range_holds_key(B, E, Off, Len, true);
	// Every element has the same members: a range of a whole element or
	// more holds one; a shorter one lies in one element or two.
	if (Len >= SK.Elem)
		return true;
	uint64_t In = Off % SK.Elem;
	return scall_rules::range_holds_key(B, E, In, Len, true) ||
	       (In + Len > SK.Elem && scall_rules::range_holds_key(B, E, 0, In + Len - SK.Elem, true));
}

void keepAlive(Module &M, GlobalValue *GV)
{
	SmallVector<GlobalValue *, 16> Used;
	collectUsedGlobalVariables(M, Used, /*CompilerUsed=*/true);
	for (GlobalValue *U : Used)
		if (U == GV)
			return;
	appendToCompilerUsed(M, {GV});
}

namespace {

// A struct key whose members the AST half (or an earlier run) gave.
bool addStructKey(Unit &U, GlobalVariable *GV, const StructKey &SK)
{
	if (SK.Offsets.empty() || !GV->getValueType()->isSized())
		return false;
	StructKey K = SK;
	if (!K.Size) // (0 for an array of unknown size: stays unknown)
		K.Size = U.DL.getTypeAllocSize(GV->getValueType());
	U.Keys.Structs[GV] = K;
	return true;
}

// !scall.struct.keys = !{!{ptr @S, i64 size, i64 offset...}...} and
// !scall.array.keys = !{!{ptr @A, i64 size, i64 elem, i64 offset...}...},
// rebuilt.
void listStructKeys(Unit &U)
{
	if (U.Keys.Structs.empty())
		return;
	LLVMContext &C = U.M.getContext();
	Type *I64 = Type::getInt64Ty(C);
	NamedMDNode *NMD = U.M.getOrInsertNamedMetadata(md::StructKeys);
	NamedMDNode *AMD = U.M.getNamedMetadata(md::ArrayKeys);
	NMD->clearOperands(); // in place: the module prints the same each run
	if (AMD)
		AMD->clearOperands();
	for (auto &E : U.Keys.Structs) {
		std::vector<Metadata *> Ops{ValueAsMetadata::get(E.first),
					    ConstantAsMetadata::get(ConstantInt::get(I64, E.second.Size))};
		if (E.second.Elem)
			Ops.push_back(ConstantAsMetadata::get(ConstantInt::get(I64, E.second.Elem)));
		for (uint64_t O : E.second.Offsets)
			Ops.push_back(ConstantAsMetadata::get(ConstantInt::get(I64, O)));
		if (!E.second.Elem)
			NMD->addOperand(MDNode::get(C, Ops));
		else
			(AMD ? AMD : AMD = U.M.getOrInsertNamedMetadata(md::ArrayKeys))
				->addOperand(MDNode::get(C, Ops));
	}
}

} // namespace

void collectKeys(Unit &U)
{
	Module &M = U.M;
	std::map<std::string, StructKey> &Ast = astHandoff().StructKeys;
	auto add = [&](Value *V) {
		auto *GV = dyn_cast_or_null<GlobalVariable>(V ? V->stripPointerCasts() : nullptr);
		if (!GV || GV->isThreadLocal())
			return;
		if (GV->getValueType()->isPointerTy()) {
			U.Keys.Plain.insert(GV);
			return;
		}
		// (An opaque struct: an extern declaration whose address
		// alone is used; nothing to convert.)  An array of keys has
		// an array type, or a struct one when clang lays out its
		// initializer so.
		Type *VT = GV->getValueType();
		if (!(VT->isStructTy() || VT->isArrayTy()) || !VT->isSized() || U.Keys.isStruct(GV))
			return;
		auto It = Ast.find(GV->getName().str());
		if (It != Ast.end() && addStructKey(U, GV, It->second))
			return;
		// The AST half knows every struct key it compiled; one it
		// could not name would silently keep indirect calls and, worse,
		// unconverted stores.  (Without the AST half: documented.)
		if (astHandoff().Active)
			errorUnknownStructKey(M, GV);
	};
	// From an earlier run: plain keys in !scall.keys, struct keys with
	// their size and member offsets in !scall.struct.keys, arrays of keys
	// with their size, element size and member offsets in
	// !scall.array.keys.
	for (const char *Name : {md::StructKeys, md::ArrayKeys}) {
		NamedMDNode *NMD = M.getNamedMetadata(Name);
		bool Array = Name == md::ArrayKeys;
		for (unsigned n = 0; NMD && n < NMD->getNumOperands(); n++) {
			MDNode *N = NMD->getOperand(n);
			auto *VM = N->getNumOperands() >= 2u + Array
					   ? dyn_cast_or_null<ValueAsMetadata>(N->getOperand(0).get()) : nullptr;
			auto *GV = VM ? dyn_cast<GlobalVariable>(VM->getValue()->stripPointerCasts()) : nullptr;
			if (!GV)
				continue;
			StructKey SK{0, {}};
			for (unsigned i = 1; i < N->getNumOperands(); i++) {
				auto *C = mdconst::dyn_extract_or_null<ConstantInt>(N->getOperand(i));
				uint64_t V = C ? C->getZExtValue() : 0;
				if (i == 1)
					SK.Size = V;
				else if (i == 2 && Array)
					SK.Elem = V;
				else
					SK.Offsets.push_back(V);
			}
			if (!Array || SK.Elem)
				addStructKey(U, GV, SK);
		}
	}
	// At the LTO link, only the keys the compile-time runs listed: a unit
	// compiled without the pass converted no store, so its keys' calls
	// must stay indirect (its annotations are still in the merged IR).
	GlobalVariable *A = U.LinkTime ? nullptr : M.getGlobalVariable("llvm.global.annotations");
	if (A) {
		if (auto *CA = dyn_cast_or_null<ConstantArray>(A->hasInitializer() ? A->getInitializer() : nullptr)) {
			for (Value *Op : CA->operands()) {
				auto *CS = dyn_cast<ConstantStruct>(Op);
				if (!CS || CS->getNumOperands() < 2)
					continue;
				auto *Str = dyn_cast<GlobalVariable>(CS->getOperand(1)->stripPointerCasts());
				if (!Str || !Str->hasInitializer())
					continue;
				auto *CD = dyn_cast<ConstantDataSequential>(Str->getInitializer());
				if (CD && CD->isCString() && CD->getAsCString() == "scall_key")
					add(CS->getOperand(0));
			}
		}
	}
	for (const std::string &N : astHandoff().KeyNames)
		add(M.getNamedGlobal(N));
	for (auto &E : Ast) // static locals and file-statics too
		if (GlobalVariable *GV = M.getNamedGlobal(E.first))
			if (!U.Keys.isStruct(GV))
				addStructKey(U, GV, E.second);
	if (NamedMDNode *NMD = M.getNamedMetadata(md::Keys))
		for (MDNode *N : NMD->operands())
			if (N->getNumOperands() >= 1)
				if (auto *VM = dyn_cast_or_null<ValueAsMetadata>(N->getOperand(0).get()))
					add(VM->getValue());
	// Record them for later runs (LTO link, opt on the output) and keep
	// them: after conversion nothing in the IR may read a key any more.
	if (U.Keys.empty())
		return;
	SmallPtrSet<GlobalVariable *, 8> Listed;
	NamedMDNode *NMD = M.getOrInsertNamedMetadata(md::Keys);
	for (MDNode *N : NMD->operands())
		if (N->getNumOperands() >= 1)
			if (auto *VM = dyn_cast_or_null<ValueAsMetadata>(N->getOperand(0).get()))
				if (auto *GV = dyn_cast<GlobalVariable>(VM->getValue()))
					Listed.insert(GV);
	std::vector<GlobalVariable *> All(U.Keys.Plain.begin(), U.Keys.Plain.end());
	for (auto &E : U.Keys.Structs)
		All.push_back(E.first);
	for (GlobalVariable *K : All) {
		// A file-static key becomes a hidden global with a name unique
		// to this unit: the trampoline's R_X86_64_GOTPCREL must name the
		// key's own symbol (the assembler turns a relocation against a
		// local symbol into one against its section).  The LTO link may
		// internalize it again; it is promoted again, under the same name.
		if (K->hasLocalLinkage() && K->hasInitializer()) {
			if (!K->getName().contains(scall_rules::promoted_infix))
				K->setName(K->getName() + scall_rules::promoted_infix + hashSuffix(M, K->getName()));
			K->setLinkage(GlobalValue::ExternalLinkage);
			K->setVisibility(GlobalValue::HiddenVisibility);
			K->setDSOLocal(true);
		}
		if (U.Keys.isPlain(K) && !Listed.count(K))
			NMD->addOperand(MDNode::get(M.getContext(), {ValueAsMetadata::get(K)}));
		keepAlive(M, K);
	}
	listStructKeys(U);
}

// The key's name in trampoline names (scall_rules::key_name): K, or S__O
// for the member at offset O of struct key S; the unit suffix of a renamed
// file-static S (S.scall.<md5>) goes last: S__O.scall.<md5>.
std::string keyName(const Unit &U, KeyRef Key)
{
	StringRef KN = Key.GV->getName();
	if (scall_compat::startsWith(KN, "\1"))
		KN = KN.drop_front();
	size_t Dot = KN.find(scall_rules::promoted_infix);
	return scall_rules::key_name(KN.take_front(Dot).str(), U.Keys.isStruct(Key.GV), Key.Off,
				     Dot == StringRef::npos ? "" : KN.drop_front(Dot).str());
}

namespace {

// Local aliases (clang-pass/README.md "Local aliases"): where a pointer
// the function computes points, followed through casts, GEPs, PHIs,
// selects and -- at -O0, and at the pipeline start of -O2 where stores are
// converted -- the stack slot of a local pointer variable: an alloca only
// loaded from and stored to, whose every stored value has one origin (null
// aside).  The AST half has made sure such a pointer does not escape.
struct Origin {
	GlobalVariable *GV = nullptr;
	int64_t Off = 0;
	bool Known = true; // Off is exact
	bool None = true;  // no value yet (only null, or a cycle)
};

struct OriginWalk {
	const DataLayout &DL;
	SmallPtrSet<const Value *, 16> Path; // on the current path: a cycle
	unsigned Budget = 512;

	// Adds B's values to A; false when they point into two objects.
	static bool merge(Origin &A, const Origin &B)
	{
		if (B.None) {
			A.Known &= B.Known;
			return true;
		}
		if (A.None) {
			bool K = A.Known;
			A = B;
			A.Known &= K;
			return true;
		}
		if (A.GV != B.GV)
			return false;
		A.Known &= B.Known && A.Off == B.Off;
		return true;
	}

	// An alloca used only as the address of loads and stores (and of
	// lifetime markers, through a bitcast with typed pointers).
	static bool isSlot(const Value *AI, bool Cast = false)
	{
		for (const User *U : AI->users()) {
			if (const auto *BC = dyn_cast<BitCastInst>(U)) {
				if (Cast || !isSlot(BC, true))
					return false;
			} else if (Cast && !isa<IntrinsicInst>(U)) {
				return false;
			} else if (const auto *LI = dyn_cast<LoadInst>(U)) {
				if (LI->isVolatile())
					return false;
			} else if (const auto *SI = dyn_cast<StoreInst>(U)) {
				if (SI->getPointerOperand() != AI || SI->isVolatile())
					return false;
			} else if (const auto *II = dyn_cast<IntrinsicInst>(U)) {
				if (!II->isLifetimeStartOrEnd())
					return false;
			} else {
				return false;
			}
		}
		return true;
	}

	bool of(Value *V, Origin &O)
	{
		if (!Budget--)
			return false;
		V = V->stripPointerCasts();
		O = Origin();
		// Null, undef (a PHI's value on a path that never set it) or
		// another constant that is no global's address (an -O0
		// -ftrivial-auto-var-init pattern): no object.
		if (isa<ConstantPointerNull>(V) || isa<UndefValue>(V) ||
		    (isa<Constant>(V) && !isa<GlobalValue>(getUnderlyingObject(V))))
			return true;
		if (auto *GV = dyn_cast<GlobalVariable>(V)) {
			O.GV = GV;
			O.None = false;
			return true;
		}
		if (!Path.insert(V).second) {
			O.Known = false; // a cycle: adds no object, but moves
			return true;
		}
		bool Ok = step(V, O);
		Path.erase(V);
		return Ok;
	}

	bool step(Value *V, Origin &O)
	{
		if (auto *GEP = dyn_cast<GEPOperator>(V)) {
			if (!of(GEP->getPointerOperand(), O))
				return false;
			APInt C(DL.getIndexTypeSizeInBits(GEP->getType()), 0);
			if (GEP->accumulateConstantOffset(DL, C))
				O.Off += C.getSExtValue();
			else
				O.Known = false;
			return true;
		}
		auto all = [&](auto &&Values) {
			for (Value *In : Values) {
				Origin I;
				if (!of(In, I) || !merge(O, I))
					return false;
			}
			return true;
		};
		if (auto *PN = dyn_cast<PHINode>(V))
			return all(PN->incoming_values());
		if (auto *SI = dyn_cast<SelectInst>(V))
			return all(std::vector<Value *>{SI->getTrueValue(), SI->getFalseValue()});
		auto *LI = dyn_cast<LoadInst>(V);
		auto *AI = LI ? dyn_cast<AllocaInst>(LI->getPointerOperand()->stripPointerCasts()) : nullptr;
		if (!AI || LI->isVolatile() || !isSlot(AI))
			return false;
		std::vector<Value *> Stored;
		for (User *U : AI->users())
			if (auto *St = dyn_cast<StoreInst>(U))
				Stored.push_back(St->getValueOperand());
		return all(Stored);
	}
};

// The key object and offset Ptr points at through local aliases, or none.
Origin originOf(const Unit &U, Value *Ptr)
{
	OriginWalk W{U.DL, {}};
	Origin O;
	if (!W.of(Ptr, O) || O.None)
		return Origin();
	return O;
}

} // namespace

GlobalVariable *underlyingKeyObject(const Unit &U, Value *Ptr)
{
	if (auto *GV = dyn_cast<GlobalVariable>(getUnderlyingObject(Ptr)))
		return GV;
	return originOf(U, Ptr).GV;
}

namespace {

// The key member a read of ReadTy at Ptr is: a plain key, or a key member
// of a struct key at a constant offset (nested GEPs, or the struct's
// address itself for O = 0).
KeyRef memberAt(const Unit &U, Value *P, Type *ReadTy)
{
	auto *GV = dyn_cast<GlobalVariable>(P->stripPointerCasts());
	if (GV && U.Keys.isPlain(GV))
		return {GV, 0};
	APInt Off(U.DL.getIndexTypeSizeInBits(P->getType()), 0);
	GV = dyn_cast<GlobalVariable>(P->stripAndAccumulateConstantOffsets(U.DL, Off, true));
	int64_t O = Off.getSExtValue();
	if (!GV) { // through a local alias
		Origin A = originOf(U, P);
		if (!A.GV || !A.Known)
			return {};
		GV = A.GV;
		O = A.Off;
		if (U.Keys.isPlain(GV))
			return O == 0 && ReadTy->isPointerTy() ? KeyRef{GV, 0} : KeyRef{};
	}
	auto SK = U.Keys.Structs.find(GV);
	if (SK == U.Keys.Structs.end() || O < 0 || !ReadTy->isPointerTy() ||
	    U.DL.getTypeStoreSize(ReadTy) != 8)
		return {};
	if (keyMemberAt(SK->second, (uint64_t)O))
		return {GV, (uint64_t)O};
	return {};
}

// The global Ptr points into and the offset it points at; a variable
// index into an array member widens the access to the whole array (*Span
// bytes).  False when that cannot be bounded.
bool bytesOf(const DataLayout &DL, Value *Ptr, GlobalVariable *&GV, uint64_t &Off,
	     std::optional<uint64_t> &Span)
{
	Ptr = Ptr->stripPointerCasts();
	if ((GV = dyn_cast<GlobalVariable>(Ptr))) {
		Off = 0;
		return true;
	}
	auto *GEP = dyn_cast<GEPOperator>(Ptr);
	if (!GEP || !bytesOf(DL, GEP->getPointerOperand(), GV, Off, Span) || Span)
		return false;
	// The first index steps over whole objects: unbounded if variable.
	Type *Ty = GEP->getSourceElementType();
	auto Idx = GEP->idx_begin();
	auto *C = dyn_cast<ConstantInt>(*Idx);
	if (!C)
		return false;
	Off += C->getSExtValue() * DL.getTypeAllocSize(Ty).getFixedValue();
	for (++Idx; Idx != GEP->idx_end(); ++Idx) {
		C = dyn_cast<ConstantInt>(*Idx);
		if (auto *ST = dyn_cast<StructType>(Ty)) {
			Off += DL.getStructLayout(ST)->getElementOffset(C->getZExtValue());
			Ty = ST->getElementType(C->getZExtValue());
			continue;
		}
		auto *AT = dyn_cast<ArrayType>(Ty);
		if (!AT)
			return false;
		if (!C) {
			Span = DL.getTypeAllocSize(AT).getFixedValue();
			return true;
		}
		Ty = AT->getElementType();
		Off += C->getSExtValue() * DL.getTypeAllocSize(Ty).getFixedValue();
	}
	return true;
}

// The key whose key-holding bytes a write of Len bytes (unknown: none)
// at Ptr reaches: a plain key, or a struct key when the range overlaps one
// of its key members (a store to a data member is an ordinary store).
GlobalVariable *touchedKey(const Unit &U, Value *Ptr, std::optional<uint64_t> Len)
{
	GlobalVariable *GV = nullptr;
	uint64_t Off = 0;
	std::optional<uint64_t> Span;
	bool Known = bytesOf(U.DL, Ptr, GV, Off, Span) && (int64_t)Off >= 0;
	if (!Known) // somewhere in the object, perhaps
		GV = dyn_cast<GlobalVariable>(getUnderlyingObject(Ptr));
	if (!GV) { // through a local alias
		Origin A = originOf(U, Ptr);
		GV = A.GV;
		Known = A.Known && A.Off >= 0;
		Off = (uint64_t)A.Off;
	}
	if (!GV)
		return nullptr;
	if (U.Keys.isPlain(GV))
		return GV;
	auto SK = U.Keys.Structs.find(GV);
	if (SK == U.Keys.Structs.end())
		return nullptr;
	if (Span)
		Len = Span;
	if (!Known || !Len)
		return GV;
	return holdsKey(SK->second, Off, *Len) ? GV : nullptr;
}

} // namespace

// A call's callee must be exactly one key pointer at a constant offset (it
// names one trampoline); a store counts wherever it may reach key bytes,
// bounded through array members.  Hence two walks of the address, with the
// key tables and the member offsets in common.
KeyAccess resolveKey(const Unit &U, Value *Ptr, Type *ReadTy, std::optional<uint64_t> Len)
{
	KeyAccess A;
	if (ReadTy)
		A.Member = memberAt(U, Ptr, ReadTy);
	else
		A.Touched = touchedKey(U, Ptr, Len);
	return A;
}

} // namespace scall_clang
