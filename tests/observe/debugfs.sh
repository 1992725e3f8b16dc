#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# mdev_pt's debugfs (issue 15), /sys/kernel/debug/mdev_pt/:
#  - a directory per bound function with lease and pci_errors, and one per
#    instance inside it with what its type has: traps, migration/state,
#    migration/counters and migration/dirty (tests/migration/dirty.sh
#    checks its contents), vendor/ (the edu plugin's DMA audit counters);
#  - the values: who holds the lease and whether it is open, the trap
#    counters and the audit counters after known accesses;
#  - nothing left behind: the instance's directory goes with the instance,
#    the function's with the binding (binding again makes a fresh one, no
#    debugfs complaint), the root with the module.

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../plugins/lib.sh"
. "$(dirname "$0")/lib.sh"

EDU=$(edu_bdfs | head -n 1)
UUID=

teardown()
{
	observe_cleanup
	unblock_modules
	remove_instances
	[ -n "$EDU" ] && pci_unbind "$EDU"
	modprobe mdev_pt
}
trap teardown EXIT

cleanup()
{
	observe_cleanup
	unblock_modules
	remove_instances
}

edu_ready()
{
	[ -n "$EDU" ] || fail "no edu device"
	modprobe mdev_pt_edu || fail "modprobe mdev_pt_edu"
	if [ "$(pci_driver "$EDU")" != mdev_pt ]; then
		pt_bind "$EDU" > /dev/null || fail "cannot bind $EDU to mdev_pt"
	fi
}

# ls_dir DIR: the entries of DIR, sorted, on one line.
ls_dir()
{
	ls "$1" 2> /dev/null | sort | xargs
}

