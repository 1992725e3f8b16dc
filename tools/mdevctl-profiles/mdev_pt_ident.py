# SPDX-License-Identifier: GPL-2.0-only
"""Stable identities of PCI functions, and the selectors that name them.

A BDF moves when a card changes slot or the bus numbers shift; a serial
number does not.  The identity of a function is read from sysfs, first
source that has one wins:

    dsn:01-23-45-67-89-ab-cd-ef   PCIe Device Serial Number extended
                                  capability (config space, as root)
    vpd:SERIAL                    the "SN" keyword of the VPD read-only data
    nvme:SERIAL                   the NVMe controller's serial number
                                  (sysfs, while the nvme driver has it)

A VF is its PF's identity and its VF index (the PF's virtfn<N> link):
"nvme:S1234#3".

PF selectors, as the SR-IOV device plugin writes pfNames ("ens1f0#0-3,7"):

    KIND:VALUE[#RANGE]   KIND: dsn, vpd, nvme (an identity), bdf (a PCI
                         address), pci (VVVV:DDDD, every PF of that model);
    *[#RANGE]            every SR-IOV PF;
    RANGE                VF indexes: N or N-M, comma-separated ("0-3,7");
                         without it, every VF of the PF.
"""

import glob
import os
import re
import struct

from mdev_pt_mgmt import SYSFS, Error, read

PCI_DEVICES = os.path.join(SYSFS, "bus", "pci", "devices")
IDENTITY_KINDS = ("dsn", "vpd", "nvme")         # in order of preference
SELECTOR_KINDS = IDENTITY_KINDS + ("bdf", "pci")
BDF_RE = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")
HEX4_RE = re.compile(r"^[0-9a-f]{4}$")
MAX_VFS = 65535                                  # TotalVFs is 16 bits
PCI_EXT_CAP_ID_DSN = 0x0003


# --- reading identities ---------------------------------------------------------


def parse_dsn(config):
    """The Device Serial Number in config space bytes, as lspci prints it,
    or None (no extended config space, no DSN capability, or 0 / all ones)."""
    off, seen = 0x100, set()
    while 0x100 <= off <= len(config) - 12 and off % 4 == 0 and off not in seen:
        seen.add(off)
        hdr, = struct.unpack_from("<I", config, off)
        if hdr in (0, 0xffffffff):
            return None
        if hdr & 0xffff == PCI_EXT_CAP_ID_DSN:
            lo, hi = struct.unpack_from("<II", config, off + 4)
            value = hi << 32 | lo
            if value in (0, 0xffffffffffffffff):
                return None
            return "-".join(f"{b:02x}" for b in value.to_bytes(8, "big"))
        off = hdr >> 20
    return None


def parse_vpd_serial(data):
    """The "SN" keyword of the VPD-R resource in VPD bytes, or None."""
    i = 0
    while i < len(data):
        tag = data[i]
        if tag & 0x80:                          # large resource
            if i + 3 > len(data):
                return None
            name, length = tag & 0x7f, data[i + 1] | data[i + 2] << 8
            body = data[i + 3:i + 3 + length]
            i += 3 + length
            if name != 0x10:                    # not VPD-R
                continue
            j = 0
            while j + 3 <= len(body):
                key, klen = body[j:j + 2], body[j + 2]
                value = body[j + 3:j + 3 + klen]
                j += 3 + klen
                if key == b"SN":
                    s = value.decode("ascii", "replace").strip(" \0\t\r\n")
                    return s or None
        else:                                   # small resource
            if (tag >> 3) & 0xf == 0xf:         # end tag
                return None
            i += 1 + (tag & 7)
    return None


