/* SPDX-License-Identifier: MIT */
/*
 * The update lock, fork and initialisation: every path that enters the
 * runtime takes the lock here, and fork is handled here alone
 * (docs/protocol.md, "Locking, the loader lock, signals, fork").
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int scall_debug;
static int initialised;

static pthread_mutex_t update_lock = PTHREAD_MUTEX_INITIALIZER;
/* Set while this thread holds update_lock, so that a signal handler that
 * interrupts it gets -EDEADLK instead of deadlocking on the mutex. */
static _Thread_local volatile sig_atomic_t holding_lock
	__attribute__((tls_model("initial-exec")));

int scall_lock(void)
{
	if (holding_lock)
		return -EDEADLK;
	/* Set before taking the mutex and cleared after releasing it, so that
	 * a signal handler running anywhere in between (even while this
	 * thread waits for the mutex) is refused rather than deadlocked. */
	holding_lock = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	pthread_mutex_lock(&update_lock);
	return 0;
}

void scall_unlock(void)
{
	pthread_mutex_unlock(&update_lock);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	holding_lock = 0;
}

/* fork: no child may inherit a half-patched site, so fork waits for the
 * update in progress.  A fork from a signal handler that interrupted an
 * update on this thread cannot take the lock; the child then inherits the
 * sites as they are (each still a valid state or an emulated INT3). */
static _Thread_local int fork_took_lock
	__attribute__((tls_model("initial-exec")));

static void atfork_prepare(void)
{
	fork_took_lock = scall_lock() == 0;
}

static void atfork_parent(void)
{
	if (fork_took_lock)
		scall_unlock();
	fork_took_lock = 0;
}

static void atfork_child(void)
{
	/* Single-threaded now: no handler can be in flight. */
	__atomic_store_n(&scall_in_flight, 0, __ATOMIC_SEQ_CST);
	if (initialised)
		scall_writer_atfork_child();
	pthread_mutex_init(&update_lock, NULL);
	holding_lock = 0;
	fork_took_lock = 0;
}

/* The writer chosen, with SCALL_DEBUG; also without it when no writer
 * works (or no sync), which leaves every site on its trampoline. */
static void report_writer(void)
{
	bool loud;
	const char *why = scall_writer_reason(&loud);

	if (scall_debug || loud)
		fprintf(stderr, "scall: writer %s%s%s%s%s\n",
			scall_writer_name(), *why ? " (" : "", why,
			*why ? ")" : "",
			scall_writer == WRITER_NONE
				? ": sites stay on their trampolines"
				: "");
}

void scall_init_locked(void)
{
	const char *d = getenv("SCALL_DEBUG");

	if (initialised)
		return;
	initialised = 1;
	scall_debug = d && *d && strcmp(d, "0");
	scall_writer_init();
	scall_trap_install();
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	report_writer();
}

/* Runs before the executable's constructors when libscall is a shared
 * library it depends on, i.e. before the program creates threads:
 * registering for membarrier SYNC_CORE is cheap then. */
__attribute__((constructor)) static void scall_ctor(void)
{
	if (scall_lock() == 0) {
		scall_init_locked();
		scall_unlock();
	}
}
