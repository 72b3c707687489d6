/* SPDX-License-Identifier: MIT */
/*
 * The dlopen'ed module of unload.c (sites in unload_lib.S).  A constructor
 * that runs before the module registers copies the compiler's bytes of
 * every window; a destructor that runs after the module's own destructor
 * (__scall_unregister_module: default priority, so before priority 101)
 * checks that every window holds them again and that calls follow the keys
 * from then on.
 */
#include "rt_test.h"

int ul_call_u(int), ul_jmp_u(int), ul_jcc_u(int);
void ul_call_w(void), ul_jmp_w(void), ul_jcc_w(int);
long ul_call_z(void);
extern uint8_t site_ul_call_u[], site_ul_jmp_u[], site_ul_jcc_u[],
	site_ul_call_w[], site_ul_jmp_w[], site_ul_jcc_w[], site_ul_call_z[];
extern uint8_t __scall_tramp_key_u[], __scall_ctramp_key_w[],
	__scall_tramp_key_z[];

static int u1(int x) { return x + 1; }
static int u2(int x) { return x + 2; }
static int w_calls;
static void w1(void) { w_calls++; }
static long z1(void) { return 5; }

int (*key_u)(int) SCALL_KEY = u1;
void (*key_w)(void) SCALL_KEY = NULL;
long (*key_z)(void) SCALL_KEY = scall_return0;

static const uint8_t nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
static const uint8_t xor5[] = { 0x2e, 0x2e, 0x2e, 0x31, 0xc0 };

#define WIN(a, l) { #a, a, l, { 0 } }
static struct win {
	const char *name;
	uint8_t *addr;
	int len;
	uint8_t orig[6]; /* copied before the module registered */
} win[] = {
	WIN(site_ul_call_u, 5), WIN(site_ul_jmp_u, 5), WIN(site_ul_jcc_u, 6),
	WIN(site_ul_call_w, 5), WIN(site_ul_jmp_w, 5), WIN(site_ul_jcc_w, 6),
	WIN(site_ul_call_z, 5), WIN(__scall_tramp_key_u, 5),
	WIN(__scall_ctramp_key_w, 5), WIN(__scall_tramp_key_z, 5),
};
#define NWIN (int)(sizeof(win) / sizeof(win[0]))
static int *done;

/* Before __scall_module_ctor (default priority). */
__attribute__((constructor(101))) static void snapshot(void)
{
	for (int i = 0; i < NWIN; i++)
		memcpy(win[i].orig, win[i].addr, (size_t)win[i].len);
	/* The compiler's form (docs/format.md): sites branch to their
	 * trampoline, trampolines load the key's address. */
	for (int i = 0; i < 7; i++)
		CHECK(win[i].orig[0] == 0xe8 || win[i].orig[0] == 0xe9 ||
		      win[i].orig[0] == 0x0f);
	for (int i = 7; i < NWIN; i++)
		CHECK(!memcmp(win[i].orig, "\x4c\x8b\x1d", 3) ||
		      !memcmp(win[i].orig, "\x4c\x8d\x1d", 3));
}

static void expect_restored(int line)
{
	for (int i = 0; i < NWIN; i++)
		rt_expect(win[i].name, win[i].addr, win[i].orig, win[i].len,
			  line);
}

/* Calls with key_u == u2, key_w == NULL, key_z == scall_return0 (also
 * from unload.c's hook, mid-cycle). */
void ul_calls(void)
{
	CHECK_EQ(ul_call_u(1), 3);
	CHECK_EQ(ul_jmp_u(1), 3);
	CHECK_EQ(ul_jcc_u(100), 102);
	CHECK_EQ(ul_jcc_u(1), -1);
	ul_call_w();
	ul_jmp_w();
	ul_jcc_w(0);
	CHECK_EQ(w_calls, 0);
	CHECK_EQ(ul_call_z(), 0);
}

/* Brings every window out of its compiler form (all in range: the targets
 * are in this module), so that restoring them has work to do. */
void ul_prepare(int *done_flag)
{
	uint8_t b[6];

	done = done_flag;
	CHECK(scall_update(key_u, u2) == 0);
	CHECK(scall_update(key_w, NULL) == 0);
	CHECK(scall_update(key_z, scall_return0) == 0);
	rt_branch(b, site_ul_call_u, 0xe8, 0, (void *)u2);
	EXPECT_BYTES(site_ul_call_u, b, 5);
	rt_branch(b, site_ul_jmp_u, 0xe9, 0, (void *)u2);
	EXPECT_BYTES(site_ul_jmp_u, b, 5);
	rt_branch(b, site_ul_jcc_u, 0x0f, 13, (void *)u2);
	EXPECT_BYTES(site_ul_jcc_u, b, 6);
	rt_branch(b, __scall_tramp_key_u, 0xe9, 0, (void *)u2);
	EXPECT_BYTES(__scall_tramp_key_u, b, 5);
	EXPECT_BYTES(site_ul_call_w, nop5, 5);
	CHECK(site_ul_jmp_w[0] == 0xc3);
	CHECK(__scall_ctramp_key_w[0] == 0xc3);
	EXPECT_BYTES(site_ul_call_z, xor5, 5);
	ul_calls();
}

/* After the module's own destructor: every window as the compiler emitted
 * it, so each call reads the key, whatever it holds now. */
__attribute__((destructor(101))) static void late(void)
{
	if (!done)
		return; /* unload.c did not get to ul_prepare */
	expect_restored(__LINE__);
	ul_calls();
	CHECK(scall_update(key_u, u1) == 0);
	CHECK_EQ(ul_call_u(1), 2);
	CHECK_EQ(ul_jmp_u(1), 2);
	CHECK_EQ(ul_jcc_u(100), 101);
	CHECK(scall_update(key_w, w1) == 0);
	ul_call_w();
	ul_jmp_w();
	ul_jcc_w(0);
	ul_jcc_w(1);
	CHECK_EQ(w_calls, 3);
	CHECK(scall_update(key_z, z1) == 0);
	CHECK_EQ(ul_call_z(), 5);
	/* No cycle touches an unregistered module. */
	expect_restored(__LINE__);
	*done = NWIN;
}
