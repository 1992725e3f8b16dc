#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# 'make install' for each installed Debian kernel (KRELEASE_RUN=, the way a
# host installs for the kernel it runs), into build/pkg/install
# (INSTALL_MOD_PATH): exactly the production modules land in
# updates/mdev-pt (never the test or template plugins), depmod ran, and
# their aliases are in modules.alias, none matching NVMe by class.

# shellcheck source=tests/packaging/lib.sh
. "$(dirname "$0")/lib.sh"

root=$PKG/install
rm -rf "$root"
for rel in $(kernels); do
	if make -C "$TOP" install KRELEASE_RUN="$rel" INSTALL_MOD_PATH="$root" \
		INST_KDIR="/usr/src/linux-headers-$rel" > "$PKG/install-$rel.log" 2>&1; then
		ok "$rel: make install"
	else
		tail -n 20 "$PKG/install-$rel.log"
		not_ok "$rel: make install (log: $PKG/install-$rel.log)"
		continue
	fi
	check_tree "$root" "$rel" updates/mdev-pt
	check_test_plugins "$rel"
	# What make install built, installed or not.
	got=$(find "$TOP/build/install/$rel" -name '*.ko' -printf '%f\n' |
		sed 's/\.ko$//' | sort | xargs)
	for m in $NOT_INSTALLED; do
		is_in "$m" "$got" && not_ok "$rel: make install built $m"
	done
done
[ "$nfail" -eq 0 ]
