#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# SR-IOV with mdev_pt, on the NVMe PF of the test bed:
#  - vf_autobind: a PF kept on nvme is marked and its new VFs bind to
#    mdev_pt, never to nvme, with sriov_drivers_autoprobe 1 or 0; bad input
#    gets distinct errnos and a reason in dmesg;
#  - a PF bound to mdev_pt enables VFs through sriov_numvfs and they bind to
#    mdev_pt (vfio_pci_core's capture); too many VFs, enabling twice;
#  - teardown in any order: SR-IOV disabled or the PF unbound while
#    instances on its VFs are open (the users get REQ, the teardown waits
#    for them, nothing is left behind);
#  - the controlling function: the sample plugin hears that the PF went away
#    (PF unbind, SR-IOV disable) and the core then refuses its instances'
#    device calls with ENOTCONN, while passthrough instances go on working;
#    a plugin that depends on the PF is not attached to a VF whose PF went
#    before the VF registered.

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../plugins/lib.sh"

PF=$(nvme_pf_bdf)
PFDIR=/sys/bus/pci/devices/$PF
DRV=/sys/bus/pci/drivers/mdev_pt
SAMPLE_TYPE=mdev_pt-sample-scratch
WORK=$(mktemp -d)

# The PF's controller, once the nvme driver has it live.
has_ctrl()
{
	local c

	for c in "$PFDIR"/nvme/nvme*; do
		[ "$(cat "$c/state" 2> /dev/null)" = live ] && return 0
	done
	return 1
}

# pf_to DRIVER: bind the PF (SR-IOV off) to nvme or mdev_pt.  On mdev_pt
# its resets are off: QEMU's NVMe PF drops its VFs on a function reset, and
# vfio_pci_core resets a function at every open.
pf_to()
{
	[ "$(pci_driver "$PF")" = "$1" ] && return 0
	pci_bind "$PF" "$1" > /dev/null || fail "bind $PF to $1"
	if [ "$1" = nvme ]; then
		echo default > "$PFDIR/reset_method"
		wait_for 30 has_ctrl || fail "$PF has no live nvme controller"
	else
		echo > "$PFDIR/reset_method"
		pt_settle "$PF" || fail "plugin autoload of $PF"
	fi
}

# set_numvfs N: through the PF's current driver; VFs that bind to mdev_pt
# get their plugins' types before it returns.
set_numvfs()
{
	local v

	expect_write "$PFDIR/sriov_numvfs" "$1" OK
	for v in $(vfs); do
		[ "$(pci_driver "$v")" = mdev_pt ] || continue
		pt_settle "$v" || fail "plugin autoload of $v"
	done
}

vfs()
{
	vm_nvme_vf_bdfs "$PF"
}

vf()
{
	vfs | sed -n "$(($1 + 1))p"
}

# hold NAME UUID [OPTIONS]: a vfio_hold user on the instance (opened as
# "UUID OPTIONS"), output in $WORK/NAME.
hold()
{
	local group

	group=$(iommu_group_of "/sys/bus/mdev/devices/$2")
	"$BIN/vfio_hold" "$group" "$2${3:+ $3}" > "$WORK/$1" 2>&1 &
	echo $! > "$WORK/$1.pid"
	wait_for 30 grep -qx open "$WORK/$1" ||
		fail "$1: vfio_hold did not open $2: $(cat "$WORK/$1")"
}

# held NAME LINE...: the holder printed these lines, in this order, and ended.
held()
{
	local name=$1 want got

	shift
	want=$(printf '%s\n' open "$@" closed)
	wait_for 60 grep -qx closed "$WORK/$name" ||
		fail "$name: holder did not close: $(cat "$WORK/$name")"
	got=$(cat "$WORK/$name")
	[ "$got" = "$want" ] || fail "$name: expected '$(echo $want)', got '$(echo $got)'"
}

signal_holder()
{
	kill -USR1 "$(cat "$WORK/$1.pid")"
}

no_mdevs_left()
{
	[ -z "$(ls /sys/bus/mdev/devices/)" ] ||
		fail "instances left: $(ls /sys/bus/mdev/devices/)"
}

expect_dmesg()
{
	dmesg | grep -q -- "$1" || fail "no '$1' in dmesg"
}

