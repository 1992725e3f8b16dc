#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# mdevctl 1.2.0 (Debian's) against mdev_pt: types, start/list/stop, attrs
# from --jsonfile written to plugin attributes, define --auto plus autostart
# through systemd-udevd when the parent registers, undefine, and the errors
# a user sees for bad input (each names its reason; where mdevctl only
# shows the errno of a sysfs write, the kernel log explains it).

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"

AUDITED=mdev_pt-edu-audited
EDU_PT=mdev_pt-edu-passthrough
SCRATCH=mdev_pt-sample-scratch

cleanup()
{
	mdevctl_reset
}

# Once for all tests (they run in subshells): udevd, the functions bound.
find_functions || exit 1
udevd_start || exit 1
bind_all
trap 'mdevctl_reset; udevd_stop; unbind_all; vm_nvme_enable_vfs 0 > /dev/null' EXIT

# Every test starts from no instance, no definition, no callout, with the
# functions bound (a test may have unbound one).
start()
{
	mdevctl_reset
	bind_all
}

json()
{
	printf '{"mdev_type": "%s", "start": "%s", "attrs": [%s]}\n' "$1" "$2" "$3"
}

test_types_lists_every_type()
{
	local t n

	start
	# Every type of every function, with what sysfs says.
	mdevctl types --dumpjson > /tmp/types.json || fail "mdevctl types"
	n=$(python3 - /tmp/types.json <<'PY'
import json, os, sys
listed = {}
for entry in json.load(open(sys.argv[1])):
    for parent, types in entry.items():
        for t in types:
            for name, info in t.items():
                listed[(parent, name)] = info
def rd(path):
    with open(path) as f:
        return f.read().strip()
n = 0
top = "/sys/class/mdev_bus"
for parent in sorted(os.listdir(top)):
    tdir = f"{top}/{parent}/mdev_supported_types"
    for mtype in sorted(os.listdir(tdir)):
        d = f"{tdir}/{mtype}"
        got = listed.get((parent, mtype))
        if got is None:
            sys.exit(f"{parent} {mtype}: not listed by mdevctl types")
        want = {"available_instances": int(rd(f"{d}/available_instances")),
                "device_api": rd(f"{d}/device_api"), "name": rd(f"{d}/name"),
                "description": ", ".join(rd(f"{d}/description").split("\n"))}
        for k, v in want.items():
            if got.get(k) != v:
                sys.exit(f"{parent} {mtype} {k}: mdevctl says {got.get(k)!r}, sysfs {v!r}")
        n += 1
print(n)
PY
) || fail "mdevctl types disagrees with sysfs: $n"
	echo "$n types checked"
	# The text form names them too.
	mdevctl types > /tmp/types.txt
	for t in mdev_pt-passthrough $AUDITED $EDU_PT $SCRATCH; do
		grep -q "^  $t\$" /tmp/types.txt || fail "$t missing from mdevctl types"
	done
	grep -A4 "^  $AUDITED\$" /tmp/types.txt | grep -q "Name: EDU audited DMA" ||
		fail "no name for $AUDITED"
	grep -A4 "^  $AUDITED\$" /tmp/types.txt | grep -q "Available instances: 1" ||
		fail "no available instances for $AUDITED"
	grep -A4 "^  $AUDITED\$" /tmp/types.txt | grep -q "Description: ." ||
		fail "no description for $AUDITED"
	# Two edu functions with 3 types, the VF with 2.
	[ "$n" -ge 8 ] || fail "only $n types"
}

test_start_list_stop()
{
	local u

	start
	u=$(new_uuid)
	mdevctl start -u "$u" -p "$EDU1" -t $EDU_PT || fail "mdevctl start"
	has_instance "$u"
	expect_eq "mdevctl list" "$u $EDU1 $EDU_PT manual" "$(mdevctl list | xargs)"
	expect_eq "type link" $EDU_PT "$(basename "$(readlink -f "/sys/bus/mdev/devices/$u/mdev_type")")"
	expect_eq "available after start" 0 "$(avail "$EDU1" $EDU_PT)"
	mdevctl list --dumpjson | grep -q "\"$u\"" || fail "not in list --dumpjson"
	mdevctl stop -u "$u" || fail "mdevctl stop"
	no_instance "$u"
	expect_eq "mdevctl list after stop" "" "$(active_uuids)"
	expect_eq "available after stop" 1 "$(avail "$EDU1" $EDU_PT)"
}

test_start_without_uuid()
{
	local u

	start
	u=$(mdevctl start -p "$EDU2" -t mdev_pt-passthrough) || fail "mdevctl start"
	echo "generated $u"
	has_instance "$u"
	expect_eq "mdevctl list" "$u" "$(active_uuids)"
}

