#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Live migration through real QEMUs inside the test VM, on the user space
# of either stack (tests/vm/run --stack deb12: QEMU 7.2; deb13: QEMU 10):
#
#  edu   edu-migratable instance A (first edu) goes to instance B (second
#        edu) over a unix socket, both QEMUs running; all eight registers
#        compared, B computes a new factorial; then B's state goes through
#        a file (QEMU >= 8.2 "file:", before that "exec:cat > FILE") back
#        to A, compared again, and A computes one.
#  compat  that file with its COMPAT record changed (same type, another
#        migration_compatibility, CRC fixed): the QEMU loading it on A
#        fails, the driver logs why, and the source B, which had completed,
#        resumes with "cont".
#  mock  mock-migratable instances on NVMe VFs, state set through
#        vendor/state_size and vendor/poke before QEMU opens them: a
#        destination of another type (mock-no-p2p, whose
#        migration_compatibility differs too) refuses the source's stream
#        and the source recovers; then the same source goes to a
#        mock-migratable destination, and the destination's
#        vendor/checksum equals the source's.  With pre-copy (QEMU >= 8.1,
#        kernel >= 6.2) the source and destination use switchover-ack and
#        tests/qemu/mig_proxy.py holds the destination's acknowledgement:
#        the source stays in pre-copy while the test sees query-migrate's
#        "vfio" counter reach the state size, pokes the source and sees
#        the dirty pages go out, all with the migration still active.
#  block  what the migration property does: QEMU's default (QEMU 10:
#        auto, blocked for want of dirty tracking; QEMU 7.2: off) and
#        migration asked of a type without migration.
#
# QEMU 7.2 has only the v1 migration region (no pre-copy data from
# mdev-pt, no switchover-ack, no file: URI, no vfio counter in
# query-migrate) and the experimental x-enable-migration property;
# QEMU 8.1 and later only the v2 uAPI (the data fd) and enable-migration
# (OnOffAuto, default auto).  Checks that do not apply to the running
# QEMU or kernel SKIP with the reason.  About 1.5 minutes per stack in
# the VM test bed, most of it QEMU start-up and the mock's pre-copy.
#
# Setting the edu state "beforehand": opening the device resets it, so the
# state must be written while QEMU holds it, through QEMU.  Every QEMU runs
# with "-qtest unix:SOCKET" next to TCG, and tests/migration/qtest.py sends
# qtest commands: config cycles through 0xcf8/0xcfc and readl/writel on
# the BAR, which reach the vfio-pci device exactly as guest accesses do
# (QEMU's memory core dispatches both).  The guest CPU runs SeaBIOS, which
# enumerates the bus, assigns BAR0 and enables decoding, then idles with
# "No bootable device" (logged on isa-debugcon); the test waits for that
# line before touching the device, so firmware and qtest never race on
# 0xcf8.  "-accel qtest" alone would leave the CPU out entirely, but
# Debian's QEMU (7.2 and 10) does not ship that accelerator, hence TCG plus
# the qtest chardev.  A destination restores the BAR from the migrated PCI
# config and continues the idle firmware; it never re-enumerates.  The mock
# state lives in the kernel (vendor/ attributes) and survives the open, so
# the mock QEMUs and those that only realize a device get a 64 KiB
# "firmware" of hlt instructions: no enumeration, an idle CPU.
#
# Convergence: an instance sits in its function's real IOMMU group and
# mdev-pt offers no device dirty tracking yet, so type1 reports every
# mapped guest page dirty on every sync and RAM never converges under
# QEMU's default 300 ms downtime limit; the sources get a small RAM, a
# high bandwidth and a long downtime limit (see mig_params).
#
# Runs as root inside the test VM (tests/suite); output is TAP.
# Environment: QEMU (default /usr/bin/qemu-system-x86_64),
# MDEVPT_QMP_TIMEOUT (60), MDEVPT_QEMU_VERBOSE=1 (print QEMU's logs).

set -u

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"

PROXY=$TOP/tests/qemu/mig_proxy.py
EDU_MIG=mdev_pt-edu-migratable
MOCK_MIG=mdev_pt-mock-migratable
MOCK_OTHER=mdev_pt-mock-no-p2p
MOCK_SIZE=$((4 << 20))	# the mock source's state, 4 chunks of 1 MiB
POKE_PAGES=2		# pages poked during pre-copy

