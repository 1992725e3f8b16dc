#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Start one migration on a QEMU and follow it with query-migrate on one
QMP connection (bench/migration/guest.sh; see bench/migration/README.md).

    migmon.py SOCKET URI [--downtime-limit MS] [--cap SECONDS]
              [--raise-to MS] [--interval SECONDS]

Sets the downtime limit if asked (otherwise QEMU's default parameters stay
as they are), refuses to start when query-migrate names blockers, starts
"migrate" to URI and polls query-migrate every --interval seconds (default
1) until the migration completes or fails.  After --cap seconds (default
300) of a migration still active, the numbers at that moment are kept as
"capped"; then with --raise-to the downtime limit is raised to MS on the
running migration and it is followed for another --cap seconds, else (or
if still active after that) it is cancelled.

Prints one JSON object: "blocked" (the blockers, if any), "capped" (the
query-migrate answer at the cap, if reached), "raised_at_ms" and
"raised_to" (when and to what the limit was raised), "final" (the last query-migrate answer), "wall_s", and
"max_expected_downtime" (the largest expected-downtime seen while active).
At the cap, QEMU's trace events of the convergence decision (TRACE) are
on for half a second: their lines, in QEMU's log, show why the migration
does not complete (the pending sizes against the threshold, "max_size").
Exit status 0 if the migration completed, 1 otherwise.  One poll costs a
few milliseconds of QEMU's main loop; a new process per poll would cost
the nested guests far more.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tests", "lib"))
import qmp  # noqa: E402  (tests/lib/qmp.py)

TRACE = ("migrate_transferred", "migrate_pending_exact",
         "vfio_state_pending_exact", "migration_thread_low_pending")


def cmd(f, execute, args=None):
    req = {"execute": execute}
    if args:
        req["arguments"] = args
    f.write(json.dumps(req) + "\n")
    f.flush()
    msg = qmp.reply(f)
    if "error" in msg:
        raise RuntimeError("%s: %s" % (execute, msg["error"]["desc"]))
    return msg["return"]


def trace(f, on):
    for name in TRACE:
        try:
            cmd(f, "trace-event-set-state", {"name": name, "enable": on})
        except RuntimeError:
            pass                                        # not compiled in


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("uri")
    ap.add_argument("--downtime-limit", type=int)
    ap.add_argument("--cap", type=float, default=300)
    ap.add_argument("--raise-to", type=int)
    ap.add_argument("--interval", type=float, default=1.0)
    a = ap.parse_args()

    f = qmp.connect(a.socket)
    qmp.reply(f)                                        # the greeting
    cmd(f, "qmp_capabilities")
    out = {}
    if a.downtime_limit is not None:
        cmd(f, "migrate-set-parameters", {"downtime-limit": a.downtime_limit})
    out["parameters"] = {k: v for k, v in cmd(f, "query-migrate-parameters").items()
                         if k in ("downtime-limit", "max-bandwidth",
                                  "avail-switchover-bandwidth")}
    blocked = cmd(f, "query-migrate").get("blocked-reasons", [])
    if blocked:
        out["blocked"] = blocked
        print(json.dumps(out))
        return 1

    t0 = time.monotonic()
    cmd(f, "migrate", {"uri": a.uri})
    deadline = t0 + a.cap
    raised = cancelled = False
    max_exp = 0
    while True:
        m = cmd(f, "query-migrate")
        st = m.get("status")
        if st in ("completed", "failed", "cancelled"):
            break
        if st == "active":
            max_exp = max(max_exp, m.get("expected-downtime", 0))
        now = time.monotonic()
        if now >= deadline and not cancelled:
            if "capped" not in out:
                out["capped"] = m
                out["capped_at_s"] = round(now - t0, 1)
                trace(f, True)
                time.sleep(0.5)
                trace(f, False)
            if a.raise_to is not None and not raised:
                cmd(f, "migrate-set-parameters", {"downtime-limit": a.raise_to})
                out["raised_at_ms"] = m.get("total-time")
                out["raised_to"] = a.raise_to
                raised = True
                deadline = now + a.cap
            else:
                cmd(f, "migrate_cancel")
                cancelled = True
        time.sleep(a.interval)
    out["final"] = m
    out["wall_s"] = round(time.monotonic() - t0, 1)
    out["max_expected_downtime"] = max_exp
    print(json.dumps(out))
    return 0 if st == "completed" else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, EOFError, RuntimeError, ValueError) as e:
        print("migmon: %s" % e, file=sys.stderr)
        sys.exit(2)