test_jsonfile_attrs_reach_the_plugin()
{
	local u v

	start
	u=$(new_uuid)
	v=$(new_uuid)
	json $AUDITED manual '{"vendor/max_dma_bytes": "1024"}' > /tmp/a.json
	json $SCRATCH manual '{"vendor/label": "disk-7 scratch"}' > /tmp/s.json
	mdevctl start -u "$u" -p "$EDU1" --jsonfile /tmp/a.json || fail "start $AUDITED"
	mdevctl start -u "$v" -p "$VF" --jsonfile /tmp/s.json || fail "start $SCRATCH"
	expect_eq max_dma_bytes 1024 "$(mdev_attr "$u" vendor/max_dma_bytes)"
	expect_eq label "disk-7 scratch" "$(mdev_attr "$v" vendor/label)"
	expect_eq "types" "$AUDITED $SCRATCH" \
		"$(mdevctl list | awk -v u="$u" -v v="$v" '$1 == u || $1 == v { print $3 }' | sort | xargs)"
}

test_define_auto_starts_when_parent_registers()
{
	local u

	start
	u=$(new_uuid)
	json $AUDITED auto '{"vendor/max_dma_bytes": "512"}' > /tmp/a.json
	mdevctl define -u "$u" -p "$EDU2" --jsonfile /tmp/a.json || fail "mdevctl define"
	[ -f "$MDEVCTL_CONF/$EDU2/$u" ] || fail "no config file"
	expect_eq "list -d" "$u $EDU2 $AUDITED auto" "$(mdevctl list --defined | xargs)"
	no_instance "$u"
	# The parent goes and comes back: its "registered" change uevent (and
	# the add uevent) make udevd run mdevctl start-parent-mdevs.
	pci_unbind "$EDU2"
	udevadm settle
	vm_dmesg_mark autostart
	pt_bind "$EDU2" || fail "rebind $EDU2"
	wait_for 20 test -e "/sys/bus/mdev/devices/$u" || fail "not autostarted"
	udevadm settle
	expect_eq max_dma_bytes 512 "$(mdev_attr "$u" vendor/max_dma_bytes)"
	expect_eq "mdevctl list" "$u $EDU2 $AUDITED auto (defined)" "$(mdevctl list | xargs)"
	# add and change both fire (mdevctl#53): the second start fails
	# cleanly ("Device already exists"), one instance, no kernel trouble.
	expect_eq "instances" "$u" "$(ls /sys/bus/mdev/devices | xargs)"
	vm_kernel_trouble autostart && fail "kernel trouble"
	return 0
}

test_undefine_keeps_the_running_instance()
{
	local u

	start
	u=$(new_uuid)
	mdevctl define -u "$u" -p "$EDU1" -t $EDU_PT || fail "define"
	mdevctl start -u "$u" || fail "start a defined device"
	has_instance "$u"
	mdevctl undefine -u "$u" || fail "undefine"
	[ ! -e "$MDEVCTL_CONF/$EDU1/$u" ] || fail "config file left"
	expect_eq "list -d" "" "$(defined_uuids)"
	has_instance "$u"
	mdevctl stop -u "$u" || fail "stop"
	no_instance "$u"
}

test_bad_unknown_parent()
{
	local u

	start
	u=$(new_uuid)
	expect_fail "start" "Unable to find parent device '0000:7f:1f.7'" \
		mdevctl start -u "$u" -p 0000:7f:1f.7 -t mdev_pt-passthrough
	no_instance "$u"
	# A PCI function that exists but is no mdev parent (the NVMe PF).
	expect_fail "start on the PF" "Unable to find parent device" \
		mdevctl start -u "$u" -p "$(nvme_pf_bdf)" -t mdev_pt-passthrough
	no_instance "$u"
}

test_bad_unknown_type()
{
	local u

	start
	u=$(new_uuid)
	expect_fail "start" "does not support mdev type mdev_pt-nope" \
		mdevctl start -u "$u" -p "$EDU1" -t mdev_pt-nope
	# A real type of another function.
	expect_fail "start" "does not support mdev type $SCRATCH" \
		mdevctl start -u "$u" -p "$EDU1" -t $SCRATCH
	no_instance "$u"
	expect_eq available 1 "$(avail "$EDU1" mdev_pt-passthrough)"
}

test_bad_malformed_json()
{
	local u

	start
	u=$(new_uuid)
	echo '{"mdev_type": "mdev_pt-edu-audited", "start": "manual", "attrs": [' > /tmp/bad.json
	expect_fail "truncated JSON" "EOF while parsing" \
		mdevctl start -u "$u" -p "$EDU1" --jsonfile /tmp/bad.json
	no_instance "$u"
	expect_fail "define, truncated JSON" "EOF while parsing" \
		mdevctl define -u "$u" -p "$EDU1" --jsonfile /tmp/bad.json
	expect_eq "list -d" "" "$(defined_uuids)"
	# A number instead of a string: mdevctl 1.2.0 panics (fixed upstream
	# after 1.3.0); it must at least fail before touching sysfs.
	json $AUDITED manual '{"vendor/max_dma_bytes": 1024}' > /tmp/bad.json
	expect_fail "numeric attr" "." mdevctl start -u "$u" -p "$EDU1" --jsonfile /tmp/bad.json
	no_instance "$u"
	expect_eq available 1 "$(avail "$EDU1" $AUDITED)"
}

