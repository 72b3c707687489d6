#!/bin/sh
# run_ir.sh PLUGIN OPT FILECHECK TEST.ll - run the "; RUN:" lines of an IR
# test (lit style: %s, %plugin, %opt, %FileCheck), each must succeed.
set -u
plugin=$1 opt=$2 fc=$3 t=$4
n=0
grep '^; RUN: ' "$t" | sed 's/^; RUN: //' | while IFS= read -r line; do
	n=$((n + 1))
	cmd=$(printf '%s\n' "$line" | sed -e "s|%plugin|$plugin|g" -e "s|%opt|$opt|g" \
		-e "s|%FileCheck|$fc|g" -e "s|%s|$t|g")
	if ! bash -o pipefail -c "$cmd"; then
		echo "FAIL: RUN line $n of $t: $cmd"
		exit 1
	fi
done
