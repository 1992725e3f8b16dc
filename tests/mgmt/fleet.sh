#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# mdev-pt-profile for a fleet, on both stacks of the test bed (mdevctl 1.2.0
# and 1.4.0), with the NVMe PF and its VFs:
#  - identities: the test bed's NVMe has no Device Serial Number and no VPD,
#    so its identity is the controller's serial (nvme:...), a VF's that plus
#    its index; DSN and VPD serials are parsed from synthetic config space
#    and VPD bytes (a fake sysfs);
#  - a profile selects VFs by PF identity and VF range ("nvme:S#0-1,3") or
#    by model ("pci:1b36:0010#2"), and the instance UUIDs are uuid5 of the
#    documented namespace over "IDENTITY/TYPE/N", checked here independently;
#  - a simulated reboot that renumbers the PF (it is hot-removed, its root
#    port's bus number changed, the bus rescanned, mdev_pt reloaded: every
#    BDF of the PF and its VFs changes) followed by "mdev-pt-profile boot"
#    brings back the vf_autobind mark, the VFs and every instance under the
#    same UUID on the VF of the same index, and moves mdevctl's definitions
#    to the new BDFs;
#  - /etc/mdev-pt/*.conf: vf_autobind marks (and VF counts) set by the tool
#    and by the udev rule install-host installs, when mdev_pt loads;
#  - install-host: idempotent, fixes mdevctl's /usr/sbin path so --auto
#    devices start, refuses foreign files, uninstall-host removes it all;
#  - export: the Nova and KubeVirt configuration, checked against the type
#    names, functions and migration_compatibility strings sysfs shows;
#  - bad selectors, ranges, identities, configuration files and export
#    options are refused with a message naming the problem, and nothing
#    changes (mdevctl's devices and definitions, the state file, the marks,
#    the VF count).

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"

TOOL=$PROFILES/mdev-pt-profile
export MDEV_PT_PROFILE_STATE=/tmp/fleet-state.json
CONF=/tmp/fleet-conf
DRV=/sys/bus/pci/drivers/mdev_pt
# The namespace of identity-derived UUIDs, as the README documents it.
ID_NS=d1c94dfa-ff0a-4b9c-94e6-c9f5e2414ab5
SCRATCH=mdev_pt-sample-scratch
MOCK=mdev_pt-mock-migratable
EDU_MIG=mdev_pt-edu-migratable

find_functions || exit 1
PF=$(vm_nvme_pf_bdf) || exit 1
SERIAL=$(xargs < "$(echo /sys/bus/pci/devices/"$PF"/nvme/nvme*/serial)")
[ -n "$SERIAL" ] || { echo "no NVMe serial for $PF"; exit 1; }
echo "# NVMe PF $PF, serial '$SERIAL'"

unmark_all()
{
	local p

	for p in $(cat "$DRV/vf_autobind" 2> /dev/null); do
		echo "$p" > "$DRV/vf_autobind_remove"
	done
	return 0
}

cleanup()
{
	mdevctl_reset
	rm -rf "$MDEV_PT_PROFILE_STATE" "$CONF" /etc/mdev-pt
	unmark_all
}

trap 'cleanup; unbind_all; vm_nvme_enable_vfs 0 > /dev/null' EXIT

# fleet_vfs N: the PF marked (N > 0) and N VFs, all bound to mdev_pt
# through the mark, with their plugins' types.
fleet_vfs()
{
	local vf

	vm_nvme_enable_vfs 0 > /dev/null || fail "disable the VFs"
	unmark_all
	[ "$1" = 0 ] && return 0
	echo "$PF" > "$DRV/vf_autobind" || fail "mark $PF"
	vm_nvme_enable_vfs "$1" > /dev/null || fail "enable $1 VFs"
	for vf in $(vm_nvme_vf_bdfs "$PF"); do
		expect_eq "driver of $vf" mdev_pt "$(pci_driver "$vf")"
		wait_for 10 test -d "$(type_dir "$vf" $MOCK)" || fail "no $MOCK on $vf"
		wait_for 10 test -d "$(type_dir "$vf" $SCRATCH)" || fail "no $SCRATCH on $vf"
	done
}

# start [N]: no instance, definition, state, configuration or mark; the
# edu functions on mdev_pt, N (default 4) VFs on mdev_pt.
start()
{
	local b

	cleanup
	mkdir -p "$CONF"
	modprobe mdev_pt || fail "modprobe mdev_pt"
	for b in "$EDU1" "$EDU2"; do
		[ -L "$DRV/$b" ] || pt_bind "$b" || fail "bind $b"
		wait_for 5 test -d "$(type_dir "$b" $EDU_MIG)" || fail "no edu types on $b"
	done
	fleet_vfs "${1:-4}"
}

# vf_n N: the BDF of the PF's VF N.
vf_n()
{
	basename "$(readlink -f "/sys/bus/pci/devices/$PF/virtfn$1")"
}

# id_uuid IDENTITY TYPE: uuid5(ID_NS, "IDENTITY/TYPE/0").
id_uuid()
{
	python3 -c 'import sys, uuid; print(uuid.uuid5(uuid.UUID(sys.argv[1]), sys.argv[2]))' \
		"$ID_NS" "$1/$2/0"
}

# parent_of_instance UUID: the BDF the instance is on.
parent_of_instance()
{
	basename "$(dirname "$(readlink -f "/sys/bus/mdev/devices/$1")")"
}

instance_type()
{
	basename "$(readlink -f "/sys/bus/mdev/devices/$1/mdev_type")"
}

