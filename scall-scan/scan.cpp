// SPDX-License-Identifier: MIT
//
// scall-scan - list the scall key candidates of a C project.
//
// Reads the project through compile_commands.json (bear, meson, CMake) and
// parses every unit with clang's libTooling.  A candidate is a global or
// file-static variable that is a function pointer, or a struct holding
// function pointers (at any depth, arrays excluded), and that some code
// calls through.  For each: its call sites and every store to it, each store
// classified as one that store conversion (-fplugin-arg-scall-convert-stores)
// handles or not; and every place its address escapes, through which writes
// cannot be converted.

#include "llvm-compat.h"
#include "scall-rules.h"

#include <clang/AST/ASTConsumer.h>
#include <clang/AST/ASTContext.h>
#include <clang/AST/RecursiveASTVisitor.h>
#include <clang/Basic/SourceManager.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/FrontendAction.h>
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

struct Escape {
	std::string loc, member, use;
	bool operator<(const Escape &o) const
	{
		return std::tie(loc, member) < std::tie(o.loc, o.member);
	}
};

struct Cand {
	std::string id, name, linkage, kind, type, defined;
	unsigned fnptrs = 0;
	bool initialized = false;
	std::set<std::pair<std::string, std::string>> calls; // (loc, member)
	std::set<Store> stores;
	std::set<Escape> escapes;
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

class Visitor : public RecursiveASTVisitor<Visitor> {
public:
	Visitor(ASTContext &ctx, Results &res) : ctx_(ctx), sm_(ctx.getSourceManager()), res_(res) {}

	bool VisitVarDecl(VarDecl *vd)
	{
		if (Cand *c = cand(vd)) {
			if (vd->hasInit() && vd->isThisDeclarationADefinition() == VarDecl::Definition)
				c->initialized = true;
			if (vd->isThisDeclarationADefinition() != VarDecl::DeclarationOnly &&
			    (c->defined.empty() || vd->isThisDeclarationADefinition() == VarDecl::Definition))
				c->defined = loc(vd->getLocation());
		}
		return true;
	}

	bool VisitCallExpr(CallExpr *ce)
	{
		std::string member;
		const Expr *callee = ce->getCallee()->IgnoreParenImpCasts();
		while (auto *uo = dyn_cast<UnaryOperator>(callee)) {
			if (uo->getOpcode() != UO_Deref)
				break;
			callee = uo->getSubExpr()->IgnoreParenImpCasts();
		}
		if (const VarDecl *vd = root(callee, member)) {
			if (Cand *c = cand(vd)) {
				if (c->kind == "fnptr" ? member.empty() : !member.empty())
					c->calls.insert({loc(ce->getBeginLoc()), member});
			}
			return true;
		}
		const FunctionDecl *fd = ce->getDirectCallee();
		if (!fd || ce->getNumArgs() == 0 || !fd->getIdentifier())
			return true;
		std::string fn = fd->getName().str();
		const char *how = nullptr;
		bool ok = false;
		if (fn.compare(0, 8, "__scall_") == 0) {
			// scall.h's macros: scall_update(k, f) etc.
			for (unsigned i = 0; i < ce->getNumArgs(); i++)
				if (const VarDecl *v = addr_of(ce->getArg(i), member)) {
					consumed(ce->getArg(i));
					if (Cand *c = cand(v))
						if (fn.find("update") != std::string::npos)
							c->stores.insert({loc(ce->getBeginLoc()), member, "scall_update", "", true});
				}
			return true;
		}
		const scall_rules::store_fn *sf = scall_rules::find_store_fn(fn.c_str());
		if (!sf || ce->getNumArgs() <= (unsigned)sf->dst_arg)
			return true;
		how = store_how(sf->kind);
		ok = scall_rules::convertible(sf->kind);
		const Expr *dst = ce->getArg(sf->dst_arg);
		if (const VarDecl *v = addr_of(dst, member)) {
			consumed(dst);
			if (Cand *c = cand(v)) {
				// onto a member: only a whole struct member (s.inner)
				const Expr *a0 = dst->IgnoreParenCasts();
				QualType t = cast<UnaryOperator>(a0)->getSubExpr()->getType();
				if (!member.empty() && !fnptr_members(t))
					ok = false;
				c->stores.insert({loc(ce->getBeginLoc()), member, how, "", ok});
			}
		}
		return true;
	}

