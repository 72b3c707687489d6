/* Local aliases that escape (issue 15): the error is at the line where the
 * pointer escapes and names the line where its address was taken; accesses
 * through it before that are fine.  The same escapes of a
 * SCALL_KEY_ESCAPES key compile quietly.  A variable keeps one place: two
 * places, or a place and another pointer, make each assignment of the
 * address an escape.  Stores through aliases are stores to the key.
 */
#include <scall.h>
#include <string.h>
typedef int fn(int);
static int f(int x) { return x; }
struct mm { fn *enter; fn *leave; long n; };
struct cfg { long flags; struct mm mutex; fn *other; };
struct cfg cfg SCALL_KEY = { 0, { f, f, 0 }, f };
struct cfg esc SCALL_KEY_ESCAPES = { 0, { f, f, 0 }, f };
static fn *tab[4] SCALL_KEY;
struct mm *global_p;
void take(void *);
void to_memory(void)
{
	struct mm *to = &cfg.mutex;
	to->n++;
	global_p = to; /* expect-error: address of scall key 'cfg' taken outside the scall.h macros; declare it 'SCALL_KEY_ESCAPES'.*; the address was taken at aliases.c:21\n */
}
struct mm *returned(void)
{
	struct mm *to = &cfg.mutex;
	return to; /* expect-error: address of scall key 'cfg'.*taken at aliases.c:27\n */
}
int passed(int x)
{
	struct mm *to = &cfg.mutex;
	int r = to->enter(x);
	take(to); /* expect-error: address of scall key 'cfg'.*taken at aliases.c:32\n */
	return r;
}
long to_integer(void)
{
	fn **p = &cfg.other;
	return (long)p; /* expect-error: address of scall key 'cfg'.*taken at aliases.c:39\n */
}
int merged(int c, struct mm *q)
{
	struct mm *p = &cfg.mutex;
	if (c)
		q = p; /* expect-error: address of scall key 'cfg'.*taken at aliases.c:44\n */
	return q->enter(1);
}
int offsets(int c)
{
	fn **p = &cfg.mutex.enter; /* expect-error: address of scall key 'cfg' taken outside the scall.h macros; declare it 'SCALL_KEY_ESCAPES', use 'scall_update' or 'scall_query', or build with '-fplugin-arg-scall-allow-address', and call 'scall_resync' after writing the key through the pointer\n */
	if (c)
		p = &cfg.mutex.leave; /* expect-error: address of scall key 'cfg' */
	return (*p)(2);
}
int other_ptr(int c, fn **q)
{
	fn **p = &tab[1]; /* expect-error: address of scall key 'tab' */
	if (c)
		p = q;
	return (*p)(2);
}
int variable(int i)
{
	fn **p = &cfg.mutex.enter;
	p += i; /* expect-error: address of scall key 'cfg'.*taken at aliases.c:65\n */
	return (*p)(2) + (*(p + i))(3); /* expect-error: address of scall key 'cfg'.*taken at aliases.c:65\n */
}
void in_asm(void)
{
	struct mm *to = &cfg.mutex;
	__asm__ volatile("" : : "r"(to)); /* expect-error: address of scall key 'cfg'.*taken at aliases.c:71\n */
}
void addr_of_alias(void)
{
	fn **p = &tab[2];
	take(&p); /* expect-error: address of scall key 'tab'.*taken at aliases.c:76\n */
}
void stores(fn *g)
{
	struct mm *to = &cfg.mutex;
	to->leave = g; /* expect-error: store to scall key 'cfg' */
	to->n = 3;
	fn **t = tab + 3;
	*t = g; /* expect-error: store to scall key 'tab' */
}
void stores_memset(void)
{
	struct mm *to = &cfg.mutex;
	memset(to, 0, sizeof *to); /* expect-error: store .*scall key 'cfg' */
}
void stores_atomic(fn *g)
{
	struct mm *to = &cfg.mutex;
	__atomic_store_n(&to->enter, g, __ATOMIC_RELEASE); /* expect-error: atomic store to scall key 'cfg' */
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
