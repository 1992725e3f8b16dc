#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# QEMU 7.2 against an mdev-pt instance: realize through sysfsdev=, the device
# shows up in query-pci, QEMU releases it on quit, and removing the instance
# while QEMU holds it signals the REQ IRQ, which makes QEMU unplug it.
#
#   qemu_sysfsdev_test.sh [UUID]      (or MDEVPT_UUID=UUID)
#   MDEVPT_BDF=BDF qemu_sysfsdev_test.sh
#       the same against a function bound to plain vfio-pci: host=BDF, and
#       "remove" is an unbind from vfio-pci (it goes through the same
#       vfio_unregister_group_dev() request loop).
#   qemu_sysfsdev_test.sh               (inside the test VM only)
#       binds the first edu device to mdev_pt, creates an instance, runs on
#       it and undoes all that at the end (what tests/suite does).
#
# Runs as root inside the test VM. Environment:
#   QEMU                   QEMU binary (default /usr/bin/qemu-system-x86_64)
#   MDEVPT_QMP_TIMEOUT     seconds to wait for one QMP reply or event (60)
#   MDEVPT_REMOVE_TIMEOUT  seconds a remove may take once QEMU let go (60)
#   MDEVPT_QEMU_VERBOSE=1  print QEMU's output and the QMP events at the end
#
# What QEMU 7.2 does on REQ (hw/vfio/pci.c vfio_req_notifier_handler) is
# qdev_unplug(), i.e. an unplug *request* to the slot's hotplug controller;
# how it ends depends on the slot (seen with QEMU 7.2.22 in the test VM):
#  - device on pcie.0: "Bus 'pcie.0' does not support hotplugging" (a
#    warning on stderr, once per request); the device stays;
#  - cold-plugged behind a pcie-root-port, default q35 (ACPI PCI hotplug):
#    an ACPI eject request (trace acpi_pci_unplug_request) that only a guest
#    OS completes; with native PCIe hotplug, an attention button press that
#    only a guest OS answers. Without a guest the device stays, the kernel
#    re-sends the request every 10 s and the removal blocks until QEMU
#    closes the device (scenario 3);
#  - hot-added with device_add into an empty pcie-root-port under native
#    PCIe hotplug (ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off): the
#    slot stays powered off without a guest to power it on, and QEMU unplugs
#    a device from a powered-off slot at once (pcie_cap_slot_unplug_request_cb
#    since QEMU 6.2): DEVICE_DELETED, the device fd is closed and the
#    removal completes (scenario 2).
# query-pci lists devices behind a bridge only once firmware has given the
# bridge a bus number, so the scenarios with root ports let SeaBIOS run
# (there is nothing to boot; it idles) and wait for that first.
#
# Output: TAP ("ok N - ..." / "not ok N - ..."); exit 0 iff all passed.

set -u

QEMU=${QEMU:-/usr/bin/qemu-system-x86_64}
QMP_TIMEOUT=${MDEVPT_QMP_TIMEOUT:-60}
REMOVE_TIMEOUT=${MDEVPT_REMOVE_TIMEOUT:-60}

UUID=${1:-${MDEVPT_UUID:-}}
BDF=${MDEVPT_BDF:-}

