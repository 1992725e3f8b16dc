# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Helpers for the management-stack tests (tests/mgmt/*.sh): mdevctl, udevd,
# libvirt in the test VM.  Source tests/lib/common.sh first.
#
# The guest's / is the host's, read-only, under a throw-away tmpfs overlay:
# everything these helpers write to /etc, /var and /run vanishes with the VM.

MDEVCTL_CONF=/etc/mdevctl.d
# shellcheck disable=SC2034 # used by the test files
PROFILES=$TOP/tools/mdevctl-profiles

# The stack under test: tests/vm/run --stack deb12 (mdevctl 1.2.0,
# libvirt 9.0) or deb13 (mdevctl 1.4.0, libvirt 11.3).
MDEVCTL_VERSION=$(mdevctl_version)
echo "# mdevctl $MDEVCTL_VERSION, Debian $(debian_release)"

# mdevctl_ge VERSION: the mdevctl under test is VERSION or newer.
mdevctl_ge()
{
	version_ge "$MDEVCTL_VERSION" "$1"
}

# Callout directories.  mdevctl 1.2.0 reads only the one under /etc (its
# package creates it).  1.3.0 and later read /usr/lib/mdevctl/scripts.d/
# callouts first, then the /etc one, which their man page calls deprecated
# and Debian 13's package no longer creates.  CALLOUTS is where an admin
# installs one for the mdevctl under test.
ETC_CALLOUTS=$MDEVCTL_CONF/scripts.d/callouts
LIB_CALLOUTS=/usr/lib/mdevctl/scripts.d/callouts
# shellcheck disable=SC2034 # used by the test files
if mdevctl_ge 1.3.0; then
	CALLOUTS=$LIB_CALLOUTS
else
	CALLOUTS=$ETC_CALLOUTS
fi

# udevd_start: run systemd-udevd (mdevctl's autostart rule and libvirt's
# hot-plug events need it), once per test file.  It is the udevd of the
# root under test (with --stack deb13, Debian 13's), so Debian 13's rules
# and mdevctl do the autostart there.
UDEVD_PID=
udevd_start()
{
	[ -n "$UDEVD_PID" ] && return 0
	# Debian's 60-mdevctl.rules runs /usr/sbin/mdevctl; the package
	# installs /usr/bin/mdevctl (bookworm's 1.2.0 and trixie's 1.4.0
	# alike: mdevctl.sh's udev_rule test).  tests/vm/guest-init links it;
	# do it here too if the test runs elsewhere (never on a real host:
	# MDEVPT_IN_VM).
	if [ ! -e /usr/sbin/mdevctl ] && vm_in_vm; then
		ln -s /usr/bin/mdevctl /usr/sbin/mdevctl
	fi
	/lib/systemd/systemd-udevd > /dev/null 2>&1 &
	UDEVD_PID=$!
	wait_for 10 test -S /run/udev/control || { echo "udevd did not start"; return 1; }
}

udevd_stop()
{
	[ -n "$UDEVD_PID" ] || return 0
	udevadm control --exit 2> /dev/null || kill "$UDEVD_PID"
	wait "$UDEVD_PID" 2> /dev/null
	UDEVD_PID=
}

# mdevctl_reset: no mdev instance, no mdevctl definition, no callout (in
# either directory).
mdevctl_reset()
{
	local m

	for m in /sys/bus/mdev/devices/*; do
		[ -e "$m/remove" ] && echo 1 > "$m/remove"
	done
	rm -rf "${MDEVCTL_CONF:?}"/0000:*
	rm -f "$ETC_CALLOUTS"/* "$LIB_CALLOUTS"/* 2> /dev/null
	return 0
}

# defined_uuids / active_uuids: what mdevctl lists, UUIDs only, sorted.
defined_uuids()
{
	mdevctl list --defined | awk 'NF { print $1 }' | sort | xargs
}

active_uuids()
{
	mdevctl list | awk 'NF { print $1 }' | sort | xargs
}

# expect_fail WHAT PATTERN COMMAND...: COMMAND fails, and its output
# (stdout and stderr) matches the extended regex PATTERN.  Sets OUT.
OUT=
expect_fail()
{
	local what=$1 pattern=$2

	shift 2
	OUT=$("$@" 2>&1) && fail "$what: '$*' succeeded: $OUT"
	echo "$what: $OUT" | sed 's/^/  /'
	printf '%s\n' "$OUT" | grep -Eq -- "$pattern" ||
		fail "$what: expected /$pattern/ in: $OUT"
}

# expect_rc WHAT STATUS PATTERN COMMAND...: COMMAND exits with STATUS and
# its output (stdout and stderr) matches the extended regex PATTERN.  Sets
# OUT.
expect_rc()
{
	local what=$1 want=$2 pattern=$3 rc=0

	shift 3
	OUT=$("$@" 2>&1) || rc=$?
	echo "$what: exit $rc: $OUT" | sed 's/^/  /'
	[ "$rc" = "$want" ] || fail "$what: '$*' exited $rc, expected $want: $OUT"
	printf '%s\n' "$OUT" | grep -Eq -- "$pattern" ||
		fail "$what: expected /$pattern/ in: $OUT"
}

# dmesg_has PATTERN: the kernel log has a line matching the extended regex.
dmesg_has()
{
	dmesg | grep -Eq -- "$1" || fail "no kernel log line /$1/"
}

no_instance()
{
	[ ! -e "/sys/bus/mdev/devices/$1" ] || fail "instance $1 exists"
}

has_instance()
{
	[ -e "/sys/bus/mdev/devices/$1" ] || fail "no instance $1"
}

# mdev_attr UUID ATTR: an attribute of an instance (e.g. vendor/label).
mdev_attr()
{
	cat "/sys/bus/mdev/devices/$1/$2"
}

avail()
{
	cat "$(type_dir "$1" "$2")/available_instances"
}

# find_functions [NVFS]: set EDU1 EDU2 VF (the first of NVFS VFs, default 2,
# enabled if none are).  Once, outside the tests: finding them reads every
# function's IDs, a few seconds under TCG.
EDU1=
EDU2=
VF=
find_functions()
{
	local vfs

	EDU1=$(edu_bdfs | sed -n 1p)
	EDU2=$(edu_bdfs | sed -n 2p)
	[ -n "$EDU2" ] || { echo "two edu functions expected"; return 1; }
	vfs=$(vm_nvme_vf_bdfs)
	# Fewer than asked (an earlier program may have left some): start over.
	[ "$(echo "$vfs" | grep -c .)" -ge "${1:-2}" ] ||
		vfs=$(vm_nvme_enable_vfs "${1:-2}") || { echo "cannot enable VFs"; return 1; }
	VF=$(echo "$vfs" | sed -n 1p)
}

# unbind_all: EDU1, EDU2 and every NVMe VF off their drivers (undoes
# bind_all and whatever a test bound on other VFs).
unbind_all()
{
	local b

	for b in $EDU1 $EDU2 $(vm_nvme_vf_bdfs); do
		pci_unbind "$b"
	done
}

# bind_all: EDU1, EDU2 and VF on mdev_pt (unless they are), with their
# plugins' types.
bind_all()
{
	local b

	for b in "$EDU1" "$EDU2" "$VF"; do
		[ -L "/sys/bus/pci/drivers/mdev_pt/$b" ] || pt_bind "$b" || fail "cannot bind $b"
	done
	wait_for 5 test -d "$(type_dir "$EDU1" mdev_pt-edu-audited)" ||
		fail "no edu types on $EDU1"
	wait_for 5 test -d "$(type_dir "$VF" mdev_pt-sample-scratch)" ||
		fail "no sample type on $VF"
}
