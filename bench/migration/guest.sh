#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs inside the VM test bed (bench/migration/run starts it on 6.1 with the
# Debian 13 stack): live migration of idle nested guests, QEMU 10 with its
# default migration parameters, over a unix socket, with and without an
# edu-migratable instance and its device dirty tracking; see
# bench/migration/README.md for what is measured and how to read it.  The
# report goes to stdout, progress to stderr.
#
# Knobs (MDEVPT_BENCH_DIRTY_*): SIZES guest sizes in MiB ("256 1024"),
# REPS runs of (a) and (b) per size (5), CAP seconds a migration may stay
# active before it counts as not converging (180), RATES the device's
# write rates in pages/s ("10 100 1000"; "max": as fast as the edu goes,
# about 20), RATE_SIZE the guest size of those runs (256), CASES the cases
# run ("a b c"), QEMU_ARGS extra arguments for the source QEMU (e.g.
# "-trace migrate_pending_exact"; its log's first and last lines go to
# stderr); MDEVPT_BENCH_COMMIT and MDEVPT_BENCH_DATE for the report.

set -u

. "$(dirname "$0")/../../tests/lib/common.sh"
. "$TOP/tests/qemu/lib.sh"

HERE=$TOP/bench/migration
MIGMON=$HERE/migmon.py
DMA=$HERE/dma.py
EDU_MIG=mdev_pt-edu-migratable
SIZES=${MDEVPT_BENCH_DIRTY_SIZES:-256 1024}
REPS=${MDEVPT_BENCH_DIRTY_REPS:-5}
CAP=${MDEVPT_BENCH_DIRTY_CAP:-180}
RATES=${MDEVPT_BENCH_DIRTY_RATES:-10 100 1000}
RATE_SIZE=${MDEVPT_BENCH_DIRTY_RATE_SIZE:-256}
CASES=${MDEVPT_BENCH_DIRTY_CASES:-a b c}
read -ra SRC_ARGS <<< "${MDEVPT_BENCH_DIRTY_QEMU_ARGS:-}"
BAR=0xc0000000		# where the benchmark puts the edu's BAR0
FILL=0x5a		# every guest page above 1 MiB holds this byte
CHUNK=$((64 << 20))	# qtest memset per command

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root"
[ "${MDEVPT_IN_VM:-}" = 1 ] || die "runs in the VM test bed only (bench/migration/run)"
[ -x "$QEMU" ] || die "no $QEMU"

WORK=$(mktemp -d /tmp/bench-dirty.XXXXXX) || exit 1
EDU1=$(edu_bdfs | sed -n 1p)
EDU2=$(edu_bdfs | sed -n 2p)
UUID_A=
UUID_B=
DMA_PID=

