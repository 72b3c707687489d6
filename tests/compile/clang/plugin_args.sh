#!/bin/sh
# plugin_args.sh CLANG ARGS... - run CLANG (LLVM 13) with each
# -fplugin-arg-NAME-ARG spelled the way clang 13 takes it,
# -Xclang -plugin-arg-NAME -Xclang ARG: its driver has no -fplugin-arg-
# (clang 14 added it), and the tests pass the scall options in that form.
cc=$1
shift
for a; do
	shift
	case $a in
	-fplugin-arg-*-*)
		n=${a#-fplugin-arg-}
		set -- "$@" -Xclang "-plugin-arg-${n%%-*}" -Xclang "${n#*-}"
		;;
	*) set -- "$@" "$a" ;;
	esac
done
exec "$cc" "$@"
