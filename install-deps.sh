#!/bin/sh
# Install every Debian 12 package iovbed's build and tests need (clang,
# libbpf-dev and bpftool build the BPF observer; configure
# --without-libbpf builds without it); with --vm also what `make check-vm` needs (QEMU, Debian's 6.1 kernel and its
# modules, a static busybox for the guest's initramfs, the NFS server and
# client tools the guest runs: the host itself needs no NFS support).
# Run as root. Does nothing if they are all installed already.
set -e

PACKAGES="build-essential autoconf automake libtool pkg-config
liburing-dev libaio-dev libfuse3-dev fuse3 libnfs-dev libcunit1-dev
e2fsprogs xfsprogs btrfs-progs util-linux mount
clang libbpf-dev bpftool"
if [ "${1:-}" = --vm ]; then
	PACKAGES="$PACKAGES qemu-system-x86 linux-image-amd64 busybox-static cpio kmod file
	nfs-kernel-server nfs-common rpcbind"
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
