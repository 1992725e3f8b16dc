#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The plugin framework on the edu devices and the edu plugin: autoload by
# the mdev_pt: alias (in the background of the bind: it never waits for
# modprobe nor misses a module installed before a bind, and is safe against
# unbind and unload while modprobe runs), the types a served function offers and their
# attributes, one instance per function over all types, a plugin that loads
# after the function was bound (idle and busy), and the module references
# (a plugin cannot go while it serves a function, mdev_pt cannot go while a
# plugin is loaded).

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"

EDU1=$(edu_bdfs | sed -n 1p)
EDU2=$(edu_bdfs | sed -n 2p)
PT_ONLY=mdev_pt-passthrough
# How long a late plugin may take to show on an idle function (a work item).
REREG_TIMEOUT=5
AUTOLOAD=/sys/module/mdev_pt/parameters/autoload_plugins

cleanup()
{
	uevents_stop
	holders_stop
	remove_instances
	unblock_modules
	[ -n "$EDU1" ] && pci_unbind "$EDU1"
	[ -n "$EDU2" ] && pci_unbind "$EDU2"
	[ -e $AUTOLOAD ] && echo Y > $AUTOLOAD
	# Requests of a test still running would load modules in the next.
	rm -f $MODPROBE_HOLD $MODPROBE_HOLD_AFTER
	[ -e $MODPROBE_LOG ] && wait_for 60 modprobe_idle
	modprobe_unwrap
	return 0
}
trap cleanup EXIT

# start NEED_PLUGIN: nothing bound, mdev_pt loaded, mdev_pt_edu loaded or
# not as asked (yes/no).
start()
{
	[ -n "$EDU1" ] && [ -n "$EDU2" ] || fail "need two edu devices"
	cleanup
	modprobe mdev_pt || fail "modprobe mdev_pt"
	if [ "$1" = no ] && module_loaded $EDU_MOD; then
		rmmod $EDU_MOD || fail "cannot unload $EDU_MOD with nothing bound"
	fi
	if [ "$1" = yes ]; then
		modprobe $EDU_MOD || fail "modprobe $EDU_MOD"
	fi
	return 0
}

# bind_blocked BDF: bind with the plugin module unavailable.
bind_blocked()
{
	block_modules $EDU_MOD
	pt_bind "$1" || fail "cannot bind $1 to mdev_pt"
	module_loaded $EDU_MOD && fail "$EDU_MOD loaded although blocked"
	expect_eq "types of $1 without the plugin" "$PT_ONLY" "$(types_of "$1")"
}

avail()
{
	cat "$(type_dir "$1" "$2")/available_instances"
}

test_autoload()
{
	start no
	pci_bind "$EDU1" mdev_pt || fail "cannot bind $EDU1 to mdev_pt"
	case $(pt_autoload "$EDU1") in
	pending | done) ;;
	*) fail "mdev_pt_autoload of $EDU1 after the bind: '$(pt_autoload "$EDU1")'" ;;
	esac
	pt_settle "$EDU1" || fail "autoload of $EDU1 not done"
	expect_eq "mdev_pt_autoload of $EDU1" done "$(pt_autoload "$EDU1")"
	module_loaded $EDU_MOD || fail "binding $EDU1 did not load $EDU_MOD"
	expect_eq "types of $EDU1" "$EDU_TYPES" "$(types_of "$EDU1")"
	expect_eq "$EDU_MOD refcnt" 1 "$(cat /sys/module/$EDU_MOD/refcnt)"
	pt_bind "$EDU2" || fail "cannot bind $EDU2 to mdev_pt"
	expect_eq "types of $EDU2" "$EDU_TYPES" "$(types_of "$EDU2")"
	expect_eq "$EDU_MOD refcnt" 2 "$(cat /sys/module/$EDU_MOD/refcnt)"
}

# poll_autoload BDF READY: read the function's mdev_pt_autoload, create
# READY, wait in poll() (up to 60 s) for a change, print what it reads then.
poll_autoload()
{
	python3 - "/sys/bus/pci/devices/$1/mdev_pt_autoload" "$2" <<'EOF'
import select, sys
with open(sys.argv[1]) as f:
    print(f.read().strip())
    open(sys.argv[2], "w").close()
    p = select.poll()
    p.register(f, select.POLLPRI | select.POLLERR)
    if not p.poll(60000):
        sys.exit("no change in 60 s")
    f.seek(0)
    print(f.read().strip())
EOF
}