class Functions:
    """What sysfs says about the PCI functions, read once per run."""

    def __init__(self):
        self._own = {}

    @staticmethod
    def path(bdf, *rest):
        return os.path.join(PCI_DEVICES, bdf, *rest)

    def exists(self, bdf):
        return os.path.isdir(self.path(bdf))

    def all(self):
        try:
            return sorted(os.listdir(PCI_DEVICES))
        except FileNotFoundError:
            return []

    def attr(self, bdf, name):
        try:
            return read(self.path(bdf, name)).removeprefix("0x")
        except OSError:
            return ""

    def is_pf(self, bdf):
        return os.path.exists(self.path(bdf, "sriov_totalvfs"))

    def pfs(self):
        return [b for b in self.all() if self.is_pf(b)]

    def physfn(self, bdf):
        p = self.path(bdf, "physfn")
        return os.path.basename(os.path.realpath(p)) if os.path.islink(p) else None

    def vfs(self, pf):
        """{VF index: BDF} of the PF's enabled VFs."""
        out = {}
        for link in glob.glob(self.path(pf, "virtfn*")):
            n = os.path.basename(link)[len("virtfn"):]
            if n.isdigit():
                out[int(n)] = os.path.basename(os.path.realpath(link))
        return out

    def vf_index(self, bdf):
        pf = self.physfn(bdf)
        if pf is None:
            return None
        for n, vf in self.vfs(pf).items():
            if vf == bdf:
                return n
        return None

    def driver(self, bdf):
        p = self.path(bdf, "driver")
        return os.path.basename(os.path.realpath(p)) if os.path.islink(p) else ""

    def own_identities(self, bdf):
        """The function's own identities ("kind:value"), preferred first."""
        if bdf in self._own:
            return self._own[bdf]
        ids = []
        try:
            with open(self.path(bdf, "config"), "rb") as f:
                dsn = parse_dsn(f.read(4096))
        except OSError:
            dsn = None
        if dsn:
            ids.append(f"dsn:{dsn}")
        try:
            with open(self.path(bdf, "vpd"), "rb") as f:
                sn = parse_vpd_serial(f.read(32768))
        except OSError:
            sn = None
        if sn and valid_value(sn):
            ids.append(f"vpd:{sn}")
        for p in sorted(glob.glob(self.path(bdf, "nvme", "nvme*", "serial"))):
            try:
                sn = read(p)
            except OSError:
                continue
            if sn and valid_value(sn):
                ids.append(f"nvme:{sn}")
                break
        self._own[bdf] = ids
        return ids

    def identities(self, bdf):
        """Every identity of the function, preferred first: a VF's are its
        PF's, each with the VF index ("nvme:S1#3")."""
        pf = self.physfn(bdf)
        if pf is None:
            return self.own_identities(bdf)
        n = self.vf_index(bdf)
        return [f"{i}#{n}" for i in self.own_identities(pf)] if n is not None else []

    def identity(self, bdf):
        """The function's stable identity (the preferred one), or None."""
        ids = self.identities(bdf)
        return ids[0] if ids else None


# --- selectors ------------------------------------------------------------------------


def valid_value(v):
    return bool(v) and "#" not in v and all(0x20 <= ord(c) < 0x7f for c in v) \
        and v == v.strip()


def parse_range(text, where):
    """VF indexes from "0-3,7": a sorted list."""
    out = set()
    if text == "":
        raise Error(f"{where}: empty VF range after '#'")
    for item in text.split(","):
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", item)
        if not m:
            raise Error(f"{where}: VF range '{text}': '{item}' is not N or N-M")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) is not None else lo
        if hi < lo:
            raise Error(f"{where}: VF range '{text}': '{item}' goes backwards")
        if hi > MAX_VFS:
            raise Error(f"{where}: VF range '{text}': {hi} is beyond the {MAX_VFS} VFs "
                        "a PF can have")
        twice = out & set(range(lo, hi + 1))
        if twice:
            raise Error(f"{where}: VF range '{text}': VF {min(twice)} named twice")
        out |= set(range(lo, hi + 1))
    return sorted(out)


