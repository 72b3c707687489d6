/* SPDX-License-Identifier: MIT */
#include "e2e_chain.h"

static header_filter_pt next_header_filter SCALL_KEY;

static int a_header_filter(int r) { return next_header_filter(r * 2) + 1; }

int filter_a_init(void)
{
	next_header_filter = top_header_filter;
	top_header_filter = a_header_filter;
	return 0;
}

static int ep_add(int ev) { return ev + 1000; }
static int ep_del(int ev) { return ev - 1000; }
static int ep_process(int timer) { return timer * 3; }
static struct {
	const char *name;
	event_actions_t actions;
} epoll_module_ctx = { "epoll", { ep_add, ep_del, 0, ep_process } };

int epoll_init(void)
{
	event_actions = epoll_module_ctx.actions; /* struct copy */
	io = os_io;
	return 0;
}
