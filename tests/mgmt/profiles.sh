#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tools/mdevctl-profiles against the real mdevctl, 1.2.0 (Debian 12) and
# 1.4.0 (Debian 13): the shipped JSON profiles start every type they name,
# the callout installs where the mdevctl at hand reads callouts (1.2.0:
# /etc/mdevctl.d/scripts.d/callouts, 1.4.0: /usr/lib/mdevctl/scripts.d/
# callouts), refuses unknown attributes and bad values with a message,
# passes 1.4.0's capability probe as a legacy callout and reports a live
# instance's attributes, and mdev-pt-profile plans, applies, re-plans
# (nothing to do), changes and reverts a host profile, refusing conflicts
# and bad profiles before touching anything.

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"

TOOL=$PROFILES/mdev-pt-profile
CALLOUT=$PROFILES/mdev-pt-callout
export MDEV_PT_PROFILE_STATE=/tmp/profile-state.json

cleanup()
{
	mdevctl_reset
	rm -f "$MDEV_PT_PROFILE_STATE"
}

find_functions || exit 1
bind_all
trap 'cleanup; unbind_all; vm_nvme_enable_vfs 0 > /dev/null' EXIT

start()
{
	cleanup
	bind_all
}

install_callout()
{
	"$CALLOUT" install > /dev/null || fail "mdev-pt-callout install"
	[ "$(readlink -f "$CALLOUTS/mdev-pt-callout")" = "$(readlink -f "$CALLOUT")" ] ||
		fail "the callout is not in $CALLOUTS"
}

# parent_of TYPE: a function offering TYPE.
parent_of()
{
	local d

	for d in /sys/class/mdev_bus/*/mdev_supported_types/"$1"; do
		[ -d "$d" ] || continue
		d=${d%/mdev_supported_types/*}
		echo "${d##*/}"
		return 0
	done
	return 1
}

