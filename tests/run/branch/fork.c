/* SPDX-License-Identifier: MIT */
/*
 * fork() while another thread flips keys 0-2 in a loop: the child never
 * inherits a branch parked on INT3 or a site that disagrees with its key's
 * count, its own flips (of every key, every operation) reach its code and
 * only its code: key 3, which only the children flip, stays enabled in
 * the parent, in its count and in its bytes.
 */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "br_test.h"

static const struct scall_branch_rec *rb, *re;
static volatile int stop;

static void *flipper(void *p)
{
	(void)p;
	for (int i = 0; !stop; i++) {
		struct scall_branch_key *k = br_key(i % 3);

		CHECK_EQ(__scall_branch_op(k, k->count ? SCALL_BRANCH_OP_DISABLE
						      : SCALL_BRANCH_OP_ENABLE),
			 0);
	}
	return NULL;
}

/* Key k in its count, its bytes and what its sites do. */
static int agrees(int k)
{
	int on = __atomic_load_n(&br_key(k)->count, __ATOMIC_RELAXED) > 0;

	return !br_parked(rb, re, br_key(k)) &&
	       br_check_records(rb, re, br_key(k), on, __LINE__) == 2 &&
	       lib_take(k, 0) == on && lib_take(k, 1) == on;
}

static int child(int i)
{
	struct scall_branch_update b[2] = { SCALL_BRANCH_INC(bk0),
					    SCALL_BRANCH_DISABLE(bk3) };

	for (int k = 0; k < BR_NKEYS; k++)
		if (!agrees(k))
			return 10 + k;
	/* The child's flips, by each operation. */
	if ((i & 1 ? scall_branch_disable(bk3) : scall_branch_dec(bk3)) ||
	    scall_branch_enabled(bk3) || !agrees(3))
		return 20;
	if (scall_branch_enable(bk3) || !agrees(3) || lib_take(3, 0) != 1)
		return 21;
	for (int k = 0; k < 3; k++)
		if (__scall_branch_op(br_key(k), SCALL_BRANCH_OP_DISABLE) ||
		    !agrees(k) || lib_take(k, 0) != 0)
			return 22;
	if (scall_update_batch_branches(NULL, 0, b, 2) || !agrees(0) ||
	    !agrees(3) || lib_take(0, 0) != 1 || lib_take(3, 1) != 0)
		return 23;
	return 0;
}

int main(void)
{
	pthread_t th;
	int n = 100;

	setvbuf(stdout, NULL, _IONBF, 0);
	rb = lib_records(&re);
	CHECK_EQ(rt_stats().branches, 8);
	CHECK(pthread_create(&th, NULL, flipper, NULL) == 0);
	for (int i = 0; i < n; i++) {
		int st;
		pid_t pid = fork();

		CHECK(pid >= 0);
		if (pid == 0)
			_exit(child(i));
		CHECK(waitpid(pid, &st, 0) == pid);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "child %d: status %#x\n", i, st);
			abort();
		}
		/* The children's flips of key 3 never reached us. */
		CHECK_EQ(bk3.key.count, 1);
		CHECK(agrees(3));
	}
	stop = 1;
	pthread_join(th, NULL);
	for (int k = 0; k < BR_NKEYS; k++)
		CHECK(agrees(k));
	printf("%d forks ok, %llu updates\n", n,
	       (unsigned long long)rt_stats().updates);
	puts("ok");
	return 0;
}
