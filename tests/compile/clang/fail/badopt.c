/* fail-flags: -fplugin-arg-scall-frobnicate
 * expect-error-noline: unknown option .*frobnicate
 */
int x;
