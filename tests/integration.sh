#!/bin/sh
# Integration test of iovbed on the running kernel (run by `make check`
# under automake's TAP driver: each check is one TAP line as it finishes).
# The default matrix, then proofs that the pin, dirty and timeout checks
# fail where they must, that a failure's reproduce line reproduces it,
# that a handed-over directory is judged by what is really under it, that
# interrupted and killed runs leave nothing behind and write nothing
# outside the scratch area, that bad usage and a device holding a
# filesystem are refused, and that two runs side by side do not disturb
# each other, and that the BPF observer observes or says why it cannot.
# A missing tool or a set-up that breaks is "Bail out!", never a pass.

IOVBED=${IOVBED:-src/iovbed}
case $IOVBED in /*) ;; *) IOVBED=$(pwd)/$IOVBED ;; esac
BASE=${IOVBED_SCRATCH:-/var/tmp/iovbed}
KEEP=${IOVBED_KEEP:-tests}	# where the default matrix's TAP is kept
# make distcheck: a quick check, on part of the default matrix
QUICK=${IOVBED_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	DEFAULT="--filter ext4/*,fuse/sync/*,tmpfs/sync/*,regress/*"
	MIN_RAN=100
else
	DEFAULT=""
	MIN_RAN=300
fi
failures=0
step=0

bail() {
	echo "Bail out! $*"
	exit 99
}

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP the integration test needs root (mounts, loop devices, /proc/kpageflags)"
	exit 0
fi
for c in pgrep losetup blkid mkfs.ext4 mkswap mount umount truncate mktemp diff sed grep awk; do
	command -v "$c" >/dev/null 2>&1 ||
		bail "the integration test needs '$c', which is not installed (./install-deps.sh)"
done
work=$(mktemp -d "${TMPDIR:-/tmp}/iovbed-integration.XXXXXX") || bail "mktemp -d in ${TMPDIR:-/tmp}"
ourloops=""
ourmounts=""
cleanup() {
	for m in $ourmounts; do umount -l "$m" 2>/dev/null; done
	for l in $ourloops; do losetup -d "$l" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check() {	# check NAME CONDITION-EXIT-STATUS [DETAIL]
	step=$((step + 1))
	if [ "$2" = 0 ]; then
		echo "ok $step $1"
	else
		echo "not ok $step $1"
		[ -n "$3" ] && printf '%s\n' "$3" | sed 's/^/# /'
		failures=$((failures + 1))
	fi
}

leftovers_now() {	# what a run of ours may leave: loops, mounts, scratch dirs,
		# processes of this binary (a FUSE daemon is a forked iovbed), a
		# stress run's swap file and cgroup
	losetup -a 2>/dev/null | grep -F "$BASE/run."
	grep -F "$BASE/run." /proc/mounts
	ls -d "$BASE"/run.* 2>/dev/null
	for p in $(pgrep -x iovbed); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$IOVBED_EXE" ] && echo "process $p"
	done
	grep -F "$BASE/run." /proc/swaps | sed 's/^/swap /'
	find /sys/fs/cgroup -maxdepth 2 -name 'iovbed-stress.*' 2>/dev/null | sed 's/^/cgroup /'
}

leftovers() {	# ... less what was there before this test began (another
		# iovbed of the machine's, which is not ours to judge)
	leftovers_now | grep -vxF -f "$work/foreign"
}

settle_leftovers() {	# autoclear and lazy unmounts may take a moment
	i=0
	while [ $i -lt 50 ] && [ -n "$(leftovers)" ]; do sleep 0.1; i=$((i + 1)); done
	leftovers
}

IOVBED_EXE=$(readlink -f "$IOVBED")
leftovers_now >"$work/foreign"
[ -s "$work/foreign" ] && sed 's/^/# not ours, there before the test: /' "$work/foreign"

snapshot() {	# what a run must not write into: /, $HOME
	ls -A /
	echo "--- $HOME"
	ls -A "$HOME" 2>/dev/null
}

echo "# iovbed integration on $(uname -r), work directory $work"

# 1. The default matrix, from an empty working directory: every case
#    passes or skips with a reason, and nothing is written outside the
#    scratch area.
mkdir "$work/cwd" || bail "mkdir $work/cwd"
snapshot >"$work/before"
# shellcheck disable=SC2086
(cd "$work/cwd" && "$IOVBED" run $DEFAULT --json "$work/default.json" >"$work/default.tap" \
	2>"$work/default.err")
rc=$?
snapshot >"$work/after"
sed 's/^/# /' "$work/default.err"
cp "$work/default.tap" "$KEEP/integration-default.tap" 2>/dev/null &&
	echo "# the default matrix's TAP: $KEEP/integration-default.tap"
check "default matrix passes (exit $rc)" "$([ $rc = 0 ] && echo 0 || echo 1)" "$(grep -A8 '^not ok' "$work/default.tap" | head -60)"
nok=$(grep '^ok ' "$work/default.tap" | grep -vc '# SKIP')
check "default matrix has at least $MIN_RAN cases that ran ($nok)" "$([ "$nok" -ge $MIN_RAN ] && echo 0 || echo 1)"
bad=$(grep '# SKIP *$' "$work/default.tap")
check "every skip gives its reason" "$([ -z "$bad" ] && echo 0 || echo 1)" "$bad"
if [ "$QUICK" != 1 ]; then
	manifest=${IOVBED_SRCDIR:-$(dirname "$0")/..}/tests/default-matrix.manifest
	sed -n 's/^\(not \)\{0,1\}ok [0-9]* \([^ ]*\).*/\2/p' "$work/default.tap" | sort >"$work/ran"
	missing=$(grep -v '^#' "$manifest" | sort | comm -23 - "$work/ran" | head -20)
	check "every case of the manifest ran (or skipped with a reason) in the default matrix" \
		"$([ -r "$manifest" ] && [ -z "$missing" ] && echo 0 || echo 1)" "missing: $missing"
fi
check "JSON report written" "$(grep -q '"passed": ' "$work/default.json" && echo 0 || echo 1)"
check "the summary names set-up, case and teardown times" \
	"$(grep -q '^times: set-up [0-9.]* s, cases [0-9.]* s, teardown [0-9.]* s' "$work/default.err" && echo 0 || echo 1)"
