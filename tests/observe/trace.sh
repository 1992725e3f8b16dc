#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The mdev_pt tracepoints (issue 15), read from tracefs:
#  - an instance's life: create (and a refused create with its errno), open,
#    close, remove, with the plugin's create, open, close and destroy;
#  - every arc of a migration round trip with the bytes that moved through
#    the data file in the state it leaves, and a failing arc with its errno
#    and the reset that ends the ERROR state;
#  - the plugin calls of trapped accesses and of a vendor region, with
#    their results;
#  - the function-level plugin calls (probe, remove) of the mock plugin;
#  - the event formats: every field the events document.

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../plugins/lib.sh"
. "$(dirname "$0")/lib.sh"

EDU=$(edu_bdfs | head -n 1)
PF=$(nvme_pf_bdf)
UUID=

teardown()
{
	observe_cleanup
	trace_stop
	remove_instances
	[ -n "$EDU" ] && pci_unbind "$EDU"
	unbind_driver mdev_pt
	[ -n "$PF" ] && vm_nvme_enable_vfs 0 "$PF" > /dev/null
}
trap teardown EXIT

cleanup()
{
	observe_cleanup
	trace_stop
	remove_instances
}

# edu_ready: EDU bound to mdev_pt with the edu plugin.
edu_ready()
{
	[ -n "$EDU" ] || fail "no edu device"
	modprobe mdev_pt_edu || fail "modprobe mdev_pt_edu"
	if [ "$(pci_driver "$EDU")" != mdev_pt ]; then
		pt_bind "$EDU" > /dev/null || fail "cannot bind $EDU to mdev_pt"
	fi
}

test_events_exist()
{
	local e

	modprobe mdev_pt || fail "modprobe mdev_pt"
	for e in mdev_pt_create mdev_pt_remove mdev_pt_open mdev_pt_close \
		 mdev_pt_mig_arc mdev_pt_mig_reset mdev_pt_plugin_call \
		 mdev_pt_plugin_fn_call mdev_pt_health mdev_pt_pci_error \
		 mdev_pt_dirty_start mdev_pt_dirty_stop mdev_pt_dirty_report; do
		[ -e "$TRACEFS/events/mdev_pt/$e/format" ] || fail "no event $e"
	done
	expect_eq "events" 13 "$(ls -d "$TRACEFS"/events/mdev_pt/mdev_pt_* | wc -l)"
	grep -q "field:u64 bytes;" "$TRACEFS/events/mdev_pt/mdev_pt_mig_arc/format" ||
		fail "mdev_pt_mig_arc has no bytes"
	grep -q "field:u64 duration_ns;" "$TRACEFS/events/mdev_pt/mdev_pt_mig_arc/format" ||
		fail "mdev_pt_mig_arc has no duration_ns"
	grep -q "field:long ret;" "$TRACEFS/events/mdev_pt/mdev_pt_plugin_call/format" ||
		fail "mdev_pt_plugin_call has no ret"
}

test_lifecycle()
{
	local u2

	edu_ready
	trace_start mdev_pt_create mdev_pt_remove mdev_pt_open mdev_pt_close \
		mdev_pt_plugin_call
	UUID=$(new_uuid)
	u2=$(new_uuid)
	pt_create "$EDU" "$UUID" "$AUDITED"
	expect_eq "second create" EUSERS \
		"$(uuid_create "$(type_dir "$EDU")/create" "$u2")"
	expect_eq "open" OK "$("$BIN/vfio_open" "$(iommu_group_of "/sys/bus/mdev/devices/$UUID")" "$UUID")"
	pt_remove "$UUID"
	trace_stop
	expect_trace_seq \
		"^mdev_pt_plugin_call: edu $UUID create: 0$" \
		"^mdev_pt_plugin_call: edu $UUID debugfs_init: 0$" \
		"^mdev_pt_create: $UUID on $EDU type $AUDITED: 0$" \
		"^mdev_pt_create: $u2 on $EDU type $PT_TYPE: -87$" \
		"^mdev_pt_plugin_call: edu $UUID open: 0$" \
		"^mdev_pt_open: $UUID on $EDU type $AUDITED: 0$" \
		"^mdev_pt_close: $UUID on $EDU type $AUDITED$" \
		"^mdev_pt_plugin_call: edu $UUID destroy: 0$" \
		"^mdev_pt_remove: $UUID on $EDU type $AUDITED$"
	expect_eq "creates" 2 "$(trace_events | grep -c '^mdev_pt_create:')"
	expect_eq "removes" 1 "$(trace_events | grep -c '^mdev_pt_remove:')"
}

