#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# SR-IOV VFs through mdev_pt: the NVMe PF of the test bed enables VFs (with
# sriov_drivers_autoprobe=0), one VF is bound to mdev_pt and the VFIO basics
# (config space, BARs, reset) run through an instance on it.  The PF itself
# is refused while its VFs are enabled.

. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/vm/guest-lib.sh"

n=0
status=0

# result NAME COMMAND...: one TAP line for COMMAND's success.
result()
{
	local name=$1 out

	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n $name"
	else
		[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'
		echo "not ok $n $name"
		status=1
	fi
}

PF=$(nvme_pf_bdf)
[ -n "$PF" ] || { echo "not ok 1 NVMe PF present"; exit 1; }
mapfile -t VFS < <(vm_nvme_enable_vfs 4 "$PF")
result "4 VFs enabled" test "${#VFS[@]}" -eq 4
VF=${VFS[0]}
modprobe mdev_pt

refuse_pf()
{
	local res

	echo "$PF" > "/sys/bus/pci/devices/$PF/driver/unbind"
	echo mdev_pt > "/sys/bus/pci/devices/$PF/driver_override"
	res=$("$BIN/sysfs_write" /sys/bus/pci/drivers/mdev_pt/bind "$PF")
	echo > "/sys/bus/pci/devices/$PF/driver_override"
	echo "$PF" > /sys/bus/pci/drivers/nvme/bind
	[ "$res" = EBUSY ] || { echo "bind of the PF: expected EBUSY, got $res"; return 1; }
	dmesg | grep -q "$PF: SR-IOV is enabled with 4 VFs" ||
		{ echo "no reason in dmesg"; return 1; }
}
result "PF with VFs enabled is refused with EBUSY" refuse_pf

bind_vf()
{
	pt_bind "$VF" || return 1
	[ -d "$(type_dir "$VF")" ] || { echo "no passthrough type on $VF"; return 1; }
	[ "$(cat "$(type_dir "$VF")/available_instances")" = 1 ]
}
result "VF $VF binds to mdev_pt" bind_vf

UUID=$(new_uuid)
result "instance on the VF" "$BIN/sysfs_write" "$(type_dir "$VF")/create" "$UUID"
result "instance in the VF's IOMMU group" test \
	"$(iommu_group_of "/sys/bus/mdev/devices/$UUID")" = \
	"$(iommu_group_of "/sys/bus/pci/devices/$VF")"

MDEVPT_UUID=$UUID MDEVPT_SYSFS_BDF=$VF "$BIN/vfio_basic_test" 2>&1 |
	sed -E "s/^(not ok|ok) [0-9]+ /\1 0 vf: /"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

result "instance removed" "$BIN/sysfs_write" "/sys/bus/mdev/devices/$UUID/remove" 1
pci_unbind "$VF"
result "VFs disabled" vm_nvme_enable_vfs 0 "$PF"
result "kernel log clean" eval '! dmesg_problems'
exit $status
