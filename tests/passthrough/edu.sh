#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The VFIO user-space API through an mdev_pt instance on an edu device, then
# the same program against the function bound to plain vfio-pci (the
# baseline).  Results of each run are prefixed with the driver.

. "$(dirname "$0")/../lib/common.sh"

BDF=$(edu_bdfs | head -n 1)
[ -n "$BDF" ] || { echo "not ok 1 edu device present"; exit 1; }

status=0

# run_prefixed PREFIX COMMAND...: rename the TAP results of COMMAND.
run_prefixed()
{
	local prefix=$1

	shift
	"$@" 2>&1 | sed -E "s/^(not ok|ok) [0-9]+ /\1 0 $prefix: /"
	return "${PIPESTATUS[0]}"
}

pt_bind "$BDF" || { echo "not ok 1 bind $BDF to mdev_pt"; exit 1; }
UUID=$(new_uuid)
echo "$UUID" > "$(type_dir "$BDF")/create"
dmesg -C
MDEVPT_UUID=$UUID MDEVPT_SYSFS_BDF=$BDF \
	run_prefixed mdev_pt "$BIN/vfio_edu_test" || status=1
echo 1 > "/sys/bus/mdev/devices/$UUID/remove"
pci_unbind "$BDF"

modprobe vfio-pci
pci_bind "$BDF" vfio-pci || { echo "not ok 1 bind $BDF to vfio-pci"; exit 1; }
MDEVPT_BDF=$BDF run_prefixed vfio-pci "$BIN/vfio_edu_test" || status=1
pci_unbind "$BDF"

if dmesg_problems > /dev/null; then
	dmesg_problems | sed 's/^/# /'
	echo "not ok 0 kernel log clean"
	status=1
else
	echo "ok 0 kernel log clean"
fi
exit $status
