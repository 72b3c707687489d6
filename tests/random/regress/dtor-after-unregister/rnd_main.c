#include "rnd.h"

int main(void)
{
	RND_CHECK("start", 0);
	for (unsigned p = 0; p < 2; p++) {
		printf("%u: %u\n", p, rnd_call(10));
		scall_update(rnd_key, p ? rnd_t1 : rnd_t2);
		rnd_check_a(p);
		RND_CHECK("m", p);
	}
	return 0;
}
