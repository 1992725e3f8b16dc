# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Helpers for the host-side packaging checks (tests/packaging/*.sh, run by
# tests/check): they install into throw-away trees under build/pkg/, never
# into the host's /lib/modules, /usr/src or /var/lib/dkms.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PKG=$TOP/build/pkg
mkdir -p "$PKG"
# The modules 'make install' and DKMS install: the production modules,
# exactly.  Keep in step with the Makefile's INST_KBUILD_ARGS and dkms.conf.
INSTALLED="mdev_pt mdev_pt_edu"
# Modules 'make' builds for the test bed that are never installed: the
# test and template plugins (and everything under tests/modules/).
NOT_INSTALLED="mdev_pt_mock mdev_pt_sample"
# Module names mdev_pt requests when a function binds (drivers/vfio/mdev-pt/
# main.c's format) and what they must load from the installed tree: the
# test bed's edu (1234:11e8) and QEMU NVMe PF and VFs (1b36:0010, which
# only the uninstalled test plugins serve), and real NVMe functions, which
# no installed plugin may claim.
REQUESTS="mdev_pt:v00001234d000011E8sv00001AF4sd00001100bc00scFF=mdev_pt_edu
mdev_pt:v00001B36d00000010sv00001AF4sd00001100bc01sc08=
mdev_pt:v0000144Dd0000A808sv0000144Dsd0000A801bc01sc08=
mdev_pt:v00008086d00000A54sv00008086sd00003904bc01sc08="
# The vendor and device IDs the NOT_INSTALLED plugins may match: QEMU's
# emulated NVMe (its VFs have the same IDs), never hardware.
TEST_PLUGIN_IDS="v00001B36d00000010"
# Values for the wildcards of an installed alias, to make it a request.
ALIAS_FILL='s/d\*sv/d00000001sv/; s/sv\*/sv00001AF4/; s/sd\*/sd00001100/; s/bc\*/bc00/; s/sc\*/scFF/; s/\*$//'

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

# built_modules REL: every module 'make' built for REL (build/REL) but the
# test modules of tests/modules/, sorted on one line.
built_modules()
{
	find "$TOP/build/$1" -name '*.ko' -not -path '*/tests/modules/*' -printf '%f\n' |
		sed 's/\.ko$//' | sort | xargs
}

# is_in WORD LIST: WORD is one of the words of LIST.
is_in()
{
	case " $2 " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# resolve ROOT REL NAME: what modprobe -d ROOT loads for NAME, on one line.
resolve()
{
	modprobe -d "$1" -S "$2" -R "$3" 2> /dev/null | sort | xargs
}

# check_tree ROOT REL DIR: ROOT/lib/modules/REL/DIR holds exactly the
# INSTALLED modules, built for REL; every alias they carry names a vendor
# (none matches by class or any vendor's functions) and resolves to its own
# module; the REQUESTS resolve as listed.
check_tree()
{
	local root=$1 rel=$2 dir=$1/lib/modules/$2/$3 m f got a want req n
	local mods

	mods=$(echo "$INSTALLED" | xargs -n 1 | sort | xargs)
	got=$(built_modules "$rel")
	[ -n "$got" ] || { not_ok "$rel: no modules in build/$rel: run make first"; return; }
	for m in $got; do
		is_in "$m" "$INSTALLED $NOT_INSTALLED" ||
			not_ok "$rel: $m is built but neither in INSTALLED nor NOT_INSTALLED (tests/packaging/lib.sh)"
	done
	got=$(find "$dir" -name '*.ko*' -printf '%f\n' | sed 's/\.ko.*//' | sort | xargs)
	if [ "$got" = "$mods" ]; then
		ok "$rel: $3 holds exactly $got"
	else
		not_ok "$rel: $3 holds '$got', expected '$mods'"
	fi
	for m in $got; do
		is_in "$m" "$NOT_INSTALLED" && not_ok "$rel: test plugin $m installed"
	done
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
	# Every alias of every installed module, whatever module it is.
	n=0
	while read -r f; do
		m=$(basename "$f" | sed 's/\.ko.*//')
		while read -r a; do
			[ -n "$a" ] || continue
			n=$((n + 1))
			if ! [[ $a =~ ^mdev_pt:v[0-9A-F]{8}d([0-9A-F]{8}|\*)sv ]]; then
				not_ok "$rel: $m has alias '$a', which does not name a vendor"
				continue
			fi
			req=$(echo "$a" | sed "$ALIAS_FILL")
			got=$(resolve "$root" "$rel" "$req")
			if [[ $req == *'*'* ]]; then
				not_ok "$rel: $m's alias '$a' has wildcards mdev_pt never requests"
			elif [ "$got" = "$m" ]; then
				ok "$rel: $m's alias $a resolves to $m"
			else
				not_ok "$rel: $m's alias $a: $req resolves to '$got', expected $m"
			fi
		done < <(modinfo -F alias "$f")
	done < <(find "$dir" -name '*.ko*')
	[ "$n" -gt 0 ] || not_ok "$rel: the installed modules carry no alias"
	while IFS='=' read -r req want; do
		got=$(resolve "$root" "$rel" "$req")
		if [ "$got" = "$want" ]; then
			ok "$rel: modules.alias resolves $req to '$want'"
		else
			not_ok "$rel: $req resolves to '$got', expected '$want'"
		fi
	done <<< "$REQUESTS"
}

# check_test_plugins REL: the NOT_INSTALLED plugins 'make' built for REL
# match only TEST_PLUGIN_IDS, should one be installed by hand all the same.
check_test_plugins()
{
	local rel=$1 m f a n bad

	for m in $NOT_INSTALLED; do
		f=$(find "$TOP/build/$rel" -name "$m.ko" | head -n 1)
		[ -n "$f" ] || { not_ok "$rel: $m not in build/$rel: run make first"; continue; }
		n=0 bad=0
		while read -r a; do
			[ -n "$a" ] || continue
			n=$((n + 1))
			if [ "${a:0:8}" != mdev_pt: ] || ! is_in "${a:8:18}" "$TEST_PLUGIN_IDS"; then
				not_ok "$rel: test plugin $m has alias '$a', not one of $TEST_PLUGIN_IDS"
				bad=1
			fi
		done < <(modinfo -F alias "$f")
		[ "$n" -gt 0 ] && [ "$bad" -eq 0 ] &&
			ok "$rel: test plugin $m's aliases match only $TEST_PLUGIN_IDS"
	done
}