ntest=0
nfail=0
ok() { ntest=$((ntest + 1)); echo "ok $ntest $*"; }
not_ok() { ntest=$((ntest + 1)); nfail=$((nfail + 1)); echo "not ok $ntest $*"; }
skip() { ntest=$((ntest + 1)); echo "ok $ntest $1 # SKIP $2"; }
check() {
	local d=$1

	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
[ -x "$QEMU" ] || { echo "1..0 # SKIP no $QEMU"; exit 0; }
[ "${MDEVPT_IN_VM:-}" = 1 ] || { echo "1..0 # SKIP runs in the test VM only"; exit 0; }

# --- what the stack offers -----------------------------------------------------
QV=$(qemu_version)
KV=$(uname -r | awk -F. '{ print $1 * 100 + $2 }')
qemu_mig_property	# the blocker of enable-migration=auto is checked below
if version_ge "$QV" 8.1; then
	V2=1
else
	V2=
fi
version_ge "$QV" 8.2 && FILE_URI=1 || FILE_URI=

# VFIO_MIGRATION events (device-state changes) came with 9.1.
version_ge "$QV" 9.1 && EVENTS=migration-events=on || EVENTS=
# Pre-copy needs the v2 uAPI in QEMU and PRE_COPY in the kernel (6.2).
[ -n "$V2" ] && [ "$KV" -ge 602 ] && PRECOPY=1 || PRECOPY=
NO_PRECOPY_WHY=
[ -n "$V2" ] || NO_PRECOPY_WHY="QEMU $QV drives the v1 region, whose RUNNING|SAVING phase hands out no pre-copy data"
[ "$KV" -ge 602 ] || NO_PRECOPY_WHY="kernel $(uname -r) has no PRE_COPY (6.2)"
diag "QEMU $QV (Debian $(debian_release)), kernel $(uname -r): $MIG_ON${PRECOPY:+, pre-copy}${FILE_URI:+, file: URIs}${EVENTS:+, migration events}"

WORK=$(mktemp -d /tmp/qemu-migration.XXXXXX) || exit 1
EDU1=$(edu_bdfs | sed -n 1p)
EDU2=$(edu_bdfs | sed -n 2p)
PF=$(nvme_pf_bdf)
VF1=
VF2=
VF3=
UUID_A=
UUID_B=
MOCK_SRC=
MOCK_DST=
MOCK_BAD=
PLAIN=
PROXY_PID=
DMESG_START=$(dmesg | wc -l)

proxy_kill()
{
	if alive "$PROXY_PID"; then
		kill "$PROXY_PID" 2> /dev/null
		wait "$PROXY_PID" 2> /dev/null
	fi
	PROXY_PID=
}

cleanup()
{
	local f

	for f in "${!PID[@]}"; do
		qemu_kill "$f"
	done
	proxy_kill
	if [ -n "${MDEVPT_QEMU_VERBOSE:-}" ]; then
		for f in "$WORK"/*.log "$WORK"/*.events; do
			[ -s "$f" ] && sed "s|^|# ${f##*/}: |" "$f"
		done
	fi
	rm -rf "$WORK"
	for f in $UUID_A $UUID_B $MOCK_SRC $MOCK_DST $MOCK_BAD $PLAIN; do
		[ -e "/sys/bus/mdev/devices/$f" ] && echo 1 > "/sys/bus/mdev/devices/$f/remove"
	done
	for f in $EDU1 $EDU2 $VF1 $VF2 $VF3; do
		pci_unbind "$f"
	done
	[ -n "$VF1" ] && vm_nvme_enable_vfs 0 "$PF" > /dev/null
}
trap cleanup EXIT

bail() { echo "Bail out! $*"; exit 1; }

[ -n "$EDU2" ] || bail "need two edu devices"
for f in mdev_pt mdev_pt_edu mdev_pt_mock; do
	modprobe $f || bail "modprobe $f"
done
for f in $EDU1 $EDU2; do
	pt_bind "$f" > /dev/null || bail "cannot bind $f to mdev_pt"
	[ -d "$(type_dir "$f" $EDU_MIG)" ] || bail "$f offers no $EDU_MIG"
done
UUID_A=$(new_uuid)
UUID_B=$(new_uuid)
echo "$UUID_A" > "$(type_dir "$EDU1" $EDU_MIG)/create" || bail "create A"
echo "$UUID_B" > "$(type_dir "$EDU2" $EDU_MIG)/create" || bail "create B"
diag "A $UUID_A on $EDU1, B $UUID_B on $EDU2"

