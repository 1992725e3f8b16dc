# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# An edu domain for tests/mgmt/libvirt.sh, whose device the test reads and
# writes through QEMU; the numbers of libvirt's jobs.  Sourced after
# tests/lib/common.sh and tests/mgmt/lib.sh.
#
# <hostdev mode='subsystem' type='mdev' model='vfio-pci'> on an
# edu-migratable instance and nothing else: no disk, no guest OS, no
# <qemu:override>, so QEMU realizes vfio-pci in its default migration
# mode (QEMU 8.1 and later: enable-migration=auto, which migrates only
# with device or IOMMU dirty tracking; 7.2: x-enable-migration=off).
# Opening the device resets it, so its registers can only be set while
# QEMU holds it, through QEMU, and there is no guest to do it.  The
# domain's <qemu:commandline> (which sets no property of the device)
# gives QEMU a qtest socket and the firmware's debug console, as
# tests/qemu/qemu_migration.sh does without libvirt: SeaBIOS enumerates
# the bus, assigns BAR0 (behind the pcie-root-port libvirt put the
# hostdev on) and idles with "No bootable device"; then
# tests/migration/qtest.py's readl/writel reach the device exactly as
# guest accesses do.  BAR0's address comes from QMP query-pci.  The
# firmware leaves bus mastering off: before the device can DMA, the test
# sets it with a config cycle (0xcf8/0xcfc), as a guest driver would.

QTEST_PY=$TOP/tests/migration/qtest.py
# The registers edu-migratable migrates (its ABI document).
EDU_REGS="0x04 0x08 0x20 0x24 0x80 0x88 0x90 0x98"

# edu_domain_xml NAME DOMUUID MDEVUUID DIR: the domain, qtest on DIR/qt.sock,
# the firmware's debug console in DIR/bios.log.
edu_domain_xml()
{
	cat <<EOX
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$1</name>
  <uuid>$2</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <hostdev mode='subsystem' type='mdev' model='vfio-pci'>
      <source><address uuid='$3'/></source>
    </hostdev>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-qtest'/>
    <qemu:arg value='unix:$4/qt.sock,server=on,wait=off'/>
    <qemu:arg value='-qtest-log'/>
    <qemu:arg value='/dev/null'/>
    <qemu:arg value='-chardev'/>
    <qemu:arg value='file,id=mdevptdbg,path=$4/bios.log'/>
    <qemu:arg value='-device'/>
    <qemu:arg value='isa-debugcon,iobase=0x402,chardev=mdevptdbg'/>
  </qemu:commandline>
</domain>
EOX
}

# edu_dir DIR: an empty directory QEMU (user libvirt-qemu) can write to.
edu_dir()
{
	rm -rf "$1"
	mkdir -p "$1" && chmod 1777 "$1"
}

# qt DIR COMMAND...: qtest commands to the QEMU of DIR; prints what they read.
qt()
{
	"$QTEST_PY" "$1/qt.sock" "${@:2}"
}

# edu_wait_idle DIR: the firmware has enumerated the bus and idles.
edu_wait_idle()
{
	wait_for 300 grep -q "No bootable device" "$1/bios.log"
}

# edu_pci URI DOMAIN: hostdev0 as QEMU has it (query-pci): BAR0's address,
# its bus and slot; fails if BAR0 is not mapped.
edu_pci()
{
	virsh -q -c "$1" qemu-monitor-command "$2" '{"execute": "query-pci"}' |
		python3 -c '
import json, sys
def devs(buses):
    for b in buses:
        for d in b["devices"]:
            yield d
            yield from devs([d["pci_bridge"]] if "pci_bridge" in d else [])
for d in devs(json.load(sys.stdin)["return"]):
    if d.get("qdev_id") == "hostdev0":
        for r in d.get("regions", []):
            if r.get("bar") == 0 and 0 < r["address"] < (1 << 32):
                print("0x%x %d %d" % (r["address"], d["bus"], d["slot"]))
                sys.exit(0)
sys.exit(1)'
}

# edu_bar0 URI DOMAIN: BAR0 of hostdev0, hex.
edu_bar0()
{
	local p

	p=$(edu_pci "$@") && echo "${p%% *}"
}

# edu_master DIR BUS SLOT: bus mastering on (the firmware enables only
# memory decoding), through a config cycle as the guest would.
edu_master()
{
	local a cmd

	a=$(printf '0x%x' $((0x80000000 | $2 << 16 | $3 << 11 | 0x04)))
	cmd=$(qt "$1" "outl 0xcf8 $a" "inw 0xcfc") || return 1
	qt "$1" "outl 0xcf8 $a" "outw 0xcfc $(printf '0x%x' $((cmd | 0x4)))"
}

# edu_w BAR OFF VALUE: a qtest writel of an edu register.
edu_w()
{
	printf 'writel 0x%x 0x%x' $(($1 + $2)) "$3"
}

# edu_regs DIR BAR: the registers edu-migratable migrates, one line.
edu_regs()
{
	local r args=()

	for r in $EDU_REGS; do
		args+=("readl $(printf '0x%x' $(($2 + r)))")
	done
	qt "$1" "${args[@]}" | xargs
}

