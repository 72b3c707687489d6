/* SPDX-License-Identifier: MIT */
/*
 * fork() while another thread updates in a loop: the child never inherits a
 * half-patched site, can update on its own (its writer is its own address
 * space), and its updates never reach the parent.
 */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common_keys.h"

static int fa(int x) { return x + 1; }
static int fb(int x) { return x + 2; }
static int fc(int x) { return x + 3; }
int (*key_a)(int) SCALL_KEY = fa;
DEFINE_OTHER_KEYS;

static volatile int stop;
static void *updater(void *p)
{
	(void)p;
	for (int i = 0; !stop; i++)
		CHECK(scall_update(key_a, i & 1 ? fa : fb) == 0);
	return NULL;
}

static int child(void)
{
	int (*k)(int) = scall_query(key_a);
	uint8_t b[5];

	/* No INT3 left behind, and the site agrees with the key. */
	if (site_call_a[0] == 0xcc || site_jmp_a[0] == 0xcc)
		return 2;
	if (call_a(1) != k(1) || jmp_a(1) != k(1))
		return 3;
	if (scall_update(key_a, fc) != 0)
		return 4;
	rt_branch(b, site_call_a, 0xe8, 0, (void *)fc);
	if (memcmp(site_call_a, b, 5) || call_a(1) != 4)
		return 5;
	return 0;
}

int main(void)
{
	pthread_t th;
	int n = 100;

	CHECK(pthread_create(&th, NULL, updater, NULL) == 0);
	for (int i = 0; i < n; i++) {
		int st;
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0)
			_exit(child());
		CHECK(waitpid(pid, &st, 0) == pid);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "child %d: status %#x\n", i, st);
			abort();
		}
		/* The child's update to fc never reached us. */
		int r = call_a(1);
		CHECK(r == 2 || r == 3);
	}
	stop = 1;
	pthread_join(th, NULL);
	printf("%d forks ok, %llu updates\n", n,
	       (unsigned long long)rt_stats().updates);
	puts("ok");
	return 0;
}