test_layout()
{
	local t want

	edu_ready
	[ -d "$DBG" ] || fail "no $DBG"
	expect_eq "$EDU" "lease pci_errors" "$(ls_dir "$DBG/$EDU")"
	expect_dbg "$DBG/$EDU/lease" instance none
	expect_dbg "$DBG/$EDU/lease" open 0
	expect_dbg "$DBG/$EDU/lease" removing 0
	expect_dbg "$DBG/$EDU/lease" controlling_gone 0
	expect_dbg "$DBG/$EDU/pci_errors" nonfatal 0
	expect_dbg "$DBG/$EDU/pci_errors" fatal 0
	expect_dbg "$DBG/$EDU/pci_errors" perm_failure 0

	for t in "$PT_TYPE:" mdev_pt-edu-passthrough: \
		 "$AUDITED:traps vendor" "$MIGRATABLE:migration traps"; do
		want=${t#*:}
		UUID=$(new_uuid)
		pt_create "$EDU" "$UUID" "${t%%:*}"
		expect_eq "${t%%:*} directory" "$want" "$(ls_dir "$DBG/$EDU/$UUID")"
		expect_eq "$EDU" "$UUID lease pci_errors" "$(ls_dir "$DBG/$EDU")"
		expect_dbg "$DBG/$EDU/lease" instance "$UUID"
		expect_dbg "$DBG/$EDU/lease" type "${t%%:*}"
		pt_remove "$UUID"
		[ ! -e "$DBG/$EDU/$UUID" ] || fail "$DBG/$EDU/$UUID left behind"
		expect_dbg "$DBG/$EDU/lease" instance none
	done
	UUID=$(new_uuid)
	pt_create "$EDU" "$UUID" "$MIGRATABLE"
	expect_eq "migration/" "counters dirty state" "$(ls_dir "$DBG/$EDU/$UUID/migration")"
	expect_eq "migration/state" RUNNING "$(cat "$DBG/$EDU/$UUID/migration/state")"
	expect_dbg "$DBG/$EDU/$UUID/migration/counters" arcs 0
	expect_dbg "$DBG/$EDU/$UUID/migration/counters" bytes_saved 0
	pt_remove "$UUID"
}

test_lease_open()
{
	edu_ready
	UUID=$(new_uuid)
	pt_create "$EDU" "$UUID" "$PT_TYPE"
	ctl_open "$UUID" || fail "open $UUID"
	expect_dbg "$DBG/$EDU/lease" open 1
	expect_dbg "$DBG/$EDU/lease" instance "$UUID"
	ctl_close || fail "close"
	expect_dbg "$DBG/$EDU/lease" open 0
}

test_audit_counters()
{
	local d

	edu_ready
	UUID=$(new_uuid)
	pt_create "$EDU" "$UUID" "$AUDITED"
	expect_write "/sys/bus/mdev/devices/$UUID/vendor/max_dma_bytes" 100 OK
	d=$DBG/$EDU/$UUID
	expect_eq "vendor/" dma "$(ls_dir "$d/vendor")"
	expect_dbg "$d/vendor/dma" max_dma_bytes 100
	expect_dbg "$d/traps" reads 0

	ctl_open "$UUID" || fail "open $UUID"
	# Memory decoding on (PCI_COMMAND in config space, region 7).
	ctl_expect write 7 4 2 2 "write OK"
	# A read of the DMA source shadow, a count of 0 and a start: refused
	# before it reaches the device, a violation.
	ctl_expect read 0 80 8 "read 0x0"
	ctl_expect write 0 90 8 0 "write OK"
	ctl_expect write 0 98 8 1 "write OK"
	# 200 bytes is above max_dma_bytes: another violation.
	ctl_expect write 0 90 8 c8 "write OK"
	ctl_expect write 0 98 8 1 "write OK"
	# A 2-byte access, which the plugin refuses.
	ctl_expect write 0 80 2 1 "write EINVAL"
	# Outside the trapped range: not counted.
	ctl_expect read 0 0 4 "read 0x10000ed"
	ctl_close || fail "close"

	expect_dbg "$d/traps" reads 1
	expect_dbg "$d/traps" writes 5
	expect_dbg "$d/traps" errors 1
	expect_dbg "$d/vendor/dma" commands 0
	expect_dbg "$d/vendor/dma" bytes 0
	expect_dbg "$d/vendor/dma" violations 2
	expect_eq "vendor/dma_violations" 2 "$(mdev_attr "$UUID" vendor/dma_violations)"
	pt_remove "$UUID"
	[ ! -e "$d" ] || fail "$d left behind"
}

# unload_plugins: every plugin module unloaded (they hold mdev_pt).
unload_plugins()
{
	local m

	for m in /sys/module/mdev_pt_*; do
		[ -e "$m" ] && rmmod "$(basename "$m")"
	done
	return 0
}

# Unbinding removes the function's directory, binding again makes a new
# one (debugfs would complain of a directory already there), rmmod with a
# function bound and an instance on it removes them and the root.
test_nothing_left_behind()
{
	local i want

	edu_ready
	for i in 1 2 3; do
		UUID=$(new_uuid)
		pt_create "$EDU" "$UUID" "$AUDITED"
		pci_unbind "$EDU"
		[ ! -e "$DBG/$EDU" ] || fail "$DBG/$EDU left after unbind: $(ls -R "$DBG/$EDU")"
		[ ! -e "/sys/bus/mdev/devices/$UUID" ] || fail "$UUID left after unbind"
		pt_bind "$EDU" > /dev/null || fail "cannot bind $EDU again"
		expect_eq "$EDU" "lease pci_errors" "$(ls_dir "$DBG/$EDU")"
	done
	pci_unbind "$EDU"
	# One directory per bound function, and nothing else.
	want=$(ls /sys/bus/pci/drivers/mdev_pt | grep '^[0-9a-f]\{4\}:' | sort | xargs)
	expect_eq "$DBG" "$want" "$(ls_dir "$DBG")"

	unload_plugins
	block_modules mdev_pt_edu
	pt_bind "$EDU" > /dev/null || fail "cannot bind $EDU again"
	unblock_modules
	UUID=$(new_uuid)
	pt_create "$EDU" "$UUID"
	[ -d "$DBG/$EDU/$UUID" ] || fail "no $DBG/$EDU/$UUID"
	unload_plugins
	core_unload || fail "rmmod mdev_pt"
	[ ! -e "$DBG" ] || fail "$DBG left after rmmod"
	[ ! -e "/sys/bus/mdev/devices/$UUID" ] || fail "$UUID left after rmmod"
	if dmesg | grep -q "debugfs: .* already present"; then
		dmesg | grep "debugfs: .* already present"
		fail "debugfs complained"
	fi
	# Not bound again by the modprobe: its probe, inside mdev_pt's module
	# init, would wait for the edu plugin's modprobe, which waits for
	# mdev_pt's init to finish.
	pci_unbind "$EDU"
	modprobe mdev_pt || fail "modprobe mdev_pt"
	[ -d "$DBG" ] || fail "no $DBG after modprobe"
}

run_tests "$@"
