#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/realworld/nginx.sh BUILDDIR - nginx 1.22.1 (Debian 12's) converted to
# scall with annotations only (annotate.sed), built with and without the GCC
# plugin, load-tested on 127.0.0.1 with wrk, measured with callgrind.
#
# BUILDDIR is a meson build dir of this project (gcc) with the GCC plugin,
# libscall and scall-ld built (scall-scan too, if it is to be compared);
# nginx is built with that build's C compiler.
# Work files go to BUILDDIR/realworld/; the tarball is cached there.
#
# Needs (Debian): build-essential zlib1g-dev wrk curl valgrind python3, and
# apt-get (to fetch the source); bear and scall-scan for the candidate list.
# No root needed.  If the source cannot be fetched: one "SKIP:" line and exit
# status 77 (meson's "skipped"; scripts/test.sh counts it against the run).
#
# Environment knobs:
#   RW_GROUPS    annotate.sed groups to apply: auto (those the plugin can
#                compile, probed), all, none, or a list ("filters structs")
#   RW_SECONDS   seconds per wrk run (1)
#   RW_BLOCKS    fresh server pairs for throughput (6)
#   RW_ROUNDS    plain/scall alternations per block and path (3)
#   RW_AA        1: the "scall" server of the throughput runs is the plain
#                binary too (an A/A run: the noise floor of the ratio)
#   RW_CALLGRIND requests per callgrind measure (500)
#   RW_RETPOLINE 1: also the -mindirect-branch=thunk -mfunction-return=thunk
#                pair of builds (1)
#   RW_JOBS      make -j (nproc)
#   RW_REUSE     1: keep an nginx build made with the same flags (development)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
B=$(cd "${1:?usage: nginx.sh BUILDDIR}" && pwd)
W=$B/realworld
NGX_VER=1.22.1
PLUGIN=$B/gcc-plugin/scall.so
LIBDIR=$B/runtime
SCALL_LD=$B/scall-ld/scall-ld
SCAN=${SCALL_SCAN:-$B/scall-scan/scall-scan}
RW_GROUPS=${RW_GROUPS:-auto}
RW_SECONDS=${RW_SECONDS:-1}
RW_ROUNDS=${RW_ROUNDS:-3}
RW_BLOCKS=${RW_BLOCKS:-6}
RW_AA=${RW_AA:-0}
RW_CALLGRIND=${RW_CALLGRIND:-500}
RW_RETPOLINE=${RW_RETPOLINE:-1}
RW_JOBS=${RW_JOBS:-$(nproc)}
# meson test sets MALLOC_PERTURB_, which makes glibc fill every malloc/free:
# instructions per request would then measure that, not nginx (x2.5 here)
unset MALLOC_PERTURB_

rw_name=nginx.sh
. "$here/lib.sh"

for f in "$PLUGIN" "$LIBDIR/libscall.so" "$SCALL_LD"; do
	[ -e "$f" ] || die "$f not built (GCC plugin, libscall, scall-ld needed)"
done
build_cc "$B"
missing=
for t in "${cc_cmd[0]}" make curl wrk valgrind callgrind_control python3 tar; do
	command -v "$t" >/dev/null || missing="$missing $t"
done
[ -z "$missing" ] || die "missing tools:$missing (Debian: build-essential curl wrk valgrind python3)"
[ -e /usr/include/zlib.h ] || die "zlib.h missing (Debian: zlib1g-dev)"

mkdir -p "$W/cache"

