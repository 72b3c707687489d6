/* only: gcc */
int use(int (*p)(int) __attribute__((scall_key)), int x) /* expect-error: a parameter */
{
	return p(x);
}
