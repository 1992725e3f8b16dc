#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""A migration channel between two QEMUs whose return path can be held.

    mig_proxy.py LISTEN TARGET HOLD

Listens on the unix socket LISTEN, takes one connection (the source
QEMU's `migrate "unix:LISTEN"`), connects to the unix socket TARGET (the
destination's `migrate-incoming "unix:TARGET"`) and copies bytes both
ways.  What the destination sends back (the return path) is held, not
read, while the file HOLD exists; the stream itself always flows.

With the switchover-ack capability the source completes only after the
destination acknowledged the device's initial pre-copy data on the return
path, so holding it keeps the source in pre-copy, the device in PRE_COPY,
for as long as a test needs; removing HOLD lets the migration complete.

Each direction closes the other side's writing half at its end of file;
the program exits when both have ended, printing the bytes copied each
way.  Exit status 1 when TARGET cannot be reached or nobody connects
within 120 s.
"""

import os
import socket
import sys
import threading
import time

BUF = 1 << 16


def copy(src, dst, count, hold=None):
    while True:
        while hold and os.path.exists(hold):
            time.sleep(0.05)
        try:
            data = src.recv(BUF)
        except OSError:
            data = b""
        if not data:
            break
        try:
            dst.sendall(data)
        except OSError:
            break
        count[0] += len(data)
    for s, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
        try:
            s.shutdown(how)
        except OSError:
            pass


def main():
    listen, target, hold = sys.argv[1:4]
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(listen)
    srv.listen(1)
    srv.settimeout(120)
    try:
        src, _ = srv.accept()
    except socket.timeout:
        print("mig_proxy: nobody connected", file=sys.stderr)
        return 1
    src.settimeout(None)
    dst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        dst.connect(target)
    except OSError as e:
        print("mig_proxy: %s: %s" % (target, e), file=sys.stderr)
        return 1
    down, up = [0], [0]
    t = threading.Thread(target=copy, args=(dst, src, up, hold))
    t.start()
    copy(src, dst, down)
    t.join()
    print("mig_proxy: %d bytes to the destination, %d back" % (down[0], up[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
