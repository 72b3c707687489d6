/* SPDX-License-Identifier: MIT */
/*
 * scall.h - static calls for userspace C.
 *
 * A *key* is a global (or file-static) function pointer, or, with the GCC
 * plugin, a function-pointer member of a global or file-static struct
 * variable declared SCALL_KEY (a *struct key*).  Calls through it are
 * written as ordinary calls; with the scall toolchain (gcc -fplugin=scall, or
 * clang with the scall pass, then scall-ld) each such call becomes a direct
 * `call rel32` that scall_update() retargets in place while other threads run.
 * Without the toolchain every macro here degrades to a plain indirect call
 * through the key, with the same observable behaviour.
 *
 *   SCALL_DEFINE(compress, deflate_fast);      // key, initial target
 *   n = scall(compress)(buf, len);             // call through the key
 *   scall_update(compress, deflate_best);      // retarget every call site
 *
 * Requirements: C11 with GNU extensions (gcc or clang), x86-64 Linux for the
 * patching runtime.  Link with -lscall (pkg-config scall).
 *
 * Async-signal-safety: calling through a key (scall, scall_cond, a plain call)
 * and scall_query() are async-signal-safe at every moment, including while
 * another thread, or the interrupted thread itself, is patching.  Everything
 * else here (scall_update, scall_update_batch, scall_stats, scall_resync) takes
 * the runtime's lock and is NOT async-signal-safe; from a signal handler that
 * interrupted an update on the same thread it returns -EDEADLK instead of
 * deadlocking.
 */
#ifndef SCALL_H
#define SCALL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Declaring keys                                                          */
/* ---------------------------------------------------------------------- */

/*
 * SCALL_KEY_ESCAPES - SCALL_KEY for the one key (or struct key, or array of
 * keys) whose address must escape: `(void *)&key` as an opaque marker in a
 * static initializer, a pointer to it handed to another function or kept
 * in memory.  The compiler then allows it for that key alone (instead of a
 * unit-wide -fplugin-arg-scall-allow-address), and calls and stores it can
 * see are converted as for SCALL_KEY.  It records a promise: after writing
 * the key through such a pointer, call scall_resync() before relying on the
 * new target (until then its sites may still call the old one).
 * SCALL_CHECK=1 reports a forgotten scall_resync() (see below).
 *
 * SCALL_KEY - attribute that makes a function-pointer variable with static
 * storage duration a key:
 *
 *   int (*compress)(const void *, size_t) SCALL_KEY = deflate_fast;
 *
 * Calls `compress(p, n)` and `(*compress)(p, n)` are then converted by the
 * toolchain.  With the GCC plugin it is the plugin's attribute `scall_key`,
 * which it checks (an error on anything but a function-pointer variable with
 * static storage duration, a struct variable with static storage duration
 * that has function-pointer members, or an array of either).  On a struct variable:
 *   struct event_actions ngx_event_actions SCALL_KEY;
 * every function-pointer member at any depth of nested structs is a key
 * (not the elements of arrays, nor members of unions or bit-fields); calls
 * `ngx_event_actions.add(...)` are converted; scall_update(s.member, f) and
 * scall_query(s.member) work on a member.  On an array of function pointers
 * or of such structs:
 *   static struct syscall { const char *name; fn *cur; } sys[] SCALL_KEY = ...;
 * every element's member is a key (at &sys + i * sizeof sys[0] + offset);
 * a call whose index is a constant after optimisation, `sys[3].cur(fd)`, is
 * converted, one with a variable index stays an indirect call (correct, and
 * counted by the compilers' verbose output and by scall-scan).
 * Within one function a local pointer to a key or to part of a struct key
 * (`struct mutex_methods *to = &cfg.mutex;`, copies, casts, constant
 * offsets) is the key itself, as long as it does not escape (stored to
 * memory, returned, or passed to a call other than memcpy, memmove,
 * mempcpy, memset, bzero and the atomic stores); an escape is an error
 * naming its line, unless the key is SCALL_KEY_ESCAPES.
 * Under clang it is an annotation the pass reads;
 * without either it expands to nothing.
 *
 * SCALL_HAVE_PLUGIN is 1 when the compiler's scall plugin is loaded (GCC's
 * plugin, or the AST half of the Clang plugin, which predefines
 * __SCALL_CLANG_PLUGIN__), else 0.
 */