# Binding only queues the plugin request: with modprobe held, the bind
# returns, and the function is not an mdev parent until the request ends or
# 5 s passed (MDEV_PT_AUTOLOAD_REGISTER): then it registers with the
# generic type and says why; the plugin's types follow once modprobe ran,
# and mdev_pt_autoload says when (poll() wakes up).
test_autoload_in_background()
{
	local poller=/tmp/plugins-poll pid t0

	start no
	modprobe_wrap
	: > $MODPROBE_HOLD
	echo mdev_pt > "/sys/bus/pci/devices/$EDU1/driver_override"
	t0=$(ms_now)
	expect_eq "bind with modprobe held" OK \
		"$(timeout 30 "$BIN/sysfs_write" /sys/bus/pci/drivers/mdev_pt/bind "$EDU1")"
	wait_for 30 modprobe_reached 1 || fail "no plugin request reached modprobe"
	expect_eq "autoload while modprobe is held" pending "$(pt_autoload "$EDU1")"
	# Unless this took 4 s already (the deadline is 5 s after the bind).
	if before_deadline "$t0"; then
		[ -e "/sys/class/mdev_bus/$EDU1" ] &&
			fail "$EDU1 registered before its plugin request ended or 5 s passed"
	else
		echo "# slow: not registered before the deadline not checked"
	fi
	wait_for 10 has_types "$EDU1" "$PT_ONLY" ||
		fail "types 10 s after the bind with modprobe held: '$(types_of "$EDU1")'"
	dmesg | grep -q "$EDU1: plugin request still running after 5 s, registering the types of the plugins loaded so far" ||
		fail "no warning for the registration without the request"
	expect_eq "autoload while modprobe is still held" pending "$(pt_autoload "$EDU1")"
	expect_eq "available while modprobe is held" 1 "$(avail "$EDU1" "$PT_ONLY")"
	module_loaded $EDU_MOD && fail "$EDU_MOD loaded while modprobe is held"
	rm -f $poller.ready
	poll_autoload "$EDU1" $poller.ready > $poller 2>&1 &
	pid=$!
	wait_for 30 test -e $poller.ready || fail "poll: $(cat $poller)"
	rm -f $MODPROBE_HOLD
	wait $pid || fail "poll: $(cat $poller)"
	expect_eq "mdev_pt_autoload before and after poll()" "pending done" \
		"$(xargs < $poller)"
	expect_eq "types once modprobe ran" "$EDU_TYPES" "$(types_of "$EDU1")"
	module_loaded $EDU_MOD || fail "$EDU_MOD not loaded"
	expect_eq "requests" 1 "$(modprobe_count start)"
	grep -q "^start -q -- mdev_pt:v00001234d000011E8sv" $MODPROBE_LOG ||
		fail "request: $(cat $MODPROBE_LOG)"
}

# A module made available after a bind is loaded by the next bind, even
# while the request of the first is still running (it had looked the
# modules up already): that bind waits for a request of its own.  Both
# functions get the types.
test_autoload_module_installed_during_request()
{
	start no
	block_modules $EDU_MOD
	modprobe_wrap
	: > $MODPROBE_HOLD_AFTER
	pci_bind "$EDU1" mdev_pt || fail "cannot bind $EDU1 to mdev_pt"
	wait_for 30 eval '[ "$(modprobe_count ran)" = 1 ]' ||
		fail "no plugin request for $EDU1 ran modprobe"
	unblock_modules
	pci_bind "$EDU2" mdev_pt || fail "cannot bind $EDU2 to mdev_pt"
	expect_eq "autoload of $EDU2" pending "$(pt_autoload "$EDU2")"
	sleep 1
	expect_eq "requests while the first runs" 1 "$(modprobe_count start)"
	rm -f $MODPROBE_HOLD_AFTER
	pt_settle "$EDU1" "$EDU2" || fail "autoload not done"
	expect_eq "requests" 2 "$(modprobe_count start)"
	module_loaded $EDU_MOD || fail "the second request did not load $EDU_MOD"
	expect_eq "types of $EDU2" "$EDU_TYPES" "$(types_of "$EDU2")"
	wait_for $REREG_TIMEOUT has_types "$EDU1" "$EDU_TYPES" ||
		fail "$EDU1 types after $REREG_TIMEOUT s: $(types_of "$EDU1")"
}

# The same after the first request ended: nothing loads the module until
# a function binds again, then every bound function gets the types.
test_autoload_module_installed_after_bind()
{
	start no
	bind_blocked "$EDU1"
	expect_eq "autoload of $EDU1" done "$(pt_autoload "$EDU1")"
	unblock_modules
	sleep 1
	module_loaded $EDU_MOD && fail "$EDU_MOD loaded without a bind"
	pt_bind "$EDU2" || fail "cannot bind $EDU2 to mdev_pt"
	module_loaded $EDU_MOD || fail "binding $EDU2 did not load $EDU_MOD"
	expect_eq "types of $EDU2" "$EDU_TYPES" "$(types_of "$EDU2")"
	wait_for $REREG_TIMEOUT has_types "$EDU1" "$EDU_TYPES" ||
		fail "$EDU1 types after $REREG_TIMEOUT s: $(types_of "$EDU1")"
	# Rebinding the first function asks again, and finds it loaded.
	pci_unbind "$EDU1"
	pt_bind "$EDU1" || fail "cannot bind $EDU1 again"
	expect_eq "types of $EDU1 rebound" "$EDU_TYPES" "$(types_of "$EDU1")"
}

