/* SPDX-License-Identifier: MIT */
/*
 * The code writer and the cross-core sync.
 *
 * proc-mem  pwrite() to /proc/self/mem: the kernel writes through its own
 *           mapping (FOLL_FORCE), the code pages stay r-x.  All writes of one
 *           protocol step that fall in one page are coalesced into a single
 *           pwrite of a buffer made of the current bytes plus the changes.
 * alias     when /proc/self/mem cannot be written (or SCALL_WRITER=alias):
 *           private copies of the pages swapped in with mremap (alias.c).
 *           No page is ever writable and executable.
 * mprotect  only with SCALL_WRITER=mprotect: the page is made RWX for the
 *           copy (violates W^X briefly).
 * none      nothing is ever written; sites stay on their trampolines, which
 *           read the key (always correct).  Chosen at init when no writer
 *           works, or when membarrier SYNC_CORE is unavailable.
 *
 * Every writer is probed before it is chosen, and the reason a better one
 * was passed over is kept for SCALL_DEBUG.  A sync that fails later (a
 * seccomp filter installed after start-up) is remembered: from then on the
 * patch cycle only parks sites on INT3 (poke.c), reported as "int3".
 */

#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#ifdef SCALL_HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#else
#define VALGRIND_DISCARD_TRANSLATIONS(a, l) ((void)(a), (void)(l))
#endif

enum writer_kind scall_writer = WRITER_NONE;
int scall_coalesce = 1;
uint64_t scall_syncs, scall_pwrites;
static int mem_fd = -1;
static int have_sync_core;
static int sync_lost;         /* errno of the first failed sync, or 0 */
static char reason[160];      /* why not proc-mem; "" when it is */
static bool asked_none;       /* SCALL_WRITER=none */

#define PAGE 4096ul

static int membarrier(int cmd)
{
	return (int)syscall(__NR_membarrier, cmd, 0, 0);
}

static int open_mem(void)
{
	return open("/proc/self/mem", O_RDWR | O_CLOEXEC);
}

/* 0, or -errno (-ENOSYS: the kernel does not offer the command). */
static int register_sync_core(void)
{
	int cmds = membarrier(MEMBARRIER_CMD_QUERY);

	if (cmds < 0)
		return -errno;
	if (!(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE))
		return -ENOSYS;
	if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE))
		return -errno;
	return 0;
}

static void passed_over(const char *what, int err)
{
	size_t n = strlen(reason);

	snprintf(reason + n, sizeof(reason) - n, "%s%s: %s", n ? "; " : "",
		 what, strerror(-err));
}

/* Probe: rewrite one byte of our own code with its own value. */
static int probe_procmem(int open_err)
{
	uint8_t b = *(volatile uint8_t *)(uintptr_t)scall_return0;
	ssize_t r;

	if (mem_fd < 0)
		return open_err;
	r = pwrite(mem_fd, &b, 1, (off_t)(uintptr_t)scall_return0);
	return r == 1 ? 0 : r < 0 ? -errno : -EIO;
}

static int write_mprotect(uintptr_t addr, const uint8_t *b, size_t len);

/* Probe on a scratch r-x page of our own. */
static int probe_mprotect(void)
{
	uint8_t *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static const uint8_t b = SCALL_OP_RET;
	int err;

	if (p == MAP_FAILED)
		return -errno;
	memset(p, SCALL_OP_INT3, PAGE);
	if (mprotect(p, PAGE, PROT_READ | PROT_EXEC))
		err = -errno;
	else if (!(err = write_mprotect((uintptr_t)p + 7, &b, 1)) &&
		 (p[7] != SCALL_OP_RET || p[6] != SCALL_OP_INT3))
		err = -EIO;
	munmap(p, PAGE);
	return err;
}

void scall_writer_init(void)
{
	const char *env = getenv("SCALL_WRITER");
	const char *co = getenv("SCALL_COALESCE");
	int err, open_err;

	if (co && !strcmp(co, "0"))
		scall_coalesce = 0;
	asked_none = env && !strcmp(env, "none");
	mem_fd = open_mem();
	open_err = mem_fd < 0 ? -errno : 0;
	scall_writer = WRITER_NONE;
	have_sync_core = 1;
	if ((err = register_sync_core())) {
		have_sync_core = 0;
		passed_over("membarrier SYNC_CORE", err);
	} else if (asked_none) {
		snprintf(reason, sizeof(reason), "SCALL_WRITER=none");
	} else if (env && !strcmp(env, "mprotect")) {
		snprintf(reason, sizeof(reason), "SCALL_WRITER=mprotect");
		if (!(err = probe_mprotect()))
			scall_writer = WRITER_MPROTECT;
		else
			passed_over("mprotect", err);
	} else if (env && !strcmp(env, "alias")) {
		snprintf(reason, sizeof(reason), "SCALL_WRITER=alias");
		if (!(err = scall_alias_probe()))
			scall_writer = WRITER_ALIAS;
		else
			passed_over("alias", err);
	} else if (!(err = probe_procmem(open_err))) {
		scall_writer = WRITER_PROCMEM;
	} else {
		passed_over("/proc/self/mem", err);
		if (!(err = scall_alias_probe()))
			scall_writer = WRITER_ALIAS;
		else
			passed_over("alias", err);
	}
	if (scall_writer != WRITER_PROCMEM && mem_fd >= 0) {
		close(mem_fd);
		mem_fd = -1;
	}
}