# --- servers: every one started is stopped on exit --------------------------
masters=()
vg_pids=()
cleanup() {
	local p i
	for p in "${masters[@]}" "${vg_pids[@]}"; do
		kill -QUIT "$p" 2>/dev/null || true
	done
	for p in "${masters[@]}" "${vg_pids[@]}"; do
		for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	[ -z "${apt_tmp:-}" ] || rm -rf "$apt_tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. fetch the upstream tarball with apt-get, privately -----------------
tarball=$W/cache/nginx_$NGX_VER.orig.tar.gz
fetch_debian_orig nginx "$NGX_VER" tar.gz "$tarball"

# --- 2. which annotate.sed groups can the plugin compile? -----------------
probe_dir=$W/probe
rm -rf "$probe_dir"
mkdir -p "$probe_dir"
cat >"$probe_dir/stores.c" <<'EOF'
#include <scall.h>
static int f(int x) { return x + 1; }
static int (*a)(int) SCALL_KEY;
int (*b)(int) SCALL_KEY;
void set(void) { a = f; b = a; }
int call(int x) { return a(x) + b(x); }
EOF
cat >"$probe_dir/structs.c" <<'EOF'
#include <scall.h>
struct ops { int (*a)(int); int (*b)(int); };
static int f(int x) { return x + 1; }
static const struct ops impl = { f, f };
struct ops ops SCALL_KEY;
void set(void) { ops = impl; }
int call(int x) { return ops.a(x) + ops.b(x); }
EOF
probe() { # file extra-args...
	local f=$1
	shift
	"${cc_cmd[@]}" -O2 -c -I"$root/include" -fplugin="$PLUGIN" "$@" "$probe_dir/$f.c" \
		-o "$probe_dir/$f.o" >"$probe_dir/$f.log" 2>&1
}
have_stores=0 have_structs=0
probe stores -fplugin-arg-scall-convert-stores && have_stores=1
[ $have_stores = 1 ] && probe structs -fplugin-arg-scall-convert-stores && have_structs=1
# The plugin of this tree supports both: a failed probe is a regression of
# the plugin, not a reason to annotate less (and measure nothing).
if [ "$RW_GROUPS" = auto ] && [ $have_structs = 0 ]; then
	cat "$probe_dir"/*.log >&2
	die "the plugin did not compile the convert-stores/struct-key probes (log above)"
fi
plugin_args=
[ $have_stores = 1 ] && plugin_args=-fplugin-arg-scall-convert-stores
say "plugin features: convert-stores=$have_stores struct-keys=$have_structs"

all_groups=$(sed -n 's/^# group: \([a-z]*\).*/\1/p' "$here/annotate.sed" | tr '\n' ' ')
case $RW_GROUPS in
auto)
	groups=
	[ $have_stores = 1 ] && groups="$groups filters"
	[ $have_structs = 1 ] && groups="$groups structs"
	;;
all) groups=$all_groups ;;
none) groups= ;;
*) groups=$RW_GROUPS ;;
esac
groups=$(echo $groups)
say "annotation groups: ${groups:-none} (of: $all_groups)"

# annotate.sed restricted to the chosen groups.
sel_sed() { # groups... -> stdout
	awk -v want=" $* " '
		/^# group: / { g = $3; next }
		/^s/ { if (index(want, " " g " ")) print }' "$here/annotate.sed"
}
sel_sed $groups >"$W/annotate.sel.sed"
sel_sed $all_groups >"$W/annotate.all.sed"

# --- 3. builds ---------------------------------------------------------------
conf_args=(--with-stream --without-http_rewrite_module --without-pcre
	--without-http_proxy_module --without-http_fastcgi_module
	--without-http_uwsgi_module --without-http_scgi_module
	--without-http_grpc_module --without-http_memcached_module
	--without-http_geo_module --without-http_map_module
	--without-http_split_clients_module --without-http_referer_module
	--without-http_upstream_hash_module --without-http_upstream_ip_hash_module
	--without-http_upstream_least_conn_module --without-http_upstream_random_module
	--without-http_upstream_keepalive_module --without-http_upstream_zone_module
	--without-stream_geo_module --without-stream_map_module
	--without-stream_split_clients_module --without-stream_upstream_hash_module
	--without-stream_upstream_least_conn_module --without-stream_upstream_random_module
	--without-stream_upstream_zone_module)

unpack() { # dir
	rm -rf "$1"
	mkdir -p "$1"
	tar xzf "$tarball" -C "$1" --strip-components=1
	find "$1/src" -name '*.[ch]' -exec sed -i -f "$W/annotate.sel.sed" {} +
}

