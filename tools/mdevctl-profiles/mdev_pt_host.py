# SPDX-License-Identifier: GPL-2.0-only
"""Host set-up for mdev-pt-profile: /etc/mdev-pt/*.conf, the vf_autobind
marks it asks for, and install-host / uninstall-host.

/etc/mdev-pt/*.conf (read in name order; "#" after a blank or at the start
of a line begins a comment; words are split as by the shell):

    vf_autobind PF-SELECTOR [numvfs=N]   mark the PF: its VFs bind to mdev_pt;
                                         with numvfs, enable N VFs once the
                                         mark is set, if it has none
    profile PATH                         a host profile "mdev-pt-profile boot"
                                         applies (relative to the directory)

PF-SELECTOR as in profiles, without a VF range and without "*":
dsn:..., vpd:..., nvme:..., pci:VVVV:DDDD (every PF of that model), bdf:...
"""

import glob
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess

import mdev_pt_ident as ident
import mdev_pt_mgmt as mgmt

CONF_DIR = os.environ.get("MDEV_PT_CONF_DIR", "/etc/mdev-pt")
DRIVER = os.path.join(mgmt.SYSFS, "bus", "pci", "drivers", "mdev_pt")
KEYWORDS = ("vf_autobind", "profile")


# --- configuration ----------------------------------------------------------------


class Conf:
    """The parsed configuration: .autobind [{"where", "sel", "numvfs"}],
    .profiles [{"where", "path"}]."""

    def __init__(self):
        self.autobind = []
        self.profiles = []
        self.files = []


def strip_comment(line):
    return re.split(r"(?:^|\s)#", line, maxsplit=1)[0]


def load_conf(conf_dir=None):
    """Read and check every *.conf: raises Error naming each problem."""
    conf_dir = conf_dir or CONF_DIR
    conf, errors, seen = Conf(), [], {}
    if not os.path.isdir(conf_dir):
        return conf
    conf.files = sorted(glob.glob(os.path.join(conf_dir, "*.conf")))
    for path in conf.files:
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except (OSError, UnicodeDecodeError) as e:
            errors.append(f"{path}: {e}")
            continue
        for n, line in enumerate(lines, 1):
            where = f"{path}:{n}"
            try:
                words = shlex.split(strip_comment(line))
            except ValueError as e:
                errors.append(f"{where}: {e}")
                continue
            if not words:
                continue
            key, args = words[0], words[1:]
            if key not in KEYWORDS:
                errors.append(f"{where}: unknown keyword '{key}' (known: {', '.join(KEYWORDS)})")
                continue
            if key == "profile":
                if len(args) != 1:
                    errors.append(f"{where}: profile takes one path, got {len(args)} words")
                    continue
                p = os.path.join(conf_dir, args[0])
                if not os.path.isfile(p):
                    errors.append(f"{where}: profile {p}: no such file")
                    continue
                if p in seen:
                    errors.append(f"{where}: profile {p} named already at {seen[p]}")
                    continue
                seen[p] = where
                conf.profiles.append({"where": where, "path": p})
                continue
            if not args:
                errors.append(f"{where}: vf_autobind needs a PF selector")
                continue
            try:
                sel = ident.PfSelector(args[0], where, allow_range=False, allow_any=False)
            except mgmt.Error as e:
                errors.append(str(e))
                continue
            numvfs = None
            bad = False
            for opt in args[1:]:
                name, eq, value = opt.partition("=")
                if name != "numvfs" or not eq:
                    errors.append(f"{where}: unknown option '{opt}' (known: numvfs=N)")
                    bad = True
                elif not value.isdigit() or not 1 <= int(value) <= ident.MAX_VFS:
                    errors.append(f"{where}: numvfs '{value}' is not a number in "
                                  f"1..{ident.MAX_VFS}")
                    bad = True
                else:
                    numvfs = int(value)
            if bad:
                continue
            if sel.pf in seen:
                errors.append(f"{where}: {sel.pf} named already at {seen[sel.pf]}")
                continue
            seen[sel.pf] = where
            conf.autobind.append({"where": where, "sel": sel, "numvfs": numvfs})
    if errors:
        raise mgmt.Error("the configuration is not usable (nothing done):\n  " +
                         "\n  ".join(errors))
    return conf


