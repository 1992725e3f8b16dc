#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Trapped BAR ranges against what vfio_pci_core gives for the same BAR,
# with the test plugin mdev_pt_trap_plugin (tests/modules/), whose type
# mdev_pt-traptest-forward traps NVMe's VS register (BAR0 0x8, 4 bytes)
# and forwards every access to the device.  On the test bed's NVMe PF
# (no VFs), which unlike edu has MSI-X, its table in BAR0, and a PCI PM
# capability (edu stays in D0 when runtime suspended):
#  - the region info of the BAR with the trap carries every capability
#    vfio_pci_core gives that BAR (VFIO_REGION_INFO_CAP_MSIX_MAPPABLE), next
#    to the sparse mmap capability that leaves the trapped page out;
#  - a trapped access after VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY wakes the
#    function as vfio_pci_core's own BAR accesses do, instead of failing
#    with EIO, and lets it suspend again.

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"

TRAP_MOD=mdev_pt_trap_plugin
TRAP_TYPE=mdev_pt-traptest-forward
TRAP_OFF=0x8
PF=$(nvme_pf_bdf)
UUID=

cleanup()
{
	remove_instances
	[ -n "$PF" ] && pci_unbind "$PF"
	module_loaded $TRAP_MOD && rmmod $TRAP_MOD
	return 0
}
trap cleanup EXIT

# msix_bar BDF: the BAR holding the function's MSI-X table.
msix_bar()
{
	python3 - "/sys/bus/pci/devices/$1/config" <<'EOF'
import sys
c = open(sys.argv[1], "rb").read()
p = c[0x34]
while p:
    if c[p] == 0x11:
        print(int.from_bytes(c[p + 4:p + 8], "little") & 7)
        break
    p = c[p + 1]
EOF
}

# setup TYPE: the PF (no VFs) on mdev_pt with the test plugin, and a fresh
# instance of TYPE in UUID.
setup()
{
	[ -n "$PF" ] || fail "no NVMe PF"
	cleanup
	if [ -e "/sys/bus/pci/devices/$PF/driver" ] &&
	   [ "$(cat "/sys/bus/pci/devices/$PF/sriov_numvfs")" != 0 ]; then
		vm_nvme_enable_vfs 0 "$PF" || fail "cannot disable the VFs of $PF"
	fi
	modprobe mdev_pt || fail "modprobe mdev_pt"
	modprobe $TRAP_MOD || fail "modprobe $TRAP_MOD"
	pt_bind "$PF" || fail "cannot bind $PF to mdev_pt"
	[ -d "$(type_dir "$PF" $TRAP_TYPE)" ] ||
		fail "$PF offers no $TRAP_TYPE: $(types_of "$PF")"
	UUID=$(new_uuid)
	pt_create "$PF" "$UUID" "$1"
}

# region COMMAND...: build/tests/vfio_region on the instance in UUID.
region()
{
	"$BIN/vfio_region" "$(iommu_group_of "/sys/bus/mdev/devices/$UUID")" \
		"$UUID" "$@"
}

test_msix_bar_keeps_its_capabilities()
{
	local bar core trapped line

	setup $PT_TYPE
	bar=$(msix_bar "$PF")
	[ -n "$bar" ] || fail "$PF has no MSI-X capability"
	[ "$bar" = 0 ] || fail "the MSI-X table is in BAR$bar, the trap in BAR0"
	core=$(region info "$bar") || fail "region info of $PT_TYPE: $core"
	echo "# $PT_TYPE BAR$bar: $(echo "$core" | xargs)"
	echo "$core" | grep -qx "cap msix_mappable" ||
		fail "vfio_pci_core gives BAR$bar no MSIX_MAPPABLE: test bed changed?"
	pt_remove "$UUID"

	UUID=$(new_uuid)
	pt_create "$PF" "$UUID" $TRAP_TYPE
	trapped=$(region info "$bar") || fail "region info of $TRAP_TYPE: $trapped"
	echo "# $TRAP_TYPE BAR$bar: $(echo "$trapped" | xargs)"
	# The trap at 0x8 takes the first page out of the 16 KiB BAR.
	echo "$trapped" | grep -qx "cap sparse_mmap 0x1000+0x3000" ||
		fail "no sparse mmap capability without the trapped page"
	# Every line vfio_pci_core gives (flags, size, capabilities) is there.
	while IFS= read -r line; do
		echo "$trapped" | grep -qxF "$line" ||
			fail "$TRAP_TYPE lost '$line' of BAR$bar"
	done <<< "$core"
}

test_trapped_access_wakes_the_function()
{
	local out before accesses expect

	setup $TRAP_TYPE
	if [ ! -e "/sys/bus/pci/devices/$PF/power/runtime_status" ]; then
		echo "# SKIP: no runtime PM in this kernel (CONFIG_PM)"
		exit 4
	fi
	before=$(cat /sys/module/$TRAP_MOD/parameters/accesses)
	out=$(region read 0 $TRAP_OFF 4 low_power wait_suspended "$PF" \
		read 0 $TRAP_OFF 4 wait_suspended "$PF" low_power_exit)
	echo "$out" | sed 's/^/# /'
	expect=$(echo "$out" | sed -n 1p)
	case "$expect" in
	"read 0x"*) ;;
	*) fail "trapped read before low power: $expect" ;;
	esac
	[ "$expect" != "read 0x0" ] || fail "VS reads 0: not a live NVMe controller"
	expect_eq "low power entry" "low_power OK" "$(echo "$out" | sed -n 2p)"
	case "$(echo "$out" | sed -n 3p)" in
	"wait_suspended OK D3hot" | "wait_suspended OK ?") ;;
	*) fail "the function did not suspend" ;;
	esac
	expect_eq "trapped read in low power" "$expect" "$(echo "$out" | sed -n 4p)"
	# The access's runtime PM reference is dropped again.
	case "$(echo "$out" | sed -n 5p)" in
	"wait_suspended OK"*) ;;
	*) fail "the function did not suspend again after the access" ;;
	esac
	expect_eq "low power exit" "low_power_exit OK" "$(echo "$out" | sed -n 6p)"
	accesses=$(cat /sys/module/$TRAP_MOD/parameters/accesses)
	expect_eq "trapped accesses" $((before + 2)) "$accesses"
}

run_tests "$@"