[ -n "$PF" ] || bail "no NVMe PF"
vfs=$(vm_nvme_enable_vfs 3 "$PF") || bail "cannot enable 3 NVMe VFs"
VF1=$(echo "$vfs" | sed -n 1p)
VF2=$(echo "$vfs" | sed -n 2p)
VF3=$(echo "$vfs" | sed -n 3p)
for f in $VF1 $VF2 $VF3; do
	pt_bind "$f" > /dev/null || bail "cannot bind $f to mdev_pt"
	[ -d "$(type_dir "$f" $MOCK_MIG)" ] || bail "$f offers no $MOCK_MIG"
done
MOCK_SRC=$(new_uuid)
MOCK_DST=$(new_uuid)
MOCK_BAD=$(new_uuid)
echo "$MOCK_SRC" > "$(type_dir "$VF1" $MOCK_MIG)/create" || bail "create the mock source"
echo "$MOCK_DST" > "$(type_dir "$VF2" $MOCK_MIG)/create" || bail "create the mock destination"
echo "$MOCK_BAD" > "$(type_dir "$VF3" $MOCK_OTHER)/create" || bail "create the $MOCK_OTHER destination"
diag "mock source $MOCK_SRC on $VF1, destination $MOCK_DST on $VF2, $MOCK_OTHER $MOCK_BAD on $VF3"

# 64 KiB of hlt: the reset vector halts with interrupts off, for good.
head -c 65536 /dev/zero | tr '\0' '\364' > "$WORK/hlt.bin"

# --- QEMU ------------------------------------------------------------------------

# dev UUID [PROPERTIES]: the vfio-pci options for an instance, migration
# enabled unless PROPERTIES are given ("" for QEMU's default).
dev()
{
	local props=${2-$MIG_ON}

	echo "sysfsdev=/sys/bus/mdev/devices/$1${props:+,$props}${EVENTS:+,$EVENTS}"
}

# precopy_sent BYTES: the source mock-src is still active and QEMU counts
# at least BYTES read from the device.
precopy_sent()
{
	[ "$(mq mock-src "m.get('status') == 'active' and m.get('vfio', {}).get('transferred', 0) >= $1")" = True ]
}

NO_VFIO_STATS="QEMU $QV's query-migrate has no vfio section"

# mig_caps NAME: on QEMU >= 8.1 with pre-copy, switchover-ack (and the
# return path it needs) on both sides: the source completes only after the
# destination acknowledged the device's initial pre-copy data, so that
# data is sent, and refused or taken, while the source still runs.
mig_caps()
{
	[ -n "$PRECOPY" ] || return 0
	qmp "$1" '{"execute": "migrate-set-capabilities", "arguments": {"capabilities": [{"capability": "return-path", "state": true}, {"capability": "switchover-ack", "state": true}]}}' > /dev/null
}

# The device states of NAME's VFIO_MIGRATION events, in order, one line.
dev_states()
{
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == "VFIO_MIGRATION":
        print(e["data"]["device-state"], end=" ")
print()' "$WORK/$1.events"
}

# Nobody holds the instance: its group opens.
idle()
{
	local grp

	grp=$(iommu_group_of "/sys/bus/mdev/devices/$1")
	( exec 3<> "/dev/vfio/$grp" ) 2> /dev/null
}

# dmesg_since LINE: the kernel log after its first LINE lines.
dmesg_since() { dmesg | tail -n +"$(($1 + 1))"; }

hit() { grep -qF -- "$2" "$WORK/$1"; }

# --- edu over a socket, then through a file --------------------------------------
SEED=$(( (RANDOM << 8 | RANDOM) & 0xffffff ))
LIVE=$(( 0x11000000 | SEED ))
FACT=$(( 5 + SEED % 6 ))

# dst_checks NAME WANT_REGS N: a destination that loaded edu registers:
# it runs, BAR0 is where the source had it, the registers are WANT_REGS,
# and it computes N!.
edu_dst_checks()
{
	local n=$1 status dst_bar regs

	wait_for 180 eval '[ "$(run_status "$n")" != inmigrate ]'
	status=$(run_status "$1")
	check "$1: the incoming migration completes and the VM runs ($status)" \
		test "$status" = running
	[ "$status" = running ] || diag "$(cat "$WORK/$1.log")"
	dst_bar=$(bar0 "$1") || dst_bar=0
	check "$1: BAR0 is where the source had it" \
		test "$(( dst_bar & ~0xf ))" -eq "$BAR"
	regs=$(read_regs "$1")
	diag "$1 registers: $regs"
	check "$1: the edu has the registers the source had" test "$regs" = "$2"
	check "$1: the device computes $3! afterwards" \
		test "$(factorial "$1" "$3")" = "$(fact "$3")"
}

