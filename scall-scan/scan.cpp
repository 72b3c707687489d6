// SPDX-License-Identifier: MIT
//
// scall-scan - list the scall key candidates of a C project.
//
// Reads the project through compile_commands.json (bear, meson, CMake) and
// parses every unit with clang's libTooling.  A candidate is a global or
// file-static variable that is a function pointer, a struct holding
// function pointers (at any depth, arrays inside it excluded), or an array
// of either, and that some code calls through.  For each: its call sites
// (those through an array with a variable index apart: the compilers leave
// them indirect) and every store to it, each store classified as one that
// store conversion (-fplugin-arg-scall-convert-stores) handles or not; and
// every place its address escapes, through which writes cannot be
// converted.  A local pointer to a key that does not escape (a local
// alias, common/scall-rules.h's alias_may_pass_to) is the key itself: its
// calls and stores are the key's, and its escape is reported where it
// escapes.

#include "llvm-compat.h"
#include "scall-rules.h"

#include <clang/AST/ASTConsumer.h>
#include <clang/AST/ASTContext.h>
#include <clang/AST/ParentMapContext.h>
#include <clang/AST/RecordLayout.h>
#include <clang/AST/RecursiveASTVisitor.h>
#include <clang/Basic/SourceManager.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/FrontendAction.h>
#include <clang/Lex/Lexer.h>
#include <clang/Tooling/ArgumentsAdjusters.h>
#include <clang/Tooling/CompilationDatabase.h>
#include <clang/Tooling/JSONCompilationDatabase.h>
#include <clang/Tooling/Tooling.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/Path.h>
#include <llvm/Support/VirtualFileSystem.h>
#include <llvm/Support/raw_ostream.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <set>
#include <string>
#include <thread>
#include <vector>

#ifndef SCALL_SCAN_RESOURCE_DIR
#define SCALL_SCAN_RESOURCE_DIR ""
#endif

using namespace clang;

namespace {

// One store to a candidate (or to one of its members).
struct Store {
	std::string loc, member, how, value;
	bool convertible;
	bool operator<(const Store &o) const
	{
		return std::tie(loc, member, how) < std::tie(o.loc, o.member, o.how);
	}
};

// A place the address of a candidate (or of a part holding keys) escapes:
// loc where it escapes, taken where the address was taken (the same line
// for `opaque(&key)`; the `&key` of a local alias that escapes later).
struct Escape {
	std::string loc, member, use, taken;
	bool operator<(const Escape &o) const
	{
		return std::tie(loc, member, use) < std::tie(o.loc, o.member, o.use);
	}
};

using Site = std::pair<std::string, std::string>; // (loc, member)

struct Cand {
	std::string id, name, linkage, kind, type, defined;
	std::string annotation; // "", "SCALL_KEY" or "SCALL_KEY_ESCAPES"
	unsigned fnptrs = 0;    // key members (of one element, for an array)
	uint64_t elements = 0;  // of an array: its elements (all dimensions), 0: unknown
	bool initialized = false;
	std::set<Site> calls;
	std::set<Site> var_calls; // through an array with a variable index: left indirect
	std::set<Store> stores;
	std::set<Escape> escapes;
	std::set<Escape> allowed; // escapes of a SCALL_KEY_ESCAPES key
};

using Results = std::map<std::string, Cand>;

std::string g_base; // paths under this prefix are printed relative to it

std::string rel(std::string p)
{
	llvm::SmallString<256> s(p);
	llvm::sys::path::remove_dots(s, true);
	p = std::string(s);
	if (!g_base.empty() && p.compare(0, g_base.size(), g_base) == 0 &&
	    p.size() > g_base.size() && p[g_base.size()] == '/')
		p = p.substr(g_base.size() + 1);
	return p;
}

scall_rules::type_class type_class(QualType t)
{
	t = t.getCanonicalType();
	if (t->isFunctionPointerType())
		return scall_rules::type_class::fnptr;
	const RecordType *rt = t->getAs<RecordType>();
	if (rt && !rt->getDecl()->isUnion())
		return scall_rules::type_class::strct;
	return scall_rules::type_class::other;
}

// Number of key members of a struct type (the compilers' rule:
// scall_rules::field_role_of); 0 for anything else.
unsigned fnptr_members(QualType t, int depth = 0)
{
	t = t.getCanonicalType();
	if (type_class(t) != scall_rules::type_class::strct || depth > 16)
		return 0;
	const RecordDecl *rd = t->getAs<RecordType>()->getDecl()->getDefinition();
	if (!rd)
		return 0;
	unsigned n = 0;
	for (const FieldDecl *f : rd->fields()) {
		QualType ft = f->getType().getCanonicalType();
		switch (scall_rules::field_role_of(type_class(ft), f->isBitField())) {
		case scall_rules::field_role::key_member:
			n++;
			break;
		case scall_rules::field_role::nested:
			n += fnptr_members(ft, depth + 1);
			break;
		case scall_rules::field_role::data:
			break;
		}
	}
	return n;
}

// How a call to a store function stores, as the listing says it.
const char *store_how(scall_rules::store_kind k)
{
	switch (k) {
	case scall_rules::store_kind::copy: return "memcpy";
	case scall_rules::store_kind::set: return "memset";
	case scall_rules::store_kind::string: return "string copy";
	case scall_rules::store_kind::atomic: return "atomic store";
	}
	return "?";
}

uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

// A place inside a candidate: byte offset off from its start, plus an
// unknown multiple of stride when stride is not 0 (a variable index; idx
// is how the source spells it).  self: relative to the local pointer whose
// value is being worked out (p = p + 1), key then null.
struct Loc {
	const VarDecl *key = nullptr;
	int64_t off = 0;
	uint64_t stride = 0;
	std::string idx;
	bool self = false;
	explicit operator bool() const { return key || self; }
	void add(int64_t d) { off += d; }
	void vary(uint64_t s, const std::string &text)
	{
		stride = gcd(stride, s);
		if (idx.empty())
			idx = text;
	}
	bool same(const Loc &o) const
	{
		return key == o.key && self == o.self && off == o.off && stride == o.stride;
	}
};

// Where the key members of a candidate are: offsets within one element of
// esize bytes (the whole variable unless it is an array), n elements (0:
// unknown; 1 unless an array).
struct Shape {
	QualType type; // the variable's (the most complete declaration's)
	bool array = false;
	uint64_t esize = 0, n = 1;
	std::vector<uint64_t> members;
};

// Local pointer variables of a unit: every value assigned to each, whether
// it is moved by itself (p++, p += n) and whether its own address is taken.
struct Local {
	std::vector<const Expr *> defs;
	bool moved = false;
	bool addr_taken = false;
};

bool local_ptr(const VarDecl *vd)
{
	return vd && vd->hasLocalStorage() && !isa<ParmVarDecl>(vd) &&
	       vd->getType().getCanonicalType()->isPointerType();
}

const VarDecl *local_ref(const Expr *e)
{
	auto *dre = dyn_cast<DeclRefExpr>(e->IgnoreParens());
	const VarDecl *vd = dre ? dyn_cast<VarDecl>(dre->getDecl()) : nullptr;
	return local_ptr(vd) ? vd : nullptr;
}

class Locals : public RecursiveASTVisitor<Locals> {
public:
	Locals() {}
	std::map<const VarDecl *, Local> m;

