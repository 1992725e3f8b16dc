# SPDX-License-Identifier: GPL-2.0-only
"""Shared code of mdev-pt-profile and mdev-pt-callout: sysfs, attribute
checks and mdevctl.

Everything that can be read from sysfs is read from there (types offered
by a function, the writable attributes of a live instance); attrs.json
beside this file adds what sysfs cannot tell before an instance exists
(the attribute names of a type and the values the plugin accepts).
"""

import glob
import json
import os
import subprocess
import time

HERE = os.path.dirname(os.path.realpath(__file__))
SYSFS = os.environ.get("MDEV_PT_SYSFS", "/sys")
MDEV_BUS = os.path.join(SYSFS, "class", "mdev_bus")
MDEV_DEVICES = os.path.join(SYSFS, "bus", "mdev", "devices")
PT_DRIVER = os.path.join(SYSFS, "bus", "pci", "drivers", "mdev_pt")
# How long parents() waits for the plugin autoload of newly bound functions.
AUTOLOAD_TIMEOUT = 60
TYPE_PREFIX = "mdev_pt-"
# Files of an mdev device that are not instance attributes.
NOT_ATTRS = {"remove", "uevent", "driver_override"}


class Error(Exception):
    """A problem to report to the user, one line."""


def read(path):
    with open(path, encoding="ascii", errors="replace") as f:
        return f.read().strip()


def load_schema(path=None):
    """The attribute table: {type: {attr: rule}}."""
    path = path or os.environ.get("MDEV_PT_ATTRS") or os.path.join(HERE, "attrs.json")
    try:
        with open(path, encoding="utf-8") as f:
            table = json.load(f)
    except (OSError, ValueError) as e:
        raise Error(f"cannot read the attribute table {path}: {e}") from e
    return {k: v for k, v in table.items() if not k.startswith("_")}


# --- sysfs --------------------------------------------------------------------


def autoload_pending():
    """The functions bound to mdev_pt whose plugin autoload is pending, sorted."""
    pending = []
    for f in sorted(glob.glob(os.path.join(PT_DRIVER, "*", "mdev_pt_autoload"))):
        try:
            if read(f) == "pending":
                pending.append(os.path.basename(os.path.dirname(f)))
        except OSError:
            pass    # unbound meanwhile
    return pending


def wait_autoload(timeout=AUTOLOAD_TIMEOUT):
    """Wait until no function bound to mdev_pt has its plugin autoload
    pending: binding only queues the request for the plugin modules, and a
    plugin it loads adds its types (the parent registers again) later."""
    deadline = time.monotonic() + timeout
    while True:
        pending = autoload_pending()
        if not pending:
            return
        if time.monotonic() >= deadline:
            raise Error(f"the plugin autoload of {', '.join(pending)} is still pending "
                        f"after {timeout} s")
        time.sleep(0.05)


def parents():
    """The mdev parents, sorted: {name: {"vendor", "device", "class", "types"}},
    once the plugin autoload of every function bound to mdev_pt is over."""
    wait_autoload()
    out = {}
    try:
        names = sorted(os.listdir(MDEV_BUS))
    except FileNotFoundError:
        return out
    for name in names:
        d = os.path.join(MDEV_BUS, name)
        info = {"types": {}}
        for f in ("vendor", "device", "class"):
            try:
                info[f] = read(os.path.join(d, f)).removeprefix("0x")
            except OSError:
                info[f] = ""
        tdir = os.path.join(d, "mdev_supported_types")
        for t in sorted(os.listdir(tdir)) if os.path.isdir(tdir) else []:
            try:
                avail = int(read(os.path.join(tdir, t, "available_instances")))
            except (OSError, ValueError):
                avail = 0
            info["types"][t] = {"available": avail}
        out[name] = info
    return out


def instance_type(uuid):
    try:
        return os.path.basename(os.path.realpath(os.path.join(MDEV_DEVICES, uuid, "mdev_type")))
    except OSError:
        return None


def writable_attrs(uuid):
    """Names (paths under the device) of the writable attributes of a live
    instance, sorted."""
    top = os.path.join(MDEV_DEVICES, uuid)
    names = []
    for dirpath, dirnames, filenames in os.walk(top):
        # Stay inside the device: no links (driver, subsystem, ...), no
        # child devices, no power/.
        dirnames[:] = [d for d in dirnames
                       if not os.path.islink(os.path.join(dirpath, d)) and d != "power"
                       and not os.path.exists(os.path.join(dirpath, d, "uevent"))]
        for f in filenames:
            p = os.path.join(dirpath, f)
            rel = os.path.relpath(p, top)
            if rel in NOT_ATTRS or os.path.islink(p):
                continue
            if os.stat(p).st_mode & 0o222:
                names.append(rel)
    return sorted(names)


def attrs_from_sysfs(mdev_type):
    """Writable attribute names of any live instance of mdev_type, or None."""
    try:
        uuids = sorted(os.listdir(MDEV_DEVICES))
    except FileNotFoundError:
        return None
    for u in uuids:
        if instance_type(u) == mdev_type:
            return writable_attrs(u)
    return None


# --- attribute checks ---------------------------------------------------------


