// SPDX-License-Identifier: MIT
//
// stores.cpp - converted stores (-fplugin-arg-scall-convert-stores): the
// __scall_stored(&key, sizeof key) call after each store that reaches a key
// (docs/format.md "Converted stores"); which calls are store functions is
// the table of scall-rules.h.

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

// The memory functions an IR call may name (memcpy, __memcpy_chk...): the
// front end emits atomic stores as store instructions, and a libatomic
// call has the library's signature, not the builtin's.
const scall_rules::store_fn *memStoreFn(StringRef Name)
{
	// glibc's _FORTIFY_SOURCE wrappers (memcpy, memset...) are gnu_inline
	// definitions, which clang names `memcpy.inline` until the inliner
	// turns them into __memcpy_chk, after this pass has run.
	Name.consume_back(".inline");
	const scall_rules::store_fn *SF = scall_rules::find_store_fn(Name.data(), Name.size());
	if (SF && (SF->kind == scall_rules::store_kind::copy || SF->kind == scall_rules::store_kind::set))
		return SF;
	return nullptr;
}

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
				const scall_rules::store_fn *SF = Callee ? memStoreFn(Callee->getName()) : nullptr;
				if (SF && CB->arg_size() > (unsigned)SF->dst_arg)
					K = touched(U, CB->getArgOperand(SF->dst_arg), std::nullopt);
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
