#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# mdevctl against mdev_pt, on both stacks of the test bed: Debian 12's
# mdevctl 1.2.0 and Debian 13's 1.4.0 (tests/vm/run --stack deb12|deb13).
# Types, start/list/stop, attrs from --jsonfile written to plugin
# attributes, define --auto plus autostart through systemd-udevd when the
# parent registers, undefine, modify, callouts, and the errors a user sees
# for bad input (each names its reason; where mdevctl only shows the errno
# of a sysfs write, the kernel log explains it).  Where the two versions
# differ, each is held to what it does (measured in the test bed, and read
# in mdevctl's source): numeric attribute values (1.2.0 panics, 1.4.0
# refuses), the callout directories, undefine's exit status when a callout
# refuses, modify's options, stop of a UUID that is not running, list's
# attributes of a running defined device and its trailing newlines.  The
# udev rule's /usr/sbin path is the same, wrong, in both.

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

# log_callout NAME DIR [ACTION...]: install in DIR a callout that takes
# every type, logs each call as "NAME EVENT ACTION" to /tmp/callouts.log,
# answers "get attributes" with none, and refuses (exit 1, "NAME refuses
# ACTION" on stderr) the "pre" event of each ACTION given.
log_callout()
{
	local name=$1 dir=$2 f=/tmp/$1 a refuse=

	shift 2
	for a in "$@"; do
		refuse="$refuse\"pre $a\") echo \"$name refuses $a\" >&2; exit 1 ;; "
	done
	cat > "$f" <<EOS
#!/bin/sh
# SCRIPT -t TYPE -e EVENT -a ACTION -s STATE -u UUID -p PARENT
echo "$name \$4 \$6" >> /tmp/callouts.log
case "\$4 \$6" in
$refuse
"get attributes") echo "[]" ;;
esac
exit 0
EOS
	chmod +x "$f"
	mkdir -p "$dir"
	ln -sfn "$f" "$dir/$name"
}