#if defined(__clang__)
#define SCALL_KEY __attribute__((annotate("scall_key")))
#define SCALL_KEY_ESCAPES                                                      \
	__attribute__((annotate("scall_key"), annotate("scall_key_escapes")))
#ifdef __SCALL_CLANG_PLUGIN__
#define SCALL_HAVE_PLUGIN 1
#endif
#elif defined(__has_attribute)
#if __has_attribute(scall_key)
#define SCALL_KEY __attribute__((scall_key))
#define SCALL_KEY_ESCAPES __attribute__((scall_key, scall_key_escapes))
#define SCALL_HAVE_PLUGIN 1
#endif
#endif
#ifndef SCALL_KEY
#define SCALL_KEY
#define SCALL_KEY_ESCAPES
#endif
#ifndef SCALL_HAVE_PLUGIN
#define SCALL_HAVE_PLUGIN 0
#endif

/* SCALL_DEFINE(name, func) - define key `name` of type typeof(&func),
 * initialised to func. */
#define SCALL_DEFINE(name, func) __typeof__(&(func)) name SCALL_KEY = (func)

/* SCALL_DECLARE(name, func) - extern declaration of a key, for headers. */
#define SCALL_DECLARE(name, func) extern __typeof__(&(func)) name SCALL_KEY

/* SCALL_DEFINE_NULL(name, func) - key with the type of func, initially NULL.
 * Call it with scall_cond() until it has a target. */
#define SCALL_DEFINE_NULL(name, func) __typeof__(&(func)) name SCALL_KEY = 0

/* SCALL_DEFINE_RET0(name, func) - key with the type of func whose initial
 * target is scall_return0 (returns 0).  For keys returning an integer or a
 * pointer. */
#define SCALL_DEFINE_RET0(name, func)                                          \
	__typeof__(&(func)) name SCALL_KEY =                                   \
		(__typeof__(&(func)))(void (*)(void))scall_return0

/* ---------------------------------------------------------------------- */
/* Calling                                                                 */
/* ---------------------------------------------------------------------- */

/*
 * scall(name)(args...) - call the current target of key `name`.
 * Without the toolchain this is the indirect call `name(args...)`.  Calling a
 * key whose target is NULL faults exactly as an indirect call through NULL
 * does, with or without the toolchain (see docs/format.md).
 */
#define scall(name) (name)

/*
 * scall_cond(name)(args...) - call the target, or do nothing when it is NULL.
 * For keys returning void (the result, if any, is discarded).  The arguments
 * are evaluated either way.
 */
#define scall_cond(name)                                                       \
	(void)((__typeof__(name))__scall_cond_target((void *)(name)))

/* scall_query(name) - the current target of the key (atomic load). */
#define scall_query(name)                                                      \
	((__typeof__(name))__scall_load_key((void *const *)(void *)&(name)))

/* ---------------------------------------------------------------------- */
/* Retargeting                                                             */
/* ---------------------------------------------------------------------- */

/* How scall_update()'s target was type-checked; passed to the runtime so
 * that it can refuse what the compile-time check had to let through. */
enum scall_target_check {
	SCALL_TARGET_TYPED = 0, /* func has the key's type */
	SCALL_TARGET_NULL = 1,  /* func is a void * (only NULL is accepted) */
	SCALL_TARGET_RET0 = 2,  /* func has scall_return0's type (only
				   scall_return0 itself is accepted) */
	SCALL_TARGET_BAD = 3,   /* anything else: compile error */
};

/* One entry of a batch; build it with SCALL_UPDATE(name, func). */
struct scall_update {
	void *key;    /* address of the key variable */
	void *target; /* new target */
	int check;    /* enum scall_target_check */
};

