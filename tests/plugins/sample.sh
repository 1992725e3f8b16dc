#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The template plugin (samples/mdev-pt, module mdev_pt_sample) on an NVMe VF
# of the test bed: autoload by class, the sample-scratch type, its
# vendor/label attribute, its scratch region through VFIO
# (build/tests/vfio_plugin_test -f sample_scratch), and the autoload of
# many VFs bound at once.

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"

SAMPLE_TYPE=mdev_pt-sample-scratch
SAMPLE_TYPES="mdev_pt-passthrough $SAMPLE_TYPE"
NVFS=2
PF=$(nvme_pf_bdf)
VF=
VF2=

cleanup()
{
	remove_instances
	unblock_modules
	[ -n "$VF" ] && pci_unbind "$VF"
	[ -n "$VF2" ] && pci_unbind "$VF2"
	# Requests of a test still running would load modules in the next.
	rm -f $MODPROBE_HOLD $MODPROBE_HOLD_AFTER
	[ -e $MODPROBE_LOG ] && wait_for 60 modprobe_idle
	modprobe_unwrap
	return 0
}
trap 'cleanup; [ -n "$PF" ] && vm_nvme_enable_vfs 0 "$PF"' EXIT

# VFs enabled, none bound, mdev_pt loaded, mdev_pt_sample as asked (yes/no).
# The mock plugin, which also serves NVMe functions, is kept out of the way.
start()
{
	local vfs

	[ -n "$PF" ] || fail "no NVMe PF"
	cleanup
	block_modules $MOCK_MOD
	if module_loaded $MOCK_MOD; then
		rmmod $MOCK_MOD || fail "cannot unload $MOCK_MOD"
	fi
	modprobe mdev_pt || fail "modprobe mdev_pt"
	if [ -z "$VF" ]; then
		vfs=$(vm_nvme_enable_vfs $NVFS "$PF") || fail "cannot enable $NVFS VFs"
		VF=$(echo "$vfs" | sed -n 1p)
		VF2=$(echo "$vfs" | sed -n 2p)
		[ -n "$VF2" ] || fail "VFs: $vfs"
	fi
	if [ "$1" = no ] && module_loaded $SAMPLE_MOD; then
		rmmod $SAMPLE_MOD || fail "cannot unload $SAMPLE_MOD"
	fi
	[ "$1" = yes ] && { modprobe $SAMPLE_MOD || fail "modprobe $SAMPLE_MOD"; }
	return 0
}

# A fresh sample-scratch instance on $VF in $UUID.
UUID=
instance()
{
	UUID=$(new_uuid)
	pt_create "$VF" "$UUID" "$SAMPLE_TYPE"
}

test_autoload_by_class()
{
	local d

	start no
	pt_bind "$VF" || fail "cannot bind $VF to mdev_pt"
	module_loaded $SAMPLE_MOD || fail "binding $VF did not load $SAMPLE_MOD"
	expect_eq "types of $VF" "$SAMPLE_TYPES" "$(types_of "$VF")"
	expect_eq "$SAMPLE_MOD refcnt" 1 "$(cat /sys/module/$SAMPLE_MOD/refcnt)"
	d=$(type_dir "$VF" "$SAMPLE_TYPE")
	expect_eq device_api vfio-pci "$(cat "$d/device_api")"
	expect_eq available_instances 1 "$(cat "$d/available_instances")"
	expect_eq name "Sample scratch pad" "$(cat "$d/name")"
	[ -n "$(cat "$d/description")" ] || fail "empty description"
	# The PF is the nvme driver's and stays so.
	expect_eq "PF driver" nvme "$(pci_driver "$PF")"
}

test_one_instance_per_function()
{
	local other

	start yes
	pt_bind "$VF" || fail "cannot bind $VF"
	pt_bind "$VF2" || fail "cannot bind $VF2"
	instance
	expect_eq "sample available" 0 "$(cat "$(type_dir "$VF" "$SAMPLE_TYPE")/available_instances")"
	expect_eq "passthrough available" 0 "$(cat "$(type_dir "$VF")/available_instances")"
	expect_write "$(type_dir "$VF")/create" "$(new_uuid)" EUSERS
	# Each VF is a function of its own.
	other=$(new_uuid)
	pt_create "$VF2" "$other" "$SAMPLE_TYPE"
	pt_remove "$other"
	pt_remove "$UUID"
	expect_eq "sample available after removal" 1 \
		"$(cat "$(type_dir "$VF" "$SAMPLE_TYPE")/available_instances")"
}

