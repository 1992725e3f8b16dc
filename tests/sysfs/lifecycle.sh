#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# sysfs life cycle of mdev_pt parents and instances on an edu device:
# type attributes, create and remove, errno of every refusal, leak-free
# cycles, unbind and rebind with and without an instance.
#
# These are the core's own rules, tested without plugins: the plugins are
# blacklisted, so binding does not autoload them (tests/plugins/ covers
# them).

. "$(dirname "$0")/../lib/common.sh"

BDF=$(edu_bdfs | head -n 1)
TYPE=$(type_dir "$BDF")
BLACKLIST=/etc/modprobe.d/mdev-pt-lifecycle-test.conf

printf 'blacklist %s\n' mdev_pt_edu mdev_pt_sample > "$BLACKLIST"
trap 'rm -f "$BLACKLIST"' EXIT
for b in $(edu_bdfs); do
	pci_unbind "$b"
done
modprobe -r mdev_pt_edu mdev_pt_sample 2> /dev/null

setup()
{
	[ -n "$BDF" ] || fail "no edu device"
	if [ "$(pci_driver "$BDF")" != mdev_pt ]; then
		pt_bind "$BDF" || fail "cannot bind $BDF to mdev_pt"
	fi
}

cleanup()
{
	local m

	for m in /sys/bus/mdev/devices/*; do
		[ -e "$m/remove" ] && echo 1 > "$m/remove"
	done
	pci_unbind "$BDF"
}

test_binds_only_when_asked()
{
	local other

	other=$(edu_bdfs | sed -n 2p)
	modprobe mdev_pt
	pci_unbind "$other"
	echo "$other" > /sys/bus/pci/drivers_probe 2> /dev/null
	expect_eq "driver without driver_override" "" "$(pci_driver "$other")"
	# new_id binds every function with these IDs.
	echo "1234 11e8" > /sys/bus/pci/drivers/mdev_pt/new_id
	expect_eq "driver after new_id" mdev_pt "$(pci_driver "$other")"
	echo "1234 11e8" > /sys/bus/pci/drivers/mdev_pt/remove_id
	echo "$other" > /sys/bus/pci/drivers/mdev_pt/unbind
	[ -d "$(type_dir "$BDF")" ] && echo "$BDF" > /sys/bus/pci/drivers/mdev_pt/unbind
	echo "$other" > /sys/bus/pci/drivers_probe 2> /dev/null
	expect_eq "driver after remove_id" "" "$(pci_driver "$other")"
}

test_type_attributes()
{
	setup
	[ -d "/sys/class/mdev_bus/$BDF" ] || fail "no /sys/class/mdev_bus/$BDF"
	[ -d "$TYPE" ] || fail "no type directory $TYPE"
	expect_eq "types" "$PT_TYPE" "$(ls "$(dirname "$TYPE")")"
	expect_eq device_api vfio-pci "$(cat "$TYPE/device_api")"
	expect_eq name "Passthrough 1234:11e8" "$(cat "$TYPE/name")"
	expect_eq available_instances 1 "$(cat "$TYPE/available_instances")"
	grep -q "^Full passthrough of PCI function $BDF (1234:11e8" "$TYPE/description" ||
		fail "description: $(cat "$TYPE/description")"
	[ -f "$TYPE/create" ] || fail "no create attribute"
	[ -d "$TYPE/devices" ] || fail "no devices directory"
	expect_eq "devices" "" "$(ls "$TYPE/devices")"
}

test_no_instance_no_open()
{
	local group uuid

	setup
	group=$(iommu_group_of "/sys/bus/pci/devices/$BDF")
	[ -c "/dev/vfio/$group" ] || fail "no /dev/vfio/$group"
	expect_eq "open by BDF" "get_device_fd ENODEV" \
		"$("$BIN/vfio_open" "$group" "$BDF")"
	uuid=$(new_uuid)
	expect_eq "open by a free UUID" "get_device_fd ENODEV" \
		"$("$BIN/vfio_open" "$group" "$uuid")"
	# A removed instance's UUID is refused as well.
	pt_create "$BDF" "$uuid"
	pt_remove "$uuid"
	expect_eq "open by a removed UUID" "get_device_fd ENODEV" \
		"$("$BIN/vfio_open" "$group" "$uuid")"
}

test_create_remove()
{
	local uuid m group

	setup
	uuid=$(new_uuid)
	pt_create "$BDF" "$uuid"
	m=/sys/bus/mdev/devices/$uuid
	[ -d "$m" ] || fail "no $m"
	expect_eq "available_instances" 0 "$(cat "$TYPE/available_instances")"
	expect_eq "mdev_type" "$PT_TYPE" "$(basename "$(readlink -f "$m/mdev_type")")"
	expect_eq "parent" "$BDF" "$(basename "$(readlink -f "$m/..")")"
	[ -L "$TYPE/devices/$uuid" ] || fail "no $TYPE/devices/$uuid"
	group=$(iommu_group_of "/sys/bus/pci/devices/$BDF")
	expect_eq "instance iommu_group" "$group" "$(iommu_group_of "$m")"
	expect_eq "iommu_group target" "$(readlink -f "/sys/bus/pci/devices/$BDF/iommu_group")" \
		"$(readlink -f "$m/iommu_group")"
	expect_eq "open by UUID" OK "$("$BIN/vfio_open" "$group" "$uuid")"
	expect_eq "open by BDF with an instance" "get_device_fd ENODEV" \
		"$("$BIN/vfio_open" "$group" "$BDF")"
	pt_remove "$uuid"
	[ -e "$m" ] && fail "$m still exists"
	expect_eq "available_instances" 1 "$(cat "$TYPE/available_instances")"
}

test_create_errors()
{
	local uuid other

	setup
	expect_write "$TYPE/create" "not-a-uuid" EINVAL
	expect_write "$TYPE/create" "1234" EINVAL
	expect_eq "available_instances" 1 "$(cat "$TYPE/available_instances")"

	uuid=$(new_uuid)
	pt_create "$BDF" "$uuid"
	expect_write "$TYPE/create" "$uuid" EEXIST
	other=$(new_uuid)
	expect_write "$TYPE/create" "$other" EUSERS
	dmesg | grep -q "already serves instance $uuid" ||
		fail "no dmesg line explains the refusal"
	[ -e "/sys/bus/mdev/devices/$other" ] && fail "refused instance exists"
	expect_eq "available_instances" 0 "$(cat "$TYPE/available_instances")"
	pt_remove "$uuid"
	expect_eq "available_instances" 1 "$(cat "$TYPE/available_instances")"
	pt_create "$BDF" "$other"
	pt_remove "$other"
	expect_write "/sys/bus/mdev/devices/$other/remove" 1 ENOENT
}

# Bytes in the caches that a leak in create/remove would grow (generic
# kmalloc and sysfs nodes), after dropping reclaimable dentries and inodes.
slab_bytes()
{
	sync
	echo 2 > /proc/sys/vm/drop_caches
	awk '$1 ~ /^(kmalloc-|kernfs_node_cache)/ { n += $2 * $4 } END { print n }' /proc/slabinfo
}

cycles()
{
	local i uuid

	for i in $(seq "$1"); do
		uuid=$(new_uuid)
		pt_create "$BDF" "$uuid"
		pt_remove "$uuid"
	done
}

# SLUB counts whole per-CPU slabs as in use, so slab totals move by up to
# about 48 KiB either way without any leak (seen here).  A leak grows every
# batch of 100 cycles, so only growth in three batches in a row fails.
test_create_remove_100_no_leak()
{
	local batch before after refcnt grew=0

	setup
	cycles 5	# warm up caches and lazily allocated state
	refcnt=$(cat /sys/module/mdev_pt/refcnt)
	for batch in 1 2 3; do
		before=$(slab_bytes)
		cycles 100
		after=$(slab_bytes)
		echo "# batch $batch: slab bytes before $before after $after"
		[ $((after - before)) -gt 49152 ] && grew=$((grew + 1))
		[ $grew -lt "$batch" ] && break
	done
	expect_eq "mdev_pt refcnt" "$refcnt" "$(cat /sys/module/mdev_pt/refcnt)"
	expect_eq "instances left" "" "$(ls /sys/bus/mdev/devices)"
	expect_eq "available_instances" 1 "$(cat "$TYPE/available_instances")"
	[ $grew -lt 3 ] || fail "slab grew by more than 48 KiB in three batches of 100 cycles"
}

test_unbind_rebind_idle()
{
	setup
	echo "$BDF" > /sys/bus/pci/drivers/mdev_pt/unbind
	[ -e "/sys/class/mdev_bus/$BDF" ] && fail "parent still registered"
	[ -e "$TYPE" ] && fail "type still present"
	echo "$BDF" > /sys/bus/pci/drivers/mdev_pt/bind
	pt_settle "$BDF" || fail "autoload of $BDF not done"
	expect_eq "available_instances" 1 "$(cat "$TYPE/available_instances")"
}

test_unbind_with_instance()
{
	local uuid

	setup
	uuid=$(new_uuid)
	pt_create "$BDF" "$uuid"
	echo "$BDF" > /sys/bus/pci/drivers/mdev_pt/unbind
	[ -e "/sys/bus/mdev/devices/$uuid" ] && fail "instance survived unbind"
	echo "$BDF" > /sys/bus/pci/drivers/mdev_pt/bind
	pt_settle "$BDF" || fail "autoload of $BDF not done"
	expect_eq "available_instances" 1 "$(cat "$TYPE/available_instances")"
	pt_create "$BDF" "$uuid"
	expect_eq "open after rebind" OK \
		"$("$BIN/vfio_open" "$(iommu_group_of "/sys/bus/mdev/devices/$uuid")" "$uuid")"
}

test_unbind_with_open_instance()
{
	local uuid group pid start

	setup
	uuid=$(new_uuid)
	pt_create "$BDF" "$uuid"
	group=$(iommu_group_of "/sys/bus/mdev/devices/$uuid")
	# A user without a REQ eventfd that closes after 3 s.
	VFIO_OPEN_HOLD=3 "$BIN/vfio_open" "$group" "$uuid" > /dev/null &
	pid=$!
	sleep 1
	start=$SECONDS
	echo "$BDF" > /sys/bus/pci/drivers/mdev_pt/unbind
	wait "$pid" || fail "holder failed"
	[ $((SECONDS - start)) -ge 1 ] || fail "unbind did not wait for the close"
	[ -e "/sys/bus/mdev/devices/$uuid" ] && fail "instance survived unbind"
	dmesg | grep -q "blocked until released by user" ||
		fail "no release request logged"
}

test_rmmod()
{
	local uuid group pid

	setup
	uuid=$(new_uuid)
	pt_create "$BDF" "$uuid"
	group=$(iommu_group_of "/sys/bus/mdev/devices/$uuid")
	VFIO_OPEN_HOLD=2 "$BIN/vfio_open" "$group" "$uuid" > /dev/null &
	pid=$!
	sleep 1
	rmmod mdev_pt 2> /dev/null && fail "rmmod succeeded while the device is open"
	wait "$pid"
	# Idle instance: rmmod tears it down cleanly.
	core_unload || fail "rmmod with an idle instance failed"
	[ -e "/sys/bus/mdev/devices/$uuid" ] && fail "instance survived rmmod"
	[ -z "$(pci_driver "$BDF")" ] || fail "$BDF still bound"
	modprobe mdev_pt
}

test_refuse_bridge()
{
	local port

	setup
	# The root port above the edu device: a type 1 header.
	port=$(basename "$(readlink -f "/sys/bus/pci/devices/$BDF/..")")
	[ "$(pci_driver "$port")" = pcieport ] || { echo "# no root port"; exit 4; }
	echo "$port" > /sys/bus/pci/drivers/pcieport/unbind
	echo mdev_pt > "/sys/bus/pci/devices/$port/driver_override"
	local res
	res=$("$BIN/sysfs_write" /sys/bus/pci/drivers/mdev_pt/bind "$port")
	echo > "/sys/bus/pci/devices/$port/driver_override"
	echo "$port" > /sys/bus/pci/drivers/pcieport/bind
	expect_eq "bind a bridge" EINVAL "$res"
	dmesg | grep -q "$port: header type 1 is not supported" || fail "no reason in dmesg"
}

run_tests "$@"
