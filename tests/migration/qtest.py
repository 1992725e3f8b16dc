#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Drive a QEMU started with "-accel qtest -qtest unix:SOCKET,server=on,
wait=off" through its qtest protocol (QEMU's docs/devel/qtest.rst): one
command per line, one "OK ..." or "FAIL ..." reply each.

    qtest.py SOCKET COMMAND [COMMAND...]

A COMMAND is a qtest command ("outl 0xcf8 0x80002010", "readl 0xc0000004")
or one of these helpers:

    pci_bar0 DEV ADDR   assign BAR0 of bus 0 device DEV (hex) at ADDR with
                        config cycles through 0xcf8/0xcfc, enable memory
                        decoding and bus mastering
    wait_clear ADDR MASK
                        poll readl ADDR until (value & MASK) == 0 (10 s)

Prints the value of every read, one per line (hex).  Exit status 1 on a
FAIL reply, a timeout or a closed connection.
"""

import socket
import sys
import time

TIMEOUT = 60


def connect(path):
    deadline = time.monotonic() + TIMEOUT
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            sock.settimeout(TIMEOUT)
            return sock.makefile("rw")
        except OSError:
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def cmd(f, line):
    f.write(line + "\n")
    f.flush()
    while True:
        reply = f.readline()
        if not reply:
            raise EOFError("qtest connection closed")
        reply = reply.strip()
        # Asynchronous "IRQ ..." lines only come with irq_intercept_*.
        if reply.startswith("OK") or reply.startswith("FAIL"):
            break
    if not reply.startswith("OK"):
        raise RuntimeError("%s: %s" % (line, reply))
    return reply[2:].strip()


def cfg_addr(dev, reg):
    return 0x80000000 | (dev << 11) | reg


def cfg_write32(f, dev, reg, val):
    cmd(f, "outl 0xcf8 0x%x" % cfg_addr(dev, reg))
    cmd(f, "outl 0xcfc 0x%x" % val)


def cfg_read32(f, dev, reg):
    cmd(f, "outl 0xcf8 0x%x" % cfg_addr(dev, reg))
    return int(cmd(f, "inl 0xcfc"), 16)


def main():
    f = connect(sys.argv[1])
    args = sys.argv[2:]
    for line in args:
        words = line.split()
        if words[0] == "pci_bar0":
            dev, addr = int(words[1], 16), int(words[2], 16)
            cfg_write32(f, dev, 0x10, addr)
            got = cfg_read32(f, dev, 0x10) & ~0xf
            if got != addr:
                raise RuntimeError("BAR0 reads 0x%x, not 0x%x" % (got, addr))
            cmd_reg = cfg_read32(f, dev, 0x04)
            cfg_write32(f, dev, 0x04, (cmd_reg & 0xffff) | 0x6)
        elif words[0] == "wait_clear":
            addr, mask = int(words[1], 16), int(words[2], 16)
            deadline = time.monotonic() + 10
            while int(cmd(f, "readl 0x%x" % addr), 16) & mask:
                if time.monotonic() > deadline:
                    raise RuntimeError("0x%x & 0x%x stays set" % (addr, mask))
                time.sleep(0.01)
        else:
            out = cmd(f, line)
            if words[0].startswith("read") or words[0].startswith("in"):
                print("0x%x" % int(out, 16))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, EOFError, RuntimeError, ValueError) as e:
        print("qtest: %s" % e, file=sys.stderr)
        sys.exit(1)
