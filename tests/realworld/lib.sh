# SPDX-License-Identifier: MIT
# lib.sh - sourced by the real-world tests (nginx.sh, sqlite.sh), which set
# rw_name (their name, for messages) first: messages, figures, the build's C
# compiler, and the upstream tarball from Debian 12's source archive, fetched
# with apt-get and a private source list so that the system's apt
# configuration never changes (the caller removes "$apt_tmp" on exit).

t_start=$(date +%s)
say() { printf '%s: %s\n' "$rw_name" "$*"; }
die() { printf '%s: FAIL: %s\n' "$rw_name" "$*" >&2; exit 1; }
skip() { printf 'SKIP: %s\n' "$*"; exit 77; }
elapsed() { echo $(( $(date +%s) - t_start )); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.3f", b / a; else print "-" }'; }
# quantile Q of the numbers on stdin (linear interpolation; 0.5 = median)
quantile() { sort -g | awk -v q="$1" -v fmt="${2:-%.3f}" '{ v[NR] = $1 } END { x = 1 + (NR - 1) * q; i = int(x); f = x - i
	printf fmt, (i < NR) ? v[i] + f * (v[i + 1] - v[i]) : v[NR] }'; }

# build_cc BUILDDIR: cc_line and cc_cmd, the C compiler meson built libscall
# with: the GCC plugin loads only into the GCC it was built for
# (CC=gcc-11 meson setup ...).
build_cc() {
	cc_line=$(python3 -c '
import json, sys
for t in json.load(open(sys.argv[1] + "/meson-info/intro-targets.json")):
    for s in t["target_sources"] if t["name"] == "scall" else []:
        if s["language"] == "c":
            print(" ".join(s["compiler"]))
            sys.exit(0)
sys.exit(1)' "$1") || die "$1: no C compiler for libscall in meson-info/intro-targets.json"
	read -ra cc_cmd <<<"$cc_line"
}

# The first Debian (non-security) mirror of the system's apt sources, and its
# keyring: "URI KEYRING".
system_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk 'BEGIN { RS = ""; FS = "\n" }
		{
			uri = ""; key = ""; types = ""
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^[Uu][Rr][Ii][Ss]:/) { split($i, a, /[ \t]+/); uri = a[2] }
				if ($i ~ /^[Ss]igned-[Bb]y:/) { split($i, a, /[ \t]+/); key = a[2] }
				if ($i ~ /^[Tt]ypes:/) types = $i
			}
			if (uri != "" && uri !~ /security/ && types ~ /deb/) { print uri, key; exit }
		}' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		sed -n 's/^deb\(-src\)\{0,1\}[ \t]\+\(\[[^]]*\][ \t]\+\)\{0,1\}\([a-z]\+:[^ \t]*\).*/\3 -/p' "$f" |
			grep -v security || true
	done
}

# fetch_debian_orig PACKAGE VERSION SUFFIX TARBALL: TARBALL is Debian's
# PACKAGE_VERSION.orig.SUFFIX (kept: a readable one is not fetched again);
# skips the test when it cannot be fetched.
fetch_debian_orig() {
	local pkg=$1 ver=$2 suffix=$3 tarball=$4 mirror key line opts orig
	orig=${pkg}_$ver.orig.$suffix
	if [ -s "$tarball" ] && tar tf "$tarball" >/dev/null 2>&1; then
		say "cached $tarball"
		return 0
	fi
	command -v apt-get >/dev/null || skip "no apt-get: cannot fetch $pkg $ver from Debian"
	line=$(system_mirror | head -n1)
	[ -n "$line" ] || skip "no Debian mirror in the system's apt sources: cannot fetch $pkg $ver"
	mirror=${line%% *}
	key=${line#* }
	[ "$key" != - ] && [ -r "$key" ] || key=/usr/share/keyrings/debian-archive-keyring.gpg
	apt_tmp=$(mktemp -d)
	mkdir -p "$apt_tmp/lists/partial" "$apt_tmp/cache/archives/partial" "$apt_tmp/dl"
	if [ -r "$key" ]; then
		echo "deb-src [signed-by=$key] $mirror bookworm main" >"$apt_tmp/sources.list"
	else
		echo "deb-src $mirror bookworm main" >"$apt_tmp/sources.list"
	fi
	opts=(-o "Dir::Etc::sourcelist=$apt_tmp/sources.list" -o "Dir::Etc::sourceparts=-"
	      -o "Dir::State::Lists=$apt_tmp/lists" -o "Dir::Cache=$apt_tmp/cache"
	      -o "APT::Sandbox::User=$(id -un)" -o "Debug::NoLocking=true")
	say "fetching $pkg source from $mirror (bookworm, private source list)"
	if ! timeout 120 apt-get "${opts[@]}" -qq update >"$apt_tmp/update.log" 2>&1; then
		skip "apt-get update of a private deb-src list for $mirror failed: $(tail -n1 "$apt_tmp/update.log")"
	fi
	# offline, apt-get update warns and still succeeds
	ls "$apt_tmp/lists/" | grep -q '_Sources' ||
		skip "no network? apt-get update fetched no source index from $mirror: $(grep -m1 -E '^(W|E):' "$apt_tmp/update.log" || true)"
	if ! (cd "$apt_tmp/dl" && timeout 300 apt-get "${opts[@]}" -qq source --download-only --tar-only "$pkg") \
		>"$apt_tmp/source.log" 2>&1; then
		skip "apt-get source --download-only $pkg failed: $(tail -n1 "$apt_tmp/source.log")"
	fi
	[ -s "$apt_tmp/dl/$orig" ] ||
		skip "Debian's $pkg source is not $ver: $(ls "$apt_tmp/dl" | tr '\n' ' ')"
	mv "$apt_tmp/dl/$orig" "$tarball"
	rm -rf "$apt_tmp"
	apt_tmp=
}
