/* SPDX-License-Identifier: MIT */
/* Internal interfaces of libscall.  Not installed. */
#ifndef SCALL_RUNTIME_INTERNAL_H
#define SCALL_RUNTIME_INTERNAL_H

#include "scall.h"
#include "scall/format.h"

#define SCALL_HIDDEN __attribute__((visibility("hidden")))

/* An update with its target resolved and checked; key never NULL. */
struct scall_req {
	void **key;
	void *target;
};

/*
 * Bring every site and trampoline of the keys in req[0..n) to the targets
 * already stored in the keys.  Called with the update lock held.
 * Returns 0 or a negative errno; on error every site is still correct.
 */
SCALL_HIDDEN int scall_patch_keys(const struct scall_req *req, size_t n);

/* Fill the site/trampoline/trap/sync/writer parts of *out; lock held. */
SCALL_HIDDEN void scall_patch_stats(struct scall_stats *out);

/* The update lock (api.c).  lock returns -EDEADLK when this thread already
 * holds it (a signal handler interrupted an update on the same thread). */
SCALL_HIDDEN int scall_lock(void);
SCALL_HIDDEN void scall_unlock(void);

#endif
