# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Helpers for the observability tests (tests/observe/*.sh), on top of
# tests/lib/common.sh and tests/plugins/lib.sh: a VFIO user driven step by
# step (build/tests/vfio_ctl as a coprocess), the health uevents of an
# instance, tracefs, debugfs and AER error injection.

TRACEFS=/sys/kernel/tracing
DBG=/sys/kernel/debug/mdev_pt
MIGRATABLE=mdev_pt-edu-migratable

# Background processes a test started (vfio_ctl, udevadm), killed by
# observe_cleanup: a failing test ends in its subshell, which cannot.
OBS_PIDS=/tmp/mdevpt-observe.pids

observe_cleanup()
{
	local p

	[ -e "$OBS_PIDS" ] || return 0
	for p in $(cat "$OBS_PIDS"); do
		kill "$p" 2> /dev/null
	done
	rm -f "$OBS_PIDS"
	sleep 0.5
}

# obs_uevents FILE: uevents_start, its udevadm killed by observe_cleanup.
obs_uevents()
{
	uevents_start "$1" || return 1
	echo "$UEVENT_PID" >> "$OBS_PIDS"
}

# --- a VFIO user, one command at a time --------------------------------------

CTL_PID=

# ctl_open UUID: open the instance with vfio_ctl; fails unless it opened.
ctl_open()
{
	local group line

	group=$(iommu_group_of "/sys/bus/mdev/devices/$1") || return 1
	coproc CTL { exec "$BIN/vfio_ctl" "$group" "$1" 2>&1; }
	echo "$CTL_PID" >> "$OBS_PIDS"
	read -r -t 30 line <&"${CTL[0]}"
	[ "$line" = open ] || { echo "vfio_ctl $1: '$line'"; return 1; }
}

# ctl COMMAND...: send one command, print its answer line.
ctl()
{
	local line

	echo "$*" >&"${CTL[1]}"
	read -r -t 60 line <&"${CTL[0]}" || line="(no answer to $*)"
	echo "$line"
}

# ctl_expect COMMAND... ANSWER: the answer to COMMAND is ANSWER.
ctl_expect()
{
	local want=${*: -1} got

	got=$(ctl "${@:1:$#-1}")
	[ "$got" = "$want" ] || fail "vfio_ctl ${*:1:$#-1}: expected '$want', got '$got'"
}

ctl_close()
{
	local line

	[ -n "$CTL_PID" ] || return 0
	echo quit >&"${CTL[1]}"
	read -r -t 30 line <&"${CTL[0]}"
	wait "$CTL_PID" 2> /dev/null
	CTL_PID=
	[ "$line" = closed ] || { echo "vfio_ctl quit: '$line'"; return 1; }
}

# --- health ------------------------------------------------------------------

health_of()
{
	cat "/sys/bus/mdev/devices/$1/health"
}

health_is()
{
	[ "$(health_of "$1")" = "$2" ]
}

# expect_health UUID STATE: the instance shows STATE within 10 s.
expect_health()
{
	wait_for 10 health_is "$1" "$2" ||
		fail "$1: health '$(health_of "$1")', expected '$2'"
}

# health_events FILE UUID: the MDEV_PT_HEALTH values of the change uevents
# of instance UUID that FILE (udevadm monitor --kernel --property) holds,
# in order, on one line.
health_events()
{
	awk -v dev="/$2" '
		function flush() {
			if (a == "change" && d && h != "")
				out = out (out == "" ? "" : " ") h
			a = ""; d = 0; h = ""
		}
		/^$/ { flush(); next }
		/^ACTION=/ { a = substr($0, 8) }
		/^DEVPATH=/ { d = (substr($0, length($0) - length(dev) + 1) == dev) }
		/^MDEV_PT_HEALTH=/ { h = substr($0, 16) }
		END { flush(); print out }' "$1"
}

health_events_are()
{
	[ "$(health_events "$1" "$2")" = "$3" ]
}

# expect_health_events FILE UUID "STATE...": udevadm saw exactly these
# health uevents of the instance, in this order (within 10 s).
expect_health_events()
{
	wait_for 10 health_events_are "$1" "$2" "$3" ||
		fail "$2: health uevents '$(health_events "$1" "$2")', expected '$3'"
}

# --- tracefs -----------------------------------------------------------------

