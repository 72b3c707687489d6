#!/bin/sh
# lto_missing.sh CLANG PLUGIN LTO_LINK_FLAGS INCLUDE FIXTURE TRAMP_RUNTIME_C WORKDIR
# -flto objects built with the pass, linked by lld without the pass: the
# link must fail and name the marker (so the user learns what to add).
# CLANG may carry flags (the pointer mode); LTO_LINK_FLAGS is what this
# version's link adds to run the link-time half (clang-pass/README.md).
set -u
cc=$1 plugin=$2 ltolink=$3 inc=$4 src=$5 runtime=$6 dir=$7
mkdir -p "$dir"
# shellcheck disable=SC2086 # $cc and $ltolink are word lists
$cc -I"$inc" -O2 -flto -fplugin="$plugin" -fpass-plugin="$plugin" -c "$src" -o "$dir/m.o" || exit 1
$cc -I"$inc" -O2 -c "$runtime" -o "$dir/tramp_runtime.o" || exit 1
out=$($cc -flto -fuse-ld=lld "$dir/m.o" "$dir/tramp_runtime.o" -o "$dir/m" 2>&1)
if [ $? -eq 0 ]; then
	echo "-flto link without the pass succeeded"; exit 1
fi
# The marker names the option this version's linker needs, e.g.
# -Wl,--load-pass-plugin=... or -Wl,--lto-legacy-pass-manager,...
opt=$(printf '%s\n' "$ltolink" | sed -e 's/ .*//' -e 's/=.*//' -e 's/^-Wl,//')
if ! printf '%s\n' "$out" | grep -q -e "__scall_lto_link_needs_the_scall_pass:.*_linked_with_-Wl,$opt"; then
	printf 'link failed without naming the marker and %s:\n%s\n' "$opt" "$out"; exit 1
fi
# and with the pass on the link line it links
$cc -flto -fuse-ld=lld $ltolink "$dir/m.o" "$dir/tramp_runtime.o" -o "$dir/m" || exit 1
# ThinLTO is not supported: the link fails the same way, even with the pass
$cc -I"$inc" -O2 -flto=thin -fplugin="$plugin" -fpass-plugin="$plugin" -c "$src" -o "$dir/t.o" || exit 1
out=$($cc -flto=thin -fuse-ld=lld $ltolink "$dir/t.o" "$dir/tramp_runtime.o" -o "$dir/t" 2>&1)
if [ $? -eq 0 ] || ! printf '%s\n' "$out" | grep -q "__scall_lto_link_needs_the_scall_pass"; then
	printf 'ThinLTO link did not fail with the marker:\n%s\n' "$out"; exit 1
fi
exit 0