# edu_program DIR BAR SEED: every migrated register to a value of SEED:
# liveness, a factorial (computed, with its completion IRQ bit), the
# interrupt status, the DMA registers (no transfer).
edu_program()
{
	local d=$1 b=$2 s=$3

	qt "$d" "$(edu_w "$b" 0x20 0)" "$(edu_w "$b" 0x04 $((0x11000000 | s)))" \
		"$(edu_w "$b" 0x08 $((5 + s % 6)))" \
		"wait_clear $(printf '0x%x' $((b + 0x20))) 0x1" \
		"$(edu_w "$b" 0x20 0x80)" \
		"$(edu_w "$b" 0x60 $((0x00400000 | (s & 0xff) << 8)))" \
		"$(edu_w "$b" 0x80 $((0x30000 + (s & 0xfff) * 16)))" \
		"$(edu_w "$b" 0x88 0x40010)" \
		"$(edu_w "$b" 0x90 $((32 + s % 200)))" > /dev/null
}

# fact N: N! modulo 2^32, as the device computes it.
fact()
{
	local f=1 i

	for ((i = 2; i <= $1; i++)); do
		f=$((f * i))
	done
	printf '0x%x' $((f & 0xffffffff))
}

# edu_factorial DIR BAR N: the device computes N!; prints it.
edu_factorial()
{
	qt "$1" "$(edu_w "$2" 0x08 "$3")" "wait_clear $(printf '0x%x' $(($2 + 0x20))) 0x1" \
		"readl $(printf '0x%x' $(($2 + 0x08)))"
}

# edu_dma DIR BAR SRC DST COUNT CMD: one DMA (CMD 1: RAM to the device's
# buffer, 3: the buffer to RAM), waited for.  The test bed's QEMU 7.2
# aborts on a transfer that ends at the buffer's last byte (edu's range
# check is off by one there): COUNT below 4096.
edu_dma()
{
	local d=$1 b=$2

	qt "$d" "$(edu_w "$b" 0x80 "$3")" "$(edu_w "$b" 0x88 "$4")" \
		"$(edu_w "$b" 0x90 "$5")" "$(edu_w "$b" 0x98 "$6")" \
		"wait_clear $(printf '0x%x' $((b + 0x98))) 0x1" > /dev/null
}

# ram_pattern SEED: 2 KiB of SEED as qtest's "write" takes them and its
# "read" (through qtest.py) prints them.
ram_pattern()
{
	python3 -c 'import sys
s = int(sys.argv[1])
b = bytes([0xa5] + [(0x5a + s + 37 * i) & 0xff for i in range(1, 2048)])
print("0x" + b.hex())' "$1"
}

# dirty_stat BDF UUID KEY: a line of the instance's debugfs migration/dirty
# ("supported" prints yes or no, the counters their values).
dirty_stat()
{
	awk -v k="$3" '$1 == k { print $2 }' \
		"/sys/kernel/debug/mdev_pt/$1/$2/migration/dirty" 2> /dev/null
}

# dirty_all BDF UUID: the instance's debugfs migration/dirty on one line.
dirty_all()
{
	paste -sd, "/sys/kernel/debug/mdev_pt/$1/$2/migration/dirty" | sed 's/,/, /g'
}

# mig_blocker BDF UUID: nothing if QEMU migrates the edu-migratable
# instance in its default mode, else the blocker it names: QEMU 8.1 and
# later migrate it with device dirty tracking, which mdev-pt offers where
# the kernel's vfio core can report dirty pages; 7.2 never by default.
mig_blocker()
{
	if ! version_ge "$QEMU_VERSION" 8.1; then
		echo "VFIO device doesn't support migration"
	elif [ "$(dirty_stat "$1" "$2" supported)" != yes ]; then
		echo "$2: VFIO device doesn't support device and IOMMU dirty tracking"
	fi
}

# blocked_reasons URI DOMAIN: QEMU's migration blockers, one line.
blocked_reasons()
{
	virsh -q -c "$1" qemu-monitor-command "$2" '{"execute": "query-migrate"}' |
		python3 -c 'import json, sys; print("; ".join(json.load(sys.stdin)["return"].get("blocked-reasons", [])))'
}

# unforced URI DOMAIN PID: the domain has no <qemu:override> and its QEMU
# (PID) no migration property of vfio-pci on its command line.
unforced()
{
	! virsh -q -c "$1" dumpxml "$2" | grep -q "qemu:override" &&
		! tr '\0' '\n' < "/proc/$3/cmdline" | grep -q "enable-migration"
}

# job_stats URI DOMAIN [--completed]: the job's raw statistics, "key: value"
# lines (virsh domjobinfo --rawstats).
job_stats()
{
	virsh -q -c "$1" domjobinfo "$2" ${3:+"$3"} --rawstats
}

# job_stat STATS KEY: one value of job_stats' output.
job_stat()
{
	printf '%s\n' "$1" | awk -F': ' -v k="$2" '$1 == k { print $2 }'
}

# ram_sent URI DOMAIN BYTES: the domain's migration job sent BYTES of RAM.
ram_sent()
{
	local v

	v=$(job_stat "$(job_stats "$1" "$2" 2> /dev/null)" memory_processed)
	[ -n "$v" ] && [ "$v" -ge "$3" ]
}

# job_summary STATS: the numbers of a completed job, one line.
job_summary()
{
	local s=$1 k v out=

	for k in time_elapsed downtime setup_time data_total data_processed \
		 memory_processed memory_iteration vfio_data_transferred; do
		v=$(job_stat "$s" "$k")
		[ -n "$v" ] && out="$out${out:+, }$k $v"
	done
	echo "$out"
}
