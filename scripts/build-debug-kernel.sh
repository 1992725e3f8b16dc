#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the mdev-pt debug kernel: Debian's linux-source-6.12 configured from
# `make allnoconfig` plus tests/vm/debug-kernel.config (KASAN, lockdep,
# kmemleak, fault injection, hung task detection and what the VM test bed
# needs), then `make olddefconfig`.
#
#   scripts/build-debug-kernel.sh          build it unless cached, print its dir
#   scripts/build-debug-kernel.sh --dir    print the cache dir, exit 1 if not built
#   scripts/build-debug-kernel.sh --config-only
#                                          only configure and check the options
#
# The result is cached outside the clone, under
# $MDEVPT_CACHE/debug-kernel/<key>/ (MDEVPT_CACHE defaults to
# /var/cache/mdev-pt, or ~/.cache/mdev-pt when that is not writable), so a
# fresh clone on the same machine (CI) finds it and only a new machine builds
# it.  The key is the SHA-256 of the fragment, RECIPE below and the source
# package's version (the tarball's size and time when dpkg does not know it);
# a second run with the same key does nothing.  The directory holds:
#
#   vmlinux     the ELF image tests/vm/run boots (PVH entry)
#   bzImage     the same kernel for anything else
#   config      its .config
#   release     its `uname -r`
#   modules/    lib/modules/<release>/ as modules_install writes it
#   build/      the built tree: `make KDIR=<cache dir>/build`
#               builds out-of-tree modules against it (Module.symvers etc.)
#
# Environment: LINUX_SOURCE (tarball), JOBS (default: number of CPUs).  Run
# it under `nice -n 19 ionice -c3` on a shared machine.

set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
SCRIPT="$TOP/scripts/build-debug-kernel.sh"
FRAGMENT="$TOP/tests/vm/debug-kernel.config"
LINUX_SOURCE=${LINUX_SOURCE:-/usr/src/linux-source-6.12.tar.xz}
# Bump when the build steps below change what ends up in the cache.
RECIPE="mdev-pt debug kernel v2: allnoconfig+fragment, bzImage vmlinux modules"
# shellcheck source=scripts/cache.sh
. "$TOP/scripts/cache.sh"
CACHE="$(cache_root)/debug-kernel"
JOBS=${JOBS:-$(nproc)}

die() {
	echo "build-debug-kernel: $*" >&2
	exit 1
}

[ -r "$LINUX_SOURCE" ] || die "$LINUX_SOURCE missing: run scripts/setup.sh"

src_version() {
	local v
	v=$(dpkg-query -S "$LINUX_SOURCE" 2>/dev/null | cut -d: -f1) &&
		v=$(dpkg-query -W -f='${Package} ${Version}' "$v" 2>/dev/null) &&
		[ -n "$v" ] && { echo "$v"; return; }
	stat -L -c '%n %s %Y' "$LINUX_SOURCE"
}

key=$({
	echo "$RECIPE"
	src_version
	cat "$FRAGMENT"
} | sha256sum | cut -c1-16)
out="$CACHE/$key"

if [ "${1:-}" = --dir ]; then
	[ -f "$out/.done" ] || die "not built yet: run $SCRIPT"
	echo "$out"
	exit 0
fi
config_only=
case "${1:-}" in
"") ;;
--config-only) config_only=1 ;;
*) die "usage: $0 [--dir|--config-only]" ;;
esac

if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi

for tool in make gcc flex bison bc perl xz; do
	command -v "$tool" >/dev/null || die "$tool missing: run scripts/setup.sh"
done
[ -e /usr/include/libelf.h ] || die "libelf-dev missing (objtool): run scripts/setup.sh"

t0=$(date +%s)
tree="$out/build"
# An interrupted build resumes where it stopped: same key, same sources.
if [ ! -f "$out/.extracted" ]; then
	rm -rf "$out"
	mkdir -p "$tree"
	echo "build-debug-kernel: extracting $LINUX_SOURCE into $tree" >&2
	tar -xJf "$LINUX_SOURCE" -C "$tree" --strip-components=1
	touch "$out/.extracted"
fi

# The fragment's options as "NAME VALUE" (VALUE n for "=n").
want=$(sed -n 's/^\(CONFIG_[A-Za-z0-9_]*\)=\(.*\)$/\1 \2/p' "$FRAGMENT")

kmake() {
	make -C "$tree" -j"$JOBS" KBUILD_BUILD_USER=mdev-pt \
		KBUILD_BUILD_HOST=mdev-pt "$@"
}

# allnoconfig with the fragment's values preset (KCONFIG_ALLCONFIG), then
# the defaults of whatever the fragment turned on.
kmake -s KCONFIG_ALLCONFIG="$FRAGMENT" allnoconfig
kmake -s olddefconfig

missing=
while read -r name value; do
	[ -n "$name" ] || continue
	got=$(sed -n "s/^$name=\(.*\)$/\1/p" "$tree/.config")
	if [ "$value" = n ]; then
		[ -z "$got" ] || missing="$missing $name=n(got $got)"
	elif [ "$got" != "$value" ]; then
		missing="$missing $name=$value(got ${got:-n})"
	fi
done <<<"$want"
[ -z "$missing" ] || die "options of $FRAGMENT not in the result:$missing"
if [ -n "$config_only" ]; then
	echo "build-debug-kernel: $tree/.config has every option of $FRAGMENT" >&2
	exit 0
fi

echo "build-debug-kernel: building in $tree with $JOBS jobs" >&2
kmake bzImage vmlinux modules
kmake -s INSTALL_MOD_PATH="$out/modules" modules_install
release=$(kmake -s kernelrelease)

cp "$tree/arch/x86/boot/bzImage" "$out/bzImage"
ln -s build/vmlinux "$out/vmlinux"
cp "$tree/.config" "$out/config"
echo "$release" >"$out/release"
# modules_install links build/ and source/ to the tree; keep it relocatable.
rm -f "$out/modules/lib/modules/$release/build" "$out/modules/lib/modules/$release/source"
ln -s ../../../../build "$out/modules/lib/modules/$release/build"
echo "$(($(date +%s) - t0)) s" >"$out/build-time"
touch "$out/.done"
echo "build-debug-kernel: done in $(cat "$out/build-time")" >&2
echo "$out"