write_fleet_profile()
{
	cat > /tmp/fleet.json <<EOP
{
  "profile": "fleet",
  "rules": [
    {"match": {"pf": ["nvme:$SERIAL#0-1,3"]}, "type": "$SCRATCH",
     "attrs": [{"vendor/label": "fleet"}]},
    {"match": {"pf": ["pci:1b36:0010#2", "nvme:not-in-this-host#0"]}, "type": "$MOCK",
     "start": "manual"},
    {"match": {"bdf": ["$EDU1"]}, "type": "$EDU_MIG"},
    {"match": {"bdf": ["$EDU2"]}, "type": "mdev_pt-passthrough"}
  ]
}
EOP
}

# What must not change when the tool refuses something.
snapshot()
{
	echo "active: $(active_uuids)"
	echo "defined: $(defined_uuids)"
	echo "definitions: $(find "$MDEVCTL_CONF" -path '*/0000:*' -type f | sort | xargs)"
	echo "state: $([ -e "$MDEV_PT_PROFILE_STATE" ] && sha256sum < "$MDEV_PT_PROFILE_STATE")"
	echo "marks: $(xargs < "$DRV/vf_autobind")"
	echo "numvfs: $(cat "/sys/bus/pci/devices/$PF/sriov_numvfs")"
}

test_identities_of_the_test_bed()
{
	local out k vf

	start 3
	out=$("$TOOL" identities) || fail "identities: $out"
	echo "$out"
	# QEMU's NVMe has the ARI and SR-IOV extended capabilities only: no
	# DSN, no VPD; the controller's serial is the identity.
	printf '%s\n' "$out" | grep -q 'dsn:\|vpd:' && fail "a DSN or VPD identity in the test bed?"
	expect_eq "PF" "$PF 1b36:0010 PF, 3 VFs driver=nvme nvme:$SERIAL" \
		"$(printf '%s\n' "$out" | grep "^$PF ")"
	for k in 0 1 2; do
		vf=$(vf_n $k)
		expect_eq "VF $k" "$vf 1b36:0010 VF $k of $PF driver=mdev_pt mdev-parent nvme:$SERIAL#$k" \
			"$(printf '%s\n' "$out" | grep "^$vf ")"
	done
	expect_eq "edu" "$EDU1 1234:11e8 function driver=mdev_pt mdev-parent (no stable identity)" \
		"$(printf '%s\n' "$out" | grep "^$EDU1 ")"
	python3 - "$("$TOOL" identities --json)" "$PF" "$SERIAL" <<'PY' || fail "identities --json"
import json, sys
rows, pf, serial = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
vfs = [r for r in rows if r["pf"] == pf]
assert [r["vf_index"] for r in vfs] == [0, 1, 2], vfs
for r in vfs:
    assert r["identities"] == [f"nvme:{serial}#{r['vf_index']}"], r
PY
}

# The sources the test bed lacks, from bytes: a fake sysfs with a PF whose
# config space has a DSN (after another extended capability), its two VFs,
# a PF with VPD (serial in the read-only section), one whose DSN is 0 (no
# identity), and two PFs sharing a DSN (no identity either: refused).
test_dsn_and_vpd_serials()
{
	local fake=/tmp/fake-sysfs out

	rm -rf "$fake"
	mkdir -p "$CONF"
	python3 - "$fake" <<'PY' || fail "fake sysfs"
import os, struct, sys
D = os.path.join(sys.argv[1], "bus/pci/devices")
os.makedirs(os.path.join(sys.argv[1], "bus/pci/drivers/mdev_pt"))
open(os.path.join(sys.argv[1], "bus/pci/drivers/mdev_pt/vf_autobind"), "w").close()
def dev(bdf, caps=(), vpd=None, vfs=None, physfn=None, ids="8086:1572"):
    d = os.path.join(D, bdf)
    os.makedirs(d)
    cfg, off = bytearray(4096), 0x100
    for i, (cid, body) in enumerate(caps):
        nxt = off + 4 + len(body) if i + 1 < len(caps) else 0
        struct.pack_into("<I", cfg, off, cid | 1 << 16 | nxt << 20)
        cfg[off + 4:off + 4 + len(body)] = body
        off = nxt
    open(f"{d}/config", "wb").write(cfg)
    v, dv = ids.split(":")
    open(f"{d}/vendor", "w").write(f"0x{v}\n")
    open(f"{d}/device", "w").write(f"0x{dv}\n")
    if vpd is not None:
        open(f"{d}/vpd", "wb").write(vpd)
    if vfs is not None:
        open(f"{d}/sriov_totalvfs", "w").write("8\n")
        open(f"{d}/sriov_numvfs", "w").write(f"{len(vfs)}\n")
        for i, vf in enumerate(vfs):
            os.symlink(f"../{vf}", f"{d}/virtfn{i}")
    if physfn:
        os.symlink(f"../{physfn}", f"{d}/physfn")
dsn = lambda v: (3, struct.pack("<II", v & 0xffffffff, v >> 32))
aer = (1, bytes(0x3c))
dev("0000:05:00.0", [aer, dsn(0x0123456789abcdef)], vfs=["0000:05:02.0", "0000:05:02.1"])
dev("0000:05:02.0", physfn="0000:05:00.0", ids="8086:154c")
dev("0000:05:02.1", physfn="0000:05:00.0", ids="8086:154c")
kw = lambda k, v: k + bytes([len(v)]) + v
ro = kw(b"PN", b"X710-DA2") + kw(b"SN", b"SN-00042  ") + kw(b"RV", b"\0")
dev("0000:06:00.0", [aer], vfs=[], ids="15b3:1017",
    vpd=b"\x82\x09\x00Test card\x90" + struct.pack("<H", len(ro)) + ro + b"\x78")
dev("0000:07:00.0", [dsn(0)], vfs=[], ids="15b3:1017")
dev("0000:08:00.0", [dsn(0x1111)], vfs=[])
dev("0000:09:00.0", [dsn(0x1111)], vfs=[])
PY
	out=$(MDEV_PT_SYSFS=$fake "$TOOL" identities) || fail "identities: $out"
	echo "$out"
	expect_eq "identities" "0000:05:00.0 8086:1572 PF, 2 VFs driver=- dsn:01-23-45-67-89-ab-cd-ef
0000:05:02.0 8086:154c VF 0 of 0000:05:00.0 driver=- dsn:01-23-45-67-89-ab-cd-ef#0
0000:05:02.1 8086:154c VF 1 of 0000:05:00.0 driver=- dsn:01-23-45-67-89-ab-cd-ef#1
0000:06:00.0 15b3:1017 PF, 0 VFs driver=- vpd:SN-00042
0000:07:00.0 15b3:1017 PF, 0 VFs driver=- (no stable identity)
0000:08:00.0 8086:1572 PF, 0 VFs driver=- dsn:00-00-00-00-00-00-11-11
0000:09:00.0 8086:1572 PF, 0 VFs driver=- dsn:00-00-00-00-00-00-11-11" "$out"
	# Selected by DSN (any spelling), by VPD serial; a shared DSN is refused.
	printf 'vf_autobind dsn:0123456789ABCDEF\nvf_autobind "vpd:SN-00042"\n' > "$CONF/a.conf"
	out=$(MDEV_PT_SYSFS=$fake "$TOOL" --conf-dir "$CONF" autobind) || fail "autobind: $out"
	echo "$out"
	printf '%s\n' "$out" | grep -q "^marked 0000:05:00.0 (dsn:01-23-45-67-89-ab-cd-ef)" ||
		fail "not marked by DSN"
	printf '%s\n' "$out" | grep -q "^marked 0000:06:00.0 (vpd:SN-00042)" || fail "not marked by VPD"
	echo 'vf_autobind dsn:00-00-00-00-00-00-11-11' > "$CONF/b.conf"
	expect_fail "shared DSN" "dsn:00-00-00-00-00-00-11-11 is the identity of 2 PFs \\(0000:08:00.0, 0000:09:00.0\\)" \
		env MDEV_PT_SYSFS=$fake "$TOOL" --conf-dir "$CONF" autobind
	rm -rf "$fake"
}

