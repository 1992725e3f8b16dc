#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Minimal QMP client: run commands one at a time, each after the previous
reply, with a bounded wait, and print each reply's "return" as JSON.

    qmp.py SOCKET COMMAND [COMMAND...]

COMMAND is a name ("query-pci") or a JSON object ('{"execute": ...}').
Exit status 1 on an error reply or a timeout.
"""

import json
import socket
import sys
import time

TIMEOUT = 60


def connect(path):
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(path)
            sock.settimeout(TIMEOUT)
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


def main():
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