check "every FUSE daemon ended on SIGTERM (none had to be killed)" \
	"$(! grep -q 'did not end on SIGTERM' "$work/default.err" && echo 0 || echo 1)"
written=$(diff "$work/before" "$work/after"; ls -A "$work/cwd")
check "nothing written to /, \$HOME or the working directory" "$([ -z "$written" ] && echo 0 || echo 1)" "$written"
left=$(settle_leftovers)
check "nothing left behind after the default matrix" "$([ -z "$left" ] && echo 0 || echo 1)" "$left"

all_fail() {	# all_fail NAME TAPFILE EXIT [MIN]: every case that ran failed, exit 1
	nfail=$(grep -c '^not ok' "$2")
	nskip=$(grep -c '^ok .* # SKIP .' "$2")	# what the machine lacks (one NUMA node)
	plan=$(sed -n 's/^1\.\.//p' "$2")
	check "$1 (exit $3, $nfail of $plan failed, $nskip skipped)" \
		"$([ "$3" = 1 ] && [ "$nfail" = $((plan - nskip)) ] && [ "$nfail" -ge "${4:-12}" ] && echo 0 || echo 1)"
}

# On a terminal (stdout and stderr the same one), progress never runs into
# a TAP line: each is cleared first.
if command -v script >/dev/null 2>&1; then
	script -qec "'$IOVBED' run --filter 'tmpfs/sync/*,tmpfs/vector/*'" /dev/null >"$work/tty.out" 2>&1
	n=$(tr '\r' '\n' <"$work/tty.out" | sed 's/\x1b\[K//g' | grep -c '^ok [0-9]* tmpfs/')
	mixed=$(tr '\r' '\n' <"$work/tty.out" | sed 's/\x1b\[K//g' | grep -E '.ok [0-9]+ tmpfs/')
	check "on a terminal every TAP line starts clean of the progress line ($n lines)" \
		"$([ "$n" -ge 24 ] && [ -z "$mixed" ] && echo 0 || echo 1)" "$mixed"
else
	bail "the integration test needs 'script' (bsdutils) to run iovbed on a terminal"
fi

# 2. The pin check tells a converted kernel from an unconverted one: judged
#    by 6.1's expectations (iomap takes no FOLL_PIN pins), ext4 must fail
#    (its plain cases, whose ids end in the size: those an action shapes
#    may take no pins on any kernel).
"$IOVBED" run --profile 6.1 --seed 1 --filter 'ext4/sync/*[0-9],ext4/sync/*+2044k' >"$work/p61.tap" 2>&1
all_fail "--profile 6.1 fails every ext4 case on this kernel" "$work/p61.tap" $?
check "a failure prints seed, offset, path, pin deltas and how to reproduce" \
	"$(grep -q '^# case ext4/sync/.*: seed [0-9]*, file offset [0-9]*' "$work/p61.tap" &&
	   grep -q '^# path: iomap (ext4: made by iovbed)' "$work/p61.tap" &&
	   grep -q '^# pins over the case: acquired +[0-9]* released +[0-9]*' "$work/p61.tap" &&
	   grep -q "^# reproduce: /.*/iovbed run --seed 1 --filter 'ext4/sync/.*' --profile '6.1'\$" \
		"$work/p61.tap" && echo 0 || echo 1)"

# ... and FUSE direct IO from 6.9: judged by 6.8's rules, it must fail.
"$IOVBED" run --profile 6.8 --seed 1 --filter 'fuse/sync/*[0-9],fuse/sync/*+2044k' >"$work/p68.tap" 2>&1
all_fail "--profile 6.8 fails every FUSE case on this kernel" "$work/p68.tap" $?

# ... and btrfs reads into clean MAP_SHARED pages: from 6.15 they fall back
#     to buffered IO and pin nothing (the default matrix passed so); judged
#     by 6.14's rules, where the pin's EFAULT made btrfs retry and pin, they
#     must fail. A kernel before 6.15 pins them: the guests check that side.
kv=$(uname -r | sed 's/^\([0-9]*\)\.\([0-9]*\).*/\1 \2/')
if [ "${kv% *}" -gt 6 ] || { [ "${kv% *}" = 6 ] && [ "${kv#* }" -ge 15 ]; }; then
	"$IOVBED" run --profile 6.14 --seed 1 --filter 'btrfs/sync/shm-*/read/*[0-9],btrfs/sync/shm-*/read/*+2044k' >"$work/p614.tap" 2>&1
	all_fail "--profile 6.14 fails btrfs reads into clean MAP_SHARED pages" "$work/p614.tap" $? 2
else
	check "btrfs reads into MAP_SHARED pages by 6.14's rules # SKIP $(uname -r) is before 6.15" 0
fi

# ... and the dirty check fails when the pages are cleaned after the read
#     completed (the self-test beside the in-flight "clean" cases, which
#     clean them while the read is held and must see them dirty again).
"$IOVBED" run --seed 1 --filter 'fuse/sync/shm-ext4/read/64k+512/clean-after' >"$work/st.tap" 2>&1
rc=$?
check "self-test: pages cleaned after completion fail the dirty check (exit $rc)" \
	"$([ $rc = 1 ] && grep -q '^# dirty: .* buffer pages not dirty after the read' "$work/st.tap" && echo 0 || echo 1)"
# ... and so below the block layer: pages of a read held on the loop
#     device's backing file, cleaned after completion, and a truncate of
#     another file (it has no IO to wait for) beside a held one, and the
#     fsck of a filesystem whose superblocks were zeroed.
"$IOVBED" run --seed 1 --filter 'loop-fuse/sync/shm-ext4/read/64k+512/clean-after,ext4-fuse/uring/shm-xfs/read/64k+512/clean-after' \
	>"$work/stl.tap" 2>&1
rc=$?
n=$(grep -c '^# dirty: .* buffer pages not dirty after the read' "$work/stl.tap")
check "self-test: pages cleaned after a read held below the block layer completed fail the dirty check (exit $rc, $n of 2)" \
	"$([ $rc = 1 ] && [ "$n" = 2 ] && echo 0 || echo 1)" "$(grep '^not ok\|^ok\|^# dirty' "$work/stl.tap")"