# Unbind while the function's request runs: the unbind does not wait for
# modprobe, and what modprobe loads afterwards serves nothing.
test_unbind_during_request()
{
	start no
	modprobe_wrap
	: > $MODPROBE_HOLD
	pci_bind "$EDU1" mdev_pt || fail "cannot bind $EDU1 to mdev_pt"
	wait_for 30 modprobe_reached 1 || fail "no plugin request reached modprobe"
	expect_eq "unbind with modprobe held" OK \
		"$(timeout 30 "$BIN/sysfs_write" /sys/bus/pci/drivers/mdev_pt/unbind "$EDU1")"
	[ -e "/sys/bus/pci/devices/$EDU1/mdev_pt_autoload" ] &&
		fail "mdev_pt_autoload left after the unbind"
	rm -f $MODPROBE_HOLD
	wait_for 60 modprobe_idle || fail "request still running"
	wait_for 10 module_loaded $EDU_MOD || fail "the request did not load $EDU_MOD"
	expect_eq "$EDU_MOD refcnt" 0 "$(cat /sys/module/$EDU_MOD/refcnt)"
	# Bound again with the module loaded: its types once the request ran.
	pci_bind "$EDU1" mdev_pt || fail "cannot bind $EDU1 again"
	pt_settle "$EDU1" || fail "autoload of $EDU1 not done"
	expect_eq "types of $EDU1 rebound" "$EDU_TYPES" "$(types_of "$EDU1")"
}

# rmmod mdev_pt while a request of an unbound function runs: the unload
# waits for it, and the plugin it would load cannot link against the
# module going away.  mdev_pt loads again afterwards.
test_unload_during_request()
{
	local pid m

	start no
	for m in $SAMPLE_MOD $MOCK_MOD; do
		if module_loaded $m; then
			rmmod $m || fail "rmmod $m with nothing bound"
		fi
	done
	modprobe_wrap
	: > $MODPROBE_HOLD
	pci_bind "$EDU1" mdev_pt || fail "cannot bind $EDU1 to mdev_pt"
	wait_for 30 modprobe_reached 1 || fail "no plugin request reached modprobe"
	pci_unbind "$EDU1"
	core_unload &
	pid=$!
	sleep 2
	kill -0 $pid 2> /dev/null || fail "mdev_pt unloaded while its request ran"
	rm -f $MODPROBE_HOLD
	wait $pid || fail "rmmod mdev_pt"
	module_loaded mdev_pt && fail "mdev_pt still loaded"
	module_loaded $EDU_MOD && fail "$EDU_MOD loaded without mdev_pt"
	modprobe_idle || fail "request still running after the unload"
	modprobe_unwrap
	modprobe mdev_pt || fail "modprobe mdev_pt"
	pt_bind "$EDU1" || fail "cannot bind $EDU1"
	expect_eq "types of $EDU1" "$EDU_TYPES" "$(types_of "$EDU1")"
}

# Unload and autoload again, a few times: no reference is left behind.
test_autoload_cycles()
{
	local i

	start no
	for i in 1 2 3; do
		pt_bind "$EDU1" || fail "cycle $i: cannot bind"
		module_loaded $EDU_MOD || fail "cycle $i: $EDU_MOD not loaded"
		has_types "$EDU1" "$EDU_TYPES" || fail "cycle $i: types $(types_of "$EDU1")"
		pci_unbind "$EDU1"
		expect_eq "cycle $i: $EDU_MOD refcnt" 0 "$(cat /sys/module/$EDU_MOD/refcnt)"
		rmmod $EDU_MOD || fail "cycle $i: rmmod $EDU_MOD"
	done
}

# With the autoload_plugins parameter off, binding loads no plugin; one
# loaded afterwards attaches as any late plugin does.
test_autoload_off()
{
	start no
	expect_eq "autoload_plugins by default" Y "$(cat $AUTOLOAD)"
	echo N > $AUTOLOAD || fail "cannot turn autoload_plugins off"
	pt_bind "$EDU1" || fail "cannot bind $EDU1 to mdev_pt"
	module_loaded $EDU_MOD && fail "$EDU_MOD loaded with autoload_plugins off"
	expect_eq "mdev_pt_autoload of $EDU1" off "$(pt_autoload "$EDU1")"
	expect_eq "types of $EDU1 without autoload" "$PT_ONLY" "$(types_of "$EDU1")"
	modprobe $EDU_MOD || fail "modprobe $EDU_MOD"
	wait_for $REREG_TIMEOUT has_types "$EDU1" "$EDU_TYPES" ||
		fail "$EDU1 types after $REREG_TIMEOUT s: $(types_of "$EDU1")"
	pt_bind "$EDU2" || fail "cannot bind $EDU2 to mdev_pt"
	expect_eq "types of $EDU2 with the plugin loaded ahead" "$EDU_TYPES" \
		"$(types_of "$EDU2")"
	echo Y > $AUTOLOAD || fail "cannot turn autoload_plugins on"
	pci_unbind "$EDU1"
	pci_unbind "$EDU2"
	rmmod $EDU_MOD || fail "rmmod $EDU_MOD"
	pt_bind "$EDU1" || fail "cannot bind $EDU1 to mdev_pt"
	module_loaded $EDU_MOD || fail "autoload_plugins on again: $EDU_MOD not loaded"
	expect_eq "types of $EDU1 with autoload" "$EDU_TYPES" "$(types_of "$EDU1")"
}