if qemu_start edu-a "$(dev "$UUID_A")"; then
	ok "edu-a: QEMU $QV realizes vfio-pci,sysfsdev=A,$MIG_ON"
else
	not_ok "edu-a: QEMU $QV realizes vfio-pci,sysfsdev=A,$MIG_ON: $(cat "$WORK/edu-a.log")"
	echo "1..$ntest"
	exit 1
fi
if [ -n "$V2" ] && dirty_supported "$UUID_A"; then
	check "edu-a: QEMU finds the device's dirty tracking (no warning)" \
		eval '! grep -qF "VFIO device doesn'"'"'t support device and IOMMU dirty tracking" "$WORK/edu-a.log"'
elif [ -n "$V2" ]; then
	check "edu-a: QEMU warns that it has no dirty tracking for the device" \
		hit edu-a.log "$UUID_A: VFIO device doesn't support device and IOMMU dirty tracking"
fi
check "edu-a: the firmware enumerates and idles" \
	wait_for 180 grep -q "No bootable device" "$WORK/edu-a.bios.log"
diag "firmware idle after ${SECONDS}s"
BAR=$(( $(bar0 edu-a) & ~0xf ))
diag "BAR0 at $(printf '0x%x' $BAR)"
check "edu-a: BAR0 is assigned" test "$BAR" -ne 0

qt edu-a "$(W 0x20 0)" "$(W 0x04 $LIVE)" "$(W 0x08 $FACT)" \
	"wait_clear $(printf '0x%x' $((BAR + 0x20))) 0x1" \
	"$(W 0x20 0x80)" "$(W 0x60 $(( 0x00400000 | (SEED & 0xff) << 8 )))" \
	"$(W 0x80 $(( 0x30000 + (SEED & 0xfff) * 16 )))" "$(W 0x88 0x40010)" \
	"$(W 0x90 $(( 32 + SEED % 200 )))" > /dev/null ||
	not_ok "program the device through qtest"
SRC_REGS=$(read_regs edu-a)
diag "edu-a registers ($REGS): $SRC_REGS"
check "edu-a: the liveness register reads ~value through QEMU" \
	test "$(echo "$SRC_REGS" | cut -d' ' -f1)" = "$(printf '0x%x' $(( ~LIVE & 0xffffffff )))"
check "edu-a: the factorial is computed through QEMU" \
	test "$(echo "$SRC_REGS" | cut -d' ' -f2)" = "$(fact $FACT)"

# A -> B over a unix socket, both QEMUs running.
if ! qemu_start edu-b "$(dev "$UUID_B")" -incoming defer ||
   ! incoming edu-b "unix:$WORK/edu.sock"; then
	not_ok "edu-b: QEMU on B listens for the migration on a unix socket: $(cat "$WORK/edu-b.log")"
	echo "1..$ntest"
	exit 1
fi
ok "edu-b: QEMU on B listens for the migration on a unix socket"
mig_params edu-a
t0=$SECONDS
migrate edu-a "unix:$WORK/edu.sock"
status=$(mig_wait edu-a 300)
check "edu-a: migrate \"unix:SOCKET\" to B completes ($status)" test "$status" = completed
diag "edu A->B socket: $(mig_summary edu-a), wall $((SECONDS - t0)) s"
[ "$status" = completed ] || diag "$(qmp edu-a query-migrate) $(cat "$WORK/edu-a.log")"
sent=$(vfio_sent edu-a)
if [ -n "$V2" ] || [ "$sent" != -1 ]; then
	check "edu-a: query-migrate counts the device's bytes (vfio.transferred $sent > 0)" \
		test "$sent" -gt 0
else
	skip "edu-a: query-migrate counts the device's bytes" "$NO_VFIO_STATS"
fi
check "edu-a: the source is postmigrate" test "$(run_status edu-a)" = postmigrate
check "edu-a: the source QEMU quits" qemu_quit edu-a
check "instance A is released" idle "$UUID_A"
edu_dst_checks edu-b "$SRC_REGS" 4
qemu_kill edu-a