/*
 * scall_update(name, func) - make `func` the target of key `name` and
 * retarget every call site of the key in every loaded module.
 *
 * func must have the key's type, or be NULL, or be scall_return0 (for keys
 * returning an integer, a pointer or void).  Anything else is a compile-time
 * error.  The key is stored first (release), so readers of the key and sites
 * that cannot be patched see the new target at once; when the call returns,
 * every thread's next call through any site reaches func.
 *
 * Returns 0, or a negative errno:
 *   -EINVAL   a void * other than NULL, or a function of scall_return0's type
 *             other than scall_return0, was passed for a key of another type;
 *   -EDEADLK  called from a signal handler that interrupted an update on the
 *             same thread (the key is left unchanged); also when it
 *             interrupted scall_stats/scall_resync or a module load/unload
 *             on that thread, even one still waiting for the lock;
 *   -ENOMEM   the runtime could not allocate what the update needs; the
 *             key and every site are left unchanged.
 * Sites whose bytes are not what the runtime expects are never written; they
 * are counted in scall_stats() and the update still returns 0.
 * Not async-signal-safe.
 */
#define scall_update(name, func)                                               \
	__scall_update_key(__scall_key_ref((void *)&(name)), (void *)(func),   \
			   __scall_check(name, func))

/*
 * SCALL_UPDATE(name, func) - a struct scall_update for scall_update_batch(),
 * with the same compile-time type check as scall_update():
 *
 *   struct scall_update u[] = { SCALL_UPDATE(a, fa), SCALL_UPDATE(b, NULL) };
 *   scall_update_batch(u, 2);
 *
 * (For an automatic array: the key's address goes through a function, which
 * keeps the GCC plugin's address-of check exact.)
 */
#define SCALL_UPDATE(name, func)                                               \
	((struct scall_update){ __scall_key_ref((void *)&(name)),              \
				(void *)(func), __scall_check(name, func) })

/*
 * scall_update_batch(u, n) - apply n updates in one patch cycle: every site
 * of every key is patched with one INT3 pass, one body pass and one final
 * pass, so the cost in cross-core syncs is that of a single update (3).
 * A key named twice takes the last entry's target.  Validates every entry
 * before storing any key; returns 0 or a negative errno as scall_update()
 * (-EINVAL for n > 0 with u == NULL or an entry with key == NULL).
 * Not async-signal-safe.
 */
int scall_update_batch(const struct scall_update *u, size_t n);

/*
 * scall_resync() - re-read every key of every loaded module and bring its
 * sites to the value found, in one batch.  Needed only when a key was
 * written behind scall's back (through a pointer the toolchain could not
 * see): until then sites may still reach the old target.  Returns 0 or a
 * negative errno as scall_update_batch().  Not async-signal-safe.
 * When it is needed: the GCC plugin rejects `&key` (and `&s` of a struct key)
 * outside the macros here, so a write through a pointer is only possible
 * with -fplugin-arg-scall-allow-address, through code built without the
 * plugin (a library handed `&key`), or through asm.  Call scall_resync()
 * after such writes, before relying on the new targets.
 * SCALL_CHECK=1 in the environment (or SCALL_DEBUG=1) finds a forgotten
 * one: after each update, converted store and resync, and at exit, every
 * key's value is compared with what its sites call, and a key written
 * behind scall's back gets one stderr line, once per process, with its
 * symbol name (`cfg+0x8` for a member of a struct key), its module and
 * the old target its sites still call.  At an update a key is reported
 * when two checks in a row find it so, not to report a store another
 * thread made just before its scall_resync(); at exit at once.  It only
 * reports; each check reads every site.
 */

/*
 * Store conversion (GCC plugin, -fplugin-arg-scall-convert-stores): the
 * plugin keeps every store it can see to a key -- `key = f`, `key = other`,
 * `s.member = f`, `s.inner = x`, a whole-struct copy `s = t`, memset/memcpy
 * onto a struct key, __atomic_store_n / __atomic_store -- and follows each
 * burst of them (consecutive stores with no call between them) with
 * __scall_stored(), or __scall_stored_n() when the burst stored into
 * several key objects, which brings every site of the keys stored to the
 * values now stored, in one patch cycle (docs/protocol.md, "Converted
 * stores", says what other threads see meanwhile).  A burst therefore
 * costs an update (three cross-core syncs when a site changes), not a
 * store; the plugin warns ("[scall-store-in-loop]", an error under -Werror)
 * when one sits inside a loop.  Static initialisers are not stores.  A
 * store that runs before the module is registered (an early constructor)
 * needs nothing: registration starts every site from the key's value.
 * Without the option such stores are compile errors.  Stores through
 * pointers the plugin cannot see remain errors (the address is refused).
 * Clang: the same with -fplugin-arg-scall-convert-stores given to the
 * Clang plugin's AST half (clang-pass/README.md).
 */
