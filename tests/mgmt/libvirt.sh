#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# libvirt against mdev_pt, on both stacks of the test bed: Debian 12's
# libvirt 9.0 with mdevctl 1.2.0 and QEMU 7.2, Debian 13's libvirt 11.3
# with mdevctl 1.4.0 and QEMU 10 (tests/vm/run --stack deb12|deb13), with
# systemd-udevd and libvirtd started here: the mdev parents and their types
# as node devices; transient instances (nodedev-create, nodedev-destroy);
# persistent ones (nodedev-define, -start, -autostart, -undefine; an
# autostarted one back when its parent registers again; re-defining and
# nodedev-update where the version has them); a domain with an mdev
# hostdev started under TCG (no guest OS, no disks), its QEMU holding and
# showing the device and letting go on destroy; nodedev-destroy refused
# while the domain runs; save refused for a type without migration; an
# edu-migratable instance, in QEMU's default migration mode, saved and
# restored, and live-migrated between two libvirtd "hosts" in the VM and
# back (tests/mgmt/libvirt_hosts.sh), its registers set through qtest and
# a page its DMA wrote during the migration arriving, where mdev-pt offers
# device dirty tracking (QEMU 10 on the 6.1 kernel), refused with QEMU's
# reason elsewhere; and teardown in any order: domain then instance,
# instance under a running domain (the request reaches QEMU), SR-IOV
# disabled under defined instances on NVMe VFs.
#
# What libvirtd needs, on both stacks (measured in the test bed):
# - only the monolithic libvirtd: both Debian releases ship it and no
#   virtqemud or virtnodedevd; in Debian 13 the QEMU and node-device
#   drivers are packages of their own (libvirt-daemon-driver-qemu,
#   -nodedev), without the latter every nodedev call is "not supported";
# - systemd-udevd running before libvirtd starts: libvirt learns of new
#   instances only from udev events (without udevd nodedev-create of an
#   instance that mdevctl did create fails after 60 s, "An error occurred,
#   but the cause is unknown", and leaves the instance behind);
# - mdevctl in libvirtd's PATH (Debian's libvirt looks it up at run time)
#   and a working "mdevctl list --defined" when libvirtd starts (read in
#   11.3's source: when that list fails at start, it stops following udev
#   for good);
# - the libvirt-qemu user and group (created by libvirt-daemon-system in
#   Debian 12, which is not installed; the QEMU driver refuses to start
#   without them), /var/log/libvirt/qemu, /var/lib/libvirt/qemu,
#   /var/cache/libvirt, /run/libvirt;
# - no virtlogd: QEMU's output goes to a file instead (stdio_handler);
# - QEMU's mount namespace (libvirt's default) only where / is a mount
#   point: the test bed's overlay root is one, a chroot is not ("Failed
#   disable mount propagation out of the root filesystem"), and there
#   namespaces = [ ] turns it off.
# No D-Bus, no systemd-machined: libvirt falls back to plain cgroup v2
# directories; no KVM: domain type 'qemu'.

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libvirt_edu.sh"
. "$(dirname "$0")/libvirt_hosts.sh"

DOM=mdevpt-test
EDU_PT=mdev_pt-edu-passthrough
AUDITED=mdev_pt-edu-audited
EDU_MIG=mdev_pt-edu-migratable
LIBVIRTD_PID=

vsh()
{
	virsh -q -c qemu:///system "$@"
}

# mdev_listed PATTERN: libvirt lists an active mdev node device matching it.
mdev_listed()
{
	vsh nodedev-list --cap mdev | grep -q -- "$1"
}

mdev_not_listed()
{
	! mdev_listed "$1"
}

gone()
{
	! kill -0 "$1" 2> /dev/null
}

cleanup()
{
	vsh destroy $DOM > /dev/null 2>&1
	vsh undefine $DOM > /dev/null 2>&1
	mdevctl_reset
}

stop_libvirtd()
{
	[ -n "$LIBVIRTD_PID" ] || return 0
	kill "$LIBVIRTD_PID"
	wait "$LIBVIRTD_PID" 2> /dev/null
	LIBVIRTD_PID=
}

start_libvirtd()
{
	local d

	getent group libvirt-qemu > /dev/null || groupadd -r libvirt-qemu
	getent passwd libvirt-qemu > /dev/null ||
		useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
	for d in /var/log/libvirt/qemu /var/lib/libvirt/qemu /var/cache/libvirt/qemu /run/libvirt; do
		mkdir -p "$d"
	done
	mkdir -p /etc/libvirt
	echo 'log_outputs = "3:file:/var/log/libvirt/libvirtd.log"' > /etc/libvirt/libvirtd.conf
	# No virtlogd: QEMU writes its log file itself.
	echo 'stdio_handler = "file"' > /etc/libvirt/qemu.conf
	# QEMU's private mount namespace needs / to be a mount point.
	mountpoint -q / || echo 'namespaces = [ ]' >> /etc/libvirt/qemu.conf
	# libvirt runs "mdevctl" from PATH.
	case ":$PATH:" in
	*:/usr/bin:*) ;;
	*) PATH=$PATH:/usr/bin ;;
	esac
	libvirtd > /var/log/libvirt/libvirtd.out 2>&1 &
	LIBVIRTD_PID=$!
	wait_for 30 vsh version > /dev/null 2>&1 || {
		tail /var/log/libvirt/libvirtd.log
		return 1
	}
}

# All of it once; tests run in subshells, the daemons stay.  udevd first
# (libvirt follows udev from its start), no stale or broken mdevctl
# definitions (libvirt lists them at start).
find_functions || exit 1
udevd_start || exit 1
bind_all
mdevctl_reset
LIBVIRT_VERSION=$(libvirt_version)
QEMU_VERSION=$(qemu_version)
echo "# libvirt $LIBVIRT_VERSION, QEMU $QEMU_VERSION"
start_libvirtd || { echo "libvirtd did not start"; exit 1; }
trap 'cleanup; stop_libvirtd; udevd_stop; unbind_all; vm_nvme_enable_vfs 0 > /dev/null' EXIT