	bool VisitVarDecl(VarDecl *vd)
	{
		if (local_ptr(vd) && vd->getInit())
			m[vd].defs.push_back(vd->getInit());
		return true;
	}
	bool VisitBinaryOperator(BinaryOperator *bo)
	{
		const VarDecl *vd = bo->isAssignmentOp() ? local_ref(bo->getLHS()) : nullptr;
		if (!vd)
			return true;
		if (bo->getOpcode() == BO_Assign)
			m[vd].defs.push_back(bo->getRHS());
		else
			move(vd);
		return true;
	}
	bool VisitUnaryOperator(UnaryOperator *uo)
	{
		const VarDecl *vd = local_ref(uo->getSubExpr());
		if (vd && uo->getOpcode() == UO_AddrOf)
			m[vd].addr_taken = true;
		else if (vd && uo->isIncrementDecrementOp())
			move(vd);
		return true;
	}

private:
	void move(const VarDecl *vd) { m[vd].moved = true; }
};

// What one local pointer holds: the alias it is (key set), or why a key's
// address stored in it escapes (why non-empty).
struct AliasInfo {
	Loc loc;
	std::string taken, why;
};

class Visitor : public RecursiveASTVisitor<Visitor> {
public:
	Visitor(ASTContext &ctx, Results &res, std::map<const VarDecl *, Local> &locals)
		: ctx_(ctx), sm_(ctx.getSourceManager()), res_(res), locals_(locals)
	{
	}

	bool VisitVarDecl(VarDecl *vd)
	{
		if (Cand *c = cand(vd)) {
			if (vd->hasInit() && vd->isThisDeclarationADefinition() == VarDecl::Definition)
				c->initialized = true;
			if (vd->isThisDeclarationADefinition() != VarDecl::DeclarationOnly &&
			    (c->defined.empty() || vd->isThisDeclarationADefinition() == VarDecl::Definition))
				c->defined = loc(vd->getLocation());
			for (const AnnotateAttr *a : vd->specific_attrs<AnnotateAttr>()) {
				if (a->getAnnotation() == "scall_key_escapes")
					c->annotation = "SCALL_KEY_ESCAPES";
				else if (a->getAnnotation() == "scall_key" && c->annotation.empty())
					c->annotation = "SCALL_KEY";
			}
		}
		return true;
	}

	bool VisitCallExpr(CallExpr *ce)
	{
		if (const Expr *lv = callee_lvalue(ce->getCallee())) {
			Loc l = lval(lv);
			if (l.key) {
				Cand *c = cand(l.key);
				std::string m = name_of(l, lv->getType());
				if (l.stride) {
					if (var_member(l))
						c->var_calls.insert({loc(ce->getBeginLoc()), m});
				} else if (member_at(l)) {
					c->calls.insert({loc(ce->getBeginLoc()), m});
				}
			}
			return true;
		}
		const FunctionDecl *fd = ce->getDirectCallee();
		if (!fd || ce->getNumArgs() == 0 || !fd->getIdentifier())
			return true;
		std::string fn = fd->getName().str();
		if (fn == "__scall_update_key") {
			// scall.h's scall_update(k, f): __scall_update_key(__scall_key_ref((void *)&k), ...)
			auto *ref = dyn_cast<CallExpr>(ce->getArg(0)->IgnoreParenCasts());
			if (ref && ref->getNumArgs() == 1) {
				Loc l = pval(ref->getArg(0));
				if (l.key)
					store(l, pointee(ref->getArg(0)), false, 0, loc(ce->getBeginLoc()), "scall_update", "", true);
			}
			return true;
		}
		const scall_rules::store_fn *sf = scall_rules::find_store_fn(fn.c_str());
		if (!sf || ce->getNumArgs() <= (unsigned)sf->dst_arg)
			return true;
		const Expr *dst = ce->getArg(sf->dst_arg);
		Loc l = pval(dst);
		if (!l.key)
			return true;
		bool ok = scall_rules::convertible(sf->kind);
		QualType t = pointee(dst);
		uint64_t len = 0;
		bool len_known = false;
		Expr::EvalResult r;
		if (sf->len_arg >= 0 && (unsigned)sf->len_arg < ce->getNumArgs() &&
		    ce->getArg(sf->len_arg)->EvaluateAsInt(r, ctx_))
			len = r.Val.getInt().getZExtValue(), len_known = true;
		else if (sf->len_arg < 0 && sf->kind == scall_rules::store_kind::atomic && size_known(t))
			len = size(t), len_known = true;
		// onto a member: only a whole struct member (s.inner) or element
		if (!whole(l, t) && (t.isNull() || (fnptr_members(t) == 0 && !t->isArrayType())))
			ok = false;
		store(l, t, len_known, len, loc(ce->getBeginLoc()), store_how(sf->kind), "", ok);
		return true;
	}

	bool VisitAtomicExpr(AtomicExpr *ae)
	{
		Loc l = pval(ae->getPtr());
		if (!l.key)
			return true;
		auto op = ae->getOp();
		if (op == AtomicExpr::AO__atomic_load_n || op == AtomicExpr::AO__atomic_load ||
		    op == AtomicExpr::AO__c11_atomic_load)
			return true;
		const char *name = scall_rules::clang_atomic_store_name<AtomicExpr>(op);
		const scall_rules::store_fn *sf = name ? scall_rules::find_store_fn(name) : nullptr;
		bool ok = sf && sf->kind == scall_rules::store_kind::atomic && scall_rules::convertible(sf->kind);
		QualType t = pointee(ae->getPtr());
		store(l, t, size_known(t), size_known(t) ? size(t) : 0, loc(ae->getBeginLoc()),
		      ok ? "atomic store" : "atomic exchange/rmw", "", ok);
		return true;
	}

	bool VisitBinaryOperator(BinaryOperator *bo)
	{
		if (!bo->isAssignmentOp())
			return true;
		const Expr *lhs = bo->getLHS()->IgnoreParens();
		Loc l = lval(lhs);
		if (!l.key)
			return true;
		QualType t = lhs->getType();
		std::string how;
		bool ok = true;
		if (bo->isCompoundAssignmentOp())
			how = "compound assignment", ok = false;
		else if (whole(l, t))
			how = cand(l.key)->kind == "fnptr" ? "assign" : "struct copy";
		else
			how = t.getCanonicalType()->isFunctionPointerType() ? "member assign" : "member struct copy";
		store(l, t, size_known(t), size_known(t) ? size(t) : 0, loc(bo->getBeginLoc()), how,
		      value(bo->getRHS()), ok);
		return true;
	}

