/* SPDX-License-Identifier: MIT */
/*
 * scall demo: worker threads call through a key in a hot loop while the main
 * thread retargets the key between two implementations.  It prints how many
 * calls reached each target, what the runtime patched, and whether the
 * compiler converted the calls (plugin or pass in use).
 *
 * It exits 0 only if what it prints holds: both targets were reached, and,
 * when built with the toolchain (-DSCALL_DEMO_TOOLCHAIN, which
 * examples/Makefile adds with the plugin), call sites were registered and
 * every one of them was patched.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <scall.h>

#define WORKERS 2
#define UPDATES 200

/* The two implementations a real program would choose between, e.g. a
 * generic and a CPU-specific kernel.  Each counts its calls per thread. */
static _Thread_local unsigned long calls_generic, calls_fast;

static __attribute__((noinline)) unsigned long checksum_generic(unsigned long x)
{
	calls_generic++;
	return x * 2654435761u;
}

static __attribute__((noinline)) unsigned long checksum_fast(unsigned long x)
{
	calls_fast++;
	return x * 2654435761u;
}

SCALL_DEFINE(checksum, checksum_generic);

static atomic_int stop;
static atomic_ulong total_generic, total_fast;
static atomic_ulong batches; /* batches of 1000 calls finished, all workers */

static void *worker(void *arg)
{
	unsigned long acc = (unsigned long)(uintptr_t)arg;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		for (int i = 0; i < 1000; i++)
			acc += scall(checksum)(acc);
		atomic_fetch_add(&batches, 1);
	}
	atomic_fetch_add(&total_generic, calls_generic);
	atomic_fetch_add(&total_fast, calls_fast);
	return (void *)(uintptr_t)acc;
}

int main(void)
{
	pthread_t tid[WORKERS];
	struct scall_stats st;
	struct timespec pause = { 0, 100000 };
	int err, ok = 1;

	for (int i = 0; i < WORKERS; i++)
		if (pthread_create(&tid[i], NULL, worker, (void *)(uintptr_t)i)) {
			perror("pthread_create");
			return 1;
		}
	for (int i = 0; i < UPDATES; i++) {
		err = scall_update(checksum, i % 2 ? checksum_generic : checksum_fast);
		if (err) {
			fprintf(stderr, "scall_update: %s\n", strerror(-err));
			return 1;
		}
		/* Let the workers run on the new target: once WORKERS + 1
		 * batches have finished since the update returned, one worker
		 * ran a whole batch after it, which must all reach the new
		 * target. */
		unsigned long b0 = atomic_load(&batches);
		while (atomic_load(&batches) < b0 + WORKERS + 1)
			nanosleep(&pause, NULL);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(tid[i], NULL);

	err = scall_stats(&st);
	if (err) {
		fprintf(stderr, "scall_stats: %s\n", strerror(-err));
		return 1;
	}
	printf("scall demo: %d worker threads, %d updates while they ran\n",
	       WORKERS, UPDATES);
	printf("  calls reaching checksum_generic: %lu\n", atomic_load(&total_generic));
	printf("  calls reaching checksum_fast:    %lu\n", atomic_load(&total_fast));
	printf("  final target: %s\n",
	       scall_query(checksum) == checksum_fast ? "checksum_fast"
						      : "checksum_generic");
	printf("  toolchain converted the calls: %s (%zu call sites registered in %zu modules)\n",
	       st.sites ? "yes" : "no, portable fallback (indirect calls)",
	       st.sites, st.modules);
	printf("  sites direct: %zu, on trampoline: %zu, refused: %zu\n",
	       st.sites_direct, st.sites_trampoline, st.sites_refused);
	printf("  patch cycles: %llu syncs, %llu calls emulated by the trap handler, writer: %s\n",
	       (unsigned long long)st.syncs, (unsigned long long)st.traps,
	       st.writer ? st.writer : "?");
	/* After each update a whole batch ran on the new target. */
	if (!atomic_load(&total_generic) || !atomic_load(&total_fast)) {
		fprintf(stderr, "scall demo: FAIL: a target was never reached\n");
		ok = 0;
	}
#ifdef SCALL_DEMO_TOOLCHAIN
	/* Both targets are in this executable: every site can be direct. */
	if (!st.modules || !st.sites || st.sites_direct != st.sites) {
		fprintf(stderr, "scall demo: FAIL: built with the toolchain, but not "
				"every call site was registered and patched\n");
		ok = 0;
	}
#endif
	return !ok;
}