nodedev_name()
{
	echo "pci_${1//[:.]/_}"
}

# libvirt_ge VERSION: the libvirt under test is VERSION or newer.
libvirt_ge()
{
	version_ge "$LIBVIRT_VERSION" "$1"
}

# mdev_name UUID PARENT: libvirt's name of an mdev node device.
mdev_name()
{
	local u=$1 p=$2

	echo "mdev_${u//-/_}_${p//[:.]/_}"
}

# mdev_xml UUID PARENT TYPE [MAX_DMA_BYTES]: a node device (with its name,
# which nodedev-update needs and the others ignore).
mdev_xml()
{
	cat <<EOX
<device>
  <name>$(mdev_name "$1" "$2")</name>
  <parent>$(nodedev_name "$2")</parent>
  <capability type='mdev'>
    <type id='$3'/>
    <uuid>$1</uuid>
EOX
	[ -z "${4:-}" ] || echo "    <attr name='vendor/max_dma_bytes' value='$4'/>"
	echo "  </capability>"
	echo "</device>"
}

# info NAME: nodedev-info's Active, Persistent and Autostart, on one line.
info()
{
	vsh nodedev-info "$1" | awk -F': *' '$1 == "Active" || $1 == "Persistent" || $1 == "Autostart" { printf "%s%s", sep, $2; sep = " " }'
}

# info_is NAME "ACTIVE PERSISTENT AUTOSTART": libvirt says so (it learns of
# a change from mdevctl's files and udev, shortly after): waits up to 10 s.
info_matches()
{
	[ "$(info "$1")" = "$2" ]
}

info_is()
{
	wait_for 10 info_matches "$1" "$2" ||
		fail "$1: active, persistent, autostart: expected '$2', got '$(info "$1")'"
}

# not_listed_at_all NAME: libvirt lists no such mdev, active or not.
not_listed_at_all()
{
	! vsh nodedev-list --cap mdev --all | grep -qx "$1"
}

# dumpxml_has NAME STRING: nodedev-dumpxml NAME has STRING.
dumpxml_has()
{
	vsh nodedev-dumpxml "$1" | grep -qF -- "$2"
}

# defined_start UUID: the start mode of mdevctl's definition.
defined_start()
{
	mdevctl list --defined | awk -v u="$1" '$1 == u { print $4 }'
}

# defined_attr UUID PARENT: max_dma_bytes in mdevctl's definition.
defined_attr()
{
	python3 -c 'import json, sys
for a in json.load(open(sys.argv[1]))["attrs"]:
    print(a.get("vendor/max_dma_bytes", ""))' "$MDEVCTL_CONF/$2/$1"
}

# domain_xml UUID [QEMU ARGS...]: a domain with the instance and nothing to boot.
domain_xml()
{
	local u=$1 a

	shift
	cat <<EOX
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$DOM</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <hostdev mode='subsystem' type='mdev' model='vfio-pci'>
      <source><address uuid='$u'/></source>
    </hostdev>
  </devices>
EOX
	if [ $# -gt 0 ]; then
		echo "  <qemu:commandline>"
		for a in "$@"; do
			echo "    <qemu:arg value='$a'/>"
		done
		echo "  </qemu:commandline>"
	fi
	echo "</domain>"
}

qemu_pid()
{
	cat "/run/libvirt/qemu/$DOM.pid"
}

# holds PID GROUP: the process has /dev/vfio/GROUP open.
holds()
{
	local fd

	for fd in /proc/"$1"/fd/*; do
		[ "$(readlink "$fd")" = "/dev/vfio/$2" ] && return 0
	done
	return 1
}

# define_and_start UUID [QEMU ARGS...]: the domain runs and its QEMU holds
# the instance's group.  Sets QPID and GROUP.
QPID=
GROUP=
define_and_start()
{
	domain_xml "$@" > /tmp/dom.xml
	vsh define /tmp/dom.xml > /dev/null || fail "define"
	vsh start $DOM || { tail -n 20 "/var/log/libvirt/qemu/$DOM.log"; fail "start"; }
	expect_eq domstate running "$(vsh domstate $DOM | xargs)"
	QPID=$(qemu_pid)
	GROUP=$(iommu_group_of "/sys/bus/mdev/devices/$1")
	holds "$QPID" "$GROUP" || fail "QEMU $QPID does not hold /dev/vfio/$GROUP"
	grep -q "sysfsdev.*/sys/bus/mdev/devices/$1" "/proc/$QPID/cmdline" ||
		fail "no sysfsdev= for $1 on QEMU's command line"
	# QEMU has it on its PCI bus, with the function's IDs.
	vsh qemu-monitor-command $DOM '{"execute": "query-pci"}' > /tmp/pci.json ||
		fail "query-pci"
	python3 - /tmp/pci.json "$(cat "/sys/bus/mdev/devices/$1/../vendor")" \
		"$(cat "/sys/bus/mdev/devices/$1/../device")" <<'PY' || fail "the device is not on QEMU's PCI bus"
import json, sys
def devs(buses):
    for b in buses:
        for d in b["devices"]:
            yield d
            yield from devs([d["pci_bridge"]] if "pci_bridge" in d else [])
for d in devs(json.load(open(sys.argv[1]))["return"]):
    if d.get("qdev_id") == "hostdev0":
        ids = (d["id"]["vendor"], d["id"]["device"])
        want = (int(sys.argv[2], 16), int(sys.argv[3], 16))
        print(f"QEMU: hostdev0 at {d['bus']}:{d['slot']}.{d['function']}, {ids[0]:04x}:{ids[1]:04x}")
        sys.exit(ids != want)
sys.exit(1)
PY
}

test_nodedev_list_shows_the_parents()
{
	local list b

	list=$(vsh nodedev-list --cap mdev_types | xargs)
	echo "mdev_types: $list"
	for b in "$EDU1" "$EDU2" "$VF"; do
		[[ " $list " == *" $(nodedev_name "$b") "* ]] || fail "$b not listed"
	done
	# The NVMe PF stays on nvme and offers no types.
	[[ " $list " != *" $(nodedev_name "$(nvme_pf_bdf)") "* ]] || fail "PF listed"
}

test_nodedev_dumpxml_lists_the_types()
{
	local b t x

	for b in "$EDU1" "$VF"; do
		vsh nodedev-dumpxml "$(nodedev_name "$b")" > /tmp/nd.xml || fail "dumpxml $b"
		grep -q '<name>mdev_pt</name>' /tmp/nd.xml || fail "$b: driver not mdev_pt"
		for t in /sys/bus/pci/devices/"$b"/mdev_supported_types/*; do
			x=$(python3 - /tmp/nd.xml "${t##*/}" <<'PY'
import sys, xml.etree.ElementTree as ET
for t in ET.parse(sys.argv[1]).getroot().iter("type"):
    if t.get("id") == sys.argv[2]:
        print(t.findtext("name"), t.findtext("deviceAPI"), t.findtext("availableInstances"), sep="|")
PY
)
			expect_eq "$b ${t##*/}" "$(cat "$t/name")|$(cat "$t/device_api")|$(cat "$t/available_instances")" "$x"
		done
	done
}