cleanup()
{
	local f

	[ -n "$DMA_PID" ] && alive "$DMA_PID" && kill "$DMA_PID" 2> /dev/null
	for f in "${!PID[@]}"; do
		qemu_kill "$f"
	done
	for f in $UUID_A $UUID_B; do
		[ -e "/sys/bus/mdev/devices/$f" ] && echo 1 > "/sys/bus/mdev/devices/$f/remove"
	done
	for f in $EDU1 $EDU2; do
		pci_unbind "$f"
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

[ -n "$EDU2" ] || die "need two edu devices"
modprobe mdev_pt || die "modprobe mdev_pt"
modprobe mdev_pt_edu || die "modprobe mdev_pt_edu"
for f in $EDU1 $EDU2; do
	pt_bind "$f" > /dev/null || die "cannot bind $f to mdev_pt"
done
UUID_A=$(new_uuid)
UUID_B=$(new_uuid)
echo "$UUID_A" > "$(type_dir "$EDU1" $EDU_MIG)/create" || die "create A on $EDU1"
echo "$UUID_B" > "$(type_dir "$EDU2" $EDU_MIG)/create" || die "create B on $EDU2"
DIRTY_A=/sys/kernel/debug/mdev_pt/$EDU1/$UUID_A/migration/dirty
# 64 KiB of hlt: the reset vector halts with interrupts off, for good; no
# firmware touches RAM or the device, the benchmark assigns BAR0 itself.
head -c 65536 /dev/zero | tr '\0' '\364' > "$WORK/hlt.bin"

# Nobody holds the instance: its group opens.
idle()
{
	local grp

	grp=$(iommu_group_of "/sys/bus/mdev/devices/$1")
	( exec 3<> "/dev/vfio/$grp" ) 2> /dev/null
}

# guest NAME MIB DEVOPTS [ARGS...]: a nested guest of MIB MiB on the hlt
# firmware, with QMP (NAME.qmp, and NAME.qmp2 for dma.py), qtest, and the
# edu instance given by DEVOPTS ("" for none) in slot $SLOT.  Its RAM is
# allocated up front (-mem-prealloc), as vfio's pinning does anyway for a
# QEMU with a device: else a destination without one faults its RAM in
# during the migration, which under nested TCG made (a) the slowest case.
guest()
{
	local name=$1 mib=$2 devopts=$3

	shift 3
	rm -f "$WORK/$name".{qmp,qmp2,qt,log}
	"$QEMU" -M q35 -accel tcg -m "$mib" -mem-prealloc -nodefaults -display none \
		-bios "$WORK/hlt.bin" \
		-qmp "unix:$WORK/$name.qmp,server=on,wait=off" \
		-qmp "unix:$WORK/$name.qmp2,server=on,wait=off" \
		-qtest "unix:$WORK/$name.qt,server=on,wait=off" -qtest-log /dev/null \
		${devopts:+-device "vfio-pci,$devopts,bus=pcie.0,addr=$SLOT.0,id=dev0"} \
		"$@" < /dev/null > "$WORK/$name.log" 2>&1 &
	PID[$name]=$!
	wait_for "$QMP_TIMEOUT" eval "qmp $name query-status > /dev/null 2>&1 || ! alive ${PID[$name]}"
	alive "${PID[$name]}" || { log "$name: QEMU failed: $(cat "$WORK/$name.log")"; return 1; }
}

# dirty_counter NAME: instance A's dirty-logging counter NAME (debugfs).
dirty_counter()
{
	awk -v k="$1" '$1 == k { print $2 }' "$DIRTY_A" 2> /dev/null || echo 0
}

# case_run SIZE CASE REP RATE [MIGMON ARGS...]: one migration.  CASE: a (no
# device), b (device dirty tracking, QEMU's default), c (type1 all-dirty:
# x-device-dirty-page-tracking=off,enable-migration=on).  RATE: the
# device's writes in pages/s ("0": none).  Leaves $WORK/rN.* for the
# report: .meta (SIZE CASE REP RATE, and instance A's report counters),
# .mig (migmon.py's JSON), .dma (dma.py's log), .verify, .trace (QEMU's
# trace lines at the cap); N is $NRUN.
NRUN=0
case_run()
{
	local size=$1 case=$2 rep=$3 rate=$4 devsrc="" devdst="" i r0 p0 out

	shift 4
	NRUN=$((NRUN + 1))
	out=$WORK/r$NRUN
	case $case in
	b) devsrc="sysfsdev=/sys/bus/mdev/devices/$UUID_A"
	   devdst="sysfsdev=/sys/bus/mdev/devices/$UUID_B" ;;
	c) devsrc="sysfsdev=/sys/bus/mdev/devices/$UUID_A,x-device-dirty-page-tracking=off,enable-migration=on"
	   devdst="sysfsdev=/sys/bus/mdev/devices/$UUID_B,x-device-dirty-page-tracking=off,enable-migration=on" ;;
	esac
	if [ -n "$devsrc" ]; then
		wait_for 30 eval 'idle $UUID_A && idle $UUID_B' || die "the instances stay busy"
	fi
	log "run $NRUN: $size MiB ($case) #$rep, device writes $rate pages/s${*:+, $*}"
	guest dst "$size" "$devdst" -incoming defer || die "destination"
	incoming dst "unix:$WORK/mig.sock" || die "migrate-incoming"
	guest src "$size" "$devsrc" "${SRC_ARGS[@]}" || die "source"
	if [ -n "$devsrc" ]; then
		qt src "pci_bar0 $SLOT $BAR" > /dev/null || die "BAR0"
	fi
	for ((i = 1 << 20; i < size << 20; i += CHUNK)); do
		qt src "memset $i $(( (size << 20) - i < CHUNK ? (size << 20) - i : CHUNK )) $FILL" > /dev/null ||
			die "fill the guest's RAM"
	done
	r0=$(dirty_counter reports)
	p0=$(dirty_counter pages)
	if [ "$rate" != 0 ]; then
		python3 "$DMA" run "$WORK/src.qt" "$WORK/src.qmp2" $BAR "$rate" "$out.dma" --ram "$size" &
		DMA_PID=$!
		sleep 1		# a few DMAs before the migration starts
	fi
	python3 "$MIGMON" "$WORK/src.qmp" "unix:$WORK/mig.sock" --cap "$CAP" "$@" > "$out.mig"
	if [ -n "$DMA_PID" ]; then
		alive "$DMA_PID" && kill "$DMA_PID"
		wait "$DMA_PID"
		DMA_PID=
	fi
	if [ "$(mq src 'm.get("status")')" = completed ]; then
		wait_for 120 eval '[ "$(run_status dst)" = running ]' ||
			log "the destination does not run: $(run_status dst)"
		if [ "$rate" != 0 ]; then
			python3 "$DMA" verify "$WORK/dst.qt" "$out.dma" > "$out.verify"
		fi
	fi
	echo "$size $case $rep $rate $(( $(dirty_counter reports) - r0 )) $(( $(dirty_counter pages) - p0 ))" > "$out.meta"
	log "run $NRUN: $(mig_summary src), dirty-sync-count $(mq src 'm.get("ram", {}).get("dirty-sync-count")')$([ -s "$out.verify" ] && echo ", $(cat "$out.verify")")"
	# What migmon.py traced at the cap, if it got there.
	grep -E "^(migrate_transferred|migrate_pending_exact|vfio_state_pending_exact|migration_thread_low_pending) " \
		"$WORK/src.log" | tail -n 8 > "$out.trace"
	for i in src dst; do
		grep -v "doesn't support device and IOMMU dirty tracking\|^migrate_transferred \|pending_exact \|low_pending " "$WORK/$i.log" |
			awk -v n="bench: $i:" 'NR <= 20 { print n, $0 } { t[NR % 10] = $0 }
				END { if (NR > 20) print n, "... (" NR " lines)"
				      for (i = NR - 9; i <= NR; i++) if (i > 20) print n, t[i % 10] }' >&2
	done
	qemu_kill src
	qemu_kill dst
}

