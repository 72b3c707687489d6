#include "rnd.h"

int main(void)
{
	RND_CHECK("start", 0);
	for (unsigned p = 0; p < 2; p++) {
		uint32_t s = 0;

		for (uint32_t i = 0; i < 6; i++)
			s = s * 31u + rnd_run(i, i * 7u, i);
		printf("%u: %u\n", p, s);
		scall_update(rnd_key, p ? rnd_t1 : rnd_t2);
		rnd_check_a(p);
		RND_CHECK("m", p);
	}
	return 0;
}
