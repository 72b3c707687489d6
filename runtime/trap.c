/* SPDX-License-Identifier: MIT */
/*
 * The SIGTRAP handler: emulates the desired instruction of a site (or a
 * trampoline window, or a static branch) that a thread hit while byte 0
 * was INT3.
 *
 * It never waits and takes no lock.  It finds the item by binary search in
 * an immutable table published through an atomic pointer; a counter of
 * handlers in flight (incremented before the pointer is loaded) tells the
 * publisher when an old table may be freed (index.c).  It emulates the state
 * computed from the key's current value with scall_desired(), the same
 * function the patcher uses, never a record of the patch in flight: delivery
 * may be late, and the key is always stored before any byte is written.
 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"

uint64_t scall_traps;

/* The handler we replaced, double-buffered: the installer (under the update
 * lock) writes the slot not in use, flips prev_idx, then bumps prev_gen.  A
 * handler copies the slot and retries if prev_gen moved meanwhile, as with a
 * seqlock: a second reinstall may rewrite the slot it was copying, and the
 * handler must neither wait for the installer nor chain to a torn copy.  It
 * retries only while installs happen, which are rare and bounded. */
#define SA_WORDS (sizeof(struct sigaction) / sizeof(uint64_t))
_Static_assert(sizeof(struct sigaction) % sizeof(uint64_t) == 0,
	       "struct sigaction is copied in 64-bit words");
static uint64_t prev_sa[2][SA_WORDS]; /* struct sigaction, as words */
static int prev_idx;                  /* accessed with __atomic builtins */
static unsigned long prev_gen;        /* likewise */

static void prev_load(struct sigaction *out)
{
	uint64_t w[SA_WORDS];
	unsigned long g1, g2;

	do {
		g1 = __atomic_load_n(&prev_gen, __ATOMIC_ACQUIRE);
		const uint64_t *src =
			prev_sa[__atomic_load_n(&prev_idx, __ATOMIC_ACQUIRE)];
		for (size_t i = 0; i < SA_WORDS; i++)
			w[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		g2 = __atomic_load_n(&prev_gen, __ATOMIC_RELAXED);
	} while (g1 != g2);
	memcpy(out, w, sizeof(w));
}

static void prev_store(const struct sigaction *sa)
{
	int idx = !__atomic_load_n(&prev_idx, __ATOMIC_RELAXED);
	uint64_t w[SA_WORDS];
	uint64_t *dst = prev_sa[idx];

	memcpy(w, sa, sizeof(w));
	/* Orders the previous install's prev_gen bump before these stores,
	 * for a handler that sees any of them (fence-to-fence). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (size_t i = 0; i < SA_WORDS; i++)
		__atomic_store_n(&dst[i], w[i], __ATOMIC_RELAXED);
	__atomic_store_n(&prev_idx, idx, __ATOMIC_RELEASE);
	__atomic_fetch_add(&prev_gen, 1, __ATOMIC_RELEASE);
}

/* Test hook (not API, see scall.h): called with the trapping address once
 * the handler is in flight (counter raised, table pointer loaded, nothing
 * looked up yet).  A test holds a handler there while patch cycles move on
 * (the late delivery paths, tests/run/runtime/late.c) or while a module is
 * unloaded (the table it holds must outlive it, inflight.c). */
SCALL_EXPORT void (*volatile __scall_test_trap_hook)(uintptr_t ip);

static void chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction prev;
	const struct sigaction *p = &prev;

	prev_load(&prev);

	if (p->sa_flags & SA_SIGINFO) {
		if (p->sa_sigaction)
			p->sa_sigaction(sig, si, uc);
		return;
	}
	if (p->sa_handler == SIG_IGN)
		return;
	if (p->sa_handler == SIG_DFL) {
		/* Die as the process would have without us. */
		struct sigaction dfl;
		sigset_t set;

		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigaction(sig, &dfl, NULL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		syscall(SYS_tgkill, getpid(), gettid(), sig);
		return;
	}
	p->sa_handler(sig);
}

SCALL_NO_SANITIZE static void handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t ip = (uintptr_t)g[REG_RIP] - 1;
	const struct rt_table *t = NULL;
	const struct rt_item *it;
	int saved_errno = errno;

	__atomic_fetch_add(&scall_in_flight, 1, __ATOMIC_SEQ_CST);
	/* INT3 reports SI_KERNEL; valgrind reports TRAP_BRKPT. */
	if (si->si_code == SI_KERNEL || si->si_code == TRAP_BRKPT)
		t = __atomic_load_n(&scall_table, __ATOMIC_SEQ_CST);
	if (__scall_test_trap_hook)
		__scall_test_trap_hook(ip);
	it = scall_index_lookup(t, ip);
	if (!it || it->refused) {
		__atomic_fetch_sub(&scall_in_flight, 1, __ATOMIC_SEQ_CST);
		errno = saved_errno;
		chain(sig, si, ucv);
		return;
	}
	if (*(volatile uint8_t *)ip != SCALL_OP_INT3) {
		/* Late delivery: the patch finished; re-execute the site. */
		g[REG_RIP] = (greg_t)ip;
	} else {
		void *f = scall_item_value(it);

		scall_emulate(it, scall_desired(it, f), f, g);
		__atomic_fetch_add(&scall_traps, 1, __ATOMIC_RELAXED);
	}
	__atomic_fetch_sub(&scall_in_flight, 1, __ATOMIC_SEQ_CST);
	errno = saved_errno;
}

void scall_trap_install(void)
{
	struct sigaction cur, sa;

	if (sigaction(SIGTRAP, NULL, &cur))
		return;
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == handler)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	prev_store(&cur);
	sigaction(SIGTRAP, &sa, NULL);
}

bool scall_trap_blocked(void)
{
	sigset_t set;

	return pthread_sigmask(SIG_BLOCK, NULL, &set) == 0 &&
	       sigismember(&set, SIGTRAP) == 1;
}