build() { # name plugin(0|1) extra-cflags [wrapper...]
	local name=$1 plugin=$2 extra=$3 d=$W/$1 cc_opt ld_opt=
	shift 3
	cc_opt="-O2 -D_GNU_SOURCE -include scall.h -I$root/include $extra"
	if [ "$plugin" = 1 ]; then
		cc_opt="$cc_opt -fplugin=$PLUGIN $plugin_args -fplugin-arg-scall-verbose"
		ld_opt="-L$LIBDIR -Wl,-rpath,$LIBDIR -lscall"
	fi
	stamp="$cc_opt|$ld_opt|$groups|$(cksum <"$W/annotate.sel.sed")"
	if [ "${RW_REUSE:-0}" = 1 ] && [ -x "$d/objs/nginx" ] && [ "$(cat "$d/stamp" 2>/dev/null)" = "$stamp" ]; then
		say "reused $name (RW_REUSE=1)"
		return 0
	fi
	unpack "$d"
	(cd "$d" && ./configure --with-cc="$cc_line" --with-cc-opt="$cc_opt" --with-ld-opt="$ld_opt" \
		"${conf_args[@]}" >configure.log 2>&1) || { tail -n 20 "$d/configure.log"; die "$name: configure"; }
	(cd "$d" && "$@" make -j"$RW_JOBS" >make.log 2>&1) || { grep -m5 -B2 -A3 'error' "$d/make.log" || tail -n 20 "$d/make.log"; die "$name: make"; }
	if [ "$plugin" = 1 ]; then
		"$SCALL_LD" --strict "$d/objs/nginx" >"$d/scall-ld.log" 2>&1 || { cat "$d/scall-ld.log"; die "$name: scall-ld"; }
		"$SCALL_LD" --json "$d/objs/nginx" >"$d/scall-ld.json"
	fi
	echo "$stamp" >"$d/stamp"
	say "built $name ($(elapsed)s)"
}

# --- 4. servers ----------------------------------------------------------------
docroot=$W/docroot
rm -rf "$docroot"
mkdir -p "$docroot/gz"
python3 - "$docroot" <<'EOF'
import sys
d = sys.argv[1]
with open(f"{d}/static.html", "w") as f:          # 4 KiB static file
    f.write("<html><body>\n" + "".join(f"<p>line {i:04d} of the static page</p>\n" for i in range(120)))
with open(f"{d}/gz/page.txt", "w") as f:           # 16 KiB, gzip-filtered
    f.write("".join(f"{i:06d} the quick brown fox jumps over the lazy dog {i * 7919 % 10007}\n" for i in range(300)))
EOF
truncate -s 4096 "$docroot/static.html"

# Below the ephemeral range: wrk's own connections (thousands, with
# "Connection: close") take local ports from it, and one of them on a
# server's port makes that server's bind() fail.
eph_lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
port_base=$(( 10000 + $$ % (eph_lo - 10000 - 200) ))
port_next=$port_base
cpu_srv=0 cpu_cli=0
if [ "$(nproc)" -ge 2 ]; then cpu_srv=0 cpu_cli=1; fi