test_type_attributes()
{
	local t d name desc names=""

	start no
	pt_bind "$EDU1" || fail "cannot bind $EDU1"
	for t in $EDU_TYPES; do
		d=$(type_dir "$EDU1" "$t")
		expect_eq "$t device_api" vfio-pci "$(cat "$d/device_api")"
		expect_eq "$t available_instances" 1 "$(cat "$d/available_instances")"
		expect_eq "$t devices" "" "$(ls "$d/devices")"
		[ -f "$d/create" ] || fail "$t has no create"
		name=$(cat "$d/name")
		desc=$(cat "$d/description")
		echo "# $t: name '$name', description '$desc'"
		[ -n "$name" ] && [ "$(wc -l < "$d/name")" = 1 ] || fail "$t: bad name"
		[ -n "$desc" ] && [ "$(wc -l < "$d/description")" = 1 ] ||
			fail "$t: bad description"
		case " $names " in
		*" $name "*) fail "$t: name '$name' used twice" ;;
		esac
		names="$names $name"
	done
	expect_eq "passthrough name" "Passthrough 1234:11e8" "$(cat "$(type_dir "$EDU1")/name")"
	grep -q "^Full passthrough of PCI function $EDU1 (1234:11e8" \
		"$(type_dir "$EDU1")/description" || fail "passthrough description"
}

# One instance per function, whatever the type; every type can be opened.
test_one_instance_per_function()
{
	local t o uuid other m

	start no
	pt_bind "$EDU1" || fail "cannot bind $EDU1"
	for t in $EDU_TYPES; do
		uuid=$(new_uuid)
		pt_create "$EDU1" "$uuid" "$t"
		m=/sys/bus/mdev/devices/$uuid
		expect_eq "mdev_type of $t" "$t" "$(basename "$(readlink -f "$m/mdev_type")")"
		[ -L "$(type_dir "$EDU1" "$t")/devices/$uuid" ] || fail "not listed under $t"
		for o in $EDU_TYPES; do
			expect_eq "$o available with a $t instance" 0 "$(avail "$EDU1" "$o")"
			other=$(new_uuid)
			expect_write "$(type_dir "$EDU1" "$o")/create" "$other" EUSERS
			[ "$o" = "$t" ] && continue
			expect_eq "$o devices" "" "$(ls "$(type_dir "$EDU1" "$o")/devices")"
		done
		expect_eq "open $t" OK "$("$BIN/vfio_open" "$(iommu_group_of "$m")" "$uuid")"
		pt_remove "$uuid"
		for o in $EDU_TYPES; do
			expect_eq "$o available after removal" 1 "$(avail "$EDU1" "$o")"
		done
	done
	# The other function is not affected by this one's instance.
	pt_bind "$EDU2" || fail "cannot bind $EDU2"
	uuid=$(new_uuid)
	pt_create "$EDU1" "$uuid" "$AUDITED"
	expect_eq "$EDU2 available" 1 "$(avail "$EDU2" "$AUDITED")"
	other=$(new_uuid)
	pt_create "$EDU2" "$other" "$AUDITED"
	pt_remove "$other"
	pt_remove "$uuid"
}

# A plugin that loads after the function was bound: an idle function
# registers again with the new types.
test_late_plugin_idle()
{
	local uuid

	start no
	bind_blocked "$EDU1"
	bind_blocked "$EDU2"
	expect_eq "available" 1 "$(avail "$EDU1" "$PT_ONLY")"
	uevents_start /tmp/plugins-uevents || fail "udevadm monitor did not start"
	unblock_modules
	modprobe $EDU_MOD || fail "modprobe $EDU_MOD"
	wait_for $REREG_TIMEOUT has_types "$EDU1" "$EDU_TYPES" ||
		fail "$EDU1 types after $REREG_TIMEOUT s: $(types_of "$EDU1")"
	wait_for $REREG_TIMEOUT has_types "$EDU2" "$EDU_TYPES" ||
		fail "$EDU2 types after $REREG_TIMEOUT s: $(types_of "$EDU2")"
	# Management tools hear of the new types as of any new parent.
	wait_for 5 uevent_seen /tmp/plugins-uevents "/$EDU1" MDEV_STATE=registered ||
		fail "no MDEV_STATE=registered uevent for $EDU1"
	uevent_seen /tmp/plugins-uevents "/$EDU1" MDEV_STATE=unregistered ||
		fail "no MDEV_STATE=unregistered uevent for $EDU1"
	uevents_stop
	expect_eq "$AUDITED available" 1 "$(avail "$EDU1" "$AUDITED")"
	[ -d "/sys/class/mdev_bus/$EDU1" ] || fail "no /sys/class/mdev_bus/$EDU1"
	uuid=$(new_uuid)
	pt_create "$EDU1" "$uuid" "$AUDITED"
	expect_eq "open" OK "$("$BIN/vfio_open" "$(iommu_group_of "/sys/bus/mdev/devices/$uuid")" "$uuid")"
	expect_eq "max_dma_bytes" 4095 "$(mdev_attr "$uuid" vendor/max_dma_bytes)"
	pt_remove "$uuid"
	rmmod $EDU_MOD 2> /dev/null && fail "rmmod $EDU_MOD while it serves functions"
	return 0
}

