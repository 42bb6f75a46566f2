#!/bin/sh
# Install every Debian 12 package iovbed's build and tests need (clang,
# libbpf-dev and bpftool build the BPF observer; configure
# --without-libbpf builds without it); with --vm also what `make check-vm` needs (QEMU, Debian's 6.1 kernel and its
# modules, a static busybox for the guest's initramfs, the NFS server and
# client tools the guest runs: the host itself needs no NFS support), and
# Debian's 6.12 kernel unpacked into a cache for the second guest (see
# fetch_kernel: it is never installed).
# Run as root. Does nothing if they are all installed (and cached) already.
set -e

# Every command iovbed and its tests call is here too (a minimal Debian
# has no pgrep or modprobe): mkfs.* (e2fsprogs, xfsprogs, btrfs-progs),
# losetup, blkid, mount, mkswap (util-linux, mount), pgrep (procps),
# modprobe (kmod), script (bsdutils), env -S (coreutils), fio (the
# benchmark beside iovbed stress, bench/stress-fio.sh).

# Where fetched guest kernels live: KCACHE/VERSION/{boot,lib/modules/VERSION}.
KCACHE=${IOVBED_KERNEL_CACHE:-/var/cache/iovbed/kernels}

PACKAGES="build-essential autoconf automake libtool pkg-config
liburing-dev libaio-dev libfuse3-dev fuse3 libnfs-dev libcunit1-dev
e2fsprogs xfsprogs btrfs-progs util-linux mount procps kmod bsdutils coreutils fio
clang libbpf-dev bpftool"
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

# "URI SUITE" for every deb source the machine has configured, one-line
# (sources.list, *.list) and deb822 (*.sources) alike.
apt_sources() {
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		sed -n 's/^[ \t]*deb[ \t]\{1,\}\(\[[^]]*\][ \t]\{1,\}\)\{0,1\}\([^ \t]*\)[ \t]\{1,\}\([^ \t]*\).*/\2 \3/p'
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk 'function flush(  n, m, i, j, u, s) {
			if (types ~ /(^| )deb( |$)/ && enabled != "no") {
				n = split(uris, u, " "); m = split(suites, s, " ")
				for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) print u[i], s[j]
			}
			types = uris = suites = enabled = ""
		}
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		{ k = tolower($1); v = $0; sub(/^[^:]*:[ \t]*/, "", v) }
		k == "types:" { types = v } k == "uris:" { uris = v }
		k == "suites:" { suites = v } k == "enabled:" { enabled = tolower(v) }
		END { flush() }' "$f"
	done
}

# The machine's own Debian mirror: the source that serves its release.
debian_mirror() {
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	apt_sources | awk -v c="$codename" '$2 == c { print $1; exit }'
}

# Debian's newest linux-image-SERIES.*-amd64 (trixie, or bookworm-backports),
# unpacked into KCACHE/VERSION, never installed: apt runs with a sources
# list, lists and cache of its own (the host's apt state is untouched),
# `apt-get download` + `dpkg-deb -x`, then `depmod -b` there. The host's
# /boot and /lib/modules do not change: `iovbed vm --kernel SERIES` boots
# it and lays its modules over /lib/modules/VERSION inside the guest.
fetch_kernel() {
	series=$1
	for d in "$KCACHE/$series".*; do
		if [ -r "$d/boot/vmlinuz-${d##*/}" ] && [ -s "$d/lib/modules/${d##*/}/modules.dep" ]; then
			echo "install-deps.sh: Debian's $series kernel is cached in $d"
			return 0
		fi
	done
	mirror=$(debian_mirror)
	if [ -z "$mirror" ]; then
		echo "install-deps.sh: no Debian mirror in /etc/apt/sources.list{,.d} to fetch the $series kernel from" >&2
		return 1
	fi
	mkdir -p "$KCACHE"
	apt_dir=$(mktemp -d "$KCACHE/.apt.XXXXXX")
	fetch_kernel_in "$series" "$mirror" "$apt_dir" || { rm -rf "$apt_dir"; return 1; }
	rm -rf "$apt_dir"
}

fetch_kernel_in() {	# fetch_kernel_in SERIES MIRROR SCRATCH-DIR
	series=$1 mirror=$2 dir=$3
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	opt=""
	[ -r "$keyring" ] && opt="[signed-by=$keyring] "
	printf 'deb %s%s %s main\n' "$opt" "$mirror" trixie "$opt" "$mirror" bookworm-backports \
		>"$dir/sources.list"
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/dl" "$dir/unpack"
	# apt fetches as _apt where it can: let it into the scratch
	chmod 755 "$dir"
	if id _apt >/dev/null 2>&1; then
		chown _apt "$dir/lists/partial" "$dir/dl"
	fi
	set -- -o Dir::Etc::sourcelist="$dir/sources.list" -o Dir::Etc::sourceparts=/nonexistent \
		-o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache"
	echo "install-deps.sh: looking for Debian's $series kernel (trixie, bookworm-backports) on $mirror"
	apt-get "$@" -qq update
	re="^linux-image-$(printf '%s' "$series" | sed 's/\./\\./g')\\.[0-9]+\\+[a-z0-9.~]+-amd64\$"
	pkg=$(apt-cache "$@" pkgnames "linux-image-$series." | grep -E "$re" | sort -V | tail -1)
	if [ -z "$pkg" ]; then
		echo "install-deps.sh: no linux-image-$series.*-amd64 in trixie or bookworm-backports on $mirror" >&2
		return 1
	fi
	(cd "$dir/dl" && apt-get "$@" -qq download "$pkg")
	dpkg-deb -x "$dir/dl/$pkg"_*.deb "$dir/unpack"
	ver=$(cd "$dir/unpack/boot" && ls vmlinuz-* | sed 's/^vmlinuz-//' | head -1)
	if [ -z "$ver" ] || [ ! -d "$dir/unpack/usr/lib/modules/$ver" ]; then
		echo "install-deps.sh: $pkg holds no boot/vmlinuz-VERSION and usr/lib/modules/VERSION" >&2
		return 1
	fi
	# depmod -b and the guest look for BASE/lib/modules (merged /usr)
	[ -e "$dir/unpack/lib" ] || ln -s usr/lib "$dir/unpack/lib"
	depmod -b "$dir/unpack" "$ver"
	rm -rf "${KCACHE:?}/$ver"
	mv "$dir/unpack" "$KCACHE/$ver"
	echo "install-deps.sh: $pkg unpacked into $KCACHE/$ver (not installed)"
}

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps.sh: missing:$missing; run as root to install them" >&2
		exit 1
	fi
	echo "install-deps.sh: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
else
	echo "install-deps.sh: all packages present"
fi
[ "${1:-}" = --vm ] || exit 0
if [ "$(id -u)" != 0 ] && ! ls "$KCACHE"/6.12.*/boot/vmlinuz-* >/dev/null 2>&1; then
	echo "install-deps.sh: Debian's 6.12 kernel is not in $KCACHE; run as root to fetch it" >&2
	exit 1
fi
fetch_kernel 6.12
