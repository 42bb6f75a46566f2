#!/bin/sh
# make check-vm: the guest matrix on Debian's 6.1 kernel under QEMU (block,
# iomap, FUSE, NFSv3, NFSv4.2, 9p, the regression cases), then the proof
# that the pin check tells the kernels apart: judged by 6.18's rules in the
# same guest, every block, iomap and FUSE case must fail, while the NFS
# and io_uring fixed-buffer cases, which pin alike in both, still pass.
# Exit: 0 all as expected, 1 not, 77 nothing to boot (./install-deps.sh --vm).
IOVBED=${1:-src/iovbed}
VMARGS=${IOVBED_VM_ARGS:-}
GUEST_FILTER=${IOVBED_VM_FILTER:-'ext4/*,xfs/*,btrfs/*,loop-dio/*,loop-nodio/*,fuse/*,fuse-splice/*,nfs3/*,nfs4/*,9p/*,9p-cached/*,9p-buffered/*,regress/*'}
MUST_RUN=${IOVBED_VM_MUST_RUN:-'loop-dio nfs3 nfs4 9p 9p-cached 9p-buffered nfs3/discard nfs4/discard'}
if ! ls /boot/vmlinuz-6.1.* >/dev/null 2>&1 && [ -z "$VMARGS" ]; then
	echo "SKIP: no Debian 6.1 kernel in /boot (./install-deps.sh --vm)"
	exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/iovbed-check-vm.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
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

start=$(date +%s)
# shellcheck disable=SC2086
"$IOVBED" vm $VMARGS -- --seed 1 --filter "$GUEST_FILTER" >"$work/guest.tap" 2>"$work/guest.err"
rc=$?
cat "$work/guest.tap" "$work/guest.err"
echo "# guest matrix: exit $rc in $(( $(date +%s) - start )) s"
check "$([ $rc = 0 ] && echo 1)" "guest matrix on 6.1 passes (exit $rc)"
for t in $MUST_RUN; do
	ran=$(grep -c "^ok [0-9]* $t/" "$work/guest.tap")
	skipped=$(grep -c "^ok [0-9]* $t/.*# SKIP" "$work/guest.tap")
	check "$([ "$ran" -gt 0 ] && [ "$skipped" = 0 ] && echo 1)" \
		"$t cases ran in the guest: $((ran - skipped)) passed, $skipped skipped"
done
check "$(grep -q '^nfs direct IO: not converted' "$work/guest.err" && echo 1)" \
	"the report says: nfs direct IO: not converted"

start=$(date +%s)
# shellcheck disable=SC2086
"$IOVBED" vm $VMARGS -- --seed 1 --profile 6.18 \
	--filter 'ext4/sync/*,loop-dio/sync/*,fuse/sync/*,nfs3/sync/*,ext4/uring-fixed/*' \
	>"$work/p618.tap" 2>&1
rc=$?
sed 's/^/# 6.18 rules: /' "$work/p618.tap"
echo "# --profile 6.18 run: exit $rc in $(( $(date +%s) - start )) s"
for t in ext4/sync loop-dio/sync fuse/sync; do
	total=$(grep -c "^\(not \)\{0,1\}ok [0-9]* $t/" "$work/p618.tap")
	bad=$(grep -c "^not ok [0-9]* $t/" "$work/p618.tap")
	check "$([ "$total" -ge 12 ] && [ "$bad" = "$total" ] && echo 1)" \
		"--profile 6.18 in the 6.1 guest: $t fails $bad of $total (all must)"
done
for t in nfs3/sync ext4/uring-fixed; do
	total=$(grep -c "^\(not \)\{0,1\}ok [0-9]* $t/" "$work/p618.tap")
	good=$(grep "^ok [0-9]* $t/" "$work/p618.tap" | grep -vc '#')
	check "$([ "$total" -ge 12 ] && [ "$good" = "$total" ] && echo 1)" \
		"--profile 6.18 in the 6.1 guest: $t passes $good of $total (all must)"
done
check "$([ $rc = 1 ] && echo 1)" "--profile 6.18 run exits 1 (exit $rc)"

# the DISCARD case's self-test: the reply finds its task, nothing is dropped
# shellcheck disable=SC2086
"$IOVBED" vm $VMARGS -- --seed 1 \
	--filter 'nfs3/discard-answered/discard/read,nfs4/discard-answered/discard/read' \
	>"$work/self.tap" 2>&1
rc=$?
sed 's/^/# self-test: /' "$work/self.tap"
bad=$(grep -c "^not ok [0-9]* nfs[34]/discard-answered/" "$work/self.tap")
check "$([ $rc = 1 ] && [ "$bad" = 2 ] && echo 1)" \
	"discard self-tests fail in the guest: $bad of 2 (exit $rc)"
echo "$((n - failures)) passed, $failures failed"
[ $failures = 0 ]