# The same with an instance: the types stay until the instance is gone.
test_late_plugin_busy()
{
	local uuid m

	start no
	bind_blocked "$EDU1"
	uuid=$(new_uuid)
	pt_create "$EDU1" "$uuid" "$PT_ONLY"
	m=/sys/bus/mdev/devices/$uuid
	unblock_modules
	modprobe $EDU_MOD || fail "modprobe $EDU_MOD"
	wait_for $REREG_TIMEOUT grep -q "$EDU1: new types appear once the instance is removed" \
		<(dmesg) || fail "no dmesg line for the deferred registration"
	sleep 1
	expect_eq "types while busy" "$PT_ONLY" "$(types_of "$EDU1")"
	[ -e "$m" ] || fail "instance vanished"
	expect_eq "available while busy" 0 "$(avail "$EDU1" "$PT_ONLY")"
	expect_eq "open while busy" OK "$("$BIN/vfio_open" "$(iommu_group_of "$m")" "$uuid")"
	# Attached already: the plugin is pinned.
	expect_eq "delete_module $EDU_MOD" EAGAIN "$(delete_module $EDU_MOD)"
	pt_remove "$uuid"
	wait_for $REREG_TIMEOUT has_types "$EDU1" "$EDU_TYPES" ||
		fail "types $REREG_TIMEOUT s after removal: $(types_of "$EDU1")"
	uuid=$(new_uuid)
	pt_create "$EDU1" "$uuid" "$AUDITED"
	pt_remove "$uuid"
}

# Creates racing the switch to the new types, as fast as the shell can
# (builtins only), over several plugin loads: each one succeeds (and the
# switch waits for its removal), or fails with EAGAIN while the parent
# registers again, or finds the type gone (ENOENT, ENODEV); nothing else,
# and no instance is lost.
test_late_plugin_racing_creates()
{
	local create audited uuid msg ok=0 refused=0 eagain=0 pid deadline cycle
	local err=/tmp/plugins-create.err t0

	t0=$SECONDS
	create=$(type_dir "$EDU1")/create
	audited=$(type_dir "$EDU1" "$AUDITED")
	for cycle in 1 2 3 4 5 6 7 8; do
		start no
		bind_blocked "$EDU1"
		unblock_modules
		modprobe $EDU_MOD &
		pid=$!
		deadline=$((SECONDS + 20))
		until [ -d "$audited" ]; do
			[ $SECONDS -lt $deadline ] ||
				fail "cycle $cycle: types after 20 s: $(types_of "$EDU1")"
			read -r uuid < /proc/sys/kernel/random/uuid
			if { echo "$uuid" > "$create"; } 2> $err; then
				ok=$((ok + 1))
				echo 1 > "/sys/bus/mdev/devices/$uuid/remove" ||
					fail "cannot remove $uuid"
				continue
			fi
			read -r msg < $err
			# (The shell opens with O_CREAT: a missing create file in
			# a sysfs directory reads EACCES instead of ENOENT.)
			case "$msg" in
			*"Resource temporarily unavailable"* | \
			*"No such file or directory"* | *"No such device"* | \
			*"Permission denied"*)
				case "$msg" in
				*"temporarily"*) eagain=$((eagain + 1)) ;;
				esac
				refused=$((refused + 1)) ;;
			*)
				fail "cycle $cycle: create during the switch: $msg" ;;
			esac
		done
		wait "$pid" || fail "modprobe $EDU_MOD"
		wait_for $REREG_TIMEOUT has_types "$EDU1" "$EDU_TYPES" ||
			fail "cycle $cycle: types $(types_of "$EDU1")"
		expect_eq "cycle $cycle: instances left" "" "$(ls /sys/bus/mdev/devices)"
	done
	echo "# $ok creates succeeded, $refused refused ($eagain EAGAIN), in $((SECONDS - t0)) s"
	uuid=$(new_uuid)
	pt_create "$EDU1" "$uuid" "$AUDITED"
	pt_remove "$uuid"
}

