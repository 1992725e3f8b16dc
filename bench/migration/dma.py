#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""The edu device of a nested QEMU writes its guest's memory at a given rate,
driven through QEMU's qtest socket (bench/migration/guest.sh; see
bench/migration/README.md).

    dma.py run QTEST QMP BAR RATE LOG [--ram MIB]
    dma.py verify QTEST LOG

run: the edu behind BAR (its BAR0, memory decoding and bus mastering on)
copies its DMA buffer to guest RAM, RATE pages a second ("max": one DMA
after the other, as fast as the device goes), until the VM stops running
(QMP query-status on QMP, asked before and after each start command) or
SIGTERM.  Each DMA writes EDU_BYTES (4095, the most mdev-pt's edu plugin
lets through) at 2 KiB into a page, so it dirties two pages; successive
DMAs walk up guest RAM from 2 MiB, two pages at a time, below the edu's
28-bit DMA limit and the guest's RAM.  First the device reads a page of
guest RAM below 1 MiB that nobody wrote (zeros) into its buffer, so every
DMA writes zeros.  The edu runs one DMA at a time and finishes it 100 ms
after the start command (a timer in QEMU's edu model), so a device does at
most 10 DMAs, 20 pages, a second.

LOG gets one JSON object: the DMAs whose start command was written while
the VM was still running after it ("dsts"), the achieved rate, and the
DMAs left out because the VM stopped around their start.

verify: on the destination, after the migration, each logged DMA's bytes
read as zeros (what the device wrote) and the 2 KiB before them as the
benchmark's fill (0x5a); prints "verified N/M" and exits 1 on a mismatch.
"""

import json
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "migration"))
import qmp  # noqa: E402  (tests/lib/qmp.py)
import qtest  # noqa: E402  (tests/migration/qtest.py)

REG_SRC, REG_DST, REG_COUNT, REG_CMD = 0x80, 0x88, 0x90, 0x98
CMD_START, CMD_TO_RAM = 0x1, 0x2
BUF = 0x40000                   # the device's DMA buffer, device side
EDU_BYTES = 4095                # mdev-pt edu: EDU_DMA_MAX_BYTES
PAGE = 4096
BASE = 2 << 20                  # first page the DMAs write
ZERO_PAGE = 0x10000             # below 1 MiB: never written, zeros
DMA_LIMIT = 1 << 28             # the edu masks DMA addresses to 28 bits
FILL = 0x5a


class Stop(Exception):
    pass


def on_term(signum, frame):
    raise Stop()


def running(q):
    q.write(json.dumps({"execute": "query-status"}) + "\n")
    q.flush()
    msg = qmp.reply(q)
    return msg.get("return", {}).get("status") == "running"


def wait_idle(t, bar, timeout=5.0):
    deadline = time.monotonic() + timeout
    while int(qtest.cmd(t, "readl 0x%x" % (bar + REG_CMD)), 16) & CMD_START:
        if time.monotonic() > deadline:
            raise RuntimeError("the DMA does not finish")
        time.sleep(0.005)


def dma(t, bar, src, dst, count, cmd):
    qtest.cmd(t, "writel 0x%x 0x%x" % (bar + REG_SRC, src))
    qtest.cmd(t, "writel 0x%x 0x%x" % (bar + REG_DST, dst))
    qtest.cmd(t, "writel 0x%x 0x%x" % (bar + REG_COUNT, count))
    qtest.cmd(t, "writel 0x%x 0x%x" % (bar + REG_CMD, cmd))


def run(qt_path, qmp_path, bar, rate, log, ram_mib):
    t = qtest.connect(qt_path)
    q = qmp.connect(qmp_path)
    qmp.reply(q)
    q.write(json.dumps({"execute": "qmp_capabilities"}) + "\n")
    q.flush()
    qmp.reply(q)
    top = min(DMA_LIMIT, ram_mib << 20) - 2 * PAGE
    interval = 0.0 if rate == "max" else 2.0 / float(rate)
    out = {"rate": rate, "dsts": [], "raced": 0, "skipped_busy": 0}
    signal.signal(signal.SIGTERM, on_term)
    # The buffer reads zeros: copy a page of untouched RAM into it.
    wait_idle(t, bar)
    dma(t, bar, ZERO_PAGE, BUF, EDU_BYTES, CMD_START)
    wait_idle(t, bar)
    t0 = time.monotonic()
    k = 0
    why = "stopped"
    try:
        while True:
            if interval:
                delay = t0 + k * interval - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            wait_idle(t, bar)
            if not running(q):
                why = "VM stopped"
                break
            dst = BASE + (k * 2 * PAGE) % (top - BASE) + PAGE // 2
            dma(t, bar, BUF, dst, EDU_BYTES, CMD_START | CMD_TO_RAM)
            if running(q):
                out["dsts"].append(dst)
            else:
                out["raced"] += 1
            k += 1
    except Stop:
        why = "SIGTERM"
    except (OSError, EOFError, RuntimeError) as e:
        why = "error: %s" % e
    elapsed = time.monotonic() - t0
    out["why"] = why
    out["dmas"] = k
    out["seconds"] = round(elapsed, 2)
    out["pages_per_s"] = round(2 * len(out["dsts"]) / elapsed, 1) if elapsed > 0 else 0
    with open(log, "w") as f:
        json.dump(out, f)
    return 0


def verify(qt_path, log):
    t = qtest.connect(qt_path)
    with open(log) as f:
        dsts = json.load(f)["dsts"]
    bad = 0
    for dst in dsts:
        got = bytes.fromhex(qtest.cmd(t, "read 0x%x 0x%x" % (dst - PAGE // 2, PAGE // 2 + EDU_BYTES))[2:])
        if got[:PAGE // 2] != bytes([FILL]) * (PAGE // 2) or any(got[PAGE // 2:]):
            bad += 1
            if bad <= 5:
                print("# 0x%x: the destination has not what the device wrote" % dst,
                      file=sys.stderr)
    print("verified %d/%d" % (len(dsts) - bad, len(dsts)))
    return 1 if bad else 0


def main():
    a = sys.argv[1:]
    if len(a) >= 6 and a[0] == "run":
        ram = int(a[7]) if len(a) >= 8 and a[6] == "--ram" else 256
        return run(a[1], a[2], int(a[3], 0), a[4], a[5], ram)
    if len(a) == 3 and a[0] == "verify":
        return verify(a[1], a[2])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, EOFError, RuntimeError, ValueError) as e:
        print("dma: %s" % e, file=sys.stderr)
        sys.exit(1)