test_nodedev_create_and_destroy()
{
	local u name

	u=$(new_uuid)
	cat > /tmp/nd.xml <<EOX
<device>
  <parent>$(nodedev_name "$EDU1")</parent>
  <capability type='mdev'>
    <type id='$AUDITED'/>
    <uuid>$u</uuid>
    <attr name='vendor/max_dma_bytes' value='2048'/>
  </capability>
</device>
EOX
	vsh nodedev-create /tmp/nd.xml || fail "nodedev-create"
	has_instance "$u"
	expect_eq max_dma_bytes 2048 "$(mdev_attr "$u" vendor/max_dma_bytes)"
	name="mdev_${u//-/_}_${EDU1//[:.]/_}"
	vsh nodedev-list --cap mdev | grep -qx "$name" || fail "$name not listed"
	vsh nodedev-dumpxml "$name" > /tmp/mdev.xml || fail "dumpxml $name"
	grep -q "<type id='$AUDITED'/>" /tmp/mdev.xml || fail "type not in $(cat /tmp/mdev.xml)"
	grep -q "<iommuGroup number='$(iommu_group_of "/sys/bus/mdev/devices/$u")'/>" /tmp/mdev.xml ||
		fail "IOMMU group not in the XML"
	expect_eq available 0 "$(avail "$EDU1" $AUDITED)"
	info_is "$name" "yes no no"
	expect_rc "autostart of a transient device" 1 "cannot set autostart for transient device" \
		vsh nodedev-autostart "$name"
	vsh nodedev-destroy "$name" || fail "nodedev-destroy"
	no_instance "$u"
	wait_for 10 mdev_not_listed "^$name\$" ||
		fail "$name still listed"
	expect_eq available 1 "$(avail "$EDU1" $AUDITED)"
}

# A persistent instance through libvirt: mdevctl's definition, started,
# autostart on and off, stopped (still defined), undefined.  Both stacks.
test_nodedev_define_start_autostart_undefine()
{
	local u name

	u=$(new_uuid)
	name=$(mdev_name "$u" "$EDU1")
	mdev_xml "$u" "$EDU1" $AUDITED 1500 > /tmp/nd.xml
	vsh nodedev-define /tmp/nd.xml || fail "nodedev-define"
	expect_eq "mdevctl list -d" "$u $EDU1 $AUDITED manual" "$(mdevctl list --defined | xargs)"
	expect_eq "defined max_dma_bytes" 1500 "$(defined_attr "$u" "$EDU1")"
	no_instance "$u"
	info_is "$name" "no yes no"
	vsh nodedev-list --cap mdev --inactive | grep -qx "$name" || fail "not listed as inactive"
	vsh nodedev-list --cap mdev | grep -qx "$name" && fail "listed as active"
	vsh nodedev-autostart "$name" || fail "nodedev-autostart"
	expect_eq "mdevctl start mode" auto "$(defined_start "$u")"
	info_is "$name" "no yes yes"
	vsh nodedev-start "$name" || fail "nodedev-start"
	has_instance "$u"
	expect_eq max_dma_bytes 1500 "$(mdev_attr "$u" vendor/max_dma_bytes)"
	info_is "$name" "yes yes yes"
	vsh nodedev-autostart --disable "$name" || fail "nodedev-autostart --disable"
	expect_eq "mdevctl start mode" manual "$(defined_start "$u")"
	info_is "$name" "yes yes no"
	vsh nodedev-destroy "$name" || fail "nodedev-destroy"
	no_instance "$u"
	info_is "$name" "no yes no"
	vsh nodedev-undefine "$name" || fail "nodedev-undefine"
	expect_eq "mdevctl list -d" "" "$(defined_uuids)"
	wait_for 10 not_listed_at_all "$name" || fail "$name still listed"
}

