#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Device DMA dirty tracking of the migratable types
# (VFIO_DEVICE_FEATURE_DMA_LOGGING_START, _STOP and _REPORT), in the VM
# test bed, on an edu and an NVMe VF bound to mdev_pt:
#  - build/tests/vfio_dirty_test -f mock: the flow, exact reports of the
#    writes named through the mock's vendor/dirty_mark, every refusal
#    with its errno, merged ranges (mock-no-p2p logs two), stopping on
#    close and reset, removal and close while reports run; and here the
#    kernel log's reason for each refusal;
#  - -f edu: real DMA of edu-migratable, no written page unreported;
#  - -f gone: the VF's PF unbound from nvme while logging: ENOTCONN, and
#    the mock sees no call after its controlling_gone;
#  - debugfs migration/dirty and the mdev_pt_dirty_* tracepoints;
#  - kernels whose vfio core cannot report dirty pages (Debian's 6.12
#    kernels, built without CONFIG_IOMMUFD_DRIVER; debugfs says "supported
#    no"): no dirty tracking at all (ENOTTY), and registering a plugin
#    with such types names each of them in a warning.  The same script
#    passes on every kernel of the test bed.

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../plugins/lib.sh"
. "$(dirname "$0")/../observe/lib.sh"

EDU_MIG=mdev_pt-edu-migratable
MOCK_MIG=mdev_pt-mock-migratable
MOCK_NOP2P=mdev_pt-mock-no-p2p
CALLS=/sys/module/$MOCK_MOD/parameters/calls_after_gone
PF=$(nvme_pf_bdf)
EDU=
VF=
# yes or no: whether this kernel's vfio core can report dirty pages.
SUPPORTED=

teardown()
{
	trace_stop > /dev/null 2>&1
	remove_instances
	[ -n "$EDU" ] && pci_unbind "$EDU"
	[ -n "$VF" ] && pci_unbind "$VF"
	[ -n "$PF" ] && [ "$(pci_driver "$PF")" != nvme ] &&
		echo "$PF" > /sys/bus/pci/drivers/nvme/bind
	[ -n "$PF" ] && vm_nvme_enable_vfs 0 "$PF" > /dev/null
}
trap teardown EXIT

cleanup()
{
	trace_stop
	remove_instances
}

# The PF on nvme, the VF bound to mdev_pt afresh (after its PF went away,
# a VF serves nothing until it is bound again).
pf_on_nvme()
{
	[ "$(pci_driver "$PF")" = nvme ] && return 0
	expect_write /sys/bus/pci/drivers/nvme/bind "$PF" OK
}

fresh_vf()
{
	pf_on_nvme
	pci_unbind "$VF"
	pt_bind "$VF" > /dev/null || fail "cannot bind $VF to mdev_pt"
	[ -d "$(type_dir "$VF" $MOCK_MIG)" ] ||
		fail "$VF offers no $MOCK_MIG: $(types_of "$VF")"
}

# dirty_file BDF UUID: the instance's debugfs migration/dirty.
dirty_file()
{
	echo "$DBG/$1/$2/migration/dirty"
}

SETUP_ERR=
setup_once()
{
	local f u

	EDU=$(edu_bdfs | sed -n 1p)
	[ -n "$EDU" ] || { SETUP_ERR="no edu device"; return; }
	[ -n "$PF" ] || { SETUP_ERR="no NVMe PF"; return; }
	for f in mdev_pt $EDU_MOD $MOCK_MOD; do
		modprobe $f || { SETUP_ERR="modprobe $f"; return; }
	done
	VF=$(vm_nvme_enable_vfs 1 "$PF") || { SETUP_ERR="cannot enable a VF"; return; }
	for f in $EDU $VF; do
		pt_bind "$f" > /dev/null || { SETUP_ERR="cannot bind $f to mdev_pt"; return; }
	done
	[ -d "$(type_dir "$EDU" $EDU_MIG)" ] ||
		{ SETUP_ERR="$EDU offers no $EDU_MIG: $(types_of "$EDU")"; return; }
	[ -d "$(type_dir "$VF" $MOCK_MIG)" ] ||
		{ SETUP_ERR="$VF offers no $MOCK_MIG: $(types_of "$VF")"; return; }
	u=$(new_uuid)
	echo "$u" > "$(type_dir "$VF" $MOCK_MIG)/create" ||
		{ SETUP_ERR="cannot create a $MOCK_MIG instance"; return; }
	SUPPORTED=$(sed -n 's/^supported \([a-z]*\).*/\1/p' "$(dirty_file "$VF" "$u")")
	echo 1 > "/sys/bus/mdev/devices/$u/remove"
	case "$SUPPORTED" in
	yes | no) ;;
	*) SETUP_ERR="no 'supported' line in $(dirty_file "$VF" "$u")" ;;
	esac
	export MDEVPT_DIRTY_MOCK_VF=$VF MDEVPT_DIRTY_EDU=$EDU
}