# start_nginx name exe -> sets $port, $run; master pid tracked
start_nginx() {
	local name=$1 exe=$2 i
	run=$W/run-$name
	port=$port_next
	port_next=$((port_next + 1))
	rm -rf "$run"
	mkdir -p "$run/logs"
	conf "$run" "$port" "master_process on; daemon on; worker_processes 1; worker_cpu_affinity $(aff);" >"$run/nginx.conf"
	"$exe" -p "$run/" -c "$run/nginx.conf" -e "$run/logs/error.log" || die "$name: nginx did not start"
	for i in $(seq 100); do
		[ -s "$run/logs/nginx.pid" ] && curl -sf -o /dev/null "http://127.0.0.1:$port/static.html" && break
		sleep 0.05
	done
	[ -s "$run/logs/nginx.pid" ] || die "$name: no pid file"
	masters+=("$(cat "$run/logs/nginx.pid")")
	curl -sf -o /dev/null "http://127.0.0.1:$port/static.html" || die "$name: not serving on 127.0.0.1:$port"
}
aff() { [ "$(nproc)" -ge 2 ] && echo 01 || echo auto; }
conf() { # run port main-directives
	local user=
	[ "$(id -u)" = 0 ] && user="user root;"
	cat <<EOF
$user
$3
pid logs/nginx.pid;
error_log logs/error.log warn;
events { worker_connections 512; }
http {
    access_log off;
    default_type text/plain;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000000;
    keepalive_timeout 60s;
    client_body_temp_path $1/tmp-body;
    server {
        listen 127.0.0.1:$2;
        root $docroot;
        location /gz/ {
            gzip on;
            gzip_types text/plain;
            gzip_min_length 0;
            gzip_comp_level 1;
            gzip_vary off;
        }
    }
}
stream {
    server {
        listen 127.0.0.1:$(($2 + 10000));
        return "scall stream $2\n";
    }
}
EOF
}
stop_nginx() { # pid
	local p=$1 i m keep=()
	# forget it, so that the exit trap never signals a reused pid
	for m in "${masters[@]}"; do [ "$m" = "$p" ] || keep+=("$m"); done
	masters=(${keep[@]+"${keep[@]}"})
	kill -QUIT "$p" 2>/dev/null || return 0
	for i in $(seq 100); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.05; done
	kill -KILL "$p" 2>/dev/null || true
}
worker_of() { # master pid -> first worker pid
	local i w
	for i in $(seq 50); do
		w=$(pgrep -P "$1" | head -n1) && [ -n "$w" ] && { echo "$w"; return; }
		sleep 0.05
	done
	die "no worker under master $1"
}

