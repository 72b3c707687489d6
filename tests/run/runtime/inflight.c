/* SPDX-License-Identifier: MIT */
/*
 * dlclose while a SIGTRAP handler is in flight.  The handler holds the
 * lookup table that still lists the module being unloaded; unloading must
 * retire that table (and the module's items) instead of freeing them, and
 * free them once no handler is in flight.
 *
 * Deterministic and bounded: with the plugin loaded, a caller thread traps
 * on the executable's call site during the cycle fa -> fb and its handler
 * is held by the trap hook (in flight: counter raised, table loaded).  The
 * main thread dlcloses the plugin (and its dependency libdlkeyed), then
 * starts the cycle fb -> fc and releases the handler while INT3 is back on
 * the site: the handler looks the site up in the retired table and must
 * emulate the newest target, fc.  With SCALL_DEBUG=1 the
 * runtime says when it defers the free and when it frees; ASan would report
 * a lookup in a freed table.
 */
#include <dlfcn.h>
#include <pthread.h>

#include "common_keys.h"

static int fa(int x) { return x + 1; }
static int fb(int x) { return x + 2; }
static int fc(int x) { return x + 3; }
int (*key_a)(int) SCALL_KEY = fa;
DEFINE_OTHER_KEYS;

/* Handshake flags, accessed with __atomic builtins. */
static int ready, go, trapped, release, result;
static int cycle;

static void trap_hook(uintptr_t ip)
{
	if ((const uint8_t *)ip != site_call_a)
		return;
	__atomic_store_n(&trapped, 1, __ATOMIC_RELEASE);
	rt_wait_for(&release, 1, "release");
}

static void *caller(void *arg)
{
	(void)arg;
	__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	rt_wait_for(&go, 1, "go");
	__atomic_store_n(&result, call_a(10), __ATOMIC_RELEASE);
	return NULL;
}

static void step_hook(int step)
{
	if (step != 1)
		return;
	if (++cycle == 1) {
		__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
		rt_wait_for(&trapped, 1, "the caller to trap");
	} else if (cycle == 2) {
		__atomic_store_n(&release, 1, __ATOMIC_RELEASE);
		rt_wait_for(&result, 13, "the held call to reach fc");
	}
}

int main(int argc, char **argv)
{
	struct scall_stats s0 = rt_stats(), s;
	struct rt_capture cap;
	char *log;
	pthread_t th;
	void *h;

	setvbuf(stdout, NULL, _IONBF, 0);
	CHECK(argc == 2);
	if (!strcmp(s0.writer, "none")) {
		puts("SKIP: no code writer (no INT3 is ever written)");
		return 77;
	}
	h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	CHECK(h);
	CHECK_EQ(rt_stats().modules, s0.modules + 2); /* and libdlkeyed */
	CHECK(pthread_create(&th, NULL, caller, NULL) == 0);
	rt_wait_for(&ready, 1, "the caller to start");
	__scall_test_trap_hook = trap_hook;
	__scall_test_hook = step_hook;
	CHECK(scall_update(key_a, fb) == 0);
	CHECK_EQ(cycle, 1);
	CHECK_EQ(__atomic_load_n(&result, __ATOMIC_ACQUIRE), 0); /* held */

	cap = rt_capture_begin();
	CHECK(dlclose(h) == 0);
	log = rt_capture_end(cap);
	CHECK_EQ(rt_stats().modules, s0.modules);
	/* one table per module unloaded */
	CHECK_EQ(rt_count_lines(log, "handler in flight", "freed later"), 2);
	CHECK_EQ(rt_count_lines(log, "retired tables freed", ""), 0);
	free(log);

	s0 = rt_stats();
	cap = rt_capture_begin();
	CHECK(scall_update(key_a, fc) == 0); /* step_hook releases */
	log = rt_capture_end(cap);
	__scall_test_hook = NULL;
	__scall_test_trap_hook = NULL;
	pthread_join(th, NULL);
	s = rt_stats();
	CHECK_EQ(cycle, 2);
	CHECK_EQ(result, 13);
	CHECK_EQ(s.traps - s0.traps, 1); /* emulated, through the old table */
	CHECK_EQ(rt_count_lines(log, "retired tables freed", ""), 1);
	free(log);
	CHECK_EQ(call_a(1), 4);
	puts("ok: the table the held handler used was freed after it left");
	return 0;
}