test_migration_arcs()
{
	local n d

	edu_ready
	UUID=$(new_uuid)
	pt_create "$EDU" "$UUID" "$MIGRATABLE"
	d=$DBG/$EDU/$UUID/migration
	ctl_open "$UUID" || fail "open $UUID"
	trace_start mdev_pt_mig_arc mdev_pt_mig_reset mdev_pt_plugin_call
	ctl_expect mig stop_copy "mig OK data"
	expect_eq "state" STOP_COPY "$(cat "$d/state")"
	n=$(ctl save)
	n=${n#save }
	[ "$n" -gt 0 ] 2> /dev/null || fail "save: $n"
	ctl_expect mig stop "mig OK"
	ctl_expect mig resuming "mig OK data"
	ctl_expect load "load OK"
	ctl_expect mig running "mig OK"
	# Through RUNNING_P2P both ways: the edu type can quiesce.
	expect_dbg "$d/counters" arcs 8
	expect_dbg "$d/counters" errors 0
	expect_dbg "$d/counters" bytes_saved "$n"
	expect_dbg "$d/counters" bytes_loaded "$n"

	# A stream cut short: the arc out of RESUMING fails.
	ctl_expect mig stop "mig OK"
	ctl_expect mig resuming "mig OK data"
	# Half a record header: taken, but the stream never ends.
	ctl_expect garbage 8 "garbage OK"
	ctl_expect mig stop "mig EINVAL"
	ctl_expect reset "reset OK"
	ctl_close || fail "close"
	trace_stop
	expect_dbg "$d/counters" errors 1
	expect_dbg "$d/counters" bytes_loaded $((n + 8))
	[ "$(dbg_value "$d/counters" resets)" -ge 2 ] ||
		fail "resets: $(cat "$d/counters")"

	expect_trace_seq \
		"^mdev_pt_plugin_call: edu $UUID quiesce: 0$" \
		"^mdev_pt_mig_arc: $UUID RUNNING -> RUNNING_P2P: 0 bytes=0 duration_ns=[0-9]+$" \
		"^mdev_pt_plugin_call: edu $UUID stop: 0$" \
		"^mdev_pt_mig_arc: $UUID RUNNING_P2P -> STOP: 0 bytes=0 duration_ns=[0-9]+$" \
		"^mdev_pt_mig_arc: $UUID STOP -> STOP_COPY: 0 bytes=0 duration_ns=[0-9]+$" \
		"^mdev_pt_plugin_call: edu $UUID save: [1-9][0-9]*$" \
		"^mdev_pt_plugin_call: edu $UUID save: 0$" \
		"^mdev_pt_mig_arc: $UUID STOP_COPY -> STOP: 0 bytes=$n duration_ns=[0-9]+$" \
		"^mdev_pt_mig_arc: $UUID STOP -> RESUMING: 0 bytes=0 duration_ns=[0-9]+$" \
		"^mdev_pt_plugin_call: edu $UUID load: 0$" \
		"^mdev_pt_plugin_call: edu $UUID load_end: 0$" \
		"^mdev_pt_mig_arc: $UUID RESUMING -> STOP: 0 bytes=$n duration_ns=[0-9]+$" \
		"^mdev_pt_plugin_call: edu $UUID resume: 0$" \
		"^mdev_pt_mig_arc: $UUID STOP -> RUNNING_P2P: 0 bytes=0 duration_ns=[0-9]+$" \
		"^mdev_pt_plugin_call: edu $UUID unquiesce: 0$" \
		"^mdev_pt_mig_arc: $UUID RUNNING_P2P -> RUNNING: 0 bytes=0 duration_ns=[0-9]+$" \
		"^mdev_pt_mig_arc: $UUID STOP -> RESUMING: 0 bytes=0 " \
		"^mdev_pt_mig_arc: $UUID RESUMING -> STOP: -22 bytes=8 duration_ns=[0-9]+$" \
		"^mdev_pt_mig_reset: $UUID ERROR -> RUNNING$"
}

test_traps_and_region()
{
	edu_ready
	UUID=$(new_uuid)
	pt_create "$EDU" "$UUID" "$AUDITED"
	ctl_open "$UUID" || fail "open $UUID"
	trace_start mdev_pt_plugin_call
	# BAR0 0x80: the trapped DMA source register, a shadow.
	ctl_expect write 0 80 8 1234 "write OK"
	ctl_expect read 0 80 8 "read 0x1234"
	# The edu refuses 2-byte accesses to its DMA registers.
	ctl_expect read 0 80 2 "read EINVAL"
	# The DMA stats region, the type's first device-specific region (9).
	ctl_expect read 9 0 8 "read 0x0"
	ctl_close || fail "close"
	trace_stop
	expect_trace_seq \
		"^mdev_pt_plugin_call: edu $UUID trap_rw: 8$" \
		"^mdev_pt_plugin_call: edu $UUID trap_rw: 8$" \
		"^mdev_pt_plugin_call: edu $UUID trap_rw: -22$" \
		"^mdev_pt_plugin_call: edu $UUID region_rw: 8$"
}

# The mock plugin probes every NVMe function it is offered: a VF bound
# to mdev_pt, and removes itself at unbind.
test_function_calls()
{
	local vf

	[ -n "$PF" ] || fail "no NVMe PF"
	modprobe mdev_pt || fail "modprobe mdev_pt"
	modprobe "$MOCK_MOD" || fail "modprobe $MOCK_MOD"
	vf=$(vm_nvme_enable_vfs 1 "$PF") || fail "cannot enable a VF"
	trace_start mdev_pt_plugin_fn_call
	pt_bind "$vf" > /dev/null || fail "bind $vf"
	pci_unbind "$vf"
	trace_stop
	vm_nvme_enable_vfs 0 "$PF" > /dev/null
	expect_trace_seq \
		"^mdev_pt_plugin_fn_call: mock $vf probe: 0$" \
		"^mdev_pt_plugin_fn_call: mock $vf remove: 0$"
}

run_tests "$@"