"$IOVBED" run --seed 1 --filter 'ext4-fuse/sync/anon/read/64k+512/truncate-other,btrfs-fuse/aio/anon/write/64k+2044k/truncate-other' \
	>"$work/sto.tap" 2>&1
rc=$?
n=$(grep -c '^# waited: a truncate or hole punch of the range' "$work/sto.tap")
check "self-test: a truncate of another file beside a held IO fails the waited check (exit $rc, $n of 2)" \
	"$([ $rc = 1 ] && [ "$n" = 2 ] && echo 0 || echo 1)" "$(grep '^not ok\|^ok\|^# waited\|^# inflight' "$work/sto.tap")"
"$IOVBED" run --seed 1 --filter 'ext4-fuse/fsck-damaged/image/read,xfs-fuse/fsck-damaged/image/read,btrfs-fuse/fsck-damaged/image/read' \
	>"$work/stf.tap" 2>&1
rc=$?
n=$(grep -c '^# fsck: .* its superblocks zeroed: it found problems' "$work/stf.tap")
check "self-test: fsck of a filesystem with its superblocks zeroed fails (exit $rc, $n of 3)" \
	"$([ $rc = 1 ] && [ "$n" = 3 ] && echo 0 || echo 1)" "$(grep '^not ok\|^ok\|^# fsck: ' "$work/stf.tap")"
# Buffers GUP cannot take whole (a hole, PROT_NONE pages, a read-only
# destination, a MAP_SHARED tail past its file's end), on every target:
# EFAULT or a count up to the fault, the prefix's pins released; the
# summary says per path how they ended. The self-test declares a hole
# and makes none: the count check must fail.
if [ "$QUICK" != 1 ]; then
	missing=""
	for a in hole-tail hole-mid protnone-mid ro-dest eof-tail; do
		for t in ext4 xfs btrfs loop-dio fuse tmpfs ext4-fuse; do
			grep -q "^ok [0-9]* $t/.*/$a\$" "$work/default.tap" || missing="$missing $t/$a"
		done
	done
	check "buffers GUP cannot take whole ran on every target by default" \
		"$([ -z "$missing" ] && grep -q '^iomap, GUP failing part-way: ' "$work/default.err" && echo 0 || echo 1)" \
		"missing:$missing"
fi
"$IOVBED" run --seed 1 --filter 'ext4/sync/anon/read/64k+512/hole-missing,loop-dio/uring/anon/write/64k+512/hole-missing' \
	>"$work/sth.tap" 2>&1
rc=$?
n=$(grep -c "^# io: the .* returned 65536: past the buffer's fault" "$work/sth.tap")
check "self-test: a hole declared and not made fails the count check (exit $rc, $n of 2)" \
	"$([ $rc = 1 ] && [ "$n" = 2 ] && echo 0 || echo 1)" "$(grep '^not ok\|^ok\|^# io' "$work/sth.tap")"

# The file range under a direct IO laid out first (a hole, an unwritten
# extent, the end of the file, a reflink partner, cached and mapped
# pages, a compressed extent on btrfs), on every filesystem: each passes
# or skips saying what the filesystem lacks; a hole declared and not
# punched fails the zero check.
if [ "$QUICK" != 1 ]; then
	missing=""
	for a in layout-hole layout-unwritten layout-eof layout-reflink layout-cached layout-mmap \
		 layout-compressed; do
		for t in ext4 xfs btrfs ext4-fuse xfs-fuse btrfs-fuse; do
			grep -Eq "^ok [0-9]+ $t/.*/$a( # SKIP .+)?\$" "$work/default.tap" || missing="$missing $t/$a"
		done
	done
	grep -q '^ok [0-9]* xfs/.*/layout-reflink$' "$work/default.tap" || missing="$missing xfs/reflink-ran"
	grep -q '^ok [0-9]* btrfs-fuse/.*/layout-compressed$' "$work/default.tap" ||
		missing="$missing btrfs-fuse/compressed-ran"
	check "every file layout ran on every filesystem by default (or skipped saying why)" \
		"$([ -z "$missing" ] && echo 0 || echo 1)" "missing:$missing"
fi
"$IOVBED" run --seed 1 --filter 'ext4/sync/anon/read/64k+512/layout-unpunched,xfs/aio/anon/read/64k+512/layout-unpunched' \
	>"$work/stu.tap" 2>&1
rc=$?
n=$(grep -c '^# data: buffer .* bytes not zero' "$work/stu.tap")
check "self-test: a hole declared and not punched fails the zero check (exit $rc, $n of 2)" \
	"$([ $rc = 1 ] && [ "$n" = 2 ] && echo 0 || echo 1)" "$(grep '^not ok\|^ok\|^# data' "$work/stu.tap")"

# Anonymous and shmem buffers in swap when the IO begins and paged out
# again after: a read's data must come back from swap (the run's own swap
# file); the self-test drops the pages instead and must lose the data.
if [ "$QUICK" != 1 ]; then
	missing=""
	for t in ext4 xfs btrfs loop-dio fuse tmpfs ext4-fuse; do
		grep -q "^ok [0-9]* $t/.*/swapped\$" "$work/default.tap" || missing="$missing $t"
	done
	check "buffers in swap ran on every target by default" "$([ -z "$missing" ] && echo 0 || echo 1)" \
		"missing:$missing"
fi
"$IOVBED" run --seed 1 --filter 'ext4/sync/anon/read/64k+512/swapped-dropped,loop-dio/aio/anon/read/64k+512/swapped-dropped' \
	>"$work/sts.tap" 2>&1
rc=$?
n=$(grep -c '^# data: buffer after the read: first bad byte' "$work/sts.tap")
check "self-test: a read's pages dropped instead of paged out lose its data (exit $rc, $n of 2)" \
	"$([ $rc = 1 ] && [ "$n" = 2 ] && echo 0 || echo 1)" "$(grep '^not ok\|^ok\|^# data\|^# swap' "$work/sts.tap")"

