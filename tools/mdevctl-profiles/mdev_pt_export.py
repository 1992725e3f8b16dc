# SPDX-License-Identifier: GPL-2.0-only
"""mdev-pt-profile export: what Nova and KubeVirt need to hand out the
devices a host profile makes, with the names the driver shows in sysfs.

Per type of the profile: the functions it goes on (BDFs, for Nova's
device_addresses), the type's "name" on each (KubeVirt's mdevNameSelector;
mdev_pt-passthrough is "Passthrough <vendor>:<device>", one name per device
model) and, for migratable types, the "migration_compatibility" string,
which becomes a Nova trait (CUSTOM_MDEV_PT_COMPAT_<sanitized>) and a
KubeVirt node label: hosts with the same string can take each other's
instances.
"""

import hashlib
import json
import os
import re
import socket

import mdev_pt_mgmt as mgmt

FORMATS = ("nova", "nova-provider", "kubevirt", "kubevirt-node", "json")
DEFAULT_DOMAIN = "mdev-pt.example.org"
PT_TYPE = "mdev_pt-passthrough"


def upper_id(text):
    """Upper case, every run of other characters one "_"."""
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


def resource_class(mtype):
    return "CUSTOM_" + upper_id(mtype)


def compat_trait(compat):
    return "CUSTOM_MDEV_PT_COMPAT_" + upper_id(compat)


def label_name(prefix, text):
    """A Kubernetes label name (at most 63 characters of [A-Za-z0-9-_.],
    alphanumeric at both ends): prefix + text, shortened with a hash when
    too long."""
    body = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")
    name = f"{prefix}{body}"
    if len(name) > 63:
        h = hashlib.sha256(text.encode()).hexdigest()[:10]
        name = f"{name[:52].rstrip('-._')}-{h}"
    return name


def compat_label(domain, compat):
    return f"{domain}/{label_name('compat-', compat)}"


def resource_name(domain, mtype, name):
    """KubeVirt resourceName: the type without "mdev_pt-"; the generic
    type's also names the device model."""
    short = mtype.removeprefix("mdev_pt-")
    if mtype == PT_TYPE:
        m = re.fullmatch(r"Passthrough ([0-9a-f]{4}):([0-9a-f]{4})", name)
        if m:
            short = f"passthrough-{m.group(1)}-{m.group(2)}"
    return f"{domain}/{label_name('', short)}"


def kubevirt_type(mtype, name):
    """What mediatedDeviceTypes lists: the type ID, except for the generic
    type, which every function offers: its name, spaces as "_" (KubeVirt
    compares names so), picks one device model."""
    return name.replace(" ", "_") if mtype == PT_TYPE else mtype


def collect(desired, domain):
    """The export data of a profile's desired devices (read from sysfs)."""
    types = {}
    for d in desired:
        t, p = d["config"]["mdev_type"], d["parent"]
        tdir = os.path.join(mgmt.MDEV_BUS, p, "mdev_supported_types", t)
        try:
            name = mgmt.read(os.path.join(tdir, "name"))
        except OSError as e:
            raise mgmt.Error(f"{p}: cannot read the name of {t}: {e}") from e
        try:
            compat = mgmt.read(os.path.join(tdir, "migration_compatibility"))
        except FileNotFoundError:
            compat = None
        except OSError as e:
            raise mgmt.Error(f"{p}: cannot read migration_compatibility of {t}: {e}") from e
        e = types.setdefault(t, {"type": t, "functions": [], "names": {}, "compat": {}})
        if p not in e["functions"]:
            e["functions"].append(p)
            e["names"].setdefault(name, []).append(p)
            if compat is not None:
                e["compat"].setdefault(compat, []).append(p)
    out = []
    for t in sorted(types):
        e = types[t]
        e["functions"].sort()
        for fns in e["names"].values():
            fns.sort()
        for fns in e["compat"].values():
            fns.sort()
        e["migratable"] = bool(e["compat"])
        e["nova"] = {"resource_class": resource_class(t),
                     "traits": sorted(compat_trait(c) for c in e["compat"])}
        e["kubevirt"] = {
            "mediated_device_types": sorted({kubevirt_type(t, n) for n in e["names"]}),
            "selectors": [{"mdevNameSelector": n, "resourceName": resource_name(domain, t, n)}
                          for n in sorted(e["names"])],
            "node_labels": sorted(compat_label(domain, c) for c in e["compat"])}
        out.append(e)
    return out


