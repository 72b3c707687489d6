/* SPDX-License-Identifier: MIT */
/*
 * Real syscall failures and a record of the writes, for the writer tests,
 * with seccomp filters the tests install themselves (prctl + BPF).
 *
 * Rules per call: sw_start() starts a supervisor thread, then filters the
 * calling thread (user notification): each of its pwrite64, mprotect,
 * mremap and membarrier calls waits for the supervisor, which answers as
 * the test's rule says: run it, fail it with an errno, or (pwrite64)
 * perform only its first byte itself and report that short count.  The
 * supervisor logs the range of every pwrite64.
 *
 * Hardened systems: sw_harden() installs a plain filter that fails, for
 * every thread created after it and across execve, the calls a hardened
 * kernel or a container profile refuses (SW_F_* below).
 *
 * Nothing in the runtime is replaced: it makes its real syscalls and sees
 * what the kernel returns.  A filter cannot be removed: run a scenario
 * that breaks a writer in a child (sw_child).
 */
#ifndef SYSWATCH_H
#define SYSWATCH_H
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "rt_test.h"

enum sw_sys { SW_PWRITE, SW_MPROTECT, SW_MREMAP, SW_MEMBARRIER, SW_NSYS };

/* For one syscall: let `pass` calls through, then fail `fail` of them (-1:
 * every later one) with errno `err`, then let the rest through.
 * short_once (pwrite64): the next write of more than one byte writes its
 * first byte only and returns 1. */
struct sw_rule {
	int pass, fail, err, short_once;
};

struct sw_write {
	uint64_t addr, len; /* the range the call asked to write */
	int64_t ret;        /* what it returned: bytes, or -errno */
};

#define SW_LOG 8192
static struct {
	pthread_mutex_t mu;
	int fd;    /* the seccomp listener; -1 until the filter is on */
	int memfd; /* the supervisor's own /proc/self/mem (short writes) */
	struct sw_rule rule[SW_NSYS];
	unsigned seen[SW_NSYS];  /* calls since the rule was set */
	unsigned calls[SW_NSYS]; /* all calls */
	struct sw_write log[SW_LOG];
	size_t nlog;
} sw = { .mu = PTHREAD_MUTEX_INITIALIZER, .fd = -1, .memfd = -1 };

static inline void sw_set(enum sw_sys s, struct sw_rule r)
{
	pthread_mutex_lock(&sw.mu);
	sw.rule[s] = r;
	sw.seen[s] = 0;
	pthread_mutex_unlock(&sw.mu);
}

static inline unsigned sw_calls(enum sw_sys s)
{
	unsigned n;

	pthread_mutex_lock(&sw.mu);
	n = sw.calls[s];
	pthread_mutex_unlock(&sw.mu);
	return n;
}

/* The pwrite64 log from entry `from` on; returns the number of entries. */
static inline size_t sw_writes(size_t from, const struct sw_write **out)
{
	size_t n;

	pthread_mutex_lock(&sw.mu);
	n = sw.nlog - from;
	*out = sw.log + from;
	pthread_mutex_unlock(&sw.mu);
	return n;
}

static inline size_t sw_mark(void)
{
	size_t n;

	pthread_mutex_lock(&sw.mu);
	n = sw.nlog;
	pthread_mutex_unlock(&sw.mu);
	return n;
}

static inline void sw_answer(const struct seccomp_notif *q,
			     struct seccomp_notif_resp *a)
{
	enum sw_sys s = q->data.nr == __NR_pwrite64    ? SW_PWRITE
			: q->data.nr == __NR_mprotect ? SW_MPROTECT
			: q->data.nr == __NR_mremap   ? SW_MREMAP
						      : SW_MEMBARRIER;
	struct sw_rule *r = &sw.rule[s];
	unsigned n;

	pthread_mutex_lock(&sw.mu);
	n = sw.seen[s]++;
	sw.calls[s]++;
	a->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	if (s == SW_PWRITE && r->short_once && q->data.args[2] > 1) {
		/* Same address space: the buffer is ours to read. */
		r->short_once = 0;
		a->flags = 0;
		a->val = pwrite(sw.memfd, (const void *)(uintptr_t)q->data.args[1],
				1, (off_t)q->data.args[3]);
		if (a->val != 1)
			abort();
	} else if (n >= (unsigned)r->pass &&
		   (r->fail < 0 || n < (unsigned)(r->pass + r->fail))) {
		a->flags = 0;
		a->error = -r->err;
	}
	if (s == SW_PWRITE && sw.nlog < SW_LOG)
		sw.log[sw.nlog++] = (struct sw_write){
			q->data.args[3], q->data.args[2],
			a->flags ? (int64_t)q->data.args[2] /* runs in full */
				 : a->error ? a->error : a->val };
	pthread_mutex_unlock(&sw.mu);
}