test_shipped_profiles_start_their_types()
{
	local f t p u n=0 checked

	start
	for f in "$PROFILES"/profiles/*.json; do
		t=$(basename "$f" .json)
		expect_eq "mdev_type of $f" "$t" \
			"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mdev_type"])' "$f")"
		p=$(parent_of "$t") || fail "no function offers $t"
		u=$(new_uuid)
		mdevctl start -u "$u" -p "$p" --jsonfile "$f" || fail "start $f on $p"
		has_instance "$u"
		expect_eq "type of $u" "$t" "$(basename "$(readlink -f "/sys/bus/mdev/devices/$u/mdev_type")")"
		# Each attribute of the profile is in sysfs.
		checked=$(python3 - "$f" "/sys/bus/mdev/devices/$u" <<'PY'
import json, sys
n = 0
for a in json.load(open(sys.argv[1]))["attrs"]:
    for k, v in a.items():
        got = open(f"{sys.argv[2]}/{k}").read().strip()
        if got != v:
            sys.exit(f"{k}: {got!r}, profile says {v!r}")
        n += 1
print(n)
PY
) || fail "$f: $checked"
		echo "$t on $p: $checked attribute(s) as in the profile"
		mdevctl stop -u "$u" || fail "stop"
		n=$((n + 1))
	done
	[ $n -ge 6 ] || fail "only $n profiles"
}

test_callout_refuses_bad_attrs()
{
	local u

	start
	install_callout
	u=$(new_uuid)
	# Unknown attribute, on define (nothing would check it until autostart).
	expect_fail "define, unknown attr" \
		"refused: unknown attribute 'vendor/nope' for mdev_pt-edu-audited \\(known: vendor/max_dma_bytes\\)" \
		mdevctl define -u "$u" -p "$EDU1" --jsonfile /dev/stdin \
		<<< '{"mdev_type": "mdev_pt-edu-audited", "start": "auto", "attrs": [{"vendor/nope": "1"}]}'
	expect_eq "list -d" "" "$(defined_uuids)"
	# Bad values, on start: refused before any sysfs write.
	vm_dmesg_mark callout
	expect_fail "start, bad value" "vendor/max_dma_bytes: 0 is outside 1..4095" \
		mdevctl start -u "$u" -p "$EDU1" --jsonfile /dev/stdin \
		<<< '{"mdev_type": "mdev_pt-edu-audited", "start": "manual", "attrs": [{"vendor/max_dma_bytes": "0"}]}'
	no_instance "$u"
	dmesg | sed -n '/mdevpt-test: callout/,$p' | grep -q "$u" && fail "the kernel saw $u"
	expect_fail "start, long label" "vendor/label: 40 characters, 1..32 allowed" \
		mdevctl start -u "$u" -p "$VF" --jsonfile /dev/stdin \
		<<< "{\"mdev_type\": \"mdev_pt-sample-scratch\", \"start\": \"manual\", \"attrs\": [{\"vendor/label\": \"$(printf 'x%.0s' {1..40})\"}]}"
	expect_fail "attr on a type without any" "unknown attribute 'vendor/label' for mdev_pt-passthrough \\(known: none\\)" \
		mdevctl define -u "$u" -p "$VF" --jsonfile /dev/stdin \
		<<< '{"mdev_type": "mdev_pt-passthrough", "start": "manual", "attrs": [{"vendor/label": "a"}]}'
	no_instance "$u"
	expect_eq "list -d" "" "$(defined_uuids)"
	# Good ones pass.
	mdevctl start -u "$u" -p "$EDU1" --jsonfile /dev/stdin \
		<<< '{"mdev_type": "mdev_pt-edu-audited", "start": "manual", "attrs": [{"vendor/max_dma_bytes": "100"}]}' ||
		fail "a good config was refused"
	expect_eq max_dma_bytes 100 "$(mdev_attr "$u" vendor/max_dma_bytes)"
}

# mdev-pt-callout install puts its link where the installed mdevctl reads
# callouts, and takes a link of its own out of the other directory (an
# mdevctl upgrade from 1.2.0 leaves one in /etc, which 1.4.0 still reads:
# two links would run it twice).
test_callout_installs_where_mdevctl_reads()
{
	local u other out

	start
	expect_eq "mdev-pt-callout where" "$CALLOUTS" "$("$CALLOUT" where)"
	if [ "$CALLOUTS" = "$LIB_CALLOUTS" ]; then
		other=$ETC_CALLOUTS
	else
		other=$LIB_CALLOUTS
	fi
	mkdir -p "$other"
	ln -s "$CALLOUT" "$other/mdev-pt-callout"
	out=$("$CALLOUT" install) || fail "install: $out"
	echo "$out"
	expect_eq "the link" "$(readlink -f "$CALLOUT")" "$(readlink -f "$CALLOUTS/mdev-pt-callout")"
	[ -L "$other/mdev-pt-callout" ] && fail "link left in $other"
	out=$("$CALLOUT" install) || fail "second install: $out"
	echo "$out" | grep -q "installed already" || fail "second install: $out"
	# mdevctl runs it.
	u=$(new_uuid)
	expect_fail "define, unknown attr" "mdev-pt-callout: define $u \\(mdev_pt-edu-audited\\) refused: unknown attribute 'vendor/nope'" \
		mdevctl define -u "$u" -p "$EDU1" --jsonfile /dev/stdin \
		<<< '{"mdev_type": "mdev_pt-edu-audited", "start": "auto", "attrs": [{"vendor/nope": "1"}]}'
	expect_eq "list -d" "" "$(defined_uuids)"
	"$CALLOUT" uninstall || fail "uninstall"
	[ ! -e "$CALLOUTS/mdev-pt-callout" ] || fail "uninstall left the link"
	# Without it, mdevctl stores anything.
	mdevctl define -u "$u" -p "$EDU1" --jsonfile /dev/stdin \
		<<< '{"mdev_type": "mdev_pt-edu-audited", "start": "auto", "attrs": [{"vendor/nope": "1"}]}' ||
		fail "define without the callout"
	expect_eq "list -d" "$u" "$(defined_uuids)"
}

# mdevctl 1.3.0 and later first ask every callout for its capabilities,
# with their own on stdin.  The callout answers with nothing and exit 0
# (a legacy callout: they then call it as 1.2.0 does) and does not wait for
# stdin to close.
test_callout_answers_the_capability_probe()
{
	local out rc=0 t=$SECONDS

	# stdin: a FIFO held open here, so it never ends.
	rm -f /tmp/probe.fifo
	mkfifo /tmp/probe.fifo
	exec 7<> /tmp/probe.fifo
	echo '{"provides":{"version":2,"actions":["start","stop","define","undefine","modify","attributes","capabilities"],"events":["pre","post","notify","get","live"]}}' >&7
	out=$(timeout 20 "$CALLOUT" -t mdev_pt-edu-audited -e get -a capabilities \
		-s none -u "$(new_uuid)" -p "$EDU1" < /tmp/probe.fifo) || rc=$?
	exec 7>&-
	expect_eq "exit status" 0 "$rc"
	expect_eq "output" "" "$out"
	[ $((SECONDS - t)) -lt 20 ] || fail "the callout waited for stdin"
}

test_callout_leaves_other_types_alone()
{
	local rc=0

	"$CALLOUT" -t mtty-1 -e pre -a start -s none -u "$(new_uuid)" -p mtty < /dev/null || rc=$?
	expect_eq "exit status for a foreign type" 2 "$rc"
}

test_callout_reports_live_attributes()
{
	local u v

	start
	install_callout
	u=$(new_uuid)
	v=$(new_uuid)
	mdevctl start -u "$u" -p "$EDU1" --jsonfile /dev/stdin \
		<<< '{"mdev_type": "mdev_pt-edu-audited", "start": "manual", "attrs": [{"vendor/max_dma_bytes": "300"}]}' ||
		fail "start"
	mdevctl list --dumpjson | grep -q '"vendor/max_dma_bytes": "300"' ||
		fail "list --dumpjson without the attribute: $(mdevctl list --dumpjson)"
	# define of a running instance records its attributes.
	mdevctl define -u "$u" || fail "define $u"
	grep -q '"vendor/max_dma_bytes": "300"' "$MDEVCTL_CONF/$EDU1/$u" ||
		fail "config without the attribute: $(cat "$MDEVCTL_CONF/$EDU1/$u")"
	mdevctl start -u "$v" -p "$VF" --jsonfile /dev/stdin \
		<<< '{"mdev_type": "mdev_pt-sample-scratch", "start": "manual", "attrs": [{"vendor/label": "lab 4"}]}' ||
		fail "start $v"
	mdevctl list --dumpjson | grep -q '"vendor/label": "lab 4"' || fail "no label in list"
}

# A host profile for the test bed: audited on the first edu function,
# edu-passthrough on the other, the scratch type on the NVMe VFs.
write_profile()
{
	cat > /tmp/host.json <<EOP
{
  "profile": "test",
  "rules": [
    {"match": {"bdf": ["$EDU1"]}, "type": "mdev_pt-edu-audited",
     "attrs": [{"vendor/max_dma_bytes": "$1"}]},
    {"match": {"vendor": "1234", "device": "11e8"}, "type": "mdev_pt-edu-passthrough",
     "start": "manual"},
    {"match": {"class": "010802"}, "max_functions": 1, "type": "mdev_pt-sample-scratch",
     "config": "$PROFILES/profiles/mdev_pt-sample-scratch.json"}
  ]
}
EOP
}

test_profile_plan_apply_revert()
{
	local out n

	start
	write_profile 1024
	out=$("$TOOL" plan /tmp/host.json) || fail "plan: $out"
	echo "$out"
	expect_eq "devices to add" 3 "$(echo "$out" | grep -c '^  + ')"
	echo "$out" | grep -q "^  + $EDU1 .* mdev_pt-edu-audited auto \\[vendor/max_dma_bytes=1024\\]" ||
		fail "no add line for $EDU1"
	echo "$out" | grep -q "^  + $EDU2 .* mdev_pt-edu-passthrough manual" || fail "no add for $EDU2"
	echo "$out" | grep -q "^  + $VF .* mdev_pt-sample-scratch auto \\[vendor/label=scratch\\]" ||
		fail "no add for $VF"
	# A plan changes nothing.
	expect_eq "active after plan" "" "$(active_uuids)"
	expect_eq "defined after plan" "" "$(defined_uuids)"
	[ ! -e "$MDEV_PT_PROFILE_STATE" ] || fail "plan wrote a state"

	"$TOOL" apply /tmp/host.json || fail "apply"
	n=$(active_uuids | wc -w)
	expect_eq "active after apply" 3 "$n"
	expect_eq "defined after apply" "$(active_uuids)" "$(defined_uuids)"
	expect_eq "max_dma_bytes" 1024 "$(cat /sys/bus/pci/devices/"$EDU1"/*/vendor/max_dma_bytes)"
	expect_eq "label" scratch "$(cat /sys/bus/pci/devices/"$VF"/*/vendor/label)"
	mdevctl list --defined | grep "$EDU2" | grep -q manual || fail "$EDU2 not manual"

	# Applied: nothing left to do.
	out=$("$TOOL" plan /tmp/host.json) || fail "second plan"
	expect_eq "unchanged" 3 "$(echo "$out" | grep -c '^  = ')"
	echo "$out" | grep -q "^0 mdevctl command(s) to run" || fail "commands left: $out"

	# A changed attribute: stop, undefine, define, start that one.
	write_profile 512
	out=$("$TOOL" apply /tmp/host.json) || fail "apply the change: $out"
	echo "$out" | grep '^  ~ '
	expect_eq "changed" 1 "$(echo "$out" | grep -c '^  ~ ')"
	expect_eq "max_dma_bytes" 512 "$(cat /sys/bus/pci/devices/"$EDU1"/*/vendor/max_dma_bytes)"
	"$TOOL" status | tail -n 1

	# Revert: back to nothing.
	"$TOOL" revert || fail "revert"
	expect_eq "active after revert" "" "$(active_uuids)"
	expect_eq "defined after revert" "" "$(defined_uuids)"
	[ ! -e "$MDEV_PT_PROFILE_STATE" ] || fail "state left after revert"
}

