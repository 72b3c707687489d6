// SPDX-License-Identifier: MIT
//
// pass.cpp - the LLVM half of scall-clang.so (clang -fpass-plugin=).
//
// 1. Keys: variables annotated "scall_key" (SCALL_KEY under clang), plus the
//    names the AST half recorded (extern declarations lose the annotation),
//    plus those listed in !scall.keys by an earlier run.  Struct keys: the
//    AST half's key member offsets, kept in !scall.struct.keys.
// 2. Conversion (every run): a call whose callee is a load of a key (or of
//    a key member of a struct key S at constant offset O: key "S__O")
//    becomes a direct call to the hidden trampoline declaration
//    __scall_tramp_K; a call whose callee is __scall_cond_target(key)
//    (scall_cond at -O0) or its inlined form (select key == null ?
//    __scall_nop : key) becomes a call to the cond trampoline
//    __scall_ctramp_K.  !scall.tramps maps each trampoline declaration to
//    its key, flags and member offset.
//    Store conversion (-fplugin-arg-scall-convert-stores, first run only,
//    marked by !scall.stores.converted): every store, memcpy/memset/memmove
//    or sret call writing a key, or key-holding bytes of a struct key, is
//    followed by __scall_stored(&key, sizeof key).
// 3. Emission (last run of a non-LTO compile, or at the LTO link): one
//    kind-4 (SCALL_KIND_UNRESOLVED) site record per call of a trampoline
//    (each call preceded by an empty convergent asm that keeps the backend
//    from copying it),
//    the trampolines, their records and the module header, as module-level
//    assembly between "# scall-begin" and "# scall-end" (regenerated on every
//    run, so running twice changes nothing).
// 4. LTO pre-link (the module carries the "ThinLTO" flag clang adds for
//    -flto): conversion only, plus a reference to a hidden undefined symbol
//    whose name tells the user to load the pass at the link; the link-time
//    run removes it.
// See docs/format.md for every byte emitted here.

#include "shared.h"
#include "llvm-compat.h"
#include "scall/format.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Mangler.h"
#include "llvm/IR/Operator.h"
#include "llvm/IR/Metadata.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"
#include "llvm/Support/MD5.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/Utils/Local.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

using namespace llvm;

namespace scall_clang {
std::set<std::string> &astKeyNames()
{
	static std::set<std::string> names;
	return names;
}
bool &astPluginActive()
{
	static bool active;
	return active;
}
bool &verbose()
{
	static bool on;
	return on;
}
std::map<std::string, StructKey> &astStructKeys()
{
	static std::map<std::string, StructKey> keys;
	return keys;
}
bool &convertStores()
{
	static bool on;
	return on;
}
} // namespace scall_clang

