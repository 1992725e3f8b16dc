#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# In the VM test bed: put an NVMe VF on mdev_pt with the mock plugin and run
# build/bench/mig_bench on it (bench/bench.sh runs this once per kernel).

. "$(dirname "$0")/../tests/lib/common.sh"

PF=$(nvme_pf_bdf)
[ -n "$PF" ] || { echo "no NVMe PF" >&2; exit 1; }
modprobe mdev_pt && modprobe mdev_pt_mock || exit 1
VF=$(vm_nvme_enable_vfs 1 "$PF" | head -n 1)
[ -n "$VF" ] || { echo "no VF" >&2; exit 1; }
pt_bind "$VF" > /dev/null || { echo "cannot bind $VF" >&2; exit 1; }
echo "date $(date -u +%Y-%m-%dT%H:%M:%SZ), QEMU TCG guest: $(nproc) vCPUs, $(awk '/MemTotal/ { print int($2 / 1024) " MiB" }' /proc/meminfo)"
MDEVPT_BENCH_VF=$VF "$TOP/build/bench/mig_bench" 2>&1 | grep -v '^#\|^ok\|^TAP\|^1\.\.'
rc=${PIPESTATUS[0]}
pci_unbind "$VF"
vm_nvme_enable_vfs 0 "$PF"
exit "$rc"
