/* SPDX-License-Identifier: MIT */
/*
 * The SIGTRAP handler's emulation of a conditional tail call, for all 16
 * condition codes (0F 80..8F) and all 32 combinations of the flags they
 * read (CF PF ZF SF OF), so that each condition is seen taken and not
 * taken with every flag it reads being decisive.  The oracle is the CPU:
 * each site is run as a real Jcc (patched direct) and mid-patch (INT3 on
 * byte 0, emulated), and both must agree with each other and with the
 * SDM's table.
 */
#include "rt_test.h"

static int t1(void) { return 1; }
static int t2(void) { return 2; }
int (*key_j)(void) SCALL_KEY = t1;
extern int (*const jcc_fns[16])(unsigned long flags);
extern uint8_t *const jcc_sites[16];

enum { CF = 0x1, PF = 0x4, ZF = 0x40, SF = 0x80, OF = 0x800 };
static const unsigned long bits[5] = { CF, PF, ZF, SF, OF };
static const char *const names[16] = { "o", "no", "b", "ae", "e", "ne",
	"be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g" };

static unsigned long flags_of(unsigned combo)
{
	unsigned long f = 0;

	for (int b = 0; b < 5; b++)
		if (combo & (1u << b))
			f |= bits[b];
	return f;
}

/* Intel SDM vol. 2, "Jcc": the condition of 0F 80+cc. */
static int sdm_taken(unsigned cc, unsigned long f)
{
	int cf = !!(f & CF), pf = !!(f & PF), zf = !!(f & ZF), sf = !!(f & SF),
	    of = !!(f & OF);
	static const int neg[16] = { 0, 1, 0, 1, 0, 1, 0, 1,
				     0, 1, 0, 1, 0, 1, 0, 1 };
	int r;

	switch (cc & ~1u) {
	case 0x0: r = of; break;             /* jo / jno */
	case 0x2: r = cf; break;             /* jb / jae */
	case 0x4: r = zf; break;             /* je / jne */
	case 0x6: r = cf || zf; break;       /* jbe / ja */
	case 0x8: r = sf; break;             /* js / jns */
	case 0xa: r = pf; break;             /* jp / jnp */
	case 0xc: r = sf != of; break;       /* jl / jge */
	default: r = zf || sf != of; break;  /* jle / jg */
	}
	return neg[cc] ? !r : r;
}

static int cpu[16][32]; /* taken by the real instruction */
static int emulated_runs;

/* Run every site for every flag combination; ret is the target's value. */
static void run_all(int ret, int emulated)
{
	for (unsigned cc = 0; cc < 16; cc++)
		for (unsigned c = 0; c < 32; c++) {
			unsigned long f = flags_of(c);
			int r = jcc_fns[cc](f);

			if (r != 0 && r != ret) {
				fprintf(stderr, "j%s flags %#lx: returned %d\n",
					names[cc], f, r);
				abort();
			}
			if (!emulated) {
				cpu[cc][c] = r != 0;
				if (cpu[cc][c] != sdm_taken(cc, f)) {
					fprintf(stderr, "j%s flags %#lx: the CPU "
						"%s, the SDM says %s\n", names[cc],
						f, r ? "jumped" : "fell through",
						sdm_taken(cc, f) ? "taken"
								 : "not taken");
					abort();
				}
			} else if ((r != 0) != cpu[cc][c]) {
				fprintf(stderr, "j%s flags %#lx: emulation %s, "
					"the CPU %s\n", names[cc], f,
					r ? "jumped" : "fell through",
					cpu[cc][c] ? "jumps" : "falls through");
				abort();
			}
		}
}

/* Steps 1 and 2 leave INT3 on byte 0 of every site. */
static void hook(int step)
{
	if (step != 1 && step != 2)
		return;
	for (unsigned cc = 0; cc < 16; cc++)
		CHECK(jcc_sites[cc][0] == 0xcc);
	run_all(2, 1); /* key_j already holds t2 */
	emulated_runs++;
}

int main(void)
{
	struct scall_stats s0 = rt_stats(), s;
	uint8_t want[6];

	if (!strcmp(s0.writer, "none")) {
		puts("SKIP: no code writer (no INT3 is ever written)");
		return 77;
	}
	for (unsigned cc = 0; cc < 16; cc++) {
		rt_branch(want, jcc_sites[cc], 0x0f, (int)cc, (void *)t1);
		EXPECT_BYTES(jcc_sites[cc], want, 6);
	}
	run_all(1, 0);
	for (unsigned cc = 0; cc < 16; cc++) {
		int taken = 0;

		for (unsigned c = 0; c < 32; c++)
			taken += cpu[cc][c];
		CHECK(taken > 0 && taken < 32);
	}

	__scall_test_hook = hook;
	CHECK(scall_update(key_j, t2) == 0);
	__scall_test_hook = NULL;
	s = rt_stats();
	CHECK_EQ(emulated_runs, 2);
	CHECK_EQ(s.traps - s0.traps, 2 * 16 * 32); /* every call emulated */
	for (unsigned cc = 0; cc < 16; cc++) {
		rt_branch(want, jcc_sites[cc], 0x0f, (int)cc, (void *)t2);
		EXPECT_BYTES(jcc_sites[cc], want, 6);
	}
	run_all(2, 0);
	printf("16 condition codes x 32 flag sets: emulation == CPU == SDM "
	       "(%llu emulated)\n", (unsigned long long)(s.traps - s0.traps));
	puts("ok");
	return 0;
}
