#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""The report of bench/migration/guest.sh from its run files.

    report.py WORK FILL RATE_SIZE

WORK holds "header" and, per run N, rN.meta (SIZE CASE REP RATE REPORTS
PAGES), rN.mig (migmon.py's JSON), rN.dma (dma.py's log) and rN.verify
(dma.py verify's line), the last two only for runs with device writes.
"""

import glob
import json
import os
import statistics
import sys


def get(m, *path, default=None):
    for p in path:
        if not isinstance(m, dict) or p not in m:
            return default
        m = m[p]
    return m


def load(work):
    rows = []
    for meta in glob.glob(os.path.join(work, "r*.meta")):
        base = meta[:-len(".meta")]
        size, case, rep, rate, reports, pages = open(meta).read().split()
        r = dict(n=int(os.path.basename(base)[1:]), size=int(size), case=case,
                 rep=int(rep), rate=rate, reports=int(reports), pages=int(pages))
        try:
            r["mig"] = json.load(open(base + ".mig"))
        except (OSError, ValueError):
            r["mig"] = {}
        try:
            r["dma"] = json.load(open(base + ".dma"))
        except (OSError, ValueError):
            r["dma"] = None
        try:
            r["verify"] = open(base + ".verify").read().strip() or "-"
        except OSError:
            r["verify"] = "-"
        try:
            r["trace"] = open(base + ".trace").read().splitlines()
        except OSError:
            r["trace"] = []
        rows.append(r)
    return sorted(rows, key=lambda r: r["n"])


def status(r):
    st = get(r["mig"], "final", "status", default="error")
    if r["mig"].get("blocked"):
        return "blocked"
    if "capped" in r["mig"]:
        return "raised" if st == "completed" else "NOCONV"
    return st


def mb(x):
    return "-" if x is None else "%.1f" % (x / 1e6)


def num(x):
    return "-" if x is None else "%.0f" % x


def main():
    work, fill, rate_size = sys.argv[1], int(sys.argv[2], 0), int(sys.argv[3])
    rows = load(work)
    sys.stdout.write(open(os.path.join(work, "header")).read())
    print()
    print("Every migration: unix socket, QEMU's default parameters (downtime-limit")
    print("300 ms, max-bandwidth 128 MiB/s) unless limit_ms says otherwise; the")
    print("nested guest's RAM is preallocated and above 1 MiB holds 0x%02x (no zero" % fill)
    print("pages), its vCPU is halted; source and destination run side by side in")
    print("the test VM.")
    print("(a) no device; (b) an edu-migratable instance, QEMU's default mode:")
    print("device dirty tracking; (c) the same with x-device-dirty-page-tracking=off,")
    print("enable-migration=on: type1 reports every page dirty at every sync.")
    print()
    print("All runs (MB_sent: ram.transferred, the whole stream on QEMU 10; MB_down:")
    print("ram.downtime-bytes, sent while the source was stopped; iters:")
    print("dirty-sync-count; vfio_B: the device's bytes; reports/pages: instance A's")
    print("DMA_LOGGING_REPORT ranges and the dirty pages they named, from debugfs)")
    fmt = "%5s %-4s %2s %-9s %9s %8s %9s %8s %6s %6s %8s %7s %5s"
    print(fmt % ("MiB", "case", "#", "status", "total_ms", "down_ms", "MB_sent", "MB_down",
                 "vfio_B", "iters", "limit_ms", "reports", "pages"))
    for r in rows:
        if r["rate"] != "0":
            continue
        m = r["mig"].get("final", {})
        print(fmt % (r["size"], r["case"], r["rep"], status(r), num(m.get("total-time")),
                     num(m.get("downtime")), mb(get(m, "ram", "transferred")),
                     mb(get(m, "ram", "downtime-bytes")),
                     num(get(m, "vfio", "transferred")), num(get(m, "ram", "dirty-sync-count")),
                     num(get(r["mig"], "parameters", "downtime-limit")),
                     r["reports"] if r["case"] == "b" else "-",
                     r["pages"] if r["case"] == "b" else "-"))
        c = r["mig"].get("capped")
        if c:
            after = ("limit raised to %s ms, then %s" % (
                get(r["mig"], "raised_to"), get(m, "status"))
                if "raised_at_ms" in r["mig"] else "cancelled")
            print("        not completed after %s s: %s MB sent, %s iterations, %s MB remaining,"
                  % (r["mig"].get("capped_at_s"), mb(get(c, "ram", "transferred")),
                     get(c, "ram", "dirty-sync-count"), mb(get(c, "ram", "remaining"))))
            print("        expected downtime %s ms; %s" % (c.get("expected-downtime"), after))
            for t in r["trace"][-4:]:
                print("        trace: %s" % t)
        if r["mig"].get("blocked"):
            print("        blocked: %s" % "; ".join(r["mig"]["blocked"]))

    keys = (("downtime",), ("ram", "transferred"), ("total-time",), ("ram", "dirty-sync-count"))

    def stat(size, case, fn):
        done = [r["mig"]["final"] for r in rows
                if r["size"] == size and r["case"] == case and r["rate"] == "0"
                and status(r) == "completed"]
        out = []
        for k in keys:
            v = [get(m, *k) for m in done if get(m, *k) is not None]
            out.append(fn(v) if v else None)
        return out, len(done)

    def show(size, label, v):
        print("%5d %-30s %8s %9s %9s %6s" % (size, label, num(v[0]), mb(v[1]), num(v[2]), num(v[3])))

    def ratio(size, label, v, w):
        print("%5d %-30s %8s %9s %9s %6s" % (size, label, *(
            "%.2fx" % (x / y) if x is not None and y else "-" for x, y in zip(v, w))))

    print()
    print("Medians and bests (the smallest value of each column) of the completed")
    print("runs, and ratios; target for (b)/(a): downtime at most 1.2x, bytes at")
    print("most 1.1x")
    print("%5s %-30s %8s %9s %9s %6s" % ("MiB", "", "down_ms", "MB_sent", "total_ms", "iters"))
    for size in sorted({r["size"] for r in rows if r["rate"] == "0"}):
        (a, na), (b, nb) = stat(size, "a", statistics.median), stat(size, "b", statistics.median)
        (abest, _), (bbest, _) = stat(size, "a", min), stat(size, "b", min)
        show(size, "(a) no device, median of %d" % na, a)
        show(size, "(b) dirty tracking, median of %d" % nb, b)
        ratio(size, "(b)/(a) medians", b, a)
        show(size, "(a) best", abest)
        show(size, "(b) best", bbest)
        ratio(size, "(b)/(a) bests", bbest, abest)
        cs = [r for r in rows if r["size"] == size and r["case"] == "c"
              and get(r["mig"], "final", "status") == "completed"]
        if cs:
            m = cs[-1]["mig"]["final"]
            c = [get(m, *k) for k in keys]
            lim = get(cs[-1]["mig"], "raised_to") or get(cs[-1]["mig"], "parameters", "downtime-limit")
            show(size, "(c) all-dirty, limit %s ms" % lim, c)
            ratio(size, "(c)/(a) median", c, a)
        nc = [r for r in rows if r["size"] == size and r["case"] == "c" and "capped" in r["mig"]
              and get(r["mig"], "parameters", "downtime-limit") == 300]
        for r in nc:
            cap = r["mig"]["capped"]
            print("%5d (c) at the default 300 ms limit: not completed in %s s, %s MB sent "
                  "(%.1fx the RAM), %s iterations" % (
                      size, r["mig"].get("capped_at_s"), mb(get(cap, "ram", "transferred")),
                      get(cap, "ram", "transferred", default=0) / (size << 20),
                      get(cap, "ram", "dirty-sync-count")))

    print()
    print("(c) under QEMU's defaults: a migration completes when what is still")
    print("dirty fits in bandwidth x downtime limit, at most 128 MiB/s x 300 ms =")
    print("38.4 MiB, and type1 names the whole RAM dirty at every sync, so no guest")
    print("above that converges.  With a limit that fits the whole RAM it switches")
    print("over at the first check: a stop-and-copy (MB_down is the RAM).")

    dr = [r for r in rows if r["rate"] != "0"]
    if dr:
        base = [r for r in rows if r["size"] == rate_size and r["case"] == "b" and r["rate"] == "0"]
        print()
        print("Device writes during the migration (%d MiB guest, (b)): the edu copies" % rate_size)
        print("4095 bytes of its buffer into guest RAM per DMA (2 pages), one DMA at a")
        print("time, each finishing 100 ms after its start; target and achieved in")
        print("pages/s; dmas: started while the source ran, from 1 s before the")
        print("migration; pages: named by the reports during the migration;")
        print("destination: the DMAs whose bytes the destination holds afterwards;")
        print("the 0 row is the first (b) run above")
        fmt = "%-7s %8s %5s %9s %8s %5s %-9s %8s %7s %-15s"
        print(fmt % ("target", "achieved", "dmas", "total_ms", "down_ms", "iters",
                     "status", "MB_sent", "pages", "destination"))
        for r in base[:1] + dr:
            m = r["mig"].get("final", {})
            d = r["dma"] or {}
            print(fmt % (r["rate"], d.get("pages_per_s", 0), len(d.get("dsts", [])),
                         num(m.get("total-time")), num(m.get("downtime")),
                         num(get(m, "ram", "dirty-sync-count")),
                         "converged" if status(r) == "completed" else status(r),
                         mb(get(m, "ram", "transferred")), r["pages"], r["verify"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
