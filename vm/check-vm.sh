#!/bin/sh
# make check-vm: each guest kernel booted once under QEMU, every phase in
# that boot:
#   1. the default matrix (block, iomap, FUSE, NFSv3, NFSv4.2, 9p,
#      DISCARD, the regression cases), which must pass;
#   2. the pin check judged by the other kernel's rules (--profile): it must
#      fail exactly the cases whose path converted between the two;
#   3. the self-tests, which must fail (DISCARD answered, pages cleaned
#      after completion, the regression checks fed the bug's symptom);
#   4. the stuck self-test (a FUSE request never answered, --timeout 2).
# Then it asserts per kernel what the guest measured: Debian's 6.1 is
# before the FOLL_PIN conversions (block, iomap, FUSE, 9p, NFS: not
# converted); 6.12 is after them (block, iomap, FUSE, 9p converted; NFS
# not; 9p page-cache IO reaches the transport as ITER_FOLIOQ).
#
#   check-vm.sh [--full] IOVBED LOGDIR
#
# --full (make check-vm-full, outside CI): the guests run every variant.
# LOGDIR keeps each guest's console output and each phase's TAP, stderr
# and status. IOVBED_VM_KERNELS picks the kernels ("6.1 6.12"),
# IOVBED_VM_ARGS adds `iovbed vm` options. Exit: 0 all as expected, 1
# not, 77 no kernel to boot (./install-deps.sh --vm).
full=""
if [ "${1:-}" = --full ]; then
	full=--full
	shift
fi
IOVBED=${1:-src/iovbed}
LOGDIR=${2:-check-vm-logs}
KERNELS=${IOVBED_VM_KERNELS:-6.1 6.12}
VMARGS=${IOVBED_VM_ARGS:-}
KCACHE=${IOVBED_KERNEL_CACHE:-/var/cache/iovbed/kernels}
MUST_RUN='ext4 xfs btrfs loop-dio loop-nodio fuse fuse-splice nfs3 nfs4 9p 9p-cached 9p-buffered nfs3/discard nfs4/discard'
MUST_RUN="$MUST_RUN loop-fuse ext4-fuse xfs-fuse btrfs-fuse btrfs-fuse-nodatasum"
# (plain cases: their ids end in the size; an action may shape a case so
# that it takes no pins on any kernel)
CROSS='ext4/sync/*[0-9],ext4/sync/*+2044k,btrfs/sync/*[0-9],btrfs/sync/*+2044k,loop-dio/sync/*[0-9],loop-dio/sync/*+2044k,fuse/sync/*[0-9],fuse/sync/*+2044k,9p/sync/*[0-9],9p/sync/*+2044k'
CROSS="$CROSS,9p-buffered/sync/*[0-9],9p-buffered/sync/*+2044k,nfs3/sync/*[0-9],nfs3/sync/*+2044k,ext4/uring-fixed/*[0-9],ext4/uring-fixed/*+2044k,ext4/splice-in/*[0-9],ext4/splice-in/*+2044k"
SELFTESTS='nfs3/discard-answered/discard/read,nfs4/discard-answered/discard/read'
SELFTESTS="$SELFTESTS,fuse/sync/shm-ext4/read/64k+512/clean-after"
SELFTESTS="$SELFTESTS,regress/cow-vmsplice/anon/child-writes,regress/dirty-pipe/file-written"
SELFTESTS="$SELFTESTS,regress/uring-fork/anon/read-before-fork,regress/dio-fork/lost-read"
SELFTESTS="$SELFTESTS,regress/cow-vmsplice/hugetlb/child-writes"
SELFTESTS="$SELFTESTS,regress/splice-truncate/foreign-bytes"
# the observer's and the exact pin count's: a declared flavour the kernel
# contradicts, pages pinned twice while the pins balance
SELFTESTS="$SELFTESTS,fuse/sync/anon/read/64k+512/misdeclared,fuse/vector/anon/write/64k+512/misdeclared"
SELFTESTS="$SELFTESTS,fuse/sync/anon/read/64k+512/pinned-twice,fuse/aio/anon/write/64k+512/pinned-twice"
# ... and below the block layer: pages cleaned after a held read, a
# truncate of another file beside a held IO, a damaged filesystem's fsck
SELFTESTS="$SELFTESTS,ext4-fuse/sync/shm-ext4/read/64k+512/clean-after"
SELFTESTS="$SELFTESTS,xfs-fuse/uring/anon/read/64k+512/truncate-other,btrfs-fuse/fsck-damaged/image/read"
NSELFTESTS=16
MANIFEST=${IOVBED_MANIFEST:-$(dirname "$0")/../tests/default-matrix.manifest}

