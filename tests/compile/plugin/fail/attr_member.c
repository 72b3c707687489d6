/* only: gcc */
struct ops {
	int (*op)(int) __attribute__((scall_key)); /* expect-error: member */
};
struct ops o;
