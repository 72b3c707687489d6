/* scall-scan test project: local aliases, arrays of keys, SCALL_KEY_ESCAPES
 * (issue 15).  Each comment says what scall-scan must find on its line. */
#include <stdint.h>
#include <string.h>
#include <scall.h>
#include "keys.h"

typedef void (*any_fn)(void);
struct sys { const char *name; any_fn cur; any_fn dflt; };

static int k(int x) { return x + 10; }

static struct sys s_sys[3] = { { "a", (any_fn)k, 0 }, { "b", (any_fn)k, 0 }, { "c", 0, 0 } };
hook_fn g_tab[2][2] = { { k, k }, { k, k } };
struct ops g_cfg;                                /* a plain candidate */
struct ops g_esc SCALL_KEY_ESCAPES;              /* its escapes are allowed */
struct ops *g_saved;
void *const g_marker = (void *)&g_esc;           /* allowed escape */
void *const g_marker2 = (void *)&g_cfg.sub;      /* escape: stored in 'g_marker2' */
void opaque(void *);

int use_alias(const struct ops *from, int x)
{
	struct ops *o = &g_cfg;                          /* alias: no escape */
	int (**h)(int) = &g_cfg.close;                   /* alias of a member */
	char *raw = (char *)&g_cfg;                      /* a cast */
	hook_fn *h2 = (hook_fn *)(raw + offsetof(struct ops, close)); /* constant offset */
	o->open = from->open;                            /* store (open) */
	*h = from->close;                                /* store (close) */
	memcpy(&o->sub, &from->sub, sizeof o->sub);      /* store (sub) */
	x += o->open(x);                                 /* call (open) */
	x += (*h)(x);                                    /* call (close) */
	x += (*h2)(x);                                   /* call (close) */
	return x + o->flags;                             /* data */
}

struct ops *leak_return(void)
{
	struct ops *p = &g_cfg;
	return p;                                        /* escape: returned */
}

void leak_call(void)
{
	hook_fn *q = &g_cfg.open;
	q[0] = 0;                                        /* store (open) */
	opaque(q);                                       /* escape: passed to opaque() */
}

void leak_store(void)
{
	struct ops *p = &g_cfg;
	g_saved = p;                                     /* escape: stored to memory */
}

uintptr_t leak_int(void)
{
	return (uintptr_t)&g_cfg.sub;                    /* escape: converted to an integer */
}

int leak_merge(int c, struct ops *other)
{
	struct ops *p = &g_cfg;                          /* escape: 'p' also holds other pointers */
	if (c)
		p = other;
	return p->open(1);
}

int use_arrays(int i, any_fn f)
{
	int x = ((int (*)(int))s_sys[1].cur)(1);         /* call ([1].cur), through a cast */
	x += ((int (*)(int))s_sys[i].cur)(2);            /* left indirect ([i].cur) */
	struct sys *e = &s_sys[2];                       /* alias of an element */
	x += ((int (*)(int))e->dflt)(3);                 /* call ([2].dflt) */
	x += ((int (*)(int))e[-1].cur)(4);               /* call ([1].cur) */
	x += g_tab[1][0](x) + g_tab[0][i](x);            /* call ([1][0]), left indirect ([0][i]) */
	s_sys[i].cur = f;                                /* store ([i].cur), convertible */
	s_sys[0].cur = f;                                /* store ([0].cur) */
	e->name = "z";                                   /* data */
	opaque(s_sys);                                   /* escape: passed to opaque() */
	return x;
}

int use_escapes(int x)
{
	struct ops *p = &g_esc;
	opaque(p);                                       /* allowed escape */
	return g_esc.open(x) + p->close(x);              /* calls (open), (close) */
}

int use_more(int c, hook_fn f)
{
	struct ops *p = &g_cfg;
	memcpy(p, &g_ops, sizeof *p);                    /* store: memcpy onto the whole key */
	memcpy(&g_ops, p, sizeof *p);                    /* a source: no escape */
	__atomic_store_n(&p->close, f, __ATOMIC_RELEASE); /* store (close): atomic store */
	hook_fn *q = c ? &g_cfg.open : &g_cfg.open;      /* ?: of one place: an alias */
	hook_fn *m = c ? &g_cfg.open : &g_cfg.close;     /* escape: merged (?:) */
	return q[0](1) + m[0](2);                        /* call (open); none through m */
}

int walk(void)
{
	int x = 0;
	for (struct sys *w = s_sys; w < s_sys + 3; w++) /* escape: 'w' moves (a merge in the loop) */
		x += w->name[0];
	return x;
}

int pick(int c)
{
	hook_fn *t = &g_tab[0][0];
	if (c)
		t = &g_tab[1][0];                        /* two places: a variable index */
	return (*t)(c);                                  /* left indirect ([?][0]) */
}