n=0 failures=0
check() {	# check OK DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 1 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failures=$((failures + 1))
	fi
}

have_kernel() {	# the same places iovbed vm --kernel looks
	for f in /boot/vmlinuz-"$1".* /boot/vmlinuz-"$1"-* "$KCACHE"/"$1".*/boot/vmlinuz-"$1".*; do
		[ -r "$f" ] && return 0
	done
	return 1
}

# What kernel K must measure, by series: the profile that tells it apart,
# which paths converted, how 9p page-cache IO reaches the transport.
expect() {	# expect K
	case "$1" in
	6.1) other=6.18 converted="" folio=ITER_XARRAY ;;
	6.12) other=6.1 converted="block iomap fuse 9p" folio=ITER_FOLIOQ ;;
	*) return 1 ;;
	esac
}

# Under the other kernel's profile these cases must fail, and only these:
# the user-buffer cases of every path that converted between the two
# kernels. btrfs reads into clean MAP_SHARED pages take no pin on 6.1
# (FOLL_GET) nor, judged by 6.18, from 6.15 (buffered fallback): on 6.1
# they pass either way; on 6.12 they pin, which 6.1's rules refuse.
must_fail() {	# must_fail K ID
	case "$1:$2" in
	6.1:btrfs/sync/shm-*/read/*) return 1 ;;
	*:ext4/sync/* | *:btrfs/sync/* | *:loop-dio/sync/* | *:fuse/sync/* | *:9p/sync/*) return 0 ;;
	esac
	return 1
}

boot() {	# boot K DIR: the one boot of kernel K, every phase
	# shellcheck disable=SC2086
	"$IOVBED" vm --kernel "$1" --out "$2" $VMARGS ${full:+--timeout 14400} \
		--phase "--seed 1 $full" \
		--phase "--seed 1 --profile $other --filter '$CROSS'" \
		--phase "--seed 1 --filter '$SELFTESTS'" \
		--phase "--seed 1 --timeout 2 --filter 'fuse/sync/anon/read/64k+512/stuck'" \
		>"$2/console.txt" 2>&1
}

# The failures the matrix should not have had, each with the line that
# reproduces it in the same guest.
show_failures() {	# show_failures K TAP
	awk '/^(not )?ok / { show = /^not ok / && !/# TODO/ } show' "$2" |
		sed "s|^# reproduce: [^ ]*iovbed run |# reproduce: $IOVBED vm --kernel $1 -- |" | head -200
}

check_matrix() {	# check_matrix K DIR
	tap=$2/phase-1.tap err=$2/phase-1.err st=$(cat "$2/phase-1.status" 2>/dev/null)
	[ "$st" = 0 ] || show_failures "$1" "$tap"
	check "$([ "$st" = 0 ] && echo 1)" "$1: the guest matrix passes (exit ${st:-none})"
	# every plain case of these targets runs (ids end in the size); an
	# action may skip where the filesystem cannot shape the case (no
	# compression on ext4, no reflink): with its reason on the line
	for t in $MUST_RUN; do
		ran=$(grep -c "^ok [0-9]* $t/" "$tap")
		skipped=$(grep -c "^ok [0-9]* $t/.*# SKIP" "$tap")
		plain=$(grep -cE "^ok [0-9]+ $t/[^ ]*/[0-9][^/ ]* # SKIP" "$tap")
		bare=$(grep -cE "^ok [0-9]+ $t/[^ ]* # SKIP *$" "$tap")
		check "$([ "$ran" -gt 0 ] && [ "$plain" = 0 ] && [ "$bare" = 0 ] && echo 1)" \
			"$1: $t cases ran: $((ran - skipped)) passed, $skipped skipped ($plain plain cases, $bare without a reason)"
	done
	for p in block iomap fuse 9p nfs; do
		want="not converted"
		case " $converted " in *" $p "*) want="converted (FOLL_PIN)" ;; esac
		line=$(grep "^$p direct IO: " "$err")
		check "$(printf '%s' "$line" | grep -q "^$p direct IO: $want (" && echo 1)" \
			"$1: the report says: $p direct IO: $want [${line#*: }]"
	done
	check "$(grep -q "^9p-buffered: the IO reaches the transport as $folio " "$err" && echo 1)" \
		"$1: 9p page-cache IO reaches the transport as $folio"
}