test_profile_selects_by_identity_and_range()
{
	local out k u vf

	start 4
	write_fleet_profile
	out=$("$TOOL" plan /tmp/fleet.json 2>&1) || fail "plan: $out"
	echo "$out"
	printf '%s\n' "$out" | grep -q "note: rule 1: no PF here matches 'nvme:not-in-this-host#0'" ||
		fail "no note for the PF this host lacks"
	expect_eq "devices to add" 6 "$(printf '%s\n' "$out" | grep -c '^  + ')"
	for k in 0 1 3; do
		u=$(id_uuid "nvme:$SERIAL#$k" $SCRATCH)
		printf '%s\n' "$out" | grep -qx "  + $(vf_n $k) $u $SCRATCH auto \\[vendor/label=fleet\\] (nvme:$SERIAL#$k)" ||
			fail "no add line for VF $k with UUID $u"
	done
	u=$(id_uuid "nvme:$SERIAL#2" $MOCK)
	printf '%s\n' "$out" | grep -qx "  + $(vf_n 2) $u $MOCK manual (nvme:$SERIAL#2)" ||
		fail "no add line for VF 2 with UUID $u"

	# "identity" names single functions.
	echo "{\"profile\": \"one\", \"rules\": [{\"match\": {\"identity\": \"nvme:$SERIAL#1\"}, \"type\": \"$SCRATCH\"}]}" > /tmp/one.json
	out=$("$TOOL" plan /tmp/one.json) || fail "plan one: $out"
	expect_eq "identity match" "  + $(vf_n 1) $(id_uuid "nvme:$SERIAL#1" $SCRATCH) $SCRATCH auto (nvme:$SERIAL#1)" \
		"$(printf '%s\n' "$out" | grep '^  + ')"

	"$TOOL" apply /tmp/fleet.json > /dev/null || fail "apply"
	for k in 0 1 3; do
		u=$(id_uuid "nvme:$SERIAL#$k" $SCRATCH)
		expect_eq "parent of $u" "$(vf_n $k)" "$(parent_of_instance "$u")"
		expect_eq "type of $u" $SCRATCH "$(instance_type "$u")"
		expect_eq "label of $u" fleet "$(mdev_attr "$u" vendor/label)"
	done
	u=$(id_uuid "nvme:$SERIAL#2" $MOCK)
	expect_eq "parent of $u" "$(vf_n 2)" "$(parent_of_instance "$u")"
	expect_eq "type of $u" $MOCK "$(instance_type "$u")"
	expect_eq "active" 6 "$(active_uuids | wc -w)"
	out=$("$TOOL" plan /tmp/fleet.json 2> /dev/null) || fail "plan again"
	expect_eq "unchanged" 6 "$(printf '%s\n' "$out" | grep -c '^  = ')"
	printf '%s\n' "$out" | grep -q "^0 mdevctl command(s) to run" || fail "commands left: $out"
}

# reload_mdev_pt: unload the plugins and mdev_pt (nothing may be bound),
# load mdev_pt again: the marks are gone, as after a reboot.
reload_mdev_pt()
{
	local m

	for m in $(awk '$1 ~ /^mdev_pt_/ { print $1 }' /proc/modules); do
		rmmod "$m" || fail "rmmod $m"
	done
	core_unload || fail "rmmod mdev_pt"
	modprobe mdev_pt || fail "modprobe mdev_pt"
}

