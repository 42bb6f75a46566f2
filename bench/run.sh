#!/bin/sh
# Print the benchmark figures: the pattern's fill/check throughput against
# memcpy/memset/memcmp, then (as root only) the wall time of `iovbed run`
# over the default matrix with a fixed seed.
#
# usage: bench/run.sh [--filter GLOB]...
#   BUILD=DIR   the build directory (default: this script's parent directory)
#
# Exit status: iovbed's if it ran and failed; 2 on a usage error; 1 if
# pattern-bench is missing or fails; 130 if interrupted by ^C; else 0.

usage() {
	echo "usage: $0 [--filter GLOB]...   (BUILD=DIR selects the build directory)" >&2
	exit 2
}

# Rebuild "$@" as the arguments to pass through to iovbed.
nargs=$#
label="default matrix"
filters=
while [ "$nargs" -gt 0 ]; do
	case $1 in
	--filter)
		[ "$nargs" -ge 2 ] || usage
		set -- "$@" --filter "$2"
		filters="${filters:+$filters,}$2"
		shift 2
		nargs=$((nargs - 2))
		;;
	--filter=*)
		set -- "$@" "$1"
		filters="${filters:+$filters,}${1#--filter=}"
		shift
		nargs=$((nargs - 1))
		;;
	-h | --help)
		usage
		;;
	*)
		echo "$0: unknown argument '$1'" >&2
		usage
		;;
	esac
done
[ -n "$filters" ] && label="matrix --filter $filters"

if [ -z "${BUILD:-}" ]; then
	BUILD=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd) || exit 1
fi

bench="$BUILD/bench/pattern-bench"
iovbed="$BUILD/src/iovbed"

if [ ! -x "$bench" ]; then
	echo "$0: $bench not built (run 'make bench/pattern-bench')" >&2
	exit 1
fi
"$bench" || exit 1

if [ "$(id -u)" -ne 0 ]; then
	echo "$label: not measured (iovbed run needs root)"
	exit 0
fi
if [ ! -x "$iovbed" ]; then
	echo "$0: $iovbed not built (run 'make src/iovbed')" >&2
	exit 1
fi

tmp=$(mktemp "${TMPDIR:-/tmp}/iovbed-bench.XXXXXX") || exit 1
trap 'rm -f "$tmp"' EXIT
trap 'exit 143' TERM
trap 'exit 129' HUP
# A ^C also reaches iovbed, which stops and still prints its summary: note
# the signal and print that partial figure rather than dying at once.
got_int=
trap 'got_int=1' INT

"$iovbed" run --seed 1 "$@" >/dev/null 2>"$tmp"
rc=$?
trap 'exit 130' INT

# The summary ends with the times and the counts:
#   times: set-up 2.1 s, cases 30.1 s, teardown 0.9 s (33.5 s in all)
#   2774 cases: 1975 passed, 0 failed, 796 skipped, 0 broken, 3 known ...
# (with " (interrupted)" at the end if it was stopped).
line=$(tail -n 1 "$tmp")
times=$(grep '^times: set-up ' "$tmp" | tail -n 1)
case $line in
[0-9]*" cases: "*)
	n=${line%% *}
	echo "$times" | awk -v n="$n" -v label="$label" '{
		setup = $3; cases = $6; down = $9; all = $11; sub(/^\(/, "", all)
		ran = n
		fmt = "%s: %d cases; set-up %s s, cases %s s (%.1f cases/s), teardown %s s, %s s in all\n"
		rate = cases > 0 ? ran / cases : 0
		printf fmt, label, n, setup, cases, rate, down, all }'
	case $line in
	*"(interrupted)"*) echo "$label: iovbed was interrupted; the figure is partial" ;;
	esac
	;;
*)
	echo "$label: not measured (no summary line from iovbed, exit status $rc)"
	;;
esac

if [ "$rc" -ne 0 ]; then
	echo "$0: iovbed run exited with status $rc; the end of its stderr:" >&2
	tail -n 20 "$tmp" >&2
	exit "$rc"
fi
[ -z "$got_int" ] || exit 130
exit 0