test_label()
{
	local f long

	start yes
	pt_bind "$VF" || fail "cannot bind $VF"
	instance
	f=/sys/bus/mdev/devices/$UUID/vendor/label
	[ -f "$f" ] || fail "no $f"
	expect_eq "label at create" "" "$(cat "$f")"
	expect_write "$f" "vm-42 disk" OK
	expect_eq label "vm-42 disk" "$(cat "$f")"
	expect_write "$f" "with newline
" OK
	expect_eq label "with newline" "$(cat "$f")"
	long=$(printf 'x%.0s' $(seq 32))
	expect_write "$f" "$long" OK
	expect_eq "32-character label" "$long" "$(cat "$f")"
	expect_write "$f" "${long}y" EINVAL
	expect_write "$f" "$(printf 'a\tb')" EINVAL
	expect_write "$f" "$(printf 'caf\xc3\xa9')" EINVAL
	expect_write "$f" "
" EINVAL
	expect_eq "label after refusals" "$long" "$(cat "$f")"
	expect_write "$f" ok-label OK

	expect_eq open OK "$("$BIN/vfio_open" "$(iommu_group_of "/sys/bus/mdev/devices/$UUID")" "$UUID")"
	expect_write "$f" other EBUSY
	expect_write "$f" "${long}y" EINVAL
	expect_eq "label after open" ok-label "$(cat "$f")"

	# A new instance starts empty.
	pt_remove "$UUID"
	instance
	expect_eq "label of a new instance" "" "$(cat "/sys/bus/mdev/devices/$UUID/vendor/label")"
}

test_vfio()
{
	start yes
	pt_bind "$VF" || fail "cannot bind $VF"
	instance
	MDEVPT_UUID=$UUID run_tap vfio "$BIN/vfio_plugin_test" \
		-T zeroed_at_create -f sample_scratch || fail "vfio_plugin_test failed"
}

# The scratch page of a new instance is zero, also with the same UUID.
test_scratch_zeroed_at_create()
{
	local i

	start yes
	pt_bind "$VF" || fail "cannot bind $VF"
	instance
	for i in 1 2; do
		MDEVPT_UUID=$UUID MDEVPT_SCRATCH_FRESH=1 run_tap "instance $i" \
			"$BIN/vfio_plugin_test" -r sample_scratch.zeroed_at_create ||
			fail "instance $i: scratch not zeroed"
		pt_remove "$UUID"
		pt_create "$VF" "$UUID" "$SAMPLE_TYPE"
	done
}

test_plugin_pinned()
{
	start no
	pt_bind "$VF" || fail "cannot bind $VF"
	pt_bind "$VF2" || fail "cannot bind $VF2"
	expect_eq "delete_module $SAMPLE_MOD" EAGAIN "$(delete_module $SAMPLE_MOD)"
	pci_unbind "$VF"
	expect_eq "delete_module $SAMPLE_MOD" EAGAIN "$(delete_module $SAMPLE_MOD)"
	pci_unbind "$VF2"
	rmmod $SAMPLE_MOD || fail "rmmod $SAMPLE_MOD after unbinding"
}

test_late_plugin()
{
	start no
	block_modules $SAMPLE_MOD $MOCK_MOD
	pt_bind "$VF" || fail "cannot bind $VF"
	module_loaded $SAMPLE_MOD && fail "$SAMPLE_MOD loaded although blocked"
	expect_eq "types without the plugin" mdev_pt-passthrough "$(types_of "$VF")"
	unblock_modules
	modprobe $SAMPLE_MOD || fail "modprobe $SAMPLE_MOD"
	wait_for 5 has_types "$VF" "$SAMPLE_TYPES" ||
		fail "types after 5 s: $(types_of "$VF")"
	instance
	pt_remove "$UUID"
}

# Every VF the test bed offers, bound at once (in parallel) while the
# plugin is not loaded and modprobe is held: every bind returns, and once
# modprobe runs every VF gets the sample type.  The binds, all of the same
# IDs, share one request, or two if the first had started already.
test_many_vfs_bound_at_once()
{
	local vfs v n

	start no
	vfs=$(vm_nvme_enable_vfs "$(cat "/sys/bus/pci/devices/$PF/sriov_totalvfs")" "$PF" |
		xargs) || fail "cannot enable the VFs"
	modprobe_wrap
	: > $MODPROBE_HOLD
	for v in $vfs; do
		pci_bind "$v" mdev_pt > /dev/null &
	done
	wait
	for v in $vfs; do
		expect_eq "$v driver" mdev_pt "$(pci_driver "$v")"
		expect_eq "$v autoload while modprobe is held" pending "$(pt_autoload "$v")"
	done
	rm -f $MODPROBE_HOLD
	# shellcheck disable=SC2086 # one word per VF
	pt_settle $vfs || fail "autoload not done"
	n=$(modprobe_count start)
	echo "# $(echo "$vfs" | wc -w) binds, $n request(s)"
	[ "$n" -ge 1 ] && [ "$n" -le 2 ] || fail "$n requests: $(cat $MODPROBE_LOG)"
	for v in $vfs; do
		has_types "$v" "$SAMPLE_TYPES" || fail "types of $v: $(types_of "$v")"
	done
	type_usable "$(echo "$vfs" | awk '{ print $NF }')" "$SAMPLE_TYPE"
	for v in $vfs; do
		pci_unbind "$v"
	done
}

run_tests "$@"
