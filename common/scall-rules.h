// SPDX-License-Identifier: MIT
//
// scall-rules.h - the rules the GCC plugin, the Clang pass (both halves) and
// scall-scan share, in one place.  Not installed: the on-disk contract is
// include/scall/format.h and scall/insn.h; this is how the compiler side
// applies it.
//
//   keys      which members of a struct are keys, what a scall_key may be
//             declared on, which bytes of a struct key hold keys;
//   stores    the functions that store into an argument (memcpy, memset,
//             __atomic_store...), with their destination and length;
//   names     trampoline names (docs/format.md "Names");
//   emitter   the assembler text of every byte both compilers emit for a
//             trampoline, its record, the module header and the thunks
//             (docs/format.md).  The sections and symbol directives around
//             them stay with each compiler: GNU as and LLVM's assembler
//             take a linked-to section's arguments in different orders.
//
// Each part walks its own representation (GCC trees, Clang's AST, LLVM IR)
// and asks these functions the questions; none of them re-decides.
// tests/compile/emitter compares the emitter's bytes with the hand-written
// tests/common/scall_asm.h, which stays independent of this file.
//
// C++ (every user is), header-only; it includes nothing the GCC plugin's
// poisoned system.h would object to: <string> comes first there.
#ifndef SCALL_RULES_H
#define SCALL_RULES_H

#include "scall/format.h"

#include <stdint.h>
#include <string.h>
#include <string>

