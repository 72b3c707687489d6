/* SPDX-License-Identifier: MIT */
/* Each CASE is one misuse of scall_update / SCALL_UPDATE that must be a
 * compile error (not a warning) on the line marked with its number.
 * CASE 0 is the control: the correct uses compile cleanly. */
#include <stddef.h>
#include <scall.h>

static int add1(int x) { return x + 1; }
static __attribute__((unused)) int twice_d(double x) { return (int)(2 * x); }
static __attribute__((unused)) long longer(int x) { return x; }
static __attribute__((unused)) int two_args(int x, int y) { return x + y; }

SCALL_DEFINE(op, add1);

int use(void)
{
	int *data = NULL;
	(void)data;
#if CASE == 0
	struct scall_update u[] = { SCALL_UPDATE(op, add1), SCALL_UPDATE(op, NULL),
				    SCALL_UPDATE(op, scall_return0) };
	return scall_update(op, add1) + scall_update(op, NULL) +
	       scall_update(op, scall_return0) + scall_update_batch(u, 3);
#elif CASE == 1
	return scall_update(op, twice_d); /* case 1 */
#elif CASE == 2
	return scall_update(op, longer); /* case 2 */
#elif CASE == 3
	return scall_update(op, 5); /* case 3 */
#elif CASE == 4
	return scall_update(op, data); /* case 4 */
#elif CASE == 5
	return scall_update(op, two_args); /* case 5 */
#elif CASE == 6
	struct scall_update u[] = { SCALL_UPDATE(op, two_args) }; /* case 6 */
	return scall_update_batch(u, 1);
#endif
}