# trace_start EVENT...: trace only these mdev_pt events, from an empty buffer.
trace_start()
{
	local e

	[ -d "$TRACEFS/events/mdev_pt" ] || fail "no $TRACEFS/events/mdev_pt"
	echo 0 > "$TRACEFS/tracing_on"
	echo 0 > "$TRACEFS/events/enable"
	echo > "$TRACEFS/trace"
	echo 4096 > "$TRACEFS/buffer_size_kb"
	for e in "$@"; do
		echo 1 > "$TRACEFS/events/mdev_pt/$e/enable" || fail "enable $e"
	done
	echo 1 > "$TRACEFS/tracing_on"
}

trace_stop()
{
	echo 0 > "$TRACEFS/tracing_on"
	echo 0 > "$TRACEFS/events/enable"
}

# trace_events: the recorded mdev_pt events, "event: text" one per line,
# without the task, CPU and time columns.
trace_events()
{
	sed -n 's/^.* \(mdev_pt_[a-z_]*: .*\)$/\1/p' "$TRACEFS/trace"
}

# expect_trace_seq PATTERN...: the trace has lines matching these extended
# regular expressions, in this order (other lines may come between).
expect_trace_seq()
{
	trace_events | awk '
		BEGIN { for (i = 1; i < ARGC; i++) p[i] = ARGV[i]; n = ARGC - 1; ARGC = 1; k = 1 }
		k <= n && $0 ~ p[k] { k++ }
		END { if (k <= n) { print "no trace line matching /" p[k] "/ after the earlier ones"; exit 1 } }' "$@" ||
		{ trace_events | tail -n 40 | sed 's/^/# trace: /'; fail "trace"; }
}

# --- debugfs -----------------------------------------------------------------

# dbg_value FILE NAME: the value of "NAME value" in a debugfs file.
dbg_value()
{
	awk -v k="$2" '$1 == k { print $2 }' "$1"
}

dbg_is()
{
	[ "$(dbg_value "$1" "$2")" = "$3" ]
}

# expect_dbg FILE NAME VALUE: "NAME VALUE" is in FILE (within 10 s).
expect_dbg()
{
	wait_for 10 dbg_is "$1" "$2" "$3" ||
		fail "$1: expected '$2 $3', got '$(dbg_value "$1" "$2")'"
}

# --- AER ---------------------------------------------------------------------

# root_port_of BDF: the PCIe root port above the function.
root_port_of()
{
	basename "$(dirname "$(readlink -f "/sys/bus/pci/devices/$1")")"
}

# Present while aer_inject is loaded because aer_ready loaded it.
OBS_AER_LOADED=/tmp/mdevpt-observe.aer_inject

# aer_ready BDF: errors can be injected above BDF (aer_inject, and the root
# port has an AER capability with the AER service bound).  aer_unload
# unloads the module again if this loaded it.
aer_ready()
{
	local rp

	rp=$(root_port_of "$1")
	if ! grep -q '^aer_inject ' /proc/modules; then
		modprobe aer_inject 2> /dev/null || return 1
		touch "$OBS_AER_LOADED"
	fi
	[ -c /dev/aer_inject ] && [ -e "/sys/bus/pci/devices/$rp/aer_dev_fatal" ]
}

# aer_unload: unload aer_inject if aer_ready loaded it.  It must not stay:
# the first injection puts its own config accessors on the bus of the
# device and of its root port (the root bus), a bus scanned below them
# afterwards inherits them (pci_alloc_child_bus() copies the parent's ops)
# without being in aer_inject's list of buses, and every config access
# there then fails: a function hot-added or rescanned behind a new bus is
# not found (mgmt/fleet.sh renumbers the NVMe PF's bus and rescans).
# Unloading puts the original accessors back.
aer_unload()
{
	[ -e "$OBS_AER_LOADED" ] || return 0
	rmmod aer_inject || return 1
	rm -f "$OBS_AER_LOADED"
}

# aer_inject BDF UNCOR COR: make BDF's AER registers report the uncorrectable
# and correctable status bits UNCOR and COR, and run the AER service on them.
aer_inject()
{
	python3 - "$@" <<'EOF'
import os, struct, sys
bdf, uncor, cor = sys.argv[1], int(sys.argv[2], 0), int(sys.argv[3], 0)
dom, bus, devfn = bdf.split(":")
dev, fn = devfn.split(".")
# struct aer_error_inj: bus, dev, fn, the status words, four header log
# words and the domain.
data = struct.pack("<BBBxIIIIIII", int(bus, 16), int(dev, 16), int(fn),
                   uncor, cor, 0, 0, 0, 0, int(dom, 16))
fd = os.open("/dev/aer_inject", os.O_WRONLY)
os.write(fd, data)
os.close(fd)
EOF
}

# Uncorrectable error status bits with their default severity.
AER_NONFATAL=0x4000	# completion timeout
AER_FATAL=0x10		# data link protocol error