int scall_resync(void);

/*
 * scall_return0() - returns 0.  `scall_update(name, scall_return0)` makes
 * every call site of the key a 5-byte `xorl %eax,%eax` (like the kernel's
 * __static_call_return0).  Meaningful for keys returning an integer, a
 * pointer or void; for a key returning a floating-point value or a struct
 * the result is undefined, as with a cast function pointer.
 */
long scall_return0(void);

/* ---------------------------------------------------------------------- */
/* Static branches                                                         */
/* ---------------------------------------------------------------------- */

/*
 * A static branch is a condition that is rarely flipped (a tracing or
 * logging toggle, a debug check, a feature flag) and costs, where it is
 * tested, one 5-byte NOP or one JMP instead of a load, a test and a
 * conditional branch (the kernel's static_branch_likely/unlikely):
 *
 *   SCALL_BRANCH_DEFINE_FALSE(tracing);          // a key, initially disabled
 *   if (scall_branch_unlikely(tracing))          // a NOP while disabled
 *           trace(...);
 *   scall_branch_enable(tracing);                // every test now jumps
 *
 * The key's state is a real variable (an enable count, read by
 * scall_branch_enabled()), and each test site is patched between a NOP and
 * a JMP by the same patch cycle as call sites (docs/protocol.md), while
 * other threads run through it.  No compiler plugin is needed: the test is
 * an `asm goto` that emits the instruction, its record and the module
 * header (docs/format.md, "Branch records") with gcc or clang.  Without
 * `asm goto` (another compiler or architecture, C++) or with
 * -DSCALL_NO_ASM, a test is a relaxed atomic load of the count and a test
 * of it, with the same results.
 *
 * Keys are objects at file scope, global or static, whose assembler name
 * is their C name (the record names the key by it; a block-scope static
 * or an `asm("name")` label does not work), defined once with
 *   SCALL_BRANCH_DEFINE_FALSE(name)   initially disabled (count 0)
 *   SCALL_BRANCH_DEFINE_TRUE(name)    initially enabled (count 1)
 * and declared in headers with SCALL_BRANCH_DECLARE_FALSE(name) /
 * SCALL_BRANCH_DECLARE_TRUE(name) (the same default as the definition).
 * The default selects, at compile time, which form each test is compiled
 * in: `scall_branch_unlikely` on a FALSE key and `scall_branch_likely` on
 * a TRUE key are a NOP (the expected path falls through); the two other
 * combinations are a JMP.  Any combination is correct in either state.
 * Do not write the key's count yourself: use the functions below (under
 * the GCC plugin a store to it is a compile error).
 *
 * Testing (async-signal-safe, any thread, any time, also mid-patch):
 *   scall_branch_unlikely(name)  true when the key is enabled; the enabled
 *                                path is the unexpected one
 *   scall_branch_likely(name)    true when the key is enabled; the
 *                                disabled path is the unexpected one
 *   scall_branch_enabled(name)   the state as a bool, from the count
 *                                (relaxed atomic load), never patched
 * A name that is not a branch key is a compile error.
 *
 * Changing (each takes the runtime's lock: not async-signal-safe; returns
 * 0 or a negative errno; the count is stored before any code changes, and
 * when the call returns every thread's next test of the key takes the new
 * state):
 *   scall_branch_enable(name)    count := 1 (as the kernel's
 *                                static_branch_enable)
 *   scall_branch_disable(name)   count := 0
 *   scall_branch_inc(name)       count + 1: enabled while any user holds it
 *   scall_branch_dec(name)       count - 1
 * Errors:
 *   -EINVAL     scall_branch_dec() of a key whose count is 0 (nothing
 *               changes);
 *   -EOVERFLOW  scall_branch_inc() of a key whose count is INT_MAX;
 *   -EDEADLK    called from a signal handler that interrupted the runtime
 *               on the same thread (an update, a flip, a module load or
 *               unload), as scall_update(); nothing changes;
 *   -ENOMEM     the runtime could not allocate what a batch needs; nothing
 *               changes;
 *   -ENOTSUP    no code writer works (SCALL_WRITER=none, docs/protocol.md
 *               "The writer"): the count changed, but tests compiled in the
 *               other form keep it (said once on stderr);
 *   other       the -errno of a failed code write: the count changed, some
 *               tests may keep the previous state until the next
 *               successful update or flip, which repairs every site.
 * Tests whose bytes are not what the runtime expects are never written
 * (counted in scall_stats().branches_refused).
 *
 * A module loaded later (dlopen) starts with every test in the current
 * state of its key; a module unloaded has its tests put back as compiled.
 */