# Unbinding a function whose registration is still pending drops it cleanly.
test_late_plugin_busy_then_unbind()
{
	local uuid

	start no
	bind_blocked "$EDU1"
	uuid=$(new_uuid)
	pt_create "$EDU1" "$uuid" "$PT_ONLY"
	unblock_modules
	modprobe $EDU_MOD || fail "modprobe $EDU_MOD"
	wait_for $REREG_TIMEOUT grep -q "$EDU1: new types appear once the instance is removed" \
		<(dmesg) || fail "no dmesg line for the deferred registration"
	pci_unbind "$EDU1"
	[ -e "/sys/bus/mdev/devices/$uuid" ] && fail "instance survived unbind"
	sleep 1
	expect_eq "$EDU_MOD refcnt" 0 "$(cat /sys/module/$EDU_MOD/refcnt)"
	rmmod $EDU_MOD || fail "rmmod $EDU_MOD after unbind"
	pt_bind "$EDU1" || fail "rebind"
	expect_eq "types after rebind" "$EDU_TYPES" "$(types_of "$EDU1")"
}

# hold_attr FILE TAG: a background process opens FILE (a sysfs attribute)
# and keeps it open; holder_read TAG makes it read from the open file then.
HOLDERS=/tmp/plugins-holders
hold_attr()
{
	local out=$HOLDERS/$2

	mkdir -p $HOLDERS
	(
		exec 3< "$1" || exit 1
		: > "$out.ready"
		for _ in $(seq 1200); do
			[ -e "$out.go" ] && break
			sleep 0.1
		done
		if read -r line <&3 2> "$out.err"; then
			echo "read: $line"
		else
			echo "error: $(cat "$out.err")"
		fi > "$out.result"
	) > /dev/null 2>&1 &
	echo $! >> $HOLDERS/pids
	wait_for 10 test -e "$out.ready" || fail "$2: cannot open $1"
}

# holder_read TAG: what the holder's read gave.
holder_read()
{
	local out=$HOLDERS/$1

	: > "$out.go"
	wait_for 20 test -s "$out.result" || fail "$1: holder did not read"
	cat "$out.result"
}

holders_stop()
{
	local pid

	[ -e $HOLDERS/pids ] || return 0
	while read -r pid; do
		kill "$pid" 2> /dev/null
	done < $HOLDERS/pids
	rm -rf $HOLDERS
}

# On a kernel with CONFIG_DEBUG_KOBJECT_RELEASE every kobject release runs
# 1-4 s late, an mdev device's and then the type's it held: wait for them
# (up to 8 s) so that anything they touch is checked inside this test.
settle_releases()
{
	if dmesg | grep -q "kobject_release, parent .* (delayed"; then
		sleep 10
	fi
}

# The mdev core keeps each type of a registration until its own release:
# an instance's device holds its type until the device is released, the
# type directory's "devices" kobject holds it as well, and either release
# may run after the parent was unregistered (any time later with
# CONFIG_DEBUG_KOBJECT_RELEASE).  Register again for a late plugin while
# the removed instance's device still holds the old type, then unbind with
# an instance, each with a type attribute held open: the type memory must
# outlive those releases (KASAN on the debug kernel), and a read from the
# open attribute of a type that is gone fails cleanly.
test_types_outlive_registration()
{
	local uuid

	start no
	holders_stop
	bind_blocked "$EDU1"
	uuid=$(new_uuid)
	pt_create "$EDU1" "$uuid" "$PT_ONLY"
	hold_attr "$(type_dir "$EDU1" "$PT_ONLY")/name" old
	unblock_modules
	modprobe $EDU_MOD || fail "modprobe $EDU_MOD"
	wait_for $REREG_TIMEOUT grep -q "$EDU1: new types appear once the instance is removed" \
		<(dmesg) || fail "no dmesg line for the deferred registration"
	# The removal lets the parent register again at once.
	pt_remove "$uuid"
	wait_for $REREG_TIMEOUT has_types "$EDU1" "$EDU_TYPES" ||
		fail "types $REREG_TIMEOUT s after removal: $(types_of "$EDU1")"
	case $(holder_read old) in
	*"No such device"*) ;;
	*) fail "read from the old type's name: $(holder_read old)" ;;
	esac

	uuid=$(new_uuid)
	pt_create "$EDU1" "$uuid" "$AUDITED"
	hold_attr "$(type_dir "$EDU1" "$AUDITED")/name" audited
	hold_attr "$(type_dir "$EDU1" "$PT_ONLY")/available_instances" avail
	pci_unbind "$EDU1"
	[ -e "/sys/bus/mdev/devices/$uuid" ] && fail "instance survived unbind"
	case $(holder_read audited) in
	*"No such device"*) ;;
	*) fail "read from the unbound type's name: $(holder_read audited)" ;;
	esac
	# Bound again at once: a new registration while the old types may
	# still be held.
	pt_bind "$EDU1" || fail "cannot bind $EDU1 again"
	expect_eq "types after rebind" "$EDU_TYPES" "$(types_of "$EDU1")"
	case $(holder_read avail) in
	*"No such device"*) ;;
	*) fail "read from the unbound type's available_instances: $(holder_read avail)" ;;
	esac
	uuid=$(new_uuid)
	pt_create "$EDU1" "$uuid" "$AUDITED"
	pt_remove "$uuid"
	holders_stop
	settle_releases
}

