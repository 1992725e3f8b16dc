#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The health of an instance (issue 15): its sysfs attribute "health", its
# pci_errors/ counters, and the KOBJ_CHANGE uevents with
# MDEV_PT_HEALTH=<state> that announce each change, as udevadm monitor
# sees them:
#  - ok when the instance is created, nothing more while nothing happens;
#  - controlling-function-lost when the PF that an instance's plugin
#    depends on is unbound from its driver (the passthrough instance on the
#    other VF stays ok);
#  - migration-failed when a refused stream puts the device in the ERROR
#    migration state, ok again after VFIO_DEVICE_RESET;
#  - device-error when the PCI core reports an AER error of the function
#    (injected with aer_inject at its root port), ok again after the
#    user's reset or the next open; the most severe condition shows;
#  - the attributes are read-only: writes fail with EACCES, change nothing.

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../plugins/lib.sh"
. "$(dirname "$0")/lib.sh"

EDU=$(edu_bdfs | head -n 1)
PF=$(nvme_pf_bdf)
SAMPLE_TYPE=mdev_pt-sample-scratch
WORK=$(mktemp -d)
EVENTS=$WORK/uevents

teardown()
{
	observe_cleanup
	uevents_stop
	remove_instances
	aer_unload || echo "# cannot unload aer_inject: PCI buses scanned from now on are unusable"
	[ -n "$EDU" ] && pci_unbind "$EDU"
	unbind_driver mdev_pt
	if [ -n "$PF" ]; then
		[ "$(pci_driver "$PF")" = nvme ] ||
			echo "$PF" > /sys/bus/pci/drivers/nvme/bind 2> /dev/null
		vm_nvme_enable_vfs 0 "$PF" > /dev/null
	fi
	rm -rf "$WORK"
}
trap teardown EXIT

cleanup()
{
	observe_cleanup
	uevents_stop
	remove_instances
}

# edu_bind: EDU bound to mdev_pt afresh (a new binding, new counters), with
# the edu plugin, and udevadm listening.
edu_bind()
{
	[ -n "$EDU" ] || fail "no edu device"
	modprobe mdev_pt_edu || fail "modprobe mdev_pt_edu"
	pci_unbind "$EDU"
	pt_bind "$EDU" > /dev/null || fail "cannot bind $EDU to mdev_pt"
	obs_uevents "$EVENTS" || fail "udevadm monitor did not start"
}

# edu_create TYPE: a new instance of TYPE on EDU, its UUID in $UUID.
UUID=
edu_create()
{
	[ -d "$(type_dir "$EDU" "$1")" ] || fail "$EDU offers no $1: $(types_of "$EDU")"
	UUID=$(new_uuid)
	pt_create "$EDU" "$UUID" "$1"
}

edu_instance()
{
	edu_bind
	edu_create "$1"
}

test_ok_at_create()
{
	local f

	edu_instance "$PT_TYPE"
	expect_health "$UUID" ok
	for f in nonfatal fatal perm_failure; do
		expect_eq "pci_errors/$f" 0 \
			"$(cat "/sys/bus/mdev/devices/$UUID/pci_errors/$f")"
	done
	expect_health_events "$EVENTS" "$UUID" ok
	# Opening and closing changes nothing.
	expect_eq "open" OK "$("$BIN/vfio_open" "$(iommu_group_of "/sys/bus/mdev/devices/$UUID")" "$UUID")"
	pt_remove "$UUID"
	sleep 1
	expect_eq "health uevents" ok "$(health_events "$EVENTS" "$UUID")"
}

test_writes_refused()
{
	local f

	edu_instance "$PT_TYPE"
	for f in health pci_errors/nonfatal pci_errors/fatal pci_errors/perm_failure; do
		expect_write "/sys/bus/mdev/devices/$UUID/$f" device-error EACCES
		expect_write "/sys/bus/mdev/devices/$UUID/$f" 1 EACCES
	done
	expect_health "$UUID" ok
	expect_eq "pci_errors/nonfatal" 0 \
		"$(cat "/sys/bus/mdev/devices/$UUID/pci_errors/nonfatal")"
	expect_health_events "$EVENTS" "$UUID" ok
}

