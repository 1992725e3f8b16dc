#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# 'make install' for each installed Debian kernel (KRELEASE_RUN=, the way a
# host installs for the kernel it runs), into build/pkg/install
# (INSTALL_MOD_PATH): the user modules land in updates/mdev-pt, depmod ran,
# the plugins' aliases are in modules.alias.

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
done
[ "$nfail" -eq 0 ]
