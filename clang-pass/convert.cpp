// SPDX-License-Identifier: MIT
//
// convert.cpp - calls through keys become calls of hidden trampoline
// declarations: call (load @K) -> call @__scall_tramp_K; a call of
// __scall_cond_target(load @K) (scall_cond at -O0), or of its inlined form
// (select key == null ? __scall_nop : key, or a two-way phi), -> call
// @__scall_ctramp_K.  !scall.tramps maps each trampoline declaration to its
// key, flags and member offset, for later runs.

#include "scall-clang.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/Metadata.h"
#include "llvm/Transforms/Utils/Local.h"

#include <vector>

using namespace llvm;

namespace scall_clang {

void readTramps(Unit &U)
{
	NamedMDNode *NMD = U.M.getNamedMetadata(md::Tramps);
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
		if (!F || !K || !C || U.Tramps.has(F))
			continue;
		unsigned Fl = (unsigned)C->getZExtValue();
		// A struct key's member: its offset (absent: a plain key).
		uint64_t Off = 0;
		bool Member = N->getNumOperands() >= 4;
		if (Member)
			if (auto *O = mdconst::dyn_extract_or_null<ConstantInt>(N->getOperand(3)))
				Off = O->getZExtValue();
		U.Tramps.ByFn.insert({F, {{K, Off}, Fl}});
		U.Tramps.ByKey.insert({{K, Off, Fl}, F});
		if (!Member)
			U.Keys.Plain.insert(K);
	}
}

bool isCondTargetFn(const Function *F)
{
	if (!F)
		return false;
	StringRef N = F->getName();
	return N == "__scall_cond_target" || scall_compat::startsWith(N, "__scall_cond_target.");
}

namespace {

bool isNop(Value *V)
{
	auto *F = dyn_cast<Function>(V->stripPointerCasts());
	return F && F->getName() == "__scall_nop";
}

Function *getTramp(Unit &U, KeyRef Key, unsigned Flags, FunctionType *FTy)
{
	auto It = U.Tramps.ByKey.find({Key.GV, Key.Off, Flags});
	if (It != U.Tramps.ByKey.end())
		return It->second;
	Module &M = U.M;
	std::string KN = keyName(U, Key);
	std::string Name = scall_rules::tramp_name(KN, Flags,
						   Key.GV->hasLocalLinkage() ? hashSuffix(M, KN) : std::string());
	Function *F = M.getFunction(Name);
	if (!F) {
		F = Function::Create(FTy, GlobalValue::ExternalLinkage, Name, M);
		F->setVisibility(GlobalValue::HiddenVisibility);
		F->setDSOLocal(true);
	}
	LLVMContext &C = M.getContext();
	std::vector<Metadata *> Ops{ValueAsMetadata::get(F), ValueAsMetadata::get(Key.GV),
		ConstantAsMetadata::get(ConstantInt::get(Type::getInt32Ty(C), Flags))};
	if (U.Keys.isStruct(Key.GV))
		Ops.push_back(ConstantAsMetadata::get(ConstantInt::get(Type::getInt64Ty(C), Key.Off)));
	M.getOrInsertNamedMetadata(md::Tramps)->addOperand(MDNode::get(C, Ops));
	U.Tramps.ByFn.insert({F, {Key, Flags}});
	U.Tramps.ByKey.insert({{Key.GV, Key.Off, Flags}, F});
	return F;
}

// The key a non-volatile load reads (resolveKey).
KeyRef keyOfLoad(const Unit &U, Value *V)
{
	auto *LI = dyn_cast<LoadInst>(V->stripPointerCasts());
	if (!LI || LI->isVolatile())
		return {};
	return resolveKey(U, LI->getPointerOperand(), LI->getType(), std::nullopt).Member;
}

// A call through an element of an array of keys whose index is not a
// constant: it stays indirect (correct: it reads the key), and verbose
// counts it.
void countVarIndex(Unit &U, Value *V)
{
	auto *LI = dyn_cast<LoadInst>(V);
	if (!LI || LI->isVolatile())
		return;
	GlobalVariable *GV = underlyingKeyObject(U, LI->getPointerOperand());
	auto SK = GV ? U.Keys.Structs.find(GV) : U.Keys.Structs.end();
	if (SK != U.Keys.Structs.end() && SK->second.Elem)
		U.VarIndexCalls++;
}

// scall_cond after inlining: key == null ? __scall_nop : key (or its
// mirror image), as a select or a two-way phi.
bool matchCond(const Unit &U, Value *V, KeyRef &Key)
{
	if (auto *CI = dyn_cast<CallInst>(V)) {
		if (!isCondTargetFn(CI->getCalledFunction()) || CI->arg_size() != 1)
			return false;
		Key = keyOfLoad(U, CI->getArgOperand(0));
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
		KeyRef KC = keyOfLoad(U, A);
		Value *OnNull = Cmp->getPredicate() == ICmpInst::ICMP_EQ ? S->getTrueValue() : S->getFalseValue();
		Value *OnKey = Cmp->getPredicate() == ICmpInst::ICMP_EQ ? S->getFalseValue() : S->getTrueValue();
		if (!KC || !isNop(OnNull) || !(keyOfLoad(U, OnKey) == KC))
			return false;
		Key = KC;
		return true;
	}
	if (auto *P = dyn_cast<PHINode>(V)) {
		if (P->getNumIncomingValues() != 2)
			return false;
		for (unsigned i = 0; i < 2; i++)
			if (isNop(P->getIncomingValue(i)))
				if (KeyRef K = keyOfLoad(U, P->getIncomingValue(1 - i))) {
					Key = K;
					return true;
				}
	}
	return false;
}

bool convertCall(Unit &U, CallBase *CB)
{
	if (CB->isInlineAsm() || CB->getCalledFunction())
		return false;
	Value *Callee = CB->getCalledOperand();
	Value *V = Callee->stripPointerCasts();
	if (isa<Function>(V))
		return false; // a cast direct call (already converted)
	KeyRef Key = keyOfLoad(U, V);
	unsigned Flags = 0;
	if (!Key) {
		if (!matchCond(U, V, Key)) {
			countVarIndex(U, V);
			return false;
		}
		Flags = SCALL_TRAMP_COND;
	}
	if (U.Retpoline)
		Flags |= SCALL_TRAMP_RETPOLINE;
	FunctionType *FTy = CB->getFunctionType();
	Function *T = getTramp(U, Key, Flags, FTy);
	Constant *NewCallee = T;
	if (T->getType() != Callee->getType())
		NewCallee = ConstantExpr::getBitCast(T, Callee->getType());
	CB->setCalledFunction(FTy, NewCallee);
	reportCall(U, CB, Key, T);
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

} // namespace

bool convertCalls(Unit &U)
{
	bool Changed = false;
	for (Function &F : U.M) {
		if (F.isDeclaration() || F.hasFnAttribute(Attribute::Naked))
			continue;
		std::vector<CallBase *> Calls;
		for (BasicBlock &BB : F)
			for (Instruction &I : BB)
				if (auto *CB = dyn_cast<CallBase>(&I))
					Calls.push_back(CB);
		for (CallBase *CB : Calls)
			Changed |= convertCall(U, CB);
	}
	// The -O0 body of the header's static inline __scall_cond_target is
	// dead once its calls are converted.
	for (Function &F : make_early_inc_range(U.M))
		if (isCondTargetFn(&F) && F.hasLocalLinkage() && F.use_empty()) {
			F.eraseFromParent();
			Changed = true;
		}
	return Changed;
}

} // namespace scall_clang