# callout_calls: the calls logged since the last one, on one line, "|"
# between them.
callout_calls()
{
	paste -s -d '|' /tmp/callouts.log 2> /dev/null
	: > /tmp/callouts.log
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

# The udev rule both Debian packages install runs /usr/sbin/mdevctl, which
# neither ships (mdevctl issue 82, not fixed in Debian 13): without the link
# tests/vm/guest-init makes (an admin must too), nothing autostarts, and
# only syslog says why.
test_udev_rule_runs_usr_sbin_mdevctl()
{
	local rule run u sp

	start
	rule=$(dpkg -L mdevctl | grep '/rules\.d/60-mdevctl\.rules$') ||
		fail "no udev rule in the mdevctl package"
	[ -f "$rule" ] || fail "$rule missing"
	run=$(grep -o 'RUN+="[^"]*"' "$rule" | grep -o '/[a-z/]*/mdevctl ' | sort -u | xargs)
	echo "mdevctl $MDEVCTL_VERSION: $rule runs $run"
	expect_eq "the rule runs" /usr/sbin/mdevctl "$run"
	dpkg -L mdevctl | grep -qx /usr/bin/mdevctl || fail "no /usr/bin/mdevctl in the package"
	if dpkg -L mdevctl | grep -qx /usr/sbin/mdevctl; then
		fail "mdevctl $MDEVCTL_VERSION ships /usr/sbin/mdevctl: the link is not needed any more"
	fi
	expect_eq "the test bed's link" /usr/bin/mdevctl "$(readlink /usr/sbin/mdevctl)"

	# Without the link: the rule's shell fails, to syslog (caught here).
	rm -f /dev/log
	socat -u UNIX-RECV:/dev/log,mode=666 OPEN:/tmp/syslog,creat,trunc > /dev/null 2>&1 &
	sp=$!
	# shellcheck disable=SC2064 # sp now: the trap runs after the function
	trap "ln -sfn /usr/bin/mdevctl /usr/sbin/mdevctl; kill $sp; rm -f /dev/log" EXIT
	wait_for 5 test -S /dev/log || fail "no syslog socket"
	u=$(new_uuid)
	mdevctl define -u "$u" -p "$EDU2" -t $EDU_PT --auto || fail "define"
	rm /usr/sbin/mdevctl
	hash -r
	pci_unbind "$EDU2"
	udevadm settle
	pt_bind "$EDU2" || fail "rebind $EDU2"
	# settle returns once the rule's programs have run.
	udevadm settle
	wait_for 10 grep -q '/usr/sbin/mdevctl: not found' /tmp/syslog ||
		fail "no error in syslog: $(cat -v /tmp/syslog)"
	sed 's/^/  syslog: /' /tmp/syslog
	no_instance "$u"
	# With it, the device starts.
	ln -s /usr/bin/mdevctl /usr/sbin/mdevctl
	hash -r
	pci_unbind "$EDU2"
	udevadm settle
	pt_bind "$EDU2" || fail "rebind $EDU2"
	wait_for 20 test -e "/sys/bus/mdev/devices/$u" || fail "not autostarted with the link"
	udevadm settle
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

# A device both defined and running: mdevctl 1.2.0 lists the attributes
# of its definition, 1.4.0 asks the callouts for the live ones and lists
# none without a callout (upstream 3a2010e, 43e75b0; with
# tools/mdevctl-profiles/mdev-pt-callout both list them: profiles.sh).
# The definition itself lists the same in both.
test_list_attrs_of_a_running_defined_device()
{
	local u attrs

	start
	u=$(new_uuid)
	json $AUDITED manual '{"vendor/max_dma_bytes": "700"}' > /tmp/a.json
	mdevctl define -u "$u" -p "$EDU1" --jsonfile /tmp/a.json || fail "define"
	mdevctl start -u "$u" || fail "start"
	expect_eq max_dma_bytes 700 "$(mdev_attr "$u" vendor/max_dma_bytes)"
	attrs()
	{
		python3 -c 'import json, sys
for p in json.load(sys.stdin):
    for devs in p.values():
        for d in devs:
            if sys.argv[1] in d:
                print(json.dumps(d[sys.argv[1]]["attrs"]))' "$u"
	}
	attrs=$(mdevctl list --defined --dumpjson | attrs)
	expect_eq "list --defined" '[{"vendor/max_dma_bytes": "700"}]' "$attrs"
	attrs=$(mdevctl list --dumpjson | attrs)
	if mdevctl_ge 1.4.0; then
		expect_eq "list (active), $MDEVCTL_VERSION, no callout" '[]' "$attrs"
		mdevctl list -v | grep -q Attrs && fail "list -v shows attributes"
	else
		expect_eq "list (active), $MDEVCTL_VERSION" '[{"vendor/max_dma_bytes": "700"}]' "$attrs"
		mdevctl list -v | grep -q '"vendor/max_dma_bytes":"700"' || fail "list -v without attributes"
	fi
	expect_eq "list" "$u $EDU1 $AUDITED manual (defined)" "$(mdevctl list | xargs)"
}

# Text and JSON output end differently (upstream e9b8d56, 56e7fff): 1.2.0
# prints an empty line after list's text and a newline after its JSON,
# 1.4.0 neither.  Scripts that diff the output or count lines notice.
test_list_output_ends()
{
	local u text jsn

	start
	u=$(new_uuid)
	mdevctl start -u "$u" -p "$EDU1" -t $EDU_PT || fail "start"
	text=$(mdevctl list | tail -c 2 | od -An -tx1 | xargs)
	jsn=$(mdevctl list --dumpjson | tail -c 2 | od -An -tx1 | xargs)
	if mdevctl_ge 1.4.0; then
		expect_eq "end of list (text)" "6c 0a" "$text"
		expect_eq "end of list --dumpjson" "0a 5d" "$jsn"
	else
		expect_eq "end of list (text)" "0a 0a" "$text"
		expect_eq "end of list --dumpjson" "5d 0a" "$jsn"
	fi
	mdevctl stop -u "$u" || fail "stop"
	# Nothing running.
	expect_eq "empty list --dumpjson" "[]" "$(mdevctl list --dumpjson | xargs)"
}

# modify: --auto, --manual and --addattr change a definition in both;
# 1.4.0 adds --jsonfile (with --parent) and refuses a modify that names no
# change (usage error, 2), which 1.2.0 accepts doing nothing.
test_modify()
{
	local u conf

	start
	u=$(new_uuid)
	expect_rc "modify of an undefined device" 1 "Mediated device $u is not defined" \
		mdevctl modify -u "$u" --auto
	mdevctl define -u "$u" -p "$EDU1" -t $AUDITED || fail "define"
	conf=$MDEVCTL_CONF/$EDU1/$u
	mdevctl modify -u "$u" --auto || fail "modify --auto"
	expect_eq "list -d" "$u $EDU1 $AUDITED auto" "$(mdevctl list --defined | xargs)"
	mdevctl modify -u "$u" --addattr vendor/max_dma_bytes --value 77 || fail "--addattr"
	grep -q '"vendor/max_dma_bytes": "77"' "$conf" || fail "attribute not added: $(cat "$conf")"
	cp "$conf" /tmp/conf
	expect_rc "--auto --manual" 2 "cannot be used with" \
		mdevctl modify -u "$u" --auto --manual
	cmp -s /tmp/conf "$conf" || fail "config changed"
	if mdevctl_ge 1.4.0; then
		expect_rc "modify without a change" 2 "required arguments were not provided" \
			mdevctl modify -u "$u"
		cmp -s /tmp/conf "$conf" || fail "config changed"
		json $AUDITED manual '{"vendor/max_dma_bytes": "99"}' > /tmp/m.json
		expect_rc "--jsonfile without --parent" 1 "Parent device required" \
			mdevctl modify -u "$u" --jsonfile /tmp/m.json
		mdevctl modify -u "$u" -p "$EDU1" --jsonfile /tmp/m.json || fail "modify --jsonfile"
		expect_eq "list -d" "$u $EDU1 $AUDITED manual" "$(mdevctl list --defined | xargs)"
		grep -q '"vendor/max_dma_bytes": "99"' "$conf" || fail "attrs not replaced: $(cat "$conf")"
		grep -q '"77"' "$conf" && fail "old attribute kept: $(cat "$conf")"
	else
		mdevctl modify -u "$u" || fail "1.2.0 refused a modify without a change"
		cmp -s /tmp/conf "$conf" || fail "config changed"
		expect_rc "--jsonfile" 2 "Found argument '--jsonfile'" \
			mdevctl modify -u "$u" -p "$EDU1" --jsonfile /tmp/conf
		cmp -s /tmp/conf "$conf" || fail "config changed"
	fi
	no_instance "$u"
}

# Where mdevctl looks for callouts.  1.2.0: /etc/mdevctl.d/scripts.d/
# callouts only (its package creates it).  1.3.0 and later: first
# /usr/lib/mdevctl/scripts.d/callouts (their package creates it, not the
# /etc one), then the /etc one; every script in both is first probed for
# capabilities ("get capabilities"), then the first script whose exit
# status is not 2, in that order, handles the event.
test_callout_directories()
{
	local u pkg

	start
	pkg=$(dpkg -L mdevctl)
	if mdevctl_ge 1.3.0; then
		grep -qx "$LIB_CALLOUTS" <<< "$pkg" || fail "the package has no $LIB_CALLOUTS"
		if grep -qx "$ETC_CALLOUTS" <<< "$pkg"; then
			fail "the package creates $ETC_CALLOUTS"
		fi
	else
		grep -qx "$ETC_CALLOUTS" <<< "$pkg" || fail "the package has no $ETC_CALLOUTS"
	fi
	log_callout etc-callout "$ETC_CALLOUTS"
	log_callout lib-callout "$LIB_CALLOUTS"
	: > /tmp/callouts.log
	u=$(new_uuid)
	mdevctl define -u "$u" -p "$EDU1" -t $EDU_PT || fail "define"
	if mdevctl_ge 1.3.0; then
		expect_eq "callouts run by define" \
			"lib-callout get capabilities|etc-callout get capabilities|lib-callout pre define|lib-callout post define" \
			"$(callout_calls)"
		# The /etc one alone still runs (deprecated, not gone).
		rm "$LIB_CALLOUTS/lib-callout"
		mdevctl undefine -u "$u" || fail "undefine"
		expect_eq "callouts run by undefine" \
			"etc-callout get capabilities|etc-callout pre undefine|etc-callout post undefine" \
			"$(callout_calls)"
	else
		expect_eq "callouts run by define" "etc-callout pre define|etc-callout post define" \
			"$(callout_calls)"
		mdevctl undefine -u "$u" || fail "undefine"
		expect_eq "callouts run by undefine" "etc-callout pre undefine|etc-callout post undefine" \
			"$(callout_calls)"
	fi
	expect_eq "list -d" "" "$(defined_uuids)"
}

# A callout refuses stop and undefine.  Both versions keep the instance and
# the definition, but 1.2.0's undefine exits 0 all the same (1.4.0: 1,
# "Undefine failed"; upstream d36a76d), and they word the refusal
# differently.  1.4.0's --force goes past the callout (upstream e284315);
# 1.2.0 has no such option.
test_callout_refusal_and_force()
{
	local u conf

	start
	log_callout refuser "$CALLOUTS" stop undefine
	u=$(new_uuid)
	mdevctl define -u "$u" -p "$EDU1" -t $EDU_PT || fail "define"
	conf=$MDEVCTL_CONF/$EDU1/$u
	mdevctl start -u "$u" || fail "start"
	if mdevctl_ge 1.4.0; then
		expect_rc "stop" 1 "Script '\"$CALLOUTS/refuser\"' failed with status '1'" \
			mdevctl stop -u "$u"
	else
		expect_rc "stop" 1 "callout script \"$CALLOUTS/refuser\" failed with return code 1" \
			mdevctl stop -u "$u"
	fi
	printf '%s\n' "$OUT" | grep -q "refuser: refuser refuses stop" || fail "no message from the callout"
	has_instance "$u"
	if mdevctl_ge 1.4.0; then
		expect_rc "undefine" 1 "Undefine failed" mdevctl undefine -u "$u"
	else
		expect_rc "undefine (1.2.0 exits 0)" 0 "refuser: refuser refuses undefine" \
			mdevctl undefine -u "$u"
	fi
	[ -f "$conf" ] || fail "the definition is gone"
	expect_eq "list -d" "$u" "$(defined_uuids)"
	if mdevctl_ge 1.4.0; then
		expect_rc "stop --force" 0 "Forcing operation 'stop' despite callout failure" \
			mdevctl stop -u "$u" --force
		no_instance "$u"
		mdevctl undefine -u "$u" --force || fail "undefine --force"
		[ ! -e "$conf" ] || fail "definition left after undefine --force"
	else
		expect_rc "stop --force" 2 "Found argument '--force'" mdevctl stop -u "$u" --force
		has_instance "$u"
	fi
}

# stop of a UUID that is not running: 1.2.0 tries its remove file and shows
# the errno, 1.4.0 says so (upstream b89e831); exit 1 in both.  undefine and
# modify of an unknown UUID are the same in both.
test_stop_and_undefine_unknown_uuid()
{
	local u

	start
	u=$(new_uuid)
	if mdevctl_ge 1.4.0; then
		expect_rc "stop" 1 "Device $u is not an active mdev" mdevctl stop -u "$u"
	else
		expect_rc "stop" 1 "Error removing device $u" mdevctl stop -u "$u"
		printf '%s\n' "$OUT" | grep -q "No such file or directory (os error 2)" ||
			fail "no errno"
	fi
	expect_rc "undefine" 1 "No devices match the specified uuid" mdevctl undefine -u "$u"
	expect_rc "undefine with parent" 1 "No devices match the specified uuid" \
		mdevctl undefine -u "$u" -p "$EDU1"
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
	no_instance "$u"
	expect_eq available 1 "$(avail "$EDU1" $AUDITED)"
}

# A number instead of a string as an attribute value.  mdevctl 1.2.0 (and
# 1.3.0) unwrap() it as a string: a panic, Rust's exit status 101; 1.4.0
# refuses it (upstream e6be50e).  Both before anything else: no instance,
# no definition, not even a callout ran.
test_bad_numeric_attr_value()
{
	local u cmd

	start
	log_callout watcher "$CALLOUTS"
	: > /tmp/callouts.log
	u=$(new_uuid)
	json $AUDITED manual '{"vendor/max_dma_bytes": 1024}' > /tmp/bad.json
	for cmd in start define; do
		if mdevctl_ge 1.4.0; then
			expect_rc "$cmd" 1 \
				'^Error: invalid JSON format for attribute \{"vendor/max_dma_bytes", 1024\}: value must be of type str$' \
				mdevctl $cmd -u "$u" -p "$EDU1" --jsonfile /tmp/bad.json
		else
			expect_rc "$cmd" 101 "panicked at 'called .Option::unwrap\\(\\). on a .None. value'" \
				mdevctl $cmd -u "$u" -p "$EDU1" --jsonfile /tmp/bad.json
		fi
		no_instance "$u"
		expect_eq "list -d" "" "$(defined_uuids)"
		expect_eq available 1 "$(avail "$EDU1" $AUDITED)"
	done
	expect_eq "callouts run" "" "$(callout_calls)"
}

# Such a value in a stored definition (written by hand or by another tool)
# breaks list --defined as a whole, in both versions (a panic in 1.2.0, an
# error in 1.4.0): the good definitions are not listed either, and
# libvirt's node device list of mdevctl's devices fails with it.
test_bad_config_file_breaks_list_defined()
{
	local u v

	start
	u=$(new_uuid)
	v=$(new_uuid)
	mdevctl define -u "$v" -p "$EDU2" -t $EDU_PT || fail "define"
	mkdir -p "$MDEVCTL_CONF/$EDU1"
	json $AUDITED manual '{"vendor/max_dma_bytes": 1024}' > "$MDEVCTL_CONF/$EDU1/$u"
	if mdevctl_ge 1.4.0; then
		expect_rc "list -d" 1 "value must be of type str" mdevctl list --defined
	else
		expect_rc "list -d" 101 "panicked at" mdevctl list --defined
	fi
	printf '%s\n' "$OUT" | grep -q "$v" && fail "the good definition is listed"
	# start of another defined device still works, and list of running ones.
	mdevctl start -u "$v" || fail "start $v"
	expect_eq "list" "$v" "$(active_uuids)"
	rm "$MDEVCTL_CONF/$EDU1/$u"
	expect_eq "list -d" "$v" "$(defined_uuids)"
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
