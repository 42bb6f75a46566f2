#!/bin/sh
# The shape of the tree, checked (run by `make check`, TAP):
#  - no circular dependency between the library's object files, by the
#    symbols each uses of the others (nm), nor between headers (#include);
#  - no plugin (engine, target, buffer, action, regression, kernel IO,
#    nfs/, fuse/, blk/) includes a runner header, directly or through
#    another header;
#  - no function of any .c file is longer than 80 lines or takes more than
#    5 parameters.
# Each rule is first run on a bad input made here and must fail on it.
#
#   IOVBED_SRCDIR  the source tree (default: this script's parent)
#   IOVBED_LIB     the library archive (default: src/libiovbed.a)

SRC=${IOVBED_SRCDIR:-$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)}
LIB=${IOVBED_LIB:-src/libiovbed.a}
MAX_LINES=80
MAX_PARAMS=5
RUNNER_HEADERS='bed.h case.h runners.h report.h report_json.h list.h matrix.h'
step=0
failures=0

bail() {
	echo "Bail out! $*"
	exit 99
}

for c in nm tsort awk sed grep sort; do
	command -v "$c" >/dev/null 2>&1 || bail "structure.sh needs '$c' (./install-deps.sh)"
done
[ -r "$LIB" ] || bail "no library archive at $LIB (build first)"
work=$(mktemp -d "${TMPDIR:-/tmp}/iovbed-structure.XXXXXX") || bail "mktemp"
trap 'rm -rf "$work"' EXIT

check() {	# check NAME OK(0/1) [DETAIL]
	step=$((step + 1))
	if [ "$2" = 0 ]; then
		echo "ok $step $1"
	else
		echo "not ok $step $1"
		[ -n "$3" ] && printf '%s\n' "$3" | sed 's/^/# /'
		failures=$((failures + 1))
	fi
}

# Edges "user provider" between the members of an archive: a member that
# uses a symbol another one defines depends on it.
object_edges() {
	nm -A "$1" 2>/dev/null | awk '
		{ split($1, p, ":"); obj = p[2] }
		$2 == "U" { use[obj, $3] = 1; next }
		$3 ~ /^[TDRBC]$/ || $2 ~ /^[TDRBC]$/ {
			sym = NF == 4 ? $4 : $3; def[sym] = obj }
		END { for (k in use) { split(k, q, SUBSEP)
			if ((q[2] in def) && def[q[2]] != q[1]) print q[1], def[q[2]] } }' | sort -u
}

# tsort prints the members of a loop on stderr: empty when there is none.
loops() {
	tsort 2>&1 >/dev/null | grep -v '^tsort: -: input contains a loop:$' | sed 's/^tsort: //'
}

# Edges "includer included" between the headers and sources of a tree.
include_edges() {
	find "$1" -name '*.[ch]' | while read -r f; do
		sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f" | while read -r h; do
			echo "$(basename "$f") $h"
		done
	done | awk '$1 ~ /\.h$/' | sort -u
}

