#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Bring NVMe secondary controllers (VFs) of QEMU's SR-IOV NVMe PF online.

    nvme_virt_mgmt.py release CTRL_DEV
        take all flexible resources from the primary controller (then the PF
        needs a function reset to let them go);
    nvme_virt_mgmt.py online CTRL_DEV VFN [VQ [VI]]
        assign VQ queue (default 2) and VI interrupt (default 1) resources to
        the secondary controller of VF number VFN (1-based) and set it online;
    nvme_virt_mgmt.py list CTRL_DEV
        print the secondary controller list.

CTRL_DEV is the PF's /dev/nvmeN (bound to the kernel's nvme driver). An
offline QEMU VF reads as all zeros in BAR0; an online one shows its
registers. The same as `nvme virt-mgmt` of nvme-cli, which the test bed lacks:
the Virtualization Management admin command (opcode 0x1c) through
NVME_IOCTL_ADMIN_CMD.
"""

import ctypes
import fcntl
import os
import struct
import sys

NVME_IOCTL_ADMIN_CMD = 0xC0484E41   # _IOWR('N', 0x41, struct nvme_passthru_cmd)
# struct nvme_passthru_cmd: opcode flags rsvd1 nsid cdw2 cdw3 metadata addr
# metadata_len data_len cdw10..cdw15 timeout_ms result (72 bytes)
PASSTHRU = struct.Struct("<BBHIIIQQIIIIIIIIII")
OPC_IDENTIFY = 0x06
CNS_SECONDARY_CTRL_LIST = 0x15
OPC_VIRT_MGMT = 0x1C
ACT_PRIMARY_FLEX = 0x1
ACT_SECONDARY_ASSIGN = 0x8
ACT_SECONDARY_ONLINE = 0x9
RT_VQ = 0
RT_VI = 1


def admin(fd, opcode, cdw10, cdw11=0, data=None):
    addr = ctypes.addressof(data) if data is not None else 0
    size = ctypes.sizeof(data) if data is not None else 0
    buf = bytearray(PASSTHRU.pack(opcode, 0, 0, 0, 0, 0, 0, addr, 0, size,
                                  cdw10, cdw11, 0, 0, 0, 0, 0, 0))
    status = fcntl.ioctl(fd, NVME_IOCTL_ADMIN_CMD, buf)
    if status:
        raise OSError("admin opcode 0x%x cdw10 0x%x cdw11 0x%x: NVMe status 0x%x"
                      % (opcode, cdw10, cdw11, status))


def virt_mgmt(fd, act, rt, cntlid, nr):
    admin(fd, OPC_VIRT_MGMT, act | rt << 8 | cntlid << 16, nr)


def secondary_list(fd):
    """[(scid, pcid, scs, vfn, nvq, nvi)] from Identify CNS 0x15."""
    data = ctypes.create_string_buffer(4096)
    admin(fd, OPC_IDENTIFY, CNS_SECONDARY_CTRL_LIST, 0, data)
    raw = data.raw
    out = []
    for i in range(raw[0]):
        scid, pcid, scs, vfn, nvq, nvi = struct.unpack_from(
            "<HHB3xHHH", raw, 32 + 32 * i)
        out.append((scid, pcid, scs & 1, vfn, nvq, nvi))
    return out


def primary_cntlid(dev):
    with open("/sys/class/nvme/%s/cntlid" % os.path.basename(dev)) as f:
        return int(f.read(), 0)


def main(argv):
    if len(argv) < 3 or argv[1] not in ("release", "online", "list"):
        sys.stderr.write(__doc__)
        return 2
    fd = os.open(argv[2], os.O_RDWR)
    try:
        if argv[1] == "release":
            cntlid = primary_cntlid(argv[2])
            virt_mgmt(fd, ACT_PRIMARY_FLEX, RT_VQ, cntlid, 0)
            virt_mgmt(fd, ACT_PRIMARY_FLEX, RT_VI, cntlid, 0)
        elif argv[1] == "list":
            for e in secondary_list(fd):
                print("scid %d pcid %d %s vfn %d nvq %d nvi %d" % (
                    e[0], e[1], "online" if e[2] else "offline", e[3], e[4], e[5]))
        else:
            vfn = int(argv[3])
            vq = int(argv[4]) if len(argv) > 4 else 2
            vi = int(argv[5]) if len(argv) > 5 else 1
            scids = [e[0] for e in secondary_list(fd) if e[3] == vfn]
            if not scids:
                raise OSError("no secondary controller for VF %d" % vfn)
            virt_mgmt(fd, ACT_SECONDARY_ASSIGN, RT_VI, scids[0], vi)
            virt_mgmt(fd, ACT_SECONDARY_ASSIGN, RT_VQ, scids[0], vq)
            virt_mgmt(fd, ACT_SECONDARY_ONLINE, RT_VQ, scids[0], 0)
            if not [e for e in secondary_list(fd) if e[0] == scids[0] and e[2]]:
                raise OSError("secondary controller %d is not online" % scids[0])
    except OSError as e:
        sys.stderr.write("%s: %s\n" % (argv[0], e))
        return 1
    finally:
        os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