/* The child of fork: our fd names the parent's address space. */
void scall_writer_atfork_child(void)
{
	if (have_sync_core && !sync_lost)
		register_sync_core(); /* a failure shows at the first sync */
	if (scall_writer == WRITER_PROCMEM) {
		int fd = open_mem();

		if (fd >= 0) {
			dup2(fd, mem_fd);
			close(fd);
			return;
		}
		close(mem_fd); /* never write the parent */
		mem_fd = -1;
		scall_writer = scall_alias_probe() ? WRITER_NONE : WRITER_ALIAS;
		if (scall_writer == WRITER_NONE)
			fprintf(stderr, "scall: child of fork cannot write code: "
					"patched sites keep their targets\n");
	}
}

const char *scall_writer_name(void)
{
	if (sync_lost && scall_writer != WRITER_NONE)
		return "int3";
	switch (scall_writer) {
	case WRITER_PROCMEM:
		return "proc-mem";
	case WRITER_MPROTECT:
		return "mprotect";
	case WRITER_ALIAS:
		return "alias";
	default:
		return "none";
	}
}

const char *scall_writer_reason(bool *loud)
{
	*loud = scall_writer == WRITER_NONE && !asked_none;
	return reason;
}

bool scall_sync_lost(void)
{
	return sync_lost != 0;
}

int scall_sync(void)
{
	if (sync_lost)
		return -sync_lost;
	if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE) == 0) {
		scall_syncs++;
		return 0;
	}
	sync_lost = errno;
	fprintf(stderr, "scall: membarrier SYNC_CORE failed (%s): from now on "
			"a site whose target changes is parked on INT3 (each "
			"call traps) and no other byte is written\n",
		strerror(sync_lost));
	return -sync_lost;
}

static int pwrite_all(const void *buf, size_t len, uintptr_t addr)
{
	const uint8_t *p = buf;
	size_t done = 0;

	scall_pwrites++;
	/* A signal may interrupt the write (EINTR, or a short count). */
	while (done < len) {
		ssize_t r = pwrite(mem_fd, p + done, len - done,
				   (off_t)(addr + done));

		if (r > 0)
			done += (size_t)r;
		else if (r < 0 && errno == EINTR)
			continue;
		else {
			int err = r < 0 ? -errno : -EIO;

			VALGRIND_DISCARD_TRANSLATIONS(addr, len);
			return err;
		}
	}
	VALGRIND_DISCARD_TRANSLATIONS(addr, len);
	return 0;
}

static int write_mprotect(uintptr_t addr, const uint8_t *b, size_t len)
{
	uintptr_t p = addr & ~(PAGE - 1);
	size_t span = ((addr + len + PAGE - 1) & ~(PAGE - 1)) - p;

	if (mprotect((void *)p, span, PROT_READ | PROT_WRITE | PROT_EXEC))
		return -errno;
	memcpy((void *)addr, b, len);
	mprotect((void *)p, span, PROT_READ | PROT_EXEC);
	VALGRIND_DISCARD_TRANSLATIONS(addr, len);
	return 0;
}

/* Is there a barrier in [lo, hi)? */
static bool barrier_in(const uintptr_t *b, size_t nb, uintptr_t lo,
		       uintptr_t hi)
{
	size_t l = 0, h = nb;

	while (l < h) {
		size_t m = (l + h) / 2;

		if (b[m] < lo)
			l = m + 1;
		else
			h = m;
	}
	return l < nb && b[l] < hi;
}

static int write_procmem(const struct wr *w, size_t n,
			 const uintptr_t *barriers, size_t nb, size_t *done)
{
	uint8_t buf[PAGE + 16];
	size_t i = 0;
	int err;

	while (i < n) {
		uintptr_t start = w[i].addr, end = start + w[i].len;
		uintptr_t page = start & ~(PAGE - 1);
		size_t j = i + 1;

		/* Extend the group while the next write stays in the page
		 * and no refused window reaches the bytes between: one that
		 * starts up to ITEM_MAXLEN - 1 bytes before `end` (a record
		 * overlapping a live window) may end after it. */
		while (scall_coalesce && j < n &&
		       (w[j].addr & ~(PAGE - 1)) == page &&
		       w[j].addr + w[j].len <= page + PAGE &&
		       !barrier_in(barriers, nb, end - (ITEM_MAXLEN - 1),
				   w[j].addr)) {
			if (w[j].addr + w[j].len > end)
				end = w[j].addr + w[j].len;
			j++;
		}
		if (j == i + 1) {
			err = pwrite_all(w[i].bytes, w[i].len, w[i].addr);
		} else {
			/* Current bytes, then our changes on top. */
			memcpy(buf, (const void *)start, end - start);
			for (size_t k = i; k < j; k++)
				memcpy(buf + (w[k].addr - start), w[k].bytes,
				       w[k].len);
			err = pwrite_all(buf, end - start, start);
		}
		if (err) {
			*done = i;
			return err;
		}
		i = j;
	}
	return 0;
}

int scall_write(const struct wr *w, size_t n, const uintptr_t *barriers,
		size_t nb)
{
	size_t done = 0, i;
	int err;

	switch (scall_writer) {
	case WRITER_MPROTECT:
		for (i = 0; i < n; i++)
			if ((err = write_mprotect(w[i].addr, w[i].bytes,
						  w[i].len)))
				return err;
		return 0;
	case WRITER_ALIAS:
		return scall_alias_write(w, n);
	case WRITER_PROCMEM:
		err = write_procmem(w, n, barriers, nb, &done);
		if (!err)
			return 0;
		/* Should not happen after the probe; finish this step (and
		 * every later one) with the alias writer if it works. */
		if (scall_alias_probe())
			return err;
		fprintf(stderr, "scall: /proc/self/mem write failed (%s): "
				"switching to the alias writer\n",
			strerror(-err));
		scall_writer = WRITER_ALIAS;
		return scall_alias_write(w + done, n - done);
	default:
		return -ENOSYS;
	}
}