# renumber BUS: hot-remove the NVMe PF (its VFs and their instances go with
# it), give its root port the secondary bus BUS, take the port out and
# rescan: the PF and its VFs come back with new BDFs, as after a reboot
# where the firmware numbered the buses differently.  mdev_pt is reloaded
# on the way (the marks are gone, as after a reboot); the nvme driver takes
# the PF again.  Sets PF.
renumber()
{
	local rp m

	for m in $(vm_nvme_vf_bdfs "$PF"); do
		pci_unbind "$m"
	done
	rp=$(basename "$(dirname "$(readlink -f "/sys/bus/pci/devices/$PF")")")
	echo 1 > "/sys/bus/pci/devices/$PF/remove" || fail "remove $PF"
	python3 - "/sys/bus/pci/devices/$rp/config" "$1" <<'PY' || fail "renumber $rp"
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
bus = int(sys.argv[2], 0)
os.pwrite(fd, bytes([bus, bus]), 0x19)      # secondary, subordinate
PY
	echo 1 > "/sys/bus/pci/devices/$rp/remove" || fail "remove $rp"
	pci_unbind "$EDU1"
	pci_unbind "$EDU2"
	reload_mdev_pt
	echo 1 > /sys/bus/pci/rescan
	PF=$(vm_nvme_pf_bdf) || fail "no NVMe PF after the rescan"
	wait_for 30 eval 'grep -qs . /sys/bus/pci/devices/$PF/nvme/nvme*/serial' ||
		fail "no NVMe controller on $PF"
	echo 0 > "/sys/bus/pci/devices/$PF/sriov_drivers_autoprobe"
	# What the host's own configuration does at boot, not mdev-pt-profile's.
	pt_bind "$EDU1" || fail "bind $EDU1"
	pt_bind "$EDU2" || fail "bind $EDU2"
}

# identity_map: "IDENTITY UUID TYPE" of every instance, sorted (IDENTITY
# None for a function without one).
identity_map()
{
	"$TOOL" identities --json | python3 -c '
import json, os, sys
ids = {r["bdf"]: r["identity"] for r in json.load(sys.stdin)}
top = "/sys/bus/mdev/devices"
for u in sorted(os.listdir(top)):
    parent = os.path.basename(os.path.dirname(os.path.realpath(f"{top}/{u}")))
    mtype = os.path.basename(os.path.realpath(f"{top}/{u}/mdev_type"))
    print(ids.get(parent), u, mtype)
' | sort
}

test_renumbered_reboot_keeps_uuids()
{
	local before after out old_pf old_vf k

	start 4
	write_fleet_profile
	printf '# the fleet\nvf_autobind "nvme:%s" numvfs=4  # all four\nprofile /tmp/fleet.json\n' \
		"$SERIAL" > "$CONF/fleet.conf"
	"$TOOL" apply /tmp/fleet.json > /dev/null || fail "apply"
	before=$(identity_map)
	echo "$before"
	old_pf=$PF
	old_vf=$(vf_n 0)
	# shellcheck disable=SC2064 # now: put the PF back where it was
	trap "renumber $(printf 0x%s "${PF:5:2}") > /dev/null" EXIT
	renumber 0x20
	echo "# $old_pf is now $PF"
	[ "$PF" != "$old_pf" ] || fail "the PF kept its BDF $PF"
	expect_eq "marks after the reboot" "" "$(xargs < "$DRV/vf_autobind")"
	expect_eq "VFs after the reboot" 0 "$(cat "/sys/bus/pci/devices/$PF/sriov_numvfs")"

	out=$("$TOOL" --conf-dir "$CONF" boot 2>&1) || fail "boot: $out"
	echo "$out"
	printf '%s\n' "$out" | grep -q "^marked $PF (nvme:$SERIAL)" || fail "not marked"
	printf '%s\n' "$out" | grep -q "moved from $old_vf" || fail "no move from $old_vf"
	expect_eq "marks" "$PF" "$(xargs < "$DRV/vf_autobind")"
	expect_eq "VFs" 4 "$(cat "/sys/bus/pci/devices/$PF/sriov_numvfs")"
	for k in 0 1 2 3; do
		expect_eq "driver of VF $k" mdev_pt "$(pci_driver "$(vf_n $k)")"
	done
	after=$(identity_map)
	expect_eq "instances by identity" "$before" "$after"
	# mdevctl's definitions moved with them: none left under the old BDFs.
	expect_eq "definitions under $old_pf's bus" "" \
		"$(find "$MDEVCTL_CONF" -path "*/${old_pf%:*}:*" -type f)"
	expect_eq "defined" "$(active_uuids)" "$(defined_uuids)"
	out=$("$TOOL" plan /tmp/fleet.json 2> /dev/null) || fail "plan after boot"
	printf '%s\n' "$out" | grep -q "^0 mdevctl command(s) to run" || fail "commands left: $out"
	"$TOOL" revert > /dev/null || fail "revert"
}

test_autobind_from_configuration()
{
	local out

	start 0
	printf 'vf_autobind nvme:%s numvfs=3\n' "$SERIAL" > "$CONF/nvme.conf"
	out=$("$TOOL" --conf-dir "$CONF" autobind) || fail "autobind: $out"
	echo "$out"
	expect_eq "marks" "$PF" "$(xargs < "$DRV/vf_autobind")"
	expect_eq "VFs" 3 "$(cat "/sys/bus/pci/devices/$PF/sriov_numvfs")"
	for vf in $(vm_nvme_vf_bdfs "$PF"); do
		expect_eq "driver of $vf" mdev_pt "$(pci_driver "$vf")"
	done
	# Again: nothing to do, no error.
	out=$("$TOOL" --conf-dir "$CONF" autobind) || fail "second autobind: $out"
	expect_eq "second autobind" "" "$out"
	expect_eq "marks" "$PF" "$(xargs < "$DRV/vf_autobind")"
	# A PF with VFs keeps its count.
	printf 'vf_autobind bdf:%s numvfs=2\n' "$PF" > "$CONF/nvme.conf"
	unmark_all
	out=$("$TOOL" --conf-dir "$CONF" autobind) || fail "autobind, VFs there: $out"
	echo "$out"
	printf '%s\n' "$out" | grep -q "its 3 VFs enabled before are left alone" || fail "no note"
	printf '%s\n' "$out" | grep -q "has 3 VFs; numvfs=2 is applied only to a PF without VFs" ||
		fail "no numvfs note"
	expect_eq "VFs" 3 "$(cat "/sys/bus/pci/devices/$PF/sriov_numvfs")"
}