setup()
{
	[ -z "$SETUP_ERR" ] || fail "setup: $SETUP_ERR"
}

need_support()
{
	setup
	[ "$SUPPORTED" = yes ] ||
		skip "vfio core of $(uname -r) cannot report dirty pages (no CONFIG_IOMMUFD_DRIVER)"
}

# expect_dmesg TEXT: a kernel log line since the test began contains TEXT.
expect_dmesg()
{
	dmesg | grep -qF -- "$1" || fail "no kernel log line with '$1'"
}

# The static side of debugfs: which instances have migration/dirty, and
# what it says before any logging.
test_debugfs()
{
	local u t f

	setup
	for t in $MOCK_MIG $MOCK_NOP2P; do
		u=$(new_uuid)
		pt_create "$VF" "$u" $t
		f=$(dirty_file "$VF" "$u")
		[ -f "$f" ] || fail "$t: no $f"
		expect_eq "$t: mode" 400 "$(stat -c %a "$f")"
		cat "$f" | sed 's/^/# /'
		if [ "$SUPPORTED" = yes ]; then
			expect_eq "$t: supported" "supported yes" "$(sed -n 1p "$f")"
		else
			expect_eq "$t: supported" "supported no (kernel without CONFIG_IOMMUFD_DRIVER)" \
				"$(sed -n 1p "$f")"
		fi
		expect_eq "$t: the rest" "logging off
starts 0
reports 0
pages 0
errors 0" "$(sed 1d "$f")"
		pt_remove "$u"
	done
	# Types without migration have none.
	u=$(new_uuid)
	pt_create "$VF" "$u"
	[ ! -e "$DBG/$VF/$u/migration" ] || fail "a passthrough instance has migration/"
	pt_remove "$u"
	# edu-migratable: once its plugin tracks DMA.
	u=$(new_uuid)
	pt_create "$EDU" "$u" $EDU_MIG
	if [ -e "$(dirty_file "$EDU" "$u")" ]; then
		echo "# $EDU_MIG: $(head -n 2 "$(dirty_file "$EDU" "$u")" | xargs)"
	else
		echo "# $EDU_MIG has no dirty tracking"
	fi
	pt_remove "$u"
}

# The mock's whole program, then the kernel log's reason for each refusal
# it provoked.  (The reasons are rate-limited per call site, 10 in 5 s:
# this is the first program to provoke them.)
test_mock()
{
	local reason rc=0

	need_support
	sleep 5
	run_tap "mock" "$BIN/vfio_dirty_test" -f mock || rc=$?
	while IFS= read -r reason; do
		expect_dmesg "$reason"
	done <<'EOF'
dirty logging refused: it is already started
dirty logging refused: page size 2048 is not a power of two of at least 4 KiB
dirty logging refused: page size 12288 is not a power of two of at least 4 KiB
dirty logging refused: 33 ranges, at most 32 can be logged
dirty logging refused: 268435457 pages of 4096 bytes are too many for the log
dirty log report refused: logging is not started
dirty log report refused: [0xfff000, 0x1000fff] is not inside the logged ranges
dirty log report refused: [0x1100000, 0x11fffff] is not inside the logged ranges
dirty_mark: 'abc 4096' is not "IOVA LENGTH" with a length of 1 to 2^64 - IOVA
dirty_mark: '4096 0' is not "IOVA LENGTH" with a length of 1 to 2^64 - IOVA
dirty_mark: '-4096 4096' is not "IOVA LENGTH" with a length of 1 to 2^64 - IOVA
dirty_mark: dirty logging is off
EOF
	[ $rc = 0 ] || fail "vfio_dirty_test -f mock"
}