# An autostart instance defined through libvirt starts when its parent
# registers again (mdevctl's udev rule does it); libvirt sees it running.
# Undefined while it runs, it keeps running, transient.
test_nodedev_autostarted_mdev_returns_when_parent_registers()
{
	local u name

	u=$(new_uuid)
	name=$(mdev_name "$u" "$EDU2")
	mdev_xml "$u" "$EDU2" $AUDITED 800 > /tmp/nd.xml
	vsh nodedev-define /tmp/nd.xml || fail "nodedev-define"
	vsh nodedev-autostart "$name" || fail "nodedev-autostart"
	info_is "$name" "no yes yes"
	pci_unbind "$EDU2"
	udevadm settle
	pt_bind "$EDU2" || fail "rebind $EDU2"
	wait_for 20 test -e "/sys/bus/mdev/devices/$u" || fail "not autostarted"
	udevadm settle
	expect_eq max_dma_bytes 800 "$(mdev_attr "$u" vendor/max_dma_bytes)"
	info_is "$name" "yes yes yes"
	vsh nodedev-undefine "$name" || fail "nodedev-undefine"
	has_instance "$u"
	expect_eq "mdevctl list -d" "" "$(defined_uuids)"
	info_is "$name" "yes no no"
	vsh nodedev-destroy "$name" || fail "nodedev-destroy"
	no_instance "$u"
}

# nodedev-define of a UUID that is defined already: libvirt 10.1 and later
# update the definition through "mdevctl modify --jsonfile" (mdevctl 1.3.0
# and later), and as the XML has no autostart, the update turns autostart
# off; 9.0 runs "mdevctl define", which refuses.
test_nodedev_redefine()
{
	local u name

	u=$(new_uuid)
	name=$(mdev_name "$u" "$EDU1")
	mdev_xml "$u" "$EDU1" $AUDITED 1500 > /tmp/nd.xml
	vsh nodedev-define /tmp/nd.xml || fail "nodedev-define"
	vsh nodedev-autostart "$name" || fail "nodedev-autostart"
	cp "$MDEVCTL_CONF/$EDU1/$u" /tmp/conf
	mdev_xml "$u" "$EDU1" $AUDITED 1000 > /tmp/nd.xml
	if libvirt_ge 10.1.0 && mdevctl_ge 1.3.0; then
		vsh nodedev-define /tmp/nd.xml || fail "second nodedev-define"
		expect_eq "defined max_dma_bytes" 1000 "$(defined_attr "$u" "$EDU1")"
		expect_eq "mdevctl start mode" manual "$(defined_start "$u")"
		info_is "$name" "no yes no"
	else
		expect_rc "second nodedev-define" 1 \
			"Cowardly refusing to overwrite existing config for $EDU1/$u" \
			vsh nodedev-define /tmp/nd.xml
		cmp -s /tmp/conf "$MDEVCTL_CONF/$EDU1/$u" || fail "definition changed"
		info_is "$name" "no yes yes"
	fi
	no_instance "$u"
	vsh nodedev-undefine "$name" || fail "nodedev-undefine"
}

# nodedev-update (libvirt 10.1, with mdevctl 1.3.0 or later): --config
# changes the definition of a running instance and not the instance; a
# live update needs a versioned mdevctl callout, which mdev_pt has not.
test_nodedev_update()
{
	local u name

	libvirt_ge 10.1.0 || skip "libvirt $LIBVIRT_VERSION has no nodedev-update (10.1)"
	mdevctl_ge 1.3.0 || skip "nodedev-update needs mdevctl 1.3.0, this is $MDEVCTL_VERSION"
	u=$(new_uuid)
	name=$(mdev_name "$u" "$EDU1")
	mdev_xml "$u" "$EDU1" $AUDITED 1500 > /tmp/nd.xml
	vsh nodedev-define /tmp/nd.xml || fail "nodedev-define"
	vsh nodedev-start "$name" || fail "nodedev-start"
	mdev_xml "$u" "$EDU1" $AUDITED 1000 > /tmp/nd.xml
	vsh nodedev-update "$name" /tmp/nd.xml --config || fail "nodedev-update --config"
	expect_eq "defined max_dma_bytes" 1000 "$(defined_attr "$u" "$EDU1")"
	expect_eq "live max_dma_bytes" 1500 "$(mdev_attr "$u" vendor/max_dma_bytes)"
	vsh nodedev-dumpxml --inactive "$name" | grep -q "<attr name='vendor/max_dma_bytes' value='1000'/>" ||
		fail "dumpxml --inactive: $(vsh nodedev-dumpxml --inactive "$name")"
	mdev_xml "$u" "$EDU1" $AUDITED 2000 > /tmp/nd.xml
	expect_rc "nodedev-update --live" 1 "Live modification is not supported for this device type" \
		vsh nodedev-update "$name" /tmp/nd.xml --live
	expect_eq "live max_dma_bytes" 1500 "$(mdev_attr "$u" vendor/max_dma_bytes)"
	expect_eq "defined max_dma_bytes" 1000 "$(defined_attr "$u" "$EDU1")"
	vsh nodedev-destroy "$name" || fail "nodedev-destroy"
	vsh nodedev-undefine "$name" || fail "nodedev-undefine"
}

# The attributes libvirt shows for a running persistent instance: 9.0 +
# mdevctl 1.2.0 those of the definition; 11.3 + mdevctl 1.4.0 those mdevctl
# lists for running devices, which 1.4.0 asks the callouts for: none
# without one, the live ones with tools/mdevctl-profiles' callout.
test_nodedev_dumpxml_attrs_of_a_running_defined_mdev()
{
	local u v name

	u=$(new_uuid)
	v=$(new_uuid)
	name=$(mdev_name "$u" "$EDU1")
	printf '{"mdev_type": "%s", "start": "manual", "attrs": [{"vendor/max_dma_bytes": "700"}]}' \
		$AUDITED > /tmp/a.json
	mdevctl define -u "$u" -p "$EDU1" --jsonfile /tmp/a.json || fail "define"
	mdevctl start -u "$u" || fail "start"
	info_is "$name" "yes yes no"
	if libvirt_ge 11.3.0 && mdevctl_ge 1.4.0; then
		vsh nodedev-dumpxml "$name" | grep -q "<attr " &&
			fail "attributes without a callout: $(vsh nodedev-dumpxml "$name")"
		"$PROFILES/mdev-pt-callout" install > /dev/null || fail "install the callout"
	fi
	# With the callout (11.3) or without (9.0): the value.  libvirt lists
	# again when the next definition comes.
	mdevctl define -u "$v" -p "$EDU2" -t $EDU_PT || fail "define $v"
	wait_for 10 dumpxml_has "$name" "<attr name='vendor/max_dma_bytes' value='700'/>" ||
		fail "no attribute: $(vsh nodedev-dumpxml "$name")"
}

