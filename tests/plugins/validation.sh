#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# mdev_pt_register_plugin() refuses inconsistent plugins with a clear error:
# the test module mdev_pt_bad_plugin registers a plugin with one flaw each
# time it is loaded; loading must fail with the registration's errno and
# the kernel log must name the plugin and the problem.

. "$(dirname "$0")/../lib/common.sh"

# load_bad FLAW: the strerror text insmod reports ("OK" if it loaded).
# Not modprobe: it takes EEXIST from a module's init for "already loaded".
load_bad()
{
	local out

	modprobe mdev_pt || return 1
	if out=$(insmod "$(modinfo -n mdev_pt_bad_plugin)" "flaw=$1" 2>&1); then
		echo OK
	else
		echo "${out##*: }"
	fi
}

# kmod's insmod words EINVAL from init_module this way.
EINVAL="Invalid parameters"

# expect_refused FLAW ERRNO_TEXT DMESG_PATTERN
expect_refused()
{
	dmesg -C
	expect_eq "flaw $1" "$2" "$(load_bad "$1")"
	dmesg | grep -qE "$3" || fail "flaw $1: no kernel message matching '$3'"
	[ -e /sys/module/mdev_pt_bad_plugin ] && fail "flaw $1: module stayed loaded"
	return 0
}

test_valid_plugin_registers()
{
	modprobe mdev_pt || fail "modprobe mdev_pt"
	expect_eq "valid plugin" OK "$(load_bad none)"
	dmesg | grep -q "mdev_pt: plugin bad registered" || fail "no registration message"
	modprobe -r mdev_pt_bad_plugin || fail "cannot unload the valid plugin"
}

test_missing_fields()
{
	expect_refused no_types "$EINVAL" \
		"plugin bad: name, owner, id_table and types are required"
	expect_refused no_id_table "$EINVAL" \
		"plugin bad: name, owner, id_table and types are required"
}

test_type_names()
{
	expect_refused name_without_prefix "$EINVAL" \
		'plugin bad: type name "plain" must be lower-case'
	expect_refused name_upper_case "$EINVAL" \
		'plugin bad: type name "bad-Type" must be lower-case'
	expect_refused duplicate_type "$EINVAL" \
		"plugin bad: type bad-twin declared twice"
}

test_inconsistent_regions()
{
	expect_refused region_without_rw "$EINVAL" \
		"type bad-type: region 0: inconsistent size, flags or ops"
	expect_refused mmap_without_op "$EINVAL" \
		"type bad-type: region 0: inconsistent size, flags or ops"
}

test_inconsistent_irqs_and_traps()
{
	expect_refused irq_without_vectors "$EINVAL" \
		"type bad-type: IRQ 0: count must be 1-32"
	expect_refused trap_outside_bars "$EINVAL" \
		"type bad-type: traps must be in BARs 0-5"
	expect_refused overlapping_traps "$EINVAL" \
		"type bad-type: traps must be in BARs 0-5, not overlap"
	expect_refused misnamed_attrs "$EINVAL" \
		'type bad-type: the attribute group must be named "vendor"'
}

test_name_taken()
{
	modprobe mdev_pt_edu || fail "modprobe mdev_pt_edu"
	expect_refused name_taken "File exists" "plugin edu is registered already"
}

run_tests "$@"
