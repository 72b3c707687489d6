/* scall-scan test project: candidate keys of every shape. */
#include <stddef.h>

typedef int (*hook_fn)(int);

struct ops {
	int (*open)(int);
	int (*close)(int);
	struct {
		void (*log)(const char *);
	} sub;
	int (*table[2])(int);   /* an array: never a key */
	int flags;
};

extern hook_fn g_hook;
extern struct ops g_ops;
extern int (*g_never_called)(int);
extern int (*g_array[2])(int);

void set_a(int);
int use_b(int);
void set_c(void);
int use_c(int);
