# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Helpers for the host-side packaging checks (tests/packaging/*.sh, run by
# tests/check): they install into throw-away trees under build/pkg/, never
# into the host's /lib/modules, /usr/src or /var/lib/dkms.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PKG=$TOP/build/pkg
mkdir -p "$PKG"
# A module alias of each plugin, as mdev_pt requests it for the test bed's
# functions (edu 1234:11e8; NVMe class 01/08), and the plugin it must load.
ALIASES="mdev_pt:v00001234d000011E8sv00001AF4sd00001100bc00scFF=mdev_pt_edu
mdev_pt:v00001B36d00000010sv00001AF4sd00001100bc01sc08=mdev_pt_mock mdev_pt_sample"

nfail=0
ok()
{
	echo "ok - $*"
}

not_ok()
{
	echo "not ok - $*"
	nfail=$((nfail + 1))
}

# kernels: the installed Debian kernels' releases (those with headers).
kernels()
{
	local k

	for k in /usr/src/linux-headers-6.1.*-amd64 /usr/src/linux-headers-6.12.*-amd64; do
		[ -d "$k" ] || continue
		sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' "$k/include/generated/utsrelease.h"
	done
}

# user_modules REL: the modules a user gets, sorted on one line: every
# module 'make' built for REL (build/REL) but the test modules.  A module
# added to the tree but not to dkms.conf fails the DKMS check.
user_modules()
{
	find "$TOP/build/$1" -name '*.ko' -not -path '*/tests/modules/*' -printf '%f\n' |
		sed 's/\.ko$//' | sort | xargs
}

# check_tree ROOT REL DIR: ROOT/lib/modules/REL/DIR holds exactly the user
# modules, built for REL, and modprobe -d ROOT resolves each plugin alias.
check_tree()
{
	local root=$1 rel=$2 dir=$1/lib/modules/$2/$3 m f got a want
	local mods

	mods=$(user_modules "$rel")
	[ -n "$mods" ] || { not_ok "$rel: no modules in build/$rel: run make first"; return; }
	got=$(find "$dir" -name '*.ko*' -printf '%f\n' | sed 's/\.ko.*//' | sort | xargs)
	if [ "$got" = "$mods" ]; then
		ok "$rel: $3 holds $got"
	else
		not_ok "$rel: $3 holds '$got', expected '$mods'"
	fi
	for m in $mods; do
		f=$(find "$dir" -name "$m.ko*" | head -n 1)
		[ -n "$f" ] || continue
		got=$(modinfo -F vermagic "$f" | awk '{ print $1 }')
		if [ "$got" = "$rel" ]; then
			ok "$rel: $m built for $rel"
		else
			not_ok "$rel: $m has vermagic '$got'"
		fi
	done
	while IFS='=' read -r a want; do
		got=$(modprobe -d "$root" -S "$rel" -R "$a" 2> /dev/null | xargs)
		if [ "$got" = "$want" ]; then
			ok "$rel: modules.alias resolves $a to $want"
		else
			not_ok "$rel: $a resolves to '$got', expected $want"
		fi
	done <<< "$ALIASES"
}