# Unloading mdev_pt right after an unbind, while the mdev core may still
# hold the function's types (and an instance's device holds one): the
# unload must wait for those releases, which use the parent's memory and
# mdev_pt's mdev driver.
test_unload_with_types_held()
{
	local uuid m

	start no
	pt_bind "$EDU1" || fail "cannot bind $EDU1"
	uuid=$(new_uuid)
	pt_create "$EDU1" "$uuid" "$AUDITED"
	pci_unbind "$EDU1"
	# The function's vfio device is released up to 4 s after the unbind
	# with delayed releases, and that release runs mdev_pt code as well,
	# which this test does not cover: let it pass first.  Most types are
	# still held then (each is released 2-8 s after the unbind).
	if dmesg | grep -q "kobject_release, parent .* (delayed"; then
		sleep 4.5
	fi
	for m in $EDU_MOD $SAMPLE_MOD $MOCK_MOD; do
		if module_loaded $m; then
			rmmod $m || fail "rmmod $m with nothing bound"
		fi
	done
	core_unload || fail "rmmod mdev_pt right after the unbind"
	module_loaded mdev_pt && fail "mdev_pt still loaded"
	settle_releases
	modprobe mdev_pt || fail "modprobe mdev_pt"
}

# A plugin for other functions leaves these alone.
test_unrelated_plugin_ignored()
{
	local uuid

	start yes
	pt_bind "$EDU1" || fail "cannot bind $EDU1"
	uuid=$(new_uuid)
	pt_create "$EDU1" "$uuid" "$AUDITED"
	module_loaded $SAMPLE_MOD && rmmod $SAMPLE_MOD
	modprobe $SAMPLE_MOD || fail "modprobe $SAMPLE_MOD"
	sleep 1
	dmesg | grep -q "new types appear" && fail "edu function wants to re-register"
	expect_eq "types" "$EDU_TYPES" "$(types_of "$EDU1")"
	[ -e "/sys/bus/mdev/devices/$uuid" ] || fail "instance vanished"
	rmmod $SAMPLE_MOD || fail "rmmod $SAMPLE_MOD, which serves nothing"
	pt_remove "$uuid"
}

test_plugin_pinned_while_serving()
{
	local uuid

	start no
	pt_bind "$EDU1" || fail "cannot bind $EDU1"
	pt_bind "$EDU2" || fail "cannot bind $EDU2"
	rmmod $EDU_MOD 2> /dev/null && fail "rmmod $EDU_MOD while it serves two functions"
	expect_eq "delete_module $EDU_MOD" EAGAIN "$(delete_module $EDU_MOD)"
	module_loaded $EDU_MOD || fail "$EDU_MOD gone"
	uuid=$(new_uuid)
	pt_create "$EDU1" "$uuid" "$AUDITED"
	expect_eq "delete_module $EDU_MOD with an instance" EAGAIN "$(delete_module $EDU_MOD)"
	pt_remove "$uuid"
	pci_unbind "$EDU1"
	expect_eq "delete_module $EDU_MOD serving one" EAGAIN "$(delete_module $EDU_MOD)"
	expect_eq "types of $EDU2" "$EDU_TYPES" "$(types_of "$EDU2")"
	pci_unbind "$EDU2"
	rmmod $EDU_MOD || fail "rmmod $EDU_MOD after unbinding everything"
	module_loaded $EDU_MOD && fail "$EDU_MOD still loaded"
	return 0
}

test_core_pinned_by_plugin()
{
	start yes
	[ -e /sys/module/mdev_pt/holders/$EDU_MOD ] || fail "$EDU_MOD does not hold mdev_pt"
	rmmod mdev_pt 2> /dev/null && fail "rmmod mdev_pt with $EDU_MOD loaded"
	expect_eq "delete_module mdev_pt" EAGAIN "$(delete_module mdev_pt)"
	module_loaded mdev_pt || fail "mdev_pt gone"
	rmmod $EDU_MOD || fail "rmmod $EDU_MOD"
	# Plugins an earlier program had autoloaded for other functions hold
	# mdev_pt as well; with nothing bound they go too.
	for m in $SAMPLE_MOD $MOCK_MOD; do
		if module_loaded $m; then
			rmmod $m || fail "rmmod $m with nothing bound"
		fi
	done
	core_unload || fail "rmmod mdev_pt after the plugins"
	modprobe mdev_pt || fail "modprobe mdev_pt"
}

