#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Live migration of mdev-pt instances (issue 5), in the VM test bed:
#  - the migration_compatibility attributes of types and instances, and
#    their absence on types without migration;
#  - the mock plugin's per-instance attributes (state_size, poke, checksum);
#  - build/tests/vfio_mig_test: the v2 uAPI on two edu-migratable instances
#    (A on the first edu, B on the second), mock round trips and pre-copy
#    on two NVMe VFs, damaged and foreign streams, removal during a
#    migration and close during STOP_COPY;
#  - build/tests/vfio_mig_v1_test: the v1 region as QEMU 7.2 drives it.

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../plugins/lib.sh"

EDU_MIG=mdev_pt-edu-migratable
MOCK_MIG=mdev_pt-mock-migratable
MOCK_MOD=mdev_pt_mock
EDU1=
EDU2=
VF1=
VF2=
VF3=
UUID_A=
UUID_B=
PF=$(nvme_pf_bdf)

teardown()
{
	remove_instances
	local f
	for f in $EDU1 $EDU2 $VF1 $VF2 $VF3; do
		pci_unbind "$f"
	done
	[ -n "$PF" ] && vm_nvme_enable_vfs 0 "$PF"
}
trap teardown EXIT

# Both edus and three NVMe VFs on mdev_pt with the plugins loaded, edu
# instances A and B: made once, before the tests (which run in subshells).
SETUP_ERR=
setup_once()
{
	local vfs f

	EDU1=$(edu_bdfs | sed -n 1p)
	EDU2=$(edu_bdfs | sed -n 2p)
	[ -n "$EDU2" ] || { SETUP_ERR="need two edu devices"; return; }
	[ -n "$PF" ] || { SETUP_ERR="no NVMe PF"; return; }
	for f in mdev_pt $EDU_MOD $MOCK_MOD; do
		modprobe $f || { SETUP_ERR="modprobe $f"; return; }
	done
	vfs=$(vm_nvme_enable_vfs 3 "$PF") || { SETUP_ERR="cannot enable 3 VFs"; return; }
	VF1=$(echo "$vfs" | sed -n 1p)
	VF2=$(echo "$vfs" | sed -n 2p)
	VF3=$(echo "$vfs" | sed -n 3p)
	for f in $EDU1 $EDU2 $VF1 $VF2 $VF3; do
		pt_bind "$f" > /dev/null || { SETUP_ERR="cannot bind $f to mdev_pt"; return; }
	done
	for f in $EDU1 $EDU2; do
		[ -d "$(type_dir "$f" $EDU_MIG)" ] ||
			{ SETUP_ERR="$f offers no $EDU_MIG: $(types_of "$f")"; return; }
	done
	for f in $VF1 $VF2; do
		[ -d "$(type_dir "$f" $MOCK_MIG)" ] ||
			{ SETUP_ERR="$f offers no $MOCK_MIG: $(types_of "$f")"; return; }
	done
	UUID_A=$(new_uuid)
	UUID_B=$(new_uuid)
	echo "$UUID_A" > "$(type_dir "$EDU1" $EDU_MIG)/create" &&
		echo "$UUID_B" > "$(type_dir "$EDU2" $EDU_MIG)/create" ||
		SETUP_ERR="cannot create the edu instances"
	export MDEVPT_MIG_EDU_A=$UUID_A MDEVPT_MIG_EDU_B=$UUID_B
	export MDEVPT_MIG_MOCK_VF_A=$VF1 MDEVPT_MIG_MOCK_VF_B=$VF2
}

setup()
{
	[ -z "$SETUP_ERR" ] || fail "setup: $SETUP_ERR"
}