# Domain stopped first, then the instance.
test_domain_runs_with_the_instance()
{
	local u

	u=$(new_uuid)
	mdevctl start -u "$u" -p "$EDU2" -t $EDU_PT || fail "mdevctl start"
	define_and_start "$u"
	echo "QEMU $QPID holds /dev/vfio/$GROUP"
	vsh destroy $DOM > /dev/null || fail "destroy"
	expect_eq domstate "shut off" "$(vsh domstate $DOM | xargs)"
	wait_for 10 gone "$QPID" || fail "QEMU $QPID still there"
	# Released: the instance is there and usable again.
	has_instance "$u"
	vsh start $DOM > /dev/null || fail "second start"
	holds "$(qemu_pid)" "$GROUP" || fail "second QEMU does not hold the group"
	vsh destroy $DOM > /dev/null || fail "second destroy"
	vsh undefine $DOM > /dev/null || fail "undefine"
	mdevctl stop -u "$u" || fail "mdevctl stop"
	no_instance "$u"
	expect_eq available 1 "$(avail "$EDU2" $EDU_PT)"
}

# nodedev-destroy of an instance a running domain uses is refused (libvirt
# finds its group busy: QEMU holds it) and changes nothing; after the
# domain, it goes.
test_nodedev_destroy_refused_while_domain_runs()
{
	local u name

	u=$(new_uuid)
	name=$(mdev_name "$u" "$EDU2")
	mdev_xml "$u" "$EDU2" $EDU_PT > /tmp/nd.xml
	vsh nodedev-create /tmp/nd.xml || fail "nodedev-create"
	define_and_start "$u"
	expect_rc "nodedev-destroy under the domain" 1 "Unable to destroy '$name': device in use" \
		vsh nodedev-destroy "$name"
	has_instance "$u"
	expect_eq domstate running "$(vsh domstate $DOM | xargs)"
	holds "$QPID" "$GROUP" || fail "QEMU let go of the group"
	info_is "$name" "yes no no"
	vsh destroy $DOM > /dev/null || fail "destroy"
	wait_for 10 gone "$QPID" || fail "QEMU $QPID still there"
	vsh nodedev-destroy "$name" || fail "nodedev-destroy after the domain"
	no_instance "$u"
	wait_for 10 mdev_not_listed "^$name\$" || fail "$name still listed"
	expect_eq available 1 "$(avail "$EDU2" $EDU_PT)"
}

# A domain with an instance of a type without migration cannot be saved
# (libvirt asks QEMU, whose migration blocker names the reason; QEMU 10
# names the device too); the domain keeps running.
test_domain_save_refused()
{
	local u want

	u=$(new_uuid)
	mdevctl start -u "$u" -p "$EDU2" -t $EDU_PT || fail "mdevctl start"
	define_and_start "$u"
	if version_ge "$QEMU_VERSION" 10.0; then
		want="cannot migrate domain: $u: VFIO migration is not supported in kernel"
	else
		want="cannot migrate domain: VFIO device doesn't support migration"
	fi
	rm -f /tmp/dom.save
	expect_rc "save" 1 "$want" vsh save $DOM /tmp/dom.save
	expect_eq domstate running "$(vsh domstate $DOM | xargs)"
	holds "$QPID" "$GROUP" || fail "QEMU let go of the group"
	[ ! -s /tmp/dom.save ] || fail "a save file was written"
	vsh destroy $DOM > /dev/null || fail "destroy"
}

