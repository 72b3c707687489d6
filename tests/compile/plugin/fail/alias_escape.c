/* Local aliases that escape (issue 15): the error is at the line where the
 * pointer escapes and names where its address was taken; accesses through
 * it before that are fine.  The same escapes of a SCALL_KEY_ESCAPES key
 * compile quietly.  (Also run at -O0: plugin-fail-alias-O0.)
 * only: gcc
 */
#include <scall.h>
#include <string.h>
typedef int fn(int);
static int f(int x) { return x; }
struct mm { fn *enter; fn *leave; long n; };
struct cfg { long flags; struct mm mutex; fn *other; };
struct cfg cfg SCALL_KEY = { 0, { f, f, 0 }, f };
struct cfg esc SCALL_KEY_ESCAPES = { 0, { f, f, 0 }, f };
struct mm *global_p;
void take(void *);
void to_memory(void)
{
	struct mm *to = &cfg.mutex;
	to->n++;
	global_p = to; /* expect-error: address of scall key .cfg.*the address was taken at alias_escape.c:19 */
}
struct mm *returned(void)
{
	struct mm *to = &cfg.mutex;
	return to; /* expect-error: address of scall key .cfg.*taken at alias_escape.c:25 */
}
int passed(int x)
{
	struct mm *to = &cfg.mutex;
	int r = to->enter(x);
	take(to); /* expect-error: address of scall key .cfg.*taken at alias_escape.c:30 */
	return r;
}
long to_integer(void)
{
	fn **p = &cfg.other;
	return (long)p; /* expect-error: address of scall key .cfg.*taken at alias_escape.c:37 */
}
int merged(int c, struct mm *q)
{
	struct mm *p = &cfg.mutex;
	if (c)
		q = p; /* expect-error: address of scall key .cfg.*taken at alias_escape.c:42 */
	return q->enter(1);
}
int offsets(int c)
{
	fn **p = &cfg.mutex.enter; /* expect-error: address of scall key .cfg. */
	if (c)
		p = &cfg.mutex.leave; /* expect-error: address of scall key .cfg. */
	return (*p)(2);
}
int variable(int i)
{
	fn **p = &cfg.mutex.enter;
	p += i; /* expect-error: address of scall key .cfg.*taken at alias_escape.c:56 */
	return (*p)(2);
}
void in_asm(void)
{
	struct mm *to = &cfg.mutex;
	__asm__ volatile("" : : "r"(to)); /* expect-error: address of scall key .cfg.*taken at alias_escape.c:62 */
}
void stores(fn *g)
{
	struct mm *to = &cfg.mutex;
	to->leave = g; /* expect-error: store to scall key .cfg. */
	to->n = 3;
}
void stores_memset(void)
{
	struct mm *to = &cfg.mutex;
	memset(to, 0, sizeof *to); /* expect-error: store .*scall key .cfg. */
}
void stores_atomic(fn *g)
{
	struct mm *to = &cfg.mutex;
	__atomic_store_n(&to->enter, g, __ATOMIC_RELEASE); /* expect-error: atomic store to scall key .cfg. */
}
void escapes_ok(struct mm *q, int c, int i)
{
	struct mm *to = &esc.mutex;
	global_p = to;
	take(to);
	fn **p = &esc.mutex.enter;
	if (c)
		p = &esc.mutex.leave;
	take(p + i);
	take(c ? to : q);
}
