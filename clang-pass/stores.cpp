// SPDX-License-Identifier: MIT
//
// stores.cpp - converted stores (-fplugin-arg-scall-convert-stores): which
// functions store into their first argument (classifyStoreFn, for the AST
// half's checks and for the pass), and the __scall_stored(&key, sizeof key)
// call after each store that reaches a key (docs/format.md "Converted
// stores").

#include "scall-clang.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/IntrinsicInst.h"

#include <utility>
#include <vector>

using namespace llvm;

namespace scall_clang {

namespace {

const char *const StoredFn = "__scall_stored";

struct StoreFnName {
	const char *Name;
	StoreFn Kind;
	bool Chk; // the C library has __NAME_chk (_FORTIFY_SOURCE calls it)
};
const StoreFnName StoreFns[] = {
	{"memcpy", StoreFn::Mem, true},     {"memmove", StoreFn::Mem, true},
	{"memset", StoreFn::Mem, true},     {"mempcpy", StoreFn::Mem, true},
	{"bzero", StoreFn::Mem, false},     {"strcpy", StoreFn::String, false},
	{"strncpy", StoreFn::String, false},
};

} // namespace

// In the source, a name may be spelt __builtin_NAME or __NAME_chk (any
// NAME); an IR call names the library function, or its __NAME_chk where
// the library has one.
StoreFn classifyStoreFn(StringRef N, bool Source)
{
	bool Chk = false;
	if (Source && scall_compat::startsWith(N, "__builtin_"))
		N = N.drop_front(10);
	if (scall_compat::endsWith(N, "_chk") && scall_compat::startsWith(N, "__")) {
		N = N.drop_front(2).drop_back(4);
		Chk = true;
	}
	for (const StoreFnName &F : StoreFns)
		if (N == F.Name)
			return !Chk || Source || F.Chk ? F.Kind : StoreFn::None;
	return StoreFn::None;
}

namespace {

// __scall_stored(&K, sizeof K) right after the store I (docs/format.md
// "Converted stores"), unless it is there already.
bool insertStored(Unit &U, Instruction *I, GlobalVariable *K)
{
	Module &M = U.M;
	if (auto *Next = dyn_cast_or_null<CallInst>(I->getNextNode()))
		if (Function *F = Next->getCalledFunction())
			if (F->getName() == StoredFn && Next->arg_size() == 2 &&
			    Next->getArgOperand(0)->stripPointerCasts() == K)
				return false;
	if (!isa<CallInst>(I) && I->isTerminator()) {
		errorStoreEndsBlock(I, K);
		return false;
	}
	LLVMContext &C = M.getContext();
	Type *I8P = scall_compat::bytePtrTy(C), *I64 = Type::getInt64Ty(C);
	FunctionCallee Stored = M.getOrInsertFunction(
		StoredFn, FunctionType::get(Type::getInt32Ty(C), {I8P, I64}, false));
	uint64_t Size = U.Keys.isPlain(K) ? U.DL.getTypeAllocSize(K->getValueType()).getFixedValue()
					  : U.Keys.Structs.lookup(K).Size;
	IRBuilder<> B(I->getNextNode());
	B.SetCurrentDebugLocation(I->getDebugLoc());
	CallInst *CI = B.CreateCall(Stored, {B.CreatePointerCast(K, I8P), ConstantInt::get(I64, Size)});
	CI->setDoesNotThrow();
	reportStore(U, I, K);
	return true;
}

GlobalVariable *touched(const Unit &U, Value *Ptr, std::optional<uint64_t> Len)
{
	return resolveKey(U, Ptr, nullptr, Len).Touched;
}

} // namespace

// -fplugin-arg-scall-convert-stores (or !scall.convert.stores in a test):
// the stores to keys that the AST half let through, as the front end
// emitted them.  Only once per module: later runs would find the stores of
// an optimised memcpy, and the call after them is already there.
bool convertStores(Unit &U)
{
	Module &M = U.M;
	if (!(astHandoff().ConvertStores || M.getNamedMetadata(md::ConvertStores)) ||
	    M.getNamedMetadata(md::StoresConverted))
		return false;
	M.getOrInsertNamedMetadata(md::StoresConverted);
	if (U.Keys.empty())
		return true;
	std::vector<std::pair<Instruction *, GlobalVariable *>> Work;
	for (Function &F : M) {
		if (F.isDeclaration())
			continue;
		for (Instruction &I : instructions(F)) {
			GlobalVariable *K = nullptr;
			if (auto *SI = dyn_cast<StoreInst>(&I)) {
				K = touched(U, SI->getPointerOperand(),
					    U.DL.getTypeStoreSize(SI->getValueOperand()->getType()).getFixedValue());
			} else if (auto *MI = dyn_cast<MemIntrinsic>(&I)) {
				std::optional<uint64_t> Len;
				if (auto *CL = dyn_cast<ConstantInt>(MI->getLength()))
					Len = CL->getZExtValue();
				K = touched(U, MI->getRawDest(), Len);
			} else if (auto *CB = dyn_cast<CallBase>(&I)) {
				Function *Callee = CB->getCalledFunction();
				if (Callee && classifyStoreFn(Callee->getName(), false) == StoreFn::Mem &&
				    CB->arg_size())
					K = touched(U, CB->getArgOperand(0), std::nullopt);
				// A struct returned into the key (ops = make_ops()).
				for (unsigned i = 0; !K && i < CB->arg_size(); i++)
					if (CB->paramHasAttr(i, Attribute::StructRet))
						K = touched(U, CB->getArgOperand(i), std::nullopt);
			}
			if (K)
				Work.push_back({&I, K});
		}
	}
	for (auto &W : Work)
		insertStored(U, W.first, W.second);
	return true;
}

} // namespace scall_clang
