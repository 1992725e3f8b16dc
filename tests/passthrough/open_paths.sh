#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# How user space reaches an instance's device, beyond edu.sh: the group
# path with the function's BDF as the device name is refused (ENODEV), and
# the kernel log says to pass the instance's UUID, or that no instance
# exists (tools that open by BDF, e.g. the kernel's own VFIO selftests, hit
# this).

. "$(dirname "$0")/../lib/common.sh"

EDU=$(edu_bdfs | head -n 1)

cleanup()
{
	local u

	for u in /sys/bus/mdev/devices/*; do
		[ -e "$u/remove" ] && echo 1 > "$u/remove"
	done
	pci_unbind "$EDU"
}
trap cleanup EXIT

[ -n "$EDU" ] || bail "setup: no edu device"
pt_bind "$EDU" > /dev/null || bail "setup: bind $EDU to mdev_pt"
GROUP=$(iommu_group_of "/sys/bus/pci/devices/$EDU")
REFUSED="VFIO_GROUP_GET_DEVICE_FD by the function's address is refused"

# by_bdf LOG: opening the device by the function's BDF fails with ENODEV
# and the kernel log has the line "<BDF>: LOG".
by_bdf()
{
	local got

	dmesg -C
	got=$("$BIN/vfio_open" "$GROUP" "$EDU")
	[ "$got" = "get_device_fd ENODEV" ] ||
		{ echo "open by $EDU: $got"; return 1; }
	dmesg | grep -F "$EDU: $1" ||
		{ echo "no log line '$EDU: $1'"; dmesg | tail -n 5; return 1; }
}

result "open by BDF without an instance: ENODEV, logged: none exists" \
	by_bdf "$REFUSED: open the device by the UUID of an mdev instance; none exists, create one first"
UUID=$(new_uuid)
result "instance on $EDU" "$BIN/sysfs_write" "$(type_dir "$EDU")/create" "$UUID"
result "open by BDF with an instance: ENODEV, logged: its UUID" \
	by_bdf "$REFUSED: open the device by its mdev instance's UUID, $UUID"
result "open by UUID" "$BIN/vfio_open" "$GROUP" "$UUID"

result "instance removed" "$BIN/sysfs_write" "/sys/bus/mdev/devices/$UUID/remove" 1
result "kernel log clean" eval '! dmesg_problems'
exit $status