test_migration_failed()
{
	edu_instance "$MIGRATABLE"
	ctl_open "$UUID" || fail "open $UUID"
	ctl_expect mig stop "mig OK"
	ctl_expect mig resuming "mig OK data"
	# Not a stream: refused at its first record header.
	ctl_expect garbage 64 "garbage EINVAL"
	expect_health "$UUID" ok
	ctl_expect mig stop "mig EINVAL"
	ctl_expect mig_get "mig_get error"
	expect_health "$UUID" migration-failed
	expect_eq "migration/state" ERROR "$(cat "$DBG/$EDU/$UUID/migration/state")"
	expect_dbg "$DBG/$EDU/$UUID/migration/counters" errors 1
	# The ERROR state refuses every arc until a reset.
	ctl_expect mig running "mig EINVAL"
	expect_health "$UUID" migration-failed
	ctl_expect reset "reset OK"
	ctl_expect mig_get "mig_get running"
	expect_health "$UUID" ok
	ctl_close || fail "close"
	expect_health_events "$EVENTS" "$UUID" "ok migration-failed ok"
	dmesg | grep -q "$UUID: health: migration-failed" ||
		fail "no 'health: migration-failed' in dmesg"
}

# A failure that the close ends: ERROR does not outlive the user.
test_migration_failed_then_close()
{
	edu_instance "$MIGRATABLE"
	ctl_open "$UUID" || fail "open $UUID"
	ctl_expect mig stop "mig OK"
	ctl_expect mig resuming "mig OK data"
	ctl_expect close_data "close_data OK"
	# The stream ended before its end record.
	ctl_expect mig stop "mig EINVAL"
	expect_health "$UUID" migration-failed
	ctl_close || fail "close"
	expect_health "$UUID" ok
	expect_health_events "$EVENTS" "$UUID" "ok migration-failed ok"
}

test_controlling_function_lost()
{
	local vfs vf0 vf1 u0 u1

	[ -n "$PF" ] || fail "no NVMe PF"
	modprobe mdev_pt || fail "modprobe mdev_pt"
	modprobe "$SAMPLE_MOD" || fail "modprobe $SAMPLE_MOD"
	[ "$(pci_driver "$PF")" = nvme ] || vm_bind nvme "$PF" || fail "bind $PF to nvme"
	vfs=$(vm_nvme_enable_vfs 2 "$PF") || fail "cannot enable VFs"
	vf0=$(echo "$vfs" | sed -n 1p)
	vf1=$(echo "$vfs" | sed -n 2p)
	pt_bind "$vf0" > /dev/null || fail "bind $vf0"
	pt_bind "$vf1" > /dev/null || fail "bind $vf1"
	obs_uevents "$EVENTS" || fail "udevadm monitor did not start"
	trace_start mdev_pt_plugin_fn_call mdev_pt_health
	u0=$(new_uuid)
	u1=$(new_uuid)
	pt_create "$vf0" "$u0" "$SAMPLE_TYPE"
	pt_create "$vf1" "$u1"
	expect_health_events "$EVENTS" "$u0" ok
	expect_health_events "$EVENTS" "$u1" ok

	echo "$PF" > /sys/bus/pci/drivers/nvme/unbind
	expect_health "$u0" controlling-function-lost
	expect_health "$u1" ok
	expect_health_events "$EVENTS" "$u0" "ok controlling-function-lost"
	expect_eq "$vf0 lease" 1 "$(dbg_value "$DBG/$vf0/lease" controlling_gone)"
	expect_eq "$vf1 lease" 1 "$(dbg_value "$DBG/$vf1/lease" controlling_gone)"
	# The gate closes first, then the plugin hears of it.
	expect_trace_seq \
		"^mdev_pt_health: $u0 ok -> controlling-function-lost$" \
		"^mdev_pt_plugin_fn_call: sample $vf0 controlling_gone: 0$"
	trace_stop
	# The passthrough instance does not depend on the PF.
	sleep 1
	expect_eq "$u1 health uevents" ok "$(health_events "$EVENTS" "$u1")"

	pt_remove "$u0"
	pt_remove "$u1"
	sleep 1
	expect_eq "$u0 health uevents" "ok controlling-function-lost" \
		"$(health_events "$EVENTS" "$u0")"
	pci_unbind "$vf0"
	pci_unbind "$vf1"
	expect_write /sys/bus/pci/drivers/nvme/bind "$PF" OK
	vm_nvme_enable_vfs 0 "$PF" > /dev/null
}