# B -> a file, as it is on B now.
B_REGS=$(read_regs edu-b)
if [ -n "$FILE_URI" ]; then
	URI="file:$WORK/edu.stream"
	IN_URI=$URI
else
	URI="exec:cat > $WORK/edu.stream"
	IN_URI="exec:cat $WORK/edu.stream"
fi
mig_params edu-b
t0=$SECONDS
migrate edu-b "$URI"
status=$(mig_wait edu-b 300)
check "edu-b: migrate \"${URI%%:*}:\" to a file completes ($status)" test "$status" = completed
diag "edu B->file: $(mig_summary edu-b), wall $((SECONDS - t0)) s, file $(stat -c %s "$WORK/edu.stream" 2> /dev/null) bytes"
check "edu-b: the source is postmigrate" test "$(run_status edu-b)" = postmigrate

# --- the same file with another compatibility string ------------------------------
COMPAT=$(cat "/sys/bus/mdev/devices/$UUID_A/migration_compatibility")
OTHER=${COMPAT%?}9
[ "$OTHER" != "$COMPAT" ] || OTHER=${COMPAT%?}8
# The device's stream is in the file as QEMU read it from the device:
# HEADER, TYPE, COMPAT records (struct mdev_pt_mig_record: le32 tag,
# le32 crc32 of the payload, le64 length, payload).  Same length, so
# QEMU's framing still holds; the record's CRC is made right again.
python3 - "$WORK/edu.stream" "$WORK/edu-other.stream" "$COMPAT" "$OTHER" <<'EOF'
import struct, sys, zlib

data = bytearray(open(sys.argv[1], "rb").read())
old, new = sys.argv[3].encode(), sys.argv[4].encode()
rec = struct.pack("<IIQ", 3, zlib.crc32(old), len(old)) + old
i = data.find(rec)
if i < 0 or data.find(rec, i + 1) >= 0:
    sys.exit("no single COMPAT record \"%s\" in the stream" % sys.argv[3])
data[i:i + len(rec)] = struct.pack("<IIQ", 3, zlib.crc32(new), len(new)) + new
open(sys.argv[2], "wb").write(data)
EOF
check "the stream file has one COMPAT record, now \"$OTHER\"" test -s "$WORK/edu-other.stream"
mark=$(dmesg | wc -l)
if [ "${IN_URI#file:}" != "$IN_URI" ]; then
	BAD_URI="file:$WORK/edu-other.stream"
else
	BAD_URI="exec:cat $WORK/edu-other.stream"
fi
if qemu_start edu-other "$(dev "$UUID_A")" -incoming "$BAD_URI" ||
   [ -s "$WORK/edu-other.log" ]; then
	qemu_exited edu-other 120
	check "edu-other: the QEMU loading it on A fails and exits (status $RC)" \
		eval '[ "$RC" != running ] && [ "$RC" -ne 0 ]'
	check "edu-other: QEMU says the load failed" \
		hit edu-other.log "load of migration failed"
	sed 's/^/# edu-other: /' "$WORK/edu-other.log"
	check "the driver logs the other compatibility string" \
		eval 'dmesg_since $mark | grep -qF "migration stream refused: compatibility \"$OTHER\", this instance has \"$COMPAT\""'
	dmesg_since "$mark" | grep -F "refused" | sed 's/^/# dmesg: /'
else
	not_ok "edu-other: QEMU starts with -incoming"
fi
qemu_kill edu-other
check "instance A is released after the refused load" idle "$UUID_A"
# The source completed before anyone read the file: it resumes.
qmp edu-b cont > /dev/null
check "edu-b: the source resumes with cont ($(run_status edu-b))" \
	test "$(run_status edu-b)" = running
check "edu-b: its device computes 6! after resuming" \
	test "$(factorial edu-b 6)" = "$(fact 6)"
check "edu-b: the QEMU on B quits" qemu_quit edu-b
check "instance B is released" idle "$UUID_B"

# The real file back onto A.
if qemu_start edu-a2 "$(dev "$UUID_A")" -incoming "$IN_URI"; then
	ok "edu-a2: QEMU on A loads the file (-incoming ${IN_URI%%:*}:)"
	edu_dst_checks edu-a2 "$B_REGS" 7
	check "edu-a2: the QEMU on A quits" qemu_quit edu-a2
	check "instance A is released" idle "$UUID_A"
else
	not_ok "edu-a2: QEMU on A loads the file: $(cat "$WORK/edu-a2.log")"
