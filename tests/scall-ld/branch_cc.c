/* Static branches as the compilers lay them out: an asm goto that emits
 * the 5-byte instruction and its record exactly as docs/format.md shows
 * (not scall.h's macros: this tests scall-ld against real code generation,
 * hot/cold partitioning included).  Exits 0 when every branch takes the
 * way its compiled form says. */
#include <stdio.h>
#include <stdlib.h>

struct bkey { int count; };
struct bkey key_off, key_on = { 1 };

#define REC(key, kind)                                                     \
	".pushsection scall_branches,\"aw\",@progbits\n\t.balign 8\n\t"    \
	".long 1b - .\n\t.long %l0 - .\n\t.quad " #key "\n\t.long " #kind  \
	"\n\t.long 0\n\t.popsection\n\t"
#define NOP_FORM(key, kind, l)                                             \
	asm goto("1:\t.byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n\t" REC(key, kind) \
		 : : : : l)
#define JMP_FORM(key, kind, l)                                             \
	asm goto("1:\t.byte 0xe9\n\t.long %l0 - (. + 4)\n\t" REC(key, kind) \
		 : : : : l)

/* the four forms: unlikely(k) true/false, likely(k) true/false */
static inline __attribute__((always_inline)) int unlikely_off(void)
{ NOP_FORM(key_off, 5, yes); return 0; yes: return 1; }
static inline __attribute__((always_inline)) int unlikely_on(void)
{ JMP_FORM(key_on, 5, yes); return 0; yes: return 1; }
static inline __attribute__((always_inline)) int likely_off(void)
{ JMP_FORM(key_off, 6, no); return 1; no: return 0; }
static inline __attribute__((always_inline)) int likely_on(void)
{ NOP_FORM(key_on, 6, no); return 1; no: return 0; }

__attribute__((cold, noinline)) void slow(const char *what)
{
	fprintf(stderr, "unexpected: %s\n", what);
	exit(1);
}

__attribute__((noinline)) int work(int n)
{
	int i, sum = 0;

	for (i = 0; i < n; i++) {
		if (unlikely_off())
			slow("unlikely(off)"); /* a cold block: f.cold at -O2 */
		if (!unlikely_on())
			slow("unlikely(on)");
		if (likely_off())
			slow("likely(off)");
		if (likely_on())
			sum += i;
		else
			slow("likely(on)");
	}
	return sum;
}

int main(int argc, char **argv)
{
	(void)argv;
	return work(10 + argc) == (10 + argc) * (9 + argc) / 2 ? 0 : 2;
}
