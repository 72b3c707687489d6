/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the static-branch tests: the four keys every test uses (two
 * of each default), reader functions that take each key's branch in both
 * forms (BR_SITES), and a check of the code bytes behind a module's branch
 * records (the runtime's writes, seen independently of its own counters).
 */
#ifndef BR_TEST_H
#define BR_TEST_H
#include "rt_test.h"
#include "scall/format.h"

#define BR_NKEYS 4

/* Keys 0 and 2 start disabled, 1 and 3 enabled (defined in br_keys.c or
 * in the test itself with BR_KEYS_DEFINE). */
SCALL_BRANCH_DECLARE_FALSE(bk0);
SCALL_BRANCH_DECLARE_TRUE(bk1);
SCALL_BRANCH_DECLARE_FALSE(bk2);
SCALL_BRANCH_DECLARE_TRUE(bk3);
#define BR_KEYS_DEFINE                                                         \
	SCALL_BRANCH_DEFINE_FALSE(bk0);                                        \
	SCALL_BRANCH_DEFINE_TRUE(bk1);                                         \
	SCALL_BRANCH_DEFINE_FALSE(bk2);                                        \
	SCALL_BRANCH_DEFINE_TRUE(bk3)

static inline struct scall_branch_key *br_key(int k)
{
	switch (k) {
	case 0: return &bk0.key;
	case 1: return &bk1.key;
	case 2: return &bk2.key;
	default: return &bk3.key;
	}
}

/*
 * BR_SITES(p) defines p_take(k, form): 1 when the branch of key k, taken
 * as scall_branch_unlikely (form 0) or scall_branch_likely (form 1), says
 * enabled.  Each test is its own noinline function, so that every one is
 * a distinct site; p_records() gives the module's branch records.
 */
#define BR_FN(p, k, f, test)                                                   \
	__attribute__((noinline)) static int p##_##k##_##f(void)              \
	{                                                                      \
		__asm__ volatile("" ::: "memory");                             \
		if (test(bk##k))                                               \
			return 1;                                              \
		return 0;                                                      \
	}
#define BR_SITES(p)                                                            \
	BR_FN(p, 0, 0, scall_branch_unlikely)                                  \
	BR_FN(p, 0, 1, scall_branch_likely)                                    \
	BR_FN(p, 1, 0, scall_branch_unlikely)                                  \
	BR_FN(p, 1, 1, scall_branch_likely)                                    \
	BR_FN(p, 2, 0, scall_branch_unlikely)                                  \
	BR_FN(p, 2, 1, scall_branch_likely)                                    \
	BR_FN(p, 3, 0, scall_branch_unlikely)                                  \
	BR_FN(p, 3, 1, scall_branch_likely)                                    \
	int p##_take(int k, int form)                                          \
	{                                                                      \
		switch (k * 2 + form) {                                        \
		case 0: return p##_0_0();                                      \
		case 1: return p##_0_1();                                      \
		case 2: return p##_1_0();                                      \
		case 3: return p##_1_1();                                      \
		case 4: return p##_2_0();                                      \
		case 5: return p##_2_1();                                      \
		case 6: return p##_3_0();                                      \
		default: return p##_3_1();                                     \
		}                                                              \
	}                                                                      \
	BR_RECORDS_FN(p##_records)

/* name(&end): this module's branch records (its own __start_/__stop_
 * symbols: hidden, so each module sees its own section). */
extern const struct scall_branch_rec __start_scall_branches[]
	__attribute__((weak, visibility("hidden")));
extern const struct scall_branch_rec __stop_scall_branches[]
	__attribute__((weak, visibility("hidden")));
#define BR_RECORDS_FN(name)                                                    \
	const struct scall_branch_rec *name(const struct scall_branch_rec **e) \
	{                                                                      \
		*e = __stop_scall_branches;                                    \
		return __start_scall_branches;                                 \
	}

/* The sites of br_sites.c (in the executable or a shared object). */
int lib_take(int k, int form);
const struct scall_branch_rec *lib_records(const struct scall_branch_rec **e);

static inline const uint8_t *br_code(const struct scall_branch_rec *r)
{
	return (const uint8_t *)&r->code + r->code;
}

/* The bytes a record's instruction must hold when its key is `enabled`. */
static inline void br_want(const struct scall_branch_rec *r, int enabled,
			   uint8_t b[5])
{
	static const uint8_t nop5[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };

	if (scall_branch_jumps(r->info & SCALL_BRANCH_KIND_MASK, enabled))
		rt_branch(b, br_code(r), 0xe9, 0,
			  (const uint8_t *)&r->target + r->target);
	else
		memcpy(b, nop5, 5);
}

/* Check every live record of [b, e) whose key is `key` against the state
 * `enabled`; returns how many records it checked (aborts on a mismatch). */
static inline int br_check_records(const struct scall_branch_rec *b,
				   const struct scall_branch_rec *e,
				   const struct scall_branch_key *key,
				   int enabled, int line)
{
	int n = 0;

	for (; b < e; b++) {
		uint8_t want[5];

		if (!(b->info & SCALL_BRANCH_KIND_MASK) ||
		    b->key != (uint64_t)(uintptr_t)key)
			continue;
		br_want(b, enabled, want);
		rt_expect("branch", br_code(b), want, 5, line);
		n++;
	}
	return n;
}

/* Does any live record of key in [b, e) hold INT3 on byte 0 now? */
static inline int br_parked(const struct scall_branch_rec *b,
			    const struct scall_branch_rec *e,
			    const struct scall_branch_key *key)
{
	for (; b < e; b++)
		if ((b->info & SCALL_BRANCH_KIND_MASK) &&
		    b->key == (uint64_t)(uintptr_t)key &&
		    __atomic_load_n(br_code(b), __ATOMIC_RELAXED) == 0xcc)
			return 1;
	return 0;
}
#endif