fi
qemu_kill edu-a2

# --- mock: a foreign destination, then pre-copy ---------------------------------
mock_attr() { cat "/sys/bus/mdev/devices/$1/vendor/$2"; }
poke() { echo "$2 $3" > "/sys/bus/mdev/devices/$1/vendor/poke"; }

echo $MOCK_SIZE > "/sys/bus/mdev/devices/$MOCK_SRC/vendor/state_size" ||
	not_ok "set the mock source's state_size"
poke "$MOCK_SRC" 0 4096
poke "$MOCK_SRC" $((MOCK_SIZE / 2 + 100)) 5000
poke "$MOCK_SRC" $((MOCK_SIZE - 8)) 8
SUM0=$(mock_attr "$MOCK_SRC" checksum)
DST0=$(mock_attr "$MOCK_DST" checksum)
diag "mock source: $MOCK_SIZE bytes, checksum $SUM0; destination checksum $DST0"

if qemu_start mock-src "$(dev "$MOCK_SRC")" -bios "$WORK/hlt.bin"; then
	ok "mock-src: QEMU realizes the mock source ($MIG_ON)"
else
	not_ok "mock-src: QEMU realizes the mock source: $(cat "$WORK/mock-src.log")"
fi
check "mock-src: the state survives the open (checksum $SUM0)" \
	test "$(mock_attr "$MOCK_SRC" checksum)" = "$SUM0"
mig_params mock-src
mig_caps mock-src

# To the mock-no-p2p instance: its type, and so its migration_compatibility,
# differ; the driver checks the TYPE record, which comes first.
mark=$(dmesg | wc -l)
if qemu_start mock-bad "$(dev "$MOCK_BAD")" -bios "$WORK/hlt.bin" -incoming defer &&
   mig_caps mock-bad && incoming mock-bad "unix:$WORK/mock-bad.mig"; then
	ok "mock-bad: QEMU on the $MOCK_OTHER instance listens"
	check "the destination's migration_compatibility differs" test \
		"$(cat "/sys/bus/mdev/devices/$MOCK_BAD/migration_compatibility")" != \
		"$(cat "/sys/bus/mdev/devices/$MOCK_SRC/migration_compatibility")"
	migrate mock-src "unix:$WORK/mock-bad.mig"
	qemu_exited mock-bad 180
	check "mock-bad: the destination fails to load the device state and exits (status $RC)" \
		eval '[ "$RC" != running ] && [ "$RC" -ne 0 ]'
	check "mock-bad: QEMU says the load failed" hit mock-bad.log "load of migration failed"
	sed 's/^/# mock-bad: /' "$WORK/mock-bad.log"
	check "the driver logs the foreign stream" \
		eval 'dmesg_since $mark | grep -qF "migration stream refused: type \"${MOCK_MIG#mdev_pt-}\", this instance has \"${MOCK_OTHER#mdev_pt-}\""'
	dmesg_since "$mark" | grep -F "refused" | sed 's/^/# dmesg: /'
	status=$(mig_wait mock-src 180)
	diag "mock-src -> $MOCK_OTHER: $(mig_summary mock-src)"
	if [ -n "$PRECOPY" ]; then
		# switchover-ack: the source cannot have stopped.
		check "mock-src: the source's migration fails ($status)" test "$status" = failed
		check "mock-src: the source keeps running" test "$(run_status mock-src)" = running
	else
		# No pre-copy data: the source may have completed before the
		# destination read the device state; then it resumes.
		diag "mock-src: migration $status ($NO_PRECOPY_WHY)"
		[ "$status" = completed ] && qmp mock-src cont > /dev/null
		check "mock-src: the source runs again ($status)" \
			test "$(run_status mock-src)" = running
	fi
	[ -n "$EVENTS" ] && diag "mock-src device states: $(dev_states mock-src)"
	if [ -n "$EVENTS" ] && [ -n "$PRECOPY" ]; then
		check "mock-src: the device went to pre-copy and back to running" \
			eval '[[ "$(dev_states mock-src)" =~ pre-copy.*running ]]'
	fi
	check "mock-src: the source's state is intact" \
		test "$(mock_attr "$MOCK_SRC" checksum)" = "$SUM0"
	poke "$MOCK_SRC" 12288 4096
	SUM1=$(mock_attr "$MOCK_SRC" checksum)
	check "mock-src: the source's device runs (a poke applies at once)" test "$SUM1" != "$SUM0"