# IO held by userfaultfd on its own buffer (its second half; missing-page
# and write-protect modes), on every target, with fork, munmap, mprotect,
# compaction and a truncate acting on it; the summary says per path which
# actions it survived. The self-test never resolves the fault: the case
# timeout must report it stuck, and the run recover.
if [ "$QUICK" != 1 ]; then
	missing=""
	for a in uffd-delay uffd-fork uffd-wp-fork uffd-munmap uffd-mprotect uffd-compact uffd-wp-delay; do
		for t in ext4 xfs btrfs loop-dio fuse tmpfs ext4-fuse; do
			grep -q "^ok [0-9]* $t/.*/$a\$" "$work/default.tap" || missing="$missing $t/$a"
		done
	done
	grep -q '^ok [0-9]* ext4/.*/uffd-truncate$' "$work/default.tap" || missing="$missing ext4/uffd-truncate"
	check "IO held by userfaultfd ran on every target by default, each action" \
		"$([ -z "$missing" ] && grep -q '^iomap, held by userfaultfd: ' "$work/default.err" && echo 0 || echo 1)" \
		"missing:$missing"
fi
"$IOVBED" run --seed 1 --timeout 2 --filter 'ext4/sync/anon/read/64k+512/uffd-stuck,loop-dio/aio/anon/read/64k+512/uffd-stuck' \
	>"$work/stuf.tap" 2>&1
rc=$?
n=$(grep -c '^# timeout: the read .* did not complete within 2 s' "$work/stuf.tap")
check "self-test: a userfaultfd fault never resolved is reported stuck, and the run goes on (exit $rc, $n of 2)" \
	"$([ $rc = 1 ] && [ "$n" = 2 ] && grep -q '^# stuck task wchan: handle_userfault' "$work/stuf.tap" &&
	   echo 0 || echo 1)" "$(grep '^not ok\|^ok\|^# timeout\|^# stuck task wchan' "$work/stuf.tap")"

# MAP_SHARED pages of a file on ext4 mounted data=journal (outside the
# default matrix: such reads wedged 6.18 at 4 MiB on a small journal):
# reads into them, held and not, with the dirty check and the data in the
# file; while pinned their writeback may keep them dirty, which a held
# clean notes.
"$IOVBED" run --full --seed 1 --filter '*-fuse/*/shm-ext4-journal/read/*/clean,ext4/sync/shm-ext4-journal/read/*,loop-dio/aio/shm-ext4-journal/read/*,xfs/uring/shm-ext4-journal/read/64k+512' \
	>"$work/journal.tap" 2>&1
rc=$?
n=$(grep -c '^ok [0-9]* .*/shm-ext4-journal/read/' "$work/journal.tap")
check "reads into data=journal pages: dirty after, their data in the file, held or not (exit $rc, $n passed)" \
	"$([ $rc = 0 ] && [ "$n" -ge 40 ] && echo 0 || echo 1)" "$(grep -A8 '^not ok' "$work/journal.tap" | head -40)"
# ... the pin count fails when the held buffer's pages are pinned once
#     more (process_vm_readv) though the pins balance,
"$IOVBED" run --seed 1 --filter \
	'fuse/sync/anon/read/64k+512/pinned-twice,fuse/aio/anon/write/64k+512/pinned-twice' \
	>"$work/pt.tap" 2>&1
rc=$?
n=$(grep -c '^# pins: [0-9]* acquired, exactly [0-9]* due (fuse: ' "$work/pt.tap")
check "self-test: pages pinned twice fail the pin count, the pins balanced (exit $rc, $n of 2)" \
	"$([ $rc = 1 ] && [ "$n" = 2 ] && echo 0 || echo 1)" "$(grep '^not ok\|^ok\|^# pins' "$work/pt.tap")"
# ... and a declared flavour the kernel contradicts fails where the
#     observer sees the IO; where it cannot (this host: fentry refused) the
#     case SKIPs saying why, and make check-vm requires the failure.
"$IOVBED" run --seed 1 --filter 'fuse/sync/anon/read/64k+512/misdeclared' >"$work/md.tap" 2>&1
rc=$?
check "self-test: a misdeclared flavour fails where observed, else SKIPs saying why (exit $rc)" \
	"$({ { [ $rc = 1 ] && grep -q '^# flavour ITER_KVEC: declared, contradicted at ' "$work/md.tap"; } ||
	     { [ $rc = 77 ] && grep -q '# SKIP the self-test needs the flavour observed; ' "$work/md.tap"; }; } &&
	   echo 0 || echo 1)" "$(head -5 "$work/md.tap")"
if [ "$QUICK" != 1 ]; then
check "in-flight clean cases ran in the default matrix" \
	"$(grep -q '^ok .* fuse/sync/shm-ext4/read/64k+512/clean$' "$work/default.tap" && echo 0 || echo 1)"
missing=""
for a in fork munmap dontneed mprotect compact abort kill eio short delay; do
	grep -q "^ok [0-9]* fuse/.*/$a\$" "$work/default.tap" || missing="$missing $a"
done
grep -Eq "^ok [0-9]* fuse/.*/move-pages(\$| # SKIP .+)" "$work/default.tap" || missing="$missing move-pages"
for c in 'fuse/exec/kvec/read' 'fuse/acct/kvec/write' 'fuse-plain/' 'loop-fuse/' 'ext4-fuse/'; do
	grep -q "^ok [0-9]* $c" "$work/default.tap" || missing="$missing $c"
done
check "every in-flight action, fault, kernel IO and FUSE-backed target ran in the default matrix" \
	"$([ -z "$missing" ] && echo 0 || echo 1)" "missing:$missing"

# Block and iomap IO held in flight below the loop device over the
# daemon's disk: every action on the raw loop device and each filesystem
# on one (a known limitation is TODO with its reason), the file changes
# on the filesystems, their fsck after the cases, and the per-path
# in-flight verdicts in the summary.
missing=""
for t in loop-fuse ext4-fuse xfs-fuse btrfs-fuse btrfs-fuse-nodatasum; do
	for a in clean fork munmap dontneed mprotect compact abort kill eio short delay modify; do
		grep -q "^ok [0-9]* $t/.*/$a\$" "$work/default.tap" || missing="$missing $t/$a"
	done
	[ $t = loop-fuse ] && continue
	for a in truncate punch overwrite mmap-write; do
		grep -Eq "^(ok [0-9]+ $t/.*/$a\$|not ok [0-9]+ $t/.*/$a # TODO .+)" "$work/default.tap" ||
			missing="$missing $t/$a"
	done
	grep -q "^ok [0-9]* $t/fsck/image/read\$" "$work/default.tap" || missing="$missing $t/fsck"