# AER errors injected at the edu's root port reach mdev_pt's error handler
# (pcie_do_recovery() reports them to every function below the port).
test_device_error()
{
	local rp inst fn

	[ -n "$EDU" ] || fail "no edu device"
	aer_ready "$EDU" || { echo "no AER injection here (aer_inject, root port AER)"; exit 4; }
	rp=$(root_port_of "$EDU")
	edu_bind
	fn=$DBG/$EDU/pci_errors

	# Without an instance, only the function counts it.
	aer_inject "$rp" "$AER_NONFATAL" 0 || fail "aer_inject"
	expect_dbg "$fn" nonfatal 1

	edu_create "$MIGRATABLE"
	inst=/sys/bus/mdev/devices/$UUID/pci_errors
	expect_eq "pci_errors/nonfatal" 0 "$(cat "$inst/nonfatal")"
	ctl_open "$UUID" || fail "open $UUID"
	expect_health "$UUID" ok

	aer_inject "$rp" "$AER_NONFATAL" 0 || fail "aer_inject"
	expect_health "$UUID" device-error
	expect_eq "pci_errors/nonfatal" 1 "$(cat "$inst/nonfatal")"
	ctl_expect reset "reset OK"
	expect_health "$UUID" ok

	# A failed migration, then an error: the error shows, being more
	# severe, and the reset ends both.
	ctl_expect mig stop "mig OK"
	ctl_expect mig resuming "mig OK data"
	ctl_expect close_data "close_data OK"
	ctl_expect mig stop "mig EINVAL"
	expect_health "$UUID" migration-failed
	aer_inject "$rp" "$AER_NONFATAL" 0 || fail "aer_inject"
	expect_health "$UUID" device-error
	ctl_expect reset "reset OK"
	expect_health "$UUID" ok

	# A fatal error: the PCI core resets the link below the port.  The
	# close leaves device-error, the next open (with its reset) ends it.
	aer_inject "$rp" "$AER_FATAL" 0 || fail "aer_inject"
	expect_health "$UUID" device-error
	expect_eq "pci_errors/fatal" 1 "$(cat "$inst/fatal")"
	ctl_close || fail "close"
	sleep 1
	expect_health "$UUID" device-error
	expect_eq "open" OK "$("$BIN/vfio_open" "$(iommu_group_of "/sys/bus/mdev/devices/$UUID")" "$UUID")"
	expect_health "$UUID" ok

	expect_eq "pci_errors/nonfatal" 2 "$(cat "$inst/nonfatal")"
	expect_eq "pci_errors/perm_failure" 0 "$(cat "$inst/perm_failure")"
	expect_dbg "$fn" nonfatal 3
	expect_dbg "$fn" fatal 1
	expect_dbg "$fn" perm_failure 0
	expect_health_events "$EVENTS" "$UUID" \
		"ok device-error ok migration-failed device-error ok device-error ok"
	aer_unload || fail "rmmod aer_inject"
}

run_tests "$@"
