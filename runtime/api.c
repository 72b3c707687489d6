/* SPDX-License-Identifier: MIT */
/*
 * The public API: argument checks, the update lock, and the key stores.
 * Everything that touches code is behind scall_patch_keys().
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

static pthread_mutex_t update_lock = PTHREAD_MUTEX_INITIALIZER;
/* Set while this thread holds update_lock, so that a signal handler that
 * interrupts it gets -EDEADLK instead of deadlocking on the mutex. */
static _Thread_local volatile sig_atomic_t holding_lock
	__attribute__((tls_model("initial-exec")));
static uint64_t updates;

SCALL_EXPORT long scall_return0(void) { return 0; }

SCALL_EXPORT void __scall_nop(void) {}

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

void scall_lock_atfork_prepare(void)
{
	fork_took_lock = scall_lock() == 0;
}

void scall_lock_atfork_parent(void)
{
	if (fork_took_lock)
		scall_unlock();
	fork_took_lock = 0;
}

void scall_lock_atfork_child(void)
{
	pthread_mutex_init(&update_lock, NULL);
	holding_lock = 0;
	fork_took_lock = 0;
}

static int check_target(const struct scall_update *u)
{
	if (!u->key)
		return -EINVAL;
	switch (u->check) {
	case SCALL_TARGET_TYPED:
		return 0;
	case SCALL_TARGET_NULL:
		return u->target ? -EINVAL : 0;
	case SCALL_TARGET_RET0:
		return u->target == (void *)scall_return0 ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

SCALL_EXPORT int scall_update_batch(const struct scall_update *u, size_t n)
{
	struct scall_req one, *req;
	size_t i;
	int err;

	if (n == 0)
		return 0;
	if (!u)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		err = check_target(&u[i]);
		if (err)
			return err;
	}
	req = n == 1 ? &one : scall_calloc(n, sizeof(*req));
	if (!req)
		return -ENOMEM;
	err = scall_lock();
	if (err) {
		if (req != &one)
			free(req);
		return err;
	}
	/* Store every key before any code changes: a key always holds the
	 * current target, and sites that cannot be patched read it. */
	for (i = 0; i < n; i++) {
		__atomic_store_n((void **)u[i].key, u[i].target,
				 __ATOMIC_RELEASE);
		req[i].key = u[i].key;
		req[i].target = u[i].target;
	}
	updates++;
	err = scall_patch_keys(req, n);
	scall_unlock();
	if (req != &one)
		free(req);
	return err;
}

SCALL_EXPORT int scall_resync(void)
{
	int err = scall_lock();

	if (err)
		return err;
	updates++;
	err = scall_patch_keys(NULL, 0);
	scall_unlock();
	return err;
}

/*
 * A store the compiler converted (-fplugin-arg-scall-convert-stores): the
 * program has just written [addr, addr + len) with ordinary stores (a key, a
 * member, a whole struct key); bring the sites of every registered key in
 * that range to the value it now holds, in one patch cycle.  Before the
 * module's registration (a store in an early constructor) there is nothing
 * to patch: registration itself starts every site from the key's value.
 */
SCALL_EXPORT int __scall_stored(void *addr, size_t len)
{
	int err;

	if (!addr || !len)
		return 0;
	err = scall_lock();
	if (err)
		return err;
	updates++;
	err = scall_patch_range((uintptr_t)addr, (uintptr_t)addr + len);
	scall_unlock();
	return err;
}

SCALL_EXPORT int __scall_update_key(void *key, void *target, int check)
{
	struct scall_update u = { key, target, check };

	return scall_update_batch(&u, 1);
}

SCALL_EXPORT int scall_stats(struct scall_stats *out)
{
	int err;

	if (!out)
		return -EINVAL;
	err = scall_lock();
	if (err)
		return err;
	*out = (struct scall_stats){ .updates = updates };
	scall_patch_stats(out);
	scall_unlock();
	return 0;
}
