#!/bin/sh
# make check-vm: the guest matrix on Debian's 6.1 kernel under QEMU, then
# the proof that the pin check tells the kernels apart: the same ext4 cases
# judged by 6.18's rules must all fail in the 6.1 guest.
# Exit: 0 both as expected, 1 not, 77 nothing to boot (./install-deps.sh --vm).
IOVBED=${1:-src/iovbed}
VMARGS=${IOVBED_VM_ARGS:-}
GUEST_FILTER=${IOVBED_VM_FILTER:-'ext4/*,xfs/*,btrfs/*,loop-nodio/*,fuse/*,fuse-splice/*,regress/*'}
if ! ls /boot/vmlinuz-6.1.* >/dev/null 2>&1 && [ -z "$VMARGS" ]; then
	echo "SKIP: no Debian 6.1 kernel in /boot (./install-deps.sh --vm)"
	exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/iovbed-check-vm.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
failures=0
start=$(date +%s)
# shellcheck disable=SC2086
"$IOVBED" vm $VMARGS -- --seed 1 --filter "$GUEST_FILTER" >"$work/guest.tap" 2>"$work/guest.err"
rc=$?
cat "$work/guest.tap" "$work/guest.err"
echo "# guest matrix: exit $rc in $(( $(date +%s) - start )) s"
[ $rc = 0 ] || { echo "not ok 1 guest matrix on 6.1 (exit $rc)"; failures=$((failures + 1)); }
[ $rc = 0 ] && echo "ok 1 guest matrix on 6.1"
# shellcheck disable=SC2086
"$IOVBED" vm $VMARGS -- --seed 1 --profile 6.18 --filter 'ext4/sync/*' >"$work/p618.tap" 2>&1
rc=$?
nfail=$(grep -c '^not ok' "$work/p618.tap")
plan=$(sed -n 's/^1\.\.//p' "$work/p618.tap")
if [ $rc = 1 ] && [ "$nfail" = "$plan" ] && [ "${plan:-0}" -ge 12 ]; then
	echo "ok 2 --profile 6.18 fails every ext4/sync case in the 6.1 guest ($nfail of $plan)"
else
	echo "not ok 2 --profile 6.18 in the 6.1 guest: exit $rc, $nfail of $plan failed"
	failures=$((failures + 1))
fi
echo "$((2 - failures)) passed, $failures failed"
[ $failures = 0 ]
