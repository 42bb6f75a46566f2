#!/bin/sh
# Install every Debian 12 package iovbed's build and tests need; with
# --vm also what `make check-vm` needs (QEMU, Debian's 6.1 kernel and its
# modules, a static busybox for the guest's initramfs, the NFS server and
# client tools the guest runs: the host itself needs no NFS support).
# Run as root. Does nothing if they are all installed already.
set -e

# Every command iovbed and its tests call is here too (a minimal Debian
# has no pgrep or modprobe): mkfs.* (e2fsprogs, xfsprogs, btrfs-progs),
# losetup, blkid, mount (util-linux, mount), pgrep (procps), modprobe
# (kmod), script (bsdutils), env -S (coreutils).
PACKAGES="build-essential autoconf automake libtool pkg-config
liburing-dev libaio-dev libfuse3-dev fuse3 libnfs-dev libcunit1-dev
e2fsprogs xfsprogs btrfs-progs util-linux mount procps kmod bsdutils coreutils"
if [ "${1:-}" = --vm ]; then
	PACKAGES="$PACKAGES qemu-system-x86 linux-image-amd64 busybox-static cpio kmod file
	xz-utils zstd iproute2 nfs-kernel-server nfs-common rpcbind"
fi

missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
if [ -z "$missing" ]; then
	echo "install-deps.sh: all packages present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps.sh: missing:$missing; run as root to install them" >&2
	exit 1
fi
echo "install-deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
