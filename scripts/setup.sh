#!/bin/sh
# Install every Debian package mdev-pt needs to build, lint and test.
# Idempotent: apt-get skips what is already installed.
set -eu

PKGS="
	build-essential make gcc libc6-dev bc bison flex kmod cpio xz-utils
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	linux-source-6.12 libelf-dev libssl-dev
	sparse
	qemu-system-x86 qemu-utils
	busybox-static socat uuid-runtime
	mdevctl udev systemd dbus
	libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
	dkms strace mmdebstrap nvme-cli
	perl python3
"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi

exit 0