# Every function of a C file in the kernel style (name at column 0, its
# braces alone at column 0): "file:line name lines params" per function.
functions() {
	awk '
	FNR == 1 { sig = ""; infn = 0 }
	!infn && /^[a-zA-Z_][^;]*\(/ && !/^(static )?(const )?(struct|enum|union) [a-z_]+ *\{/ {
		sig = $0; start = FNR; next }
	!infn && sig != "" && /^[^{]/ && !/^$/ { sig = sig " " $0; next }
	!infn && sig != "" && /^\{/ { infn = 1; body = FNR; next }
	infn && /^\}/ {
		name = sig; sub(/\(.*/, "", name); n = split(name, w, /[ *]+/); name = w[n]
		args = sig; sub(/^[^(]*\(/, "", args); sub(/\)[^)]*$/, "", args)
		np = 0; depth = 0
		if (args !~ /^ *void *$/ && args != "") {
			np = 1
			for (i = 1; i <= length(args); i++) {
				ch = substr(args, i, 1)
				if (ch == "(") depth++
				else if (ch == ")") depth--
				else if (ch == "," && depth == 0) np++
			}
		}
		print FILENAME ":" start, name, FNR - body - 1, np
		infn = 0; sig = ""; next }
	!infn && !/^[a-zA-Z_]/ { sig = "" }' "$@"
}

too_big() {	# the functions over the limits
	functions "$@" | awk -v l="$MAX_LINES" -v p="$MAX_PARAMS" '$3 > l || $4 > p'
}

# --- the rules must fail on bad input first ---------------------------------
printf 'a.o b.o\nb.o c.o\nc.o a.o\n' | loops >"$work/loop"
check "self-test: a loop of three objects is found" "$([ -s "$work/loop" ] && echo 0 || echo 1)"
{
	printf 'static int six(int a, int b, int c, int d, int e,\n\t       void (*f)(int, int))\n{\n'
	i=0
	while [ $i -lt 81 ]; do echo "	a++;"; i=$((i + 1)); done
	printf '\treturn a;\n}\n\nint ok(void)\n{\n\treturn 0;\n}\n'
} >"$work/bad.c"
bad=$(too_big "$work/bad.c")
check "self-test: an 82-line function of 6 parameters is found, a short one is not" \
	"$([ "$(echo "$bad" | awk '{print $2, $3, $4}')" = "six 82 6" ] && echo 0 || echo 1)" "$bad"

# --- the tree -----------------------------------------------------------------
edges=$(object_edges "$LIB")
check "object files use each other's symbols ($(echo "$edges" | wc -l) edges)" \
	"$([ -n "$edges" ] && echo 0 || echo 1)"
loop=$(echo "$edges" | loops)
check "no circular dependency between the library's objects (calls)" \
	"$([ -z "$loop" ] && echo 0 || echo 1)" "$loop"
loop=$(include_edges "$SRC" | loops)
check "no circular dependency between headers (includes)" \
	"$([ -z "$loop" ] && echo 0 || echo 1)" "$loop"

# plugins: the files of Makefile.am's plugin lists and the kernel IO, nfs/,
# fuse/ and blk/; what each includes, followed through headers
plugins=$(sed -n 's/^\(ENGINE\|TARGET\|BUFFER\|ACTION\|REGRESSION\)_FILES += //p' \
	"$SRC/Makefile.am")
plugins="$plugins $(cd "$SRC" && ls src/kio_*.c src/regress_common.c src/buffer.c src/target.c \
	nfs/*.c fuse/*.c blk/*.c)"
include_edges "$SRC" >"$work/inc"
bad=""
for f in $plugins; do
	seen=$(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$SRC/$f")
	todo=$seen
	while [ -n "$todo" ]; do
		next=""
		for h in $todo; do
			for i in $(awk -v h="$h" '$1 == h {print $2}' "$work/inc"); do
				case " $seen " in *" $i "*) ;; *) seen="$seen $i"; next="$next $i" ;; esac
			done
		done
		todo=$next
	done
	for h in $RUNNER_HEADERS; do
		case " $(echo $seen) " in *" $h "*) bad="$bad $f:$h" ;; esac
	done
done
check "no plugin includes a runner header ($(echo $plugins | wc -w) plugin files)" \
	"$([ -z "$bad" ] && echo 0 || echo 1)" "$bad"

cfiles=$(cd "$SRC" && ls src/*.c nfs/*.c fuse/*.c blk/*.c tests/*.c bench/*.c 2>/dev/null)
n=$(cd "$SRC" && functions $cfiles | wc -l)
big=$(cd "$SRC" && too_big $cfiles)
check "no function is longer than $MAX_LINES lines or takes more than $MAX_PARAMS parameters ($n functions)" \
	"$([ -z "$big" ] && [ "$n" -gt 300 ] && echo 0 || echo 1)" "$big"

echo "1..$step"
echo "# $((step - failures)) passed, $failures failed"
[ $failures = 0 ]