done
check "every in-flight action ran on the loop device and the filesystems over the daemon's disk" \
	"$([ -z "$missing" ] && echo 0 || echo 1)" "missing:$missing"
bad=""
for p in block iomap fuse; do
	grep -q "^$p in flight: pins held while in flight yes ([0-9]*/[0-9]*), re-dirtied after completion yes ([0-9]*/[0-9]*), COW after fork correct yes ([0-9]*/[0-9]*), error path balanced yes ([0-9]*/[0-9]*)" \
		"$work/default.err" || bad="$bad $p"
done
check "the summary gives block, iomap and FUSE their in-flight verdicts, all yes on $(uname -r)" \
	"$([ -z "$bad" ] && echo 0 || echo 1)" "not all yes:$bad
$(grep ' in flight: ' "$work/default.err")"

# The regression cases ran in the default matrix (a failure the kernel is
# known to have upstream is TAP TODO, with its reason), and each one's
# self-test feeds its check the bug's symptom and fails.
missing=""
for c in cow-vmsplice/anon/after-fork cow-vmsplice/thp/before-fork cow-vmsplice/anon/mprotect \
	 dirty-pipe/read-only-file uring-fork/anon/read-after-fork dio-fork/readers; do
	grep -Eq "^(ok [0-9]+ regress/$c\$|not ok [0-9]+ regress/$c # TODO .+)" "$work/default.tap" ||
		missing="$missing $c"
done
for e in splice-in splice-out vmsplice-in vmsplice-gift vmsplice-mod sendfile-out sendfile-in \
	 sendfile-tcp copy-range-out copy-range-in; do
	grep -q "^ok [0-9]* ext4/$e/" "$work/default.tap" || missing="$missing ext4/$e"
done
grep -Eq '^ok [0-9]+ ext4/finit-module/kvec/read( # SKIP .+)?$' "$work/default.tap" ||
	missing="$missing finit-module"
check "pipe, sendfile, copy_file_range, finit_module and regression cases ran by default" \
	"$([ -z "$missing" ] && echo 0 || echo 1)" "missing:$missing"
fi
# every regression's self-tests, as list --json names them (a new one is
# in without a line here)
selftests=$("$IOVBED" list --all --json | grep '"kind": "regress"' | grep '"selftest": true' |
	sed 's/.*"id": "\([^"]*\)".*/--filter \1/')
# shellcheck disable=SC2086
"$IOVBED" run --seed 1 $selftests >"$work/regress-st.tap" 2>&1
rc=$?
all_fail "self-tests of the regression checks fail as they must" "$work/regress-st.tap" $rc 8
check "... none of them as a known limitation (TODO)" \
	"$(! grep -q '# TODO' "$work/regress-st.tap" && echo 0 || echo 1)"
check "list shows the flavour each case reaches: splice-out is BVEC on 6.5+, PIPE judged as 6.1" \
	"$("$IOVBED" list --filter 'ext4/splice-out/anon/read/*' | grep -q ' ITER_BVEC ' &&
	   "$IOVBED" list --profile 6.1 --filter 'ext4/splice-out/anon/read/*' | grep -q ' ITER_PIPE ' && echo 0 || echo 1)"

# Cases are independent: a reflinking copy_file_range into xfs leaves
# later O_DIRECT writes near it buffered (no pins); the target is set up
# anew after such a case, so the writes after it still pin.
"$IOVBED" run --seed 7 --full --filter 'xfs/copy-range-in/anon/write/4k+0,xfs/dsync/anon/write/*[0-9],xfs/dsync/anon/write/*+2044k' \
	>"$work/reshape.tap" 2>&1
rc=$?
check "a case that reshapes its target's file leaves no trace in the next (exit $rc)" \
	"$([ $rc = 0 ] && [ "$(grep -c '^ok ' "$work/reshape.tap")" = 9 ] && echo 0 || echo 1)" \
	"$(grep -A4 '^not ok' "$work/reshape.tap" | head -20)"

# ... and a request never answered is reported stuck, with the kernel stack
#     of the waiting task and the daemon's state, then cut off.
"$IOVBED" run --seed 1 --timeout 2 --filter 'fuse/sync/anon/read/64k+512/stuck' >"$work/stuck.tap" 2>&1
rc=$?
check "self-test: a request never answered is reported stuck (exit $rc)" \
	"$([ $rc = 1 ] && grep -q '^# timeout: the read .* did not complete within 2 s' "$work/stuck.tap" &&
	   grep -q '^# stuck task stack: ' "$work/stuck.tap" &&
	   grep -q '^# daemon status: .* held read ' "$work/stuck.tap" &&
	   grep -q "^# reproduce: .* --timeout 2\$" "$work/stuck.tap" && echo 0 || echo 1)"
left=$(settle_leftovers)
check "nothing left behind after the stuck case" "$([ -z "$left" ] && echo 0 || echo 1)" "$left"

# 3. SIGINT in the middle of a run: it stops, cleans up, exits 130.
"$IOVBED" run --full --seed 2 >"$work/int.tap" 2>&1 &
pid=$!
sleep 4
kill -INT $pid
wait $pid
rc=$?
check "SIGINT stops the run with exit 130" "$([ $rc = 130 ] && echo 0 || echo 1)" "exit $rc"
left=$(settle_leftovers)
check "nothing left behind after SIGINT" "$([ -z "$left" ] && echo 0 || echo 1)" "$left"

# ... also while a FUSE request is held: the connection is cut, the daemon
#     stopped, the mount gone.
"$IOVBED" run --timeout 60 --filter 'fuse/sync/anon/read/64k+512/stuck' >"$work/inth.tap" 2>&1 &
pid=$!
sleep 2
kill -INT $pid
wait $pid
rc=$?
check "SIGINT while a FUSE request is held: exit 130, no case reported" \
	"$([ $rc = 130 ] && ! grep -q '^ok\|^not ok' "$work/inth.tap" && echo 0 || echo 1)" "exit $rc"
left=$(settle_leftovers)
check "nothing left behind (mounts, loops, daemons) after SIGINT while held" \
	"$([ -z "$left" ] && echo 0 || echo 1)" "$left"

