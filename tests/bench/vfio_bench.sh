#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The vfio-pci comparison benchmark (bench/vfio, make bench-vfio) is not
# part of the suite, but its program must keep building and working: a
# short latency run against the edu device on vfio-pci and on an
# edu-audited instance must report every metric with a positive median.

. "$(dirname "$0")/../lib/common.sh"

BENCH=$TOP/build/bench/vfio_bench
BDF=$(edu_bdfs | head -n 1)
UUID=

cleanup()
{
	[ -n "$UUID" ] && [ -e "/sys/bus/mdev/devices/$UUID" ] &&
		echo 1 > "/sys/bus/mdev/devices/$UUID/remove"
	UUID=
	pci_unbind "$BDF"
}
trap cleanup EXIT

# check_metrics OUTPUT METRIC...: each METRIC reported once, value > 0.
check_metrics()
{
	local m v

	for m in "${@:2}"; do
		v=$(printf '%s\n' "$1" | sed -n "s/^BENCH $m \([-0-9]*\) ns .*/\1/p")
		[ -n "$v" ] || fail "no $m in: $1"
		[ "$v" -gt 0 ] || fail "$m: median $v"
	done
}

test_builds_and_lists()
{
	local list

	[ -x "$BENCH" ] || fail "$BENCH not built"
	# (-l exits with kselftest's "skipped", 4)
	list=$("$BENCH" -l 2>&1)
	[ $? -eq 4 ] || fail "vfio_bench -l: $list"
	for t in latency open_close lifecycle scale; do
		printf '%s\n' "$list" | grep -qw "$t" || fail "no test $t in: $list"
	done
}

test_vfio_pci_latency()
{
	local out

	pci_bind "$BDF" vfio-pci || fail "bind $BDF to vfio-pci"
	out=$(MDEVPT_BDF=$BDF MDEVPT_BENCH_ITERS=20 MDEVPT_BENCH_OPEN_ITERS=3 \
		"$BENCH" -f dev 2>&1) || fail "vfio_bench: $out"
	check_metrics "$out" config_read bar0_pread bar0_mmap_read \
		msi_roundtrip msi_roundtrip_xcpu device_open device_close
}

test_audited_latency()
{
	local out

	modprobe mdev_pt_edu || fail "modprobe mdev_pt_edu"
	pt_bind "$BDF" || fail "bind $BDF to mdev_pt"
	UUID=$(new_uuid)
	pt_create "$BDF" "$UUID" mdev_pt-edu-audited
	out=$(MDEVPT_UUID=$UUID MDEVPT_BENCH_TRAPPED=1 MDEVPT_BENCH_ITERS=20 \
		MDEVPT_BENCH_OPEN_ITERS=3 "$BENCH" -f dev 2>&1) ||
		fail "vfio_bench: $out"
	check_metrics "$out" config_read bar0_pread bar0_pread_trap_shadow \
		bar0_pread_trap_dev bar0_mmap_read msi_roundtrip \
		msi_roundtrip_xcpu device_open device_close
}

[ -n "$BDF" ] || { echo "not ok 1 edu device present"; exit 1; }
modprobe vfio-pci
run_tests "$@"
