/* SPDX-License-Identifier: MIT */
/* One read of a freed heap block (UBSan cannot see it), then "survived". */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	char *volatile p = malloc(4);

	if (!p)
		return 2;
	p[0] = 1;
	free(p);
	int r = p[0];
	printf("survived %d\n", r);
	return 0;
}
