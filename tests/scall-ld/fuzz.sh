#!/bin/sh
# fuzz.sh FUZZER SECONDS SEED... - bounded libFuzzer run on a corpus seeded
# from the test fixtures; any crash, leak or sanitizer report fails.
set -eu
fuzzer=$1 secs=$2
shift 2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/corpus" "$dir/art"
for f in "$@"; do cp "$f" "$dir/corpus/"; done
printf 'not an ELF file\n' > "$dir/corpus/text"
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
"$fuzzer" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
	-max_len=65536 -print_final_stats=1 \
	-artifact_prefix="$dir/art/" "$dir/corpus" > "$dir/log" 2>&1 && st=0 || st=$?
grep -B2 -A30 -m1 -E 'ERROR|runtime error|deadly signal' "$dir/log" || true
tail -12 "$dir/log"
if ls "$dir/art/"* >/dev/null 2>&1; then
	echo "fuzz: crash artifacts:"; ls -l "$dir/art"
	for a in "$dir/art/"*; do od -An -tx1 "$a" | head -5; done
	exit 1
fi
exit $st
