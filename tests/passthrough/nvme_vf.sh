#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# SR-IOV VFs through mdev_pt, on the NVMe PF of the test bed (kernel nvme
# driver on the PF, VFs enabled with sriov_drivers_autoprobe=0):
#  - the PF is refused while its VFs are enabled;
#  - a VF's secondary controller is brought online (an offline QEMU NVMe VF
#    reads as zeros in BAR0), the VF is bound to mdev_pt and the VFIO basics
#    (config space, BARs, reset) run through an instance on it; BAR0 must
#    show the controller's CAP register.

. "$(dirname "$0")/../lib/common.sh"

PF=$(nvme_pf_bdf)
PFDIR=/sys/bus/pci/devices/$PF
VIRT_MGMT=$TOP/tests/passthrough/nvme_virt_mgmt.py
NVFS=4
VF=
UUID=

cleanup()
{
	[ -n "$UUID" ] && [ -e "/sys/bus/mdev/devices/$UUID" ] &&
		echo 1 > "/sys/bus/mdev/devices/$UUID/remove"
	[ -n "$VF" ] && pci_unbind "$VF"
	[ -n "$PF" ] && echo 0 > "$PFDIR/sriov_numvfs"
}
trap cleanup EXIT

# The PF's controller, once the nvme driver has it live.
nvme_ctrl()
{
	local c

	for c in "$PFDIR"/nvme/nvme*; do
		[ "$(cat "$c/state" 2> /dev/null)" = live ] && basename "$c"
	done | head -n 1
}

has_ctrl()
{
	[ -n "$(nvme_ctrl)" ]
}

set_numvfs()
{
	[ "$(cat "$PFDIR/sriov_numvfs")" = 0 ] || echo 0 > "$PFDIR/sriov_numvfs"
	[ "$1" = 0 ] || echo "$1" > "$PFDIR/sriov_numvfs"
}

[ -n "$PF" ] || bail "setup: no SR-IOV NVMe PF"
modprobe mdev_pt || bail "setup: modprobe mdev_pt"
# Nothing loads drivers in the test VM; sriov_numvfs needs the PF's driver.
modprobe nvme || bail "setup: modprobe nvme"
[ "$(pci_driver "$PF")" = nvme ] || pci_bind "$PF" nvme || bail "setup: bind $PF to nvme"
wait_for 30 has_ctrl || bail "setup: $PF has no live nvme controller"
echo 0 > "$PFDIR/sriov_drivers_autoprobe"

result "$NVFS VFs enabled" set_numvfs "$NVFS"

refuse_pf()
{
	local res

	echo "$PF" > "$PFDIR/driver/unbind"
	echo mdev_pt > "$PFDIR/driver_override"
	res=$("$BIN/sysfs_write" /sys/bus/pci/drivers/mdev_pt/bind "$PF")
	echo > "$PFDIR/driver_override"
	echo "$PF" > /sys/bus/pci/drivers/nvme/bind
	[ "$res" = EBUSY ] || { echo "bind of the PF: expected EBUSY, got $res"; return 1; }
	dmesg | grep -q "$PF: SR-IOV is enabled with $NVFS VFs" ||
		{ echo "no reason in dmesg"; return 1; }
}
result "PF with VFs enabled is refused with EBUSY" refuse_pf
wait_for 30 has_ctrl || bail "setup: $PF has no live nvme controller after rebind"

# QEMU's flow: take the flexible resources from the primary controller,
# reset the PF so it lets them go, enable the VFs, assign resources to the
# first one and set it online.
online_vf()
{
	set_numvfs 0 &&
		"$VIRT_MGMT" release "/dev/$(nvme_ctrl)" &&
		echo 1 > "$PFDIR/reset" &&
		wait_for 30 has_ctrl &&
		set_numvfs "$NVFS" &&
		"$VIRT_MGMT" online "/dev/$(nvme_ctrl)" 1
}
result "VF 1 secondary controller online" online_vf
VF=$(basename "$(readlink "$PFDIR/virtfn0")")

bind_vf()
{
	pt_bind "$VF" || return 1
	[ "$(cat "$(type_dir "$VF")/available_instances")" = 1 ]
}
result "VF $VF binds to mdev_pt" bind_vf

UUID=$(new_uuid)
result "instance on the VF" "$BIN/sysfs_write" "$(type_dir "$VF")/create" "$UUID"

MDEVPT_UUID=$UUID MDEVPT_EXPECT_BAR0_NONZERO=1 "$BIN/vfio_basic_test" 2>&1 |
	sed -E "s/^(not ok|ok) [0-9]+ /\1 0 vf: /"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

result "instance removed" "$BIN/sysfs_write" "/sys/bus/mdev/devices/$UUID/remove" 1
pci_unbind "$VF"
VF=
result "VFs disabled" set_numvfs 0
result "kernel log clean" eval '! dmesg_problems'
exit $status
