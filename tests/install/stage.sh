# shellcheck shell=sh
# stage.sh: sourced by the install tests.
#   stage BUILD_DIR  `meson install` into a new DESTDIR, $dest (removed on
#                    exit); $prefix is the build's prefix
#   need SUFFIX      the installed file whose path ends with SUFFIX, or fail
stage() {
	dest=$(mktemp -d)
	trap 'rm -rf "$dest" "$dest.log"' EXIT
	# Without --no-rebuild: `meson test` builds only what tests need, so let
	# install build the rest (these tests run alone: is_parallel false).
	meson install -C "$1" --destdir "$dest" --quiet >"$dest.log" 2>&1 ||
		{ cat "$dest.log"; exit 1; }
	# shellcheck disable=SC2034 # for the scripts that source this one
	prefix=$(meson introspect --buildoptions "$1" |
		python3 -c 'import json, sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
}

need() {
	found=$(find "$dest" -path "*$1" | head -n 1)
	[ -n "$found" ] || { echo "not installed: $1" >&2; exit 1; }
	echo "$found"
}
