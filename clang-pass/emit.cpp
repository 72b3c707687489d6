// SPDX-License-Identifier: MIT
//
// emit.cpp - what the last run of a compile (or the -flto link) writes: one
// kind-4 (SCALL_KIND_UNRESOLVED) site record per call of a trampoline, each
// call preceded by an empty convergent asm that keeps the backend from
// copying it; the trampolines, their records and the module header, as
// module-level assembly between "# scall-begin" and "# scall-end"
// (regenerated on every run, so running twice changes nothing); and the
// -flto marker, referenced by the compile and removed by the link.  Every
// byte is in docs/format.md; their text (trampoline bodies, records, the
// header's words, the thunk) is the emitter of scall-rules.h, shared with
// the GCC plugin, and the sections and symbols around them, in the syntax
// of LLVM's assembler, are written here.

#include "scall-clang.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Mangler.h"
#include "llvm/IR/Metadata.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

#include <cstring>
#include <vector>

using namespace llvm;

namespace scall_clang {

namespace {

const char *const MarkerName =
	"__scall_lto_link_needs_the_scall_pass:_full_-flto_(not_thin)_linked_with_" SCALL_LTO_LINK_FLAGS;
const char *const MarkerRef = "__scall_lto_marker_ref";
const char *const SiteRecPrefix = "__scall_sites.";
const char *const BlockBegin = "# scall-begin\n";
const char *const BlockEnd = "# scall-end\n";

} // namespace

void addLtoMarker(Unit &U)
{
	Module &M = U.M;
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

bool removeLtoMarker(Unit &U)
{
	Module &M = U.M;
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

namespace {

// The symbol a kind-4 record names.  A record is PC-relative; against a
// preemptible function (default visibility in -fPIC code) the linker would
// resolve it to the PLT.  Such a function becomes an internal body (a local
// symbol, F.scall) under a global alias with F's name, linkage and
// visibility: the same address and the same interposition semantics.
Function *siteFunction(Module &M, Function &F)
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

std::string sym(const GlobalValue *GV)
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
// The marker before a converted call: empty (the asm printer skips an empty
// string; any other string, even a comment, costs a parse by a new target
// asm parser per statement: x1.18 compile time at 3*10^4 sites), with no
// constraint (clang gives every user asm statement at least the x86
// clobbers ~{dirflag},~{fpsr},~{flags}) and convergent (which is what keeps
// the call from being duplicated).
bool isSiteMarker(const Instruction *I)
{
	auto *CI = dyn_cast_or_null<CallInst>(I);
	auto *IA = CI ? dyn_cast<InlineAsm>(CI->getCalledOperand()) : nullptr;
	return IA && IA->getAsmString().empty() && IA->getConstraintString().empty() &&
	       IA->hasSideEffects() && CI->isConvergent();
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
	InlineAsm *IA = InlineAsm::get(FunctionType::get(Type::getVoidTy(C), false), "", "",
				       /*hasSideEffects=*/true);
	IRBuilder<> B(CB);
	CallInst *Marker = B.CreateCall(FunctionCallee(IA->getFunctionType(), IA));
	Marker->setConvergent();
	Marker->setDoesNotThrow();
	return true;
}

} // namespace

bool emit(Unit &U)
{
	Module &M = U.M;
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
	// One record global per code section, as the GCC plugin: LLVM gives
	// every global with !associated a section of its own, so a global per
	// function made the object hold two sections (records, relocations)
	// per function (x1.18 compile time at 3*10^4 sites).  Without
	// -ffunction-sections (which only the AST half sees, in the compile's
	// code generation options; a link-time run does not know it) every
	// function without a section, comdat or hot/cold placement of its own
	// is in .text: their records share one global, linked to the first of
	// them.  Cold and hot functions get their section prefix later, in
	// code generation: they keep a global each.
	bool ShareText = astHandoff().Active && astHandoff().NoFunctionSections;
	auto inText = [&](const Function &F) {
		return ShareText && !F.hasComdat() && !F.hasSection() && !F.getSectionPrefix() &&
		       !F.hasLinkOnceLinkage() && !F.hasFnAttribute(Attribute::Cold) &&
		       !F.hasFnAttribute(Attribute::Hot);
	};
	// The records of a global: (the function S of the sites, a trampoline).
	using RecList = std::vector<std::pair<Function *, Function *>>;
	auto makeRecords = [&](const RecList &L, Function *Assoc, Comdat *CD, const Twine &Name) {
		ArrayType *AT = ArrayType::get(RecTy, L.size());
		auto *G = new GlobalVariable(M, AT, true, GlobalValue::PrivateLinkage, nullptr, Name);
		auto rel = [&](Constant *Target, unsigned i, unsigned field) {
			Constant *Idx[] = {ConstantInt::get(I32, 0), ConstantInt::get(I32, i),
					   ConstantInt::get(I32, field)};
			Constant *Here = ConstantExpr::getInBoundsGetElementPtr(AT, G, Idx);
			return ConstantExpr::getTrunc(
				ConstantExpr::getSub(ConstantExpr::getPtrToInt(Target, I64),
						     ConstantExpr::getPtrToInt(Here, I64)), I32);
		};
		std::vector<Constant *> Elems;
		for (unsigned i = 0; i < L.size(); i++) {
			Elems.push_back(ConstantStruct::get(RecTy, {rel(L[i].first, i, 0), rel(L[i].second, i, 1),
				ConstantInt::get(I32, SCALL_KIND_UNRESOLVED)}));
			Used.insert(L[i].second);
		}
		G->setInitializer(ConstantArray::get(AT, Elems));
		G->setSection(SCALL_SECTION_SITES);
		G->setAlignment(Align(4));
		G->setMetadata(LLVMContext::MD_associated, MDNode::get(C, {ValueAsMetadata::get(Assoc)}));
		if (CD)
			G->setComdat(CD);
		Recs.push_back(G);
	};
	RecList TextRecs;
	Function *TextAssoc = nullptr;
	for (Function &F : M) {
		if (F.isDeclaration() || F.hasAvailableExternallyLinkage() ||
		    F.hasFnAttribute(Attribute::Naked))
			continue;
		std::vector<Function *> Called;
		for (BasicBlock &BB : F)
			for (Instruction &I : BB)
				if (auto *CB = dyn_cast<CallBase>(&I)) {
					auto *T = dyn_cast<Function>(CB->getCalledOperand()->stripPointerCasts());
					if (T && U.Tramps.has(T)) {
						Called.push_back(T);
						Changed |= markSite(CB);
					}
				}
		if (Called.empty())
			continue;
		Function *S = siteFunction(M, F);
		RecList L;
		for (Function *T : Called)
			L.emplace_back(S, T);
		if (inText(F)) {
			if (!TextAssoc)
				TextAssoc = S;
			TextRecs.insert(TextRecs.end(), L.begin(), L.end());
			continue;
		}
		makeRecords(L, S, F.getComdat(), SiteRecPrefix + F.getName());
	}
	if (!TextRecs.empty())
		makeRecords(TextRecs, TextAssoc, nullptr, Twine(SiteRecPrefix) + ".text");
	if (!Recs.empty())
		appendToCompilerUsed(M, Recs);
	Changed |= !OldRecs.empty() || !Recs.empty();

	// Trampolines and their records.
	bool NeedThunk = false;
	for (auto &E : U.Tramps.ByFn) {
		Function *T = E.first;
		if (!Used.count(T))
			continue;
		std::string TS = sym(T), KS = sym(E.second.Key.GV);
		uint64_t Off = E.second.Key.Off;
		unsigned Fl = E.second.Flags;
		NeedThunk |= (Fl & SCALL_TRAMP_RETPOLINE) && !U.ExternalThunk;
		OS << "\t.pushsection .text." << T->getName() << ",\"axG\",@progbits," << TS << ",comdat\n"
		   << "\t.globl " << TS << "\n\t.hidden " << TS << "\n\t.type " << TS << ",@function\n"
		   << "\t.balign 16\n" << TS << ":\n\t.cfi_startproc\n"
		   << scall_rules::tramp_body(KS, Off, Fl, U.ExternalThunk ? "__x86_indirect_thunk_r11"
									: "__scall_indirect_thunk_r11")
		   << "\t.cfi_endproc\n\t.size " << TS << ", .-" << TS << "\n"
		   // linked to the trampoline: kept exactly as long as it is
		   << "\t.section " SCALL_SECTION_TRAMPS ",\"awoG\",@progbits," << TS << ",comdat," << TS << "\n"
		   << scall_rules::tramp_record(KS, Off, TS, Fl) << "\t.popsection\n";
	}
	if (NeedThunk)
		// The same retpoline as the GCC plugin's, in the same group.
		OS << "\t.pushsection .text.__scall_indirect_thunk_r11,\"axG\",@progbits,"
		      "__scall_indirect_thunk_r11,comdat\n"
		      "\t.globl __scall_indirect_thunk_r11\n\t.hidden __scall_indirect_thunk_r11\n"
		      "\t.type __scall_indirect_thunk_r11,@function\n"
		      "__scall_indirect_thunk_r11:\n"
		   << scall_rules::indirect_thunk_body()
		   << "\t.size __scall_indirect_thunk_r11, .-__scall_indirect_thunk_r11\n\t.popsection\n";

	// Module header, constructor and destructor.
	if (!Used.empty()) {
		// Under -mretpoline a jmp through the GOT would be a bare
		// indirect branch: the PLT, as the compiler itself does.
		auto branch = [&](const char *Fn) {
			return NoPlt && !U.Retpoline ? std::string("jmp *") + Fn + "@GOTPCREL(%rip)"
						   : std::string("jmp ") + Fn + "@PLT";
		};
		// Called through .init_array/.fini_array: endbr64 under IBT.
		bool Ibt = false;
		if (auto *MD = mdconst::extract_or_null<ConstantInt>(M.getModuleFlag("cf-protection-branch")))
			Ibt = MD->getZExtValue() != 0;
		std::string Entry = std::string("\t.cfi_startproc\n") + (Ibt ? "\tendbr64\n" : "");
		// Once per unit, whoever emits it first: scall.h's branch
		// macros emit the same header from their asm (docs/format.md).
		OS << "\t.ifndef " SCALL_SYM_MODULE "\n"
		   << "\t.pushsection " SCALL_SECTION_MODULE ",\"awG\",@progbits," SCALL_SYM_MODULE ",comdat\n"
		   << "\t.globl " SCALL_SYM_MODULE "\n\t.hidden " SCALL_SYM_MODULE "\n"
		   << "\t.type " SCALL_SYM_MODULE ",@object\n\t.balign 8\n" SCALL_SYM_MODULE ":\n"
		   << scall_rules::module_header();
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
		   << "\t.popsection\n\t.endif\n";
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

} // namespace scall_clang