# A domain with an edu-migratable instance, QEMU in its default migration
# mode (no <qemu:override>, nothing on its command line about migration).
# Where QEMU migrates the instance (8.1 and later, with mdev-pt's device
# dirty tracking, which needs a kernel whose vfio core can report dirty
# pages: the 6.1 kernel), virsh save stops the domain into a file, having
# started (and, with QEMU gone, stopped) the instance's dirty logging, and
# virsh restore brings it back: BAR0 where the firmware had put it, the
# registers set through qtest before the save, the device computing.
# Elsewhere (QEMU 7.2; QEMU 10 on Debian's 6.12 kernels) QEMU blocks
# migration, the save is refused with its reason, the domain runs on.
test_domain_save_and_restore()
{
	local u dir blocker bar regs seed starts qpid stats

	u=$(new_uuid)
	mdevctl start -u "$u" -p "$EDU1" -t $EDU_MIG || fail "mdevctl start"
	dir=/tmp/mdevpt-edu
	edu_dir "$dir"
	edu_domain_xml $DOM "$(new_uuid)" "$u" "$dir" > /tmp/dom.xml
	vsh define /tmp/dom.xml > /dev/null || fail "define"
	vsh start $DOM > /dev/null ||
		{ tail -n 20 "/var/log/libvirt/qemu/$DOM.log"; fail "start"; }
	qpid=$(qemu_pid)
	unforced qemu:///system $DOM "$qpid" || fail "migration forced on QEMU's command line"
	blocker=$(mig_blocker "$EDU1" "$u")
	echo "dirty tracking supported: $(dirty_stat "$EDU1" "$u" supported);" \
		"QEMU's migration blockers: '$(blocked_reasons qemu:///system $DOM)'"
	rm -f /tmp/dom.save
	if [ -n "$blocker" ]; then
		blocked_reasons qemu:///system $DOM | grep -qF -- "$blocker" ||
			fail "QEMU does not block migration with '$blocker'"
		expect_rc "save" 1 "cannot migrate domain: $blocker" vsh save $DOM /tmp/dom.save
		expect_eq domstate running "$(vsh domstate $DOM | xargs)"
		holds "$qpid" "$(iommu_group_of "/sys/bus/mdev/devices/$u")" ||
			fail "QEMU let go of the group"
		[ ! -s /tmp/dom.save ] || fail "a save file was written"
		return 0
	fi
	expect_eq "QEMU's migration blockers" "" "$(blocked_reasons qemu:///system $DOM)"
	edu_wait_idle "$dir" || fail "the firmware does not idle: $(cat "$dir/bios.log")"
	bar=$(edu_bar0 qemu:///system $DOM) || fail "BAR0 is not mapped"
	seed=$(( (RANDOM << 8 | RANDOM) & 0xffffff ))
	edu_program "$dir" "$bar" "$seed" || fail "program the edu through qtest"
	regs=$(edu_regs "$dir" "$bar")
	echo "BAR0 at $bar, registers ($EDU_REGS) before the save: $regs"
	expect_eq "liveness" "$(printf '0x%x' $(( ~(0x11000000 | seed) & 0xffffffff )))" "${regs%% *}"
	starts=$(dirty_stat "$EDU1" "$u" starts)
	vsh save $DOM /tmp/dom.save || fail "save"
	expect_eq domstate "shut off" "$(vsh domstate $DOM | xargs)"
	wait_for 30 gone "$qpid" || fail "QEMU $qpid still there"
	stats=$(job_stats qemu:///system $DOM --completed 2> /dev/null)
	echo "save: $(job_summary "$stats"); file $(stat -c %s /tmp/dom.save) bytes"
	[ "$(dirty_stat "$EDU1" "$u" starts)" -gt "$starts" ] ||
		fail "the save did not start dirty logging: $(cat "/sys/kernel/debug/mdev_pt/$EDU1/$u/migration/dirty")"
	expect_eq "dirty logging with QEMU gone" off "$(dirty_stat "$EDU1" "$u" logging)"
	expect_eq "dirty tracking errors" 0 "$(dirty_stat "$EDU1" "$u" errors)"
	vsh restore /tmp/dom.save ||
		{ tail -n 20 "/var/log/libvirt/qemu/$DOM.log"; fail "restore"; }
	expect_eq domstate running "$(vsh domstate $DOM | xargs)"
	qpid=$(qemu_pid)
	unforced qemu:///system $DOM "$qpid" || fail "migration forced on the restored QEMU"
	expect_eq "BAR0 after the restore" "$bar" "$(edu_bar0 qemu:///system $DOM)"
	expect_eq "registers after the restore" "$regs" "$(edu_regs "$dir" "$bar")"
	expect_eq "6! after the restore" "$(fact 6)" "$(edu_factorial "$dir" "$bar" 6)"
	vsh destroy $DOM > /dev/null || fail "destroy"
	rm -f /tmp/dom.save
}

# Live migration of a domain with an edu-migratable instance between two
# libvirt hosts in the test VM, a and b: two more libvirtd, each in mount
# and UTS namespaces of its own (tests/mgmt/libvirt_hosts.sh says how and
# why).  The domain on a uses the instance on the first edu, the
# destination XML (virsh migrate --xml) one on the second; no
# <qemu:override>.  Where QEMU blocks that migration (see
# test_domain_save_and_restore), virsh migrate is refused with QEMU's
# reason and the domain runs on on a.  Elsewhere:
# - a to b, managed direct migration (virsh drives both daemons), live,
#   limited to 2 MiB/s behind 24 MiB of filled guest RAM, so it is still
#   copying RAM when the device writes guest memory: the test has the edu
#   DMA a pattern from its buffer into two RAM pages that went out
#   already, and only the device's dirty log can tell QEMU to send them
#   again;
# - then the domain runs on b and is shut off on a, its QEMU gone; b has
#   the registers a had, BAR0 where a had it, the pattern in RAM, a
#   device that computes; the instance on a logged dirty pages (starts,
#   and at least the two pages reported), with no errors; b's device
#   DMAs;
# - back from b to a, peer to peer (b's libvirtd connects to a's), and
#   the same checks on a;
# - the numbers of both migrations (virsh domjobinfo --completed on the
#   source) are printed.
test_domain_live_migration_between_two_hosts()
{
	local dom=mdevpt-mig ua ub du da db blocker qa qb bar bus slot seed \
		pat regs starts pages rc stats got

	ua=$(new_uuid)
	ub=$(new_uuid)
	mdevctl start -u "$ua" -p "$EDU1" -t $EDU_MIG || fail "mdevctl start $ua"
	mdevctl start -u "$ub" -p "$EDU2" -t $EDU_MIG || fail "mdevctl start $ub"
	MIG_PID=
	trap '[ -n "$MIG_PID" ] && kill "$MIG_PID" 2> /dev/null; host_stop a; host_stop b' EXIT
	host_start a || fail "host a"
	host_start b || fail "host b"
	da=$(host_dir a)/qt
	db=$(host_dir b)/qt
	du=$(new_uuid)
	edu_domain_xml $dom "$du" "$ua" "$da" > /tmp/mig-a.xml
	edu_domain_xml $dom "$du" "$ub" "$db" > /tmp/mig-b.xml
	hv a define /tmp/mig-a.xml > /dev/null || fail "define on a"
	hv a start $dom > /dev/null ||
		{ tail -n 20 "$(host_dir a)/log/qemu/$dom.log"; fail "start on a"; }
	qa=$(host_qemu_pid a $dom)
	unforced "$(host_uri a)" $dom "$qa" || fail "migration forced on a's QEMU"
	blocker=$(mig_blocker "$EDU1" "$ua")
	echo "dirty tracking supported: $(dirty_stat "$EDU1" "$ua" supported);" \
		"QEMU's migration blockers: '$(blocked_reasons "$(host_uri a)" $dom)'"
	if [ -n "$blocker" ]; then
		blocked_reasons "$(host_uri a)" $dom | grep -qF -- "$blocker" ||
			fail "QEMU does not block migration with '$blocker'"
		expect_rc "migrate" 1 "cannot migrate domain: $blocker" \
			hv a migrate --live --persistent --xml /tmp/mig-b.xml $dom "$(host_uri b)"
		expect_eq "domstate on a" running "$(hv a domstate $dom | xargs)"
		! hv b list --all --name | grep -qx $dom || fail "the domain is on b"
		return 0
	fi
	expect_eq "QEMU's migration blockers" "" "$(blocked_reasons "$(host_uri a)" $dom)"
	edu_wait_idle "$da" || fail "the firmware does not idle: $(cat "$da/bios.log")"
	read -r bar bus slot < <(edu_pci "$(host_uri a)" $dom) || fail "BAR0 is not mapped"
	edu_master "$da" "$bus" "$slot" || fail "bus mastering"
	seed=$(( (RANDOM << 8 | RANDOM) & 0xffffff ))
	edu_program "$da" "$bar" "$seed" || fail "program the edu through qtest"
	# The pattern into the device's buffer; 24 MiB of RAM filled.
	pat=$(ram_pattern "$seed")
	qt "$da" "write 0x800000 0x800 $pat" "memset 0x1000000 0x1800000 0x5a" > /dev/null ||
		fail "write guest RAM through qtest"
	edu_dma "$da" "$bar" 0x800000 0x40000 0x800 1 || fail "DMA from RAM to the buffer"
	starts=$(dirty_stat "$EDU1" "$ua" starts)
	pages=$(dirty_stat "$EDU1" "$ua" pages)
	echo "a: BAR0 at $bar, registers ($EDU_REGS) $(edu_regs "$da" "$bar")"

	hv a migrate --live --persistent --bandwidth 2 --xml /tmp/mig-b.xml \
		$dom "$(host_uri b)" > /tmp/mig.out 2>&1 &
	MIG_PID=$!
	# The first pass sends RAM in address order: past the first 4 MiB of
	# the filled RAM, the pages at 2 MiB went out.
	wait_for 300 ram_sent "$(host_uri a)" $dom $((4 << 20)) ||
		fail "the migration does not get going: $(cat /tmp/mig.out)"
	edu_dma "$da" "$bar" 0x40000 0x200c00 0x800 3 || fail "DMA from the buffer to RAM"
	regs=$(edu_regs "$da" "$bar")
	got=$(qt "$da" "read 0x200c00 0x800")
	stats=$(job_stats "$(host_uri a)" $dom 2> /dev/null)
	echo "a: DMA to RAM 0x200c00-0x2013ff during the migration," \
		"$(job_stat "$stats" memory_processed) bytes of RAM sent; registers $regs"
	expect_eq "the job is still running after the DMA (job type)" 2 \
		"$(job_stat "$stats" "Job type")"
	[ "$got" = "$pat" ] || fail "a: the DMA did not write the pattern to RAM: ${got:0:40}..."
	echo "a: dirty: $(dirty_all "$EDU1" "$ua")"
	wait $MIG_PID
	rc=$?
	MIG_PID=
	sed 's/^/  migrate: /' /tmp/mig.out
	[ $rc -eq 0 ] || fail "virsh migrate a to b exited $rc"
	stats=$(job_stats "$(host_uri a)" $dom --completed)
	echo "a to b: $(job_summary "$stats")"
	expect_eq "domstate on a" "shut off" "$(hv a domstate $dom | xargs)"
	expect_eq "domstate on b" running "$(hv b domstate $dom | xargs)"
	wait_for 30 exited "$qa" || fail "a's QEMU $qa still there"
	qb=$(host_qemu_pid b $dom)
	unforced "$(host_uri b)" $dom "$qb" || fail "migration forced on b's QEMU"
	tr '\0' '\n' < "/proc/$qb/cmdline" | grep -q "sysfsdev.*/sys/bus/mdev/devices/$ub" ||
		fail "b's QEMU is not on instance $ub"
	expect_eq "b: BAR0" "$bar" "$(edu_bar0 "$(host_uri b)" $dom)"
	expect_eq "b: the registers a had" "$regs" "$(edu_regs "$db" "$bar")"
	echo "a: dirty: $(dirty_all "$EDU1" "$ua")"
	got=$(qt "$db" "read 0x200c00 0x800")
	[ "$got" = "$pat" ] || fail "b: RAM 0x200c00-0x2013ff is not what the device wrote on a: ${got:0:40}..."
	[ "$(dirty_stat "$EDU1" "$ua" starts)" -gt "$starts" ] ||
		fail "a: no dirty logging started"
	[ "$(dirty_stat "$EDU1" "$ua" pages)" -ge $((pages + 2)) ] ||
		fail "a: the two pages were not reported"
	expect_eq "a: dirty tracking errors" 0 "$(dirty_stat "$EDU1" "$ua" errors)"
	expect_eq "b: 7!" "$(fact 7)" "$(edu_factorial "$db" "$bar" 7)"
	# b's device DMAs (bus mastering and the IOMMU mappings are b's):
	# the pattern, migrated in RAM, through its buffer to another page.
	edu_dma "$db" "$bar" 0x800000 0x40000 0x800 1 || fail "b: DMA from RAM to the buffer"
	edu_dma "$db" "$bar" 0x40000 0x300000 0x800 3 || fail "b: DMA from the buffer to RAM"
	got=$(qt "$db" "read 0x300000 0x800")
	[ "$got" = "$pat" ] || fail "b: the device's DMA did not copy the pattern: ${got:0:40}..."

	# Back, peer to peer.
	regs=$(edu_regs "$db" "$bar")
	starts=$(dirty_stat "$EDU2" "$ub" starts)
	edu_dir "$da"
	hv b migrate --live --p2p --persistent --xml /tmp/mig-a.xml $dom "$(host_uri a)" ||
		fail "virsh migrate --p2p b to a"
	stats=$(job_stats "$(host_uri b)" $dom --completed)
	echo "b to a (p2p): $(job_summary "$stats")"
	expect_eq "domstate on b" "shut off" "$(hv b domstate $dom | xargs)"
	expect_eq "domstate on a" running "$(hv a domstate $dom | xargs)"
	wait_for 30 exited "$qb" || fail "b's QEMU $qb still there"
	qa=$(host_qemu_pid a $dom)
	unforced "$(host_uri a)" $dom "$qa" || fail "migration forced on a's QEMU"
	expect_eq "a: BAR0" "$bar" "$(edu_bar0 "$(host_uri a)" $dom)"
	expect_eq "a: the registers b had" "$regs" "$(edu_regs "$da" "$bar")"
	got=$(qt "$da" "read 0x200c00 0x800")
	[ "$got" = "$pat" ] || fail "a: RAM 0x200c00-0x2013ff is not the pattern: ${got:0:40}..."
	[ "$(dirty_stat "$EDU2" "$ub" starts)" -gt "$starts" ] ||
		fail "b: no dirty logging started"
	echo "b: dirty: $(dirty_all "$EDU2" "$ub")"
	expect_eq "b: dirty tracking errors" 0 "$(dirty_stat "$EDU2" "$ub" errors)"
	expect_eq "a: 8!" "$(fact 8)" "$(edu_factorial "$da" "$bar" 8)"
	hv a destroy $dom > /dev/null || fail "destroy on a"
}

# The instance removed under the running domain: the kernel sends the
# device request, QEMU turns it into an unplug request (which only a guest
# OS could complete), the removal waits; destroying the domain completes it.
test_remove_instance_under_running_domain()
{
	local u log rm_pid rc

	u=$(new_uuid)
	mdevctl start -u "$u" -p "$EDU2" -t $EDU_PT || fail "mdevctl start"
	define_and_start "$u" -trace acpi_pci_unplug_request
	log=/var/log/libvirt/qemu/$DOM.log
	# Whatever happens, the domain goes at the end, so the removal ends.
	trap 'vsh destroy $DOM > /dev/null 2>&1' EXIT
	"$BIN/sysfs_write" "/sys/bus/mdev/devices/$u/remove" 1 > /tmp/rm.out 2>&1 &
	rm_pid=$!
	wait_for 30 grep -q acpi_pci_unplug_request "$log" ||
		fail "QEMU got no unplug request"
	grep "acpi_pci_unplug_request bsel" "$log" | head -n 1
	kill -0 $rm_pid 2> /dev/null || fail "remove did not wait for QEMU"
	# Off the bus already, still under its parent until QEMU lets go.
	[ -d "/sys/bus/pci/devices/$EDU2/$u" ] || fail "instance gone under the domain"
	expect_eq domstate running "$(vsh domstate $DOM | xargs)"
	vsh destroy $DOM > /dev/null || fail "destroy"
	wait_for 30 gone $rm_pid || fail "remove still blocked"
	wait $rm_pid
	rc=$?
	expect_eq "remove" "OK" "$(cat /tmp/rm.out)"
	[ $rc -eq 0 ] || fail "sysfs_write exited $rc"
	no_instance "$u"
	[ ! -e "/sys/bus/pci/devices/$EDU2/$u" ] || fail "instance left under $EDU2"
	expect_eq available 1 "$(avail "$EDU2" $EDU_PT)"
	wait_for 10 mdev_not_listed "${u//-/_}" ||
		fail "libvirt still lists the instance"
}

# Instances defined with mdevctl on two VFs (one running, one only
# defined); SR-IOV disabled under them removes the running one and keeps
# both definitions; re-enabling and binding autostarts the "auto" one.
test_sriov_disable_under_defined_instances()
{
	local pf vfs vf1 vf2 u v

	pf=$(nvme_pf_bdf)
	vfs=$(vm_nvme_vf_bdfs "$pf")
	vf1=$(echo "$vfs" | sed -n 1p)
	vf2=$(echo "$vfs" | sed -n 2p)
	[ -n "$vf2" ] || fail "two VFs expected: $vfs"
	pt_bind "$vf2" || fail "bind $vf2"
	u=$(new_uuid)
	v=$(new_uuid)
	mdevctl define -u "$u" -p "$vf1" -t mdev_pt-sample-scratch --auto || fail "define $u"
	mdevctl define -u "$v" -p "$vf2" -t mdev_pt-passthrough || fail "define $v"
	mdevctl start -u "$u" || fail "start $u"
	has_instance "$u"
	wait_for 10 mdev_listed "${u//-/_}" ||
		fail "libvirt does not list $u"
	vm_dmesg_mark sriov-off
	echo 0 > "/sys/bus/pci/devices/$pf/sriov_numvfs" || fail "disable SR-IOV"
	[ -z "$(vm_nvme_vf_bdfs "$pf")" ] || fail "VFs left"
	no_instance "$u"
	expect_eq "active" "" "$(active_uuids)"
	expect_eq "defined" "$(printf '%s\n' "$u" "$v" | sort | xargs)" "$(defined_uuids)"
	wait_for 10 mdev_not_listed "${u//-/_}" ||
		fail "libvirt still lists $u as active"
	vm_kernel_trouble sriov-off && fail "kernel trouble"
	# Back: the VFs come back at the same addresses, the "auto" one starts
	# when its parent registers.
	vm_nvme_enable_vfs 2 "$pf" > /dev/null || fail "re-enable SR-IOV"
	pt_bind "$vf1" || fail "rebind $vf1"
	pt_bind "$vf2" || fail "rebind $vf2"
	wait_for 20 test -e "/sys/bus/mdev/devices/$u" || fail "$u not autostarted"
	no_instance "$v"
	mdevctl stop -u "$u"
	mdevctl undefine -u "$u"
	mdevctl undefine -u "$v"
	pci_unbind "$vf2"
}

run_tests "$@"