# --- vf_autobind --------------------------------------------------------------------


def marks():
    try:
        return set(mgmt.read(os.path.join(DRIVER, "vf_autobind")).split())
    except OSError:
        return set()


def write_sysfs(path, value):
    try:
        with open(path, "w", encoding="ascii") as f:
            f.write(value)
    except OSError as e:
        raise mgmt.Error(f"write '{value}' to {path}: {e.strerror}") from e


def autobind(conf, fns=None, out=print):
    """Set the marks (and VF counts) the configuration asks for.  Everything
    is resolved and checked first: on any error nothing is written.  A
    selector that names no PF yet (its driver not loaded, a card not in this
    host) is only noted.  Returns the number of marks set."""
    fns = fns or ident.Functions()
    if not conf.autobind:
        return 0
    if not os.path.isdir(DRIVER):
        out("mdev_pt is not loaded: no vf_autobind mark set")
        return 0
    todo, errors, owner = [], [], {}
    for e in conf.autobind:
        sel = e["sel"]
        try:
            pfs = sel.match(fns, e["where"])
        except mgmt.Error as err:
            errors.append(str(err))
            continue
        if not pfs:
            out(f"note: {e['where']}: no PF here matches {sel} (yet)")
        for pf in pfs:
            total = int(fns.attr(pf, "sriov_totalvfs") or 0)
            if e["numvfs"] is not None and e["numvfs"] > total:
                errors.append(f"{e['where']}: numvfs={e['numvfs']}: {pf} ({sel}) has at "
                              f"most {total} VFs")
                continue
            if pf in owner:
                errors.append(f"{e['where']}: {pf} is named by {owner[pf]} already")
                continue
            owner[pf] = e["where"]
            todo.append((pf, e))
    if errors:
        raise mgmt.Error("vf_autobind: nothing done:\n  " + "\n  ".join(errors))
    done, failed = 0, []
    marked = marks()
    for pf, e in todo:
        label = f"{pf} ({fns.identity(pf) or e['sel']})"
        if pf not in marked:
            try:
                write_sysfs(os.path.join(DRIVER, "vf_autobind"), pf)
            except mgmt.Error as err:
                failed.append(str(err))
                continue
            done += 1
            n = len(fns.vfs(pf))
            out(f"marked {label}: its new VFs bind to mdev_pt" +
                (f" (its {n} VFs enabled before are left alone)" if n else ""))
        if e["numvfs"] is None:
            continue
        try:
            cur = int(mgmt.read(fns.path(pf, "sriov_numvfs")))
        except (OSError, ValueError):
            cur = -1
        if cur == 0:
            if not fns.driver(pf):
                failed.append(f"{label}: numvfs={e['numvfs']}: the PF has no driver "
                              "to enable its VFs")
                continue
            try:
                write_sysfs(fns.path(pf, "sriov_numvfs"), str(e["numvfs"]))
            except mgmt.Error as err:
                failed.append(str(err))
                continue
            out(f"enabled {e['numvfs']} VFs of {label}")
        elif cur != e["numvfs"]:
            out(f"note: {label} has {cur} VFs; numvfs={e['numvfs']} is applied only "
                "to a PF without VFs")
    if failed:
        raise mgmt.Error("vf_autobind:\n  " + "\n  ".join(failed))
    return done


# --- install-host -------------------------------------------------------------------

MANIFEST = os.environ.get("MDEV_PT_INSTALL_MANIFEST", "/var/lib/mdev-pt/install-host.json")
UDEV_RULE = "/etc/udev/rules.d/61-mdev-pt.rules"
MODULES_LOAD = "/etc/modules-load.d/mdev-pt.conf"
UNIT_DIR = "/etc/systemd/system"
UNIT = "mdev-pt-boot.service"
TOOL_LINK = "/usr/local/sbin/mdev-pt-profile"
RULE_DIRS = ("/etc/udev/rules.d", "/run/udev/rules.d", "/usr/lib/udev/rules.d",
             "/lib/udev/rules.d")
HEADER = "# Installed by mdev-pt-profile install-host; removed by uninstall-host.\n"


