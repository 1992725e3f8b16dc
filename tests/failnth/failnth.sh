#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Fail-nth fault injection (build/tests/mdev_pt_failnth,
# tests/failnth/mdev_pt_failnth.c): for each operation, every allocation
# the kernel makes for it is failed in turn, N = 1, 2, ... until the
# operation runs through without reaching an N-th one.  Each injected
# failure must end in a clean errno and leave no state behind (the program
# checks), the function must be usable afterwards (create, open, remove:
# checked here), and the kernel log must stay free of splats (run_tests).
#
# Needs a kernel with CONFIG_FAULT_INJECTION, FAILSLAB, FAIL_PAGE_ALLOC and
# their debugfs knobs (the debug kernel, tests/vm/README.md); SKIPs on
# Debian's kernels, which have none of them.
#
#   MDEVPT_FAILNTH_MAX   cap of each sweep (default 400 iterations)

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../plugins/lib.sh"

DBG=/sys/kernel/debug
edu_vf_fixture

cleanup()
{
	edu_vf_cleanup
	# bind_sweep's, if it failed half-way.
	[ -e /sys/module/mdev_pt/parameters/autoload_plugins ] &&
		echo Y > /sys/module/mdev_pt/parameters/autoload_plugins
	return 0
}

# What the injection itself makes the kernel print, dropped before looking
# for problems (precisely, so that anything else still fails the test):
#  - warn_alloc()'s report of a failed allocation without __GFP_NOWARN
#    ("<comm>: page allocation failure: order:N, mode:..." or "<comm>:
#    vmalloc error: size N, ..., mode:...", a stack dump, the memory
#    state): the report of the injected failure itself;
#  - two upstream 6.12 bugs outside mdev-pt, hit by the bind and the MSI
#    sweeps: the WARN_ON(group->iommu_group) in
#    vfio_group_release() when vfio_create_group() fails after
#    vfio_group_alloc() (drivers/vfio/group.c), and remove_proc_entry()'s
#    "name '...'" WARN from unregister_irq_proc() when register_irq_proc()
#    failed to create an entry (kernel/irq/proc.c ignores that failure).
#    Each is dropped only as a whole "cut here" ... "end trace" report
#    naming that file and that caller;
#  - kmemleak's "Cannot allocate a scan area, scanning the full object":
#    its own metadata allocation failed, and it falls back to scanning the
#    whole object (no leak report, kmemleak stays on).
drop_injected_failures()
{
	awk -f "$(dirname "$0")/injected.awk"
}

dmesg_problems()
{
	(
		dmesg() { command dmesg "$@" | drop_injected_failures; }
		vm_kernel_trouble
	)
}

# Fail-nth counts the fault sites of the task only; make every allocation
# one (the defaults skip those that may sleep, highmem and order 0 pages),
# and keep the injection quiet: the test looks for splats.  The
# probability stays 0 and task-filter on, so nothing fails outside the
# armed task.
#
# Allocations made under ACPICA (drivers/acpi/acpica: pci_enable_device()
# evaluates _PRT to route INTx on every first open) are not injected: a
# failed reference count update there is followed by a use-after-free in
# the ACPI namespace (KASAN, acpi_ns_get_attached_object, on the next _PRT
# evaluation; an upstream bug) that would break every later test.  The
# stack trace filter's reject range is the text of ACPICA, from its first
# function (acpi_ds_*) to the first non-ACPI function after it.
acpica_range()
{
	grep ' [tT] ' /proc/kallsyms | sort | awk '
		!start && $3 ~ /^acpi_ds_/ { start = $1; next }
		start && $3 !~ /^_*acpi/ { print start, $1; exit }'
}

fault_setup()
{
	local f start end

	if [ ! -e /proc/self/fail-nth ] || [ ! -d $DBG/failslab ] ||
	   [ ! -d $DBG/fail_page_alloc ]; then
		echo "no fail-nth or failslab/fail_page_alloc in debugfs:" \
			"needs CONFIG_FAULT_INJECTION_DEBUG_FS, FAILSLAB and" \
			"FAIL_PAGE_ALLOC (the debug kernel)"
		exit 4
	fi
	read -r start end < <(acpica_range)
	[ -n "$end" ] || fail "cannot find ACPICA in /proc/kallsyms"
	echo N > $DBG/failslab/ignore-gfp-wait
	echo N > $DBG/fail_page_alloc/ignore-gfp-wait
	echo N > $DBG/fail_page_alloc/ignore-gfp-highmem
	echo 0 > $DBG/fail_page_alloc/min-order
	for f in failslab fail_page_alloc; do
		echo 0 > $DBG/$f/probability
		echo Y > $DBG/$f/task-filter
		echo 0 > $DBG/$f/verbose
		echo 32 > $DBG/$f/stacktrace-depth
		echo "0x$start" > $DBG/$f/reject-start
		echo "0x$end" > $DBG/$f/reject-end
	done
}