# 4. SIGKILL: mounts die with the run's private namespace, loop devices
#    detach by autoclear, and the next run reclaims the scratch directory.
"$IOVBED" run --full --seed 3 >/dev/null 2>&1 &
pid=$!
sleep 3
kill -KILL $pid
wait $pid 2>/dev/null
check "a killed run leaves its scratch directory" "$([ -d "$BASE/run.$pid" ] && echo 0 || echo 1)"
"$IOVBED" run -v --filter 'tmpfs/sync/*' >/dev/null 2>"$work/reclaim.err"
rc=$?
check "the next run reclaims it" \
	"$([ $rc = 0 ] && grep -q "reclaim: $BASE/run.$pid was left by a killed run" "$work/reclaim.err" && echo 0 || echo 1)" \
	"exit $rc: $(head -3 "$work/reclaim.err")"
left=$(settle_leftovers)
check "nothing left behind after a killed run and its reclaim" "$([ -z "$left" ] && echo 0 || echo 1)" "$left"
# ... also with the FUSE daemon, its loop device and ext4 on it, and a held
#     request: the daemon dies with the run (PDEATHSIG).
"$IOVBED" run --timeout 60 --filter 'ext4-fuse/sync/anon/read/4k+0,fuse/sync/anon/read/64k+512/stuck' \
	>/dev/null 2>&1 &
pid=$!
sleep 3
kill -KILL $pid
wait $pid 2>/dev/null
"$IOVBED" run --filter 'tmpfs/sync/anon/read/*' >/dev/null 2>&1
left=$(settle_leftovers)
check "nothing left behind after a run killed with a FUSE request held" "$([ -z "$left" ] && echo 0 || echo 1)" "$left"

# 5. Bad usage: one line, usage, exit 2.
for args in "run --bogus" "run --filter nosuch/*" "run --size 3q" "run --seed x" "list --profile six" \
	"run --nfs /tmp"; do
	# shellcheck disable=SC2086
	"$IOVBED" $args >/dev/null 2>"$work/usage.err"
	rc=$?
	check "iovbed $args: exit 2 with a message" \
		"$([ $rc = 2 ] && head -1 "$work/usage.err" | grep -q '^iovbed: ' && echo 0 || echo 1)" "exit $rc"
done

# A directory that is not on NFS is refused as --nfs before anything runs.
"$IOVBED" run --nfs "$work" --nfs-url nfs://127.0.0.1/x --filter 'nfs/sync/*' >/dev/null \
	2>"$work/nfs.err"
rc=$?
check "--nfs on a directory that is not on NFS refused (exit 2)" \
	"$([ $rc = 2 ] && grep -q 'is not on an NFS mount' "$work/nfs.err" && echo 0 || echo 1)" \
	"exit $rc: $(cat "$work/nfs.err")"
# Where the kernel has no nfsd or 9p channel, those targets skip, saying so.
"$IOVBED" run --filter 'nfs3/sync/anon/*[0-9],nfs3/sync/anon/*+2044k,nfs4/discard/*,9p/sync/anon/*[0-9],9p/sync/anon/*+2044k,9p-buffered/sync/anon/*[0-9],9p-buffered/sync/anon/*+2044k' \
	>"$work/guestonly.tap" 2>&1
rc=$?
if grep -q '^nfsd$' /proc/filesystems || [ -d /sys/bus/virtio/drivers/9pnet_virtio ]; then
	check "NFS and 9p targets (this kernel has them: not judged here)" 0
else
	n=$(grep -c '^ok [0-9]* .* # SKIP \(this kernel has no NFS server\|no virtio-9p share\)' \
		"$work/guestonly.tap")
	check "NFS and 9p targets skip with the missing piece named ($n of 7, exit $rc)" \
		"$([ "$n" = 7 ] && [ $rc = 77 ] && echo 0 || echo 1)" "$(cat "$work/guestonly.tap")"
fi

# 6. What the user hands over. A directory is judged by what is really
#    under it: tmpfs copies (the control: no pins expected, it passes),
#    ext4 pins through iomap. Only iovbed's file in it is touched.
mkdir "$work/tmpfs" && mount -t tmpfs -o size=64m iovbed-it "$work/tmpfs" || bail "mount tmpfs"
ourmounts="$work/tmpfs"
echo keep >"$work/tmpfs/theirs"
"$IOVBED" run --dir "$work/tmpfs" --filter 'dir/*' >"$work/dirt.tap" 2>"$work/dirt.err"
rc=$?
check "--dir on tmpfs: found to copy, no pins expected, passes (exit $rc)" \
	"$([ $rc = 0 ] && grep -q '^dir: file in .*: tmpfs, copy path (statfs f_type 0x1021994' \
		"$work/dirt.err" && grep -q '^copy (no direct IO path): 0 of [0-9]* ' "$work/dirt.err" &&
	   [ "$(ls "$work/tmpfs")" = theirs ] && echo 0 || echo 1)" "$(cat "$work/dirt.err")"
umount "$work/tmpfs"
ourmounts=""
truncate -s 64M "$work/dev.img" || bail "truncate"
mkfs.ext4 -q -F "$work/dev.img" || bail "mkfs.ext4"
dev=$(losetup -f --show "$work/dev.img") || bail "losetup"
ourloops="$dev"
mkdir "$work/ext4" && mount "$dev" "$work/ext4" || bail "mount $dev"
ourmounts="$work/ext4"
mkdir "$work/ext4/user dir" && echo keep >"$work/ext4/user dir/theirs"
"$IOVBED" run --dir "$work/ext4/user dir" --filter 'dir/*' >"$work/dir.tap" 2>"$work/dir.err"
rc=$?
check "--dir on ext4: found to be iomap, converted, passes, leaves only the user's file" \
	"$([ $rc = 0 ] && grep -q '^dir: file in .*: ext4, iomap path (statfs f_type 0xef53' \
		"$work/dir.err" && grep -q '^iomap direct IO: converted' "$work/dir.err" &&
	   [ "$(ls "$work/ext4/user dir")" = theirs ] && echo 0 || echo 1)" "exit $rc: $(cat "$work/dir.err")"

# A failure's reproduce line, run verbatim, runs the same case and fails
# again: it carries every option that shaped the case (--dir, --profile).
"$IOVBED" run --dir "$work/ext4/user dir" --profile 6.1 --filter 'dir/sync/anon/*' \
	>"$work/dirp.tap" 2>&1