ntest=0
nfail=0
ok() { ntest=$((ntest + 1)); echo "ok $ntest $*"; }
not_ok() { ntest=$((ntest + 1)); nfail=$((nfail + 1)); echo "not ok $ntest $*"; }
check() { # check DESCRIPTION COMMAND...
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
diag() { echo "# $*"; }
bail() { echo "Bail out! $*"; cleanup; exit 1; }

[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
[ -x "$QEMU" ] || { echo "1..0 # SKIP no $QEMU"; exit 0; }
for tool in socat python3; do
	command -v $tool >/dev/null || { echo "1..0 # SKIP no $tool"; exit 0; }
done

# Nothing given: in the test VM, make an instance on an edu device.
SETUP_BDF=
if [ -z "$UUID" ] && [ -z "$BDF" ] && [ "${MDEVPT_IN_VM:-}" = 1 ]; then
	# shellcheck source=../lib/common.sh
	. "$(dirname "$0")/../lib/common.sh"
	SETUP_BDF=$(edu_bdfs | head -n 1)
	[ -n "$SETUP_BDF" ] || { echo "Bail out! no edu device"; exit 1; }
	pt_bind "$SETUP_BDF" >/dev/null || { echo "Bail out! cannot bind $SETUP_BDF to mdev_pt"; exit 1; }
	UUID=$(new_uuid)
	echo "$UUID" >"$(type_dir "$SETUP_BDF")/create" ||
		{ pci_unbind "$SETUP_BDF"; echo "Bail out! cannot create an instance on $SETUP_BDF"; exit 1; }
	echo "# mdev $UUID on $SETUP_BDF"
fi

if [ -n "$UUID" ]; then
	MODE=mdev
	SYSFS=/sys/bus/mdev/devices/$UUID
	DEVOPT="sysfsdev=$SYSFS"
	IS_MDEV=1
elif [ -n "$BDF" ]; then
	MODE=vfio-pci
	SYSFS=/sys/bus/pci/devices/$BDF
	DEVOPT="host=$BDF"
	IS_MDEV=0
else
	echo "1..0 # SKIP give an mdev UUID (argument or MDEVPT_UUID) or MDEVPT_BDF"
	exit 0
fi
[ -e "$SYSFS" ] || { echo "Bail out! $SYSFS does not exist"; exit 1; }

WORK=$(mktemp -d /tmp/qemu-sysfsdev.XXXXXX) || exit 1
DMESG_START=$(dmesg 2>/dev/null | wc -l)
QEMU_PID=
QMP_PID=
RM_PID=

# --- the device: what sysfs says QEMU must show ----------------------------
if [ $MODE = mdev ]; then
	PCI_SYSFS=$(realpath "$SYSFS/..")
	MDEV_TYPE_DIR=$(realpath "$SYSFS/mdev_type")
else
	PCI_SYSFS=$(realpath "$SYSFS")
fi
WANT_VENDOR=$(( $(cat "$PCI_SYSFS/vendor") ))
WANT_DEVICE=$(( $(cat "$PCI_SYSFS/device") ))
read -r bar0_start bar0_end _ <"$PCI_SYSFS/resource"
WANT_BAR0=$(( bar0_end - bar0_start + 1 ))
[ "$WANT_BAR0" -gt 1 ] || { echo "Bail out! $PCI_SYSFS has no BAR0"; exit 1; }

# --- process handling: only what this script started, by PID --------------
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# wait_gone PID SECONDS: true once PID (our child) has exited. Bash keeps
# its status for a later `wait PID`.
wait_gone() {
	local pid=$1 end=$((SECONDS + $2))
	while alive "$pid"; do
		[ $SECONDS -lt "$end" ] || return 1
		sleep 0.2
	done
	return 0
}

qmp_close() {
	if [ -n "$QMP_PID" ]; then
		exec {QMP_IN}>&- {QMP_OUT}<&- 2>/dev/null
		alive "$QMP_PID" && kill "$QMP_PID" 2>/dev/null
		wait "$QMP_PID" 2>/dev/null
		QMP_PID=
	fi
}

qemu_kill() {
	qmp_close
	if alive "$QEMU_PID"; then
		kill "$QEMU_PID" 2>/dev/null
		wait_gone "$QEMU_PID" 10 || kill -9 "$QEMU_PID" 2>/dev/null
		wait "$QEMU_PID" 2>/dev/null
	fi
	QEMU_PID=
}

cleanup() {
	qemu_kill
	if alive "$RM_PID"; then
		# Nothing holds the device any more: the remove must finish now.
		wait_gone "$RM_PID" "$REMOVE_TIMEOUT" || diag "remove (pid $RM_PID) still blocked"
	fi
	if [ -n "${MDEVPT_QEMU_VERBOSE:-}" ]; then
		for f in "$WORK"/*.log "$WORK"/*.events; do
			[ -s "$f" ] && sed "s|^|# ${f##*/}: |" "$f"
		done
	fi
	rm -rf "$WORK"
	if [ -n "$SETUP_BDF" ]; then
		[ -e "$SYSFS" ] && echo 1 >"$SYSFS/remove"
		pci_unbind "$SETUP_BDF"
		SETUP_BDF=
	fi
}
trap 'cleanup; exit 130' INT TERM

# --- QEMU and QMP -------------------------------------------------------------
# qemu_start NAME -S|run ARGS...: QEMU in the background (paused with -S, or
# running its firmware), QMP on a socket, capabilities negotiated.
qemu_start() {
	local name=$1 mode=$2 end
	shift 2
	QMP_SOCK=$WORK/$name.qmp
	QEMU_LOG=$WORK/$name.log
	EVENTS=$WORK/$name.events
	: >"$EVENTS"
	[ "$mode" = -S ] || mode=
	"$QEMU" -M q35 -accel tcg -m 256 -nodefaults -display none ${mode:+"$mode"} \
		-qmp "unix:$QMP_SOCK,server=on,wait=off" "$@" \
		</dev/null >"$QEMU_LOG" 2>&1 &
	QEMU_PID=$!
	diag "$name: QEMU pid $QEMU_PID: ${mode:+$mode }$*"

	end=$((SECONDS + QMP_TIMEOUT))
	while [ ! -S "$QMP_SOCK" ]; do
		alive "$QEMU_PID" || { diag "QEMU exited: $(cat "$QEMU_LOG")"; QEMU_PID=; return 1; }
		[ $SECONDS -lt $end ] || { diag "no QMP socket after ${QMP_TIMEOUT}s"; return 1; }
		sleep 0.2
	done
	coproc QMP { exec socat - "UNIX-CONNECT:$QMP_SOCK"; }
	exec {QMP_IN}>&"${QMP[1]}" {QMP_OUT}<&"${QMP[0]}"
	qmp_read_line greeting || return 1
	case $QMP_LINE in
	*'"QMP"'*) ;;
	*) diag "bad QMP greeting: $QMP_LINE"; return 1 ;;
	esac
	qmp '{"execute": "qmp_capabilities"}'
}