	bool VisitUnaryOperator(UnaryOperator *uo)
	{
		if (uo->getOpcode() == UO_AddrOf) {
			// &s.data is harmless; &key, &s, &s.fn, &s.inner, &a[i] are
			// addresses of keys: each must stay a local alias
			Loc l = lval(uo->getSubExpr());
			QualType t = uo->getSubExpr()->getType();
			if (l.key && overlaps(l, size_known(t), size_known(t) ? size(t) : 0))
				follow(uo, l, t, loc(uo->getBeginLoc()));
		} else if (uo->isIncrementDecrementOp()) {
			const Expr *e = uo->getSubExpr()->IgnoreParens();
			Loc l = lval(e);
			QualType t = e->getType();
			if (l.key)
				store(l, t, size_known(t), size_known(t) ? size(t) : 0, loc(uo->getBeginLoc()),
				      "increment", "", false);
		}
		return true;
	}

	bool VisitImplicitCastExpr(ImplicitCastExpr *ic)
	{
		// an array of keys decays to the address of its first element
		if (ic->getCastKind() != CK_ArrayToPointerDecay)
			return true;
		Loc l = lval(ic->getSubExpr());
		QualType t = ic->getSubExpr()->getType();
		if (l.key && overlaps(l, size_known(t), size_known(t) ? size(t) : 0))
			follow(ic, l, t, loc(ic->getBeginLoc()));
		return true;
	}

	bool VisitDeclRefExpr(DeclRefExpr *dre)
	{
		// each read of a local alias is the key's address again
		const VarDecl *vd = dyn_cast<VarDecl>(dre->getDecl());
		if (!local_ptr(vd))
			return true;
		const AliasInfo &a = alias(vd);
		if (!a.loc.key)
			return true;
		auto ps = ctx_.getParents(*static_cast<const Stmt *>(dre));
		const ImplicitCastExpr *rd = ps.empty() ? nullptr : ps[0].get<ImplicitCastExpr>();
		if (rd && rd->getCastKind() == CK_LValueToRValue)
			follow(rd, a.loc, vd->getType()->getPointeeType(), a.taken);
		return true;
	}

private:
	ASTContext &ctx_;
	SourceManager &sm_;
	Results &res_;
	std::map<const VarDecl *, Local> &locals_;
	std::map<const VarDecl *, Cand *> cache_;
	std::map<const VarDecl *, Shape> shapes_;
	std::map<const VarDecl *, AliasInfo> aliases_;
	std::set<const VarDecl *> resolving_;

	std::string loc(SourceLocation l)
	{
		l = sm_.getExpansionLoc(l);
		PresumedLoc p = sm_.getPresumedLoc(l);
		if (p.isInvalid())
			return "?";
		return rel(p.getFilename()) + ":" + std::to_string(p.getLine());
	}

	std::string text(const Expr *e)
	{
		CharSourceRange r = CharSourceRange::getTokenRange(sm_.getExpansionRange(e->getSourceRange()).getAsRange());
		std::string s = Lexer::getSourceText(r, sm_, ctx_.getLangOpts()).str();
		return s.empty() || s.size() > 40 ? "?" : s;
	}

	bool size_known(QualType t)
	{
		return !t.isNull() && !t->isIncompleteType() && !t->isFunctionType() && !t->isVoidType() &&
		       !t->isVariablyModifiedType();
	}
	uint64_t size(QualType t) { return ctx_.getTypeSizeInChars(t).getQuantity(); }

	// What a pointer expression points to (an array: itself, not decayed).
	QualType pointee(const Expr *e)
	{
		e = e->IgnoreParenCasts();
		QualType t = e->getType().getCanonicalType();
		if (t->isArrayType())
			return t;
		return t->isPointerType() ? t->getPointeeType() : QualType();
	}

	// The candidate record for a variable, or null when it is no candidate.
	Cand *cand(const VarDecl *vd)
	{
		vd = vd->getCanonicalDecl();
		auto it = cache_.find(vd);
		if (it != cache_.end())
			return it->second;
		Cand *c = nullptr;
		QualType t = vd->getType();
		// File-scope variables of the user's own files that could be
		// keys (scall_rules::key_problem) and hold at least one.
		if (vd->isFileVarDecl() && !sm_.isInSystemHeader(vd->getLocation()) && vd->getIdentifier()) {
			scall_rules::decl_facts f = {};
			f.what = scall_rules::decl_facts::variable;
			f.static_storage = true;
			f.thread_local_ = vd->getTLSKind() != VarDecl::TLS_None;
			f.array = t->isArrayType();
			QualType et = f.array ? ctx_.getBaseElementType(t) : t;
			f.is_const = et.isConstQualified();
			f.type = type_class(et);
			f.layout_known = f.type == scall_rules::type_class::strct &&
					 et.getCanonicalType()->getAs<RecordType>()->getDecl()->getDefinition();
			unsigned n = f.layout_known ? fnptr_members(et) : 0;
			f.key_members = n;
			const char *kind = nullptr;
			if (!scall_rules::key_problem(f)) {
				if (f.type == scall_rules::type_class::fnptr)
					kind = f.array ? "array" : "fnptr", n = f.array ? 1 : 0;
				else if (n)
					kind = f.array ? "array" : "struct";
			}
			if (kind) {
				bool global = vd->isExternallyVisible();
				std::string name = vd->getName().str();
				std::string id = global ? name : name + "@" + file_of(vd->getLocation());
				c = &res_[id];
				if (c->id.empty()) {
					c->id = id;
					c->name = name;
					c->linkage = global ? "global" : "static";
					c->kind = kind;
					c->fnptrs = n;
					c->type = t.getAsString(ctx_.getPrintingPolicy());
				}
				if (f.array)
					c->elements = std::max(c->elements, shape(vd).n);
			}
		}
		cache_[vd] = c;
		return c;
	}

	std::string file_of(SourceLocation l)
	{
		PresumedLoc p = sm_.getPresumedLoc(sm_.getExpansionLoc(l));
		return p.isInvalid() ? "?" : rel(p.getFilename());
	}

	void member_offsets(QualType t, uint64_t base, std::vector<uint64_t> &out, int depth = 0)
	{
		t = t.getCanonicalType();
		if (t->isFunctionPointerType()) {
			out.push_back(base);
			return;
		}
		if (type_class(t) != scall_rules::type_class::strct || depth > 16)
			return;
		const RecordDecl *rd = t->getAs<RecordType>()->getDecl()->getDefinition();
		if (!rd || rd->isInvalidDecl())
			return;
		const ASTRecordLayout &lay = ctx_.getASTRecordLayout(rd);
		for (const FieldDecl *f : rd->fields()) {
			QualType ft = f->getType().getCanonicalType();
			uint64_t o = base + lay.getFieldOffset(f->getFieldIndex()) / 8;
			switch (scall_rules::field_role_of(type_class(ft), f->isBitField())) {
			case scall_rules::field_role::key_member:
				out.push_back(o);
				break;
			case scall_rules::field_role::nested:
				member_offsets(ft, o, out, depth + 1);
				break;
			case scall_rules::field_role::data:
				break;
			}
		}
	}

