#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# QEMU 7.2 migrates an edu-migratable instance end to end (issue 5): the
# source QEMU holds instance A (first edu) with
# "-device vfio-pci,sysfsdev=...,x-enable-migration=on", its device state
# is set while QEMU holds it, `migrate "exec:cat > FILE"` saves it through
# the v1 migration region, and a second QEMU on instance B (second edu),
# same PCI address, loads it with -incoming "exec:cat FILE".  The registers
# read through the second QEMU are then the ones set through the first.
#
# Setting the state "beforehand": opening the device resets it, so the
# state must be written while QEMU holds it, through QEMU.  Both QEMUs run
# with "-qtest unix:SOCKET" next to TCG, and tests/migration/qtest.py sends
# qtest commands: config cycles through 0xcf8/0xcfc and readl/writel on
# the BAR, which reach the vfio-pci device exactly as guest accesses do
# (QEMU's memory core dispatches both).  The guest CPU runs SeaBIOS, which
# enumerates the bus, assigns BAR0 and enables decoding, then idles with
# "No bootable device" (logged on isa-debugcon); the test waits for that
# line before touching the device, so firmware and qtest never race on
# 0xcf8.  "-accel qtest" alone would leave the CPU out entirely, but
# Debian's QEMU 7.2 does not build that accelerator ("invalid accelerator
# qtest"), hence TCG plus the qtest chardev.  The destination restores the
# BAR from the migrated PCI config and continues the idle firmware; it
# never re-enumerates.
#
# Convergence: the instance sits in its function's real IOMMU group, so
# type1 reports every mapped guest page dirty on every sync and RAM never
# converges under QEMU's default 300 ms downtime limit; the source gets a
# small RAM, a high bandwidth and a long downtime limit, which keeps the
# live phase (RUNNING|SAVING, pending_bytes read) and then completes.
#
# Runs as root inside the test VM (tests/suite); output is TAP.
# Environment: QEMU (default /usr/bin/qemu-system-x86_64),
# MDEVPT_QMP_TIMEOUT (60), MDEVPT_QEMU_VERBOSE=1 (print QEMU's logs).

set -u

. "$(dirname "$0")/../lib/common.sh"

QEMU=${QEMU:-/usr/bin/qemu-system-x86_64}
QMP_TIMEOUT=${MDEVPT_QMP_TIMEOUT:-60}
QMP=$TOP/tests/lib/qmp.py
QTEST=$TOP/tests/migration/qtest.py
EDU_MIG=mdev_pt-edu-migratable
SLOT=4			# bus 0, device 4: the same on both sides