def udev_rule(tool):
    return HEADER + f"""\
# vf_autobind marks from {CONF_DIR}/*.conf: when mdev_pt loads, when an
# SR-IOV PF appears or gets its driver, and when an NVMe controller is up
# (its serial number is an identity).
ACTION=="add", SUBSYSTEM=="module", KERNEL=="mdev_pt", RUN+="{tool} autobind --quiet"
ACTION=="add|bind", SUBSYSTEM=="pci", ATTR{{sriov_totalvfs}}=="?*", TEST=="/sys/bus/pci/drivers/mdev_pt", RUN+="{tool} autobind --quiet"
ACTION=="change", SUBSYSTEM=="nvme", ENV{{NVME_EVENT}}=="connected", TEST=="/sys/bus/pci/drivers/mdev_pt", RUN+="{tool} autobind --quiet"
"""


def boot_unit(tool):
    return HEADER + f"""\
[Unit]
Description=mdev-pt: vf_autobind marks and host profiles from {CONF_DIR}
After=systemd-modules-load.service systemd-udevd.service
Before=libvirtd.service
ConditionDirectoryNotEmpty={CONF_DIR}

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart={tool} boot

[Install]
WantedBy=multi-user.target
"""


def mdevctl_rule_paths():
    """(rule file, [absolute mdevctl paths its RUN keys call]) of the
    effective 60-mdevctl.rules, or (None, [])."""
    for d in RULE_DIRS:
        rule = os.path.join(d, "60-mdevctl.rules")
        if os.path.isfile(rule):
            with open(rule, encoding="utf-8", errors="replace") as f:
                text = f.read()
            paths = set()
            for run in re.findall(r'RUN\+?="([^"]*)"', text):
                paths.update(re.findall(r"(/[\w./-]*/mdevctl)(?![\w.-])", run))
            return rule, sorted(paths)
    return None, []


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def wanted_items(tool, callout):
    """What install-host puts in place: [{"kind", "path", ...}], and notes."""
    items, notes = [], []
    rule, paths = mdevctl_rule_paths()
    real = shutil.which("mdevctl") or "/usr/bin/mdevctl"
    if rule is None:
        notes.append("no 60-mdevctl.rules: mdevctl's autostart at boot is not set up "
                      "(is mdevctl installed?)")
    for p in paths:
        if not os.path.lexists(p) and os.path.exists(real) and os.path.realpath(real) != p:
            items.append({"kind": "link", "path": p, "target": os.path.realpath(real),
                          "why": f"{rule} runs {p}"})
    items.append({"kind": "link", "path": TOOL_LINK, "target": tool,
                  "why": "the command udev and systemd run"})
    items.append({"kind": "dir", "path": CONF_DIR, "why": "configuration"})
    items.append({"kind": "file", "path": UDEV_RULE, "text": udev_rule(TOOL_LINK),
                  "why": "vf_autobind marks at boot and hot-plug"})
    items.append({"kind": "file", "path": MODULES_LOAD, "text": "mdev_pt\n",
                  "why": "load mdev_pt at boot"})
    if os.path.isdir(UNIT_DIR):
        unit = os.path.join(UNIT_DIR, UNIT)
        items.append({"kind": "file", "path": unit, "text": boot_unit(TOOL_LINK),
                      "why": "mdev-pt-profile boot at start-up"})
        items.append({"kind": "link", "path": os.path.join(UNIT_DIR, "multi-user.target.wants",
                                                           UNIT),
                      "target": unit, "why": "enabled"})
    if callout:
        try:
            cdir = mgmt.callout_dir()
        except mgmt.Error as e:
            notes.append(f"callout not installed: {e}")
        else:
            items.append({"kind": "link", "path": os.path.join(cdir, "mdev-pt-callout"),
                          "target": callout, "why": "mdevctl callout"})
    return items, notes


def present(item):
    """"ok" (in place), "missing", or "different"."""
    p = item["path"]
    if item["kind"] == "link":
        if not os.path.lexists(p):
            return "missing"
        return "ok" if os.path.islink(p) and os.readlink(p) == item["target"] else "different"
    if item["kind"] == "dir":
        return "ok" if os.path.isdir(p) else ("different" if os.path.lexists(p) else "missing")
    if not os.path.lexists(p):
        return "missing"
    try:
        with open(p, encoding="utf-8") as f:
            return "ok" if f.read() == item["text"] else "different"
    except (OSError, UnicodeDecodeError):
        return "different"