	// Where the key members of candidate vd are (docs/format.md: an array's
	// element i holds its members at i * element size + O).
	const Shape &shape(const VarDecl *vd)
	{
		vd = vd->getCanonicalDecl();
		auto it = shapes_.find(vd);
		if (it != shapes_.end())
			return it->second;
		Shape &s = shapes_[vd];
		s.type = vd->getType();
		for (const VarDecl *r : vd->redecls())
			if (!r->getType()->isIncompleteType())
				s.type = r->getType();
		QualType t = s.type;
		if (t->isArrayType()) {
			s.array = true;
			s.n = 1;
			while (const ArrayType *at = ctx_.getAsArrayType(t)) {
				auto *ca = dyn_cast<ConstantArrayType>(at);
				s.n = ca ? s.n * ca->getSize().getZExtValue() : 0;
				t = at->getElementType();
			}
		}
		s.esize = size_known(t) ? size(t) : 0;
		if (!s.esize)
			return s;
		member_offsets(t, 0, s.members);
		return s;
	}

	// Is there a key member exactly at l (a constant place)?
	bool member_at(const Loc &l)
	{
		const Shape &s = shape(l.key);
		if (!s.esize || l.off < 0 || l.stride)
			return false;
		uint64_t i = l.off / s.esize;
		if (s.array ? (s.n && i >= s.n) : i != 0)
			return false;
		return scall_rules::member_at(s.members.begin(), s.members.end(), l.off % s.esize);
	}

	// Is l, with a variable index, a key member of some element?
	bool var_member(const Loc &l)
	{
		const Shape &s = shape(l.key);
		if (!s.array || !s.esize || l.stride % s.esize)
			return false;
		int64_t e = (int64_t)s.esize;
		return scall_rules::member_at(s.members.begin(), s.members.end(), (uint64_t)(((l.off % e) + e) % e));
	}

	// Does [l, l + len) (to the end when !len_known) hold a key member?
	bool overlaps(const Loc &l, bool len_known, uint64_t len)
	{
		const Shape &s = shape(l.key);
		if (s.members.empty() || !s.esize)
			return false;
		if (l.stride)
			return true; // some element, all of them hold keys
		int64_t off = l.off;
		if (off < 0) {
			if (len_known && (int64_t)len <= -off)
				return false;
			len -= len_known ? -off : 0;
			off = 0;
		}
		uint64_t n = s.array ? s.n : 1;
		uint64_t first = off / s.esize;
		if (n && first >= n)
			return false;
		if (!len_known || len >= s.esize)
			return true; // a whole element, or everything from off on
		for (uint64_t i = first; i <= (off + len - 1) / s.esize && (!n || i < n); i++) {
			std::vector<uint64_t> m;
			for (uint64_t o : s.members)
				m.push_back(i * s.esize + o);
			if (scall_rules::range_holds_key(m.begin(), m.end(), off, len, true))
				return true;
		}
		return false;
	}

	// Is l the whole candidate, seen as type t?
	bool whole(const Loc &l, QualType t)
	{
		return !l.stride && l.off == 0 && !t.isNull() &&
		       ctx_.hasSameUnqualifiedType(t, shape(l.key).type);
	}

	// The member path of l as the listing prints it: "" (the whole
	// variable), ".sub.log", "[3].cur", "[i].cur" (variable index), with
	// "+N" for bytes that name no member; t: the type it is accessed as.
	std::string name_of(const Loc &l, QualType want)
	{
		QualType t = shape(l.key).type;
		int64_t off = l.off;
		uint64_t stride = l.stride;
		std::string s;
		for (int depth = 0; depth < 32; depth++) {
			if (off == 0 && !stride && (want.isNull() || ctx_.hasSameUnqualifiedType(t, want)))
				return s;
			if (const ArrayType *at = ctx_.getAsArrayType(t)) {
				QualType et = at->getElementType();
				if (!size_known(et))
					break;
				int64_t e = (int64_t)size(et);
				if (stride && stride % e == 0) {
					s += "[" + l.idx + "]";
					stride = 0;
					off = ((off % e) + e) % e;
				} else if (stride && e % stride) {
					return s + "[?]";
				} else {
					// constant here; a variable index of a smaller
					// stride stays inside this element (a[0][i])
					if (off < 0)
						break;
					s += "[" + std::to_string(off / e) + "]";
					off %= e;
				}
				t = et;
				continue;
			}
			const RecordType *rt = t.getCanonicalType()->getAs<RecordType>();
			const RecordDecl *rd = rt ? rt->getDecl()->getDefinition() : nullptr;
			if (!rd || stride || off < 0)
				break;
			const ASTRecordLayout &lay = ctx_.getASTRecordLayout(rd);
			const FieldDecl *hit = nullptr;
			for (const FieldDecl *f : rd->fields()) {
				if (f->isBitField() || !size_known(f->getType()))
					continue;
				int64_t fo = lay.getFieldOffset(f->getFieldIndex()) / 8;
				if (fo <= off && off < fo + (int64_t)size(f->getType())) {
					hit = f;
					off -= fo;
					break;
				}
			}
			if (!hit)
				break;
			if (hit->getIdentifier())
				s += "." + hit->getName().str();
			t = hit->getType();
		}
		if (stride)
			return s + "[?]";
		return off ? s + "+" + std::to_string(off) : s;
	}

	// The lvalue a call's callee loads (through parens, casts between
	// function pointer types, `*` on a function pointer), or null.
	const Expr *callee_lvalue(const Expr *e)
	{
		for (;;) {
			e = e->IgnoreParens();
			if (auto *c = dyn_cast<CastExpr>(e)) {
				switch (c->getCastKind()) {
				case CK_FunctionToPointerDecay:
				case CK_BitCast:
				case CK_NoOp:
					e = c->getSubExpr();
					continue;
				case CK_LValueToRValue:
					return c->getSubExpr();
				default:
					return nullptr;
				}
			}
			auto *uo = dyn_cast<UnaryOperator>(e);
			if (uo && uo->getOpcode() == UO_Deref &&
			    uo->getSubExpr()->getType().getCanonicalType()->isFunctionPointerType()) {
				e = uo->getSubExpr();
				continue;
			}
			return nullptr;
		}
	}

	// Offset arithmetic: base + index * esize.
	Loc index(Loc b, const Expr *idx, QualType elem, bool neg)
	{
		if (!b || !size_known(elem))
			return Loc();
		uint64_t es = size(elem);
		Expr::EvalResult r;
		if (idx->EvaluateAsInt(r, ctx_)) {
			int64_t v = r.Val.getInt().getSExtValue();
			b.add((neg ? -v : v) * (int64_t)es);
		} else {
			b.vary(es, text(idx));
		}
		return b;
	}