test_bad_profiles_change_nothing()
{
	local before total

	total=$(cat "/sys/bus/pci/devices/$PF/sriov_totalvfs")

	start 5
	write_fleet_profile
	"$TOOL" apply /tmp/fleet.json > /dev/null || fail "apply"
	pci_unbind "$(vf_n 4)"
	before=$(snapshot)
	bad()
	{
		local what=$1 match=$2 pattern=$3

		echo "{\"profile\": \"fleet\", \"rules\": [{\"match\": $match, \"type\": \"$SCRATCH\"}]}" > /tmp/bad.json
		expect_fail "$what" "$pattern" "$TOOL" apply /tmp/bad.json
		printf '%s\n' "$OUT" | grep -q "the profile is not usable (nothing done)" ||
			fail "$what: no 'nothing done'"
	}
	bad "backwards" "{\"pf\": \"nvme:$SERIAL#3-1\"}" "VF range '3-1': '3-1' goes backwards"
	bad "not a range" "{\"pf\": \"nvme:$SERIAL#0-x\"}" "VF range '0-x': '0-x' is not N or N-M"
	bad "empty range" "{\"pf\": \"nvme:$SERIAL#\"}" "empty VF range after '#'"
	bad "twice" "{\"pf\": \"nvme:$SERIAL#0-3,2\"}" "VF range '0-3,2': VF 2 named twice"
	bad "beyond TotalVFs" "{\"pf\": \"nvme:$SERIAL#$total\"}" \
		"$PF has at most $total VFs \\(0-$((total - 1))\\), there is no VF $total"
	bad "unknown kind" '{"pf": "serial:abc#0"}' "unknown kind 'serial' \\(known: dsn, vpd, nvme, bdf, pci\\)"
	bad "short DSN" '{"pf": "dsn:12345#0"}' "'12345' is not a Device Serial Number"
	bad "empty serial" '{"pf": "nvme:#0"}' "'' is not a serial number"
	bad "no such BDF" '{"pf": "0000:7f:00.0#0"}' "no PCI function 0000:7f:00.0"
	bad "not a PF" "{\"pf\": \"$EDU1#0\"}" "$EDU1 is not an SR-IOV PF"
	bad "not a selector" '{"pf": "ens1f0#0"}' "'ens1f0#0' is not a PF selector"
	bad "empty list" '{"pf": []}' "match pf must be a string or a non-empty list of strings"
	bad "bad model" '{"pf": "pci:1b36#0"}' "'1b36' is not a PCI vendor:device pair"
	bad "VF index" "{\"identity\": \"nvme:$SERIAL#x\"}" "'x' is not a VF index"
	bad "identity kind" '{"identity": "bdf:0000:00:01.0"}' "is not an identity \\(KIND:SERIAL\\[#VF\\]"
	bad "match key" '{"pff": "x"}' "unknown match key\\(s\\) pff"
	bad "vendor" '{"vendor": "12345"}' "match vendor must be 4 hex digits"
	# A VF of the range that is not on mdev_pt.
	bad "VF not bound" "{\"pf\": \"nvme:$SERIAL#3-4\"}" \
		"VF 4 of $PF \\($(vf_n 4)\\) is not an mdev parent"
	# Profile-level keys, and every error at once.
	echo '{"profile": "fleet", "uuid_namespace": "nope", "rules": [{"type": "x", "instance": 2, "match": {"bdf": "'"$EDU1"'"}}]}' > /tmp/bad.json
	expect_fail "namespace" "uuid_namespace: \"nope\" is not a UUID" "$TOOL" apply /tmp/bad.json
	printf '%s\n' "$OUT" | grep -q "rule 0: unknown key(s) instance" || fail "no unknown rule key"
	expect_eq "after the refusals" "$before" "$(snapshot)"
}