# wrk_run url [header] -> prints "RPS ERRORS"; errors = socket errors + non-2xx
wrk_run() {
	local url=$1 out rps err
	shift
	out=$(taskset -c $cpu_cli timeout $((RW_SECONDS + 20)) wrk -t1 -c8 -d"${RW_SECONDS}s" "$@" "$url" 2>&1) ||
		die "wrk failed on $url: $out"
	rps=$(echo "$out" | awk '/^Requests\/sec:/ { print $2 }')
	err=$(echo "$out" | awk '
		/Socket errors:/ { gsub(/,/, ""); s += $4 + $6 + $8 + $10 }
		/Non-2xx or 3xx responses:/ { s += $5 }
		END { print s + 0 }')
	[ -n "$rps" ] || die "wrk output without Requests/sec: $out"
	echo "$rps $err"
}

GZ=(-H "Accept-Encoding: gzip")

# compare_bodies port_a port_b label
compare_bodies() {
	local a=$1 b=$2 what=$3 p
	for p in static.html gz/page.txt; do
		curl -sf "${GZ[@]}" -o "$W/body.$a" "http://127.0.0.1:$a/$p" || die "$what: curl $a/$p"
		curl -sf "${GZ[@]}" -o "$W/body.$b" "http://127.0.0.1:$b/$p" || die "$what: curl $b/$p"
		cmp -s "$W/body.$a" "$W/body.$b" || die "$what: /$p differs between the builds"
	done
	# the gzip path really compressed, and decompresses to the file
	curl -sf "${GZ[@]}" "http://127.0.0.1:$b/gz/page.txt" | gzip -dc | cmp -s - "$docroot/gz/page.txt" ||
		die "$what: gzip body does not decompress to the file"
	curl -sf "http://127.0.0.1:$b/static.html" | cmp -s - "$docroot/static.html" ||
		die "$what: static body differs from the file"
	# the stream module's filter chain (ngx_stream_top_filter)
	[ "$(stream_get "$b")" = "scall stream $b" ] || die "$what: stream return on $((b + 10000))"
}

stream_get() { # http port -> the line the stream server on port+10000 returns
	timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && head -n1 <&3' _ $(($1 + 10000))
}

# callgrind: per request, static and gzip, nginx in one process: Ir, and
# executions of nginx's indirect branches and of scall's sites (branches.py)
callgrind_ir() { # name exe [scall-ld.json] -> "IR_STATIC IR_GZIP IND_STATIC IND_GZIP SITES_STATIC SITES_GZIP"
	local name=$1 exe=$2 json=${3:-} run=$W/cg-$1 p pid i f1 f2 b1 b2 n=$RW_CALLGRIND
	p=$port_next
	port_next=$((port_next + 1))
	rm -rf "$run"
	mkdir -p "$run/logs"
	# timer_resolution: nginx then reads the clock on a SIGALRM tick instead
	# of after every event-loop wakeup, and reformats its cached dates only
	# when a new second starts; without it the count per request depends on
	# how many seconds the (slow, under callgrind) run spans, which moved the
	# difference between two builds of identical code by +-12 Ir/request
	conf "$run" "$p" "master_process off; daemon off; timer_resolution 1000s;" >"$run/nginx.conf"
	valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file="$run/cg.out.%p" \
		"$exe" -p "$run/" -c "$run/nginx.conf" -e "$run/logs/error.log" >"$run/vg.log" 2>&1 &
	pid=$!
	vg_pids+=("$pid")
	for i in $(seq 300); do
		curl -sf -o /dev/null "http://127.0.0.1:$p/static.html" && break
		kill -0 "$pid" 2>/dev/null || { cat "$run/vg.log"; die "$name: nginx under callgrind died"; }
		sleep 0.1
	done
	# warm up both paths, then count exactly n requests of each
	curl -sf -o /dev/null "http://127.0.0.1:$p/static.html?[1-20]" "${GZ[@]}" "http://127.0.0.1:$p/gz/page.txt?[1-20]" >/dev/null
	callgrind_control -z "$pid" >/dev/null 2>&1
	timeout 120 curl -sf "http://127.0.0.1:$p/static.html?[1-$n]" >/dev/null
	callgrind_control --dump=static "$pid" >/dev/null 2>&1
	timeout 120 curl -sf "${GZ[@]}" "http://127.0.0.1:$p/gz/page.txt?[1-$n]" >/dev/null
	callgrind_control --dump=gzip "$pid" >/dev/null 2>&1
	kill -TERM "$pid"
	for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	f1=$(ls "$run"/cg.out.*.1 2>/dev/null | head -n1)
	f2=$(ls "$run"/cg.out.*.2 2>/dev/null | head -n1)
	[ -n "$f1" ] && [ -n "$f2" ] || die "$name: no callgrind dumps in $run"
	b1=$(python3 "$here/branches.py" "$exe" "$f1" "$n" $json) || die "$name: branches.py"
	b2=$(python3 "$here/branches.py" "$exe" "$f2" "$n" $json) || die "$name: branches.py"
	echo "$(ir_of "$f1" "$n") $(ir_of "$f2" "$n") ${b1% *} ${b2% *} ${b1#* } ${b2#* }"
}
ir_of() { awk -v n="$2" '/^(summary|totals):/ { t = $2 } END { printf "%.0f", t / n }' "$1"; }

# live_sites name master-pid exe json -> "DIRECT TOTAL" in the first worker
live_sites() {
	local w
	w=$(worker_of "$2")
	python3 "$here/sites.py" live "$4" "$w" "$3"
}
# all_direct "DIRECT TOTAL": every one of at least one recorded site
all_direct() { [ "${1#* }" -gt 0 ] && [ "${1% *}" = "${1#* }" ]; }

# reload_under_load name port master -> "RPS ERRORS" of wrk spanning 2 SIGHUPs
reload_under_load() {
	local name=$1 port=$2 m=$3 out pidw secs=$((RW_SECONDS + 2))
	# new connection per request: a graceful reload closes idle keep-alive
	# connections, which races with a client's next request on them (an
	# HTTP keep-alive property, not scall's: plain nginx shows it alike)
	(RW_SECONDS=$secs wrk_run "http://127.0.0.1:$port/static.html" -H "Connection: close" >"$W/reload.$name") &
	pidw=$!
	sleep 1
	kill -HUP "$m"
	sleep 1
	kill -HUP "$m"
	wait "$pidw" || die "$name: wrk during reload"
	kill -0 "$m" 2>/dev/null || die "$name: master died on reload"
	cat "$W/reload.$name"
}

declare -A R     # results: R[config.metric]
run_config() { # config extra-cflags
	local cfg=$1 extra=$2 pl sc mpl msc ppl psc i r a b cnt live blk
	pl=plain$cfg sc=scall$cfg
	if [ -z "$cfg" ] && command -v bear >/dev/null; then
		build "$pl" 0 "$extra" bear --output "$W/$pl/compile_commands.json" --
	else
		build "$pl" 0 "$extra"
	fi
	build "$sc" 1 "$extra"
	cnt=$(python3 "$here/sites.py" count "$W/$sc/scall-ld.json")
	R[$cfg.sites]=${cnt% *}
	R[$cfg.keys]=${cnt#* }
	R[$cfg.stores]=$(grep -c ': scall: store in ' "$W/$sc/make.log" || true)
	# A run that converted nothing would pass every check below on "0 of 0".
	[ "${R[$cfg.sites]}" -gt 0 ] || die "$sc: scall-ld found no recorded site in nginx"
	case " $groups " in *" filters "*)
		[ "${R[$cfg.stores]}" -gt 0 ] || die "$sc: no store converted although the filters group is annotated" ;;
	esac

	start_nginx "$pl" "$W/$pl/objs/nginx"; ppl=$port; mpl=${masters[-1]}
	start_nginx "$sc" "$W/$sc/objs/nginx"; psc=$port; msc=${masters[-1]}
	compare_bodies "$ppl" "$psc" "$cfg bodies"
	live=$(live_sites "$sc" "$msc" "$W/$sc/objs/nginx" "$W/$sc/scall-ld.json")
	R[$cfg.live]=$live
	all_direct "$live" || die "$sc: only $live recorded sites are direct in the worker"

	# reload under load on both builds, then the new workers still serve
	# identical bytes and the scall one runs patched code
	for b in "$pl:$ppl:$mpl" "$sc:$psc:$msc"; do
		IFS=: read -r a i r <<<"$b"
		r=$(reload_under_load "$a" "$i" "$r")
		R[$cfg.reload.${a%%-*}]=${r#* }
		[ "${r#* }" = 0 ] || die "$a: ${r#* } failed requests during SIGHUP reload"
	done
	compare_bodies "$ppl" "$psc" "$cfg bodies after reload"
	live=$(live_sites "$sc" "$msc" "$W/$sc/objs/nginx" "$W/$sc/scall-ld.json")
	all_direct "$live" || die "$sc: after reload only $live recorded sites are direct in the worker"
	R[$cfg.live2]=$live
	stop_nginx "$mpl"
	stop_nginx "$msc"
	say "$cfg reload: 0 failed requests, new worker $live sites direct ($(elapsed)s)"

	# Throughput.  Two instances of one binary differ by 1-3 % here
	# (address-space and page placement; an A/A run of plain against plain
	# gave medians of 1.002 to 1.032), so one pair of servers cannot show
	# a 1 % effect: RW_BLOCKS blocks, each with a fresh pair started in
	# alternating order, each running RW_ROUNDS rounds per path that
	# alternate plain/scall (ABBA) so drift hits both alike.
	local -A rpl rsc rr
	local sc_exe=$W/$sc/objs/nginx
	[ "$RW_AA" = 1 ] && sc_exe=$W/$pl/objs/nginx && say "$cfg: A/A run (RW_AA=1): plain against plain"
	for blk in $(seq "$RW_BLOCKS"); do
		if [ $((blk % 2)) = 1 ]; then
			start_nginx "$pl" "$W/$pl/objs/nginx"; ppl=$port; mpl=${masters[-1]}
			start_nginx "$sc" "$sc_exe"; psc=$port; msc=${masters[-1]}
		else
			start_nginx "$sc" "$sc_exe"; psc=$port; msc=${masters[-1]}
			start_nginx "$pl" "$W/$pl/objs/nginx"; ppl=$port; mpl=${masters[-1]}
		fi
		for what in static gzip; do
			local url=http://127.0.0.1 hdr=() path=static.html
			[ $what = gzip ] && hdr=("${GZ[@]}") path=gz/page.txt
			# warm-up: first requests pay for page cache, allocations
			for i in $ppl $psc; do
				curl -sf "${hdr[@]}" -o /dev/null "$url:$i/$path?[1-200]" ||
					die "$cfg $what: warm-up requests failed"
			done
			for i in $(seq "$RW_ROUNDS"); do
				if [ $((i % 2)) = 1 ]; then
					a=$(wrk_run "$url:$ppl/$path" "${hdr[@]}")
					b=$(wrk_run "$url:$psc/$path" "${hdr[@]}")
				else
					b=$(wrk_run "$url:$psc/$path" "${hdr[@]}")
					a=$(wrk_run "$url:$ppl/$path" "${hdr[@]}")
				fi
				[ "${a#* }" = 0 ] && [ "${b#* }" = 0 ] || die "$cfg $what: failed requests (plain: ${a#* }, scall: ${b#* })"
				rpl[$what]+="${a% *} " rsc[$what]+="${b% *} "
				rr[$what]+="$(ratio "${a% *}" "${b% *}") "
			done
		done
		stop_nginx "$mpl"
		stop_nginx "$msc"
	done
	for what in static gzip; do
		R[$cfg.$what.plain]=$(printf '%s\n' ${rpl[$what]} | quantile 0.5 %.0f)
		R[$cfg.$what.scall]=$(printf '%s\n' ${rsc[$what]} | quantile 0.5 %.0f)
		# paired: the median of the per-round ratios (a round runs both
		# builds back to back, so load drift cancels in its ratio), and
		# their interquartile range, which shows how much to trust it
		R[$cfg.$what.ratio]=$(printf '%s\n' ${rr[$what]} | quantile 0.5)
		R[$cfg.$what.iqr]="$(printf '%s\n' ${rr[$what]} | quantile 0.25)-$(printf '%s\n' ${rr[$what]} | quantile 0.75)"
		say "$cfg $what: ratios scall/plain ${rr[$what]}(${RW_BLOCKS} blocks of ${RW_ROUNDS})"
	done
	say "$cfg throughput done ($(elapsed)s)"

	r=$(callgrind_ir "$pl" "$W/$pl/objs/nginx")
	read -r R[$cfg.ir.static.plain] R[$cfg.ir.gzip.plain] R[$cfg.ind.static.plain] R[$cfg.ind.gzip.plain] _ _ <<<"$r"
	r=$(callgrind_ir "$sc" "$W/$sc/objs/nginx" "$W/$sc/scall-ld.json")
	read -r R[$cfg.ir.static.scall] R[$cfg.ir.gzip.scall] R[$cfg.ind.static.scall] R[$cfg.ind.gzip.scall] \
		R[$cfg.sites.static] R[$cfg.sites.gzip] <<<"$r"
	say "$cfg callgrind done ($(elapsed)s)"
}

run_config "" ""
[ "$RW_RETPOLINE" = 1 ] && run_config -rp "-mindirect-branch=thunk -mfunction-return=thunk"

# --- 5. scall-scan on nginx, compared with annotate.sed ---------------------
scan_line="not run (no scall-scan or no compile_commands.json)"
if [ -x "$SCAN" ] && [ -s "$W/plain/compile_commands.json" ]; then
	"$SCAN" -p "$W/plain" --json >"$W/scan.json" 2>"$W/scan.log" || die "scall-scan on nginx: $(tail -n3 "$W/scan.log")"
	"$SCAN" -p "$W/plain" >"$W/scan.txt" 2>>"$W/scan.log" || true
	# the sed list: NAME or NAME@FILE (file-static), from the full annotate.sed
	rm -rf "$W/pristine"; mkdir -p "$W/pristine"; tar xzf "$tarball" -C "$W/pristine" --strip-components=1
	(cd "$W/pristine" && find src -name '*.c' | sort | while read -r f; do
		sed -f "$W/annotate.all.sed" "$f" | diff "$f" - | sed -n "s|^> *\(static \)\{0,1\}[a-z_]* *\([a-z_]*\) SCALL_KEY;|\2 \1$f|p" || true
	done) | awk '{ print ($2 == "static" ? $1 "@" $3 : $1) }' | sort -u >"$W/sed.list"
	python3 "$here/compare.py" "$W/scan.json" "$W/sed.list" "$W/plain/compile_commands.json" | tee "$W/compare.txt"
	scan_line=$(tail -n1 "$W/compare.txt")
fi

# --- 6. the table ---------------------------------------------------------
echo
echo "nginx $NGX_VER with scall: annotation groups: ${groups:-none}; plugin args: ${plugin_args:-none}"
echo "(req/s: median of $RW_BLOCKS x $RW_ROUNDS alternating ${RW_SECONDS}s wrk runs, scall/plain = median of per-round ratios;"
echo " per request over $RW_CALLGRIND requests under callgrind: Ir, and executions of nginx's indirect branches)"
printf '%-40s %12s %12s %9s\n' "" "plain" "scall" "scall/plain"
for cfg in "" -rp; do
	[ -n "${R[$cfg.sites]+x}" ] || continue
	t=${cfg:+ (retpoline)}
	printf '%-40s %12s %12s\n' "converted sites$t" - "${R[$cfg.sites]} (${R[$cfg.keys]} keys)"
	printf '%-40s %12s %12s\n' "converted stores$t" - "${R[$cfg.stores]}"
	printf '%-40s %12s %12s\n' "direct in worker$t" - "${R[$cfg.live]% *}/${R[$cfg.live]#* }, reload ${R[$cfg.live2]% *}/${R[$cfg.live2]#* }"
	for what in static gzip; do
		printf '%-40s %12s %12s %9s  (IQR %s)\n' "req/s $what$t (median)" "${R[$cfg.$what.plain]}" "${R[$cfg.$what.scall]}" \
			"${R[$cfg.$what.ratio]}" "${R[$cfg.$what.iqr]}"
	done
	for what in static gzip; do
		a=${R[$cfg.ir.$what.plain]} b=${R[$cfg.ir.$what.scall]}
		printf '%-40s %12s %12s %9s\n' "Ir/request $what$t" "$a" "$b" "$((b - a))"
	done
	for what in static gzip; do
		printf '%-40s %12s %12s %9s\n' "indirect br/request $what$t" "${R[$cfg.ind.$what.plain]}" \
			"${R[$cfg.ind.$what.scall]}" "$(awk -v a="${R[$cfg.ind.$what.plain]}" -v b="${R[$cfg.ind.$what.scall]}" 'BEGIN { printf "%+.2f", b - a }')"
		printf '%-40s %12s %12s\n' "scall sites run/request $what$t" - "${R[$cfg.sites.$what]}"
	done
	printf '%-40s %12s %12s\n' "failed reqs reload$t" "${R[$cfg.reload.plain]}" "${R[$cfg.reload.scall]}"
done
if [ -n "${R[-rp.sites]+x}" ]; then
	for what in static gzip; do
		printf '%-40s %12s %12s\n' "retpoline gain $what" "req/s x${R[-rp.$what.ratio]}" \
			"Ir $((R[-rp.ir.$what.scall] - R[-rp.ir.$what.plain]))"
	done
fi
echo "scall-scan vs annotate.sed: $scan_line"
echo "bodies byte-identical (static, gzip) in every configuration, before and after reload; total $(elapsed)s"
