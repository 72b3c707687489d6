/* SPDX-License-Identifier: MIT */
/* End to end, nginx's patterns with declarations annotated only and
 * -fplugin-arg-scall-convert-stores: a filter chain through a global top
 * key and a file-static `next` key of the same name in two units, an
 * event-actions struct key that starts zeroed and is set by a struct copy,
 * io = os_io, the configuration run again (a reload), and a forked worker
 * that inherits the patched code.  Built with the toolchain
 * (E2E_EXPECT_PATCHED), every site must hold the state its key requires, in
 * the parent and in the worker. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "e2e_chain.h"

#include "../../common/site_check.h"

event_actions_t event_actions;
header_filter_pt top_header_filter;
static long sys_recv(int c) { return c * 2L; }
static long sys_send(int c) { return c * 5L; }
os_io_t os_io = { sys_recv, sys_send, 7 };
os_io_t io;

static int last_header_filter(int r) { return r * 100; }

static void init_cycle(void)
{
	top_header_filter = last_header_filter;
	filter_a_init();
	filter_b_init();
	epoll_init();
}

__attribute__((noinline)) static int send_header(int r) { return top_header_filter(r); }
__attribute__((noinline)) static int events(int t)
{
	if (event_actions.notify)
		scall_cond(event_actions.notify)(t);
	return event_actions.process_events(t) + event_actions.add(t) + event_actions.del(t);
}
__attribute__((noinline)) static long do_io(int c) { return io.recv(c) + io.send(c) + (long)io.flags; }

static void show(const char *what)
{
	printf("%-8s header=%d events=%d io=%ld\n", what, send_header(1), events(2), do_io(3));
	fflush(stdout);
}

int main(void)
{
	init_cycle();
	show("start");
	init_cycle(); /* SIGHUP: the configuration runs the stores again */
	show("reload");
	pid_t pid = fork();
	if (pid == 0) {
		show("worker");
#ifdef E2E_EXPECT_PATCHED
		struct site_count c = site_check();
		site_check_print("worker", &c);
		_exit(c.wrong || c.sites + c.unresolved < 9);
#else
		_exit(0);
#endif
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return 1;
	struct scall_stats s;
	if (scall_stats(&s))
		return 1;
	fprintf(stderr, "sites %zu direct %zu refused %zu tramps %zu\n", s.sites,
		s.sites_direct, s.sites_refused, s.trampolines);
#ifdef E2E_EXPECT_PATCHED
	/* 9 sites at least; the runtime registered every record memory holds. */
	struct site_count c = site_check();
	site_check_print("final", &c);
	if (c.wrong || c.modules != 1 || s.modules != 1 || s.sites != c.sites ||
	    s.sites_unresolved != c.unresolved || s.sites_refused ||
#ifdef E2E_EXPECT_UNRESOLVED
	    c.sites || c.unresolved < 9
#else
	    c.unresolved || c.sites < 9 || c.direct < 8
#endif
	) {
		fprintf(stderr, "FAIL: the runtime did not patch the chain's sites\n");
		return 1;
	}
#else
	if (!site_check_none("fallback"))
		return 1;
#endif
	return 0;
}