else
	not_ok "mock-bad: QEMU on the $MOCK_OTHER instance listens: $(cat "$WORK/mock-bad.log")"
fi
qemu_kill mock-bad
check "the $MOCK_OTHER instance is released" idle "$MOCK_BAD"

# The same source to a mock-migratable destination.
if qemu_start mock-dst "$(dev "$MOCK_DST")" -bios "$WORK/hlt.bin" -incoming defer &&
   mig_caps mock-dst && incoming mock-dst "unix:$WORK/mock-dst.mig"; then
	ok "mock-dst: QEMU on the $MOCK_MIG destination listens"
	t0=$SECONDS
	if [ -n "$PRECOPY" ]; then
		# Between the two, a proxy holds the destination's return path,
		# and with it the switchover ack: the source stays in pre-copy
		# until the hold file goes.
		touch "$WORK/hold"
		"$PROXY" "$WORK/mock-proxy.mig" "$WORK/mock-dst.mig" "$WORK/hold" \
			> "$WORK/proxy.log" 2>&1 &
		PROXY_PID=$!
		wait_for 30 test -S "$WORK/mock-proxy.mig"
		migrate mock-src "unix:$WORK/mock-proxy.mig"
		check "mock-src: while active, query-migrate counts the initial state sent (vfio.transferred >= $MOCK_SIZE)" \
			wait_for 180 precopy_sent $MOCK_SIZE
		sent1=$(vfio_sent mock-src)
		diag "pre-copy: $(mig_summary mock-src) after $((SECONDS - t0)) s"
		if [ -n "$EVENTS" ]; then
			check "mock-src: the device is in pre-copy ($(dev_states mock-src))" \
				eval '[[ "$(dev_states mock-src)" =~ pre-copy\ $ ]]'
		else
			skip "mock-src: the device is in pre-copy" "QEMU $QV has no VFIO_MIGRATION events (9.1)"
		fi
		poke "$MOCK_SRC" $((MOCK_SIZE / 4)) $((POKE_PAGES * 4096))
		check "mock-src: a poke during pre-copy goes out as dirty data while still active (vfio.transferred >= $sent1 + $((POKE_PAGES * 4096)))" \
			wait_for 120 precopy_sent $((sent1 + POKE_PAGES * 4096))
		diag "after the poke: $(mig_summary mock-src)"
		rm -f "$WORK/hold"
		t1=$SECONDS
		want=$((MOCK_SIZE + POKE_PAGES * 4096))
	else
		for f in "while active, query-migrate counts the initial state sent" \
			 "the device is in pre-copy" \
			 "a poke during pre-copy goes out as dirty data while still active"; do
			skip "mock-src: $f" "$NO_PRECOPY_WHY"
		done
		migrate mock-src "unix:$WORK/mock-dst.mig"
		want=$MOCK_SIZE
	fi
	status=$(mig_wait mock-src 300)
	check "mock-src: the migration to $MOCK_MIG completes ($status)" test "$status" = completed
	diag "mock-src -> $MOCK_MIG: $(mig_summary mock-src), wall $((SECONDS - t0)) s${PRECOPY:+, $((SECONDS - t1)) s after the hold}"
	[ -n "$EVENTS" ] && diag "device states: source $(dev_states mock-src); destination $(dev_states mock-dst)"
	sent=$(vfio_sent mock-src)
	if [ -n "$V2" ] || [ "$sent" != -1 ]; then
		check "mock-src: query-migrate counts the whole state (vfio.transferred $sent >= $want)" \
			test "$sent" -ge "$want"
	else
		skip "mock-src: query-migrate counts the whole state" "$NO_VFIO_STATS"
	fi
	check "mock-src: the source is postmigrate" test "$(run_status mock-src)" = postmigrate
	wait_for 120 eval '[ "$(run_status mock-dst)" != inmigrate ]'
	status=$(run_status mock-dst)
	check "mock-dst: the incoming migration completes and the VM runs ($status)" \
		test "$status" = running
	[ "$status" = running ] || diag "$(cat "$WORK/mock-dst.log")"
	src_sum=$(mock_attr "$MOCK_SRC" checksum)
	dst_sum=$(mock_attr "$MOCK_DST" checksum)
	diag "checksums: source $src_sum, destination $dst_sum (before: $DST0)"
	check "mock-dst: the destination's checksum is the source's" \
		eval '[ "$dst_sum" = "$src_sum" ] && [ "$dst_sum" != "$DST0" ]'
	check "mock-dst: the destination took the source's state size" \
		test "$(mock_attr "$MOCK_DST" state_size)" = $MOCK_SIZE
	check "mock-src: the source QEMU quits" qemu_quit mock-src
	check "mock-dst: the destination QEMU quits" qemu_quit mock-dst
	[ -n "$PROXY_PID" ] && wait_for 30 eval '! alive "$PROXY_PID"' &&
		diag "$(cat "$WORK/proxy.log")"
	check "the mock instances are released" eval 'idle "$MOCK_SRC" && idle "$MOCK_DST"'