# What the held cases of block, iomap and FUSE showed, per kernel: on 6.1
# (FOLL_GET) no pins while in flight, the observer's GUP hooks saw the
# references taken instead, and fork's COW went wrong somewhere (the
# read landed in the child's page: TODO); on 6.12 pins held while in
# flight and fork's COW right. Re-dirtying and the error path's balance
# hold on both.
check_inflight() {	# check_inflight K DIR
	err=$2/phase-1.err
	for p in block iomap fuse; do
		line=$(grep "^$p in flight: " "$err")
		ok=1
		printf '%s' "$line" | grep -q 're-dirtied after completion yes (' || ok=0
		printf '%s' "$line" | grep -q 'error path balanced yes (' || ok=0
		case "$1" in
		6.1)
			printf '%s' "$line" | grep -q 'pins held while in flight no (0/' || ok=0
			printf '%s' "$line" | grep -Eq 'pages taken by GUP \(observed\) yes \([0-9]+/[0-9]+\) \[FOLL_GET in [1-9][0-9]*, FOLL_PIN in 0\]' || ok=0
			printf '%s' "$line" | grep -Eq 'COW after fork correct (no|MIXED) ' || ok=0 ;;
		*)
			printf '%s' "$line" | grep -q 'pins held while in flight yes (' || ok=0
			printf '%s' "$line" | grep -q 'COW after fork correct yes (' || ok=0 ;;
		esac
		check "$ok" "$1: $p IO held in flight measured as $1 must be: ${line#*: }"
	done
}

# Each case that ran says where the kernel showed its flavour, or why it
# could not: "observed at HOOK" (none: "observed: no iterator reached
# ..."), or "declared; unobservable: hook, errno".
# Anything else (a contradiction, an attached observer that saw nothing)
# fails; so does a case with no flavour line at all.
check_observed() {	# check_observed K DIR
	awk '/^(not )?ok [0-9]+ / { if (id != "") print id, st; id = ""; st = "none"
			if ($0 !~ /# SKIP/) { l = $0; sub(/^(not )?ok [0-9]+ /, "", l); id = l
				sub(/ .*/, "", id) }
			next }
	     id != "" && /^# flavour [A-Za-z_]+: observed(:| at) / { st = "observed" }
	     id != "" && /^# flavour [A-Za-z_]+: declared; unobservable: / { st = "unobservable" }
	     id != "" && /^# flavour [A-Za-z_]+: / &&
		!/: observed(:| at) |: declared; unobservable: / { st = "wrong" }
	     END { if (id != "") print id, st }' "$2/phase-1.tap" >"$2/observed"
	nobs=$(grep -c ' observed$' "$2/observed")
	nun=$(grep -c ' unobservable$' "$2/observed")
	grep -v ' observed$\| unobservable$' "$2/observed" >"$2/observed.wrong"
	check "$([ "$nobs" -gt 0 ] && [ ! -s "$2/observed.wrong" ] && echo 1)" \
		"$1: each case's flavour observed ($nobs) or unobservable with the reason ($nun); \
$(wc -l <"$2/observed.wrong") neither"
	sed 's/^/# neither: /' "$2/observed.wrong" | head -10
	sed -n 's/^\(observed ITER_[A-Z]*: .*\)/# \1/p' "$2/phase-1.err"
}

# Every case of the checked-in manifest of the default matrix ran (or
# skipped with its reason) in the guest: a case dropped from the matrix
# shows here, not as silence.
check_manifest() {	# check_manifest K DIR
	tap=$2/phase-1.tap
	sed -n 's/^\(not \)\{0,1\}ok [0-9]* \([^ ]*\).*/\2/p' "$tap" | sort >"$2/ran"
	grep -v '^#' "$MANIFEST" | sort | comm -23 - "$2/ran" >"$2/manifest.missing"
	check "$([ -r "$MANIFEST" ] && [ ! -s "$2/manifest.missing" ] && echo 1)" \
		"$1: every case of the manifest ran ($(grep -vc '^#' "$MANIFEST") cases, \
$(wc -l <"$2/manifest.missing") missing)"
	sed 's/^/# missing: /' "$2/manifest.missing" | head -10
}