# The tracepoints of a start, a refused start, a report and a stop.
test_trace()
{
	local id='[0-9a-f-]+'

	need_support
	trace_start mdev_pt_dirty_start mdev_pt_dirty_stop mdev_pt_dirty_report \
		mdev_pt_plugin_call
	run_tap "trace" "$BIN/vfio_dirty_test" -r mock.basic_flow -r mock.start_twice ||
		fail "vfio_dirty_test"
	trace_stop
	expect_trace_seq \
		"^mdev_pt_plugin_call: mock $id dirty_start: 0$" \
		"^mdev_pt_dirty_start: $id ranges=1 page_size=4096: 0$" \
		"^mdev_pt_plugin_call: mock $id dirty_report: 0$" \
		"^mdev_pt_dirty_report: $id iova=0x1000000 length=0x400000 pages=0: 0$" \
		"^mdev_pt_dirty_report: $id iova=0x1000000 length=0x400000 pages=10: 0$" \
		"^mdev_pt_dirty_report: $id iova=0x1000000 length=0x400000 pages=0: 0$" \
		"^mdev_pt_plugin_call: mock $id dirty_stop: 0$" \
		"^mdev_pt_dirty_stop: $id$" \
		"^mdev_pt_dirty_start: $id ranges=1 page_size=4096: 0$" \
		"^mdev_pt_dirty_start: $id ranges=1 page_size=4096: -16$" \
		"^mdev_pt_dirty_start: $id ranges=1 page_size=8192: -16$"
}

test_edu()
{
	need_support
	run_tap "edu" "$BIN/vfio_dirty_test" -f edu || fail "vfio_dirty_test -f edu"
}

# The VF's PF goes away while logging runs.
test_gone()
{
	local before

	need_support
	fresh_vf
	before=$(cat "$CALLS")
	MDEVPT_GONE_VF=$VF MDEVPT_GONE_PF=$PF \
		run_tap "gone" "$BIN/vfio_dirty_test" -f gone ||
		fail "vfio_dirty_test -f gone"
	dmesg | grep -q "$VF: mock: controlling function $PF gone" ||
		fail "the mock was not told that $PF went"
	expect_eq "calls into the plugin after controlling_gone" "$before" "$(cat "$CALLS")"
	fresh_vf
}

# Without support: no dirty feature at all, and the debugfs file says why.
test_unsupported()
{
	setup
	[ "$SUPPORTED" = no ] || skip "vfio core of $(uname -r) reports dirty pages"
	run_tap "unsupported" "$BIN/vfio_dirty_test" -f unsupported ||
		fail "vfio_dirty_test -f unsupported"
}

# plugin_reload BDF MODULE: unbind BDF, reload MODULE, bind BDF again.
plugin_reload()
{
	pci_unbind "$1"
	rmmod "$2" || fail "rmmod $2"
	modprobe "$2" || fail "modprobe $2"
	pt_bind "$1" > /dev/null || fail "cannot bind $1 to mdev_pt"
}

# Registering a plugin with dirty types: a warning for each type where
# the kernel cannot report, none where it can.
test_registration_warning()
{
	local t u edu_dirty=no

	setup
	u=$(new_uuid)
	pt_create "$EDU" "$u" $EDU_MIG
	[ -e "$(dirty_file "$EDU" "$u")" ] && edu_dirty=yes
	pt_remove "$u"

	plugin_reload "$VF" $MOCK_MOD
	plugin_reload "$EDU" $EDU_MOD
	dmesg | grep "no device dirty tracking" | sed 's/^/# /'
	if [ "$SUPPORTED" = yes ]; then
		! dmesg | grep -q "no device dirty tracking" ||
			fail "a warning where the kernel reports dirty pages"
		return 0
	fi
	for t in mock-migratable mock-no-p2p; do
		expect_dmesg "mdev_pt: plugin mock: type $t: no device dirty tracking, vfio core of this kernel cannot report dirty pages (built without CONFIG_IOMMUFD_DRIVER)"
	done
	if [ $edu_dirty = yes ]; then
		expect_dmesg "mdev_pt: plugin edu: type edu-migratable: no device dirty tracking"
	else
		! dmesg | grep -q "plugin edu: .*no device dirty tracking" ||
			fail "a warning for edu types without dirty tracking"
	fi
	t=2
	[ $edu_dirty = yes ] && t=3
	expect_eq "warnings" $t "$(dmesg | grep -c "no device dirty tracking")"
}

setup_once
run_tests "$@"
