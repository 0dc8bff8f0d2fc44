# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Decision logic of the ``dpdk`` role: which ENI to bind, the guard, the driver mode and hugepages.

Nothing here touches the system; the ``ena_facts`` module gathers the facts
and calls :func:`plan`.  Standard library only, Python 3.8+, no ``ansible``.

Rules (see docs/tuning.md): the ENA PMD needs the device's LLQ BAR mapped
write-combined (amzn-drivers userspace/dpdk README, "ENAv2 and Write
Combining"); stock ``vfio-pci`` does not map it so, ``igb_uio`` does with
``wc_activate=1``; EC2 virtual instances expose no IOMMU, so ``vfio-pci`` runs
in the unsafe no-IOMMU mode there, while ``*.metal`` instances have one
(x86: enabled with ``iommu=1 intel_iommu=on``; arm64: SMMU on by default).

The guard: the interface that carries a default route, the Ansible connection
or the instance's primary address is never bound; :class:`DpdkGuardError`
says which and why, before anything changes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

DRIVERS = ("vfio-pci", "igb_uio")
PAGE_SIZES = {"2M": 2048, "1G": 1048576}
X86 = ("x86_64", "amd64", "i686", "i386")


class DpdkError(Exception):
    """A request that cannot be honoured (bad settings, an ENI that does not exist...)."""


class DpdkGuardError(DpdkError):
    """A request to bind the management interface: refused."""


def normalize_mac(mac):
    text = (mac or "").strip().lower().replace("-", ":")
    if not re.match(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$", text):
        raise DpdkError("invalid MAC address %r: expected six hex pairs such as 0e:11:22:33:44:55" % (mac,))
    return text


def is_metal(instance_type):
    size = (instance_type or "").partition(".")[2].lower()
    return size == "metal" or size.startswith("metal-")


def select_eni(interfaces, mac=None, device_index=None):
    """Pick the ENI from the instance metadata (``rtc_ec2_instance.interfaces``) by MAC or by device index.

    Returns the metadata dict of that ENI, or None when neither selector is given.
    """
    if mac and device_index is not None:
        raise DpdkError("choose the ENI by MAC or by device index, not both")
    if not mac and device_index is None:
        return None
    interfaces = interfaces or []
    if mac:
        wanted = normalize_mac(mac)
        for item in interfaces:
            if normalize_mac(item.get("mac")) == wanted:
                return item
        raise DpdkError(
            "no ENI with MAC %s is attached to this instance (instance metadata lists %s)"
            % (wanted, ", ".join(sorted(i.get("mac") or "?" for i in interfaces)) or "none")
        )
    for item in interfaces:
        if item.get("device_number") == int(device_index):
            return item
    raise DpdkError(
        "no ENI with device index %s is attached to this instance (instance metadata lists device indexes %s)"
        % (device_index, ", ".join(str(i.get("device_number")) for i in interfaces) or "none")
    )


def find_netdev(netdevs, mac):
    """The kernel interface (from ``ip -j link``/sysfs facts) that has ``mac``, or None."""
    wanted = normalize_mac(mac)
    for dev in netdevs or []:
        if dev.get("mac") and normalize_mac(dev["mac"]) == wanted:
            return dev
    return None


def guard(netdev, eni, default_route_interfaces, connection_interfaces, primary_ipv4=None):
    """Raise :class:`DpdkGuardError` when ``netdev`` must not leave the kernel.

    ``default_route_interfaces``: names of interfaces with an IPv4 or IPv6 default route;
    ``connection_interfaces``: {name: address} of interfaces holding the address Ansible connected to.
    """
    name = netdev["name"]
    what = "%s (MAC %s, ENI %s, device index %s)" % (
        name,
        netdev.get("mac"),
        (eni or {}).get("interface_id"),
        (eni or {}).get("device_number"),
    )
    reasons = []
    if name in (default_route_interfaces or []):
        reasons.append("it carries the default route")
    if name in (connection_interfaces or {}):
        reasons.append("it carries the Ansible connection (%s)" % connection_interfaces[name])
    if primary_ipv4 and primary_ipv4 in (netdev.get("ipv4") or []):
        reasons.append("it holds the instance's primary address %s" % primary_ipv4)
    if (eni or {}).get("device_number") == 0:
        reasons.append("it is the primary ENI (device index 0), the instance's management interface")
    if reasons:
        raise DpdkGuardError(
            "refusing to bind %s to a DPDK driver: %s. Binding it would cut this host off the network. "
            "Attach a dedicated ENI for the data plane and select it with dpdk_interface_mac or "
            "dpdk_interface_device_index." % (what, "; ".join(reasons))
        )


def _hugepages(facts, s):
    size = s["hugepage_size"]
    if size not in PAGE_SIZES:
        raise DpdkError("invalid hugepage size %r: choose 2M or 1G" % (size,))
    count = int(s["hugepages"])
    if count < 0:
        raise DpdkError("invalid hugepages %r: it must be >= 0" % (count,))
    kb = PAGE_SIZES[size]
    total_mb = count * kb // 1024
    state = (facts.get("hugepages") or {}).get(str(kb)) or {}
    mem_kb = facts.get("mem_total_kb") or 0
    decision = {"value": {"size": size, "pages": count, "total_mb": total_mb}, "current": state.get("nr")}
    if count == 0:
        decision.update(status="off", reason="dpdk_hugepages is 0: no hugepages reserved")
        return decision
    if mem_kb and count * kb > mem_kb // 2:
        raise DpdkError(
            "dpdk_hugepages %d x %s = %d MiB is more than half of this instance's %d MiB memory"
            % (count, size, total_mb, mem_kb // 1024)
        )
    if facts.get("container"):
        decision.update(
            status="skip",
            reason="hugepages are reserved by the kernel for the whole machine: in a %s container they stay the "
            "host's (%d x %s not reserved, nothing written)" % (facts["container"], count, size),
        )
        return decision
    if not state.get("exists"):
        decision.update(
            status="skip",
            reason="this kernel offers no %s hugepages (/sys/kernel/mm/hugepages/hugepages-%dkB missing)" % (size, kb),
        )
        return decision
    if size == "1G":
        reason = (
            "1 GiB pages are reserved at boot (dpdk.conf NR_1G_PAGES and, with dpdk_kernel_cmdline, "
            "hugepagesz=1G hugepages=%d); a runtime reservation may fall short on fragmented memory" % count
        )
    else:
        reason = "%d x 2 MiB reserved now and at boot (dpdk.conf NR_2M_PAGES, applied by dpdk.service)" % count
    decision.update(status="apply", reason=reason, change=state.get("nr") != count, writable=state.get("writable"))
    return decision


def _driver(facts, s):
    driver = s["driver"]
    if driver not in DRIVERS:
        raise DpdkError("invalid dpdk driver %r: choose %s" % (driver, " or ".join(DRIVERS)))
    metal = is_metal(facts.get("instance_type"))
    arch = facts.get("architecture") or ""
    decision = {"value": {"driver": driver, "iommu": None, "write_combining": None, "modprobe": {}, "kernel_args": []}}
    value = decision["value"]
    if driver == "igb_uio":
        value["write_combining"] = True
        value["iommu"] = False
        value["modprobe"] = {"igb_uio": "wc_activate=1"}
        reason = "igb_uio (dpdk-kmods-dkms) loaded with wc_activate=1 maps the ENA LLQ BAR write-combined"
        if metal and arch not in X86:
            reason += (
                "; on arm64 metal the SMMU must be put in passthrough (iommu.passthrough=1): "
                "igb_uio has no IOMMU support"
            )
            value["kernel_args"] = ["iommu.passthrough=1"]
    elif metal:
        value["iommu"] = True
        value["write_combining"] = "vfio" if s["vfio_wc"] else False
        if arch in X86:
            value["kernel_args"] = ["iommu=1", "intel_iommu=on"]
            reason = "vfio-pci with the IOMMU of this bare-metal instance (enabled by iommu=1 intel_iommu=on)"
        else:
            reason = "vfio-pci with the SMMU of this arm64 bare-metal instance (on by default)"
    else:
        value["iommu"] = False
        value["write_combining"] = "vfio" if s["vfio_wc"] else False
        value["modprobe"] = {"vfio": "enable_unsafe_noiommu_mode=1"}
        reason = (
            "vfio-pci in no-IOMMU mode: a virtual EC2 instance exposes no IOMMU (unsafe mode: the DPDK process "
            "can DMA anywhere, so run only trusted code with that device)"
        )
    if driver == "vfio-pci":
        if s["vfio_wc"]:
            reason += "; write-combining from a WC-patched vfio-pci (dpdk_vfio_write_combining asserts it is installed)"
        else:
            reason += (
                "; stock vfio-pci maps the LLQ BAR uncached: the ENA PMD loses much of its performance (install the "
                "WC-patched vfio-pci from amzn-drivers' enav2-vfio-patch and set dpdk_vfio_write_combining, "
                "or use igb_uio)"
            )
    if facts.get("container"):
        decision.update(
            status="skip",
            reason="kernel modules and their options are the host's in a %s container; would use: %s"
            % (facts["container"], reason),
        )
    else:
        decision.update(status="apply", reason=reason)
    return decision


def plan(facts, settings):
    """Decide the DPDK set-up.

    ``facts``: instance (the ``rtc_ec2_instance`` fact), netdevs (list of {name, mac, driver, pci, ipv4}),
    default_route_interfaces, connection_interfaces ({name: address}), previous binding (from the local fact),
    pci_drivers ({pci address: driver now bound}), container, architecture, instance_type, hugepages, mem_total_kb.
    ``settings``: interface_mac, interface_device_index, driver, vfio_wc, hugepage_size, hugepages.
    Raises DpdkGuardError for the management interface, DpdkError for other impossible requests.
    """
    s = {
        "interface_mac": None,
        "interface_device_index": None,
        "driver": "vfio-pci",
        "vfio_wc": False,
        "hugepage_size": "2M",
        "hugepages": 512,
    }
    s.update(dict((k, v) for k, v in (settings or {}).items() if v is not None or k.startswith("interface_")))
    result = {"decisions": {}, "bind": None, "warnings": []}
    result["decisions"]["hugepages"] = _hugepages(facts, s)
    result["decisions"]["driver"] = _driver(facts, s)

    instance = facts.get("instance") or {}
    eni = select_eni(instance.get("interfaces"), s["interface_mac"], s["interface_device_index"])
    if eni is None:
        result["decisions"]["binding"] = {
            "status": "off",
            "value": None,
            "reason": "no ENI selected (dpdk_interface_mac / dpdk_interface_device_index unset): nothing to bind",
        }
        return _finish(result)
    mac = normalize_mac(eni.get("mac"))
    netdev = find_netdev(facts.get("netdevs"), mac)
    previous = facts.get("previous_binding") or {}
    pci_drivers = facts.get("pci_drivers") or {}
    driver = s["driver"]
    if netdev is None:
        pci = previous.get("pci") if previous.get("mac") == mac else None
        if pci and pci_drivers.get(pci) == driver:
            result["bind"] = {"mac": mac, "pci": pci, "driver": driver, "interface_id": eni.get("interface_id")}
            result["decisions"]["binding"] = {
                "status": "apply",
                "value": result["bind"],
                "reason": "ENI %s (MAC %s) is bound to %s at %s already (it left the kernel's interfaces then)"
                % (eni.get("interface_id"), mac, driver, pci),
            }
            return _finish(result)
        raise DpdkError(
            "ENI %s (MAC %s, device index %s) is attached per instance metadata but no kernel interface has that MAC "
            "and no earlier binding of it is recorded: wait for the attachment to complete, or check the ENI"
            % (eni.get("interface_id"), mac, eni.get("device_number"))
        )
    guard(
        netdev,
        eni,
        facts.get("default_route_interfaces"),
        facts.get("connection_interfaces"),
        instance.get("local_ipv4"),
    )
    pci = netdev.get("pci")
    bind = {"mac": mac, "pci": pci, "driver": driver, "interface_id": eni.get("interface_id"), "name": netdev["name"]}
    if facts.get("container") or not pci:
        result["decisions"]["binding"] = {
            "status": "skip",
            "value": bind,
            "reason": "%s is not a PCI device (%s)%s: nothing to bind"
            % (
                netdev["name"],
                netdev.get("driver") or "unknown driver",
                "; a %s container owns no PCI devices" % facts["container"] if facts.get("container") else "",
            ),
        }
        return _finish(result)
    if netdev.get("driver") != "ena":
        result["warnings"].append(
            "%s is driven by %s, not ena: the ENA PMD will not drive it" % (netdev["name"], netdev.get("driver"))
        )
    result["bind"] = bind
    result["decisions"]["binding"] = {
        "status": "apply",
        "value": bind,
        "change": True,
        "reason": "ENI %s (device index %s) is a dedicated data-plane interface: %s at %s goes to %s"
        % (eni.get("interface_id"), eni.get("device_number"), netdev["name"], pci, driver),
    }
    return _finish(result)


def _finish(result):
    for decision in result["decisions"].values():
        decision.setdefault("change", False)
        decision.setdefault("current", None)
    result["changes"] = sorted(n for n, d in result["decisions"].items() if d.get("change"))
    return result


def local_fact(result):
    return {
        "bind": result["bind"],
        "warnings": list(result["warnings"]),
        "decisions": dict(
            (name, {"status": d["status"], "value": d["value"], "reason": d["reason"]})
            for name, d in sorted(result["decisions"].items())
        ),
    }


def summary(result):
    """One line per decision, for the role's summary."""
    lines = []
    for name, d in sorted(result["decisions"].items()):
        pending = " (changes now)" if d.get("change") else ""
        lines.append("%-10s %-5s%s: %s" % (name, d["status"], pending, d["reason"]))
    return lines
