/* SPDX-License-Identifier: MIT */
/*
 * The code writer and the cross-core sync.
 *
 * proc-mem  pwrite() to /proc/self/mem: the kernel writes through its own
 *           mapping (FOLL_FORCE), the code pages stay r-x.  All writes of one
 *           protocol step that fall in one page are coalesced into a single
 *           pwrite of a buffer made of the current bytes plus the changes.
 * alias     when /proc/self/mem cannot be written (or SCALL_WRITER=alias):
 *           per page, a private RW copy is made elsewhere, modified, made
 *           r-x, and swapped in over the original with mremap(MREMAP_FIXED).
 *           No page is ever writable and executable.
 * mprotect  only with SCALL_WRITER=mprotect: the page is made RWX for the
 *           copy (violates W^X briefly).
 * none      nothing is ever written; sites stay on their trampolines, which
 *           read the key (always correct).  Chosen at init when neither
 *           works, or when membarrier SYNC_CORE is unavailable.
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

#define PAGE 4096ul

static int membarrier(int cmd)
{
	return (int)syscall(__NR_membarrier, cmd, 0, 0);
}

static int open_mem(void)
{
	return open("/proc/self/mem", O_RDWR | O_CLOEXEC);
}

static int register_sync_core(void)
{
	int cmds = membarrier(MEMBARRIER_CMD_QUERY);

	if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE))
		return 0;
	return membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE) == 0;
}

/* Probe: rewrite one byte of our own code with its own value. */
static int probe_procmem(void)
{
	uint8_t b = *(volatile uint8_t *)(uintptr_t)scall_return0;

	if (mem_fd < 0)
		return 0;
	return pwrite(mem_fd, &b, 1, (off_t)(uintptr_t)scall_return0) == 1;
}

void scall_writer_init(void)
{
	const char *env = getenv("SCALL_WRITER");
	const char *co = getenv("SCALL_COALESCE");

	if (co && !strcmp(co, "0"))
		scall_coalesce = 0;
	have_sync_core = register_sync_core();
	mem_fd = open_mem();
	if (!have_sync_core) {
		scall_writer = WRITER_NONE;
		if (env && strcmp(env, "none"))
			fprintf(stderr, "scall: no membarrier SYNC_CORE: "
					"sites stay on their trampolines\n");
	} else if (env && !strcmp(env, "none")) {
		scall_writer = WRITER_NONE;
	} else if (env && !strcmp(env, "mprotect")) {
		scall_writer = WRITER_MPROTECT;
	} else if (env && !strcmp(env, "alias")) {
		scall_writer = scall_alias_probe() ? WRITER_ALIAS : WRITER_NONE;
	} else if (probe_procmem()) {
		scall_writer = WRITER_PROCMEM;
	} else if (scall_alias_probe()) {
		scall_writer = WRITER_ALIAS;
	} else {
		scall_writer = WRITER_NONE;
	}
	if (scall_writer != WRITER_PROCMEM && mem_fd >= 0) {
		close(mem_fd);
		mem_fd = -1;
	}
}

/* The child of fork: our fd names the parent's address space. */
void scall_writer_atfork_child(void)
{
	if (have_sync_core)
		register_sync_core();
	if (scall_writer == WRITER_PROCMEM) {
		int fd = open_mem();

		if (fd >= 0) {
			dup2(fd, mem_fd);
			close(fd);
			return;
		}
		close(mem_fd); /* never write the parent */
		mem_fd = -1;
		scall_writer = scall_alias_probe() ? WRITER_ALIAS : WRITER_NONE;
		if (scall_writer == WRITER_NONE)
			fprintf(stderr, "scall: child of fork cannot write code: "
					"patched sites keep their targets\n");
	}
}

const char *scall_writer_name(void)
{
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

void scall_sync(void)
{
	scall_syncs++;
	membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE);
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
		if (!scall_alias_probe())
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
