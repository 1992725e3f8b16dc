#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The edu plugin's edu-audited type on an edu device: its per-instance
# attributes (vendor/max_dma_bytes and the DMA counters), then the VFIO side
# through build/tests/vfio_plugin_test (custom IRQ, stats region, trapped DMA
# registers, the audit refusing bad DMAs), once with the default limit and
# once with max_dma_bytes lowered to 100.

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"

BDF=$(edu_bdfs | head -n 1)
UUID=

# A fresh edu-audited instance on $BDF in $UUID.
setup()
{
	[ -n "$BDF" ] || fail "no edu device"
	if [ "$(pci_driver "$BDF")" != mdev_pt ]; then
		pt_bind "$BDF" || fail "cannot bind $BDF to mdev_pt"
	fi
	[ -d "$(type_dir "$BDF" "$AUDITED")" ] ||
		fail "$BDF offers no $AUDITED: $(types_of "$BDF")"
	remove_instances
	UUID=$(new_uuid)
	pt_create "$BDF" "$UUID" "$AUDITED"
}

cleanup()
{
	remove_instances
}
trap 'remove_instances; pci_unbind "$BDF"' EXIT

# The group number of the instance, for vfio_open.
group()
{
	iommu_group_of "/sys/bus/mdev/devices/$UUID"
}

test_vendor_attributes()
{
	local m

	setup
	m=/sys/bus/mdev/devices/$UUID
	expect_eq "vendor attributes" "dma_bytes dma_commands dma_violations max_dma_bytes" \
		"$(ls "$m/vendor" | xargs)"
	expect_eq max_dma_bytes 4095 "$(mdev_attr "$UUID" vendor/max_dma_bytes)"
	expect_eq dma_commands 0 "$(mdev_attr "$UUID" vendor/dma_commands)"
	expect_eq dma_bytes 0 "$(mdev_attr "$UUID" vendor/dma_bytes)"
	expect_eq dma_violations 0 "$(mdev_attr "$UUID" vendor/dma_violations)"
	expect_write "$m/vendor/dma_commands" 1 EACCES
	expect_write "$m/vendor/dma_violations" 0 EACCES
	expect_eq mdev_type "$AUDITED" "$(basename "$(readlink -f "$m/mdev_type")")"
}

test_max_dma_bytes_store()
{
	local f v

	setup
	f=/sys/bus/mdev/devices/$UUID/vendor/max_dma_bytes
	expect_write "$f" 100 OK
	expect_eq max_dma_bytes 100 "$(cat "$f")"
	# (An empty write never reaches the attribute: sysfs drops it.)
	for v in 0 4096 abc -1 " " 1x 0x10 99999999999 4294967297; do
		expect_write "$f" "$v" EINVAL
	done
	expect_eq "max_dma_bytes after refusals" 100 "$(cat "$f")"
	expect_write "$f" 1 OK
	expect_write "$f" "4095
" OK
	expect_eq max_dma_bytes 4095 "$(cat "$f")"
	dmesg | grep -q "max_dma_bytes.*'abc'" ||
		fail "no dmesg line explains the refusal"
}

test_attributes_fixed_after_open()
{
	local f

	setup
	f=/sys/bus/mdev/devices/$UUID/vendor/max_dma_bytes
	expect_write "$f" 2000 OK
	expect_eq "open" OK "$("$BIN/vfio_open" "$(group)" "$UUID")"
	# Closed again, but it was opened: the configuration is fixed.
	expect_write "$f" 100 EBUSY
	expect_write "$f" 2000 EBUSY
	expect_write "$f" 0 EINVAL
	expect_eq max_dma_bytes 2000 "$(cat "$f")"
	# A new instance starts over.
	setup
	expect_eq "max_dma_bytes of a new instance" 4095 \
		"$(mdev_attr "$UUID" vendor/max_dma_bytes)"
	expect_write "/sys/bus/mdev/devices/$UUID/vendor/max_dma_bytes" 100 OK
}

# vfio_plugin_test's edu_audited fixture: every result is reported.
test_vfio()
{
	local c b v

	setup
	MDEVPT_UUID=$UUID run_tap vfio "$BIN/vfio_plugin_test" -f edu_audited ||
		fail "vfio_plugin_test failed"
	expect_write "/sys/bus/mdev/devices/$UUID/vendor/max_dma_bytes" 4095 EBUSY
	c=$(mdev_attr "$UUID" vendor/dma_commands)
	b=$(mdev_attr "$UUID" vendor/dma_bytes)
	v=$(mdev_attr "$UUID" vendor/dma_violations)
	echo "# counters: $c commands, $b bytes, $v violations"
	[ "$c" -gt 0 ] && [ "$v" -gt 0 ] || fail "counters did not move"
	# Every forwarded transfer moved 1..4095 bytes.
	[ "$b" -ge "$c" ] && [ "$b" -le $((c * 4095)) ] ||
		fail "$b bytes do not fit $c commands"
	dmesg | grep -qE "DMA (RAM to device|device to RAM) refused" ||
		fail "no dmesg line for a refused DMA"
}

# With max_dma_bytes 100 the DMA tests run with 100-byte transfers, and a
# 200-byte one (harmless for the device) is a violation.
test_vfio_max_dma_bytes_100()
{
	local t args=()

	setup
	expect_write "/sys/bus/mdev/devices/$UUID/vendor/max_dma_bytes" 100 OK
	for t in dma_round_trip dma_at_the_limits dma_violations \
		dma_over_max_dma_bytes; do
		args+=(-r "edu_audited.$t")
	done
	MDEVPT_UUID=$UUID run_tap "vfio max 100" "$BIN/vfio_plugin_test" "${args[@]}" ||
		fail "vfio_plugin_test failed"
	# (No dmesg check here: the refusals are rate-limited.)
	[ "$(mdev_attr "$UUID" vendor/dma_violations)" -gt 0 ] || fail "no violations counted"
	expect_eq dma_bytes $(($(mdev_attr "$UUID" vendor/dma_commands) * 100)) \
		"$(mdev_attr "$UUID" vendor/dma_bytes)"
}

run_tests "$@"