T0=$SECONDS
for size in $SIZES; do
	for ((rep = 1; rep <= REPS; rep++)); do
		for c in a b; do
			[[ " $CASES " == *" $c "* ]] && case_run "$size" $c "$rep" 0
		done
	done
	[[ " $CASES " == *" c "* ]] || continue
	# All-dirty under QEMU's default downtime limit, up to the cap; then
	# with a limit from what that run measured: 1.5 x the time to send the
	# whole RAM at its average rate, rounded up to a second (raised again,
	# to twice that, if it still does not complete within the cap).
	case_run "$size" c 1 0
	limit=$(python3 -c '
import json, math, sys
r = json.load(open(sys.argv[1]))
m = r.get("capped") or r["final"]
bw = m["ram"]["transferred"] / max(m["total-time"], 1)	# bytes per ms
print(int(math.ceil(1.5 * m["ram"]["total"] / bw / 1000)) * 1000)' "$WORK/r$NRUN.mig") ||
		limit=60000
	case_run "$size" c 2 0 --downtime-limit "$limit" --raise-to $((2 * limit))
done
for rate in $RATES; do
	case_run "$RATE_SIZE" b 1 "$rate"
done
ELAPSED=$((SECONDS - T0))

# --- the report ----------------------------------------------------------------
{
	echo "mdev-pt migration with device dirty tracking (bench/migration/README.md tells how to read it)"
	echo "date:    ${MDEVPT_BENCH_DATE:-$(date -u '+%Y-%m-%d %H:%M UTC')}"
	echo "kernel:  $(uname -r) (test VM: 2 vCPUs, $(awk '/MemTotal/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo))"
	echo "QEMU:    $(qemu_version) (Debian $(debian_release)); nested guests: TCG, q35, hlt firmware"
	echo "commit:  ${MDEVPT_BENCH_COMMIT:-unknown}"
	echo "runs:    (a) and (b) ${REPS}x per size, (c) once per downtime limit and size,"
	echo "         each device write rate once; cap $CAP s per migration; $ELAPSED s in all"
} > "$WORK/header"
python3 "$HERE/report.py" "$WORK" "$FILL" "$RATE_SIZE"