rc=$?
line=$(sed -n 's/^# reproduce: //p' "$work/dirp.tap" | head -1)
id=$(grep -m1 '^not ok' "$work/dirp.tap" | awk '{print $4}')
eval "$line" >"$work/repro.tap" 2>&1
rrc=$?
check "a failure's reproduce line reruns the same case, which fails again (exits $rc, $rrc)" \
	"$([ $rc = 1 ] && [ $rrc = 1 ] && [ -n "$id" ] && grep -q '^1\.\.1$' "$work/repro.tap" &&
	   grep -q "^not ok 1 $id\$" "$work/repro.tap" && echo 0 || echo 1)" "$line"
umount "$work/ext4"
ourmounts=""

# A device that holds a filesystem is refused; a blank one is tested.
"$IOVBED" run --device "$dev" --filter 'dev/sync/*' >/dev/null 2>"$work/dev.err"
rc=$?
check "--device holding ext4 refused (exit 2)" \
	"$([ $rc = 2 ] && grep -q 'holds a ext4 signature' "$work/dev.err" && echo 0 || echo 1)" \
	"exit $rc: $(cat "$work/dev.err")"
check "... and left untouched" "$(blkid -p "$dev" | grep -q 'TYPE="ext4"' && echo 0 || echo 1)"
"$IOVBED" run --device "$dev" --destroy --filter 'dev/sync/*,dev/uring/*' >"$work/dev.tap" 2>"$work/devd.err"
rc=$?
check "--device --destroy runs its cases on the block path" \
	"$([ $rc = 0 ] && grep -q '^ok .* dev/sync/' "$work/dev.tap" &&
	   grep -q '^dev: block device .*: block device, block path' "$work/devd.err" && echo 0 || echo 1)" "exit $rc"
losetup -d "$dev"
ourloops=""

# 7. Two runs side by side: separate scratch areas, pins counted apart.
"$IOVBED" run --seed 4 --filter 'ext4/*,loop-dio/*' >"$work/a.tap" 2>&1 &
a=$!
"$IOVBED" run --seed 5 --filter 'xfs/*,loop-nodio/*' >"$work/b.tap" 2>&1 &
b=$!
wait $a
ra=$?
wait $b
rb=$?
check "two runs side by side both pass" "$([ $ra = 0 ] && [ $rb = 0 ] && echo 0 || echo 1)" "exits $ra $rb"
left=$(settle_leftovers)
check "nothing left behind after the side-by-side runs" "$([ -z "$left" ] && echo 0 || echo 1)" "$left"

# 8. The BPF observer: it observes, or says for each hook why not; it is
# never broken on a kernel it can trace, and leaves nothing behind.
"$IOVBED" observe >"$work/observe.txt" 2>&1
rc=$?
check "observe: exit 0 (observed) or 77 (unobservable) (exit $rc)" \
	"$([ $rc = 0 ] || [ $rc = 77 ] && echo 0 || echo 1)" "$(tail -5 "$work/observe.txt")"
bad=$(grep '^hook ' "$work/observe.txt" | grep -Ev ' (attached \(|absent: |unobservable: hook [^ ]+, errno E)')
check "observe: every hook attached, absent, or unobservable with its errno" \
	"$([ -z "$bad" ] && echo 0 || echo 1)" "$bad"
nio=$(grep -Ec ': (observed|unobservable: .+|SKIP .+); declared |: SKIP .' "$work/observe.txt")
check "observe: each of the 6 reference IOs observed, or unobservable or skipped with the reason ($nio)" \
	"$({ grep -q 'built without libbpf (configure --without-libbpf)' \
		"$work/observe.txt" || { [ "$nio" -ge 6 ] && ! grep -q BROKEN "$work/observe.txt"; }; } &&
		echo 0 || echo 1)"
left=$(ls -d /var/tmp/iovbed-observe.* 2>/dev/null; losetup -a 2>/dev/null | grep -F iovbed-observe.)
check "observe: nothing left behind" "$([ -z "$left" ] && echo 0 || echo 1)" "$left"
# 8. iovbed stress: a short run on this machine's targets with every
#    disturber it allows, its three self-tests (each must fail, the FUSE
#    one named by op and seed, and its replay must fail at the same op),
#    a record replayed, SIGINT, bad usage. Nothing may be left behind.
if [ "$QUICK" = 1 ]; then
	SDUR=8
	STARGETS="--filter ext4/*,loop-dio/*,tmpfs/*,fuse/*"
else
	SDUR=20
	STARGETS=""
fi
hugepages=$(cat /proc/sys/vm/nr_hugepages)
snapshot >"$work/before"
# shellcheck disable=SC2086
(cd "$work/cwd" && "$IOVBED" stress --seed 1 --duration $SDUR $STARGETS --json "$work/stress.json" \
	>"$work/stress.out" 2>"$work/stress.err")
rc=$?
snapshot >"$work/after"
sed 's/^/# /' "$work/stress.err" | grep -v '^#   w[0-9]' | head -80
check "stress: a $SDUR s run on this machine's targets passes (exit $rc)" "$([ $rc = 0 ] && echo 0 || echo 1)"
check "stress: ops ran and their data was verified" \
	"$(grep -q '^stress: [0-9.]* s, [1-9][0-9]* ops .* verified [0-9.]* MB by the ops' "$work/stress.err" &&
	   ! grep -q 'verified 0.0 MB by the ops' "$work/stress.err" && echo 0 || echo 1)"
bad=$(sed -n '/^disturbers/,/^checkpoints/p' "$work/stress.err" | grep -v '^disturbers\|^checkpoints' |
	grep -v '^  [a-z-]* *\(achieved: .\|SKIP: .\)')
check "stress: every disturber achieved something by the kernel's counters, or skips saying why" \
	"$([ -z "$bad" ] && grep -q '^  fork  *achieved: ' "$work/stress.err" && echo 0 || echo 1)" "$bad"
check "stress: at least one checkpoint, JSON written" \
	"$(grep -q '^checkpoints: [1-9]' "$work/stress.err" && grep -q '"exit": 0' "$work/stress.json" &&
	   echo 0 || echo 1)"