# The plugin loaded by the bind's request: the parent registers once,
# with its types (one MDEV_STATE=registered uevent, none unregistered),
# not first with the generic type and then again with the plugin's.
test_one_registration_for_the_request()
{
	local ev=/tmp/plugins-uevents

	start no
	uevents_start $ev || fail "udevadm monitor did not start"
	pci_bind "$EDU1" mdev_pt || fail "cannot bind $EDU1 to mdev_pt"
	pt_settle "$EDU1" || fail "autoload of $EDU1 not done"
	module_loaded $EDU_MOD || fail "binding $EDU1 did not load $EDU_MOD"
	expect_eq "types" "$EDU_TYPES" "$(types_of "$EDU1")"
	wait_for 5 uevent_seen $ev "/$EDU1" MDEV_STATE=registered ||
		fail "no MDEV_STATE=registered uevent for $EDU1"
	sleep 0.5
	uevents_stop
	expect_eq "registrations" 1 \
		"$(uevent_count $ev "/$EDU1" MDEV_STATE=registered)"
	expect_eq "unregistrations" 0 \
		"$(uevent_count $ev "/$EDU1" MDEV_STATE=unregistered)"
}

# With the plugin loaded, a rebind registers the parent once, with the
# plugin's types: one MDEV_STATE=registered uevent, none unregistered.
test_rebind_with_plugin_loaded()
{
	local ev=/tmp/plugins-uevents

	start yes
	pt_bind "$EDU1" || fail "cannot bind $EDU1"
	expect_eq "types" "$EDU_TYPES" "$(types_of "$EDU1")"
	echo "$EDU1" > /sys/bus/pci/drivers/mdev_pt/unbind
	uevents_start $ev || fail "udevadm monitor did not start"
	echo "$EDU1" > /sys/bus/pci/drivers/mdev_pt/bind
	pt_settle "$EDU1" || fail "autoload of $EDU1 not done"
	expect_eq "types after rebind" "$EDU_TYPES" "$(types_of "$EDU1")"
	expect_eq "available" 1 "$(avail "$EDU1" "$AUDITED")"
	wait_for 5 uevent_seen $ev "/$EDU1" MDEV_STATE=registered ||
		fail "no MDEV_STATE=registered uevent for $EDU1"
	sleep 0.5
	uevents_stop
	expect_eq "registrations after the rebind" 1 \
		"$(uevent_count $ev "/$EDU1" MDEV_STATE=registered)"
	expect_eq "unregistrations after the rebind" 0 \
		"$(uevent_count $ev "/$EDU1" MDEV_STATE=unregistered)"
}

# Types without extras behave as vfio-pci (vfio_plugin_test's passthrough
# fixture; vfio_edu_test on the plugin's edu-passthrough).
test_passthrough_types_vfio()
{
	local t uuid

	start no
	pt_bind "$EDU1" || fail "cannot bind $EDU1"
	for t in mdev_pt-edu-passthrough mdev_pt-passthrough; do
		uuid=$(new_uuid)
		pt_create "$EDU1" "$uuid" "$t"
		[ -e "/sys/bus/mdev/devices/$uuid/vendor" ] &&
			fail "$t instance has vendor attributes"
		MDEVPT_UUID=$uuid run_tap "${t#mdev_pt-}" "$BIN/vfio_plugin_test" -f passthrough ||
			fail "vfio_plugin_test on $t failed"
		if [ "$t" = mdev_pt-edu-passthrough ]; then
			MDEVPT_UUID=$uuid MDEVPT_SYSFS_BDF=$EDU1 run_tap "${t#mdev_pt-}" \
				"$BIN/vfio_edu_test" || fail "vfio_edu_test on $t failed"
		fi
		pt_remove "$uuid"
	done
}

# A function is offered to every plugin that matches it, however many:
# mdev_pt_many_plugins (tests/modules/) registers 20 plugins for edu, each
# with one type, next to the edu plugin.
test_many_matching_plugins()
{
	local many=mdev_pt_many_plugins want i

	start yes
	trap 'remove_instances; pci_unbind "$EDU1"; rmmod mdev_pt_many_plugins 2> /dev/null' EXIT
	modprobe $many count=20 || fail "modprobe $many"
	pt_bind "$EDU1" || fail "cannot bind $EDU1"
	want=$(for i in $(seq -w 0 19); do echo "mdev_pt-many-$i"; done |
		cat - <(echo "$EDU_TYPES" | tr ' ' '\n') | sort | xargs)
	expect_eq "types of $EDU1" "$want" "$(types_of "$EDU1")"
	# Each attached plugin pins its module.
	expect_eq "$many refcnt" 20 "$(cat /sys/module/$many/refcnt)"
	expect_eq "$EDU_MOD refcnt" 1 "$(cat /sys/module/$EDU_MOD/refcnt)"
	type_usable "$EDU1" mdev_pt-many-19
	pci_unbind "$EDU1"
	rmmod $many || fail "cannot unload $many once the function is unbound"
}

run_tests "$@"
