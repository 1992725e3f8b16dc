# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Driving QEMU (7.2 or 10) on mdev-pt instances inside the test VM, for
# tests/qemu/qemu_migration.sh and the demo: QEMU with QMP, a second QMP
# socket for events, qtest and the firmware's debug console; query-migrate
# and the migration commands; the edu registers through qtest.  Sourced
# after tests/lib/common.sh.  The caller sets:
#
#   WORK     a directory for the sockets and logs (NAME.qmp, NAME.log, ...)
#   MIG_ON   the vfio-pci property that enables migration on this QEMU
#            (qemu_mig_property sets it)
#   BAR      the edu's BAR0 (bar0 reads it) before the register helpers
#
# PID[NAME] and EVPID[NAME] are the QEMU and event-listener PIDs; end them
# with qemu_kill NAME.

QEMU=${QEMU:-/usr/bin/qemu-system-x86_64}
QMP_TIMEOUT=${MDEVPT_QMP_TIMEOUT:-60}
QMP=$TOP/tests/lib/qmp.py
QTEST=$TOP/tests/migration/qtest.py
SLOT=4			# bus 0, device 4: the same on both sides
# The eight edu registers the migration contract carries.
REGS="0x04 0x08 0x20 0x24 0x80 0x88 0x90 0x98"
declare -A PID=() EVPID=()

diag() { echo "# $*"; }

# qemu_mig_property: MIG_ON for the running QEMU.  8.1 made VFIO migration
# non-experimental: x-enable-migration is gone, enable-migration=auto is
# the default.  mdev-pt does no device dirty tracking yet (a later issue
# adds it) and the legacy type1 container has no IOMMU dirty tracking, so
# auto adds the blocker "VFIO device doesn't support device and IOMMU
# dirty tracking"; =on migrates anyway, with type1 reporting every page
# dirty, which needs the raised downtime limit of mig_params.
qemu_mig_property()
{
	if version_ge "$(qemu_version)" 8.1; then
		MIG_ON=enable-migration=on
	else
		MIG_ON=x-enable-migration=on
	fi
}

