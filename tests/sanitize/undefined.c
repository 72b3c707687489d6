/* SPDX-License-Identifier: MIT */
/* One signed overflow (undefined behaviour), then "survived". */
#include <limits.h>
#include <stdio.h>

int main(void)
{
	volatile int big = INT_MAX;
	int r = big + 1;

	printf("survived %d\n", r);
	return 0;
}