	bool VisitAtomicExpr(AtomicExpr *ae)
	{
		std::string member;
		if (const VarDecl *v = addr_of(ae->getPtr(), member)) {
			consumed(ae->getPtr());
			Cand *c = cand(v);
			if (!c)
				return true;
			auto op = ae->getOp();
			if (op == AtomicExpr::AO__atomic_load_n || op == AtomicExpr::AO__atomic_load ||
			    op == AtomicExpr::AO__c11_atomic_load)
				return true;
			const char *name = scall_rules::clang_atomic_store_name<AtomicExpr>(op);
			const scall_rules::store_fn *sf = name ? scall_rules::find_store_fn(name) : nullptr;
			bool ok = sf && sf->kind == scall_rules::store_kind::atomic && scall_rules::convertible(sf->kind);
			c->stores.insert({loc(ae->getBeginLoc()), member, ok ? "atomic store" : "atomic exchange/rmw", "", ok});
		}
		return true;
	}

	bool VisitBinaryOperator(BinaryOperator *bo)
	{
		if (!bo->isAssignmentOp())
			return true;
		std::string member;
		const VarDecl *vd = root(bo->getLHS()->IgnoreParens(), member);
		Cand *c = vd ? cand(vd) : nullptr;
		if (!c)
			return true;
		std::string how;
		bool ok = true;
		if (bo->isCompoundAssignmentOp())
			how = "compound assignment", ok = false;
		else if (member.empty())
			how = c->kind == "struct" ? "struct copy" : "assign";
		else {
			QualType t = bo->getLHS()->getType().getCanonicalType();
			how = t->isFunctionPointerType() ? "member assign" : "member struct copy";
		}
		c->stores.insert({loc(bo->getBeginLoc()), member, how, value(bo->getRHS()), ok});
		return true;
	}

	bool VisitUnaryOperator(UnaryOperator *uo)
	{
		std::string member;
		if (uo->getOpcode() == UO_AddrOf) {
			if (done_.count(uo))
				return true;
			// &s.data is harmless; &key, &s, &s.fn, &s.inner escape
			QualType t = uo->getSubExpr()->getType().getCanonicalType();
			if (!t->isFunctionPointerType() && !fnptr_members(t))
				return true;
			const VarDecl *vd = root(uo->getSubExpr()->IgnoreParens(), member);
			if (Cand *c = vd ? cand(vd) : nullptr)
				c->escapes.insert({loc(uo->getBeginLoc()), member, "address taken"});
		} else if (uo->isIncrementDecrementOp()) {
			const VarDecl *vd = root(uo->getSubExpr()->IgnoreParens(), member);
			if (Cand *c = vd ? cand(vd) : nullptr)
				c->stores.insert({loc(uo->getBeginLoc()), member, "increment", "", false});
		}
		return true;
	}

private:
	ASTContext &ctx_;
	SourceManager &sm_;
	Results &res_;
	std::set<const Expr *> done_;
	std::map<const VarDecl *, Cand *> cache_;