def check_value(name, rule, value):
    """Why value is refused for attribute name, or None."""
    kind = rule.get("kind")
    if kind == "uint":
        if not value.isdigit():
            return f"{name}: '{value}' is not a decimal number"
        n = int(value)
        if not rule.get("min", 0) <= n <= rule.get("max", n):
            return f"{name}: {n} is outside {rule.get('min', 0)}..{rule.get('max', n)}"
        if n % rule.get("multiple_of", 1):
            return f"{name}: {n} is not a multiple of {rule['multiple_of']}"
    elif kind == "text":
        v = value[:-1] if value.endswith("\n") else value
        if not rule.get("min_len", 0) <= len(v) <= rule.get("max_len", len(v)):
            return (f"{name}: {len(v)} characters, "
                    f"{rule.get('min_len', 0)}..{rule.get('max_len', len(v))} allowed")
        if any(not 0x20 <= ord(c) < 0x7f for c in v):
            return f"{name}: only printable ASCII characters are allowed"
    return None


def check_attrs(mdev_type, attrs, schema):
    """Check an mdevctl "attrs" list for mdev_type.  Returns (errors,
    notes): errors refuse the device, notes only inform."""
    errors, notes = [], []
    if not isinstance(attrs, list):
        return ["attrs must be a list of {\"name\": \"value\"} objects"], notes
    pairs = []
    for i, a in enumerate(attrs):
        if not isinstance(a, dict) or len(a) != 1:
            errors.append(f"attrs[{i}]: must be an object with exactly one attribute")
            continue
        (k, v), = a.items()
        if not isinstance(v, str):
            # mdevctl 1.2.0 panics on these.
            errors.append(f"attrs[{i}]: the value of {k} must be a JSON string, not {json.dumps(v)}")
            continue
        pairs.append((k, v))
    if mdev_type in schema:
        known = schema[mdev_type]
        for k, v in pairs:
            if k not in known:
                errors.append(f"unknown attribute '{k}' for {mdev_type}"
                              f" (known: {', '.join(sorted(known)) or 'none'})")
                continue
            why = check_value(k, known[k], v)
            if why:
                errors.append(why)
        return errors, notes
    if not pairs:
        return errors, notes
    names = attrs_from_sysfs(mdev_type)
    if names is None:
        notes.append(f"{mdev_type} is not in the attribute table and has no live "
                     "instance: attribute names not checked")
        return errors, notes
    for k, _ in pairs:
        if k not in names:
            errors.append(f"unknown attribute '{k}' for {mdev_type}"
                          f" (known: {', '.join(names) or 'none'})")
    return errors, notes


def check_config(config, schema):
    """Check an mdevctl device config ({"mdev_type", "start", "attrs"})."""
    if not isinstance(config, dict):
        return ["the device config must be a JSON object"], []
    errors = []
    if not isinstance(config.get("mdev_type"), str):
        errors.append("mdev_type missing or not a string")
    if config.get("start") not in ("auto", "manual"):
        errors.append(f"start must be \"auto\" or \"manual\", not {json.dumps(config.get('start'))}")
    e, notes = check_attrs(config.get("mdev_type"), config.get("attrs", []), schema)
    return errors + e, notes


# --- mdevctl --------------------------------------------------------------------


def mdevctl_cmd():
    return os.environ.get("MDEVCTL", "mdevctl")


def mdevctl(*args, stdin=None):
    """Run mdevctl; returns stdout, raises Error with its message."""
    cmd = [mdevctl_cmd(), *args]
    try:
        r = subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=False)
    except OSError as e:
        raise Error(f"cannot run {cmd[0]}: {e}") from e
    if r.returncode != 0:
        msg = (r.stderr.strip() or r.stdout.strip()).replace("\n\n", "\n")
        raise Error(f"{' '.join(cmd)}: {msg}")
    return r.stdout


def mdevctl_list(defined):
    """{uuid: {"parent", "config"}} from mdevctl list [-d] --dumpjson."""
    out = mdevctl("list", "--dumpjson", *(["--defined"] if defined else []))
    devs = {}
    if not out.strip():
        return devs
    for entry in json.loads(out):
        for parent, children in entry.items():
            for child in children:
                for uuid, config in child.items():
                    devs[uuid] = {"parent": parent, "config": config}
    return devs


def mdevctl_version():
    """The installed mdevctl's version as a tuple of ints ("mdevctl 1.4.0")."""
    out = mdevctl("--version").split()
    try:
        return tuple(int(x) for x in out[-1].split("."))
    except (IndexError, ValueError) as e:
        raise Error(f"cannot read mdevctl's version from {' '.join(out)!r}") from e


# --- callout directories ----------------------------------------------------------

# mdevctl 1.2.0 runs the callouts in ETC_CALLOUTS (its package creates it).
# 1.3.0 and later run those in LIB_CALLOUTS first, then those in
# ETC_CALLOUTS, which their man page calls deprecated and which Debian 13's
# mdevctl 1.4.0 package no longer creates.
ETC_CALLOUTS = "/etc/mdevctl.d/scripts.d/callouts"
LIB_CALLOUTS = "/usr/lib/mdevctl/scripts.d/callouts"


def callout_dir(version=None):
    """Where a callout goes for mdevctl VERSION (default: the installed one)."""
    version = version or mdevctl_version()
    return LIB_CALLOUTS if version >= (1, 3, 0) else ETC_CALLOUTS