# Instances other than A and B are the tests' own.
cleanup()
{
	local m

	for m in /sys/bus/mdev/devices/*; do
		[ -e "$m/remove" ] || continue
		case "$(basename "$m")" in
		"$UUID_A" | "$UUID_B") ;;
		*) echo 1 > "$m/remove" ;;
		esac
	done
	return 0
}

test_compatibility_attributes()
{
	local d t c

	setup
	for t in "$EDU1 $EDU_MIG" "$VF1 $MOCK_MIG"; do
		set -- $t
		d=$(type_dir "$1" "$2")
		[ -f "$d/migration_compatibility" ] || fail "$2 has no migration_compatibility"
		c=$(cat "$d/migration_compatibility")
		[ -n "$c" ] || fail "$2: empty migration_compatibility"
		expect_eq "$2: lines" 1 "$(wc -l < "$d/migration_compatibility")"
		echo "# $2: $c"
		[ "$("$BIN/sysfs_write" "$d/migration_compatibility" x)" != OK ] ||
			fail "$2: migration_compatibility is writable"
	done
	# The two types differ; both edus' agree.
	[ "$(cat "$(type_dir "$EDU1" $EDU_MIG)/migration_compatibility")" != \
	  "$(cat "$(type_dir "$VF1" $MOCK_MIG)/migration_compatibility")" ] ||
		fail "edu and mock share a compatibility string"
	expect_eq "edu 2 compatibility" \
		"$(cat "$(type_dir "$EDU1" $EDU_MIG)/migration_compatibility")" \
		"$(cat "$(type_dir "$EDU2" $EDU_MIG)/migration_compatibility")"
	# The instance shows its type's.
	expect_eq "instance A compatibility" \
		"$(cat "$(type_dir "$EDU1" $EDU_MIG)/migration_compatibility")" \
		"$(cat "/sys/bus/mdev/devices/$UUID_A/migration_compatibility")"
	# Types without migration do not have it, nor do their instances.
	for t in mdev_pt-edu-passthrough mdev_pt-edu-audited mdev_pt-passthrough; do
		d=$(type_dir "$EDU1" $t)
		[ -d "$d" ] || fail "no $t on $EDU1"
		[ ! -e "$d/migration_compatibility" ] || fail "$t has migration_compatibility"
	done
	c=$(new_uuid)
	pt_create "$VF3" "$c"
	[ ! -e "/sys/bus/mdev/devices/$c/migration_compatibility" ] ||
		fail "a passthrough instance has migration_compatibility"
}

test_mock_attributes()
{
	local u u2 m v s0 s1 grp

	setup
	u=$(new_uuid)
	u2=$(new_uuid)
	pt_create "$VF1" "$u" $MOCK_MIG
	pt_create "$VF2" "$u2" $MOCK_MIG
	m=/sys/bus/mdev/devices/$u
	expect_eq "default state_size" 1048576 "$(cat "$m/vendor/state_size")"
	for v in 0 4095 4097 1073745920 2147483648 -4096 abc "4096 4096"; do
		expect_write "$m/vendor/state_size" "$v" EINVAL
	done
	expect_eq "state_size after refusals" 1048576 "$(cat "$m/vendor/state_size")"
	expect_write "$m/vendor/state_size" 8192 OK
	expect_eq state_size 8192 "$(cat "$m/vendor/state_size")"
	expect_write "$m/vendor/state_size" 0x3000 OK
	expect_eq "state_size in hex" 12288 "$(cat "$m/vendor/state_size")"
	expect_write "$m/vendor/state_size" 1073741824 OK
	expect_write "$m/vendor/state_size" 8192 OK

	s0=$(cat "$m/vendor/checksum")
	[[ "$s0" =~ ^[0-9a-f]{8}$ ]] || fail "checksum '$s0'"
	[ "$s0" != "$(cat "/sys/bus/mdev/devices/$u2/vendor/checksum")" ] ||
		fail "two instances have the same initial state"
	[ "$("$BIN/sysfs_write" "$m/vendor/checksum" 0)" != OK ] || fail "checksum is writable"
	expect_write "$m/vendor/poke" "0 10" OK
	s1=$(cat "$m/vendor/checksum")
	[ "$s0" != "$s1" ] || fail "poke did not change the checksum"
	expect_write "$m/vendor/poke" "8190 2" OK
	expect_write "$m/vendor/poke" "0x1000 0x10" OK
	for v in "8190 3" "8192 1" "0 8193" "abc" "1" "-1 2" "18446744073709551615 2"; do
		expect_write "$m/vendor/poke" "$v" EINVAL
	done
	[ "$("$BIN/sysfs_write" "$m/vendor/poke" "0 1")" = OK ] || fail "poke"
	[ "$(cat "$m/vendor/checksum")" != "$s1" ] || fail "second poke"

	# After the first open the size is fixed; poke still works.
	grp=$(iommu_group_of "$m")
	expect_eq "open $u" OK "$("$BIN/vfio_open" "$grp" "$u")"
	expect_write "$m/vendor/state_size" 4096 EBUSY
	expect_eq "state_size after EBUSY" 8192 "$(cat "$m/vendor/state_size")"
	s1=$(cat "$m/vendor/checksum")
	expect_write "$m/vendor/poke" "0 4096" OK
	[ "$(cat "$m/vendor/checksum")" != "$s1" ] || fail "poke after open"
}

test_v2_edu()
{
	setup
	run_tap "v2 edu" "$BIN/vfio_mig_test" -f edu
}

test_v2_mock()
{
	setup
	run_tap "v2 mock" "$BIN/vfio_mig_test" -f mock
}

test_v2_life()
{
	local avail

	setup
	run_tap "v2 life" "$BIN/vfio_mig_test" -f life || return 1
	[ -e "/sys/bus/mdev/devices/$UUID_A" ] || fail "instance A is gone"
	avail=$(cat "$(type_dir "$EDU1" $EDU_MIG)/available_instances")
	expect_eq "available_instances with A" 0 "$avail"
}

test_no_migration()
{
	local u

	setup
	u=$(new_uuid)
	pt_create "$VF3" "$u"
	MDEVPT_MIG_PLAIN=$u run_tap "plain" "$BIN/vfio_mig_test" -f plain
}

test_v1()
{
	setup
	run_tap "v1" "$BIN/vfio_mig_v1_test"
}

setup_once
run_tests "$@"