def normalize(kind, value, where):
    """The canonical "kind:value" of a selector or identity."""
    if kind == "dsn":
        h = value.lower().replace("-", "").replace(":", "")
        if not re.fullmatch(r"[0-9a-f]{16}", h):
            raise Error(f"{where}: '{value}' is not a Device Serial Number "
                        "(16 hex digits, e.g. 01-23-45-67-89-ab-cd-ef)")
        return "dsn:" + "-".join(h[i:i + 2] for i in range(0, 16, 2))
    if kind in ("vpd", "nvme"):
        if not valid_value(value):
            raise Error(f"{where}: '{value}' is not a serial number (printable "
                        "ASCII without '#' or surrounding blanks, not empty)")
        return f"{kind}:{value}"
    if kind == "bdf":
        v = value.lower()
        if re.fullmatch(r"[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]", v):
            v = "0000:" + v
        if not BDF_RE.match(v):
            raise Error(f"{where}: '{value}' is not a PCI address (DDDD:BB:SS.F)")
        return f"bdf:{v}"
    if kind == "pci":
        ids = value.lower().split(":")
        if len(ids) != 2 or not all(HEX4_RE.match(x) for x in ids):
            raise Error(f"{where}: '{value}' is not a PCI vendor:device pair (e.g. 1b36:0010)")
        return f"pci:{ids[0]}:{ids[1]}"
    raise Error(f"{where}: unknown kind '{kind}' (known: {', '.join(SELECTOR_KINDS)})")


class PfSelector:
    """A parsed PF selector: .pf ("*" or "kind:value") and .vfs (a sorted
    list of VF indexes, or None for all)."""

    def __init__(self, text, where, allow_range=True, allow_any=True):
        if not isinstance(text, str):
            raise Error(f"{where}: a PF selector must be a string, not {text!r}")
        self.text = text
        base, hash_, rng = text.partition("#")
        if hash_ and not allow_range:
            raise Error(f"{where}: '{text}' names VFs; give the PF alone "
                        f"('{base}')")
        self.vfs = parse_range(rng, f"{where}: '{text}'") if hash_ else None
        if base == "*":
            if not allow_any:
                raise Error(f"{where}: '*' (every SR-IOV PF) is not allowed here: "
                            "name the PF")
            self.pf = "*"
            return
        if BDF_RE.match(base.lower()):
            base = "bdf:" + base
        kind, colon, value = base.partition(":")
        if not colon:
            raise Error(f"{where}: '{text}' is not a PF selector (KIND:VALUE[#RANGE], "
                        f"KIND one of {', '.join(SELECTOR_KINDS)}; or *[#RANGE])")
        self.pf = normalize(kind, value, f"{where}: '{text}'")

    def __str__(self):
        return self.text

    def match(self, fns, where):
        """The PFs this selector names, sorted: raises Error when it names
        something that is not an SR-IOV PF, or an identity two PFs share."""
        if self.pf == "*":
            return fns.pfs()
        kind, _, value = self.pf.partition(":")
        if kind == "bdf":
            if not fns.exists(value):
                raise Error(f"{where}: '{self.text}': no PCI function {value}")
            if not fns.is_pf(value):
                raise Error(f"{where}: '{self.text}': {value} is not an SR-IOV PF")
            return [value]
        if kind == "pci":
            v, d = value.split(":")
            return [p for p in fns.pfs()
                    if fns.attr(p, "vendor") == v and fns.attr(p, "device") == d]
        hits = [p for p in fns.pfs() if self.pf in fns.own_identities(p)]
        if len(hits) > 1:
            raise Error(f"{where}: '{self.text}': {self.pf} is the identity of "
                        f"{len(hits)} PFs ({', '.join(hits)}): not an identity, use bdf:")
        return hits


def parse_identity(text, where):
    """A function's identity as written in a profile ("nvme:S1#3"),
    normalized; raises Error."""
    if not isinstance(text, str):
        raise Error(f"{where}: an identity must be a string, not {text!r}")
    base, hash_, n = text.partition("#")
    kind, colon, value = base.partition(":")
    if not colon or kind not in IDENTITY_KINDS:
        raise Error(f"{where}: '{text}' is not an identity (KIND:SERIAL[#VF], KIND "
                    f"one of {', '.join(IDENTITY_KINDS)})")
    ident = normalize(kind, value, f"{where}: '{text}'")
    if hash_:
        if not n.isdigit() or int(n) > MAX_VFS:
            raise Error(f"{where}: '{text}': '{n}' is not a VF index")
        ident += f"#{int(n)}"
    return ident