	// The place an lvalue designates inside a candidate (through `.`,
	// `->`, `*` and `[]` on the candidate or on a local alias of it).
	Loc lval(const Expr *e)
	{
		e = e->IgnoreParens();
		if (auto *dre = dyn_cast<DeclRefExpr>(e)) {
			const VarDecl *vd = dyn_cast<VarDecl>(dre->getDecl());
			Loc l;
			if (vd && cand(vd))
				l.key = vd->getCanonicalDecl();
			return l;
		}
		if (auto *me = dyn_cast<MemberExpr>(e)) {
			Loc b = me->isArrow() ? pval(me->getBase()) : lval(me->getBase());
			const ValueDecl *m = me->getMemberDecl();
			if (!b || !(isa<FieldDecl>(m) || isa<IndirectFieldDecl>(m)))
				return Loc();
			b.add(ctx_.getFieldOffset(m) / 8);
			return b;
		}
		if (auto *as = dyn_cast<ArraySubscriptExpr>(e))
			return index(pval(as->getBase()), as->getIdx(), as->getType(), false);
		if (auto *uo = dyn_cast<UnaryOperator>(e))
			if (uo->getOpcode() == UO_Deref)
				return pval(uo->getSubExpr());
		return Loc();
	}

	// The place a pointer value points to inside a candidate: `&lvalue`,
	// an array's decay, a local alias, casts, pointer arithmetic, `?:`
	// between two equal places.
	Loc pval(const Expr *e)
	{
		e = e->IgnoreParens();
		if (auto *c = dyn_cast<CastExpr>(e)) {
			switch (c->getCastKind()) {
			case CK_ArrayToPointerDecay:
				return lval(c->getSubExpr());
			case CK_LValueToRValue: {
				const VarDecl *vd = local_ref(c->getSubExpr());
				if (!vd)
					return Loc();
				if (resolving_.count(vd)) {
					Loc s;
					s.self = true;
					return s;
				}
				return alias(vd).loc;
			}
			case CK_BitCast:
			case CK_NoOp:
			case CK_AddressSpaceConversion:
				return pval(c->getSubExpr());
			default:
				return Loc();
			}
		}
		if (auto *uo = dyn_cast<UnaryOperator>(e))
			return uo->getOpcode() == UO_AddrOf ? lval(uo->getSubExpr()) : Loc();
		if (auto *bo = dyn_cast<BinaryOperator>(e)) {
			if (bo->getOpcode() != BO_Add && bo->getOpcode() != BO_Sub)
				return Loc();
			const Expr *p = bo->getLHS(), *i = bo->getRHS();
			if (!p->getType()->isPointerType())
				std::swap(p, i);
			if (!p->getType()->isPointerType() || !i->getType()->isIntegerType())
				return Loc();
			QualType pt = p->getType()->getPointeeType();
			if (pt->isVoidType())
				pt = ctx_.CharTy; // GNU C: void * arithmetic in bytes
			return index(pval(p), i, pt, bo->getOpcode() == BO_Sub);
		}
		if (auto *co = dyn_cast<ConditionalOperator>(e)) {
			Loc a = pval(co->getTrueExpr()), b = pval(co->getFalseExpr());
			return a.same(b) ? a : Loc();
		}
		return Loc();
	}

	// What local pointer vd holds: an alias when every value assigned to it
	// is a place in the same candidate and its address is never taken;
	// the place is variable when the values differ or it moves itself.
	const AliasInfo &alias(const VarDecl *vd)
	{
		auto it = aliases_.find(vd);
		if (it != aliases_.end())
			return it->second;
		AliasInfo a;
		auto lt = locals_.find(vd);
		if (lt != locals_.end()) {
			resolving_.insert(vd);
			const Local &l = lt->second;
			bool other = false, first = true, moved = l.moved;
			for (const Expr *d : l.defs) {
				Loc v = pval(d);
				if (v.self) {
					moved |= v.off || v.stride; // p = p + 1
					continue;
				}
				if (!v.key) {
					other = true;
					continue;
				}
				if (a.loc.key && a.loc.key != v.key) {
					other = true;
					continue;
				}
				if (first) {
					a.loc = v;
					a.taken = loc(d->getBeginLoc());
					first = false;
				} else if (!a.loc.same(v)) {
					uint64_t diff = (uint64_t)std::llabs(a.loc.off - v.off);
					if (diff)
						a.loc.vary(diff, "?");
					if (v.stride)
						a.loc.vary(v.stride, v.idx);
				}
			}
			resolving_.erase(vd);
			// p++ in a loop: the compilers see a merge of two places
			if (a.loc.key && l.addr_taken)
				a.why = "its address is taken";
			else if (a.loc.key && moved)
				a.why = "it moves (p++, p += n): a merge of different places";
			else if (a.loc.key && other)
				a.why = "it also holds other pointers";
			if (!a.why.empty())
				a.loc = Loc();
		}
		return aliases_[vd] = a;
	}

	void store(const Loc &l, QualType t, bool len_known, uint64_t len, const std::string &at,
		   const std::string &how, const std::string &val, bool ok)
	{
		if (!overlaps(l, len_known, len))
			return;
		cand(l.key)->stores.insert({at, name_of(l, t), how, val, ok});
	}

	void escape(const Loc &l, const std::string &mem, const std::string &at, const std::string &use,
		    const std::string &taken)
	{
		cand(l.key)->escapes.insert({at, mem, use, taken});
	}

