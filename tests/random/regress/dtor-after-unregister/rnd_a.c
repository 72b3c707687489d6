#include "rnd.h"

uint32_t rnd_t1(uint32_t x) { return x + 1u; }
uint32_t rnd_t2(uint32_t x) { return x * 2u; }

rnd_fn *rnd_key SCALL_KEY = rnd_t1;

__attribute__((noinline)) uint32_t rnd_call(uint32_t x) { return rnd_key(x) + 0u; }

void rnd_check_a(unsigned phase) { RND_CHECK("a", phase); }

/* Priority 101 runs after every default-priority destructor, among them
 * the one that unregisters this module; the site in rnd_call still holds
 * a direct call to rnd_t1, which the update no longer reaches. */
__attribute__((destructor(101))) static void rnd_late(void)
{
	uint32_t before = rnd_call(20);

	scall_update(rnd_key, rnd_t2);
	printf("late: %u %u\n", before, rnd_call(20));
	scall_update(rnd_key, rnd_t1);
}
