# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Where the caches that outlive a clone live (the debug kernel, the Debian
# 13 root): $MDEVPT_CACHE, else /var/cache/mdev-pt, else ~/.cache/mdev-pt
# when that is not writable.  Sourced by scripts/build-*.sh.

cache_root()
{
	local d=${MDEVPT_CACHE:-/var/cache/mdev-pt}

	if [ -z "${MDEVPT_CACHE:-}" ] && ! { mkdir -p "$d" && [ -w "$d" ]; } 2>/dev/null; then
		d=${XDG_CACHE_HOME:-$HOME/.cache}/mdev-pt
	fi
	echo "$d"
}
