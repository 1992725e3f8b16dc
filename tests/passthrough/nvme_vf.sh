#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# SR-IOV VFs through mdev_pt, on the NVMe PF of the test bed (kernel nvme
# driver on the PF, VFs enabled with sriov_drivers_autoprobe=0):
#  - the PF is refused while its VFs are enabled;
#  - a VF's secondary controller is brought online with nvme-cli's
#    virt-mgmt and list-secondary (an offline QEMU NVMe VF reads as zeros in
#    BAR0), the VF is bound to mdev_pt and the VFIO basics (config space,
#    BARs, reset) run through an instance on it; BAR0 must show the
#    controller's CAP register.

. "$(dirname "$0")/../lib/common.sh"

PF=$(nvme_pf_bdf)
PFDIR=/sys/bus/pci/devices/$PF
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

# secondary VFN [FIELD]: a field of the secondary controller of VF number
# VFN (1-based) in nvme-cli's list-secondary, by default its identifier.
secondary()
{
	nvme list-secondary "/dev/$(nvme_ctrl)" -o json | python3 -c '
import json, sys
vfn, field = int(sys.argv[1]), sys.argv[2]
for e in json.load(sys.stdin)["secondary-controllers"]:
    if e["virtual-function-number"] == vfn:
        print(e[field])
        sys.exit(0)
sys.exit("no secondary controller of VF %d" % vfn)' \
		"$1" "${2:-secondary-controller-identifier}"
}

# virt_mgmt CNTLID ACT RT NR: nvme-cli's Virtualization Management command
# on the PF's controller.  ACT 1: the primary's flexible resources, 8:
# assign to a secondary, 9: set a secondary online; RT 0: VQ, 1: VI.
virt_mgmt()
{
	nvme virt-mgmt "/dev/$(nvme_ctrl)" --cntlid="$1" --act="$2" --rt="$3" \
		--nr="$4"
}

# release_flexible: take every flexible resource from the primary
# controller (the PF lets them go at its next function reset).
release_flexible()
{
	local cntlid

	cntlid=$(cat "/sys/class/nvme/$(nvme_ctrl)/cntlid") &&
		virt_mgmt "$cntlid" 1 0 0 && virt_mgmt "$cntlid" 1 1 0
}

# online_secondary VFN: assign 2 VQ and 1 VI resources to the secondary
# controller of VF number VFN and set it online.
online_secondary()
{
	local scid

	scid=$(secondary "$1") &&
		virt_mgmt "$scid" 8 1 1 && virt_mgmt "$scid" 8 0 2 &&
		virt_mgmt "$scid" 9 0 0 &&
		[ "$(secondary "$1" secondary-controller-state)" = 1 ] ||
		{ nvme list-secondary "/dev/$(nvme_ctrl)"; return 1; }
}

set_numvfs()
{
	[ "$(cat "$PFDIR/sriov_numvfs")" = 0 ] || echo 0 > "$PFDIR/sriov_numvfs"
	[ "$1" = 0 ] || echo "$1" > "$PFDIR/sriov_numvfs"
}

[ -n "$PF" ] || bail "setup: no SR-IOV NVMe PF"
command -v nvme > /dev/null || bail "setup: no nvme (Debian's nvme-cli, scripts/setup.sh installs it)"
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
		release_flexible &&
		echo 1 > "$PFDIR/reset" &&
		wait_for 30 has_ctrl &&
		set_numvfs "$NVFS" &&
		online_secondary 1
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