	// Follow the address of a key (origin: `&k...`, an array's decay, the
	// read of a local alias) up through the expressions that use it: it
	// must end in an access, a comparison, a local alias or a call that
	// alias_may_pass_to allows; anything else is where it escapes.
	void follow(const Expr *origin, const Loc &l, QualType t, const std::string &taken)
	{
		const std::string mem = name_of(l, t);
		const Expr *cur = origin;
		for (;;) {
			auto ps = ctx_.getParents(*static_cast<const Stmt *>(cur));
			if (ps.empty())
				return;
			if (const VarDecl *vd = ps[0].get<VarDecl>()) {
				if (vd->getInit() == cur || (vd->getInit() && vd->getInit()->IgnoreParens() == cur))
					stored_in(vd, l, mem, loc(cur->getBeginLoc()), taken);
				return;
			}
			const Stmt *p = ps[0].get<Stmt>();
			if (!p)
				return;
			std::string at = loc(p->getBeginLoc());
			if (isa<ReturnStmt>(p))
				return escape(l, mem, at, "address returned", taken);
			auto *pe = dyn_cast<Expr>(p);
			if (!pe)
				return; // a statement: the value is discarded
			if (isa<ParenExpr>(pe) || isa<GenericSelectionExpr>(pe) || isa<ChooseExpr>(pe)) {
				cur = pe;
				continue;
			}
			if (auto *c = dyn_cast<CastExpr>(pe)) {
				switch (c->getCastKind()) {
				case CK_PointerToIntegral:
					return escape(l, mem, at, "address converted to an integer", taken);
				case CK_PointerToBoolean:
				case CK_ToVoid:
					return;
				default:
					cur = pe;
					continue;
				}
			}
			if (isa<MemberExpr>(pe) || isa<ArraySubscriptExpr>(pe) || isa<UnaryExprOrTypeTraitExpr>(pe))
				return; // an access (calls and stores are counted there), sizeof
			if (auto *uo = dyn_cast<UnaryOperator>(pe)) {
				if (uo->getOpcode() == UO_Extension) {
					cur = pe;
					continue;
				}
				return; // *p, !p
			}
			if (auto *bo = dyn_cast<BinaryOperator>(pe)) {
				switch (bo->getOpcode()) {
				case BO_Add:
				case BO_Sub:
					if (!bo->getType()->isPointerType())
						return; // p - q
					cur = pe;
					continue;
				case BO_Comma:
					if (bo->getLHS() == cur)
						return;
					cur = pe;
					continue;
				case BO_Assign:
					if (bo->getRHS() != cur)
						return;
					if (const VarDecl *vd = local_ref(bo->getLHS()))
						return stored_in(vd, l, mem, at, taken);
					return escape(l, mem, at, "address stored to memory", taken);
				default:
					if (bo->isComparisonOp() || bo->isLogicalOp())
						return;
					return escape(l, mem, at, "address used in arithmetic", taken);
				}
			}
			if (auto *co = dyn_cast<ConditionalOperator>(pe)) {
				if (co->getCond() == cur)
					return;
				const Expr *other = co->getTrueExpr() == cur ? co->getFalseExpr() : co->getTrueExpr();
				if (!pval(other).same(l))
					return escape(l, mem, at, "address merged with another pointer (?:)", taken);
				cur = pe;
				continue;
			}
			if (auto *ce = dyn_cast<CallExpr>(pe)) {
				if (ce->getCallee() == cur)
					return;
				const FunctionDecl *fd = ce->getDirectCallee();
				std::string fn = fd && fd->getIdentifier() ? fd->getName().str() : "";
				// scall.h's macros; GCC folds __builtin_object_size (of
				// _FORTIFY_SOURCE) before the plugin's pass
				if (fn.compare(0, 8, "__scall_") == 0 || fn == "__builtin_object_size" ||
				    fn == "__builtin_dynamic_object_size")
					return;
				if (scall_rules::alias_may_pass_to(scall_rules::find_store_fn(fn.c_str())))
					return;
				return escape(l, mem, at,
					      fn.empty() ? "address passed to a call through a pointer"
							 : "address passed to " + fn + "()",
					      taken);
			}
			if (auto *ae = dyn_cast<AtomicExpr>(pe)) {
				if (ae->getPtr() == cur)
					return;
				// __atomic_store(p, &v, o) reads v; _n forms store the value
				auto op = ae->getOp();
				if (op == AtomicExpr::AO__atomic_store || op == AtomicExpr::AO__atomic_exchange ||
				    op == AtomicExpr::AO__atomic_compare_exchange)
					return;
				return escape(l, mem, at, "address stored to memory", taken);
			}
			if (isa<InitListExpr>(pe) || isa<CompoundLiteralExpr>(pe) || isa<DesignatedInitExpr>(pe))
				return escape(l, mem, loc(cur->getBeginLoc()), "address stored in an initializer",
					      taken);
			return escape(l, mem, at, "address used", taken);
		}
	}

	// The key's address is assigned to (or initialises) variable vd.
	void stored_in(const VarDecl *vd, const Loc &l, const std::string &mem, const std::string &at,
		       const std::string &taken)
	{
		if (local_ptr(vd)) {
			const AliasInfo &a = alias(vd);
			if (a.loc.key)
				return;
			return escape(l, mem, at, "address stored in local '" + vd->getName().str() + "': " +
							     (a.why.empty() ? std::string("not an alias") : a.why),
				      taken);
		}
		if (vd->hasGlobalStorage())
			return escape(l, mem, at, "address stored in '" + vd->getName().str() + "'", taken);
		return escape(l, mem, at, "address stored to memory", taken);
	}

	std::string value(const Expr *e)
	{
		e = e->IgnoreParenCasts();
		if (auto *dre = dyn_cast<DeclRefExpr>(e)) {
			if (isa<FunctionDecl>(dre->getDecl()))
				return "function " + dre->getDecl()->getNameAsString();
			return dre->getDecl()->getNameAsString();
		}
		Loc l = lval(e);
		if (l.key)
			return l.key->getNameAsString() + name_of(l, e->getType());
		if (isa<IntegerLiteral>(e) || e->isNullPointerConstant(ctx_, Expr::NPC_ValueDependentIsNotNull))
			return "NULL";
		return "expression";
	}
};

class Consumer : public ASTConsumer {
public:
	explicit Consumer(Results &r) : r_(r) {}
	void HandleTranslationUnit(ASTContext &ctx) override
	{
		Locals l;
		l.TraverseDecl(ctx.getTranslationUnitDecl());
		Visitor v(ctx, r_, l.m);
		v.TraverseDecl(ctx.getTranslationUnitDecl());
	}

private:
	Results &r_;
};

class Action : public ASTFrontendAction {
public:
	explicit Action(Results &r) : r_(r) {}
	std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance &, StringRef) override
	{
		return std::make_unique<Consumer>(r_);
	}

private:
	Results &r_;
};

class Factory : public tooling::FrontendActionFactory {
public:
	explicit Factory(Results &r) : r_(r) {}
	std::unique_ptr<FrontendAction> create() override { return std::make_unique<Action>(r_); }

private:
	Results &r_;
};

int annotation_rank(const std::string &a)
{
	return a == "SCALL_KEY_ESCAPES" ? 2 : a == "SCALL_KEY" ? 1 : 0;
}

void merge(Results &into, Results &from)
{
	for (auto &kv : from) {
		Cand &c = into[kv.first];
		const Cand &o = kv.second;
		if (c.id.empty()) {
			c = o;
			continue;
		}
		if (c.defined.empty())
			c.defined = o.defined;
		c.initialized |= o.initialized;
		if (annotation_rank(o.annotation) > annotation_rank(c.annotation))
			c.annotation = o.annotation;
		c.elements = std::max(c.elements, o.elements);
		c.calls.insert(o.calls.begin(), o.calls.end());
		c.var_calls.insert(o.var_calls.begin(), o.var_calls.end());
		c.stores.insert(o.stores.begin(), o.stores.end());
		c.escapes.insert(o.escapes.begin(), o.escapes.end());
	}
}

// SCALL_KEY_ESCAPES (on any declaration of any unit) allows the key's
// escapes: listed apart, as the writes the user promised to follow with
// scall_resync().
void allow_escapes(Results &res)
{
	for (auto &kv : res) {
		Cand &c = kv.second;
		if (c.annotation == "SCALL_KEY_ESCAPES") {
			c.allowed.insert(c.escapes.begin(), c.escapes.end());
			c.escapes.clear();
		}
	}
}

