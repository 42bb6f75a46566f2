#!/bin/sh
# iovbed stress beside fio, in the same configuration on the same machine:
# ext4 on a loop device over a sparse file in /var/tmp, and the raw loop
# device (loop direct IO on, as iovbed's own scratch filesystems and its
# loop-dio target have it), io_uring, O_DIRECT, 128 KiB blocks, iodepth 32,
# 2 jobs (workers), a 16 MiB file (iovbed's target area), iovbed's
# disturbers off, the page cache dropped before each phase. A write phase
# then a read phase for each tool: fio without verify, fio with
# verify=crc32c (its write phase fills the file sequentially with verify
# headers, its read phase checks them), and iovbed stress (its writes
# random, its reads each checked byte for byte against its model: the
# bytes verified must equal the bytes read). Each phase runs --runs times
# (3), the tools alternating; the median and the spread (max - min) of
# each are printed in MB/s (10^6 bytes), then the ratios of iovbed's
# verified read throughput to fio's with and without verify (the aim: at
# least 1 and 0.8).
#
# usage: bench/stress-fio.sh [--runs N] [--seconds S]   (as root)
#   BUILD=DIR   the build directory (default: this script's parent)
#
# Exit: 0 measured; 1 a tool failed (its output is shown); 2 usage;
# 77 not root or fio missing; 130 interrupted.

runs=3
secs=10
usage() {
	echo "usage: $0 [--runs N] [--seconds S]   (BUILD=DIR selects the build directory)" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--runs) [ $# -ge 2 ] || usage; runs=$2; shift 2 ;;
	--seconds) [ $# -ge 2 ] || usage; secs=$2; shift 2 ;;
	*) usage ;;
	esac
done
case $runs$secs in *[!0-9]*) usage ;; esac
[ "$runs" -ge 1 ] && [ "$secs" -ge 1 ] || usage
if [ "$(id -u)" != 0 ]; then
	echo "$0: needs root (loop devices, mounts, drop_caches, iovbed stress)" >&2
	exit 77
fi
for c in fio losetup mkfs.ext4 mount umount truncate awk sort; do
	command -v "$c" >/dev/null 2>&1 || { echo "$0: needs '$c' (./install-deps.sh)" >&2; exit 77; }
done
if [ -z "${BUILD:-}" ]; then
	BUILD=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd) || exit 1
fi
iovbed=$BUILD/src/iovbed
[ -x "$iovbed" ] || { echo "$0: $iovbed not built" >&2; exit 1; }

