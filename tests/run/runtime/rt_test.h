/* SPDX-License-Identifier: MIT */
/* Helpers for the runtime tests. */
#ifndef RT_TEST_H
#define RT_TEST_H
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "scall.h"

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #c);                                 \
			fflush(stdout);                                        \
			abort();                                               \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long _a = (long long)(a), _b = (long long)(b);            \
		if (_a != _b) {                                                \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
				__FILE__, __LINE__, #a, _a, #b, _b);           \
			fflush(stdout);                                        \
			abort();                                               \
		}                                                              \
	} while (0)

/* The runtime's test hooks (runtime/poke.c, trap.c, alloc.c; not API). */
extern void (*volatile __scall_test_hook)(int step);
extern void (*volatile __scall_test_trap_hook)(uintptr_t ip);

/* Wait until *flag == want (a handshake between threads); a missed
 * handshake fails the test after 5 s instead of hanging it. */
static inline void rt_wait_for(int *flag, int want, const char *what)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) != want) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 5) {
			fprintf(stderr, "timed out waiting for %s\n", what);
			abort();
		}
	}
}

static inline int rt_in_range(const void *site, int len, const void *to)
{
	int64_t d = (int64_t)((uintptr_t)to - ((uintptr_t)site + len));
	return d >= INT32_MIN && d <= INT32_MAX;
}

/* Expected bytes of a branch at `site` (opcode op, or 0x0f 0x8x for Jcc). */
static inline void rt_branch(uint8_t *b, const void *site, int op, int cc,
			     const void *to)
{
	int n = op == 0x0f ? 2 : 1;
	int32_t r = (int32_t)((uintptr_t)to - ((uintptr_t)site + n + 4));
	b[0] = (uint8_t)op;
	if (n == 2)
		b[1] = (uint8_t)(0x80 | cc);
	memcpy(b + n, &r, 4);
}

static inline void rt_expect(const char *what, const void *site,
			     const uint8_t *want, int len, int line)
{
	if (memcmp(site, want, len)) {
		const uint8_t *p = site;
		fprintf(stderr, "line %d: %s at %p:", line, what, site);
		for (int i = 0; i < len; i++)
			fprintf(stderr, " %02x", p[i]);
		fprintf(stderr, ", expected");
		for (int i = 0; i < len; i++)
			fprintf(stderr, " %02x", want[i]);
		fprintf(stderr, "\n");
		abort();
	}
}
#define EXPECT_BYTES(site, want, len) rt_expect(#site, site, want, len, __LINE__)

/* What the runtime writes to stderr (fd 2) between rt_capture_begin() and
 * rt_capture_end(): its diagnostics are observables a test checks.  The
 * text is echoed to the real stderr, for the log. */
struct rt_capture {
	int fd, saved;
};

static inline struct rt_capture rt_capture_begin(void)
{
	struct rt_capture c = { memfd_create("stderr", MFD_CLOEXEC), dup(2) };

	CHECK(c.fd >= 0 && c.saved >= 0);
	fflush(stderr);
	CHECK(dup2(c.fd, 2) == 2);
	return c;
}

static inline char *rt_capture_end(struct rt_capture c)
{
	off_t n;
	char *b;

	fflush(stderr);
	CHECK(dup2(c.saved, 2) == 2);
	close(c.saved);
	n = lseek(c.fd, 0, SEEK_END);
	CHECK(n >= 0 && (b = malloc((size_t)n + 1)));
	CHECK(pread(c.fd, b, (size_t)n, 0) == n);
	b[n] = 0;
	close(c.fd);
	fputs(b, stderr);
	return b;
}

/* The number of lines of text that contain a and b (b may be ""). */
static inline int rt_count_lines(const char *text, const char *a,
				 const char *b)
{
	int k = 0;

	for (const char *l = text; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);

		if (memmem(l, n, a, strlen(a)) && memmem(l, n, b, strlen(b)))
			k++;
		l += e ? n + 1 : n;
	}
	return k;
}

static inline struct scall_stats rt_stats(void)
{
	struct scall_stats s;
	CHECK(scall_stats(&s) == 0);
	return s;
}
#endif