ntest=0
nfail=0
ok() { ntest=$((ntest + 1)); echo "ok $ntest $*"; }
not_ok() { ntest=$((ntest + 1)); nfail=$((nfail + 1)); echo "not ok $ntest $*"; }
check() {
	local d=$1

	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
diag() { echo "# $*"; }

[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
[ -x "$QEMU" ] || { echo "1..0 # SKIP no $QEMU"; exit 0; }
[ "${MDEVPT_IN_VM:-}" = 1 ] || { echo "1..0 # SKIP runs in the test VM only"; exit 0; }

WORK=$(mktemp -d /tmp/qemu-migration.XXXXXX) || exit 1
EDU1=$(edu_bdfs | sed -n 1p)
EDU2=$(edu_bdfs | sed -n 2p)
UUID_A=
UUID_B=
QEMU_PID=
DMESG_START=$(dmesg | wc -l)

alive() { [ -n "$1" ] && kill -0 "$1" 2> /dev/null; }

qemu_kill()
{
	if alive "$QEMU_PID"; then
		kill "$QEMU_PID" 2> /dev/null
		wait_for 10 eval '! alive "$QEMU_PID"' || kill -9 "$QEMU_PID" 2> /dev/null
		wait "$QEMU_PID" 2> /dev/null
	fi
	QEMU_PID=
}

cleanup()
{
	local f

	qemu_kill
	if [ -n "${MDEVPT_QEMU_VERBOSE:-}" ]; then
		for f in "$WORK"/*.log; do
			[ -s "$f" ] && sed "s|^|# ${f##*/}: |" "$f"
		done
	fi
	rm -rf "$WORK"
	for f in $UUID_A $UUID_B; do
		[ -e "/sys/bus/mdev/devices/$f" ] && echo 1 > "/sys/bus/mdev/devices/$f/remove"
	done
	for f in $EDU1 $EDU2; do
		pci_unbind "$f"
	done
}
trap cleanup EXIT

bail() { echo "Bail out! $*"; exit 1; }

[ -n "$EDU2" ] || bail "need two edu devices"
for f in $EDU1 $EDU2; do
	pt_bind "$f" > /dev/null || bail "cannot bind $f to mdev_pt"
	[ -d "$(type_dir "$f" $EDU_MIG)" ] || bail "$f offers no $EDU_MIG"
done
UUID_A=$(new_uuid)
UUID_B=$(new_uuid)
echo "$UUID_A" > "$(type_dir "$EDU1" $EDU_MIG)/create" || bail "create A"
echo "$UUID_B" > "$(type_dir "$EDU2" $EDU_MIG)/create" || bail "create B"
diag "A $UUID_A on $EDU1, B $UUID_B on $EDU2"

# qemu_start NAME UUID ARGS...: QEMU with QMP, qtest and the BIOS log.
qemu_start()
{
	local name=$1 uuid=$2

	shift 2
	"$QEMU" -M q35 -accel tcg -m 64 -nodefaults -display none \
		-qmp "unix:$WORK/$name.qmp,server=on,wait=off" \
		-qtest "unix:$WORK/$name.qt,server=on,wait=off" -qtest-log /dev/null \
		-chardev "file,id=dbg,path=$WORK/$name.bios.log" \
		-device isa-debugcon,iobase=0x402,chardev=dbg \
		-device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$uuid,x-enable-migration=on,bus=pcie.0,addr=$SLOT.0,id=edu0" \
		"$@" < /dev/null > "$WORK/$name.log" 2>&1 &
	QEMU_PID=$!
	diag "$name: QEMU pid $QEMU_PID $*"
	wait_for "$QMP_TIMEOUT" test -S "$WORK/$name.qt" || return 1
	alive "$QEMU_PID"
}

qmp() { "$QMP" "$WORK/$1.qmp" "${@:2}"; }
qt() { "$QTEST" "$WORK/$1.qt" "${@:2}"; }

# The migration status from query-migrate.
mig_status()
{
	qmp "$1" query-migrate | python3 -c 'import json,sys; print(json.load(sys.stdin).get("status", "none"))'
}

run_status()
{
	qmp "$1" query-status | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'
}

# BAR0 of the device as the guest's config space says.
bar0()
{
	qt "$1" "outl 0xcf8 $(printf '0x%x' $((0x80000000 | SLOT << 11 | 0x10)))" \
		"inl 0xcfc"
}

# The eight registers the contract migrates, one line.
REGS="0x04 0x08 0x20 0x24 0x80 0x88 0x90 0x98"
read_regs()
{
	local r args=()

	for r in $REGS; do
		args+=("readl $(printf '0x%x' $((BAR + r)))")
	done
	qt "$1" "${args[@]}" | xargs
}

qemu_quit()
{
	qmp "$1" quit > /dev/null
	wait_for "$QMP_TIMEOUT" eval '! alive "$QEMU_PID"' || return 1
	wait "$QEMU_PID"
	diag "$1: QEMU exited with $?"
	QEMU_PID=
}

# Nobody holds the instance: its group opens.
idle()
{
	local grp

	grp=$(iommu_group_of "/sys/bus/mdev/devices/$1")
	( exec 3<> "/dev/vfio/$grp" ) 2> /dev/null
}

# --- source -----------------------------------------------------------------
SEED=$(( (RANDOM << 8 | RANDOM) & 0xffffff ))
LIVE=$(( 0x11000000 | SEED ))
FACT=$(( 5 + SEED % 6 ))

if ! qemu_start src "$UUID_A"; then
	not_ok "source QEMU starts with x-enable-migration=on: $(cat "$WORK/src.log")"
	echo "1..$ntest"
	exit 1
fi
ok "source QEMU realizes vfio-pci,sysfsdev=A,x-enable-migration=on"
check "the firmware enumerates and idles" \
	wait_for 180 grep -q "No bootable device" "$WORK/src.bios.log"
diag "firmware idle after ${SECONDS}s"
BAR=$(( $(bar0 src) & ~0xf ))
diag "BAR0 at $(printf '0x%x' $BAR)"
check "BAR0 is assigned" test "$BAR" -ne 0

W() { printf 'writel 0x%x 0x%x' $((BAR + $1)) "$2"; }
qt src "$(W 0x20 0)" "$(W 0x04 $LIVE)" "$(W 0x08 $FACT)" \
	"wait_clear $(printf '0x%x' $((BAR + 0x20))) 0x1" \
	"$(W 0x20 0x80)" "$(W 0x60 $(( 0x00400000 | (SEED & 0xff) << 8 )))" \
	"$(W 0x80 $(( 0x30000 + (SEED & 0xfff) * 16 )))" "$(W 0x88 0x40010)" \
	"$(W 0x90 $(( 32 + SEED % 200 )))" > /dev/null ||
	not_ok "program the device through qtest"
SRC_REGS=$(read_regs src)
diag "source registers ($REGS): $SRC_REGS"
fact=1
for ((i = 2; i <= FACT; i++)); do fact=$((fact * i)); done
want_live=$(printf '0x%x' $(( ~LIVE & 0xffffffff )))
check "the liveness register reads ~value through QEMU" \
	test "$(echo "$SRC_REGS" | cut -d' ' -f1)" = "$want_live"
check "the factorial is computed through QEMU" \
	test "$(echo "$SRC_REGS" | cut -d' ' -f2)" = "$(printf '0x%x' $fact)"

qmp src '{"execute": "migrate-set-parameters", "arguments": {"downtime-limit": 600000, "max-bandwidth": 10737418240}}' > /dev/null ||
	diag "migrate-set-parameters failed"
qmp src "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"exec:cat > $WORK/stream\"}}" > /dev/null
wait_for 300 eval '[[ "$(mig_status src)" =~ ^(completed|failed|cancelled)$ ]]'
status=$(mig_status src)
check "migrate \"exec:cat > FILE\" completes ($status)" test "$status" = completed
diag "migration ended after ${SECONDS}s"
[ "$status" = completed ] || diag "$(qmp src query-migrate) $(cat "$WORK/src.log")"
check "the source is postmigrate" test "$(run_status src)" = postmigrate
diag "stream file: $(stat -c %s "$WORK/stream" 2> /dev/null) bytes"
check "the source QEMU quits" qemu_quit src
check "instance A is released" idle "$UUID_A"

# --- destination --------------------------------------------------------------
if qemu_start dst "$UUID_B" -incoming "exec:cat $WORK/stream"; then
	ok "destination QEMU starts on B with -incoming"
	wait_for 180 eval '[ "$(run_status dst)" != inmigrate ]'
	status=$(run_status dst)
	check "the incoming migration completes and the VM runs ($status)" \
		test "$status" = running
	[ "$status" = running ] || diag "$(cat "$WORK/dst.log")"
	dst_bar=$(bar0 dst) || dst_bar=0
	check "BAR0 is where the source had it" \
		test "$(( dst_bar & ~0xf ))" -eq "$BAR"
	DST_REGS=$(read_regs dst)
	diag "destination registers: $DST_REGS"
	check "edu 2 has the state set on edu 1" test "$DST_REGS" = "$SRC_REGS"
	check "the destination device computes a new factorial" \
		test "$(qt dst "$(W 0x08 4)" "wait_clear $(printf '0x%x' $((BAR + 0x20))) 0x1" \
			"readl $(printf '0x%x' $((BAR + 0x08)))")" = 0x18
	check "the destination QEMU quits" qemu_quit dst
	check "instance B is released" idle "$UUID_B"
else
	not_ok "destination QEMU starts on B with -incoming: $(cat "$WORK/dst.log")"
fi
qemu_kill

kernel_quiet()
{
	! dmesg | tail -n +"$((DMESG_START + 1))" |
		grep -E 'WARNING:|BUG:|Oops|general protection|refcount_t:|UBSAN|KASAN|INFO: task .* blocked|list_(add|del) corruption'
}
check "no kernel warnings" kernel_quiet

echo "1..$ntest"
[ $nfail -eq 0 ]