work=$(mktemp -d /var/tmp/iovbed-bench.XXXXXX) || exit 1
ext4dev="" rawdev=""
cleanup() {
	umount "$work/mnt" 2>/dev/null
	[ -n "$ext4dev" ] && losetup -d "$ext4dev" 2>/dev/null
	[ -n "$rawdev" ] && losetup -d "$rawdev" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# fio's side: what iovbed makes for itself (blk/scratchfs.c, target_loop.c)
truncate -s 512M "$work/ext4.img" && truncate -s 16M "$work/raw.img" || exit 1
ext4dev=$(losetup -f --show --direct-io=on "$work/ext4.img") || exit 1
rawdev=$(losetup -f --show --direct-io=on "$work/raw.img") || exit 1
mkfs.ext4 -q -F -E nodiscard "$ext4dev" && mkdir "$work/mnt" && mount "$ext4dev" "$work/mnt" || exit 1
truncate -s 16M "$work/mnt/fio.dat" || exit 1

drop() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# The first bw_bytes of fio's JSON section "read" or "write", in MB/s.
fio_mbs() {	# fio_mbs FILE read|write
	awk -v s="\"$2\" : {" 'index($0, s) { on = 1 }
		on && /"bw_bytes"/ { gsub(/[^0-9]/, "", $3); printf "%.0f\n", $3 / 1e6; exit }' "$1"
}

# fio_phase FILE write|read VERIFY(0/1): MB/s on stdout
fio_phase() {
	if [ "$2" = write ]; then rw=write; else rw=randread; fi
	v=""
	[ "$3" = 1 ] && v="--verify=crc32c --do_verify=$([ "$2" = read ] && echo 1 || echo 0) --verify_state_save=0"
	drop
	# shellcheck disable=SC2086
	if ! fio --name=bench --filename="$1" --rw=$rw --bs=128k --ioengine=io_uring --direct=1 \
		--iodepth=32 --numjobs=2 --size=8M --offset_increment=8M --group_reporting \
		--time_based --runtime="$secs" $v --output-format=json >"$work/fio.json" 2>"$work/fio.err"; then
		echo "$0: fio failed:" >&2
		cat "$work/fio.err" >&2
		exit 1
	fi
	fio_mbs "$work/fio.json" "$2"
}

# iovbed_phase TARGET write|read: "MB/s verified-MB/s" on stdout
iovbed_phase() {
	drop
	if ! "$iovbed" stress --filter "$1/uring/anon/$2/*" --block 128k --depth 32 --workers 2 \
		--disturb none --mix direct --duration "$secs" --seed 1 --json "$work/iovbed.json" \
		>/dev/null 2>"$work/iovbed.err"; then
		echo "$0: iovbed stress failed:" >&2
		tail -30 "$work/iovbed.err" >&2
		exit 1
	fi
	awk -F'[:,]' '/"seconds"/ { s = $2 } /"bytes_moved"/ { m = $2 } /"bytes_verified"/ { v = $2 }
		END { printf "%.0f %.0f\n", m / s / 1e6, v / s / 1e6 }' "$work/iovbed.json"
}

# Every phase, the tools alternating, runs times: "label run value" lines.
measure() {
	r=1
	while [ $r -le "$runs" ]; do
		for t in ext4 raw; do
			if [ $t = ext4 ]; then f=$work/mnt/fio.dat; it=ext4; else f=$rawdev; it=loop-dio; fi
			for ph in write read; do
				echo "$t $ph fio $r $(fio_phase "$f" $ph 0)"
				echo "$t $ph fio+crc32c $r $(fio_phase "$f" $ph 1)"
				set -- $(iovbed_phase $it $ph)
				echo "$t $ph iovbed $r $1"
				[ $ph = read ] && echo "$t $ph iovbed-verified $r $2"
			done
		done
		r=$((r + 1))
	done
}

echo "# iovbed stress beside fio on $(uname -r): $runs runs of $secs s per phase, 128 KiB, iodepth 32, 2 jobs, 16 MiB"
measure >"$work/all" || exit 1
# median and spread per target, phase and tool
printf '%-5s %-6s %-16s %8s %8s   %s\n' target phase tool median spread "runs (MB/s)"
awk '{ k = $1 " " $2 " " $3; v[k] = v[k] " " $5; order[k] = NR } END { for (k in v) print order[k], k, v[k] }' \
	"$work/all" | sort -n | cut -d' ' -f2- | while read -r t ph tool vals; do
	med=$(echo "$vals" | tr ' ' '\n' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	spr=$(echo "$vals" | tr ' ' '\n' | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print hi - lo }')
	printf '%-5s %-6s %-16s %8s %8s   %s\n' "$t" "$ph" "$tool" "$med" "$spr" "$vals"
	echo "$t $ph $tool $med" >>"$work/medians"
done
for t in ext4 raw; do
	awk -v t=$t '$1 == t && $2 == "read" { m[$3] = $4 }
		END { if (m["fio+crc32c"] && m["fio"])
			printf "%s read: iovbed verified / fio with crc32c verify %.2f (aim >= 1), / fio " \
			       "without verify %.2f (aim >= 0.8)\n", t, m["iovbed-verified"] / m["fio+crc32c"],
			       m["iovbed-verified"] / m["fio"] }' "$work/medians"
	awk -v t=$t '$1 == t && $2 == "read" && $3 == "iovbed" { m = $5 }
		$1 == t && $2 == "read" && $3 == "iovbed-verified" && $5 != m {
			print t ": bytes verified differ from bytes read in run " $4; bad = 1 }
		END { exit bad }' "$work/all" || exit 1
done
exit 0
