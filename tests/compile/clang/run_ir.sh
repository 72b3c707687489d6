#!/bin/sh
# run_ir.sh PLUGIN OPT FILECHECK MODE TEST.ll - run the "; RUN:" lines of an
# IR test (lit style: %s, %plugin, %opt, %FileCheck, %mode), each must
# succeed.  OPT may carry flags (the pointer mode).  MODE is TYPED or OPAQUE:
# the tests are written with typed pointers, which opt reads as opaque ones
# in opaque mode; where the printed IR differs, a RUN line checks the lines
# of prefix CHECK and of prefix %mode (TYPED: or OPAQUE:, and O2-%mode: for
# prefix O2...).
set -u
plugin=$1 opt=$2 fc=$3 mode=$4 t=$5
n=0
grep '^; RUN: ' "$t" | sed 's/^; RUN: //' | while IFS= read -r line; do
	n=$((n + 1))
	cmd=$(printf '%s\n' "$line" | sed -e "s|%plugin|$plugin|g" -e "s|%opt|$opt|g" \
		-e "s|%FileCheck|$fc --allow-unused-prefixes|g" -e "s|%mode|$mode|g" -e "s|%s|$t|g")
	if ! bash -o pipefail -c "$cmd"; then
		echo "FAIL: RUN line $n of $t: $cmd"
		exit 1
	fi
done
