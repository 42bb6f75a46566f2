#!/bin/sh
# The default matrix against its checked-in manifest (run by `make check`,
# TAP): every case id `iovbed list` selects by default must be in
# tests/default-matrix.manifest and the other way round, so a target,
# engine or case dropped from the matrix (or added to it) shows as a diff
# here, not as silence. After an intended change: make manifest.
#   IOVBED          the binary (default: src/iovbed)
#   IOVBED_SRCDIR   the source tree (default: this script's parent)
IOVBED=${IOVBED:-src/iovbed}
SRC=${IOVBED_SRCDIR:-$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)}
MANIFEST=$SRC/tests/default-matrix.manifest

[ -x "$IOVBED" ] || { echo "Bail out! no iovbed binary at $IOVBED"; exit 99; }
[ -r "$MANIFEST" ] || { echo "Bail out! no manifest at $MANIFEST"; exit 99; }
work=$(mktemp -d "${TMPDIR:-/tmp}/iovbed-manifest.XXXXXX") || { echo "Bail out! mktemp"; exit 99; }
trap 'rm -rf "$work"' EXIT

"$IOVBED" list | awk '{print $1}' | sort >"$work/now" || { echo "Bail out! iovbed list failed"; exit 99; }
grep -v '^#' "$MANIFEST" | sort >"$work/manifest"
n=$(wc -l <"$work/manifest")
echo "1..3"
# self-test: a manifest missing one case must differ
sed '1d' "$work/manifest" >"$work/short"
if diff -q "$work/short" "$work/now" >/dev/null; then
	echo "not ok 1 self-test: a manifest missing a case is told apart"
else
	echo "ok 1 self-test: a manifest missing a case is told apart"
fi
diff "$work/manifest" "$work/now" >"$work/diff"
if [ -s "$work/diff" ]; then
	echo "not ok 2 the default matrix is the manifest's $n cases"
	sed 's/^/# /' "$work/diff" | head -40
	echo "# (after an intended change of the matrix: make manifest, and commit the diff)"
else
	echo "ok 2 the default matrix is the manifest's $n cases"
fi
# per target, as the manifest's comment lines count them
awk -F/ '{n[$1]++} END {for (t in n) print "# " t, n[t]}' "$work/now" | sort >"$work/counts"
grep '^# [a-z0-9-]* [0-9]*$' "$MANIFEST" | sort >"$work/mcounts"
if diff "$work/mcounts" "$work/counts" >"$work/cdiff"; then
	echo "ok 3 per-target counts match the manifest's ($(wc -l <"$work/counts") targets)"
else
	echo "not ok 3 per-target counts match the manifest's"
	sed 's/^/# /' "$work/cdiff"
fi
[ ! -s "$work/diff" ] && [ ! -s "$work/cdiff" ]
