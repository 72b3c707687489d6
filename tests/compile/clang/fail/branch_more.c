/* More stores into static branches' key objects (issue 16) for the AST
 * half, beyond the shared fixture plugin/fail/branch_store.c: the other
 * string functions, __sync and the other atomic read-modify-writes,
 * compound assignment, --, arrays and unions holding a branch, casts.
 * Reads, and data beside a branch, stay fine.
 * fail-flags: -fplugin-arg-scall-convert-stores
 */
#include <scall.h>
#include <string.h>
#include <strings.h>
SCALL_BRANCH_DEFINE_FALSE(off);
SCALL_BRANCH_DEFINE_TRUE(on);
struct scall_branch_false many[4];
union u {
	struct scall_branch_true b;
	long n;
} un;
struct holder {
	long n;
	struct scall_branch_key k;
};
void forms(struct holder *hp, void *p, int i)
{
	bzero(&off, sizeof off); /* expect-error: store to scall branch .off.; use .scall_branch_enable., .scall_branch_disable., .scall_branch_inc. or .scall_branch_dec. */
	memmove(&on.key, &off.key, sizeof on.key); /* expect-error: store to scall branch .on. */
	__sync_fetch_and_add(&off.key.count, 1); /* expect-error: store to scall branch .off. */
	__atomic_exchange_n(&on.key.count, 1, __ATOMIC_SEQ_CST); /* expect-error: store to scall branch .on. */
	off.key.count += 2; /* expect-error: store to scall branch .off. */
	--on.key.count; /* expect-error: store to scall branch .on. */
	many[i].key.count = 1; /* expect-error: store to scall branch .many. */
	memset(many, 0, sizeof many); /* expect-error: store to scall branch .many. */
	un.n = 0; /* expect-error: store to scall branch .un. */
	*hp = (struct holder){ 0 }; /* expect-error: store to scall branch .\*hp. */
	((struct scall_branch_key *)p)->count = 0; /* expect-error: store to scall branch .\*p. */
	(&off)->key.count = 0; /* expect-error: store to scall branch .off. */
	hp->n = 1;
}
int reads(struct holder *hp)
{
	int v = 0;
	__atomic_load(&off.key.count, &v, __ATOMIC_ACQUIRE);
	return v + scall_branch_enabled(on) + scall_branch_likely(on) + hp->k.count + many[1].key.count;
}