namespace {

const char *const MarkerName =
	"__scall_lto_link_needs_the_scall_pass:_full_-flto_(not_thin)_linked_with_" SCALL_LTO_LINK_FLAGS;
const char *const MarkerRef = "__scall_lto_marker_ref";
const char *const SiteRecPrefix = "__scall_sites.";
const char *const BlockBegin = "# scall-begin\n";
const char *const BlockEnd = "# scall-end\n";

enum class Mode {
	Convert, // convert calls only
	PreLink, // convert + LTO marker
	Emit,    // convert + records, trampolines, module header
	Auto,    // PreLink for an -flto compile, else Emit
};

const char *const StoredFn = "__scall_stored";

// A key: a plain key (Off 0), or the key member at byte offset Off of the
// struct key GV.
struct KeyRef {
	GlobalVariable *GV = nullptr;
	uint64_t Off = 0;
	explicit operator bool() const { return GV != nullptr; }
	bool operator==(const KeyRef &O) const { return GV == O.GV && Off == O.Off; }
};

struct Tramp {
	KeyRef Key;
	unsigned Flags;
};

class Scall {
	Module &M;
	const DataLayout &DL;
	SmallPtrSet<GlobalVariable *, 8> Keys;
	MapVector<GlobalVariable *, scall_clang::StructKey> StructKeys;
	MapVector<Function *, Tramp> Tramps;
	std::map<std::tuple<GlobalVariable *, uint64_t, unsigned>, Function *> TrampOf;
	bool WarnNoAst;
	bool LinkTime = false;
	bool Retpoline = false;
	bool ExternalThunk = false;

public:
	explicit Scall(Module &M, bool WarnNoAst = false, bool LinkTime = false)
		: M(M), DL(M.getDataLayout()), WarnNoAst(WarnNoAst), LinkTime(LinkTime) {}
	bool run(Mode mode);

private:
	void collectKeys();
	bool addStructKey(GlobalVariable *GV, const scall_clang::StructKey &SK);
	void listStructKeys();
	void collectTramps();
	bool convert();
	bool convertCall(CallBase *CB);
	KeyRef keyOfLoad(Value *V);
	bool matchCond(Value *V, KeyRef &Key);
	Function *getTramp(KeyRef Key, unsigned Flags, FunctionType *FTy);
	std::string keyName(KeyRef Key);
	bool convertStores();
	bool bytesOf(Value *Ptr, GlobalVariable *&GV, uint64_t &Off, std::optional<uint64_t> &Span);
	GlobalVariable *storedKey(Value *Ptr, std::optional<uint64_t> Len);
	bool insertStored(Instruction *I, GlobalVariable *K);
	void keepAlive(GlobalValue *GV);
	void addMarker();
	bool removeMarker();
	bool emit();
	std::string sym(const GlobalValue *GV);
	Function *siteFunction(Function &F);
};

// The symbol a kind-4 record names.  A record is PC-relative; against a
// preemptible function (default visibility in -fPIC code) the linker would
// resolve it to the PLT.  Such a function becomes an internal body (a local
// symbol, F.scall) under a global alias with F's name, linkage and
// visibility: the same address and the same interposition semantics.
Function *Scall::siteFunction(Function &F)
{
	bool SharedObject = M.getPICLevel() != PICLevel::NotPIC && M.getPIELevel() == PIELevel::Default;
	if (!SharedObject || F.isDSOLocal() || F.hasLocalLinkage() || F.hasComdat() ||
	    F.isInterposable())
		return &F;
	std::string Name = F.getName().str();
	GlobalValue::LinkageTypes L = F.getLinkage();
	GlobalValue::VisibilityTypes V = F.getVisibility();
	F.setName(Name + ".scall");
	auto *GA = GlobalAlias::create(F.getValueType(), F.getAddressSpace(), L, Name, &F, &M);
	GA->setVisibility(V);
	GA->setUnnamedAddr(F.getUnnamedAddr());
	F.replaceUsesWithIf(GA, [&](Use &U) { return U.getUser() != GA; });
	F.setLinkage(GlobalValue::InternalLinkage);
	F.setVisibility(GlobalValue::DefaultVisibility);
	F.setDSOLocal(true);
	return &F;
}

bool isNop(Value *V)
{
	auto *F = dyn_cast<Function>(V->stripPointerCasts());
	return F && F->getName() == "__scall_nop";
}

bool isCondTargetFn(const Function *F)
{
	if (!F)
		return false;
	StringRef N = F->getName();
	return N == "__scall_cond_target" || scall_compat::startsWith(N, "__scall_cond_target.");
}

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

void Scall::collectKeys()
{
	std::map<std::string, scall_clang::StructKey> &Ast = scall_clang::astStructKeys();
	auto add = [&](Value *V) {
		auto *GV = dyn_cast_or_null<GlobalVariable>(V ? V->stripPointerCasts() : nullptr);
		if (!GV || GV->isThreadLocal())
			return;
		if (GV->getValueType()->isPointerTy()) {
			Keys.insert(GV);
			return;
		}
		// (An opaque struct: an extern declaration whose address
		// alone is used; nothing to convert.)
		if (!GV->getValueType()->isStructTy() || !GV->getValueType()->isSized() ||
		    StructKeys.count(GV))
			return;
		auto It = Ast.find(GV->getName().str());
		if (It != Ast.end() && addStructKey(GV, It->second))
			return;
		// The AST half knows every struct key it compiled; one it
		// could not name would silently keep indirect calls and, worse,
		// unconverted stores.  (Without the AST half: documented.)
		if (scall_clang::astPluginActive())
			M.getContext().emitError("scall: struct key '" + GV->getName() +
						 "': its key members are unknown to the pass");
	};
	// From an earlier run: plain keys in !scall.keys, struct keys with
	// their size and member offsets in !scall.struct.keys.
	if (NamedMDNode *NMD = M.getNamedMetadata("scall.struct.keys"))
		for (MDNode *N : NMD->operands()) {
			auto *VM = N->getNumOperands() >= 2
					   ? dyn_cast_or_null<ValueAsMetadata>(N->getOperand(0).get()) : nullptr;
			auto *GV = VM ? dyn_cast<GlobalVariable>(VM->getValue()->stripPointerCasts()) : nullptr;
			if (!GV)
				continue;
			scall_clang::StructKey SK{0, {}};
			for (unsigned i = 1; i < N->getNumOperands(); i++) {
				auto *C = mdconst::dyn_extract_or_null<ConstantInt>(N->getOperand(i));
				uint64_t V = C ? C->getZExtValue() : 0;
				if (i == 1)
					SK.Size = V;
				else
					SK.Offsets.push_back(V);
			}
			addStructKey(GV, SK);
		}
	// At the LTO link, only the keys the compile-time runs listed: a unit
	// compiled without the pass converted no store, so its keys' calls
	// must stay indirect (its annotations are still in the merged IR).
	GlobalVariable *A = LinkTime ? nullptr : M.getGlobalVariable("llvm.global.annotations");
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
	for (const std::string &N : scall_clang::astKeyNames())
		add(M.getNamedGlobal(N));
	for (auto &E : Ast) // static locals and file-statics too
		if (GlobalVariable *GV = M.getNamedGlobal(E.first))
			if (!StructKeys.count(GV))
				addStructKey(GV, E.second);
	if (NamedMDNode *NMD = M.getNamedMetadata("scall.keys"))
		for (MDNode *N : NMD->operands())
			if (N->getNumOperands() >= 1)
				if (auto *VM = dyn_cast_or_null<ValueAsMetadata>(N->getOperand(0).get()))
					add(VM->getValue());
	// Record them for later runs (LTO link, opt on the output) and keep
	// them: after conversion nothing in the IR may read a key any more.
	if (Keys.empty() && StructKeys.empty())
		return;
	SmallPtrSet<GlobalVariable *, 8> Listed;
	NamedMDNode *NMD = M.getOrInsertNamedMetadata("scall.keys");
	for (MDNode *N : NMD->operands())
		if (N->getNumOperands() >= 1)
			if (auto *VM = dyn_cast_or_null<ValueAsMetadata>(N->getOperand(0).get()))
				if (auto *GV = dyn_cast<GlobalVariable>(VM->getValue()))
					Listed.insert(GV);
	std::vector<GlobalVariable *> All(Keys.begin(), Keys.end());
	for (auto &E : StructKeys)
		All.push_back(E.first);
	for (GlobalVariable *K : All) {
		// A file-static key becomes a hidden global with a name unique
		// to this unit: the trampoline's R_X86_64_GOTPCREL must name the
		// key's own symbol (the assembler turns a relocation against a
		// local symbol into one against its section).  The LTO link may
		// internalize it again; it is promoted again, under the same name.
		if (K->hasLocalLinkage() && K->hasInitializer()) {
			if (!K->getName().contains(".scall."))
				K->setName(K->getName() + ".scall." + hashSuffix(M, K->getName()));
			K->setLinkage(GlobalValue::ExternalLinkage);
			K->setVisibility(GlobalValue::HiddenVisibility);
			K->setDSOLocal(true);
		}
		if (Keys.count(K) && !Listed.count(K))
			NMD->addOperand(MDNode::get(M.getContext(), {ValueAsMetadata::get(K)}));
		keepAlive(K);
	}
	listStructKeys();
}

// A struct key whose members the AST half (or an earlier run) gave.
bool Scall::addStructKey(GlobalVariable *GV, const scall_clang::StructKey &SK)
{
	if (SK.Offsets.empty() || !GV->getValueType()->isSized())
		return false;
	scall_clang::StructKey K = SK;
	if (!K.Size)
		K.Size = DL.getTypeAllocSize(GV->getValueType());
	StructKeys[GV] = K;
	return true;
}

// !scall.struct.keys = !{!{ptr @S, i64 size, i64 offset...}...}, rebuilt.
void Scall::listStructKeys()
{
	if (StructKeys.empty())
		return;
	LLVMContext &C = M.getContext();
	Type *I64 = Type::getInt64Ty(C);
	NamedMDNode *NMD = M.getOrInsertNamedMetadata("scall.struct.keys");
	NMD->clearOperands(); // in place: the module prints the same each run
	for (auto &E : StructKeys) {
		std::vector<Metadata *> Ops{ValueAsMetadata::get(E.first),
					    ConstantAsMetadata::get(ConstantInt::get(I64, E.second.Size))};
		for (uint64_t O : E.second.Offsets)
			Ops.push_back(ConstantAsMetadata::get(ConstantInt::get(I64, O)));
		NMD->addOperand(MDNode::get(C, Ops));
	}
}

void Scall::keepAlive(GlobalValue *GV)
{
	SmallVector<GlobalValue *, 16> Used;
	collectUsedGlobalVariables(M, Used, /*CompilerUsed=*/true);
	for (GlobalValue *U : Used)
		if (U == GV)
			return;
	appendToCompilerUsed(M, {GV});
}

void Scall::collectTramps()
{
	NamedMDNode *NMD = M.getNamedMetadata("scall.tramps");
	if (!NMD)
		return;
	for (MDNode *N : NMD->operands()) {
		if (N->getNumOperands() < 3)
			continue;
		auto *FM = dyn_cast_or_null<ValueAsMetadata>(N->getOperand(0).get());
		auto *KM = dyn_cast_or_null<ValueAsMetadata>(N->getOperand(1).get());
		auto *CM = dyn_cast_or_null<ConstantAsMetadata>(N->getOperand(2).get());
		if (!FM || !KM || !CM)
			continue;
		auto *F = dyn_cast<Function>(FM->getValue()->stripPointerCasts());
		auto *K = dyn_cast<GlobalVariable>(KM->getValue()->stripPointerCasts());
		auto *C = dyn_cast<ConstantInt>(CM->getValue());
		if (!F || !K || !C || Tramps.count(F))
			continue;
		unsigned Fl = (unsigned)C->getZExtValue();
		// A struct key's member: its offset (absent: a plain key).
		uint64_t Off = 0;
		bool Member = N->getNumOperands() >= 4;
		if (Member)
			if (auto *O = mdconst::dyn_extract_or_null<ConstantInt>(N->getOperand(3)))
				Off = O->getZExtValue();
		Tramps.insert({F, {{K, Off}, Fl}});
		TrampOf.insert({{K, Off, Fl}, F});
		if (!Member)
			Keys.insert(K);
	}
}

// The key's name in trampoline names: K, or S__O for the member at offset
// O of struct key S (docs/format.md "Names"); the unit suffix of a renamed
// file-static S (S.scall.<md5>) goes last: S__O.scall.<md5>.
std::string Scall::keyName(KeyRef Key)
{
	StringRef KN = Key.GV->getName();
	if (scall_compat::startsWith(KN, "\1"))
		KN = KN.drop_front();
	if (!StructKeys.count(Key.GV))
		return KN.str();
	size_t Dot = KN.find(".scall.");
	std::string Member = "__" + utostr(Key.Off);
	if (Dot == StringRef::npos)
		return KN.str() + Member;
	return KN.take_front(Dot).str() + Member + KN.drop_front(Dot).str();
}

Function *Scall::getTramp(KeyRef Key, unsigned Flags, FunctionType *FTy)
{
	auto It = TrampOf.find({Key.GV, Key.Off, Flags});
	if (It != TrampOf.end())
		return It->second;
	std::string KN = keyName(Key);
	std::string Name = (Flags & SCALL_TRAMP_COND) ? SCALL_SYM_CTRAMP_PREFIX : SCALL_SYM_TRAMP_PREFIX;
	Name += KN;
	if (Key.GV->hasLocalLinkage())
		Name += "." + hashSuffix(M, KN);
	Function *F = M.getFunction(Name);
	if (!F) {
		F = Function::Create(FTy, GlobalValue::ExternalLinkage, Name, M);
		F->setVisibility(GlobalValue::HiddenVisibility);
		F->setDSOLocal(true);
	}
	LLVMContext &C = M.getContext();
	std::vector<Metadata *> Ops{ValueAsMetadata::get(F), ValueAsMetadata::get(Key.GV),
		ConstantAsMetadata::get(ConstantInt::get(Type::getInt32Ty(C), Flags))};
	if (StructKeys.count(Key.GV))
		Ops.push_back(ConstantAsMetadata::get(ConstantInt::get(Type::getInt64Ty(C), Key.Off)));
	M.getOrInsertNamedMetadata("scall.tramps")->addOperand(MDNode::get(C, Ops));
	Tramps.insert({F, {Key, Flags}});
	TrampOf.insert({{Key.GV, Key.Off, Flags}, F});
	return F;
}

// The key a load reads: a plain key, or a key member of a struct key at a
// constant offset (nested GEPs, or the struct's address itself for O = 0).
KeyRef Scall::keyOfLoad(Value *V)
{
	auto *LI = dyn_cast<LoadInst>(V->stripPointerCasts());
	if (!LI || LI->isVolatile())
		return {};
	Value *P = LI->getPointerOperand();
	auto *GV = dyn_cast<GlobalVariable>(P->stripPointerCasts());
	if (GV && Keys.count(GV))
		return {GV, 0};
	APInt Off(DL.getIndexTypeSizeInBits(P->getType()), 0);
	GV = dyn_cast<GlobalVariable>(P->stripAndAccumulateConstantOffsets(DL, Off, true));
	auto SK = GV ? StructKeys.find(GV) : StructKeys.end();
	if (SK == StructKeys.end() || Off.isNegative() || !LI->getType()->isPointerTy() ||
	    DL.getTypeStoreSize(LI->getType()) != 8)
		return {};
	for (uint64_t O : SK->second.Offsets)
		if (O == Off.getZExtValue())
			return {GV, O};
	return {};
}

// scall_cond after inlining: key == null ? __scall_nop : key (or its
// mirror image), as a select or a two-way phi.
bool Scall::matchCond(Value *V, KeyRef &Key)
{
	if (auto *CI = dyn_cast<CallInst>(V)) {
		if (!isCondTargetFn(CI->getCalledFunction()) || CI->arg_size() != 1)
			return false;
		Key = keyOfLoad(CI->getArgOperand(0));
		return bool(Key);
	}
	if (auto *S = dyn_cast<SelectInst>(V)) {
		auto *Cmp = dyn_cast<ICmpInst>(S->getCondition());
		if (!Cmp || !Cmp->isEquality())
			return false;
		Value *A = Cmp->getOperand(0)->stripPointerCasts();
		Value *B = Cmp->getOperand(1)->stripPointerCasts();
		if (isa<ConstantPointerNull>(A))
			std::swap(A, B);
		if (!isa<ConstantPointerNull>(B))
			return false;
		KeyRef KC = keyOfLoad(A);
		Value *OnNull = Cmp->getPredicate() == ICmpInst::ICMP_EQ ? S->getTrueValue() : S->getFalseValue();
		Value *OnKey = Cmp->getPredicate() == ICmpInst::ICMP_EQ ? S->getFalseValue() : S->getTrueValue();
		if (!KC || !isNop(OnNull) || !(keyOfLoad(OnKey) == KC))
			return false;
		Key = KC;
		return true;
	}
	if (auto *P = dyn_cast<PHINode>(V)) {
		if (P->getNumIncomingValues() != 2)
			return false;
		for (unsigned i = 0; i < 2; i++)
			if (isNop(P->getIncomingValue(i)))
				if (KeyRef K = keyOfLoad(P->getIncomingValue(1 - i))) {
					Key = K;
					return true;
				}
	}
	return false;
}

bool Scall::convertCall(CallBase *CB)
{
	if (CB->isInlineAsm() || CB->getCalledFunction())
		return false;
	Value *Callee = CB->getCalledOperand();
	Value *V = Callee->stripPointerCasts();
	if (isa<Function>(V))
		return false; // a cast direct call (already converted)
	KeyRef Key = keyOfLoad(V);
	unsigned Flags = 0;
	if (!Key) {
		if (!matchCond(V, Key))
			return false;
		Flags = SCALL_TRAMP_COND;
	}
	if (Retpoline)
		Flags |= SCALL_TRAMP_RETPOLINE;
	FunctionType *FTy = CB->getFunctionType();
	Function *T = getTramp(Key, Flags, FTy);
	Constant *NewCallee = T;
	if (T->getType() != Callee->getType())
		NewCallee = ConstantExpr::getBitCast(T, Callee->getType());
	CB->setCalledFunction(FTy, NewCallee);
	if (scall_clang::verbose()) {
		errs() << M.getSourceFileName();
		if (const DebugLoc &DL = CB->getDebugLoc())
			errs() << ":" << DL.getLine() << ":" << DL.getCol();
		errs() << ": scall: " << CB->getFunction()->getName() << ": call through key "
		       << keyName(Key) << " -> " << T->getName() << "\n";
	}
	// Drop what fed the old callee once it is dead.
	if (auto *I = dyn_cast<Instruction>(Callee)) {
		SmallVector<Instruction *, 4> Work{I};
		while (!Work.empty()) {
			Instruction *J = Work.pop_back_val();
			if (!J->use_empty() || !J->getParent())
				continue;
			auto *CI = dyn_cast<CallInst>(J);
			if (!(CI && isCondTargetFn(CI->getCalledFunction())) &&
			    !isInstructionTriviallyDead(J))
				continue;
			for (Value *Op : J->operands())
				if (auto *OI = dyn_cast<Instruction>(Op))
					Work.push_back(OI);
			J->eraseFromParent();
		}
	}
	return true;
}

bool Scall::convert()
{
	bool Changed = false;
	for (Function &F : M) {
		if (F.isDeclaration() || F.hasFnAttribute(Attribute::Naked))
			continue;
		std::vector<CallBase *> Calls;
		for (BasicBlock &BB : F)
			for (Instruction &I : BB)
				if (auto *CB = dyn_cast<CallBase>(&I))
					Calls.push_back(CB);
		for (CallBase *CB : Calls)
			Changed |= convertCall(CB);
	}
	// The -O0 body of the header's static inline __scall_cond_target is
	// dead once its calls are converted.
	for (Function &F : make_early_inc_range(M))
		if (isCondTargetFn(&F) && F.hasLocalLinkage() && F.use_empty()) {
			F.eraseFromParent();
			Changed = true;
		}
	return Changed;
}

// The global Ptr points into and the offset it points at; a variable
// index into an array member widens the access to the whole array (*Span
// bytes).  False when that cannot be bounded.
bool Scall::bytesOf(Value *Ptr, GlobalVariable *&GV, uint64_t &Off, std::optional<uint64_t> &Span)
{
	Ptr = Ptr->stripPointerCasts();
	if ((GV = dyn_cast<GlobalVariable>(Ptr))) {
		Off = 0;
		return true;
	}
	auto *GEP = dyn_cast<GEPOperator>(Ptr);
	if (!GEP || !bytesOf(GEP->getPointerOperand(), GV, Off, Span) || Span)
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
GlobalVariable *Scall::storedKey(Value *Ptr, std::optional<uint64_t> Len)
{
	GlobalVariable *GV = nullptr;
	uint64_t Off = 0;
	std::optional<uint64_t> Span;
	bool Known = bytesOf(Ptr, GV, Off, Span) && (int64_t)Off >= 0;
	if (!Known) // somewhere in the object, perhaps
		GV = dyn_cast<GlobalVariable>(getUnderlyingObject(Ptr));
	if (!GV)
		return nullptr;
	if (Keys.count(GV))
		return GV;
	auto SK = StructKeys.find(GV);
	if (SK == StructKeys.end())
		return nullptr;
	if (Span)
		Len = Span;
	if (!Known || !Len)
		return GV;
	for (uint64_t O : SK->second.Offsets)
		if (O + 8 > Off && O < Off + *Len)
			return GV;
	return nullptr;
}

// __scall_stored(&K, sizeof K) right after the store I (docs/format.md
// "Converted stores"), unless it is there already.
bool Scall::insertStored(Instruction *I, GlobalVariable *K)
{
	if (auto *Next = dyn_cast_or_null<CallInst>(I->getNextNode()))
		if (Function *F = Next->getCalledFunction())
			if (F->getName() == StoredFn && Next->arg_size() == 2 &&
			    Next->getArgOperand(0)->stripPointerCasts() == K)
				return false;
	Function *Fn = I->getFunction();
	if (!isa<CallInst>(I) && I->isTerminator()) {
		M.getContext().emitError(I, "scall: cannot convert this store to scall key '" +
					    K->getName() + "' (it ends a basic block: it may throw); "
					    "use 'scall_update'");
		return false;
	}
	LLVMContext &C = M.getContext();
	Type *I8P = scall_compat::bytePtrTy(C), *I64 = Type::getInt64Ty(C);
	FunctionCallee Stored = M.getOrInsertFunction(
		StoredFn, FunctionType::get(Type::getInt32Ty(C), {I8P, I64}, false));
	uint64_t Size = Keys.count(K) ? DL.getTypeAllocSize(K->getValueType()).getFixedValue()
				      : StructKeys.lookup(K).Size;
	IRBuilder<> B(I->getNextNode());
	B.SetCurrentDebugLocation(I->getDebugLoc());
	CallInst *CI = B.CreateCall(Stored, {B.CreatePointerCast(K, I8P), ConstantInt::get(I64, Size)});
	CI->setDoesNotThrow();
	if (scall_clang::verbose()) {
		errs() << M.getSourceFileName();
		if (const DebugLoc &DLoc = I->getDebugLoc())
			errs() << ":" << DLoc.getLine() << ":" << DLoc.getCol();
		errs() << ": scall: store in " << Fn->getName() << ": key " << K->getName()
		       << " converted\n";
	}
	return true;
}

bool isMemFnName(StringRef N)
{
	return N == "memcpy" || N == "memmove" || N == "memset" || N == "bzero" ||
	       N == "mempcpy" || N == "__memcpy_chk" || N == "__memmove_chk" ||
	       N == "__memset_chk" || N == "__mempcpy_chk";
}

// -fplugin-arg-scall-convert-stores (or !scall.convert.stores in a test):
// the stores to keys that the AST half let through, as the front end
// emitted them.  Only once per module: later runs would find the stores of
// an optimised memcpy, and the call after them is already there.
bool Scall::convertStores()
{
	if (!(scall_clang::convertStores() || M.getNamedMetadata("scall.convert.stores")) ||
	    M.getNamedMetadata("scall.stores.converted"))
		return false;
	M.getOrInsertNamedMetadata("scall.stores.converted");
	if (Keys.empty() && StructKeys.empty())
		return true;
	std::vector<std::pair<Instruction *, GlobalVariable *>> Work;
	for (Function &F : M) {
		if (F.isDeclaration())
			continue;
		for (Instruction &I : instructions(F)) {
			GlobalVariable *K = nullptr;
			if (auto *SI = dyn_cast<StoreInst>(&I)) {
				K = storedKey(SI->getPointerOperand(),
					      DL.getTypeStoreSize(SI->getValueOperand()->getType()).getFixedValue());
			} else if (auto *MI = dyn_cast<MemIntrinsic>(&I)) {
				std::optional<uint64_t> Len;
				if (auto *CL = dyn_cast<ConstantInt>(MI->getLength()))
					Len = CL->getZExtValue();
				K = storedKey(MI->getRawDest(), Len);
			} else if (auto *CB = dyn_cast<CallBase>(&I)) {
				Function *Callee = CB->getCalledFunction();
				if (Callee && isMemFnName(Callee->getName()) && CB->arg_size())
					K = storedKey(CB->getArgOperand(0), std::nullopt);
				// A struct returned into the key (ops = make_ops()).
				for (unsigned i = 0; !K && i < CB->arg_size(); i++)
					if (CB->paramHasAttr(i, Attribute::StructRet))
						K = storedKey(CB->getArgOperand(i), std::nullopt);
			}
			if (K)
				Work.push_back({&I, K});
		}
	}
	for (auto &W : Work)
		insertStored(W.first, W.second);
	return true;
}

void Scall::addMarker()
{
	if (M.getNamedGlobal(MarkerRef))
		return;
	LLVMContext &C = M.getContext();
	auto *Marker = cast<GlobalVariable>(M.getOrInsertGlobal(MarkerName, Type::getInt8Ty(C)));
	Marker->setVisibility(GlobalValue::HiddenVisibility);
	Marker->setDSOLocal(true);
	// Also name the registration functions, so that the link keeps a
	// bitcode definition of them for the module asm emitted at the link.
	Type *VoidFn = FunctionType::get(Type::getVoidTy(C), false);
	Type *I8P = scall_compat::bytePtrTy(C);
	std::vector<Constant *> Refs{ConstantExpr::getBitCast(Marker, I8P)};
	for (const char *N : {SCALL_SYM_REGISTER, SCALL_SYM_UNREGISTER})
		Refs.push_back(ConstantExpr::getBitCast(
			cast<Constant>(M.getOrInsertFunction(N, cast<FunctionType>(VoidFn)).getCallee()), I8P));
	ArrayType *AT = ArrayType::get(I8P, Refs.size());
	auto *Ref = new GlobalVariable(M, AT, true, GlobalValue::PrivateLinkage,
				       ConstantArray::get(AT, Refs), MarkerRef);
	appendToCompilerUsed(M, {Ref});
}

bool Scall::removeMarker()
{
	// One reference per pre-linked unit (renamed .1, .2, ... by the link).
	bool Changed = false;
	for (GlobalVariable &Ref : M.globals()) {
		if (!scall_compat::startsWith(Ref.getName(), MarkerRef) || !Ref.hasInitializer() ||
		    Ref.getInitializer()->isNullValue())
			continue;
		Ref.setInitializer(Constant::getNullValue(Ref.getValueType()));
		Changed = true;
	}
	if (GlobalVariable *Marker = M.getNamedGlobal(MarkerName)) {
		Marker->removeDeadConstantUsers();
		if (Marker->use_empty())
			Marker->eraseFromParent();
	}
	for (const char *N : {SCALL_SYM_REGISTER, SCALL_SYM_UNREGISTER})
		if (Function *F = M.getFunction(N)) {
			F->removeDeadConstantUsers();
			if (F->use_empty() && F->isDeclaration())
				F->eraseFromParent();
		}
	return Changed;
}

std::string Scall::sym(const GlobalValue *GV)
{
	SmallString<64> S;
	Mangler().getNameWithPrefix(S, GV, false);
	bool Plain = !S.empty() && !isDigit(S[0]);
	for (char c : S)
		if (!isAlnum(c) && c != '_' && c != '.' && c != '$')
			Plain = false;
	if (Plain)
		return std::string(S.str());
	std::string Q = "\"";
	for (char c : S) {
		if (c == '"' || c == '\\')
			Q += '\\';
		Q += c;
	}
	return Q + "\"";
}

// movq O(%r11), %r11: the key's load, O the member offset of a struct key
// (0 for a plain key).  As bytes, in the forms of docs/format.md
// "Trampolines", whatever the assembler would choose.
std::string memberLoad(uint64_t Off)
{
	if (Off == 0)
		return "\tmovq (%r11), %r11\n";
	if (Off < 128)
		return "\t.byte 0x4d, 0x8b, 0x5b, " + utostr(Off) + "\n";
	return "\t.byte 0x4d, 0x8b, 0x9b\n\t.long " + utostr(Off) + "\n";
}

// One record per IR call is exact only if the backend never copies a
// converted call: its tail duplication (TailDuplicator: the tail-duplicate
// passes and block placement) copies a small block that ends in a tail call
// into its predecessors, and scall-ld would find more sites than records.
// An empty asm with the convergent attribute just before the call (no bytes:
// the string is a comment) stops it, for SelectionDAG carries the attribute
// into the INLINEASM and the TailDuplicator refuses a block holding a
// convergent instruction.  (The branch folder's tail merging also stops at
// inline asm, so calls it used to merge keep a site each.)  It goes in where
// the records are made, after every IR pass that could copy or merge calls.
const char *const SiteMarkerAsm = "# scall: converted call, never duplicated";

bool isSiteMarker(const Instruction *I)
{
	auto *CI = dyn_cast_or_null<CallInst>(I);
	auto *IA = CI ? dyn_cast<InlineAsm>(CI->getCalledOperand()) : nullptr;
	return IA && IA->getAsmString() == SiteMarkerAsm && CI->isConvergent();
}

// A tail call that begins its block (so nothing before it can split the
// block), whose only predecessor ends in a conditional branch on a
// comparison, needs no marker, and must not have one: its machine block has
// one predecessor, with two successors, and the TailDuplicator copies only
// into predecessors with one successor; at -Os the branch folder turns such
// a block (nothing but the tail call, one predecessor) into a conditional
// tail call, `jcc tramp` in the predecessor, which the marker would forbid.
// Not after an and/or condition or a switch: lowered into several branches
// to the block.
bool needsNoMarker(const CallBase *CB)
{
	auto *CI = dyn_cast<CallInst>(CB);
	const BasicBlock *BB = CB->getParent();
	const BasicBlock *Pred = BB->getSinglePredecessor();
	auto *Br = Pred ? dyn_cast<BranchInst>(Pred->getTerminator()) : nullptr;
	if (!CI || !CI->isTailCall() || !Br || !Br->isConditional() || !isa<ICmpInst>(Br->getCondition()))
		return false;
	for (const Instruction &I : *BB)
		if (!isa<PHINode>(I) && !isa<DbgInfoIntrinsic>(I))
			return &I == CB;
	return false;
}

bool markSite(CallBase *CB)
{
	if (isSiteMarker(CB->getPrevNode()) || needsNoMarker(CB))
		return false;
	LLVMContext &C = CB->getContext();
	InlineAsm *IA = InlineAsm::get(FunctionType::get(Type::getVoidTy(C), false), SiteMarkerAsm, "",
				       /*hasSideEffects=*/true);
	IRBuilder<> B(CB);
	CallInst *Marker = B.CreateCall(FunctionCallee(IA->getFunctionType(), IA));
	Marker->setConvergent();
	Marker->setDoesNotThrow();
	return true;
}

bool Scall::emit()
{
	std::string Out;
	raw_string_ostream OS(Out);
	bool NoPlt = false;
	if (auto *MD = mdconst::extract_or_null<ConstantInt>(M.getModuleFlag("RtLibUseGOT")))
		NoPlt = MD->getZExtValue() != 0;

	// Site records: one kind-4 record per call of a trampoline, in the
	// order of the IR; scall-ld matches them to the instructions.  They
	// are IR globals with !associated (SHF_LINK_ORDER to the function's
	// section: dropped with the code by --gc-sections, also under
	// -z start-stop-gc), because module asm comes before any function.
	SmallPtrSet<GlobalValue *, 8> OldRecs;
	for (GlobalVariable &G : M.globals())
		if (scall_compat::startsWith(G.getName(), SiteRecPrefix) && G.getSection() == SCALL_SECTION_SITES)
			OldRecs.insert(&G);
	if (!OldRecs.empty()) {
		SmallVector<GlobalValue *, 16> UsedList, Keep;
		if (GlobalVariable *U = collectUsedGlobalVariables(M, UsedList, true)) {
			U->eraseFromParent();
			for (GlobalValue *G : UsedList)
				if (!OldRecs.count(G))
					Keep.push_back(G);
			if (!Keep.empty())
				appendToCompilerUsed(M, Keep);
		}
		for (GlobalValue *G : OldRecs)
			G->eraseFromParent();
	}
	LLVMContext &C = M.getContext();
	Type *I32 = Type::getInt32Ty(C), *I64 = Type::getInt64Ty(C);
	StructType *RecTy = StructType::get(I32, I32, I32);
	SmallPtrSet<Function *, 8> Used;
	std::vector<GlobalValue *> Recs;
	bool Changed = false;
	for (Function &F : M) {
		if (F.isDeclaration() || F.hasAvailableExternallyLinkage() ||
		    F.hasFnAttribute(Attribute::Naked))
			continue;
		std::vector<Function *> Called;
		for (BasicBlock &BB : F)
			for (Instruction &I : BB)
				if (auto *CB = dyn_cast<CallBase>(&I)) {
					auto *T = dyn_cast<Function>(CB->getCalledOperand()->stripPointerCasts());
					if (T && Tramps.count(T)) {
						Called.push_back(T);
						Changed |= markSite(CB);
					}
				}
		if (Called.empty())
			continue;
		Function *S = siteFunction(F);
		ArrayType *AT = ArrayType::get(RecTy, Called.size());
		auto *G = new GlobalVariable(M, AT, true, GlobalValue::PrivateLinkage, nullptr,
					     SiteRecPrefix + F.getName());
		auto rel = [&](Constant *Target, unsigned i, unsigned field) {
			Constant *Idx[] = {ConstantInt::get(I32, 0), ConstantInt::get(I32, i),
					   ConstantInt::get(I32, field)};
			Constant *Here = ConstantExpr::getInBoundsGetElementPtr(AT, G, Idx);
			return ConstantExpr::getTrunc(
				ConstantExpr::getSub(ConstantExpr::getPtrToInt(Target, I64),
						     ConstantExpr::getPtrToInt(Here, I64)), I32);
		};
		std::vector<Constant *> Elems;
		for (unsigned i = 0; i < Called.size(); i++) {
			Elems.push_back(ConstantStruct::get(RecTy, {rel(S, i, 0), rel(Called[i], i, 1),
				ConstantInt::get(I32, SCALL_KIND_UNRESOLVED)}));
			Used.insert(Called[i]);
		}
		G->setInitializer(ConstantArray::get(AT, Elems));
		G->setSection(SCALL_SECTION_SITES);
		G->setAlignment(Align(4));
		G->setMetadata(LLVMContext::MD_associated, MDNode::get(C, {ValueAsMetadata::get(S)}));
		if (Comdat *CD = F.getComdat())
			G->setComdat(CD);
		Recs.push_back(G);
	}
	if (!Recs.empty())
		appendToCompilerUsed(M, Recs);
	Changed |= !OldRecs.empty() || !Recs.empty();

	// Trampolines and their records.
	bool NeedThunk = false;
	for (auto &E : Tramps) {
		Function *T = E.first;
		if (!Used.count(T))
			continue;
		std::string TS = sym(T), KS = sym(E.second.Key.GV);
		uint64_t Off = E.second.Key.Off;
		unsigned Fl = E.second.Flags;
		std::string Jmp = !(Fl & SCALL_TRAMP_RETPOLINE) ? "jmpq *%r11"
				  : ExternalThunk ? "jmp __x86_indirect_thunk_r11"
						  : "jmp __scall_indirect_thunk_r11";
		NeedThunk |= (Fl & SCALL_TRAMP_RETPOLINE) && !ExternalThunk;
		OS << "\t.pushsection .text." << T->getName() << ",\"axG\",@progbits," << TS << ",comdat\n"
		   << "\t.globl " << TS << "\n\t.hidden " << TS << "\n\t.type " << TS << ",@function\n"
		   << "\t.balign 16\n" << TS << ":\n\t.cfi_startproc\n"
		   // movq K@GOTPCREL(%rip), %r11 with a plain R_X86_64_GOTPCREL:
		   // the linker must not relax it to movq $K, %r11 (-no-pie).
		   << "\t.byte 0x4c, 0x8b, 0x1d\n\t.reloc ., R_X86_64_GOTPCREL, " << KS << "-4\n"
		   << "\t.long 0\n" << memberLoad(Off);
		if (Fl & SCALL_TRAMP_COND)
			// je over the jump, as bytes: -O0 assembles with -mrelax-all
			OS << "\ttestq %r11, %r11\n\t.byte 0x74, "
			   << ((Fl & SCALL_TRAMP_RETPOLINE) ? "0x05" : "0x03") << "\n\t" << Jmp << "\n\tretq\n";
		else
			OS << "\t" << Jmp << "\n";
		OS << "\t.cfi_endproc\n\t.size " << TS << ", .-" << TS << "\n"
		   // linked to the trampoline: kept exactly as long as it is
		   << "\t.section " SCALL_SECTION_TRAMPS ",\"awoG\",@progbits," << TS << ",comdat," << TS << "\n"
		   << "\t.balign 8\n\t.quad " << KS << (Off ? "+" + utostr(Off) : "") << "\n\t.long " << TS
		   << " - .\n\t.long " << Fl << "\n"
		   << "\t.popsection\n";
	}
	if (NeedThunk)
		// The same retpoline as the GCC plugin's, in the same group.
		OS << "\t.pushsection .text.__scall_indirect_thunk_r11,\"axG\",@progbits,"
		      "__scall_indirect_thunk_r11,comdat\n"
		      "\t.globl __scall_indirect_thunk_r11\n\t.hidden __scall_indirect_thunk_r11\n"
		      "\t.type __scall_indirect_thunk_r11,@function\n"
		      "__scall_indirect_thunk_r11:\n\tcall 1f\n2:\tpause\n\tlfence\n\tjmp 2b\n"
		      "1:\tmovq %r11, (%rsp)\n\tretq\n"
		      "\t.size __scall_indirect_thunk_r11, .-__scall_indirect_thunk_r11\n\t.popsection\n";

	// Module header, constructor and destructor.
	if (!Used.empty()) {
		// Under -mretpoline a jmp through the GOT would be a bare
		// indirect branch: the PLT, as the compiler itself does.
		auto branch = [&](const char *Fn) {
			return NoPlt && !Retpoline ? std::string("jmp *") + Fn + "@GOTPCREL(%rip)"
						   : std::string("jmp ") + Fn + "@PLT";
		};
		// Called through .init_array/.fini_array: endbr64 under IBT.
		bool Ibt = false;
		if (auto *MD = mdconst::extract_or_null<ConstantInt>(M.getModuleFlag("cf-protection-branch")))
			Ibt = MD->getZExtValue() != 0;
		std::string Entry = std::string("\t.cfi_startproc\n") + (Ibt ? "\tendbr64\n" : "");
		char Hdr[160];
		snprintf(Hdr, sizeof Hdr, "\t.long 0x%x\n\t.short %u\n\t.short 0\n\t.long 0\n\t.long 0\n",
			 SCALL_MODULE_MAGIC, SCALL_FORMAT_VERSION);
		OS << "\t.pushsection " SCALL_SECTION_MODULE ",\"awG\",@progbits," SCALL_SYM_MODULE ",comdat\n"
		   << "\t.globl " SCALL_SYM_MODULE "\n\t.hidden " SCALL_SYM_MODULE "\n"
		   << "\t.type " SCALL_SYM_MODULE ",@object\n\t.balign 8\n" SCALL_SYM_MODULE ":\n" << Hdr;
		for (const char *B : {"__start_" SCALL_SECTION_SITES, "__stop_" SCALL_SECTION_SITES,
				      "__start_" SCALL_SECTION_TRAMPS, "__stop_" SCALL_SECTION_TRAMPS})
			OS << "\t.weak " << B << "\n\t.hidden " << B << "\n\t.quad " << B << "\n";
		OS << "\t.size " SCALL_SYM_MODULE ", " << SCALL_MODULE_SIZE << "\n"
		   << "\t.section .text." SCALL_SYM_MODULE_CTOR ",\"axG\",@progbits," SCALL_SYM_MODULE ",comdat\n"
		   << "\t.globl " SCALL_SYM_MODULE_CTOR "\n\t.hidden " SCALL_SYM_MODULE_CTOR "\n"
		   << "\t.type " SCALL_SYM_MODULE_CTOR ",@function\n" SCALL_SYM_MODULE_CTOR ":\n" << Entry
		   << "\tleaq " SCALL_SYM_MODULE "(%rip), %rdi\n\t" << branch(SCALL_SYM_REGISTER) << "\n\t.cfi_endproc\n"
		   << "\t.size " SCALL_SYM_MODULE_CTOR ", .-" SCALL_SYM_MODULE_CTOR "\n"
		   << "\t.globl " SCALL_SYM_MODULE_DTOR "\n\t.hidden " SCALL_SYM_MODULE_DTOR "\n"
		   << "\t.type " SCALL_SYM_MODULE_DTOR ",@function\n" SCALL_SYM_MODULE_DTOR ":\n" << Entry
		   << "\tleaq " SCALL_SYM_MODULE "(%rip), %rdi\n\t" << branch(SCALL_SYM_UNREGISTER) << "\n\t.cfi_endproc\n"
		   << "\t.size " SCALL_SYM_MODULE_DTOR ", .-" SCALL_SYM_MODULE_DTOR "\n"
		   << "\t.section .init_array,\"awG\",@init_array," SCALL_SYM_MODULE ",comdat\n"
		   << "\t.balign 8\n\t.quad " SCALL_SYM_MODULE_CTOR "\n"
		   << "\t.section .fini_array,\"awG\",@fini_array," SCALL_SYM_MODULE ",comdat\n"
		   << "\t.balign 8\n\t.quad " SCALL_SYM_MODULE_DTOR "\n"
		   << "\t.popsection\n";
	}
	OS.flush();

	// Replace the previous block, if any.
	std::string Asm = M.getModuleInlineAsm();
	size_t B = Asm.find(BlockBegin);
	if (B != std::string::npos) {
		size_t E = Asm.find(BlockEnd, B);
		Asm.erase(B, E == std::string::npos ? std::string::npos : E + strlen(BlockEnd) - B);
	}
	if (!Out.empty()) {
		if (!Asm.empty() && Asm.back() != '\n')
			Asm += '\n';
		Asm += BlockBegin + Out + BlockEnd;
	}
	Changed |= Asm != M.getModuleInlineAsm();
	M.setModuleInlineAsm(Asm);
	return Changed;
}

bool Scall::run(Mode mode)
{
	if (mode == Mode::Auto)
		// clang adds these flags to an -flto (full: both; thin:
		// EnableSplitLTOUnit) compile before running the pipeline.
		mode = M.getModuleFlag("ThinLTO") || M.getModuleFlag("EnableSplitLTOUnit")
			       ? Mode::PreLink : Mode::Emit;
	if (M.getCodeModel() && *M.getCodeModel() == CodeModel::Large) {
		M.getContext().emitError("scall: -mcmodel=large is not supported: a call site "
					 "cannot reach its trampoline with a rel32");
		return false;
	}
	for (Function &F : M) {
		if (F.isDeclaration())
			continue;
		StringRef TF = F.getFnAttribute("target-features").getValueAsString();
		Retpoline |= TF.contains("+retpoline-indirect-branches");
		ExternalThunk |= TF.contains("+retpoline-external-thunk");
	}
	if (WarnNoAst && !scall_clang::astPluginActive() && !M.getNamedMetadata("scall.keys") &&
	    !M.getNamedMetadata("scall.tramps")) {
		// Compiled by clang with -fpass-plugin= only: extern keys lost
		// their annotation and nothing checked the source.
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
	collectTramps();
	collectKeys();
	bool Changed = convertStores();
	Changed |= convert();
	if (mode == Mode::PreLink && !Tramps.empty())
		addMarker();
	if (mode == Mode::Emit) {
		Changed |= removeMarker();
		Changed |= emit();
	}
	return Changed;
}

struct ScallPass : PassInfoMixin<ScallPass> {
	Mode mode;
	bool WarnNoAst;
	bool LinkTime;
	explicit ScallPass(Mode m, bool WarnNoAst = false, bool LinkTime = false)
		: mode(m), WarnNoAst(WarnNoAst), LinkTime(LinkTime) {}
	PreservedAnalyses run(Module &M, ModuleAnalysisManager &)
	{
		return Scall(M, WarnNoAst, LinkTime).run(mode) ? PreservedAnalyses::none()
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
	return Scall(M, /*WarnNoAst=*/false, /*LinkTime=*/true).run(Mode::Emit);
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
