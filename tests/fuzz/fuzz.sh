#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The uAPI fuzzer (build/tests/mdev_pt_fuzz, tests/fuzz/mdev_pt_fuzz.c) on an
# open instance of each interesting type: mdev_pt-passthrough and
# mdev_pt-edu-audited on an edu device, mdev_pt-sample-scratch on an NVMe
# VF, and the migratable types when their plugins offer them.  Each run is
# seeded and bounded; a failure prints the seed and the operation index
# that replay it.  Kernel warnings fail the test (run_tests).
#
#   MDEVPT_FUZZ_SEED     seed of every run (default: new per run, printed)
#   MDEVPT_FUZZ_OPS      operations per type (default 5000)
#   MDEVPT_FUZZ_SECONDS  time cap per type (default 5; 0: none, as
#                        `make check-debug` runs it with >= 100000 ops)

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../plugins/lib.sh"

export MDEVPT_FUZZ_OPS=${MDEVPT_FUZZ_OPS:-5000}
export MDEVPT_FUZZ_SECONDS=${MDEVPT_FUZZ_SECONDS:-5}
edu_vf_fixture

cleanup()
{
	edu_vf_cleanup
}

# fuzz_type BDF TYPE MODULE: create an instance of TYPE on BDF (MODULE
# provides the type) and fuzz it; afterwards the instance still opens and
# the type is usable again.
fuzz_type()
{
	local bdf=$1 type=$2 mod=$3 uuid

	type_ready "$bdf" "$type" "$mod"
	uuid=$(new_uuid)
	pt_create "$bdf" "$uuid" "$type"
	timeout -s KILL $((MDEVPT_FUZZ_SECONDS > 0 ? MDEVPT_FUZZ_SECONDS * 4 + 120 : 7200)) \
		env MDEVPT_UUID="$uuid" "$BIN/mdev_pt_fuzz" || fail "mdev_pt_fuzz failed on $type"
	expect_eq "open after fuzzing" OK \
		"$("$BIN/vfio_open" "$(iommu_group_of "/sys/bus/mdev/devices/$uuid")" "$uuid")"
	pt_remove "$uuid"
	type_usable "$bdf" "$type"
}

test_passthrough()
{
	fuzz_type "$EDU" mdev_pt-passthrough ""
}

test_edu_audited()
{
	fuzz_type "$EDU" mdev_pt-edu-audited mdev_pt_edu
}

test_sample_scratch()
{
	enable_one_vf
	fuzz_type "$VF" mdev_pt-sample-scratch mdev_pt_sample
}

test_edu_migratable()
{
	fuzz_type "$EDU" mdev_pt-edu-migratable mdev_pt_edu
}

test_mock_migratable()
{
	enable_one_vf
	fuzz_type "$VF" mdev_pt-mock-migratable mdev_pt_mock
}

run_tests "$@"
