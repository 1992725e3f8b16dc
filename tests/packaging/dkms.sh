#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# dkms add, build, install and remove for every installed Debian kernel,
# checking that only the production modules are built and installed, in
# throw-away trees: the source tree (make dkms-source), the DKMS tree
# (--dkmstree) and the install tree (--installtree, a lib/modules under
# build/pkg/dkms/root) are all under build/pkg/dkms; --no-depmod keeps DKMS
# off the host's module indexes (depmod -b runs on the throw-away tree).
# The kernel headers are the host's (/lib/modules/<release>/build), only
# read.

# shellcheck source=tests/packaging/lib.sh
. "$(dirname "$0")/lib.sh"

base=$PKG/dkms
root=$base/root
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$TOP/dkms.conf")
rm -rf "$base"
mkdir -p "$base/src" "$base/tree" "$root/lib/modules"
dkms()
{
	command dkms --dkmstree "$base/tree" --sourcetree "$base/src" \
		--installtree "$root/lib/modules" "$@"
}

make -s -C "$TOP" dkms-source DKMS_SOURCE_TREE="$base/src" > /dev/null || not_ok "make dkms-source"
if dkms add "mdev-pt/$version" > "$base/add.log" 2>&1; then
	ok "dkms add mdev-pt/$version"
else
	cat "$base/add.log"
	not_ok "dkms add"
fi
[ -e "$base/src/mdev-pt-$version/tests" ] && not_ok "the DKMS source has the tests"
[ -e "$base/src/mdev-pt-$version/drivers/vfio/mdev-pt/vendors/mock" ] &&
	not_ok "the DKMS source has the mock plugin"
for rel in $(kernels); do
	mkdir -p "$root/lib/modules/$rel"
	if dkms build "mdev-pt/$version" -k "$rel" > "$base/build-$rel.log" 2>&1 &&
		dkms install --no-depmod "mdev-pt/$version" -k "$rel" > "$base/install-$rel.log" 2>&1; then
		ok "$rel: dkms build and install"
	else
		tail -n 30 "$base"/build-"$rel".log "$base"/install-"$rel".log
		find "$base/tree" -name make.log -exec tail -n 30 {} +
		not_ok "$rel: dkms build and install"
		continue
	fi
	depmod -b "$root" "$rel" 2> /dev/null
	check_tree "$root" "$rel" updates/dkms
	# What DKMS built (its make.log) or kept, installed or not.
	for m in $NOT_INSTALLED; do
		if grep -qs "/$m\.ko" "$base/tree/mdev-pt/$version/$rel"/*/log/make.log ||
			[ -n "$(find "$base/tree/mdev-pt/$version/$rel" -name "$m.ko*")" ]; then
			not_ok "$rel: dkms build built $m"
		fi
	done
	grep -qs '/mdev_pt\.ko' "$base/tree/mdev-pt/$version/$rel"/*/log/make.log ||
		not_ok "$rel: no DKMS make.log naming mdev_pt.ko to check"
	if dkms status "mdev-pt/$version" -k "$rel" | grep -q ": installed"; then
		ok "$rel: dkms status says installed"
	else
		not_ok "$rel: dkms status: $(dkms status "mdev-pt/$version" -k "$rel")"
	fi
done
if dkms remove --no-depmod "mdev-pt/$version" --all > "$base/remove.log" 2>&1 &&
	[ -z "$(find "$root" -name '*.ko*')" ]; then
	ok "dkms remove --all leaves no module"
else
	cat "$base/remove.log"
	not_ok "dkms remove"
fi
[ "$nfail" -eq 0 ]