/* Under the GCC plugin and the Clang plugin a store into a branch key object (b.key.count = ...,
 * b = other, memcpy/memset/atomic stores onto it, an asm output, a store
 * through a struct scall_branch_key *) is a compile error: change a branch
 * only with scall_branch_enable, scall_branch_disable, scall_branch_inc or
 * scall_branch_dec (or scall_update_batch_branches). */
struct scall_branch_key {
	int count; /* enabled while > 0; written by libscall only */
};
/* The key's type says its default to the macros (never to the runtime). */
struct scall_branch_false {
	struct scall_branch_key key;
};
struct scall_branch_true {
	struct scall_branch_key key;
};

#define SCALL_BRANCH_DEFINE_FALSE(name)                                        \
	struct scall_branch_false name __attribute__((used)) = { { 0 } }
#define SCALL_BRANCH_DEFINE_TRUE(name)                                         \
	struct scall_branch_true name __attribute__((used)) = { { 1 } }
#define SCALL_BRANCH_DECLARE_FALSE(name) extern struct scall_branch_false name
#define SCALL_BRANCH_DECLARE_TRUE(name) extern struct scall_branch_true name

/* What a flip does (struct scall_branch_update.op). */
enum scall_branch_op {
	SCALL_BRANCH_OP_ENABLE = 0,  /* count := 1 */
	SCALL_BRANCH_OP_DISABLE = 1, /* count := 0 */
	SCALL_BRANCH_OP_INC = 2,     /* count + 1 (-EOVERFLOW at INT_MAX) */
	SCALL_BRANCH_OP_DEC = 3,     /* count - 1 (-EINVAL at 0) */
};

/* One flip of a batch; build it with SCALL_BRANCH_ENABLE(name) etc. */
struct scall_branch_update {
	struct scall_branch_key *key;
	int op; /* enum scall_branch_op */
};

#define SCALL_BRANCH_ENABLE(name)                                              \
	((struct scall_branch_update){ __scall_branch_key(name),               \
				       SCALL_BRANCH_OP_ENABLE })
#define SCALL_BRANCH_DISABLE(name)                                             \
	((struct scall_branch_update){ __scall_branch_key(name),               \
				       SCALL_BRANCH_OP_DISABLE })
#define SCALL_BRANCH_INC(name)                                                 \
	((struct scall_branch_update){ __scall_branch_key(name),               \
				       SCALL_BRANCH_OP_INC })
#define SCALL_BRANCH_DEC(name)                                                 \
	((struct scall_branch_update){ __scall_branch_key(name),               \
				       SCALL_BRANCH_OP_DEC })

/*
 * scall_update_batch_branches(u, n, b, nb) - scall_update_batch() and
 * branch flips in one patch cycle (3 cross-core syncs in all):
 *
 *   struct scall_update u[] = { SCALL_UPDATE(log_fn, log_verbose) };
 *   struct scall_branch_update b[] = { SCALL_BRANCH_ENABLE(logging) };
 *   scall_update_batch_branches(u, 1, b, 1);
 *
 * The flips of one key apply in order (INC, INC is +2).  Every entry is
 * checked before anything is stored: an invalid key update, an unknown op,
 * a NULL key, a DEC below 0 or an INC past INT_MAX fails the whole batch
 * with nothing changed.  Returns 0 or a negative errno as scall_update()
 * and the branch functions above (-EINVAL also for u == NULL with n > 0 or
 * b == NULL with nb > 0).  Not async-signal-safe.
 */
