/* SPDX-License-Identifier: MIT */
/*
 * The writes and syncs of one patch cycle (steps 3-6 of "One patch cycle"
 * in docs/protocol.md) over an explicit list of windows, and what a failed
 * write or sync leaves behind.  It reads only each window's address,
 * length and bytes (orig, cur, want): which items and which bytes is
 * cycle.c's choice; the writer and the sync are writer.c's.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Test hook (not API, see scall.h): called after each sync of a patch cycle
 * with the step (1-3), negated (-1..-3) in the cycle that restores a module
 * being unregistered: a test that holds an update cycle across a dlclose
 * (inflight.c) is not stopped by the dlclose's own cycle, and a test of
 * unloading (unload.c) stops that one. */
SCALL_EXPORT void (*volatile __scall_test_hook)(int step);

static void test_hook(int step, bool unloading)
{
	void (*hook)(int) = __scall_test_hook;

	if (hook)
		hook(unloading ? -step : step);
}

static const uint8_t int3 = SCALL_OP_INT3;

/* A thread that blocks SIGTRAP and hits an INT3 is killed by the kernel.
 * Warn once for the updating thread; with SCALL_DEBUG, name every thread
 * of the process that blocks it. */
static void check_blocked(void)
{
	static int warned;
	char path[64], line[256];
	struct dirent *d;
	DIR *dir;

	if (!warned && scall_trap_blocked()) {
		warned = 1;
		fprintf(stderr, "scall: warning: SIGTRAP is blocked in the "
				"updating thread; if it runs a site mid-patch "
				"(signal handler) the process is killed\n");
	}
	if (!scall_debug || !(dir = opendir("/proc/self/task")))
		return;
	while ((d = readdir(dir))) {
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%.20s/status",
			 d->d_name);
		if (!(f = fopen(path, "re")))
			continue;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "SigBlk:", 7)) {
				unsigned long long m = strtoull(line + 7, NULL, 16);

				if (m & (1ull << (SIGTRAP - 1)))
					fprintf(stderr, "scall: warning: thread %s "
							"blocks SIGTRAP: it dies "
							"if it runs a site "
							"mid-patch\n", d->d_name);
				break;
			}
		fclose(f);
	}
	closedir(dir);
}

/* After a failed write or sync: memory is what it is. */
static void record_memory(struct rt_item **chg, size_t n)
{
	for (size_t i = 0; i < n; i++)
		memcpy(chg[i]->cur, (const void *)chg[i]->addr, chg[i]->len);
}

/*
 * Without a sync, only a change of byte 0 between two values that each
 * make a valid instruction with the bytes after it is safe: a core decodes
 * either.  So an item that is neither in its compiler form (which reaches
 * the key's target through the trampoline, itself an item of the same key)
 * nor parked already gets INT3 on byte 0, and the handler emulates the
 * key's target from then on.  Nothing else is written.
 */
static int park(struct rt_item **chg, size_t n, struct wr *w,
		const uintptr_t *bar, size_t nb)
{
	size_t nw = 0;
	int err;

	/* A branch's compiler form does not read its key: parked too. */
	for (size_t i = 0; i < n; i++)
		if ((memcmp(chg[i]->cur, chg[i]->orig, chg[i]->len) ||
		     scall_kind_is_branch(chg[i]->kind)) &&
		    chg[i]->cur[0] != int3)
			w[nw++] = (struct wr){ chg[i]->addr, &int3, 1 };
	if (!nw)
		return 0;
	scall_trap_install();
	check_blocked();
	err = scall_write(w, nw, bar, nb);
	record_memory(chg, n);
	if (err)
		fprintf(stderr, "scall: write failed (%s): some sites may keep "
				"their previous target until an update "
				"succeeds\n", strerror(-err));
	return err;
}

int scall_poke(struct rt_item **chg, size_t n, struct wr *w,
	       const uintptr_t *bar, size_t nb, bool unloading)
{
	size_t i, nw;
	int err;

	if (scall_sync_lost())
		return park(chg, n, w, bar, nb);
	scall_trap_install();
	check_blocked();
	/* Step 1: INT3 on byte 0. */
	for (i = 0; i < n; i++)
		w[i] = (struct wr){ chg[i]->addr, &int3, 1 };
	if ((err = scall_write(w, n, bar, nb)))
		goto fail;
	if (scall_sync())
		goto lost; /* parked with the old bytes after INT3 */
	test_hook(1, unloading);
	/* Step 2: bytes 1..n-1 that change. */
	for (i = nw = 0; i < n; i++) {
		struct rt_item *it = chg[i];

		if (memcmp(it->want + 1, it->cur + 1, it->len - 1u))
			w[nw++] = (struct wr){ it->addr + 1, it->want + 1,
					       (uint8_t)(it->len - 1) };
	}
	if ((err = scall_write(w, nw, bar, nb)))
		goto fail;
	if (scall_sync())
		goto lost; /* parked with the new bytes after INT3 */
	test_hook(2, unloading);
	/* Step 3: the new byte 0. */
	for (i = 0; i < n; i++)
		w[i] = (struct wr){ chg[i]->addr, chg[i]->want, 1 };
	if ((err = scall_write(w, n, bar, nb)))
		goto fail;
	for (i = 0; i < n; i++)
		memcpy(chg[i]->cur, chg[i]->want, chg[i]->len);
	if (scall_sync())
		return 0; /* done, but no core was made to serialise */
	test_hook(3, unloading);
	return 0;
lost:
	/* Every item holds INT3 on byte 0 and its old or new other bytes:
	 * emulated from the key, which is as correct as a finished cycle.
	 * The write itself was already made before the sync failed. */
	record_memory(chg, n);
	return 0;
fail:
	/* A write failed and no fallback writer works.  Items holding INT3
	 * are emulated from the key; after a failure in step 2 that is every
	 * item, in step 3 the others have their new state, in step 1 they
	 * still have their old one.  Sync, record what memory holds, and let
	 * cycle.c bring every item to its target at the next cycle. */
	scall_sync();
	fprintf(stderr, "scall: write failed (%s): some sites may keep their "
			"previous target until an update succeeds\n",
		strerror(-err));
	record_memory(chg, n);
	return err;
}