void jstr(FILE *f, const std::string &s)
{
	fputc('"', f);
	for (unsigned char ch : s) {
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

// A member path as JSON and the text listing show it: "sub.log", "[3].cur".
std::string member_text(const std::string &m)
{
	return !m.empty() && m[0] == '.' ? m.substr(1) : m;
}

std::string where(const std::string &loc, const std::string &member)
{
	return member.empty() ? loc : loc + " (" + member_text(member) + ")";
}

std::string kind_text(const Cand *c)
{
	char b[96];
	if (c->kind == "struct")
		snprintf(b, sizeof b, "struct (%u function pointers)", c->fnptrs);
	else if (c->kind == "array" && c->elements)
		snprintf(b, sizeof b, "array (%llu elements of %u function pointer%s)",
			 (unsigned long long)c->elements, c->fnptrs, c->fnptrs == 1 ? "" : "s");
	else if (c->kind == "array")
		snprintf(b, sizeof b, "array (elements of %u function pointer%s)", c->fnptrs,
			 c->fnptrs == 1 ? "" : "s");
	else
		snprintf(b, sizeof b, "%s", c->kind.c_str());
	return b;
}

void print_text(FILE *f, const std::vector<const Cand *> &cs, size_t units, size_t failed)
{
	size_t ncalls = 0, nvar = 0, nbad = 0;
	for (const Cand *c : cs) {
		ncalls += c->calls.size();
		nvar += c->var_calls.size();
		for (const Store &s : c->stores)
			nbad += !s.convertible;
		nbad += c->escapes.size();
	}
	fprintf(f,
		"scall-scan: %zu units (%zu with errors), %zu candidate keys, %zu call sites, "
		"%zu left indirect (variable index)\n\n",
		units, failed, cs.size(), ncalls, nvar);
	for (const Cand *c : cs) {
		size_t ok = 0;
		for (const Store &s : c->stores)
			ok += s.convertible;
		fprintf(f, "%s  %s %s %s%s%s\n", c->id.c_str(), c->linkage.c_str(), kind_text(c).c_str(),
			c->type.c_str(), c->annotation.empty() ? "" : ", ", c->annotation.c_str());
		fprintf(f, "  defined   %s%s\n", c->defined.empty() ? "(not in these units)" : c->defined.c_str(),
			c->initialized ? ", initialized" : ", zero-initialized");
		fprintf(f, "  calls     %zu\n", c->calls.size());
		for (auto &cl : c->calls)
			fprintf(f, "    %s\n", where(cl.first, cl.second).c_str());
		if (!c->var_calls.empty()) {
			fprintf(f, "  left indirect (variable index) %zu\n", c->var_calls.size());
			for (auto &cl : c->var_calls)
				fprintf(f, "    %s\n", where(cl.first, cl.second).c_str());
		}
		fprintf(f, "  stores    %zu (%zu convertible)\n", c->stores.size(), ok);
		for (const Store &s : c->stores)
			fprintf(f, "    %s: %s%s%s%s\n", where(s.loc, s.member).c_str(), s.how.c_str(),
				s.value.empty() ? "" : " = ", s.value.c_str(),
				s.convertible ? "" : "  [not convertible]");
		if (!c->escapes.empty()) {
			fprintf(f, "  escapes   %zu\n", c->escapes.size());
			for (const Escape &e : c->escapes)
				fprintf(f, "    %s: %s%s  [writes through it are not converted]\n",
					where(e.loc, e.member).c_str(), e.use.c_str(),
					e.taken == e.loc ? "" : (" (taken at " + e.taken + ")").c_str());
		}
		if (!c->allowed.empty()) {
			fprintf(f, "  escapes   %zu allowed by SCALL_KEY_ESCAPES (call scall_resync() after writing through them)\n",
				c->allowed.size());
			for (const Escape &e : c->allowed)
				fprintf(f, "    %s: %s%s\n", where(e.loc, e.member).c_str(), e.use.c_str(),
					e.taken == e.loc ? "" : (" (taken at " + e.taken + ")").c_str());
		}
	}
	fprintf(f, "\nnot convertible: %zu (stores store conversion cannot handle, and escaped addresses)\n", nbad);
	for (const Cand *c : cs) {
		for (const Store &s : c->stores)
			if (!s.convertible)
				fprintf(f, "  %s: %s%s: %s\n", s.loc.c_str(), c->name.c_str(), s.member.c_str(), s.how.c_str());
		for (const Escape &e : c->escapes)
			fprintf(f, "  %s: &%s%s: %s\n", e.loc.c_str(), c->name.c_str(), e.member.c_str(), e.use.c_str());
	}
	if (nvar) {
		fprintf(f, "\nleft indirect: %zu calls through an array of keys with a variable index\n", nvar);
		for (const Cand *c : cs)
			for (auto &cl : c->var_calls)
				fprintf(f, "  %s: %s%s\n", cl.first.c_str(), c->name.c_str(), cl.second.c_str());
	}
}

void json_sites(FILE *f, const std::set<Site> &s)
{
	bool first = true;
	for (auto &cl : s) {
		fputs(first ? "{\"loc\":" : ",{\"loc\":", f);
		first = false;
		jstr(f, cl.first);
		fputs(",\"member\":", f), jstr(f, member_text(cl.second));
		fputc('}', f);
	}
}

void json_escapes(FILE *f, const std::set<Escape> &s)
{
	bool first = true;
	for (const Escape &e : s) {
		fputs(first ? "{\"loc\":" : ",{\"loc\":", f);
		first = false;
		jstr(f, e.loc);
		fputs(",\"member\":", f), jstr(f, member_text(e.member));
		fputs(",\"use\":", f), jstr(f, e.use);
		fputs(",\"taken\":", f), jstr(f, e.taken);
		fputc('}', f);
	}
}

void print_json(FILE *f, const std::vector<const Cand *> &cs, size_t units, size_t failed)
{
	fprintf(f, "{\"units\":%zu,\"units_with_errors\":%zu,\"candidates\":[", units, failed);
	bool first = true;
	for (const Cand *c : cs) {
		fputs(first ? "\n{" : ",\n{", f);
		first = false;
		fputs("\"id\":", f), jstr(f, c->id);
		fputs(",\"name\":", f), jstr(f, c->name);
		fputs(",\"linkage\":", f), jstr(f, c->linkage);
		fputs(",\"kind\":", f), jstr(f, c->kind);
		fputs(",\"type\":", f), jstr(f, c->type);
		fputs(",\"annotation\":", f), jstr(f, c->annotation);
		fprintf(f, ",\"fnptr_members\":%u,\"elements\":%llu,\"initialized\":%s,\"defined\":", c->fnptrs,
			(unsigned long long)c->elements, c->initialized ? "true" : "false");
		jstr(f, c->defined);
		fputs(",\"calls\":[", f);
		json_sites(f, c->calls);
		fputs("],\"variable_index_calls\":[", f);
		json_sites(f, c->var_calls);
		fputs("],\"stores\":[", f);
		bool f2 = true;
		for (const Store &s : c->stores) {
			fputs(f2 ? "{\"loc\":" : ",{\"loc\":", f);
			f2 = false;
			jstr(f, s.loc);
			fputs(",\"member\":", f), jstr(f, member_text(s.member));
			fputs(",\"how\":", f), jstr(f, s.how);
			fputs(",\"value\":", f), jstr(f, s.value);
			fprintf(f, ",\"convertible\":%s}", s.convertible ? "true" : "false");
		}
		fputs("],\"escapes\":[", f);
		json_escapes(f, c->escapes);
		fputs("],\"allowed_escapes\":[", f);
		json_escapes(f, c->allowed);
		fputs("]}", f);
	}
	fputs("\n]}\n", f);
}

void usage(FILE *f)
{
	fputs("usage: scall-scan [-p BUILD_DIR|compile_commands.json] [--json] [-j N] [-o OUT] [--all] [FILE...]\n"
	      "  lists scall key candidates: global and file-static function pointers,\n"
	      "  structs of them and arrays of either that are called through, their call\n"
	      "  sites (and those left indirect: an array with a variable index), their\n"
	      "  stores (convertible by -fplugin-arg-scall-convert-stores or not) and\n"
	      "  escapes (none for a SCALL_KEY_ESCAPES key: listed as allowed).\n"
	      "  -p        where compile_commands.json is (default: .)\n"
	      "  --json    JSON on stdout (or OUT)\n"
	      "  --all     also variables nothing calls through\n"
	      "  -j N      parse N units at a time (default: number of CPUs)\n"
	      "  FILE...   only these units of the database\n",
	      f);
}

} // namespace

int main(int argc, char **argv)
{
	std::string dbpath = ".", out;
	bool json = false, all = false;
	unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
	std::vector<std::string> only;
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if ((a == "-p" || a == "-o" || a == "-j") && i + 1 < argc) {
			std::string v = argv[++i];
			if (a == "-p")
				dbpath = v;
			else if (a == "-o")
				out = v;
			else
				jobs = std::max(1, atoi(v.c_str()));
		} else if (a.compare(0, 2, "-p") == 0 && a.size() > 2)
			dbpath = a.substr(2);
		else if (a == "--json")
			json = true;
		else if (a == "--all")
			all = true;
		else if (a == "-h" || a == "--help") {
			usage(stdout);
			return 0;
		} else if (!a.empty() && a[0] == '-') {
			fprintf(stderr, "scall-scan: unknown option %s\n", a.c_str());
			usage(stderr);
			return 2;
		} else
			only.push_back(a);
	}

	std::string err;
	std::unique_ptr<tooling::CompilationDatabase> db;
	if (llvm::sys::fs::is_directory(dbpath))
		db = tooling::CompilationDatabase::loadFromDirectory(dbpath, err);
	else
		db = tooling::JSONCompilationDatabase::loadFromFile(dbpath, err,
								    tooling::JSONCommandLineSyntax::AutoDetect);
	if (!db) {
		fprintf(stderr, "scall-scan: %s: %s\n", dbpath.c_str(), err.c_str());
		return 3;
	}
	{
		llvm::SmallString<256> base(dbpath);
		llvm::sys::fs::make_absolute(base);
		if (!llvm::sys::fs::is_directory(base))
			llvm::sys::path::remove_filename(base);
		llvm::sys::path::remove_dots(base, true);
		g_base = std::string(base);
	}

	std::vector<std::string> files = db->getAllFiles();
	if (!only.empty()) {
		std::vector<std::string> sel;
		for (const std::string &o : only) {
			llvm::SmallString<256> p(o);
			llvm::sys::fs::make_absolute(p);
			llvm::sys::path::remove_dots(p, true);
			auto it = std::find_if(files.begin(), files.end(), [&](const std::string &f) {
				return f == std::string(p) || rel(f) == o ||
				       (f.size() > o.size() && f.compare(f.size() - o.size(), o.size(), o) == 0 &&
					f[f.size() - o.size() - 1] == '/');
			});
			if (it == files.end()) {
				fprintf(stderr, "scall-scan: %s is not in %s\n", o.c_str(), dbpath.c_str());
				return 2;
			}
			sel.push_back(*it);
		}
		files = sel;
	}
	std::sort(files.begin(), files.end());
	files.erase(std::unique(files.begin(), files.end()), files.end());
	// only C units (scall.h is C)
	files.erase(std::remove_if(files.begin(), files.end(),
				   [](const std::string &f) { return !scall_compat::endsWith(f, ".c"); }),
		    files.end());

	// Each thread parses its share of the units with its own ClangTool on its
	// own physical file system, which keeps the working directory of the unit
	// to itself (the default, the real file system, would chdir the process).
	jobs = std::min<unsigned>(jobs, std::max<size_t>(1, files.size()));
	std::vector<Results> part(jobs);
	std::atomic<size_t> next{0}, failed{0};
	std::vector<std::thread> th;
	for (unsigned t = 0; t < jobs; t++)
		th.emplace_back([&, t] {
			for (;;) {
				size_t i = next++;
				if (i >= files.size())
					break;
				llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> fs(
					llvm::vfs::createPhysicalFileSystem().release());
				tooling::ClangTool tool(*db, {files[i]},
							std::make_shared<PCHContainerOperations>(), fs);
				tool.appendArgumentsAdjuster(
					[](const tooling::CommandLineArguments &args, StringRef) {
						tooling::CommandLineArguments r;
						for (const std::string &a : args) {
							// gcc-only flags clang rejects
							if (a.rfind("-fplugin", 0) == 0 ||
							    a.rfind("-mindirect-branch", 0) == 0 ||
							    a.rfind("-mfunction-return", 0) == 0 ||
							    a.rfind("-Werror", 0) == 0)
								continue;
							r.push_back(a);
						}
						return r;
					});
				if (*SCALL_SCAN_RESOURCE_DIR)
					tool.appendArgumentsAdjuster(tooling::getInsertArgumentAdjuster(
						"-resource-dir=" SCALL_SCAN_RESOURCE_DIR,
						tooling::ArgumentInsertPosition::END));
				tool.appendArgumentsAdjuster(tooling::getInsertArgumentAdjuster(
					{"-Wno-everything", "-ferror-limit=0", "-fsyntax-only"},
					tooling::ArgumentInsertPosition::END));
				IgnoringDiagConsumer quiet;
				tool.setDiagnosticConsumer(&quiet);
				Factory fac(part[t]);
				if (tool.run(&fac) != 0) {
					failed++;
					fprintf(stderr, "scall-scan: %s: parse errors (results from it may be partial)\n",
						rel(files[i]).c_str());
				}
			}
		});
	for (auto &t : th)
		t.join();
	Results res;
	for (auto &p : part)
		merge(res, p);
	allow_escapes(res);

	std::vector<const Cand *> cs;
	for (auto &kv : res)
		if (all || !kv.second.calls.empty() || !kv.second.var_calls.empty())
			cs.push_back(&kv.second);

	FILE *f = stdout;
	if (!out.empty() && !(f = fopen(out.c_str(), "w"))) {
		perror(out.c_str());
		return 3;
	}
	if (json)
		print_json(f, cs, files.size(), failed);
	else
		print_text(f, cs, files.size(), failed);
	if (f != stdout && fclose(f) != 0) {
		perror(out.c_str());
		return 3;
	}
	return failed == files.size() && !files.empty() ? 1 : 0;
}
