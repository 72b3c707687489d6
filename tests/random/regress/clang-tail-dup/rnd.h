/* A switch of three tail calls through one key (minimised from seed 22). */
#ifndef RND_H
#define RND_H
#include <scall.h>
#include <stdint.h>
#include <stdio.h>
#include "rnd_check.h"

typedef uint32_t rnd_fn(uint32_t, uint64_t);
extern rnd_fn *rnd_key SCALL_KEY;
uint32_t rnd_t1(uint32_t a, uint64_t b);
uint32_t rnd_t2(uint32_t a, uint64_t b);
uint32_t rnd_run(uint32_t sel, uint32_t a0, uint64_t a1);
void rnd_check_a(unsigned phase);
#endif