static inline void *sw_supervise(void *arg)
{
	int fd;

	(void)arg;
	while ((fd = __atomic_load_n(&sw.fd, __ATOMIC_ACQUIRE)) < 0)
		;
	for (;;) {
		struct seccomp_notif q;
		struct seccomp_notif_resp a;

		memset(&q, 0, sizeof(q));
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &q)) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		memset(&a, 0, sizeof(a));
		a.id = q.id;
		sw_answer(&q, &a);
		ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &a); /* ENOENT: caller died */
	}
}

/* Returns 0, or -errno when the kernel does not offer what is needed
 * (the caller then skips). */
static inline int sw_start(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_pwrite64, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mprotect, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mremap, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_membarrier, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	pthread_t th;
	int fd;

	sw.memfd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (sw.memfd < 0)
		return -errno;
	/* Started first: the filter applies to this thread only. */
	CHECK(pthread_create(&th, NULL, sw_supervise, NULL) == 0);
	pthread_detach(th);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			  SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (fd < 0)
		return -errno;
	__atomic_store_n(&sw.fd, fd, __ATOMIC_RELEASE);
	return 0;
}

/* What hardened systems refuse, as sw_harden() fails it:
 *   SW_F_PROCMEM     pwrite64, pwritev -> EPERM: writes to /proc/self/mem
 *                    fail (Linux 6.12+ proc_mem.force_override=never);
 *   SW_F_EXECMEM     mprotect with PROT_EXEC, and mmap of anonymous memory
 *                    with PROT_EXEC -> EACCES (SELinux deny_execmem);
 *   SW_F_MEMBARRIER  membarrier -> ENOSYS (container profiles, old kernels);
 *   SW_F_MREMAP      mremap -> EPERM (container profiles). */
enum {
	SW_F_PROCMEM = 1,
	SW_F_EXECMEM = 2,
	SW_F_MEMBARRIER = 4,
	SW_F_MREMAP = 8,
};

#define SW_ARG_LO(n) (offsetof(struct seccomp_data, args) + 8 * (n))
#define SW_ERRNO(e) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (e))

/* Install the filter for `faults` (SW_F_*); flags for seccomp(2), e.g.
 * SECCOMP_FILTER_FLAG_TSYNC for every thread of a running process.
 * Returns 0 or -errno. */
static inline int sw_harden(unsigned faults, unsigned flags)
{
	struct sock_filter f[64];
	struct sock_fprog prog;
	unsigned n = 0;

#define SW_PUT(...) (f[n++] = (struct sock_filter)__VA_ARGS__)
#define SW_NR(sysno, skip)                                                     \
	(SW_PUT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS,                             \
			 offsetof(struct seccomp_data, nr))),                  \
	 SW_PUT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (sysno), 0, (skip))))
	SW_PUT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			offsetof(struct seccomp_data, arch)));
	SW_PUT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
	SW_PUT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	if (faults & SW_F_PROCMEM) {
		SW_NR(__NR_pwrite64, 1);
		SW_PUT(SW_ERRNO(EPERM));
		SW_NR(__NR_pwritev, 1);
		SW_PUT(SW_ERRNO(EPERM));
	}
	if (faults & SW_F_MEMBARRIER) {
		SW_NR(__NR_membarrier, 1);
		SW_PUT(SW_ERRNO(ENOSYS));
	}
	if (faults & SW_F_MREMAP) {
		SW_NR(__NR_mremap, 1);
		SW_PUT(SW_ERRNO(EPERM));
	}
	if (faults & SW_F_EXECMEM) {
		/* The low 32 bits of prot and flags hold every bit tested. */
		SW_NR(__NR_mprotect, 3);
		SW_PUT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SW_ARG_LO(2)));
		SW_PUT(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1));
		SW_PUT(SW_ERRNO(EACCES));
		SW_NR(__NR_mmap, 5);
		SW_PUT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SW_ARG_LO(2)));
		SW_PUT(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 3));
		SW_PUT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SW_ARG_LO(3)));
		SW_PUT(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, MAP_ANONYMOUS, 0, 1));
		SW_PUT(SW_ERRNO(EACCES));
	}
	SW_PUT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
#undef SW_NR
#undef SW_PUT
	prog = (struct sock_fprog){ (unsigned short)n, f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog))
		return -errno;
	return 0;
}

/* Run fn(arg) in a child, bounded to 20 s; returns its exit status (a
 * child killed by a signal fails the test). */
static inline int sw_child(const char *what, void (*fn)(int), int arg)
{
	pid_t pid = fork();
	int st;

	CHECK(pid >= 0);
	if (pid == 0) {
		alarm(20);
		fn(arg);
		fflush(stdout);
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	if (!WIFEXITED(st)) {
		fprintf(stderr, "%s (%d): child killed by signal %d\n", what,
			arg, WTERMSIG(st));
		abort();
	}
	return WEXITSTATUS(st);
}
#endif
