#include <stdio.h>
#include "keys.h"

int main(void)
{
	set_a(0);
	printf("%d %d\n", use_b(1), use_c(2));
	return 0;
}