def q(s):
    """A YAML double-quoted scalar (JSON's string syntax is YAML's)."""
    return json.dumps(s)


def nova(profile, types, node):
    lines = [f"# nova.conf of {node}, for mdev-pt profile \"{profile}\" "
             "(mdev-pt-profile export nova).",
             "# A flavor asks for resources:<mdev_class>=1; for a migratable type also for",
             "# trait:<its compatibility trait>=required (see export nova-provider).",
             "[devices]",
             "enabled_mdev_types = " + ", ".join(t["type"] for t in types)]
    for t in types:
        lines += ["", f"[mdev_{t['type']}]",
                  "device_addresses = " + ",".join(t["functions"]),
                  f"mdev_class = {t['nova']['resource_class']}"]
        if len(t["names"]) > 1:
            lines.append(f"# {t['type']} pools {len(t['names'])} device models here ("
                         + ", ".join(sorted(t["names"])) + "): Nova has one class per type")
        for tr in t["nova"]["traits"]:
            lines.append(f"# migratable: trait {tr}")
    return "\n".join(lines) + "\n"


def nova_provider(profile, types, node):
    providers = []
    for t in types:
        for compat, fns in sorted(t["compat"].items()):
            for p in fns:
                providers.append((f"{node}_pci_{re.sub('[:.]', '_', p)}", compat_trait(compat)))
    lines = [f"# Nova provider config of {node}, for mdev-pt profile \"{profile}\"",
             "# (mdev-pt-profile export nova-provider): a file in [compute]",
             "# provider_config_location (default /etc/nova/provider_config/), read when",
             "# nova-compute starts.  One resource provider per function of a migratable",
             "# type, named <node>_<libvirt node device> as `openstack resource provider",
             "# list` shows them (--node NAME if Nova's node name is not the hostname).",
             "meta:",
             "  schema_version: \"1.0\"",
             "providers:" + ("" if providers else " []")]
    for name, trait in providers:
        lines += ["  - identification:",
                  f"      name: {q(name)}",
                  "    traits:",
                  "      additional:",
                  f"        - {q(trait)}"]
    return "\n".join(lines) + "\n"


def kubevirt(profile, types, node):
    lines = [f"# KubeVirt: spec.configuration of the KubeVirt CR, for mdev-pt profile "
             f"\"{profile}\"",
             f"# as on {node} (mdev-pt-profile export kubevirt).  virt-handler keeps the",
             "# instances mdev-pt-profile made of these types, creates some on idle functions",
             "# that offer them, and removes instances of types not listed.",
             "spec:",
             "  configuration:",
             "    mediatedDevicesConfiguration:",
             "      mediatedDeviceTypes:"]
    lines += [f"        - {q(k)}" for t in types for k in t["kubevirt"]["mediated_device_types"]]
    lines += ["    permittedHostDevices:",
              "      mediatedDevices:"]
    for t in types:
        for s in t["kubevirt"]["selectors"]:
            lines += [f"        - mdevNameSelector: {q(s['mdevNameSelector'])}",
                      f"          resourceName: {q(s['resourceName'])}"]
    return "\n".join(lines) + "\n"


def kubevirt_node(profile, types, node):
    labels = sorted({lb for t in types for lb in t["kubevirt"]["node_labels"]})
    lines = [f"# Node labels of {node}, for mdev-pt profile \"{profile}\" "
             "(mdev-pt-profile export kubevirt-node):",
             f"#   kubectl patch node {node} --patch-file FILE",
             "# One label per migration compatibility string of a migratable type: a VM",
             "# whose nodeSelector names it only runs, and migrates, where it holds.",
             "metadata:",
             "  labels:" + ("" if labels else " {}")]
    lines += [f"    {q(lb)}: \"true\"" for lb in labels]
    return "\n".join(lines) + "\n"


def render(fmt, profile, desired, domain=DEFAULT_DOMAIN, node=None):
    node = node or socket.gethostname()
    types = collect(desired, domain)
    if fmt == "json":
        return json.dumps({"profile": profile, "node": node, "types": types}, indent=2) + "\n"
    return {"nova": nova, "nova-provider": nova_provider, "kubevirt": kubevirt,
            "kubevirt-node": kubevirt_node}[fmt](profile, types, node)
