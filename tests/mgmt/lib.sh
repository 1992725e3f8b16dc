# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Helpers for the management-stack tests (tests/mgmt/*.sh): mdevctl, udevd,
# libvirt in the test VM.  Source tests/lib/common.sh first.
#
# The guest's / is the host's, read-only, under a throw-away tmpfs overlay:
# everything these helpers write to /etc, /var and /run vanishes with the VM.

MDEVCTL_CONF=/etc/mdevctl.d
CALLOUTS=$MDEVCTL_CONF/scripts.d/callouts
# shellcheck disable=SC2034 # used by the test files
PROFILES=$TOP/tools/mdevctl-profiles

# udevd_start: run systemd-udevd (mdevctl's autostart rule and libvirt's
# hot-plug events need it), once per test file.
UDEVD_PID=
udevd_start()
{
	[ -n "$UDEVD_PID" ] && return 0
	# Debian's 60-mdevctl.rules runs /usr/sbin/mdevctl; the package
	# installs /usr/bin/mdevctl.  tests/vm/guest-init links it; do it here
	# too if the test runs elsewhere (never on a real host: MDEVPT_IN_VM).
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

# mdevctl_reset: no mdev instance, no mdevctl definition, no callout.
mdevctl_reset()
{
	local m

	for m in /sys/bus/mdev/devices/*; do
		[ -e "$m/remove" ] && echo 1 > "$m/remove"
	done
	rm -rf "${MDEVCTL_CONF:?}"/0000:*
	rm -f "$CALLOUTS"/*
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
