#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build mdev-pt for Debian 13's kernel the way a Debian 13 admin does:
# `make dkms-source`, then dkms add, build and install inside the Debian 13
# root (scripts/build-deb13-root.sh), with that root's compiler (gcc 14) and
# its linux-headers package.  The test bed then boots that kernel
# (tests/vm/run --kernel deb13) with the modules DKMS built.
#
#   scripts/build-deb13-modules.sh
#
# The root itself stays untouched: the chroot is an overlay whose upper
# directory is build/deb13/ in this clone.  Results, in build/<release>/
# (what tests/vm/run installs into the guest):
#
#   dkms/*.ko    the production modules (mdev_pt, mdev_pt_edu) as DKMS
#                built and installed them, decompressed
#   ...          the test and template modules (mock, sample,
#                tests/modules), which DKMS never builds, built by the
#                project's Makefile in the same chroot against DKMS's
#                Module.symvers
#
# Logs: build/deb13/*.log.

set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BASE=$TOP/build/deb13
VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$TOP/dkms.conf")

die() {
	echo "build-deb13-modules: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (overlay mount and chroot)"
case "$TOP" in
*[[:space:]]*) die "a path with white space is not supported: $TOP" ;;
esac
deb13=$("$TOP/scripts/build-deb13-root.sh")
rel=$(cat "$deb13/release")
out=$TOP/build/$rel
merged=$BASE/root

mounted=()
cleanup() {
	local i

	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount "${mounted[$i]}" 2> /dev/null || umount -l "${mounted[$i]}"
	done
}
trap cleanup EXIT

mnt() { # mnt DIR MOUNT-ARGS...
	local dir=$1

	shift
	mkdir -p "$dir"
	mount "$@" "$dir"
	mounted+=("$dir")
}

# A stale mount from an interrupted run would hide the fresh overlay.
while grep -q " $merged[ /]" /proc/self/mounts; do
	umount -l "$(awk -v m="$merged" '$2 ~ "^" m "(/|$)" { print $2 }' /proc/self/mounts | sort -r | head -n 1)"
done
rm -rf "$BASE"
mkdir -p "$BASE/upper" "$BASE/work"
mnt "$merged" -t overlay overlay \
	-o "lowerdir=$deb13/root,upperdir=$BASE/upper,workdir=$BASE/work"
mnt "$merged/proc" -t proc proc
mnt "$merged/sys" --rbind /sys
mnt "$merged/dev" --rbind /dev
mnt "$merged/tmp" -t tmpfs tmpfs
# The clone at its own path, so the Makefile works unchanged in the chroot.
mnt "$merged$TOP" --bind "$TOP"

in_root() {
	chroot "$merged" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LC_ALL=C.UTF-8 "$@"
}

step() { # step LOG COMMAND...: run in the root, the log kept
	local log=$BASE/$1.log

	shift
	if ! in_root "$@" > "$log" 2>&1; then
		tail -n 40 "$log" >&2
		find "$merged/var/lib/dkms" -name make.log -exec tail -n 30 {} + >&2 2> /dev/null
		die "failed: $* (log: $log)"
	fi
}

echo "build-deb13-modules: DKMS in the Debian 13 root for $rel" \
	"($(in_root gcc --version | head -n 1))" >&2
step dkms-source make -C "$TOP" dkms-source
step dkms-add dkms add "mdev-pt/$VERSION"
step dkms-build dkms build "mdev-pt/$VERSION" -k "$rel"
step dkms-install dkms install "mdev-pt/$VERSION" -k "$rel"
in_root dkms status "mdev-pt/$VERSION" -k "$rel" | grep -q ': installed' ||
	die "dkms status does not say installed: $(in_root dkms status "mdev-pt/$VERSION" -k "$rel")"

rm -rf "$out"
mkdir -p "$out/dkms"
n=0
for ko in "$merged/lib/modules/$rel/updates/dkms"/*.ko*; do
	[ -e "$ko" ] || die "DKMS installed nothing into /lib/modules/$rel/updates/dkms"
	name=$(basename "$ko")
	case "$name" in
	*.ko.xz) xz -dc "$ko" > "$out/dkms/${name%.xz}" ;;
	*.ko.zst) zstd -qdc "$ko" > "$out/dkms/${name%.zst}" ;;
	*.ko.gz) gzip -dc "$ko" > "$out/dkms/${name%.gz}" ;;
	*.ko) cp "$ko" "$out/dkms/" ;;
	*) die "unexpected file from DKMS: $name" ;;
	esac
	n=$((n + 1))
done
symvers=/var/lib/dkms/mdev-pt/$VERSION/$rel/$(uname -m)/module/Module.symvers
[ -s "$merged$symvers" ] || die "no $symvers after dkms build"

# The test and template modules only: the production ones are DKMS's.
step test-modules make -C "$TOP" modules KDIRS="/usr/src/linux-headers-$rel" \
	KBUILD_ARGS="CONFIG_VFIO_MDEV_PT_MOCK=m CONFIG_SAMPLE_MDEV_PT=m KBUILD_EXTRA_SYMBOLS=$symvers"
dups=$(find "$out" -name '*.ko' -printf '%f\n' | sort | uniq -d)
[ -z "$dups" ] || die "modules built twice: $dups"
echo "build-deb13-modules: $n modules from DKMS and" \
	"$(find "$out" -name '*.ko' -not -path "$out/dkms/*" | wc -l) test modules in $out" >&2
