#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the Debian 13 (trixie) root of the VM test bed with mmdebstrap, from
# Debian's packages only: QEMU 10, libvirt 11.3, mdevctl 1.4, udev, Debian
# 13's kernel with its headers, and DKMS with Debian 13's compiler (gcc 14),
# plus the small tools the test programs call.  tests/vm/run --stack deb13
# boots the test VM with this root as the guest's root; --kernel deb13 boots
# its kernel (scripts/build-deb13-modules.sh builds mdev-pt for it through
# DKMS inside this root).
#
#   scripts/build-deb13-root.sh          build it unless cached, print its dir
#   scripts/build-deb13-root.sh --dir    print the cache dir, exit 1 if not built
#
# The result is cached outside the clone, under
# $MDEVPT_CACHE/deb13-root/<key>/ (MDEVPT_CACHE defaults to
# /var/cache/mdev-pt, or ~/.cache/mdev-pt when that is not writable), so a
# fresh clone on the same machine (CI) finds it and only a new machine builds
# it (about a minute).  The key is the SHA-256 of RECIPE, the suite, the
# mirror and the package list: what goes into the root.  The directory holds:
#
#   root/        the root file system (never changed after the build: the
#                VM mounts it read-only under a tmpfs overlay, and DKMS
#                builds in an overlay of its own)
#   manifest     "package version" of every installed package
#   release      the `uname -r` of its kernel
#   .done        written last
#
# Environment: MDEVPT_DEB13_MIRROR (default http://deb.debian.org/debian).

set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
SCRIPT="$TOP/scripts/build-deb13-root.sh"
SUITE=trixie
MIRROR=${MDEVPT_DEB13_MIRROR:-http://deb.debian.org/debian}
# Bump when the steps below change what ends up in the cache.
RECIPE="mdev-pt deb13 root v1: mmdebstrap --variant=apt"
# The stack under test, the kernel and what DKMS needs to build for it, and
# the tools the test programs and tests/vm/guest-init call.
PACKAGES="
	qemu-system-x86 qemu-utils
	libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-driver-nodedev
	libvirt-clients
	mdevctl udev systemd dbus
	linux-image-amd64 linux-headers-amd64
	dkms gcc make libc6-dev xz-utils
	kmod procps iproute2 python3 socat uuid-runtime strace bc nvme-cli
"

# shellcheck source=scripts/cache.sh
. "$TOP/scripts/cache.sh"
CACHE="$(cache_root)/deb13-root"

die() {
	echo "build-deb13-root: $*" >&2
	exit 1
}

# shellcheck disable=SC2086 # one package per word
key=$({
	echo "$RECIPE"
	echo "$SUITE $MIRROR"
	printf '%s\n' $PACKAGES | sort
} | sha256sum | cut -c1-16)
out="$CACHE/$key"

case "${1:-}" in
--dir)
	[ -f "$out/.done" ] || die "not built yet: run $SCRIPT"
	echo "$out"
	exit 0
	;;
"") ;;
*) die "usage: $0 [--dir]" ;;
esac

if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi

command -v mmdebstrap > /dev/null || die "mmdebstrap missing: run scripts/setup.sh"
[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap --mode=root, and the root's files belong to root)"

t0=$(date +%s)
mkdir -p "$CACHE"
# Built beside its final place and renamed, so a cache entry is whole or
# absent; an interrupted build leaves only a .tmp- directory, removed here.
rm -rf "$CACHE"/.tmp-*
tmp=$(mktemp -d "$CACHE/.tmp-XXXXXX")
echo "build-deb13-root: mmdebstrap $SUITE into $out" >&2
# shellcheck disable=SC2086 # one package per word
if ! mmdebstrap --variant=apt --mode=root --quiet \
	--include="$(printf '%s,' $PACKAGES | sed 's/,$//')" \
	"$SUITE" "$tmp/root" "$MIRROR" > "$tmp/mmdebstrap.log" 2>&1; then
	tail -n 30 "$tmp/mmdebstrap.log" >&2
	rm -rf "$tmp"
	die "mmdebstrap failed"
fi

chroot "$tmp/root" dpkg-query -W -f '${Package} ${Version}\n' > "$tmp/manifest"
rels=$(cd "$tmp/root/lib/modules" && ls -d 6.12.*+deb13-amd64 2> /dev/null)
[ "$(echo "$rels" | wc -w)" = 1 ] ||
	{ rm -rf "$tmp"; die "expected one Debian 13 kernel in the root, found: ${rels:-none}"; }
echo "$rels" > "$tmp/release"
[ -d "$tmp/root/usr/src/linux-headers-$rels" ] ||
	{ rm -rf "$tmp"; die "no headers for $rels in the root"; }

rm -rf "$out"
mv "$tmp" "$out"
touch "$out/.done"
echo "build-deb13-root: done in $(($(date +%s) - t0)) s (kernel $rels;" \
	"$(grep -E '^(qemu-system-x86|libvirt-daemon|mdevctl) ' "$out/manifest" | tr '\n' ' '))" >&2
echo "$out"
