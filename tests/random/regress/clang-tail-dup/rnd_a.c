#include "rnd.h"

uint32_t rnd_t1(uint32_t a, uint64_t b) { return a * 3u + (uint32_t)b; }
uint32_t rnd_t2(uint32_t a, uint64_t b) { return a ^ (uint32_t)(b >> 3); }

rnd_fn *rnd_key SCALL_KEY = rnd_t1;

/* clang -O3 merges the three calls into one (one kind-4 record), then the
 * backend duplicates the tail call into two jmps: one has no record. */
static __attribute__((noinline)) uint32_t dispatch(uint32_t sel, uint32_t a0, uint64_t a1)
{
	switch (sel % 3u) {
	case 0:
		return rnd_key(a0 & 7u, a1);
	case 1:
		return rnd_key((a0 + 3u) & 7u, a1);
	default:
		return rnd_key((a0 + 5u) & 7u, a1);
	}
}

uint32_t rnd_run(uint32_t sel, uint32_t a0, uint64_t a1) { return dispatch(sel, a0, a1) + 1u; }

void rnd_check_a(unsigned phase) { RND_CHECK("a", phase); }