# sweep ARGS...: run one sweep of mdev_pt_failnth.
sweep()
{
	timeout -s KILL 3000 "$BIN/mdev_pt_failnth" "$@" ||
		fail "mdev_pt_failnth $* failed"
}

# prepare BDF TYPE MODULE: fault injection set up, TYPE ready on BDF.
prepare()
{
	fault_setup
	type_ready "$@"
}

instance()
{
	local uuid

	uuid=$(new_uuid)
	pt_create "$1" "$uuid" "$2"
	echo "$uuid"
}

# bind_sweep AUTOLOAD: the bind sweep with autoload_plugins AUTOLOAD.
bind_sweep()
{
	local param=/sys/module/mdev_pt/parameters/autoload_plugins

	fault_setup
	[ -n "$EDU" ] || fail "no edu device"
	modprobe mdev_pt || fail "modprobe mdev_pt"
	pci_unbind "$EDU"
	echo "$1" > $param
	echo mdev_pt > "/sys/bus/pci/devices/$EDU/driver_override"
	sweep bind "$EDU"
	echo Y > $param
	expect_eq "driver after the sweep" mdev_pt "$(pci_driver "$EDU")"
	type_usable "$EDU" "$PT_TYPE"
}

# With autoload_plugins off the bind registers the parent itself: every
# allocation of the registration is one of its fault sites.
test_bind()
{
	bind_sweep N
}

# With it on (the default) the bind only queues the plugin request, and
# the parent registers from a work item once it ran.
test_bind_autoload()
{
	bind_sweep Y
}

test_create_passthrough()
{
	prepare "$EDU" "$PT_TYPE" ""
	sweep create "$EDU" "$PT_TYPE"
	type_usable "$EDU" "$PT_TYPE"
}

test_create_edu_audited()
{
	prepare "$EDU" mdev_pt-edu-audited mdev_pt_edu
	sweep create "$EDU" mdev_pt-edu-audited
	type_usable "$EDU" mdev_pt-edu-audited
}

# open_type BDF TYPE MODULE
open_type()
{
	local uuid

	prepare "$1" "$2" "$3"
	uuid=$(instance "$1" "$2")
	sweep open "$uuid"
	pt_remove "$uuid"
	type_usable "$1" "$2"
}

test_open_passthrough()
{
	open_type "$EDU" "$PT_TYPE" ""
}

test_open_edu_audited()
{
	open_type "$EDU" mdev_pt-edu-audited mdev_pt_edu
}

test_open_edu_migratable()
{
	open_type "$EDU" mdev_pt-edu-migratable mdev_pt_edu
}

# irq_type BDF TYPE MODULE INDEX
irq_type()
{
	local uuid

	prepare "$1" "$2" "$3"
	uuid=$(instance "$1" "$2")
	sweep irq "$uuid" "$4"
	pt_remove "$uuid"
	type_usable "$1" "$2"
}

test_irq_msi()
{
	# VFIO_PCI_MSI_IRQ_INDEX
	irq_type "$EDU" "$PT_TYPE" "" 1
}

test_irq_custom_edu_audited()
{
	irq_type "$EDU" mdev_pt-edu-audited mdev_pt_edu custom
}

# mig_type BDF TYPE MODULE OP
mig_type()
{
	local uuid

	prepare "$1" "$2" "$3"
	uuid=$(instance "$1" "$2")
	sweep "$4" "$uuid"
	pt_remove "$uuid"
	type_usable "$1" "$2"
}

test_mig_edu_migratable()
{
	mig_type "$EDU" mdev_pt-edu-migratable mdev_pt_edu mig
}

test_mig_mock_migratable()
{
	fault_setup
	enable_one_vf
	mig_type "$VF" mdev_pt-mock-migratable mdev_pt_mock mig
}

test_mig_v1_edu_migratable()
{
	mig_type "$EDU" mdev_pt-edu-migratable mdev_pt_edu mig-v1
}

run_tests "$@"
