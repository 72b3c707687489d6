// SPDX-License-Identifier: MIT
//
// stores.cpp - converted stores (-fplugin-arg-scall-convert-stores): the
// runtime call after each burst of stores that reach keys, one patch cycle
// for the burst (docs/protocol.md "Converted stores"); which calls are
// store functions is the table of scall-rules.h.

#include "scall-clang.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/IntrinsicInst.h"

#include <algorithm>
#include <utility>
#include <vector>

using namespace llvm;

namespace scall_clang {

namespace {

const char *const StoredFn = "__scall_stored";
const char *const StoredNFn = "__scall_stored_n";

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

uint64_t keySize(const Unit &U, GlobalVariable *K)
{
	return U.Keys.isPlain(K) ? U.DL.getTypeAllocSize(K->getValueType()).getFixedValue()
				 : U.Keys.Structs.lookup(K).Size;
}

// A burst (docs/protocol.md "Converted stores"): consecutive converted
// stores of one basic block, and the key objects they stored into, in the
// order first stored.
struct Burst {
	Instruction *Last = nullptr;
	std::vector<GlobalVariable *> Keys;
};

// What ends a burst, as in the GCC plugin (stores.cc): anything that may
// call out (a call, inline asm, an atomic operation other than the
// converted stores themselves: it could call a site of a stored key, or
// tell another thread how far this one got) and volatile accesses.
// Loads, plain stores and arithmetic do not, nor debug and lifetime
// markers (-g must not change the code).
bool endsBurst(Instruction &I)
{
	if (isa<DbgInfoIntrinsic>(I) || I.isLifetimeStartOrEnd())
		return false;
	if (isa<CallBase>(I) || isa<FenceInst>(I) || isa<AtomicRMWInst>(I) ||
	    isa<AtomicCmpXchgInst>(I))
		return true;
	if (auto *L = dyn_cast<LoadInst>(&I))
		return L->isVolatile() || L->isAtomic();
	if (auto *S = dyn_cast<StoreInst>(&I))
		return S->isVolatile() || S->isAtomic();
	return false;
}

// The runtime call after the burst's last store: __scall_stored(&K, sizeof
// K) for one key object, or __scall_stored_n over a constant table of
// {&K, sizeof K} for several (include/scall.h); the whole object each
// time.
void insertStored(Unit &U, const Burst &B)
{
	Module &M = U.M;
	LLVMContext &C = M.getContext();
	Type *I8P = scall_compat::bytePtrTy(C), *I64 = Type::getInt64Ty(C);
	Type *I32 = Type::getInt32Ty(C);
	IRBuilder<> IRB(B.Last->getNextNode());
	IRB.SetCurrentDebugLocation(B.Last->getDebugLoc());
	CallInst *CI;
	if (B.Keys.size() == 1) {
		GlobalVariable *K = B.Keys[0];
		FunctionCallee Stored = M.getOrInsertFunction(
			StoredFn, FunctionType::get(I32, {I8P, I64}, false));
		CI = IRB.CreateCall(Stored, {IRB.CreatePointerCast(K, I8P),
					     ConstantInt::get(I64, keySize(U, K))});
	} else {
		StructType *RangeTy = StructType::get(C, {I8P, I64});
		std::vector<Constant *> Ranges;
		for (GlobalVariable *K : B.Keys)
			Ranges.push_back(ConstantStruct::get(
				RangeTy, {ConstantExpr::getPointerCast(K, I8P),
					  ConstantInt::get(I64, keySize(U, K))}));
		ArrayType *TableTy = ArrayType::get(RangeTy, Ranges.size());
		auto *Table = new GlobalVariable(M, TableTy, true, GlobalValue::PrivateLinkage,
						 ConstantArray::get(TableTy, Ranges),
						 "__scall_ranges");
		Table->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
		FunctionCallee StoredN = M.getOrInsertFunction(
			StoredNFn, FunctionType::get(I32, {I8P, I64}, false));
		CI = IRB.CreateCall(StoredN, {IRB.CreatePointerCast(Table, I8P),
					      ConstantInt::get(I64, B.Keys.size())});
	}
	CI->setDoesNotThrow();
}

GlobalVariable *touched(const Unit &U, Value *Ptr, std::optional<uint64_t> Len)
{
	return resolveKey(U, Ptr, nullptr, Len).Touched;
}

// The key object the converted store I writes, or null when I is not one.
GlobalVariable *storedKey(const Unit &U, Instruction &I)
{
	if (auto *SI = dyn_cast<StoreInst>(&I))
		return touched(U, SI->getPointerOperand(),
			       U.DL.getTypeStoreSize(SI->getValueOperand()->getType()).getFixedValue());
	if (auto *MI = dyn_cast<MemIntrinsic>(&I)) {
		std::optional<uint64_t> Len;
		if (auto *CL = dyn_cast<ConstantInt>(MI->getLength()))
			Len = CL->getZExtValue();
		return touched(U, MI->getRawDest(), Len);
	}
	auto *CB = dyn_cast<CallBase>(&I);
	if (!CB)
		return nullptr;
	Function *Callee = CB->getCalledFunction();
	const scall_rules::store_fn *SF = Callee ? memStoreFn(Callee->getName()) : nullptr;
	GlobalVariable *K = nullptr;
	if (SF && CB->arg_size() > (unsigned)SF->dst_arg)
		K = touched(U, CB->getArgOperand(SF->dst_arg), std::nullopt);
	// A struct returned into the key (ops = make_ops()).
	for (unsigned i = 0; !K && i < CB->arg_size(); i++)
		if (CB->paramHasAttr(i, Attribute::StructRet))
			K = touched(U, CB->getArgOperand(i), std::nullopt);
	return K;
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
	std::vector<Burst> Bursts;
	for (Function &F : M) {
		if (F.isDeclaration())
			continue;
		for (BasicBlock &BB : F) {
			Burst Cur;
			auto Flush = [&] {
				if (Cur.Last)
					Bursts.push_back(std::move(Cur));
				Cur = Burst();
			};
			for (Instruction &I : BB) {
				GlobalVariable *K = storedKey(U, I);
				if (!K) {
					if (endsBurst(I))
						Flush();
					continue;
				}
				if (!keySize(U, K)) {
					errorStoreUnknownSize(&I, K);
					continue;
				}
				if (!isa<CallInst>(I) && I.isTerminator()) {
					// An invoke: nothing can follow it in its block.
					Flush();
					errorStoreEndsBlock(&I, K);
					continue;
				}
				reportStore(U, &I, K);
				Cur.Last = &I;
				if (std::find(Cur.Keys.begin(), Cur.Keys.end(), K) == Cur.Keys.end())
					Cur.Keys.push_back(K);
			}
			Flush();
		}
	}
	for (const Burst &B : Bursts)
		insertStored(U, B);
	return true;
}

} // namespace scall_clang