def load_manifest():
    try:
        with open(MANIFEST, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return {"items": []}
    except (OSError, ValueError) as e:
        raise mgmt.Error(f"{MANIFEST}: {e}") from e


def save_manifest(m):
    os.makedirs(os.path.dirname(MANIFEST), exist_ok=True)
    tmp = MANIFEST + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(m, f, indent=2)
        f.write("\n")
    os.replace(tmp, MANIFEST)


def ours(item, manifest):
    return any(m["path"] == item["path"] for m in manifest["items"])


def put(item):
    p = item["path"]
    os.makedirs(os.path.dirname(p), exist_ok=True)
    if item["kind"] == "dir":
        os.makedirs(p, exist_ok=True)
    elif item["kind"] == "link":
        if os.path.lexists(p):
            os.remove(p)
        os.symlink(item["target"], p)
    else:
        tmp = p + ".mdev-pt.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(item["text"])
        os.replace(tmp, p)


def record(item):
    r = {"kind": item["kind"], "path": item["path"]}
    if item["kind"] == "link":
        r["target"] = item["target"]
    elif item["kind"] == "file":
        r["sha256"] = sha(item["text"])
    return r


def reload_daemons(out):
    """Best effort: a udevd or systemd that runs rereads its rules, units."""
    for cmd, cond in ((["udevadm", "control", "--reload"], "/run/udev/control"),
                      (["systemctl", "daemon-reload"], "/run/systemd/system")):
        if os.path.exists(cond):
            r = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if r.returncode == 0:
                out(f"ran {' '.join(cmd)}")


def install_host(tool, callout, dry_run=False, out=print):
    """Put everything in place; idempotent.  Refuses (changing nothing) to
    overwrite a file it did not install, and an unusable configuration."""
    if os.path.isdir(CONF_DIR):
        load_conf()
    manifest = load_manifest()
    items, notes = wanted_items(tool, callout)
    for n in notes:
        out(f"note: {n}")
    todo, errors = [], []
    for item in items:
        state = present(item)
        if state == "ok":
            continue
        if state == "different" and not ours(item, manifest):
            errors.append(f"{item['path']} exists and is not mdev-pt's: move it away first")
            continue
        todo.append(item)
    if errors:
        raise mgmt.Error("install-host: nothing done:\n  " + "\n  ".join(errors))
    if not todo:
        out("install-host: everything is in place already, nothing to do")
        return 0
    for item in todo:
        what = {"link": f"-> {item.get('target')}", "dir": "(directory)",
                "file": "(file)"}[item["kind"]]
        out(f"{'would install' if dry_run else 'install'}: {item['path']} {what}: {item['why']}")
    if dry_run:
        return 0
    for item in todo:
        put(item)
        manifest["items"] = [m for m in manifest["items"] if m["path"] != item["path"]]
        manifest["items"].append(record(item))
        save_manifest(manifest)
    reload_daemons(out)
    conf = load_conf()
    if conf.autobind:
        autobind(conf, out=out)
    return 0


def uninstall_host(dry_run=False, out=print):
    """Remove what install-host put in place, newest first; a file changed
    since is left (and named)."""
    manifest = load_manifest()
    if not manifest["items"]:
        out("uninstall-host: nothing installed")
        return 0
    kept = []
    for r in reversed(manifest["items"]):
        p = r["path"]
        if not os.path.lexists(p):
            continue
        if r["kind"] == "link":
            same = os.path.islink(p) and os.readlink(p) == r["target"]
        elif r["kind"] == "file":
            try:
                with open(p, encoding="utf-8") as f:
                    same = sha(f.read()) == r["sha256"]
            except (OSError, UnicodeDecodeError):
                same = False
        else:
            same = os.path.isdir(p) and not os.listdir(p)
        if not same:
            out(f"left in place: {p} (changed since install-host"
                f"{', not empty' if r['kind'] == 'dir' else ''})")
            kept.append(p)
            continue
        out(f"{'would remove' if dry_run else 'remove'}: {p}")
        if not dry_run:
            if r["kind"] == "dir":
                os.rmdir(p)
            else:
                os.remove(p)
    if dry_run:
        return 0
    os.remove(MANIFEST)
    reload_daemons(out)
    return 0
