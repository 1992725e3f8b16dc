#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Minimal QMP client: run commands one at a time, each after the previous
reply, with a bounded wait, and print each reply's "return" as JSON.

    qmp.py SOCKET COMMAND [COMMAND...]
    qmp.py --events SOCKET

COMMAND is a name ("query-pci") or a JSON object ('{"execute": ...}').
Exit status 1 on an error reply (its "desc" goes to stderr) or a timeout.

--events stays connected and prints every asynchronous event, one JSON
object a line, until QEMU closes the connection; its first line is the
greeting, printed once the monitor is in command mode (from then on no
event is missed).  QEMU sends events to every QMP monitor, so give QEMU a
second -qmp socket for this: a monitor serves one client at a time.
"""

import json
import socket
import sys
import time

TIMEOUT = 60


def connect(path, timeout=TIMEOUT):
    """A line-buffered file on the socket; None: no timeout on reads."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(path)
            sock.settimeout(timeout)
            return sock.makefile("rw")
        except OSError:
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def reply(f):
    """The next reply, skipping asynchronous events."""
    while True:
        line = f.readline()
        if not line:
            raise EOFError("QMP connection closed")
        msg = json.loads(line)
        if "return" in msg or "error" in msg or "QMP" in msg:
            return msg


def events(path):
    # Events come when they come: no timeout on this connection's reads.
    f = connect(path, None)
    greeting = reply(f)
    f.write(json.dumps({"execute": "qmp_capabilities"}) + "\n")
    f.flush()
    if "error" in reply(f):
        return 1
    print(json.dumps(greeting), flush=True)
    try:
        for line in f:
            msg = json.loads(line)
            if "event" in msg:
                print(json.dumps(msg), flush=True)
    except ConnectionError:
        pass                                            # QEMU went away
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--events":
        return events(sys.argv[2])
    f = connect(sys.argv[1])
    reply(f)                                            # the greeting
    for cmd in ['qmp_capabilities'] + sys.argv[2:]:
        req = json.loads(cmd) if cmd.startswith("{") else {"execute": cmd}
        f.write(json.dumps(req) + "\n")
        f.flush()
        msg = reply(f)
        if "error" in msg:
            print("%s: %s" % (req["execute"], msg["error"]["desc"]),
                  file=sys.stderr)
            return 1
        if req["execute"] != "qmp_capabilities":
            print(json.dumps(msg["return"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