# dirty_supported UUID: the instance offers device dirty tracking (its
# type has it and the kernel's vfio core can report dirty pages: not
# Debian's 6.12 kernels, built without CONFIG_IOMMUFD_DRIVER).
dirty_supported()
{
	grep -qx "supported yes" /sys/kernel/debug/mdev_pt/*/"$1"/migration/dirty 2> /dev/null
}

alive() { [ -n "$1" ] && kill -0 "$1" 2> /dev/null; }

# qemu_kill NAME: end that QEMU and its event listener (by PID).
qemu_kill()
{
	local p=${PID[$1]:-} e=${EVPID[$1]:-}

	if alive "$p"; then
		kill "$p" 2> /dev/null
		wait_for 10 eval '! alive "$p"' || kill -9 "$p" 2> /dev/null
	fi
	[ -n "$p" ] && wait "$p" 2> /dev/null
	if alive "$e"; then
		kill "$e" 2> /dev/null
	fi
	[ -n "$e" ] && wait "$e" 2> /dev/null
	PID[$1]=
	EVPID[$1]=
}

# qemu_start NAME DEVICE ARGS...: QEMU on one vfio-pci DEVICE (options
# after "vfio-pci,") with a QMP monitor for commands, a second one whose
# events go to NAME.events, qtest and the firmware's debug console.
# Fails if QEMU is gone once its event monitor answers.
qemu_start()
{
	local name=$1 devopts=$2

	shift 2
	rm -f "$WORK/$name".{qmp,ev,qt,log,bios.log,events}
	"$QEMU" -M q35 -accel tcg -m 64 -nodefaults -display none \
		-qmp "unix:$WORK/$name.qmp,server=on,wait=off" \
		-qmp "unix:$WORK/$name.ev,server=on,wait=off" \
		-qtest "unix:$WORK/$name.qt,server=on,wait=off" -qtest-log /dev/null \
		-chardev "file,id=dbg,path=$WORK/$name.bios.log" \
		-device isa-debugcon,iobase=0x402,chardev=dbg \
		-device "vfio-pci,$devopts,bus=pcie.0,addr=$SLOT.0,id=dev0" \
		"$@" < /dev/null > "$WORK/$name.log" 2>&1 &
	PID[$name]=$!
	diag "$name: QEMU pid ${PID[$name]} $devopts $*"
	"$QMP" --events "$WORK/$name.ev" > "$WORK/$name.events" 2> /dev/null &
	EVPID[$name]=$!
	wait_for "$QMP_TIMEOUT" eval "[ -s '$WORK/$name.events' ] || ! alive ${PID[$name]}"
	alive "${PID[$name]}" && [ -s "$WORK/$name.events" ]
}

qmp() { "$QMP" "$WORK/$1.qmp" "${@:2}"; }

qt() { "$QTEST" "$WORK/$1.qt" "${@:2}"; }

# mq NAME EXPR: a Python expression on NAME's query-migrate answer, m.
mq()
{
	qmp "$1" query-migrate |
		python3 -c 'import json, sys; m = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}

mig_status() { mq "$1" 'm.get("status", "none")'; }

vfio_sent() { mq "$1" 'm.get("vfio", {}).get("transferred", -1)'; }

run_status()
{
	qmp "$1" query-status | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'
}

# mig_wait NAME SECONDS: until NAME's migration ends; prints the status.
mig_wait()
{
	local n=$1

	wait_for "$2" eval '[[ "$(mig_status "$n")" =~ ^(completed|failed|cancelled)$ ]]'
	mig_status "$n"
}

# mig_summary NAME: the numbers of NAME's last migration, one line.
# ram.transferred is the whole stream on QEMU 10 (VFIO data included),
# RAM pages only on 7.2.
mig_summary()
{
	mq "$1" '", ".join("%s %s" % kv for kv in [("status", m.get("status")), ("total ms", m.get("total-time")), ("downtime ms", m.get("downtime")), ("setup ms", m.get("setup-time")), ("ram.transferred", m.get("ram", {}).get("transferred")), ("vfio.transferred", m.get("vfio", {}).get("transferred")), ("error", m.get("error-desc"))] if kv[1] is not None)'
}

# mig_params NAME: what a source needs to converge at all.
mig_params()
{
	# Without device dirty tracking (see dirty_supported) QEMU 10 with
	# enable-migration=on falls back to type1's dirty bitmap, and type1
	# reports every page of a real IOMMU group dirty on every sync, so
	# RAM converges only under a long downtime limit (600 s; the unit is
	# ms, at most 2000000) at a high bandwidth.
	qmp "$1" '{"execute": "migrate-set-parameters", "arguments": {"downtime-limit": 600000, "max-bandwidth": 10737418240}}' > /dev/null
}

migrate() { qmp "$1" "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"$2\"}}" > /dev/null; }

# incoming NAME URI: a destination started with "-incoming defer" listens.
incoming()
{
	qmp "$1" "{\"execute\": \"migrate-incoming\", \"arguments\": {\"uri\": \"$2\"}}" > /dev/null
}

qemu_quit()
{
	local p=${PID[$1]} rc

	qmp "$1" quit > /dev/null
	wait_for "$QMP_TIMEOUT" eval '! alive "$p"' || return 1
	wait "$p"
	rc=$?
	diag "$1: QEMU exited with $rc"
	qemu_kill "$1"
	return $rc
}

# qemu_exited NAME SECONDS: wait until NAME exits; RC is its exit status
# ("running" if it did not).  Not in a subshell: QEMU is this shell's child.
qemu_exited()
{
	local p=${PID[$1]}

	RC=running
	wait_for "$2" eval '! alive "$p"' || return 1
	wait "$p"
	RC=$?
}

# BAR0 of the device as the guest's config space says.
bar0()
{
	qt "$1" "outl 0xcf8 $(printf '0x%x' $((0x80000000 | SLOT << 11 | 0x10)))" \
		"inl 0xcfc"
}

# The eight registers the contract migrates, one line.
read_regs()
{
	local r args=()

	for r in $REGS; do
		args+=("readl $(printf '0x%x' $((BAR + r)))")
	done
	qt "$1" "${args[@]}" | xargs
}

W() { printf 'writel 0x%x 0x%x' $((BAR + $1)) "$2"; }

# factorial NAME N: NAME's device computes N!; prints it.
factorial()
{
	qt "$1" "$(W 0x08 "$2")" "wait_clear $(printf '0x%x' $((BAR + 0x20))) 0x1" \
		"readl $(printf '0x%x' $((BAR + 0x08)))"
}

fact() { local f=1 i; for ((i = 2; i <= $1; i++)); do f=$((f * i)); done; printf '0x%x' $f; }
