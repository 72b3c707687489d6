#!/bin/sh
# bench.sh SCALL_LD BINARY - time scall-ld on a fresh copy (best of 3):
# a full in-place run, a second (idempotent) run, and --check.
set -eu
ld=$1 bin=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
t() { s=$(date +%s.%N); "$@"; e=$(date +%s.%N); echo "$e - $s" | bc; }
best=9999
for i in 1 2 3; do
	cp "$bin" "$dir/x"
	d=$(t "$ld" "$dir/x")
	best=$(echo "if ($d < $best) $d else $best" | bc)
done
again=$(t "$ld" "$dir/x")
check=$(t "$ld" --check "$dir/x")
n=$("$ld" --check --json "$dir/x" | sed 's/.*"records":\([0-9]*\).*/\1/')
echo "scall-ld: $n sites, $(stat -c %s "$bin") bytes: first run ${best}s" \
     "(best of 3), second run ${again}s, --check ${check}s"
"$dir/x" || { echo "rewritten binary fails"; exit 1; }
