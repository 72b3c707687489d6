/* SPDX-License-Identifier: MIT */
/*
 * The alias writer: code is never writable where it runs.  The pages a
 * protocol step touches are copied into one private scratch mapping,
 * modified there, made r-x with one mprotect, and moved over the originals
 * with one mremap(MREMAP_FIXED) per run of adjacent pages.  The move is
 * atomic for other threads: it happens under the mmap lock, and a thread
 * that faults on a page meanwhile waits and then runs the new copy.
 *
 * Its cost is in the kernel's TLB shootdowns (an IPI to every core running
 * a thread of the process): one for the mprotect, two per mremap.  A step
 * therefore handles all its pages at once, not page by page (which cost
 * three shootdowns per page, 3-13x the proc-mem writer).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#ifdef SCALL_HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#else
#define VALGRIND_DISCARD_TRANSLATIONS(a, l) ((void)(a), (void)(l))
#endif

#define PAGE 4096ul
/* Pages swapped by one scratch mapping (a larger step takes several). */
#define BATCH 64

static uintptr_t page_of(uintptr_t a) { return a & ~(PAGE - 1); }

/* Swap in pg[0..np) (sorted, distinct), with the bytes of w[0..n) that
 * fall in them applied. */
static int swap_pages(const uintptr_t *pg, size_t np, const struct wr *w,
		      size_t n)
{
	size_t len = np * PAGE, i, k, r;
	uint8_t *q = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	int err;

	if (q == MAP_FAILED)
		return -errno;
	for (i = 0; i < np; i++)
		memcpy(q + i * PAGE, (const void *)pg[i], PAGE);
	/* Both lists are sorted: walk them together. */
	for (k = i = 0; k < n; k++)
		for (size_t b = 0; b < w[k].len; b++) {
			uintptr_t a = w[k].addr + b;

			while (i < np && pg[i] + PAGE <= a)
				i++;
			if (i < np && a >= pg[i])
				q[i * PAGE + (a - pg[i])] = w[k].bytes[b];
		}
	if (mprotect(q, len, PROT_READ | PROT_EXEC)) {
		err = -errno;
		munmap(q, len);
		return err;
	}
	for (i = 0; i < np; i = r) {
		for (r = i + 1; r < np && pg[r] == pg[r - 1] + PAGE; r++)
			;
		if (mremap(q + i * PAGE, (r - i) * PAGE, (r - i) * PAGE,
			   MREMAP_MAYMOVE | MREMAP_FIXED,
			   (void *)pg[i]) == MAP_FAILED) {
			err = -errno;
			munmap(q + i * PAGE, len - i * PAGE);
			return err;
		}
		VALGRIND_DISCARD_TRANSLATIONS(pg[i], (r - i) * PAGE);
		scall_pwrites++;
	}
	return 0;
}

int scall_alias_write(const struct wr *w, size_t n)
{
	uintptr_t pg[BATCH];
	size_t np = 0, first = 0; /* w[first..) not yet written */
	int err;

	for (size_t k = 0; k < n; k++) {
		uintptr_t lo = page_of(w[k].addr),
			  hi = page_of(w[k].addr + w[k].len - 1);

		/* A window may straddle two pages: both are swapped. */
		for (uintptr_t p = lo; p <= hi; p += PAGE) {
			if (np && pg[np - 1] == p)
				continue;
			if (np == BATCH) {
				/* w[first..k] reach into the batch (k
				 * possibly beyond it: bytes outside the
				 * batch's pages are skipped). */
				if ((err = swap_pages(pg, np, w + first,
						      k + 1 - first)))
					return err;
				first = k;
				np = 0;
			}
			pg[np++] = p;
		}
	}
	return np ? swap_pages(pg, np, w + first, n - first) : 0;
}

int scall_alias_probe(void)
{
	uint8_t *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static const uint8_t b[2] = { SCALL_OP_RET, SCALL_OP_RET };
	struct wr w;
	int err;

	if (p == MAP_FAILED)
		return -errno;
	memset(p, SCALL_OP_INT3, 2 * PAGE);
	if (mprotect(p, 2 * PAGE, PROT_READ | PROT_EXEC)) {
		err = -errno;
		munmap(p, 2 * PAGE);
		return err;
	}
	/* Two bytes across the page boundary. */
	w = (struct wr){ (uintptr_t)p + PAGE - 1, b, 2 };
	if (!(err = scall_alias_write(&w, 1)) &&
	    (p[PAGE - 1] != SCALL_OP_RET || p[PAGE] != SCALL_OP_RET ||
	     p[PAGE - 2] != SCALL_OP_INT3 || p[PAGE + 1] != SCALL_OP_INT3))
		err = -EIO;
	munmap(p, 2 * PAGE);
	return err;
}