int scall_update_batch_branches(const struct scall_update *u, size_t n,
				const struct scall_branch_update *b, size_t nb);

#define scall_branch_enable(name)                                              \
	__scall_branch_op(__scall_branch_key(name), SCALL_BRANCH_OP_ENABLE)
#define scall_branch_disable(name)                                             \
	__scall_branch_op(__scall_branch_key(name), SCALL_BRANCH_OP_DISABLE)
#define scall_branch_inc(name)                                                 \
	__scall_branch_op(__scall_branch_key(name), SCALL_BRANCH_OP_INC)
#define scall_branch_dec(name)                                                 \
	__scall_branch_op(__scall_branch_key(name), SCALL_BRANCH_OP_DEC)
#define scall_branch_enabled(name)                                             \
	(__atomic_load_n(&__scall_branch_key(name)->count, __ATOMIC_RELAXED) > 0)

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__cplusplus) &&      \
	!defined(SCALL_NO_ASM) &&                                              \
	(!defined(__clang__) || __clang_major__ >= 9)
#define scall_branch_unlikely(name)                                            \
	__builtin_expect(                                                      \
		_Generic(&(name),                                              \
			 struct scall_branch_false *: __scall_branch_asm(       \
				 name, __SCALL_BR_NOP, "5"),                   \
			 struct scall_branch_true *: __scall_branch_asm(        \
				 name, __SCALL_BR_JMP, "5")),                  \
		0)
#define scall_branch_likely(name)                                              \
	__builtin_expect(                                                      \
		!_Generic(&(name),                                             \
			  struct scall_branch_true *: __scall_branch_asm(       \
				  name, __SCALL_BR_NOP, "6"),                  \
			  struct scall_branch_false *: __scall_branch_asm(      \
				  name, __SCALL_BR_JMP, "6")),                 \
		1)
#else
#define scall_branch_unlikely(name) __builtin_expect(scall_branch_enabled(name), 0)
#define scall_branch_likely(name) __builtin_expect(scall_branch_enabled(name), 1)
#endif

/* ---------------------------------------------------------------------- */
/* Observability                                                           */
/* ---------------------------------------------------------------------- */

struct scall_stats {
	size_t modules;          /* modules registered with the runtime */
	size_t sites;            /* site records registered (kinds 1-3) */
	size_t sites_direct;     /* sites encoding their target in place
				    (direct branch, NOP, RET, xor form) */
	size_t sites_trampoline; /* sites resting on their trampoline (or, with
				    writer "int3", parked on INT3): they
				    reach the key's target through the key */
	size_t sites_refused;    /* sites whose bytes did not verify; never
				    written */
	size_t sites_unresolved; /* kind-4 records (Clang, no scall-ld) */
	size_t trampolines;      /* trampoline records registered */
	uint64_t updates;        /* scall_update / batch / resync calls, and
				    branch flips */
	uint64_t traps;          /* calls emulated by the SIGTRAP handler */
	uint64_t syncs;          /* cross-core syncs issued */
	const char *writer;      /* how code is written: "proc-mem",
				    "alias", "mprotect", "none" (nothing is:
				    every site stays on its trampoline), or
				    "int3" (the cross-core sync failed after
				    start-up: sites are only parked on INT3);
				    docs/protocol.md, "The writer" */
	size_t branches;         /* static branch records registered (live
				    and refused) */
	size_t branches_jmp;     /* of them, holding the JMP now */
	size_t branches_refused; /* whose bytes did not verify; never
				    written (they keep their compiled form) */
};

/*
 * scall_stats(out) - fill *out with a consistent snapshot.  Takes the
 * runtime's lock: not async-signal-safe.  Returns 0, -EINVAL for a NULL out,
 * or -EDEADLK as scall_update().
 * The struct only grows at its end: the macro passes the caller's
 * sizeof *out to libscall, which fills the fields the caller's scall.h
 * knows and nothing past them; a program built before the branch fields
 * existed calls the function itself, which fills the fields up to writer
 * (SCALL_STATS_SIZE_V0 bytes).
 */
