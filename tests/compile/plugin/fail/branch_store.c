/* Stores into a static branch's key object (issue 16) are errors under the
 * plugin, also with convert-stores and allow-address: libscall alone
 * writes the count, through scall_branch_enable/disable/inc/dec.  Reads
 * (scall_branch_enabled) are fine.
 * fail-flags: -fplugin-arg-scall-convert-stores -fplugin-arg-scall-allow-address
 */
#include <scall.h>
#include <string.h>
SCALL_BRANCH_DEFINE_FALSE(off);
SCALL_BRANCH_DEFINE_TRUE(on);
SCALL_BRANCH_DECLARE_FALSE(other);
void member(void)
{
	off.key.count = 1; /* expect-error: store to scall branch .off.; use .scall_branch_enable., .scall_branch_disable., .scall_branch_inc. or .scall_branch_dec. */
}
void increment(void)
{
	on.key.count++; /* expect-error: store to scall branch .on. */
}
void whole(void)
{
	off = other; /* expect-error: store to scall branch .off. */
}
void inner(void)
{
	on.key = other.key; /* expect-error: store to scall branch .on. */
}
void copy(void)
{
	memcpy(&off, &other, sizeof off); /* expect-error: store to scall branch .off. */
}
void clear(void)
{
	memset(&on, 0, sizeof on); /* expect-error: store to scall branch .on. */
}
void atomic(void)
{
	__atomic_store_n(&off.key.count, 1, __ATOMIC_RELEASE); /* expect-error: store to scall branch .off. */
}
void atomic_add(void)
{
	__atomic_fetch_add(&on.key.count, 1, __ATOMIC_RELAXED); /* expect-error: store to scall branch .on. */
}
void through_pointer(struct scall_branch_key *k)
{
	k->count = 0; /* expect-error: store to scall branch .\*k. */
}
void through_local(void)
{
	struct scall_branch_key *k = &off.key;
	__atomic_store_n(&k->count, 0, __ATOMIC_RELAXED); /* expect-error: store to scall branch .\*k. */
}
void asm_output(void)
{
	__asm__ volatile("movl $1, %0" : "=m"(on.key.count)); /* expect-error: store to scall branch .on. */
}
struct holder {
	long n;
	struct scall_branch_true b;
} h1, h2;
void holding(void)
{
	h1 = h2; /* expect-error: store to scall branch .h1. */
	h1.n = 3;
}
int reads(void)
{
	return scall_branch_enabled(off) + on.key.count + (scall_branch_unlikely(off) ? 1 : 0);
}
