/* Arrays of keys: a call whose index is not a constant where the pass
 * converts stays indirect and is counted by verbose; converted stores to
 * elements, with a variable index too, name the whole array (arrays.sh). */
#include <scall.h>
struct syscall {
	const char *name;
	int (*cur)(int);
	int (*dflt)(int);
};
static int f(int x) { return x; }
struct syscall sys[3] SCALL_KEY = { { "a", f, f }, { "b", f, f }, { "c", f, f } };
int (*fns[4])(int) SCALL_KEY = { f, f, f, f };
__attribute__((noinline)) int var_call(int i, int x) { return sys[i].cur(x); }
__attribute__((noinline)) int var_fns(int i, int x) { return fns[i & 3](x) + 0 * x; }
__attribute__((noinline)) int const_call(int x) { return sys[1].dflt(x) + 0 * x; }
static inline int at(int i, int x) { return fns[i](x); }
__attribute__((noinline)) int inlined(int x) { return at(2, x) + 0 * x; }
__attribute__((noinline)) int alias_var(int i, int x)
{
	struct syscall *s = &sys[i]; /* a local alias, variable index */
	return s->cur(x) + 0 * x;
}
void store_var(int i, int (*g)(int)) { sys[i].cur = g; }
void store_const(int (*g)(int)) { fns[3] = g; }