test_bad_configuration_changes_nothing()
{
	local before total

	total=$(cat "/sys/bus/pci/devices/$PF/sriov_totalvfs")

	start 0
	before=$(snapshot)
	badconf()
	{
		local what=$1 text=$2 pattern=$3

		rm -f "$CONF"/*.conf
		printf 'vf_autobind nvme:%s numvfs=2\n' "$SERIAL" > "$CONF/00-good.conf"
		printf '%b' "$text" > "$CONF/50-bad.conf"
		expect_fail "$what" "$pattern" "$TOOL" --conf-dir "$CONF" autobind
		printf '%s\n' "$OUT" | grep -q "nothing done" || fail "$what: no 'nothing done'"
	}
	badconf "keyword" '# x\nvf_autobnd nvme:x\n' "50-bad.conf:2: unknown keyword 'vf_autobnd' \\(known: vf_autobind, profile\\)"
	badconf "no selector" 'vf_autobind\n' "50-bad.conf:1: vf_autobind needs a PF selector"
	badconf "range" "vf_autobind nvme:$SERIAL#0-3\n" "'nvme:$SERIAL#0-3' names VFs; give the PF alone"
	badconf "any" 'vf_autobind *\n' "'\\*' \\(every SR-IOV PF\\) is not allowed here"
	badconf "numvfs" 'vf_autobind dsn:0011223344556677 numvfs=abc\n' "numvfs 'abc' is not a number in 1..65535"
	badconf "numvfs 0" 'vf_autobind dsn:0011223344556677 numvfs=0\n' "numvfs '0' is not a number"
	badconf "option" 'vf_autobind dsn:0011223344556677 vfs=2\n' "unknown option 'vfs=2' \\(known: numvfs=N\\)"
	badconf "twice" "vf_autobind nvme:$SERIAL\n" "nvme:$SERIAL named already at .*00-good.conf:1"
	badconf "quote" 'vf_autobind "nvme:x\n' "50-bad.conf:1: No closing quotation"
	badconf "profile" 'profile /nonexistent.json\n' "profile /nonexistent.json: no such file"
	badconf "bad kind" 'vf_autobind mac:00:11\n' "unknown kind 'mac'"
	# Only known when the PF is there: more VFs than it has, the same PF twice.
	badconf "too many VFs" "vf_autobind bdf:$PF numvfs=$((total + 1))\n" \
		"numvfs=$((total + 1)): $PF \\(bdf:$PF\\) has at most $total VFs"
	badconf "PF twice" 'vf_autobind pci:1b36:0010\n' "$PF is named by .*00-good.conf:1 already"
	expect_eq "after the refusals" "$before" "$(snapshot)"
}

test_install_host()
{
	local out sums u callout

	start 0
	callout=$(readlink -f "$PROFILES/mdev-pt-callout")
	# What an admin finds after installing Debian's mdevctl.
	# shellcheck disable=SC2064
	trap "udevd_stop; $TOOL uninstall-host > /dev/null 2>&1; ln -sfn /usr/bin/mdevctl /usr/sbin/mdevctl; rm -rf /etc/mdev-pt" EXIT
	rm -f /usr/sbin/mdevctl
	hash -r
	mkdir -p /etc/mdev-pt
	printf 'vf_autobind nvme:%s numvfs=2\n' "$SERIAL" > /etc/mdev-pt/nvme.conf

	# Refusals first: a bad configuration, a file that is not ours.
	echo 'vf_autobind nvme:x numvfs=many' > /etc/mdev-pt/bad.conf
	expect_fail "bad configuration" "bad.conf:1: numvfs 'many'" "$TOOL" install-host
	rm /etc/mdev-pt/bad.conf
	echo '# the admin'"'"'s own' > /etc/udev/rules.d/61-mdev-pt.rules
	expect_fail "foreign file" "/etc/udev/rules.d/61-mdev-pt.rules exists and is not mdev-pt's" \
		"$TOOL" install-host
	[ -e /usr/sbin/mdevctl ] && fail "a refused install made /usr/sbin/mdevctl"
	[ -e /var/lib/mdev-pt/install-host.json ] && fail "a refused install left a manifest"
	rm /etc/udev/rules.d/61-mdev-pt.rules

	out=$("$TOOL" install-host) || fail "install-host: $out"
	echo "$out"
	expect_eq "/usr/sbin/mdevctl" /usr/bin/mdevctl "$(readlink /usr/sbin/mdevctl)"
	grep -q "autobind --quiet" /etc/udev/rules.d/61-mdev-pt.rules || fail "no udev rule"
	expect_eq "modules-load.d" mdev_pt "$(cat /etc/modules-load.d/mdev-pt.conf)"
	expect_eq "tool link" "$(readlink -f "$TOOL")" "$(readlink -f /usr/local/sbin/mdev-pt-profile)"
	expect_eq "callout" "$callout" "$(readlink -f "$CALLOUTS/mdev-pt-callout")"
	if [ -d /etc/systemd/system ]; then
		grep -qx "ExecStart=/usr/local/sbin/mdev-pt-profile boot" \
			/etc/systemd/system/mdev-pt-boot.service || fail "no boot unit"
		[ -L /etc/systemd/system/multi-user.target.wants/mdev-pt-boot.service ] ||
			fail "boot unit not enabled"
	fi
	# It set the marks too.
	expect_eq "marks" "$PF" "$(xargs < "$DRV/vf_autobind")"
	expect_eq "VFs" 2 "$(cat "/sys/bus/pci/devices/$PF/sriov_numvfs")"

	sums=$(ls -l --time-style=full-iso /usr/sbin/mdevctl /etc/udev/rules.d/61-mdev-pt.rules \
		/etc/modules-load.d/mdev-pt.conf /usr/local/sbin/mdev-pt-profile \
		/var/lib/mdev-pt/install-host.json; sha256sum /etc/udev/rules.d/61-mdev-pt.rules \
		/var/lib/mdev-pt/install-host.json)
	out=$("$TOOL" install-host) || fail "second install-host: $out"
	expect_eq "second install-host" "install-host: everything is in place already, nothing to do" "$out"
	expect_eq "files after the second install" "$sums" "$(ls -l --time-style=full-iso /usr/sbin/mdevctl \
		/etc/udev/rules.d/61-mdev-pt.rules /etc/modules-load.d/mdev-pt.conf \
		/usr/local/sbin/mdev-pt-profile /var/lib/mdev-pt/install-host.json
		sha256sum /etc/udev/rules.d/61-mdev-pt.rules /var/lib/mdev-pt/install-host.json)"

	# With udevd: an --auto device starts when its function comes back...
	udevd_start || fail "udevd"
	u=$(new_uuid)
	mdevctl define -u "$u" -p "$EDU2" -t mdev_pt-edu-passthrough --auto || fail "define"
	pci_unbind "$EDU2"
	udevadm settle
	pt_bind "$EDU2" || fail "rebind $EDU2"
	wait_for 20 test -e "/sys/bus/mdev/devices/$u" || fail "not autostarted"
	udevadm settle
	mdevctl stop -u "$u"
	mdevctl undefine -u "$u"
	# ... and after a "reboot" (VFs gone, mdev_pt unloaded: no mark), the
	# udev rule sets the mark again when mdev_pt loads, and enables the VFs.
	vm_nvme_enable_vfs 0 > /dev/null
	pci_unbind "$EDU1"
	pci_unbind "$EDU2"
	udevadm settle
	reload_mdev_pt
	udevadm settle
	wait_for 20 eval '[ "$(xargs < $DRV/vf_autobind)" = "$PF" ]' ||
		fail "udev set no mark: '$(xargs < $DRV/vf_autobind)'"
	wait_for 20 eval '[ "$(cat /sys/bus/pci/devices/$PF/sriov_numvfs)" = 2 ]' ||
		fail "udev enabled no VFs"
	for vf in $(vm_nvme_vf_bdfs "$PF"); do
		wait_for 10 eval '[ "$(pci_driver $vf)" = mdev_pt ]' || fail "$vf not on mdev_pt"
	done
	udevd_stop

	out=$("$TOOL" uninstall-host) || fail "uninstall-host: $out"
	echo "$out"
	for f in /usr/sbin/mdevctl /etc/udev/rules.d/61-mdev-pt.rules /etc/modules-load.d/mdev-pt.conf \
		/usr/local/sbin/mdev-pt-profile "$CALLOUTS/mdev-pt-callout" \
		/etc/systemd/system/mdev-pt-boot.service /var/lib/mdev-pt/install-host.json; do
		[ -e "$f" ] || [ -L "$f" ] && fail "uninstall-host left $f"
	done
	[ -d /etc/mdev-pt ] || fail "uninstall-host removed /etc/mdev-pt with a file in it"
	out=$("$TOOL" uninstall-host) || fail "second uninstall-host: $out"
	expect_eq "second uninstall-host" "uninstall-host: nothing installed" "$out"
}

test_export_matches_sysfs()
{
	local out u_mock u_edu compat_mock compat_edu trait_mock trait_edu pt_name vf2 node

	start 4
	write_fleet_profile
	"$TOOL" apply /tmp/fleet.json > /dev/null || fail "apply"
	vf2=$(vf_n 2)
	node=$(hostname)
	u_mock=$(id_uuid "nvme:$SERIAL#2" $MOCK)
	u_edu=$(mdevctl list | awk -v t=$EDU_MIG '$3 == t { print $1 }')
	compat_mock=$(cat "$(type_dir "$vf2" $MOCK)/migration_compatibility")
	compat_edu=$(cat "$(type_dir "$EDU1" $EDU_MIG)/migration_compatibility")
	expect_eq "instance compat" "$compat_mock" "$(cat "/sys/bus/mdev/devices/$u_mock/migration_compatibility")"
	expect_eq "instance compat" "$compat_edu" "$(cat "/sys/bus/mdev/devices/$u_edu/migration_compatibility")"
	trait()
	{
		printf '%s' "CUSTOM_MDEV_PT_COMPAT_$(printf '%s' "$1" | tr a-z A-Z | tr -cs A-Z0-9 _ |
			sed 's/^_*//; s/_*$//')"
	}
	trait_mock=$(trait "$compat_mock")
	trait_edu=$(trait "$compat_edu")
	pt_name=$(cat "$(type_dir "$EDU2" mdev_pt-passthrough)/name")
	echo "# $compat_mock -> $trait_mock; $compat_edu -> $trait_edu; passthrough: $pt_name"
	expect_eq "the generic type's name" "Passthrough 1234:11e8" "$pt_name"

	# Nova: an INI file whose types, addresses and classes are sysfs's.
	out=$("$TOOL" export nova /tmp/fleet.json 2> /dev/null) || fail "export nova"
	echo "$out"
	python3 - "$out" "$(vf_n 0),$(vf_n 1),$(vf_n 3)" "$vf2" "$EDU1" "$EDU2" "$trait_mock" "$trait_edu" <<'PY' ||
import configparser, os, sys
text, scratch, vf2, edu1, edu2, tmock, tedu = sys.argv[1:]
c = configparser.ConfigParser(comment_prefixes=("#",))
c.read_string(text)
types = [t.strip() for t in c["devices"]["enabled_mdev_types"].split(",")]
assert types == ["mdev_pt-edu-migratable", "mdev_pt-mock-migratable", "mdev_pt-passthrough",
                 "mdev_pt-sample-scratch"], types
want = {"mdev_pt-sample-scratch": scratch, "mdev_pt-mock-migratable": vf2,
        "mdev_pt-edu-migratable": edu1, "mdev_pt-passthrough": edu2}
for t in types:
    s = c[f"mdev_{t}"]
    assert s["device_addresses"] == want[t], (t, s["device_addresses"])
    for a in s["device_addresses"].split(","):
        assert os.path.isdir(f"/sys/class/mdev_bus/{a}/mdev_supported_types/{t}"), (a, t)
    assert s["mdev_class"] == "CUSTOM_" + t.upper().replace("-", "_"), s["mdev_class"]
for t, tr in (("mdev_pt-mock-migratable", tmock), ("mdev_pt-edu-migratable", tedu)):
    assert f"[mdev_{t}]\ndevice_addresses = {want[t]}\nmdev_class = CUSTOM_{t.upper().replace('-', '_')}\n# migratable: trait {tr}\n" in text, t
assert text.count("# migratable: trait") == 2
PY
		fail "export nova"
	out=$("$TOOL" export nova-provider /tmp/fleet.json 2> /dev/null) || fail "export nova-provider"
	echo "$out"
	python3 - "$out" "${node}_pci_$(echo "$vf2" | tr :. __)" "${node}_pci_$(echo "$EDU1" | tr :. __)" \
		"$trait_mock" "$trait_edu" <<'PY' || fail "export nova-provider"
import sys
text, rp_mock, rp_edu, tmock, tedu = sys.argv[1:]
text += "\n"
want = {rp_mock: [tmock], rp_edu: [tedu]}
try:
    import yaml
except ImportError:
    yaml = None
if yaml:
    doc = yaml.safe_load(text)
    assert doc["meta"]["schema_version"] == "1.0"
    got = {p["identification"]["name"]: p["traits"]["additional"] for p in doc["providers"]}
    assert got == want, got
else:
    for rp, (tr,) in want.items():
        assert f'  - identification:\n      name: "{rp}"\n    traits:\n      additional:\n        - "{tr}"\n' in text, rp
    assert text.count("identification") == 2
PY
	# KubeVirt: the selectors are the names of the instances' types.
	out=$("$TOOL" export kubevirt /tmp/fleet.json --domain mdev-pt.test 2> /dev/null) ||
		fail "export kubevirt"
	echo "$out"
	python3 - "$out" "$(cat /sys/bus/mdev/devices/*/mdev_type/name | sort -u)" \
		"$pt_name" <<'PY' || fail "export kubevirt"
import json, re, sys
text, names, pt = sys.argv[1], sys.argv[2].split("\n"), sys.argv[3]
try:
    import yaml
except ImportError:
    yaml = None
if yaml:
    c = yaml.safe_load(text)["spec"]["configuration"]
    types = c["mediatedDevicesConfiguration"]["mediatedDeviceTypes"]
    sel = c["permittedHostDevices"]["mediatedDevices"]
else:
    types = [json.loads(x) for x in re.findall(r"^        - (\".*\")$", text, re.M)]
    sel = [{"mdevNameSelector": json.loads(a), "resourceName": json.loads(b)} for a, b in
           re.findall(r"^        - mdevNameSelector: (\".*\")\n          resourceName: (\".*\")$",
                      text, re.M)]
assert types == ["mdev_pt-edu-migratable", "mdev_pt-mock-migratable", pt.replace(" ", "_"),
                 "mdev_pt-sample-scratch"], types
assert sorted(s["mdevNameSelector"] for s in sel) == sorted(names), (sel, names)
res = {s["mdevNameSelector"]: s["resourceName"] for s in sel}
assert res[pt] == "mdev-pt.test/passthrough-1234-11e8", res
assert res["Sample scratch pad"] == "mdev-pt.test/sample-scratch", res
PY
	out=$("$TOOL" export kubevirt-node /tmp/fleet.json 2> /dev/null) || fail "export kubevirt-node"
	echo "$out"
	label()
	{
		printf '"mdev-pt.example.org/compat-%s": "true"' \
			"$(printf '%s' "$1" | tr A-Z a-z | sed 's/[^a-z0-9._-]\{1,\}/-/g')"
	}
	expect_eq "node labels" "    $(label "$compat_edu")
    $(label "$compat_mock")" "$(printf '%s\n' "$out" | grep '^    "')"
	# JSON: every function and name from sysfs.
	"$TOOL" export json /tmp/fleet.json 2> /dev/null | python3 <(cat <<'PY'
import json, os, sys
d = json.load(sys.stdin)
assert len(d["types"]) == 4, d
for t in d["types"]:
    for f in t["functions"]:
        tdir = "/sys/class/mdev_bus/%s/mdev_supported_types/%s" % (f, t["type"])
        name = open(tdir + "/name").read().strip()
        assert f in t["names"][name], (f, name)
        assert t["migratable"] == os.path.exists(tdir + "/migration_compatibility"), t
PY
) || fail "export json"

	# Bad options and profiles: an error that names them, no output.
	expect_fail "domain" "--domain 'Not_A_Domain' is not a DNS subdomain" \
		"$TOOL" export kubevirt /tmp/fleet.json --domain Not_A_Domain
	expect_fail "node" "--node 'a b' is not a host name" \
		"$TOOL" export nova /tmp/fleet.json --node "a b"
	expect_rc "format" 2 "invalid choice: .?ovirt" "$TOOL" export ovirt /tmp/fleet.json
	sed -i 's/#0-1,3/#1-0/' /tmp/fleet.json
	expect_fail "bad profile" "VF range '1-0': '1-0' goes backwards" \
		"$TOOL" export nova /tmp/fleet.json
	printf '%s\n' "$OUT" | grep -q enabled_mdev_types && fail "output despite the error"
	return 0
}

# The shipped examples are usable as they are (their serial is not this
# host's: notes, no error).
test_examples_are_usable()
{
	local out

	start 4
	out=$("$TOOL" plan "$PROFILES/examples/fleet-profile.json" 2>&1) || fail "plan: $out"
	echo "$out"
	printf '%s\n' "$out" | grep -q "no PF here matches 'nvme:S4EWNX0R123456#0-3,7'" ||
		fail "no note for the example serial"
	expect_eq "devices" 1 "$(printf '%s\n' "$out" | grep -c '^  + ')"
	sed "s|/etc/mdev-pt/fleet-profile.json|$PROFILES/examples/fleet-profile.json|" \
		"$PROFILES/examples/mdev-pt.conf" > "$CONF/example.conf"
	unmark_all
	out=$("$TOOL" --conf-dir "$CONF" autobind) || fail "autobind: $out"
	echo "$out"
	expect_eq "marks" "$PF" "$(xargs < "$DRV/vf_autobind")"
}

run_tests "$@"