int (scall_stats)(struct scall_stats *out);
int __scall_stats_n(struct scall_stats *out, size_t size);
#define scall_stats(out) __scall_stats_n((out), sizeof *(out))
/* Size of struct scall_stats before the branch fields (through writer). */
#define SCALL_STATS_SIZE_V0                                                    \
	(__builtin_offsetof(struct scall_stats, writer) + sizeof(const char *))

/* ---------------------------------------------------------------------- */
/* Implementation details used by the macros above.  Not API.              */
/* ---------------------------------------------------------------------- */

/*
 * libscall also exports three test hooks, __scall_test_hook,
 * __scall_test_trap_hook and __scall_test_alloc_hook (function pointers,
 * NULL unless a test sets them; declared only by the tests; the last one
 * makes the runtime's own allocations fail).  They are not API: a program
 * must not set them, and they may change or go away in any release.  They
 * are compiled into the one libscall, not a test build of it, so that the
 * tests drive the library that is shipped.
 */

/*
 * The toolchain accepts `&key` only as an argument (through casts) of a
 * function whose name starts with "__scall_"; every macro that needs a
 * key's address goes through one.
 */
static inline void *__scall_key_ref(void *key) { return key; }

static inline void *__scall_load_key(void *const *key)
{
	return __atomic_load_n(key, __ATOMIC_ACQUIRE);
}

void __scall_nop(void);

/* The converted form of scall_cond(); the toolchain recognises this call. */
static inline void *__scall_cond_target(void *f)
{
	return f ? f : (void *)__scall_nop;
}

int __scall_update_key(void *key, void *target, int check);

/* Emitted by the compilers after a burst of converted stores into one key
 * object, [addr, addr + len) the bytes the burst wrote (docs/protocol.md,
 * "Converted stores"): patch the sites of every registered key in that
 * range to the value the key now holds, in one patch cycle.  Returns 0 or
 * a negative errno as scall_update(). */
int __scall_stored(void *addr, size_t len);

/* One range of a burst's stores: [addr, addr + len). */
struct scall_stored_range {
	void *addr;
	size_t len;
};

/* Emitted by the compilers after a burst of converted stores into several
 * key objects, one range per object (a constant table in the caller): the
 * same as __scall_stored over every range, in one patch cycle.  A range
 * with a NULL addr or len 0 is skipped.  Returns 0, -EINVAL when r is NULL
 * and n is not 0, or a negative errno as scall_update(). */
int __scall_stored_n(const struct scall_stored_range *r, size_t n);

/*
 * The compile-time type check: an integer constant 0..2 (enum
 * scall_target_check), or a compile error.  Functions decay to pointers in
 * the controlling expression of _Generic.
 */
#define __scall_check_kind(name, func)                                         \
	_Generic((func), __typeof__(name): SCALL_TARGET_TYPED,                 \
		 default: _Generic((func), void *: SCALL_TARGET_NULL,          \
				   long (*)(void): SCALL_TARGET_RET0,          \
				   default: SCALL_TARGET_BAD))