# qmp_read_line: one line from QMP into QMP_LINE, bounded.
qmp_read_line() {
	if ! IFS= read -r -t "$QMP_TIMEOUT" QMP_LINE <&"$QMP_OUT"; then
		diag "QMP: nothing within ${QMP_TIMEOUT}s (waiting for $1)"
		return 1
	fi
}

# qmp JSON: send one command, wait for its reply (events seen meanwhile are
# appended to $EVENTS). True on "return", false on "error" or timeout; the
# reply is in QMP_REPLY.
qmp() {
	local end=$((SECONDS + QMP_TIMEOUT))
	QMP_REPLY=
	printf '%s\n' "$1" >&"$QMP_IN" || { diag "QMP: cannot send $1"; return 1; }
	while [ $SECONDS -le $end ]; do
		qmp_read_line "reply to $1" || return 1
		case $QMP_LINE in
		*'"event"'*) printf '%s\n' "$QMP_LINE" >>"$EVENTS" ;;
		*'"return"'*) QMP_REPLY=$QMP_LINE; return 0 ;;
		*'"error"'*) QMP_REPLY=$QMP_LINE; diag "QMP error: $QMP_LINE"; return 1 ;;
		esac
	done
	return 1
}

# qmp_wait_event PATTERN SECONDS: an event line matching PATTERN arrived.
qmp_wait_event() {
	local end=$((SECONDS + $2))
	grep -q -- "$1" "$EVENTS" && return 0
	while [ $SECONDS -lt $end ]; do
		IFS= read -r -t 1 QMP_LINE <&"$QMP_OUT" || continue
		case $QMP_LINE in
		*'"event"'*) printf '%s\n' "$QMP_LINE" >>"$EVENTS" ;;
		esac
		grep -q -- "$1" "$EVENTS" && return 0
	done
	return 1
}

# qemu_quit: ask QEMU to quit; true when it has exited.
qemu_quit() {
	qmp '{"execute": "quit"}' || diag "quit: no reply (${QMP_REPLY:-none})"
	qmp_close
	if wait_gone "$QEMU_PID" "$QMP_TIMEOUT"; then
		wait "$QEMU_PID"
		diag "QEMU exited with status $?"
		QEMU_PID=
		return 0
	fi
	return 1
}

# pci_lookup: from the last query-pci reply, "present BAR0SIZE" or "absent"
# for the function with our vendor/device IDs.
pci_lookup() {
	printf '%s\n' "$QMP_REPLY" | python3 -c '
import json, sys
want = (int(sys.argv[1]), int(sys.argv[2]))
def walk(devs):
    for d in devs:
        yield d
        yield from walk(d.get("pci_bridge", {}).get("devices", []))
found = [d for bus in json.load(sys.stdin)["return"] for d in walk(bus["devices"])
         if (d["id"]["vendor"], d["id"]["device"]) == want]
if not found:
    print("absent")
else:
    bars = {r["bar"]: r["size"] for r in found[0].get("regions", []) if "bar" in r}
    print("present", bars.get(0, 0), len(found))
' "$WANT_VENDOR" "$WANT_DEVICE"
}