written=$(diff "$work/before" "$work/after"; ls -A "$work/cwd")
check "stress: nothing written to /, \$HOME or the working directory" "$([ -z "$written" ] && echo 0 || echo 1)" "$written"
left=$(settle_leftovers)
check "stress: nothing left behind (swap file, cgroup, loops, mounts, daemons)" \
	"$([ -z "$left" ] && [ "$(cat /proc/sys/vm/nr_hugepages)" = "$hugepages" ] && echo 0 || echo 1)" "$left"

# The FUSE daemon corrupts one byte of its replies at one offset of its
# file: the run fails within seconds naming the op and the seed, and the
# replay line it prints, run verbatim, fails at the same op.
t0=$(date +%s)
"$IOVBED" stress --seed 1 --duration 60 --filter 'fuse/*' --disturb corrupt-reply >/dev/null \
	2>"$work/corrupt.err"
rc=$?
secs=$(( $(date +%s) - t0 ))
failop=$(sed -n 's/^FAIL: seed 1, worker [0-9]*, op #[0-9]*: \(.*\) slot=[0-9-]* \(.*\)/\1 \2/p' "$work/corrupt.err")
check "stress self-test: a corrupted FUSE reply fails the run within seconds, naming seed and op (exit $rc, $secs s)" \
	"$([ $rc = 1 ] && [ -n "$failop" ] && [ $secs -lt 30 ] &&
	   grep -q '^data:   found    ' "$work/corrupt.err" && grep -q '^the last [0-9]* ops of worker' \
	   "$work/corrupt.err" && echo 0 || echo 1)" "$(head -20 "$work/corrupt.err")"
line=$(sed -n 's/^replay: //p' "$work/corrupt.err")
record=$(echo "$line" | sed -n "s/.*--replay '\([^']*\)'.*/\1/p")
eval "$line" >/dev/null 2>"$work/replay.err"
rrc=$?
refail=$(sed -n 's/^FAIL: seed 1, worker [0-9]*, op #[0-9]*: \(.*\) slot=[0-9-]* \(.*\)/\1 \2/p' "$work/replay.err")
check "stress self-test: its replay, run verbatim, fails at the same op (exit $rrc)" \
	"$([ $rrc = 1 ] && [ -n "$refail" ] && [ "$refail" = "$failop" ] && echo 0 || echo 1)" \
	"$line
original: $failop
replayed: $refail"
[ -n "$record" ] && rm -f "$record"

# Stale bytes written into a MAP_SHARED buffer's file behind the mapping
# (after a verified read into it): the checkpoint's data-in-file check fails.
"$IOVBED" stress --seed 1 --duration 60 --filter 'ext4/*/shm-ext4/read/*' --disturb stale-behind \
	>/dev/null 2>"$work/stale.err"
rc=$?
check "stress self-test: stale bytes behind a MAP_SHARED mapping fail the data-in-file check (exit $rc)" \
	"$([ $rc = 1 ] && grep -q '^FAIL: seed 1, checkpoint 1 ' "$work/stale.err" &&
	   grep -q "^data: the buffer's own file after fsync" "$work/stale.err" && echo 0 || echo 1)" \
	"$(head -12 "$work/stale.err")"
# A pin kept (an io_uring registration never dropped) fails the pin check.
"$IOVBED" stress --seed 1 --duration 60 --filter 'tmpfs/sync/*' --disturb pin-keep \
	>/dev/null 2>"$work/pin.err"
rc=$?
check "stress self-test: a pin kept past a checkpoint fails the pin check (exit $rc)" \
	"$([ $rc = 1 ] && grep -q '^FAIL: seed 1, checkpoint 1 ' "$work/pin.err" &&
	   grep -q '^pins: leak: ' "$work/pin.err" && echo 0 || echo 1)" "$(head -12 "$work/pin.err")"
left=$(settle_leftovers)
check "stress: nothing left behind after the self-tests" "$([ -z "$left" ] && echo 0 || echo 1)" "$left"

# A record replays: the same ops in one thread, their data judged again.
"$IOVBED" stress --seed 2 --ops 3000 --filter 'tmpfs/*,loop-dio/*' --record "$work/ops" >/dev/null \
	2>"$work/rec.err"
rc=$?
"$IOVBED" stress --replay "$work/ops" --filter 'tmpfs/*,loop-dio/*' >/dev/null 2>"$work/rep.err"
rrc=$?
n=$(grep -c '^w[0-9]' "$work/ops")
check "stress: --record writes every op, --replay runs them again (exits $rc, $rrc, $n ops)" \
	"$([ $rc = 0 ] && [ $rrc = 0 ] && [ "$n" = 3000 ] &&
	   grep -q "^replay: 3000 ops run from $work/ops" "$work/rep.err" && echo 0 || echo 1)" \
	"$(tail -3 "$work/rep.err")"

# SIGINT: the run stops, prints its summary so far, cleans up, exits 130.
# (on tmpfs and the loop devices, direct IO only: what is tested is the
# signal; a data failure of another kind must not stand in its way)
"$IOVBED" stress --seed 3 --duration 120 --filter 'tmpfs/*,loop-dio/*' --mix direct \
	>/dev/null 2>"$work/sint.err" &
pid=$!
sleep 10
kill -INT $pid
wait $pid
rc=$?
left=$(settle_leftovers)
check "stress: SIGINT stops it with the summary so far, exit 130, nothing left behind" \
	"$([ $rc = 130 ] && grep -q '^stress: interrupted' "$work/sint.err" && [ -z "$left" ] &&
	   [ "$(cat /proc/sys/vm/nr_hugepages)" = "$hugepages" ] && echo 0 || echo 1)" \
	"exit $rc: $left
$(grep -A3 '^FAIL' "$work/sint.err" | head -8)"

for args in "stress --disturb nosuch" "stress --record a --replay b" "stress --chaos 11" "stress --mix foo" \
	"run --depth 3" "stress --full"; do
	# shellcheck disable=SC2086
	"$IOVBED" $args >/dev/null 2>"$work/usage.err"
	rc=$?
	check "iovbed $args: exit 2 with a message" \
		"$([ $rc = 2 ] && head -1 "$work/usage.err" | grep -q '^iovbed: ' && echo 0 || echo 1)" "exit $rc"
done

echo "1..$step"
echo "# $((step - failures)) passed, $failures failed"
[ $failures = 0 ]
