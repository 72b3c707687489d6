/* Arrays of keys with a variable index (variable_index.sh): the calls stay
 * indirect and verbose counts them; a store converts with the whole array
 * as its range, one with a constant index with its member's bytes. */
#include <scall.h>
typedef int fn(int);
struct syscall { const char *name; fn *cur; fn *dflt; } sys[4] SCALL_KEY;
fn *fns[3] SCALL_KEY;
int call_var(int i, int x) { return sys[i].cur(x) + fns[i](x) + fns[1](x); }
int call_const(int x) { return sys[3].cur(x); }
void store_var(int i, fn *f) { sys[i].cur = f; }
void store_const(fn *f) { sys[2].dflt = f; }
int update_var(int i, fn *f) { return scall_update(sys[i].dflt, f) + (scall_query(fns[i]) == f); }
