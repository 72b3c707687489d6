/* SCALL_KEY_ESCAPES in static initializers: `(void *)&cfg` as an opaque
 * marker compiles; the same for a SCALL_KEY key is an error.  The attribute
 * scall_key_escapes alone (not through SCALL_KEY_ESCAPES) is an error.
 * only: gcc
 */
#include <scall.h>
static int f(int x) { return x; }
struct cfg { int (*enter)(int); long n; };
static struct cfg cfg SCALL_KEY_ESCAPES = { f, 0 };
static struct cfg strict SCALL_KEY = { f, 0 };
static int (*hook)(int) SCALL_KEY_ESCAPES = f;
void *const marker = (void *)&cfg;             /* an opaque marker */
void *const markers[] = { &hook, &cfg.enter, &cfg.n, &strict.n };
void *const bad_marker = (void *)&strict;      /* expect-error: address of scall key .strict. */
void *const bad_member = &strict.enter;        /* expect-error: address of scall key .strict. */
static int (*lone)(int) __attribute__((scall_key_escapes)) = f; /* expect-error: .scall_key_escapes. attribute without .scall_key. */
int use_lone(int x) { return lone(x) + hook(x) + cfg.enter(x) + strict.enter(x); }
