#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# libvirt 9.0 (Debian's libvirtd with the QEMU and node-device drivers)
# against mdev_pt, with systemd-udevd and libvirtd started here: the mdev
# parents and their types as node devices, nodedev-create, a domain with an
# mdev hostdev started under TCG (no guest OS, no disks), its QEMU holding
# the device and letting go on destroy, and teardown in any order: domain
# then instance, instance under a running domain (the request reaches
# QEMU), SR-IOV disabled under defined instances on NVMe VFs.
#
# What the test VM lacks for libvirtd and what start_libvirtd sets up in the
# guest's throw-away overlay: the libvirt-qemu user and group (created by
# libvirt-daemon-system, which is not installed; the QEMU driver refuses to
# start without them), /var/log/libvirt/qemu, /var/lib/libvirt/qemu,
# /var/cache/libvirt, /run/libvirt, and virtlogd (QEMU's output goes to a
# file instead: stdio_handler).  No D-Bus, no systemd-machined: libvirt
# falls back to plain cgroup v2 directories; no KVM: domain type 'qemu'.

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"

DOM=mdevpt-test
EDU_PT=mdev_pt-edu-passthrough
AUDITED=mdev_pt-edu-audited
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
	echo 'stdio_handler = "file"' > /etc/libvirt/qemu.conf
	libvirtd > /var/log/libvirt/libvirtd.out 2>&1 &
	LIBVIRTD_PID=$!
	wait_for 30 vsh version > /dev/null 2>&1 || {
		tail /var/log/libvirt/libvirtd.log
		return 1
	}
}

# All of it once; tests run in subshells, the daemons stay.
find_functions || exit 1
udevd_start || exit 1
bind_all
start_libvirtd || { echo "libvirtd did not start"; exit 1; }
trap 'cleanup; stop_libvirtd; udevd_stop; unbind_all; vm_nvme_enable_vfs 0 > /dev/null' EXIT

nodedev_name()
{
	echo "pci_${1//[:.]/_}"
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
	vsh nodedev-destroy "$name" || fail "nodedev-destroy"
	no_instance "$u"
	wait_for 10 mdev_not_listed "^$name\$" ||
		fail "$name still listed"
	expect_eq available 1 "$(avail "$EDU1" $AUDITED)"
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
