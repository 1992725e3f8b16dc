#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The VF token through mdev_pt: the NVMe PF bound to mdev_pt enables two VFs
# (they bind to mdev_pt by themselves), an instance on the PF and one on the
# first VF, then vfio_vf_token_test opens them with and without the token.
#
# QEMU's NVMe PF drops its VFs on a function reset, and vfio_pci_core resets
# a function at every open (vfio-pci users of such a PF have the same
# problem): the PF's resets are turned off through reset_method.

. "$(dirname "$0")/../lib/common.sh"

PF=$(nvme_pf_bdf)
PFDIR=/sys/bus/pci/devices/$PF

cleanup()
{
	local u

	for u in /sys/bus/mdev/devices/*; do
		[ -e "$u/remove" ] && echo 1 > "$u/remove"
	done
	if [ "$(pci_driver "$PF")" = mdev_pt ]; then
		echo 0 > "$PFDIR/sriov_numvfs"
		pci_bind "$PF" nvme > /dev/null
	fi
	echo default > "$PFDIR/reset_method"
}
trap cleanup EXIT

[ -n "$PF" ] || bail "setup: no SR-IOV NVMe PF"
modprobe nvme || bail "setup: modprobe nvme"
pt_bind "$PF" > /dev/null || bail "setup: bind $PF to mdev_pt"
echo > "$PFDIR/reset_method" || bail "setup: turn off the resets of $PF"

enable_vfs()
{
	local v

	echo 2 > "$PFDIR/sriov_numvfs" || return 1
	for v in $(vm_nvme_vf_bdfs "$PF"); do
		[ "$(pci_driver "$v")" = mdev_pt ] ||
			{ echo "$v is bound to '$(pci_driver "$v")'"; return 1; }
	done
}
result "2 VFs enabled by the PF on mdev_pt, bound to mdev_pt" enable_vfs
VF=$(vm_nvme_vf_bdfs "$PF" | head -n 1)
[ -n "$VF" ] || bail "setup: no VF"

PF_UUID=$(new_uuid)
VF_UUID=$(new_uuid)
result "instance on the PF" "$BIN/sysfs_write" "$(type_dir "$PF")/create" "$PF_UUID"
result "instance on the VF" "$BIN/sysfs_write" "$(type_dir "$VF")/create" "$VF_UUID"

dmesg -C
MDEVPT_PF_UUID=$PF_UUID MDEVPT_VF_UUID=$VF_UUID "$BIN/vfio_vf_token_test" 2>&1 |
	sed -E "s/^(not ok|ok) [0-9]+ /\1 0 /"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

reasons()
{
	dmesg | grep -q "$VF: VF token required to access device" &&
		dmesg | grep -q "$VF: Incorrect VF token provided for device" &&
		dmesg | grep -q "$PF: VF token required to access device"
}
result "refusals explained in dmesg" reasons

result "VF instance removed" "$BIN/sysfs_write" "/sys/bus/mdev/devices/$VF_UUID/remove" 1
result "PF instance removed" "$BIN/sysfs_write" "/sys/bus/mdev/devices/$PF_UUID/remove" 1
result "SR-IOV disabled" "$BIN/sysfs_write" "$PFDIR/sriov_numvfs" 0
result "kernel log clean" eval '! dmesg_problems'
exit $status