cleanup()
{
	local p u

	for p in "$WORK"/*.pid; do
		[ -e "$p" ] && kill "$(cat "$p")" 2> /dev/null
		rm -f "$p"
	done
	wait
	for u in /sys/bus/mdev/devices/*; do
		[ -e "$u/remove" ] && echo 1 > "$u/remove"
	done
	for p in $(cat "$DRV/vf_autobind" 2> /dev/null); do
		echo "$p" > "$DRV/vf_autobind_remove"
	done
	[ -n "$(pci_driver "$PF")" ] || pci_bind "$PF" nvme
	echo 0 > "$PFDIR/sriov_numvfs"
	[ "$(pci_driver "$PF")" = nvme ] || pci_bind "$PF" nvme
	echo default > "$PFDIR/reset_method"
	wait_for 30 has_ctrl
	echo 0 > "$PFDIR/sriov_drivers_autoprobe"
	modprobe_unwrap
}

setup()
{
	[ -n "$PF" ] || fail "no SR-IOV NVMe PF"
	modprobe mdev_pt || fail "modprobe mdev_pt"
	modprobe nvme || fail "modprobe nvme"
	pf_to nvme
	# The nvme driver would probe the VFs; autobind must win without it.
	echo 0 > "$PFDIR/sriov_drivers_autoprobe"
	[ "$(cat "$PFDIR/sriov_numvfs")" = 0 ] || set_numvfs 0
}

test_autobind_bad_input()
{
	local edu

	setup
	edu=$(edu_bdfs | head -n 1)
	expect_write "$DRV/vf_autobind" "not-a-bdf" EINVAL
	expect_dmesg '"not-a-bdf" is not a PCI address'
	expect_write "$DRV/vf_autobind" "$PF junk" EINVAL
	expect_write "$DRV/vf_autobind" "0000:00:20.0" EINVAL
	expect_write "$DRV/vf_autobind" "0000:7f:1f.7" ENODEV
	expect_dmesg "no PCI device 0000:7f:1f.7"
	expect_write "$DRV/vf_autobind" "$edu" EOPNOTSUPP
	expect_dmesg "$edu: vf_autobind: not an SR-IOV physical function"
	expect_write "$DRV/vf_autobind_remove" "$PF" ENOENT
	expect_dmesg "$PF: vf_autobind_remove: not marked"
	expect_write "$DRV/vf_autobind_remove" "0000:7f:1f.7" ENODEV

	expect_write "$DRV/vf_autobind" "$PF" OK
	expect_write "$DRV/vf_autobind" "$PF" EEXIST
	expect_dmesg "$PF: vf_autobind: marked already"
	expect_eq "marked PFs" "$PF" "$(cat "$DRV/vf_autobind")"

	# A VF is no PF.
	set_numvfs 1
	expect_write "$DRV/vf_autobind" "$(vf 0)" EOPNOTSUPP
	set_numvfs 0

	expect_write "$DRV/vf_autobind_remove" "$PF" OK
	expect_eq "marked PFs" "" "$(cat "$DRV/vf_autobind")"
}

# "<vendor>:<device>" of a function, as its generic type's name has them.
vf_ids()
{
	local d=/sys/bus/pci/devices/$1 v dev

	read -r v < "$d/vendor"
	read -r dev < "$d/device"
	echo "${v#0x}:${dev#0x}"
}

test_autobind_vfs_of_nvme_pf()
{
	local v autoprobe

	setup
	expect_write "$DRV/vf_autobind" "$PF" OK
	# With autoprobe on, nvme (loaded) would take the VFs if it could.
	for autoprobe in 1 0; do
		echo "$autoprobe" > "$PFDIR/sriov_drivers_autoprobe"
		set_numvfs 2
		echo 0 > "$PFDIR/sriov_drivers_autoprobe"
		[ "$(vfs | wc -l)" = 2 ] || fail "expected 2 VFs, got $(vfs | wc -l)"
		for v in $(vfs); do
			expect_eq "$v driver (autoprobe $autoprobe)" mdev_pt \
				"$(pci_driver "$v")"
			expect_eq "$v driver_override" mdev_pt \
				"$(cat "/sys/bus/pci/devices/$v/driver_override")"
			[ -d "$(type_dir "$v")" ] || fail "$v offers no passthrough type"
			# Named by the VF's own IDs, not the edu's or the PF's.
			expect_eq "$v type name" "Passthrough $(vf_ids "$v")" \
				"$(cat "$(type_dir "$v")/name")"
			expect_dmesg "$PF: VF $v will bind to mdev_pt"
		done
		expect_eq "PF driver" nvme "$(pci_driver "$PF")"
		set_numvfs 0
	done

	# Unmarked: the next VFs stay without a driver (autoprobe is off).
	expect_write "$DRV/vf_autobind_remove" "$PF" OK
	set_numvfs 2
	for v in $(vfs); do
		expect_eq "$v driver" "" "$(pci_driver "$v")"
	done
	set_numvfs 0
}

# Disable SR-IOV while a passthrough and a sample instance on its VFs are
# open: both users get REQ; the sample's device calls fail from then on.
test_disable_sriov_under_open_instances()
{
	local u0 u1 pid start

	setup
	expect_write "$DRV/vf_autobind" "$PF" OK
	set_numvfs 2
	u0=$(new_uuid)
	u1=$(new_uuid)
	pt_create "$(vf 0)" "$u0"
	[ -d "$(type_dir "$(vf 1)" "$SAMPLE_TYPE")" ] || fail "no sample type on $(vf 1)"
	pt_create "$(vf 1)" "$u1" "$SAMPLE_TYPE"
	hold pt "$u0"
	hold sample "$u1"

	start=$SECONDS
	echo 0 > "$PFDIR/sriov_numvfs" &
	pid=$!
	held pt req "get_info OK" "read OK"
	held sample req "get_info ENOTCONN" "read ENOTCONN"
	wait "$pid" || fail "disabling SR-IOV failed"
	[ -z "$(vfs)" ] || fail "VFs left: $(vfs)"
	no_mdevs_left
	expect_dmesg "controlling function $PF gone: SR-IOV disabled"
	expect_dmesg "mdev_pt_sample: controlling function $PF gone"
	expect_eq "PF driver" nvme "$(pci_driver "$PF")"
	echo "# disable with two open instances took $((SECONDS - start)) s"
}

# mmap() of a sample instance while SR-IOV is being disabled and one of its
# device calls is in flight (stopped on a userfaultfd page): refused with
# ENOTCONN at once.  It used to wait for the function's detach_sem under
# mmap_lock, which the call in flight needed: a deadlock lockdep reported.
test_mmap_while_controlling_function_goes()
{
	local u out

	setup
	expect_write "$DRV/vf_autobind" "$PF" OK
	set_numvfs 1
	[ -d "$(type_dir "$(vf 0)" "$SAMPLE_TYPE")" ] || fail "no sample type on $(vf 0)"
	u=$(new_uuid)
	pt_create "$(vf 0)" "$u" "$SAMPLE_TYPE"
	out=$(timeout 120 "$BIN/vfio_mmap_detach" \
		"$(iommu_group_of "/sys/bus/mdev/devices/$u")" "$u" \
		"$PFDIR/sriov_numvfs" 2>&1)
	expect_eq "vfio_mmap_detach steps" \
		"blocked writer mmap ENOTCONN get_info OK closed numvfs OK" \
		"$(echo $out)"
	[ -z "$(vfs)" ] || fail "VFs left: $(vfs)"
	no_mdevs_left
	expect_dmesg "mdev_pt_sample: controlling function $PF gone"
}

# Unbind the PF from nvme while instances on its VFs are open: they stay,
# but the sample plugin is told and its instance is cut off.
test_pf_unbind_under_open_instances()
{
	local u0 u1 v1

	setup
	expect_write "$DRV/vf_autobind" "$PF" OK
	set_numvfs 2
	v1=$(vf 1)
	u0=$(new_uuid)
	u1=$(new_uuid)
	pt_create "$(vf 0)" "$u0"
	pt_create "$v1" "$u1" "$SAMPLE_TYPE"
	hold pt "$u0"
	hold sample "$u1"

	echo "$PF" > /sys/bus/pci/drivers/nvme/unbind
	expect_dmesg "$v1: controlling function $PF gone: PF unbound from its driver"
	expect_dmesg "$v1: mdev_pt_sample: controlling function $PF gone"
	signal_holder pt
	signal_holder sample
	held pt signal "get_info OK" "read OK"
	held sample signal "get_info ENOTCONN" "read ENOTCONN"

	# A detached sample instance cannot be opened, nor a new one created.
	expect_eq "open detached" "get_device_fd ENOTCONN" \
		"$("$BIN/vfio_open" "$(iommu_group_of "/sys/bus/mdev/devices/$u1")" "$u1")"
	pt_remove "$u1"
	expect_eq "create detached" ENOTCONN \
		"$(uuid_create "$(type_dir "$v1" "$SAMPLE_TYPE")/create" "$u1")"
	expect_dmesg "sample-scratch needs the controlling function $PF, which is gone"
	# The passthrough type does not depend on the PF.
	pt_create "$v1" "$u1"
	pt_remove "$u1"
	pt_remove "$u0"

	# The PF back on nvme, then SR-IOV off: nothing is left.
	pf_to nvme
	set_numvfs 0
	[ -z "$(vfs)" ] || fail "VFs left: $(vfs)"
	no_mdevs_left
}

# The PF loses its driver while its VF waits for its plugin request, not
# yet an mdev parent: the sample plugin, whose types depend on the PF, is
# not attached when the VF registers, and the generic type works.
test_pf_unbind_before_registration()
{
	local v0 u0 t0

	setup
	modprobe mdev_pt_sample || fail "modprobe mdev_pt_sample"
	expect_write "$DRV/vf_autobind" "$PF" OK
	modprobe_wrap
	: > $MODPROBE_HOLD
	t0=$(ms_now)
	expect_write "$PFDIR/sriov_numvfs" 1 OK
	v0=$(vf 0)
	expect_eq "$v0 driver" mdev_pt "$(pci_driver "$v0")"
	echo "$PF" > /sys/bus/pci/drivers/nvme/unbind
	# The parent registers 5 s after the bind even with modprobe held.
	before_deadline "$t0" ||
		skip "slow: the PF went only $(($(ms_now) - t0)) ms after the bind"
	expect_dmesg "$v0: controlling function $PF gone: PF unbound from its driver"
	rm -f $MODPROBE_HOLD
	pt_settle "$v0" || fail "plugin autoload of $v0"
	modprobe_unwrap
	expect_eq "types of $v0" mdev_pt-passthrough "$(types_of "$v0")"
	expect_dmesg "$v0: plugin sample not attached: its types need the controlling function, which is gone"
	u0=$(new_uuid)
	pt_create "$v0" "$u0"
	expect_eq "open passthrough" OK \
		"$("$BIN/vfio_open" "$(iommu_group_of "/sys/bus/mdev/devices/$u0")" "$u0")"
	pt_remove "$u0"
}

test_pf_on_mdev_pt_enables_vfs()
{
	local total v u token

	setup
	pf_to mdev_pt
	total=$(cat "$PFDIR/sriov_totalvfs")
	expect_write "$PFDIR/sriov_numvfs" "$((total + 1))" ERANGE
	set_numvfs 2
	expect_write "$PFDIR/sriov_numvfs" 3 EBUSY
	[ "$(vfs | wc -l)" = 2 ] || fail "expected 2 VFs, got $(vfs | wc -l)"
	for v in $(vfs); do
		expect_eq "$v driver" mdev_pt "$(pci_driver "$v")"
		expect_dmesg "$PF: Captured SR-IOV VF $v driver_override"
	done

	# SR-IOV off under an open VF instance: REQ, then the VFs go, the PF
	# and its instance stay.  The PF's user sets the VF token by opening.
	u=$(new_uuid)
	pt_create "$PF" "$u"
	token=$(new_uuid)
	expect_eq "open PF with a token" OK "$("$BIN/vfio_open" \
		"$(iommu_group_of "/sys/bus/mdev/devices/$u")" "$u vf_token=$token")"
	v=$(new_uuid)
	pt_create "$(vf 0)" "$v"
	hold vf "$v" "vf_token=$token"
	set_numvfs 0
	held vf req "get_info OK" "read OK"
	[ -z "$(vfs)" ] || fail "VFs left: $(vfs)"
	[ -e "/sys/bus/mdev/devices/$u" ] || fail "the PF's instance is gone"
	expect_eq "PF driver" mdev_pt "$(pci_driver "$PF")"
	pt_remove "$u"

	# Enabling again works: the PF left vfio_pci_core's list.
	set_numvfs 1
	expect_eq "VF driver" mdev_pt "$(pci_driver "$(vf 0)")"
	set_numvfs 0
}

# Unbind a PF bound to mdev_pt while its own instance and one on a VF are
# open: both users get REQ, SR-IOV goes off, nothing is left behind.
test_unbind_mdev_pt_pf_under_open_instances()
{
	local u v pid token

	setup
	pf_to mdev_pt
	set_numvfs 2
	u=$(new_uuid)
	v=$(new_uuid)
	token=$(new_uuid)
	pt_create "$PF" "$u"
	pt_create "$(vf 1)" "$v"
	hold pf "$u" "vf_token=$token"
	hold vf "$v" "vf_token=$token"

	echo "$PF" > "$DRV/unbind" &
	pid=$!
	held pf req "get_info OK" "read OK"
	held vf req "get_info OK" "read OK"
	wait "$pid" || fail "unbind failed"
	[ -z "$(vfs)" ] || fail "VFs left: $(vfs)"
	expect_eq "SR-IOV" 0 "$(cat "$PFDIR/sriov_numvfs")"
	no_mdevs_left
	expect_eq "PF driver" "" "$(pci_driver "$PF")"
	echo > "$PFDIR/driver_override"
}

run_tests "$@"
status=$?
rm -rf "$WORK"
exit $status