namespace scall_rules {

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

// A key member is one function pointer: 8 bytes on x86-64.
constexpr uint64_t key_size = 8;

// What a type is, as far as the key rule is concerned.
enum class type_class {
	fnptr,  // pointer to function
	strct,  // a struct (not a union, not an array)
	other,  // anything else: data, arrays, unions
};

// What a field of a struct key is.
enum class field_role {
	key_member, // a key: calls through it are converted
	nested,     // a struct: its own fields are looked at, at its offset
	data,       // neither: arrays, unions and bit-fields never hold keys
};

// The key members of a struct type are its function-pointer fields at any
// depth of nested structs, never inside arrays, unions or bit-fields.
inline field_role field_role_of(type_class t, bool bit_field)
{
	if (bit_field)
		return field_role::data;
	if (t == type_class::fnptr)
		return field_role::key_member;
	if (t == type_class::strct)
		return field_role::nested;
	return field_role::data;
}

// What a declaration carrying scall_key (SCALL_KEY) is.
struct decl_facts {
	enum kind { variable, field, parameter, other } what;
	bool static_storage; // static or extern (file scope or static local)
	bool thread_local_;
	bool is_const;
	type_class type;     // of an array: its element's (innermost) type
	bool layout_known;   // a struct whose fields are known (complete, valid)
	size_t key_members;  // of a struct: how many (field_role_of)
	bool array;          // an array (any number of dimensions, its size
			     // known or not) of `type`: every element's key
			     // members are keys, at i * element size + O
};

// The sentence that follows the reason in the attribute's error.
#define SCALL_KEY_RULE_TEXT                                                   \
	"a scall key must be a function-pointer variable, a struct variable "   \
	"(its function-pointer members are keys), or an array of either, "     \
	"with static storage duration"

// Why the declaration cannot be a key, or nullptr when it can.  A struct
// whose layout is unknown (an extern declaration of an opaque struct, an
// invalid one) passes: its definition is judged where it is seen.
inline const char *key_problem(const decl_facts &d)
{
	const char *const is_const = "const (scall_update() must be able to store it)";
	switch (d.what) {
	case decl_facts::field: return "a struct or union member";
	case decl_facts::parameter: return "a parameter";
	case decl_facts::other: return "not a variable";
	case decl_facts::variable: break;
	}
	if (!d.static_storage)
		return "a variable with automatic storage duration";
	if (d.thread_local_)
		return "a thread-local variable";
	if (d.type == type_class::strct) {
		if (d.is_const)
			return is_const;
		if (d.layout_known && !d.key_members)
			return d.array ? "an array of structs without function-pointer members "
					 "(arrays, unions and bit-fields inside them do not count)"
				       : "a struct without function-pointer members "
					 "(arrays, unions and bit-fields do not count)";
		return nullptr;
	}
	if (d.type != type_class::fnptr)
		return d.array ? "an array of neither function pointers nor structs of them"
			       : "not a function pointer, a struct of them or an array of either";
	if (d.is_const)
		return is_const;
	return nullptr;
}

// Does the byte range [off, off + len) of a struct key overlap one of its
// key members (their offsets in [first, last))?  !len_known: everything
// from off on.  A write there changes a key; a write elsewhere is data.
template <class It>
bool range_holds_key(It first, It last, uint64_t off, uint64_t len, bool len_known)
{
	for (; first != last; ++first) {
		uint64_t o = (uint64_t)*first;
		if (o + key_size > off && (!len_known || o < off + len))
			return true;
	}
	return false;
}

// Is there a key member at offset off exactly?  A call's callee is a key
// only when it reads one whole key member.
template <class It>
bool member_at(It first, It last, uint64_t off)
{
	for (; first != last; ++first)
		if ((uint64_t)*first == off)
			return true;
	return false;
}

// ---------------------------------------------------------------------------
// Store functions
// ---------------------------------------------------------------------------

enum class store_kind {
	copy,   // memcpy, memmove, mempcpy: convertible
	set,    // memset, bzero: convertible
	string, // strcpy, strncpy: never converted (an error on a key)
	atomic, // __atomic_store*: convertible
};

// A function that stores into one of its arguments, by its C name.
struct store_fn {
	const char *name;
	store_kind kind;
	int dst_arg;     // the argument holding the destination address
	int len_arg;     // the argument holding the byte count; -1: the size
			 // of *dst (atomic), or up to a NUL (strcpy)
	bool fortified;  // the C library has __NAME_chk, what _FORTIFY_SOURCE
			 // calls: same arguments, plus the object size
};

// The signatures are the C ones (the builtins'); libatomic's generic
// __atomic_store(size, ptr, val, order) symbol is not the builtin.
constexpr store_fn store_fns[] = {
	{ "memcpy", store_kind::copy, 0, 2, true },
	{ "memmove", store_kind::copy, 0, 2, true },
	{ "mempcpy", store_kind::copy, 0, 2, true },
	{ "memset", store_kind::set, 0, 2, true },
	{ "bzero", store_kind::set, 0, 1, false },
	{ "strcpy", store_kind::string, 0, -1, true },
	{ "strncpy", store_kind::string, 0, 2, true },
	{ "__atomic_store", store_kind::atomic, 0, -1, false },
	{ "__atomic_store_n", store_kind::atomic, 0, -1, false },
	{ "__atomic_store_1", store_kind::atomic, 0, -1, false },
	{ "__atomic_store_2", store_kind::atomic, 0, -1, false },
	{ "__atomic_store_4", store_kind::atomic, 0, -1, false },
	{ "__atomic_store_8", store_kind::atomic, 0, -1, false },
	{ "__atomic_store_16", store_kind::atomic, 0, -1, false },
};

// May a local alias of a key (a pointer the compiler follows within one
// function, treated as the key itself) be passed to this function without
// escaping?  Only to the store functions that are converted (memcpy,
// memmove, mempcpy, memset, bzero, the atomic stores): as destination the
// call is a converted store, as source it only reads.  Any other call --
// and every other store of the pointer to memory, or a return of it --
// is an escape (an error unless the key is SCALL_KEY_ESCAPES or the unit
// is built with allow-address).  f: find_store_fn's answer, nullptr when the
// callee is no store function.
inline bool alias_may_pass_to(const store_fn *f)
{
	return f && f->kind != store_kind::string;
}

// Does a store of this kind become an update (-fplugin-arg-scall-convert-stores)?
inline bool convertible(store_kind k)
{
	return k != store_kind::string;
}

// The store function a call names: NAME, __builtin_NAME (as written in the
// source or named by a GCC builtin), or their fortified forms __NAME_chk
// and __builtin___NAME_chk where the C library has one.  *chk (if given)
// says whether it was a fortified form.  nullptr for any other name.
inline const store_fn *find_store_fn(const char *name, size_t len, bool *chk = nullptr)
{
	static const char builtin[] = "__builtin_";
	const size_t blen = sizeof builtin - 1;
	if (len > blen && !strncmp(name, builtin, blen))
		name += blen, len -= blen;
	bool fortified = len > 6 && !strncmp(name, "__", 2) && !strncmp(name + len - 4, "_chk", 4);
	if (fortified)
		name += 2, len -= 6;
	for (const store_fn &f : store_fns)
		if (strlen(f.name) == len && !strncmp(f.name, name, len)) {
			if (fortified && !f.fortified)
				return nullptr;
			if (chk)
				*chk = fortified;
			return &f;
		}
	return nullptr;
}

inline const store_fn *find_store_fn(const char *name, bool *chk = nullptr)
{
	return find_store_fn(name, strlen(name), chk);
}

// Clang's AST keeps __atomic_store_n(...) and __atomic_store(...) as an
// AtomicExpr, not a call: the name of the builtin it was, for
// find_store_fn, or nullptr for an atomic that stores nothing by name.
// (A template, so that this header needs no Clang header: AtomicExprT is
// clang::AtomicExpr.)
template <class AtomicExprT>
const char *clang_atomic_store_name(typename AtomicExprT::AtomicOp op)
{
	if (op == AtomicExprT::AO__atomic_store_n)
		return "__atomic_store_n";
	if (op == AtomicExprT::AO__atomic_store)
		return "__atomic_store";
	return nullptr;
}

// ---------------------------------------------------------------------------
// Names (docs/format.md "Names")
// ---------------------------------------------------------------------------

// What a file-static key is renamed to when it must become a hidden global
// (the Clang pass always, the GCC plugin under -flto): NAME.scall.<unique>.
constexpr const char *promoted_infix = ".scall.";

// The key's name in trampoline names: K for a plain key, S__O for the
// member at byte offset O of struct key S.  suffix, if any, goes last
// (a promoted S.scall.<md5> is passed as S and ".scall.<md5>"):
// S__O.scall.<md5>.
inline std::string key_name(const std::string &key, bool member, uint64_t off,
			    const std::string &suffix = std::string())
{
	std::string n = key;
	if (member)
		n += "__" + std::to_string((unsigned long long)off);
	return n + suffix;
}

// The trampoline of a key name and SCALL_TRAMP_* flags:
// __scall_tramp_<key> or __scall_ctramp_<key>, and ".<local_suffix>" for a
// trampoline local to its unit (a file-static key the compiler did not
// promote).
inline std::string tramp_name(const std::string &key, unsigned flags,
			      const std::string &local_suffix = std::string())
{
	std::string n = (flags & SCALL_TRAMP_COND) ? SCALL_SYM_CTRAMP_PREFIX : SCALL_SYM_TRAMP_PREFIX;
	n += key;
	if (!local_suffix.empty())
		n += "." + local_suffix;
	return n;
}

// ---------------------------------------------------------------------------
// Emitter: assembler text, one instruction or directive per line, each
// line "\t...\n".  Bytes the assembler could encode another way (or, at
// -O0, -mrelax-all, longer) are spelt out from the names of scall/insn.h.
// ---------------------------------------------------------------------------

// v in lower-case hex, at least `digits` digits, without "0x".
inline std::string hex(uint64_t v, int digits = 1)
{
	std::string s;
	for (; v || digits > 0; v >>= 4, digits--)
		s.insert(s.begin(), "0123456789abcdef"[v & 0xf]);
	return s;
}

// "\t.byte 0x4d, 0x8b, 0x5b" (no newline).
inline std::string byte_directive(std::initializer_list<unsigned> bytes)
{
	std::string s = "\t.byte";
	const char *sep = " 0x";
	for (unsigned b : bytes) {
		s += sep + hex(b, 2);
		sep = ", 0x";
	}
	return s;
}

// movq O(%r11), %r11: the key's load, O the member offset of a struct key
// (0 for a plain key), in the forms of docs/format.md "Trampolines".
inline std::string member_load(uint64_t off)
{
	if (off == 0)
		return "\tmovq (%r11), %r11\n";
	if (off < 128)
		return byte_directive({ SCALL_TRAMP_LOAD_REX, SCALL_TRAMP_LOAD_OP,
					SCALL_TRAMP_LOAD_MODRM_DISP8 }) +
		       ", " + std::to_string((unsigned long long)off) + "\n";
	return byte_directive({ SCALL_TRAMP_LOAD_REX, SCALL_TRAMP_LOAD_OP,
				SCALL_TRAMP_LOAD_MODRM_DISP32 }) +
	       "\n\t.long " + std::to_string((unsigned long long)off) + "\n";
}

// The "+O" of a member's address (nothing for O = 0).
inline std::string plus_off(uint64_t off)
{
	return off ? "+" + std::to_string((unsigned long long)off) : std::string();
}

// A trampoline's body in its indirect state, from its first byte: key_sym
// is the key (S for a member of struct key S at offset off), flags its
// SCALL_TRAMP_*.  With SCALL_TRAMP_RETPOLINE the indirect jump is a jmp
// rel32 to thunk (a retpoline for %r11); the cond flavour returns with
// retq, or with a jmp rel32 to ret_thunk when it is given
// (-mfunction-return=thunk*).
inline std::string tramp_body(const std::string &key_sym, uint64_t off, unsigned flags,
			      const char *thunk = nullptr, const char *ret_thunk = nullptr)
{
	bool retp = flags & SCALL_TRAMP_RETPOLINE;
	// movq K@GOTPCREL(%rip), %r11 with a plain R_X86_64_GOTPCREL: the
	// linker must not relax it to movq $K, %r11 (REX_GOTPCRELX under
	// -no-pie), which is no state of docs/format.md.
	std::string s = byte_directive({ SCALL_TRAMP_OP0, SCALL_TRAMP_OP1_MOV, SCALL_TRAMP_OP2 }) +
			"\n\t.reloc ., R_X86_64_GOTPCREL, " + key_sym + "-4\n\t.long 0\n" +
			member_load(off);
	// jmp rel32 to a global symbol: the assembler keeps the 5-byte form.
	std::string jmp = retp ? std::string("\tjmp ") + thunk + "\n" : "\tjmpq *%r11\n";
	if (flags & SCALL_TRAMP_COND) {
		// je over the jump (jmpq *%r11, or jmp rel32 to the thunk)
		s += "\ttestq %r11, %r11\n" +
		     byte_directive({ SCALL_OP_JE8,
				      retp ? (unsigned)SCALL_JMP_LEN : (unsigned)SCALL_TRAMP_JMP_R11_LEN }) +
		     "\n" + jmp;
		s += ret_thunk ? std::string("\tjmp ") + ret_thunk + "\n" : "\tretq\n";
	} else {
		s += jmp;
	}
	return s;
}

// A trampoline's record (section scall_tramps, docs/format.md), from its
// alignment: the key's address, the trampoline's, its flags.
inline std::string tramp_record(const std::string &key_sym, uint64_t off,
				const std::string &tramp_sym, unsigned flags)
{
	return "\t.balign 8\n\t.quad " + key_sym + plus_off(off) + "\n\t.long " + tramp_sym +
	       " - .\n\t.long " + std::to_string(flags) + "\n";
}

// A site record (section scall_sites), from its alignment: the labelled
// site's address, its trampoline's, its kind.
inline std::string site_record(const std::string &site, const std::string &tramp_sym,
			       unsigned kind)
{
	return "\t.balign 4\n\t.long\t" + site + " - .\n\t.long\t" + tramp_sym +
	       " - .\n\t.long\t" + std::to_string(kind) + "\n";
}

// The module header's words after its label (section scall_module):
// magic, version, flags (SCALL_MODULE_BRANCHES, set as emitted) and nsites
// 0 (scall-ld's), size, and the six bounds as weak hidden references to
// the linker's __start_/__stop_.  include/scall.h's branch macros write the
// same words (docs/format.md, "Module header").
inline std::string module_header()
{
	std::string s = "\t.long 0x" + hex(SCALL_MODULE_MAGIC) + "\n\t.short " + std::to_string(SCALL_FORMAT_VERSION) +
			"\n\t.short " + std::to_string(SCALL_MODULE_BRANCHES) + "\n\t.long 0\n\t.long " +
			std::to_string(SCALL_MODULE_SIZE) + "\n";
	for (const char *b : { "__start_" SCALL_SECTION_SITES, "__stop_" SCALL_SECTION_SITES,
			       "__start_" SCALL_SECTION_TRAMPS, "__stop_" SCALL_SECTION_TRAMPS,
			       "__start_" SCALL_SECTION_BRANCHES, "__stop_" SCALL_SECTION_BRANCHES })
		s += std::string("\t.weak ") + b + "\n\t.hidden " + b + "\n\t.quad " + b + "\n";
	return s;
}

// The bodies, after their labels, of the retpoline for %r11 the compilers
// emit as __scall_indirect_thunk_r11, and of GCC's return thunk
// __scall_return_thunk (docs/format.md: the same as the compilers' own
// __x86_indirect_thunk_r11 and __x86_return_thunk).
inline const char *indirect_thunk_body()
{
	return "\tcall 1f\n2:\tpause\n\tlfence\n\tjmp 2b\n1:\tmovq %r11, (%rsp)\n\tretq\n";
}

inline const char *return_thunk_body()
{
	return "\tcall 1f\n2:\tpause\n\tlfence\n\tjmp 2b\n1:\tlea 8(%rsp), %rsp\n\tretq\n";
}

} // namespace scall_rules

#endif
