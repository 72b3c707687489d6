#!/bin/sh
# SPDX-License-Identifier: MIT
# rt_branch (branch.c, branch_lib.c, branch_plug.c) built by one compiler at
# one optimisation level, then run, also with SCALL_WRITER=none:
#   branch_cc.sh CC OPT LIBSCALL INCLUDE SRCDIR WORKDIR [DEFINE...]
# (static branches need no plugin: any gcc or clang, -O0..-O3, and
# -DSCALL_NO_ASM for the load-and-test fallback).
set -eu
cc=$1 opt=$2 lib=$3 inc=$4 src=$5 work=$6
shift 6
libdir=$(dirname "$lib")
mkdir -p "$work"
flags="-std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE $opt -I$inc $*"
# shellcheck disable=SC2086
"$cc" $flags -fPIC -shared "$src/branch_lib.c" -o "$work/libbranchcc.so" \
	-L"$libdir" -lscall
# shellcheck disable=SC2086
"$cc" $flags -fPIC -shared "$src/branch_plug.c" -o "$work/branchcc_plug.so" \
	-L"$work" -lbranchcc -L"$libdir" -lscall
# shellcheck disable=SC2086
"$cc" $flags "$src/branch.c" -o "$work/rt_branch" -L"$work" -lbranchcc \
	-L"$libdir" -lscall -ldl -Wl,-rpath,"$libdir:$work"
"$work/rt_branch" "$work/branchcc_plug.so"
SCALL_WRITER=none "$work/rt_branch" "$work/branchcc_plug.so" none