#define __scall_check(name, func)                                              \
	((int)sizeof(struct {                                                  \
		_Static_assert(__scall_check_kind(name, func) !=               \
				       SCALL_TARGET_BAD,                       \
			       "scall: the target's type does not match key '" \
			       #name "'");                                     \
		char c;                                                        \
	}) * 0 + __scall_check_kind(name, func))

/* Static branches: the key object of a branch key (a compile error for
 * anything else), its flips, and the asm of a test. */
#ifndef __cplusplus
#define __scall_branch_key(name)                                               \
	(&_Generic(&(name), struct scall_branch_false *: (name),              \
		   struct scall_branch_true *: (name)).key)
#else
} /* extern "C": overloads */
static inline struct scall_branch_key *__scall_branch_key_of(struct scall_branch_false *b)
{
	return &b->key;
}
static inline struct scall_branch_key *__scall_branch_key_of(struct scall_branch_true *b)
{
	return &b->key;
}
extern "C" {
#define __scall_branch_key(name) __scall_branch_key_of(&(name))
#endif

int __scall_branch_op(struct scall_branch_key *key, int op);

/* The two compiled forms: a 5-byte NOP, or a JMP rel32 forced to 5 bytes
 * (the assembler would relax a `jmp` to a 2-byte one). */
#define __SCALL_BR_NOP ".byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n\t"
#define __SCALL_BR_JMP ".byte 0xe9\n\t.long %l[__scall_jump] - (. + 4)\n\t"

/* The ctor/dtor body: endbr64 under -fcf-protection=branch, as the
 * plugins emit it (called through .init_array/.fini_array). */
#if defined(__CET__) && (__CET__ & 1)
#define __SCALL_BR_ENDBR "endbr64\n\t"
#else
#define __SCALL_BR_ENDBR ""
#endif
#define __SCALL_BR_BOUND(sym)                                                  \
	".weak " sym "\n\t.hidden " sym "\n\t.quad " sym "\n\t"
#define __SCALL_BR_FN(fn, callee)                                              \
	".globl " fn "\n\t.hidden " fn "\n\t.type " fn                         \
	", @function\n\t.p2align 4\n" fn ":\n\t" __SCALL_BR_ENDBR             \
	"leaq __scall_module(%%rip), %%rdi\n\tjmp " callee "@PLT\n\t.size " fn \
	", .-" fn "\n\t"
/* The module header, constructor and destructor: byte for byte the
 * compilers' (common/scall-rules.h; tests/compile/emitter compares them),
 * once per unit whoever comes first (docs/format.md, "One header per
 * unit, whoever emits it"). */
#define __SCALL_BR_MODULE                                                      \
	".ifndef __scall_module\n\t"                                           \
	".pushsection scall_module,\"awG\",@progbits,__scall_module,comdat\n\t" \
	".globl __scall_module\n\t.hidden __scall_module\n\t"                  \
	".type __scall_module, @object\n\t.size __scall_module, 64\n\t"        \
	".balign 8\n__scall_module:\n\t"                                       \
	".long 0x4c414353\n\t.short 1\n\t.short 8\n\t.long 0\n\t.long 64\n\t"  \
	__SCALL_BR_BOUND("__start_scall_sites")                                \
	__SCALL_BR_BOUND("__stop_scall_sites")                                 \
	__SCALL_BR_BOUND("__start_scall_tramps")                               \
	__SCALL_BR_BOUND("__stop_scall_tramps")                                \
	__SCALL_BR_BOUND("__start_scall_branches")                             \
	__SCALL_BR_BOUND("__stop_scall_branches")                              \
	".section .text.__scall_module_ctor,\"axG\",@progbits,__scall_module,comdat\n\t" \
	__SCALL_BR_FN("__scall_module_ctor",                                   \
		      "__scall_needs_libscall__link_with_lscall")              \
	__SCALL_BR_FN("__scall_module_dtor", "__scall_unregister_module")     \
	".section .init_array,\"awG\",@init_array,__scall_module,comdat\n\t"  \
	".balign 8\n\t.quad __scall_module_ctor\n\t"                           \
	".section .fini_array,\"awG\",@fini_array,__scall_module,comdat\n\t"  \
	".balign 8\n\t.quad __scall_module_dtor\n\t"                           \
	".popsection\n\t.endif\n\t"

/* One test: the instruction, its record (in the COMDAT group of the code
 * around it, if any: "?"), the header; 1 when it jumped.  The key is named
 * by its assembler name: an "i" operand cannot name another module's
 * object under -fPIC. */
#define __scall_branch_asm(name, insn, kind)                                   \
	__extension__({                                                        \
		__label__ __scall_jump, __scall_done;                          \
		int __scall_r;                                                 \
		__asm__ goto("1:\t" insn                                       \
			     ".pushsection scall_branches,\"aw?\",@progbits\n\t" \
			     ".balign 8\n\t.long 1b - .\n\t"                   \
			     ".long %l[__scall_jump] - .\n\t"                  \
			     ".quad " #name "\n\t.long " kind "\n\t.long 0\n\t"  \
			     ".popsection\n\t" __SCALL_BR_MODULE               \
			     : : : : __scall_jump);                            \
		__scall_r = 0;                                                 \
		goto __scall_done;                                             \
	__scall_jump:                                                          \
		__scall_r = 1;                                                 \
	__scall_done:                                                          \
		__scall_r;                                                     \
	})

#ifdef __cplusplus
}
#endif

#endif /* SCALL_H */