test_profile_refuses_conflicts_and_bad_profiles()
{
	local u out

	start
	u=$(new_uuid)
	mdevctl start -u "$u" -p "$EDU2" -t mdev_pt-passthrough || fail "start a foreign instance"
	write_profile 1024
	expect_fail "foreign instance" "$EDU2: holds $u \\(mdev_pt-passthrough\\), which this profile did not make" \
		"$TOOL" apply /tmp/host.json
	printf '%s\n' "$OUT" | grep -q "conflict(s): nothing done" || fail "no summary"
	expect_eq "active" "$u" "$(active_uuids)"
	expect_eq "defined" "" "$(defined_uuids)"
	mdevctl stop -u "$u"

	write_profile 9999
	expect_fail "bad value" "rule 0: vendor/max_dma_bytes: 9999 is outside 1..4095" \
		"$TOOL" plan /tmp/host.json
	sed -i 's/"mdev_pt-edu-passthrough"/"mdev_pt-sample-scratch"/' /tmp/host.json
	expect_fail "type not offered" "$EDU2 does not offer mdev_pt-sample-scratch" \
		"$TOOL" plan /tmp/host.json
	echo '{"profile": "x", "rules": [{"match": {"bdf": "0000:7f:00.0"}, "type": "mdev_pt-passthrough"}]}' > /tmp/bad.json
	expect_fail "no such function" "0000:7f:00.0 is not an mdev parent" "$TOOL" plan /tmp/bad.json
	echo '{"profile": "x", "rules": [' > /tmp/bad.json
	expect_fail "malformed" "/tmp/bad.json: Expecting value" "$TOOL" plan /tmp/bad.json
	expect_eq "active" "" "$(active_uuids)"
	expect_eq "defined" "" "$(defined_uuids)"
}

run_tests "$@"