test_bad_duplicate_define()
{
	local u

	start
	u=$(new_uuid)
	mdevctl define -u "$u" -p "$EDU1" -t $EDU_PT || fail "define"
	cp "$MDEVCTL_CONF/$EDU1/$u" /tmp/conf
	expect_fail "second define" "Device $u on $EDU1 already defined" \
		mdevctl define -u "$u" -p "$EDU1" -t $AUDITED
	cmp -s /tmp/conf "$MDEVCTL_CONF/$EDU1/$u" || fail "config changed"
	expect_eq "list -d" "$u $EDU1 $EDU_PT manual" "$(mdevctl list --defined | xargs)"
}

test_bad_attr_value_refused_by_plugin()
{
	local u

	start
	u=$(new_uuid)
	json $AUDITED manual '{"vendor/max_dma_bytes": "99999"}' > /tmp/bad.json
	expect_fail "max_dma_bytes 99999" \
		"Failed to write 99999 to attribute vendor/max_dma_bytes" \
		mdevctl start -u "$u" -p "$EDU1" --jsonfile /tmp/bad.json
	printf '%s\n' "$OUT" | grep -q "Invalid argument (os error 22)" || fail "errno not EINVAL"
	dmesg_has "$u: max_dma_bytes: '99999' is not a number in 1..4095"
	# mdevctl removed the half-made instance.
	no_instance "$u"
	expect_eq available 1 "$(avail "$EDU1" $AUDITED)"

	json $SCRATCH manual '{"vendor/label": "tab\there"}' > /tmp/bad.json
	expect_fail "label with a tab" "Invalid argument \\(os error 22\\)" \
		mdevctl start -u "$u" -p "$VF" --jsonfile /tmp/bad.json
	dmesg_has "$u: label: character 3 is not printable ASCII"
	no_instance "$u"
}

test_bad_unknown_attr()
{
	local u

	start
	u=$(new_uuid)
	json $EDU_PT manual '{"vendor/max_dma_bytes": "64"}' > /tmp/bad.json
	expect_fail "attr of another type" "Invalid attribute 'vendor/max_dma_bytes'" \
		mdevctl start -u "$u" -p "$EDU1" --jsonfile /tmp/bad.json
	no_instance "$u"
	expect_eq available 1 "$(avail "$EDU1" $EDU_PT)"
}

test_bad_busy_function_and_duplicate_uuid()
{
	local u v

	start
	u=$(new_uuid)
	v=$(new_uuid)
	mdevctl start -u "$u" -p "$EDU1" -t mdev_pt-passthrough || fail "start"
	# mdevctl reads available_instances (0) and does not even try.
	expect_fail "second instance" "No available instances of $EDU_PT on $EDU1" \
		mdevctl start -u "$v" -p "$EDU1" -t $EDU_PT
	no_instance "$v"
	expect_fail "same UUID elsewhere" "Device exists under different parent" \
		mdevctl start -u "$u" -p "$EDU2" -t mdev_pt-passthrough
	expect_eq available 1 "$(avail "$EDU2" mdev_pt-passthrough)"
}

# The function gets busy between mdevctl's available_instances check and
# its create write: the user sees only the errno, which must be EUSERS, and
# the kernel log names the instance that holds the function.  strace holds
# mdevctl at the entry of that write while another instance is created.
test_bad_create_refused_errno_and_log()
{
	local u v create pid mpid i nr fd

	start
	u=$(new_uuid)
	v=$(new_uuid)
	create=$(type_dir "$EDU1" $EDU_PT)/create
	strace -f -qq -o /dev/null -P "$(readlink -f "$create")" -e trace=write \
		-e inject=write:delay_enter=5000000 \
		mdevctl start -u "$u" -p "$EDU1" -t $EDU_PT > /tmp/u.out 2>&1 &
	pid=$!
	# mdevctl (strace's child) inside its write to create.
	mpid=
	for i in $(seq 100); do
		[ -n "$mpid" ] || mpid=$(pgrep -P $pid -x mdevctl)
		if [ -n "$mpid" ] && read -r nr fd _ < "/proc/$mpid/syscall" &&
			[ "$nr" = 1 ] &&
			[ "$(readlink "/proc/$mpid/fd/$((fd))")" = "$(readlink -f "$create")" ]; then
			break
		fi
		sleep 0.1
	done
	[ "$i" -lt 100 ] || { wait $pid; fail "mdevctl never wrote create: $(cat /tmp/u.out)"; }
	expect_write "$(type_dir "$EDU1" mdev_pt-passthrough)/create" "$v" OK
	wait $pid && fail "mdevctl start succeeded"
	sed 's/^/  /' /tmp/u.out
	grep -q "Too many users (os error 87)" /tmp/u.out || fail "not EUSERS"
	has_instance "$v"
	no_instance "$u"
	dmesg_has "$u: .*already serves instance $v"
}

run_tests "$@"