else
	not_ok "mock-dst: QEMU on the $MOCK_MIG destination listens: $(cat "$WORK/mock-dst.log")"
fi
qemu_kill mock-src
qemu_kill mock-dst
proxy_kill

# --- the migration property ---------------------------------------------------------
# QEMU's default on a migratable instance.
if [ -n "$V2" ]; then
	BLOCKER="$UUID_A: VFIO device doesn't support device and IOMMU dirty tracking"
	what="enable-migration=auto"
else
	BLOCKER="VFIO device doesn't support migration"
	what="x-enable-migration=off"
fi
if [ -n "$V2" ] && dirty_supported "$UUID_A" &&
   qemu_start default "$(dev "$UUID_A" "")" -bios "$WORK/hlt.bin"; then
	# With device dirty tracking the default mode migrates: no blocker.
	check "default: QEMU's default ($what) does not block migration (device dirty tracking)" \
		eval '[ -z "$(mq default "\"\".join(m.get(\"blocked-reasons\", []))")" ]'
	qmp default "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"exec:cat > /dev/null\"}}" \
		> /dev/null 2> "$WORK/default.err"
	status=$(mig_wait default 300)
	diag "default: $(mig_summary default)"
	check "default: migrates in the default mode ($status)" test "$status" = completed
	check "default: QEMU quits" qemu_quit default
elif qemu_start default "$(dev "$UUID_A" "")" -bios "$WORK/hlt.bin"; then
	check "default: QEMU's default ($what) blocks migration: \"$BLOCKER\"" \
		eval 'mq default "m.get(\"blocked-reasons\", [])" | grep -qF "$BLOCKER"'
	qmp default "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"exec:cat > /dev/null\"}}" \
		> /dev/null 2> "$WORK/default.err"
	diag "default: $(cat "$WORK/default.err")"
	check "default: migrate fails with that reason" hit default.err "$BLOCKER"
	check "default: the VM keeps running" test "$(run_status default)" = running
	check "default: QEMU quits" qemu_quit default
else
	not_ok "default: QEMU starts on A with the default: $(cat "$WORK/default.log")"
fi
qemu_kill default

# Migration asked of an instance without migration, on VF 3.
echo 1 > "/sys/bus/mdev/devices/$MOCK_BAD/remove"
PLAIN=$(new_uuid)
if [ "$(uuid_create "$(type_dir "$VF3")/create" "$PLAIN")" = OK ]; then
	if [ -n "$V2" ]; then
		qemu_start plain "$(dev "$PLAIN")" -bios "$WORK/hlt.bin"
		qemu_exited plain 60
		grep -F "$PLAIN" "$WORK/plain.log" | sed 's/^/# plain: /'
		check "plain: $MIG_ON on $PT_TYPE: QEMU refuses to start (status $RC)" \
			eval '[ "$RC" != running ] && [ "$RC" -ne 0 ] && hit plain.log "VFIO migration is not supported in kernel"'
	else
		qemu_start plain "$(dev "$PLAIN")" -bios "$WORK/hlt.bin"
		check "plain: $MIG_ON on $PT_TYPE: QEMU $QV starts with a blocker instead" \
			eval 'mq plain "m.get(\"blocked-reasons\", [])" | grep -qF "VFIO device doesn'"'"'t support migration"'
	fi
else
	not_ok "a $PT_TYPE instance on $VF3"
fi
qemu_kill plain

kernel_quiet()
{
	! dmesg_since "$DMESG_START" |
		grep -E 'WARNING:|BUG:|Oops|general protection|refcount_t:|UBSAN|KASAN|INFO: task .* blocked|list_(add|del) corruption'
}
check "no kernel warnings" kernel_quiet

echo "1..$ntest"
[ $nfail -eq 0 ]
