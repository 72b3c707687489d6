# annotate.sed - turn nginx 1.22.1's hot function-pointer globals into scall
# keys by adding SCALL_KEY to their declarations (and nothing else).
# <scall.h> comes in through -include scall.h in the compiler flags.
#
# Rules are grouped.  nginx.sh keeps a group only when the GCC plugin can
# compile what it annotates (each group's line "# group: NAME needs: ...").
# Each rule matches one declaration shape at the start of a line, in headers
# (extern) and in the defining file.

# group: filters needs: convert-stores
# The output filter chain: every module's postconfiguration does
#   ngx_http_next_header_filter = ngx_http_top_header_filter;
#   ngx_http_top_header_filter = ngx_http_X_header_filter;
s/^\(\(extern \)\{0,1\}ngx_http_\(output_header\|output_body\|request_body\)_filter_pt  *ngx_http_top_[a-z_]*_filter\);/\1 SCALL_KEY;/
s/^\(static ngx_http_\(output_header\|output_body\|request_body\)_filter_pt  *ngx_http_next_[a-z_]*_filter\);/\1 SCALL_KEY;/
s/^\(\(extern \)\{0,1\}ngx_stream_filter_pt  *ngx_stream_top_filter\);/\1 SCALL_KEY;/

# group: structs needs: struct-keys convert-stores
# Structs of function pointers, zeroed at start, set by a struct copy in the
# event module's init:  ngx_io = ngx_os_io;  ngx_event_actions = ...actions;
s/^\(\(extern \)\{0,1\}ngx_event_actions_t  *ngx_event_actions\);/\1 SCALL_KEY;/
s/^\(\(extern \)\{0,1\}ngx_os_io_t  *ngx_io\);/\1 SCALL_KEY;/
