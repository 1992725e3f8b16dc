#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# How user space reaches an instance's device, beyond edu.sh:
#  - the group path with the function's BDF as the device name: refused
#    (ENODEV), and the kernel log says to pass the instance's UUID, or that
#    no instance exists (tools that open by BDF, e.g. the kernel's own VFIO
#    selftests, hit this);
#  - the VFIO cdev (kernels with CONFIG_VFIO_DEVICE_CDEV, here the debug
#    kernel): vfio_cdev_test on an edu instance, then on an NVMe PF bound to
#    mdev_pt and its VF for the VF token.  On Debian's kernels, which have
#    no cdev, those tests SKIP.
#
# QEMU's NVMe PF drops its VFs on a function reset, which vfio_pci_core
# performs at every open: the PF's resets are turned off (see vf_token.sh).

. "$(dirname "$0")/../lib/common.sh"

EDU=$(edu_bdfs | head -n 1)
PF=$(nvme_pf_bdf)
PFDIR=/sys/bus/pci/devices/$PF

cleanup()
{
	local u

	for u in /sys/bus/mdev/devices/*; do
		[ -e "$u/remove" ] && echo 1 > "$u/remove"
	done
	pci_unbind "$EDU"
	if [ "$(pci_driver "$PF")" = mdev_pt ]; then
		echo 0 > "$PFDIR/sriov_numvfs"
		pci_bind "$PF" nvme > /dev/null
		echo default > "$PFDIR/reset_method"
	fi
}
trap cleanup EXIT

# run_prefixed PREFIX COMMAND...: COMMAND's TAP results, renamed.
run_prefixed()
{
	local prefix=$1 rc

	shift
	"$@" 2>&1 | sed -E "s/^(not ok|ok) [0-9]+ /\1 0 $prefix: /"
	rc=${PIPESTATUS[0]}
	# 4: every test skipped (kselftest's KSFT_SKIP)
	[ "$rc" -eq 0 ] || [ "$rc" -eq 4 ] || status=1
}

# skip NAME REASON
skip()
{
	n=$((n + 1))
	echo "ok $n $1 # SKIP $2"
}

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

dmesg -C
MDEVPT_UUID=$UUID MDEVPT_SYSFS_BDF=$EDU \
	run_prefixed cdev "$BIN/vfio_cdev_test" -f cdev
result "instance removed" "$BIN/sysfs_write" "/sys/bus/mdev/devices/$UUID/remove" 1

if [ ! -d /dev/vfio/devices ]; then
	skip "VF token on the cdev" "no VFIO cdev in this kernel"
	result "kernel log clean" eval '! dmesg_problems'
	exit $status
fi

[ -n "$PF" ] || bail "setup: no SR-IOV NVMe PF"
modprobe nvme || bail "setup: modprobe nvme"
pt_bind "$PF" > /dev/null || bail "setup: bind $PF to mdev_pt"
echo > "$PFDIR/reset_method" || bail "setup: turn off the resets of $PF"
echo 1 > "$PFDIR/sriov_numvfs" || bail "setup: enable a VF"
VF=$(vm_nvme_vf_bdfs "$PF" | head -n 1)
[ "$(pci_driver "$VF")" = mdev_pt ] || bail "setup: VF $VF not on mdev_pt"
PF_UUID=$(new_uuid)
VF_UUID=$(new_uuid)
result "instance on the PF" "$BIN/sysfs_write" "$(type_dir "$PF")/create" "$PF_UUID"
result "instance on the VF" "$BIN/sysfs_write" "$(type_dir "$VF")/create" "$VF_UUID"

dmesg -C
MDEVPT_PF_UUID=$PF_UUID MDEVPT_VF_UUID=$VF_UUID \
	run_prefixed token "$BIN/vfio_cdev_test" -f token

reasons()
{
	dmesg | grep -F "$VF: VFIO cdev bind refused" &&
		dmesg | grep -F "$PF: VFIO cdev bind refused"
}
result "cdev refusals explained in the kernel log" reasons
result "kernel log clean" eval '! dmesg_problems'
exit $status