query_pci() {
	qmp '{"execute": "query-pci"}' || return 1
	PCI_STATE=$(pci_lookup) || return 1
	diag "query-pci: $(printf '%04x:%04x' "$WANT_VENDOR" "$WANT_DEVICE") $PCI_STATE"
}

# check_pci DESCRIPTION PREDICATE: query-pci, then judge the result.
check_pci() {
	if query_pci; then
		"$2" || diag "query-pci said: ${QMP_REPLY:0:3000}"
		check "$1" "$2"
	else
		not_ok "$1 (query-pci failed)"
	fi
}

# wait_bus_numbers: until firmware has numbered every bridge's secondary bus.
wait_bus_numbers() {
	local end=$((SECONDS + QMP_TIMEOUT)) state
	while [ $SECONDS -lt $end ]; do
		qmp '{"execute": "query-pci"}' || return 1
		state=$(printf '%s\n' "$QMP_REPLY" | python3 -c '
import json, sys
def walk(devs):
    for d in devs:
        yield d
        yield from walk(d.get("pci_bridge", {}).get("devices", []))
br = [d["pci_bridge"]["bus"]["secondary"] for bus in json.load(sys.stdin)["return"]
      for d in walk(bus["devices"]) if "pci_bridge" in d]
print("numbered" if all(br) else "unnumbered")
') || return 1
		[ "$state" = numbered ] && return 0
		sleep 0.5
	done
	diag "bridges still without bus numbers after ${QMP_TIMEOUT}s"
	return 1
}

listed_with_bar0() { [ "$PCI_STATE" = "present $WANT_BAR0 1" ]; }
not_listed() { [ "$PCI_STATE" = absent ]; }

# --- removing and restoring the device ----------------------------------------
remove_start() {
	if [ $MODE = mdev ]; then
		( echo 1 >"$SYSFS/remove" ) 2>"$WORK/remove.err" &
	else
		( echo "$BDF" >"$SYSFS/driver/unbind" ) 2>"$WORK/remove.err" &
	fi
	RM_PID=$!
	RM_T0=$SECONDS
}

# remove_finished SECONDS: the remove write returned (successfully) in time.
remove_finished() {
	local rc
	wait_gone "$RM_PID" "$1" || return 1
	wait "$RM_PID"
	rc=$?
	RM_PID=
	diag "remove returned $rc after $((SECONDS - RM_T0))s $(cat "$WORK/remove.err")"
	[ $rc -eq 0 ] && device_gone
}

# A removal left running (a failed check): now that QEMU is gone it must end.
remove_reap() {
	if alive "$RM_PID"; then
		remove_finished "$REMOVE_TIMEOUT" || diag "removal still blocked after QEMU exited"
	fi
	RM_PID=
}

# Nobody holds the device any more: its VFIO group (single-open) opens.
device_idle() {
	local grp
	grp=$(basename "$(readlink "$SYSFS/iommu_group")") || return 1
	( exec 3<>"/dev/vfio/$grp" ) 2>/dev/null
}

device_gone() {
	if [ $MODE = mdev ]; then
		[ ! -e "$SYSFS" ]
	else
		[ ! -e "$SYSFS/driver" ]
	fi
}

restore_device() {
	if [ $MODE = mdev ]; then
		[ -e "$SYSFS" ] || echo "$UUID" >"$MDEV_TYPE_DIR/create"
	else
		[ -e "$SYSFS/driver" ] || echo "$BDF" >/sys/bus/pci/drivers_probe
	fi
	[ -e "$SYSFS" ] && { [ $MODE = mdev ] || [ -e "$SYSFS/driver" ]; }
}

# --- 1: realize, query-pci, quit ---------------------------------------------
diag "mode $MODE: $DEVOPT ($(printf '%04x:%04x' "$WANT_VENDOR" "$WANT_DEVICE"), BAR0 $WANT_BAR0 bytes)"

# Paused, no firmware: on the root bus, so query-pci lists it right away.
DEVDESC="vfio-pci,${DEVOPT%%=*}="
if qemu_start coldplug -S -trace vfio_mdev -device "vfio-pci,$DEVOPT,id=hostdev0,bus=pcie.0"; then
	ok "QEMU realizes -device $DEVDESC"
	# realpath(DEV/subsystem) == /sys/bus/mdev (hw/vfio/common.c)
	check "QEMU sees is_mdev $IS_MDEV" grep -q "vfio_mdev .*is_mdev $IS_MDEV" "$QEMU_LOG"
	check_pci "query-pci lists the device with a BAR0 of $WANT_BAR0 bytes" listed_with_bar0
	check "QEMU quits and exits" qemu_quit
	check "QEMU closed the device (it is not busy)" device_idle
else
	not_ok "QEMU realizes -device $DEVDESC: $(cat "$QEMU_LOG")"
fi
qemu_kill

# --- 2: removal -> REQ -> QEMU unplugs the device and lets go ------------------
if qemu_start hotplug run \
	-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off \
	-device pcie-root-port,id=rp0,bus=pcie.0,chassis=1 &&
	wait_bus_numbers; then
	if qmp "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"vfio-pci\", \"id\": \"hostdev0\", \"bus\": \"rp0\", \"${DEVOPT%%=*}\": \"${DEVOPT#*=}\"}}"; then
		ok "device_add $DEVDESC into an empty pcie-root-port"
		check_pci "query-pci lists the hot-added device" listed_with_bar0

		remove_start
		if qmp_wait_event '"DEVICE_DELETED".*"hostdev0"' "$REMOVE_TIMEOUT"; then
			ok "removal signals REQ and QEMU unplugs the device (DEVICE_DELETED after $((SECONDS - RM_T0))s)"
		else
			not_ok "no DEVICE_DELETED within ${REMOVE_TIMEOUT}s of the removal"
		fi
		check "the removal completes while QEMU keeps running" remove_finished "$REMOVE_TIMEOUT"
		check_pci "query-pci no longer lists the device" not_listed
		check "QEMU is still running" alive "$QEMU_PID"
	else
		not_ok "device_add $DEVDESC: $QMP_REPLY $(cat "$QEMU_LOG")"
	fi
	check "QEMU quits and exits" qemu_quit
else
	not_ok "QEMU starts with an empty pcie-root-port: $(cat "$QEMU_LOG")"
fi
qemu_kill
remove_reap
restore_device || bail "cannot restore $SYSFS"

# --- 3: cold-plugged, no guest OS: the removal waits for QEMU to let go --------
# Default q35 (ACPI PCI hotplug): the REQ becomes an ACPI eject request that
# only a guest OS could complete.
if qemu_start noguest run -trace acpi_pci_unplug_request \
	-device pcie-root-port,id=rp0,bus=pcie.0,chassis=1 \
	-device "vfio-pci,$DEVOPT,id=hostdev0,bus=rp0" &&
	wait_bus_numbers; then
	check_pci "query-pci lists the device behind the root port" listed_with_bar0
	remove_start
	end=$((SECONDS + 15))
	while [ $SECONDS -lt $end ] && ! grep -q acpi_pci_unplug_request "$QEMU_LOG"; do
		sleep 0.5
	done
	check "removal signals REQ: QEMU asks the guest to eject the device" \
		grep -q acpi_pci_unplug_request "$QEMU_LOG"
	# The kernel re-sends the request every 10 s while it waits.
	sleep 12
	check "the removal waits while QEMU holds the device" alive "$RM_PID"
	diag "unplug requests seen by QEMU: $(grep -c acpi_pci_unplug_request "$QEMU_LOG")"
	check_pci "without a guest OS the device stays in QEMU" listed_with_bar0
	check "QEMU quits and exits" qemu_quit
	check "the removal completes once QEMU has exited" remove_finished "$REMOVE_TIMEOUT"
else
	not_ok "QEMU starts with the device behind a pcie-root-port: $(cat "$QEMU_LOG")"
fi
qemu_kill
remove_reap
restore_device || bail "cannot restore $SYSFS"

# Kernel warnings, oopses, hung tasks, ... logged while this ran.
kernel_quiet() {
	! dmesg | tail -n +"$((DMESG_START + 1))" |
		grep -E 'WARNING:|BUG:|Oops|general protection|refcount_t:|UBSAN|KASAN|INFO: task .* blocked|list_(add|del) corruption'
}
check "no kernel warnings" kernel_quiet

cleanup
echo "1..$ntest"
[ $nfail -eq 0 ]
