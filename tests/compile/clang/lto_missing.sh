#!/bin/sh
# lto_missing.sh CLANG PLUGIN INCLUDE FIXTURE TRAMP_RUNTIME_C WORKDIR
# -flto objects built with the pass, linked by lld without the pass: the
# link must fail and name the marker (so the user learns what to add).
set -u
cc=$1 plugin=$2 inc=$3 src=$4 runtime=$5 dir=$6
mkdir -p "$dir"
"$cc" -I"$inc" -O2 -flto -fplugin="$plugin" -fpass-plugin="$plugin" -c "$src" -o "$dir/m.o" || exit 1
"$cc" -I"$inc" -O2 -c "$runtime" -o "$dir/tramp_runtime.o" || exit 1
out=$("$cc" -flto -fuse-ld=lld "$dir/m.o" "$dir/tramp_runtime.o" -o "$dir/m" 2>&1)
if [ $? -eq 0 ]; then
	echo "-flto link without the pass succeeded"; exit 1
fi
if ! printf '%s\n' "$out" | grep -q "__scall_lto_link_needs_the_scall_pass"; then
	printf 'link failed without naming the marker:\n%s\n' "$out"; exit 1
fi
# and with the pass on the link line it links
"$cc" -flto -fuse-ld=lld -Wl,--lto-legacy-pass-manager -Wl,-mllvm,-load="$plugin" \
	"$dir/m.o" "$dir/tramp_runtime.o" -o "$dir/m" || exit 1
# ThinLTO is not supported: the link fails the same way, even with the pass
"$cc" -I"$inc" -O2 -flto=thin -fplugin="$plugin" -fpass-plugin="$plugin" -c "$src" -o "$dir/t.o" || exit 1
out=$("$cc" -flto=thin -fuse-ld=lld -Wl,--lto-legacy-pass-manager -Wl,-mllvm,-load="$plugin" \
	"$dir/t.o" "$dir/tramp_runtime.o" -o "$dir/t" 2>&1)
if [ $? -eq 0 ] || ! printf '%s\n' "$out" | grep -q "__scall_lto_link_needs_the_scall_pass"; then
	printf 'ThinLTO link did not fail with the marker:\n%s\n' "$out"; exit 1
fi
exit 0
