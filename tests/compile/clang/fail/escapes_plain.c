/* fixtures/escapes.c with SCALL_KEY: every escape is the address error. */
#include <scall.h>
static int add1(int x) { return x + 1; }
struct ops {
	int (*a)(int);
	int (*b)(int);
};
int (*hook)(int) SCALL_KEY = add1;
static struct ops cfg SCALL_KEY = { add1, add1 };
int (*quiet)(int) SCALL_KEY_ESCAPES = add1;
void *const hook_marker = (void *)&hook; /* expect-error: address of scall key 'hook' taken outside the scall.h macros */
static void *const cfg_marker = &cfg; /* expect-error: address of scall key 'cfg' taken */
void *const quiet_marker = (void *)&quiet;
void take(void *p);
void g(void)
{
	take(&cfg); /* expect-error: address of scall key 'cfg' taken */
	take(&cfg.b); /* expect-error: address of scall key 'cfg' taken */
	take(&quiet);
	int (**where)(int) = &hook;
	take(where); /* expect-error: address of scall key 'hook' taken .*; the address was taken at escapes_plain.c:20 */
	(void)cfg_marker;
}