	std::string loc(SourceLocation l)
	{
		l = sm_.getExpansionLoc(l);
		PresumedLoc p = sm_.getPresumedLoc(l);
		if (p.isInvalid())
			return "?";
		return rel(p.getFilename()) + ":" + std::to_string(p.getLine());
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
			f.is_const = t.isConstQualified();
			f.type = type_class(t);
			f.layout_known = f.type == scall_rules::type_class::strct &&
					 t.getCanonicalType()->getAs<RecordType>()->getDecl()->getDefinition();
			unsigned n = f.layout_known ? fnptr_members(t) : 0;
			f.key_members = n;
			const char *kind = nullptr;
			if (!scall_rules::key_problem(f))
				kind = f.type == scall_rules::type_class::fnptr ? "fnptr" : n ? "struct" : nullptr;
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

	// The variable an lvalue expression names, with the member path
	// (".a.b") when it goes through struct members with '.'.
	const VarDecl *root(const Expr *e, std::string &member)
	{
		e = e->IgnoreParenImpCasts();
		if (auto *dre = dyn_cast<DeclRefExpr>(e)) {
			member.clear();
			return dyn_cast<VarDecl>(dre->getDecl());
		}
		if (auto *me = dyn_cast<MemberExpr>(e)) {
			if (me->isArrow())
				return nullptr;
			const VarDecl *vd = root(me->getBase(), member);
			if (vd)
				member += "." + me->getMemberDecl()->getNameAsString();
			return vd;
		}
		return nullptr;
	}

	// &var or &var.member (through casts): the variable, else null.
	const VarDecl *addr_of(const Expr *e, std::string &member)
	{
		e = e->IgnoreParenCasts();
		auto *uo = dyn_cast<UnaryOperator>(e);
		if (!uo || uo->getOpcode() != UO_AddrOf)
			return nullptr;
		return root(uo->getSubExpr()->IgnoreParens(), member);
	}

	void consumed(const Expr *e)
	{
		if (auto *uo = dyn_cast<UnaryOperator>(e->IgnoreParenCasts()))
			done_.insert(uo);
	}

	std::string value(const Expr *e)
	{
		e = e->IgnoreParenCasts();
		if (auto *dre = dyn_cast<DeclRefExpr>(e)) {
			if (isa<FunctionDecl>(dre->getDecl()))
				return "function " + dre->getDecl()->getNameAsString();
			return dre->getDecl()->getNameAsString();
		}
		std::string m;
		if (const VarDecl *vd = root(e, m))
			return vd->getNameAsString() + m;
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
		Visitor v(ctx, r_);
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
		c.calls.insert(o.calls.begin(), o.calls.end());
		c.stores.insert(o.stores.begin(), o.stores.end());
		c.escapes.insert(o.escapes.begin(), o.escapes.end());
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

std::string where(const std::string &loc, const std::string &member)
{
	return member.empty() ? loc : loc + " (" + member.substr(1) + ")";
}

void print_text(FILE *f, const std::vector<const Cand *> &cs, size_t units, size_t failed)
{
	size_t ncalls = 0, nbad = 0;
	for (const Cand *c : cs) {
		ncalls += c->calls.size();
		for (const Store &s : c->stores)
			nbad += !s.convertible;
		nbad += c->escapes.size();
	}
	fprintf(f, "scall-scan: %zu units (%zu with errors), %zu candidate keys, %zu call sites\n\n",
		units, failed, cs.size(), ncalls);
	for (const Cand *c : cs) {
		size_t ok = 0;
		for (const Store &s : c->stores)
			ok += s.convertible;
		fprintf(f, "%s  %s %s", c->id.c_str(), c->linkage.c_str(), c->kind.c_str());
		if (c->kind == "struct")
			fprintf(f, " (%u function pointers)", c->fnptrs);
		fprintf(f, " %s\n", c->type.c_str());
		fprintf(f, "  defined   %s%s\n", c->defined.empty() ? "(not in these units)" : c->defined.c_str(),
			c->initialized ? ", initialized" : ", zero-initialized");
		fprintf(f, "  calls     %zu\n", c->calls.size());
		for (auto &cl : c->calls)
			fprintf(f, "    %s\n", where(cl.first, cl.second).c_str());
		fprintf(f, "  stores    %zu (%zu convertible)\n", c->stores.size(), ok);
		for (const Store &s : c->stores)
			fprintf(f, "    %s: %s%s%s%s\n", where(s.loc, s.member).c_str(), s.how.c_str(),
				s.value.empty() ? "" : " = ", s.value.c_str(),
				s.convertible ? "" : "  [not convertible]");
		if (!c->escapes.empty()) {
			fprintf(f, "  escapes   %zu\n", c->escapes.size());
			for (const Escape &e : c->escapes)
				fprintf(f, "    %s: %s  [writes through it are not converted]\n",
					where(e.loc, e.member).c_str(), e.use.c_str());
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
		fprintf(f, ",\"fnptr_members\":%u,\"initialized\":%s,\"defined\":", c->fnptrs,
			c->initialized ? "true" : "false");
		jstr(f, c->defined);
		fputs(",\"calls\":[", f);
		bool f2 = true;
		for (auto &cl : c->calls) {
			fputs(f2 ? "{\"loc\":" : ",{\"loc\":", f);
			f2 = false;
			jstr(f, cl.first);
			fputs(",\"member\":", f), jstr(f, cl.second.empty() ? "" : cl.second.substr(1));
			fputc('}', f);
		}
		fputs("],\"stores\":[", f);
		f2 = true;
		for (const Store &s : c->stores) {
			fputs(f2 ? "{\"loc\":" : ",{\"loc\":", f);
			f2 = false;
			jstr(f, s.loc);
			fputs(",\"member\":", f), jstr(f, s.member.empty() ? "" : s.member.substr(1));
			fputs(",\"how\":", f), jstr(f, s.how);
			fputs(",\"value\":", f), jstr(f, s.value);
			fprintf(f, ",\"convertible\":%s}", s.convertible ? "true" : "false");
		}
		fputs("],\"escapes\":[", f);
		f2 = true;
		for (const Escape &e : c->escapes) {
			fputs(f2 ? "{\"loc\":" : ",{\"loc\":", f);
			f2 = false;
			jstr(f, e.loc);
			fputs(",\"member\":", f), jstr(f, e.member.empty() ? "" : e.member.substr(1));
			fputs(",\"use\":", f), jstr(f, e.use);
			fputc('}', f);
		}
		fputs("]}", f);
	}
	fputs("\n]}\n", f);
}

void usage(FILE *f)
{
	fputs("usage: scall-scan [-p BUILD_DIR|compile_commands.json] [--json] [-j N] [-o OUT] [--all] [FILE...]\n"
	      "  lists scall key candidates: global and file-static function pointers and\n"
	      "  structs of them that are called through, their call sites, their stores\n"
	      "  (convertible by -fplugin-arg-scall-convert-stores or not) and escapes.\n"
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

	std::vector<const Cand *> cs;
	for (auto &kv : res)
		if (all || !kv.second.calls.empty())
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
