/* A destructor that updates a key and calls it again, after the module's
 * own destructor has unregistered the module (minimised from seeds 5 and
 * 10, gcc -flto, where link order put the unregistration first). */
#ifndef RND_H
#define RND_H
#include <scall.h>
#include <stdint.h>
#include <stdio.h>
#include "rnd_check.h"

typedef uint32_t rnd_fn(uint32_t);
extern rnd_fn *rnd_key SCALL_KEY;
uint32_t rnd_t1(uint32_t x);
uint32_t rnd_t2(uint32_t x);
uint32_t rnd_call(uint32_t x);
void rnd_check_a(unsigned phase);
#endif
