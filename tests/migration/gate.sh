#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The plugin gate (issue 12): once a VF's controlling function goes away,
# the plugin of its instance, which declared that it depends on that
# function, is never called again, and every path into it fails with
# ENOTCONN: device ioctls and features, data fd reads and
# VFIO_MIG_GET_PRECOPY_INFO, the v1 region, a queued reset, the close.
# The mock plugin counts the calls it gets after its controlling_gone
# (module parameter calls_after_gone); build/tests/vfio_mig_test -f gone
# unbinds the PF from nvme mid-migration in each test below.  Each test
# starts from a fresh binding: the PF on nvme, its VF bound to mdev_pt.

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../plugins/lib.sh"

MOCK_MIG=mdev_pt-mock-migratable
MOCK_MOD=mdev_pt_mock
CALLS=/sys/module/$MOCK_MOD/parameters/calls_after_gone
PF=$(nvme_pf_bdf)
VF=

pf_on_nvme()
{
	[ "$(pci_driver "$PF")" = nvme ] && return 0
	expect_write /sys/bus/pci/drivers/nvme/bind "$PF" OK
}

teardown()
{
	remove_instances
	[ -n "$VF" ] && pci_unbind "$VF"
	[ -n "$PF" ] && [ "$(pci_driver "$PF")" != nvme ] &&
		echo "$PF" > /sys/bus/pci/drivers/nvme/bind
	[ -n "$PF" ] && vm_nvme_enable_vfs 0 "$PF"
}
trap teardown EXIT

cleanup()
{
	remove_instances
}

SETUP_ERR=
setup_once()
{
	local f

	[ -n "$PF" ] || { SETUP_ERR="no NVMe PF"; return; }
	for f in mdev_pt $MOCK_MOD; do
		modprobe $f || { SETUP_ERR="modprobe $f"; return; }
	done
	VF=$(vm_nvme_enable_vfs 1 "$PF") || { SETUP_ERR="cannot enable a VF"; return; }
}

# gone_test NAME: the harness test gone.NAME on a fresh binding.
gone_test()
{
	local before

	[ -z "$SETUP_ERR" ] || fail "setup: $SETUP_ERR"
	pf_on_nvme
	pci_unbind "$VF"
	pt_bind "$VF" > /dev/null || fail "cannot bind $VF to mdev_pt"
	[ -d "$(type_dir "$VF" $MOCK_MIG)" ] || fail "$VF offers no $MOCK_MIG: $(types_of "$VF")"
	before=$(cat "$CALLS")
	MDEVPT_GONE_VF=$VF MDEVPT_GONE_PF=$PF \
		run_tap "gone" "$BIN/vfio_mig_test" -r "gone.$1" ||
		fail "vfio_mig_test -r gone.$1"
	dmesg | grep -q "$VF: mock: controlling function $PF gone" ||
		fail "the mock was not told that $PF went"
	expect_eq "calls into the plugin after controlling_gone" "$before" "$(cat "$CALLS")"
	pf_on_nvme
}

test_stop_copy()
{
	gone_test stop_copy
}

test_pre_copy()
{
	local v

	# PRE_COPY came with 6.2.
	v=$(uname -r | awk -F. '{ print $1 * 100 + $2 }')
	[ "$v" -ge 602 ] || skip "no PRE_COPY before 6.2 ($(uname -r))"
	gone_test pre_copy
}

test_v1_mid_save()
{
	gone_test v1_mid_save
}

test_reset_queued()
{
	gone_test reset_queued
}

setup_once
run_tests "$@"