check_cross() {	# check_cross K DIR
	tap=$2/phase-2.tap st=$(cat "$2/phase-2.status" 2>/dev/null)
	awk '/^ok [0-9]+ / { print "ok", $3 } /^not ok [0-9]+ / { print "fail", $4 }' "$tap" |
		while read -r verdict id; do
			if must_fail "$1" "$id"; then want=fail; else want=ok; fi
			[ $verdict = $want ] || echo "$id: $verdict, must $want"
		done >"$2/cross.wrong"
	nfail=$(grep -c '^not ok ' "$tap")
	npin=$(awk '/^not ok / { c = $4 } /^# pins: expected / && c { n++; c = "" } END { print n + 0 }' "$tap")
	check "$([ "$st" = 1 ] && [ ! -s "$2/cross.wrong" ] && [ "$nfail" -ge 48 ] && [ "$npin" = "$nfail" ] &&
		 ! grep -q '# TODO' "$tap" && echo 1)" \
		"$1: judged by $other's rules, exactly the converted paths' cases fail ($nfail, $npin by the pin check, exit ${st:-none})"
	sed 's/^/# /' "$2/cross.wrong" | head -20
	for g in nfs3/sync 9p-buffered/sync ext4/uring-fixed ext4/splice-in; do
		good=$(grep -c "^ok [0-9]* $g/" "$tap")
		check "$([ "$good" -ge 6 ] && echo 1)" "$1: judged by $other's rules, $g still passes ($good)"
	done
}

check_selftests() {	# check_selftests K DIR
	tap=$2/phase-3.tap st=$(cat "$2/phase-3.status" 2>/dev/null)
	bad=$(grep '^not ok ' "$tap" | grep -vc '# TODO')
	check "$([ "$st" = 1 ] && [ "$bad" = $NSELFTESTS ] && echo 1)" \
		"$1: the self-tests fail as they must: $bad of $NSELFTESTS (exit ${st:-none})"
	tap=$2/phase-4.tap st=$(cat "$2/phase-4.status" 2>/dev/null)
	check "$([ "$st" = 1 ] && grep -q '^# timeout: the read .* did not complete within 2 s' "$tap" &&
		 grep -q '^# stuck task stack: ' "$tap" && echo 1)" \
		"$1: a FUSE read never answered is reported stuck (exit ${st:-none})"
}

guest() {	# guest K: boot it, check what it measured
	dir=$LOGDIR/$1
	rm -rf "$dir" && mkdir -p "$dir" || exit 99
	if ! expect "$1"; then
		check 0 "$1: check-vm knows what kernel $1 must measure"
		return
	fi
	if ! have_kernel "$1"; then
		check 0 "$1: a $1 kernel to boot (./install-deps.sh --vm)"
		return
	fi
	start=$(date +%s)
	boot "$1" "$dir"
	rc=$?
	grep '^# iovbed-vm: ' "$dir/console.txt"
	echo "# $1: guest booted once, $(( $(date +%s) - start )) s in all; logs in $dir"
	check "$([ $rc -lt 124 ] && echo 1)" "$1: the guest ran every phase (iovbed vm exit $rc)"
	[ $rc -lt 124 ] || { tail -40 "$dir/console.txt"; return; }
	check_matrix "$1" "$dir"
	check_inflight "$1" "$dir"
	check_manifest "$1" "$dir"
	check_observed "$1" "$dir"
	check_cross "$1" "$dir"
	check_selftests "$1" "$dir"
}

# The per-path verdicts of every guest side by side, with its time.
summary() {
	printf '# %-6s' path
	for k in $KERNELS; do
		printf ' %-38s' "$(sed -n 's/^# iovbed-vm: guest \([^ ]*\) ran \([0-9]*\) s.*/\1, \2 s/p' \
			"$LOGDIR/$k/console.txt" 2>/dev/null)"
	done
	echo
	for p in block iomap fuse 9p nfs; do
		printf '# %-6s' "$p"
		for k in $KERNELS; do
			printf ' %-38s' "$(sed -n "s/^$p direct IO: \([^;]*\);.*/\1/p" "$LOGDIR/$k/phase-1.err" |
				sed 's/ (\([0-9]* of [0-9]*\) user-buffer cases pinned)/, \1 pinned/')"
		done
		echo
	done
}

any=""
for k in $KERNELS; do have_kernel "$k" && any=1; done
if [ -z "$any" ]; then
	echo "SKIP: no guest kernel ($KERNELS) in /boot or $KCACHE (./install-deps.sh --vm)"
	exit 77
fi
mkdir -p "$LOGDIR" || exit 99
t0=$(date +%s)
for k in $KERNELS; do guest "$k"; done
summary
echo "# make check-vm: $(( $(date +%s) - t0 )) s"
echo "1..$n"
echo "# $((n - failures)) passed, $failures failed"
[ $failures = 0 ]
