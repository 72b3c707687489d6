/* SPDX-License-Identifier: MIT */
/* nginx's patterns, annotated on declarations only (e2e_chain*.c). */
#include <scall.h>

typedef int (*header_filter_pt)(int r);

/* ngx_event_actions: starts zeroed, set by a struct copy. */
typedef struct {
	int (*add)(int ev);
	int (*del)(int ev);
	void (*notify)(int ev);
	int (*process_events)(int timer);
} event_actions_t;
extern event_actions_t event_actions SCALL_KEY;

/* ngx_io = ngx_os_io: a struct key with a data member. */
typedef struct {
	long (*recv)(int c);
	long (*send)(int c);
	unsigned long flags;
} os_io_t;
extern os_io_t io SCALL_KEY;
extern os_io_t os_io; /* not a key */

/* ngx_http_top_header_filter and the file-static next_header_filter. */
extern header_filter_pt top_header_filter SCALL_KEY;

int filter_a_init(void);
int filter_b_init(void);
int epoll_init(void);
