# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Decision logic of the ``ena_tuning`` role: from facts to a plan, each decision with its reason.

Nothing here touches the system.  The ``ena_facts`` module gathers the facts on
the managed node (``ethtool -i/-l/-g/-c``, ``/proc``, ``/sys``, the instance
identity from IMDSv2) and calls :func:`decide`; the unit tests feed the same
function with recorded outputs of real instance types.  Standard library only,
Python 3.8+, no ``ansible`` import.

Sources of the rules (see docs/tuning.md):

* ENA Linux Driver Best Practices and Performance Optimization Guide
  (amzn-drivers, kernel/linux/ena/ENA_Linux_Best_Practices.rst): queues are
  ``min(max queues per ENI, vCPUs)``; Rx rings 256..16K entries, power of two;
  Tx moderation 64 us static, Rx adaptive (DIM) or off; lowest latency with
  ``adaptive-rx off rx-usecs 0 tx-usecs 0``; busy polling 70 us; keep
  irqbalance and ban CPUs instead of stopping it; RPS when vCPUs outnumber
  queues; ``vm.min_free_kbytes`` 1-3 % of memory; C-states limited through
  ``intel_idle.max_cstate``/``processor.max_cstate`` on the kernel command line.
* Linux Documentation/networking/scaling.rst: RPS/RFS/XPS masks and
  ``rps_sock_flow_entries``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

ENA_DRIVER = "ena"

# Instance families without ENA (they use the Intel 82599 VF or no enhanced networking at all), from the
# EC2 User Guide's "Enhanced networking on Linux" pages. Every current-generation (Nitro) family has ENA.
NO_ENA_FAMILIES = frozenset(
    ["c1", "c3", "c4", "cc2", "cg1", "cr1", "d2", "g2", "hi1", "hs1", "i2", "m1", "m2", "m3", "m4", "r3", "t1", "t2"]
)
# Exceptions inside those families that do have ENA.
ENA_EXCEPTIONS = frozenset(["m4.16xlarge"])

# The ENA guide: driver v2.2.9 is the first to support ENAv3 (most 6th-generation instance types and later).
ENAV3_MIN_DRIVER = (2, 2, 9)

# Sysctls that exist once per kernel, never per container: a container must leave them to its host.
HOST_WIDE_PREFIXES = ("vm.", "kernel.", "fs.", "dev.", "abi.", "user.")

INTERRUPT_MODES = ("adaptive", "off", "static", "keep")

DEFAULT_SETTINGS = {
    "queues": 0,  # 0: min(vCPUs not isolated, device maximum)
    "rx_ring": 4096,  # entries, or "max", or 0 to keep the driver's
    "interrupt_moderation": "adaptive",
    "rx_usecs": 20,
    "tx_usecs": 64,
    "rps": True,
    "rps_sock_flow_entries": 32768,
    "busy_poll": 0,
    "sysctls": {},
    "min_free_kbytes_percent": 1,
    "isolated_cpus": "",
    "max_cstate": None,
    "kernel_cmdline": False,
    "irqbalance": True,
    "nofile": 1048576,
}


class EnaTuningError(Exception):
    """A setting that cannot be honoured, or facts that make no sense."""


# -- parsers of ethtool's text output ---------------------------------------------------------------------


def _number(value):
    value = value.strip()
    if value.lower() in ("n/a", "", "off"):
        return None
    try:
        return int(value, 0)
    except ValueError:
        return None


def _two_sections(text, first, second):
    """Split ``ethtool -l``/``-g`` output into its "Pre-set maximums" and "Current" sections."""
    maximums, current, section = {}, {}, None
    for line in (text or "").splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.lower().startswith(first):
            section = maximums
            continue
        if stripped.lower().startswith(second):
            section = current
            continue
        if section is None or ":" not in stripped:
            continue
        key, _sep, value = stripped.partition(":")
        key = re.sub(r"[^a-z0-9]+", "_", key.strip().lower()).strip("_")
        section[key] = _number(value)
    if not maximums and not current:
        return None
    return {"max": maximums, "current": current}


def parse_channels(text):
    """Parse ``ethtool -l DEV``: ``{"max": {"rx", "tx", "other", "combined"}, "current": {...}}`` or None."""
    return _two_sections(text, "pre-set maximums", "current hardware settings")


def parse_rings(text):
    """Parse ``ethtool -g DEV``: ``{"max": {"rx", "rx_mini", "rx_jumbo", "tx", ...}, "current": {...}}`` or None."""
    return _two_sections(text, "pre-set maximums", "current hardware settings")


def parse_driver(text):
    """Parse ``ethtool -i DEV``: driver, version, firmware_version, bus_info (None when absent)."""
    result = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = re.sub(r"[^a-z0-9]+", "_", key.strip().lower()).strip("_")
        value = value.strip()
        result[key] = value or None
    if not result.get("driver"):
        return None
    return {
        "driver": result.get("driver"),
        "version": result.get("version"),
        "firmware_version": result.get("firmware_version"),
        "bus_info": result.get("bus_info"),
    }


def parse_coalesce(text):
    """Parse ``ethtool -c DEV``: adaptive_rx, adaptive_tx (bool or None) and the usecs/frames numbers."""
    result = {}
    for line in (text or "").splitlines():
        stripped = line.strip()
        match = re.match(r"Adaptive RX:\s*(\S+)\s+TX:\s*(\S+)", stripped)
        if match:
            result["adaptive_rx"] = {"on": True, "off": False}.get(match.group(1))
            result["adaptive_tx"] = {"on": True, "off": False}.get(match.group(2))
            continue
        key, sep, value = stripped.partition(":")
        if not sep:
            continue
        key = key.strip().replace("-", "_")
        if key in ("rx_usecs", "tx_usecs", "rx_frames", "tx_frames"):
            result[key] = _number(value)
    if "adaptive_rx" not in result and "rx_usecs" not in result:
        return None
    return result


# -- CPU lists and masks ----------------------------------------------------------------------------------


def parse_cpulist(text):
    """``"0-3,8,10-11"`` -> ``[0, 1, 2, 3, 8, 10, 11]``; empty or None -> ``[]``."""
    cpus = set()
    for part in (text or "").replace(" ", "").split(","):
        if not part:
            continue
        match = re.match(r"^(\d+)(?:-(\d+))?$", part)
        if not match:
            raise EnaTuningError("invalid CPU list %r: expected e.g. 2-3,6" % (text,))
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            raise EnaTuningError("invalid CPU list %r: range %s runs backwards" % (text, part))
        cpus.update(range(first, last + 1))
    return sorted(cpus)


def format_cpulist(cpus):
    """``[0, 1, 2, 3, 8]`` -> ``"0-3,8"``."""
    ranges = []
    for cpu in sorted(set(cpus)):
        if ranges and cpu == ranges[-1][1] + 1:
            ranges[-1][1] = cpu
        else:
            ranges.append([cpu, cpu])
    parts = [str(first) if first == last else "%d-%d" % (first, last) for first, last in ranges]
    return ",".join(parts)


def cpumask(cpus, ncpus=None):
    """The kernel's hex CPU mask format for sysfs (32-bit groups, comma separated): [8..15] -> ``"0000ff00"``."""
    value = 0
    for cpu in cpus:
        value |= 1 << cpu
    width = max(ncpus or 0, (max(cpus) + 1) if cpus else 1)
    groups = (width + 31) // 32
    words = ["%08x" % ((value >> (32 * i)) & 0xFFFFFFFF) for i in reversed(range(groups))]
    return ",".join(words)


def mask_to_cpus(mask):
    """Inverse of :func:`cpumask` (accepts any group widths and leading zeros)."""
    text = (mask or "").replace(",", "").strip()
    if not text:
        return []
    value = int(text, 16)
    return [bit for bit in range(value.bit_length()) if value >> bit & 1]


# -- instance type knowledge -------------------------------------------------------------------------------


def instance_family(instance_type):
    """``"c6in.2xlarge"`` -> ``"c6in"``."""
    return (instance_type or "").split(".", 1)[0].lower()


def is_metal(instance_type):
    """Bare metal instance types are named ``*.metal`` or ``*.metal-<size>``."""
    size = (instance_type or "").partition(".")[2].lower()
    return size == "metal" or size.startswith("metal-")


def instance_generation(instance_type):
    """The generation digit of the family (``c7gn`` -> 7), None when the name has none."""
    match = re.match(r"^[a-z]+?(\d+)", instance_family(instance_type))
    return int(match.group(1)) if match else None


def ena_supported(instance_type):
    """True when the instance type has ENA, False when it is known not to, None when unknown."""
    if not instance_type:
        return None
    if instance_type.lower() in ENA_EXCEPTIONS:
        return True
    return instance_family(instance_type) not in NO_ENA_FAMILIES


def _version_tuple(text):
    match = re.match(r"^(\d+)\.(\d+)\.(\d+)[a-zA-Z]*$", (text or "").strip())
    if not match:
        return None
    return tuple(int(part) for part in match.groups())


# -- the plan ----------------------------------------------------------------------------------------------


def _decision(plan, name, status, reason, value=None, current=None, change=False):
    plan["decisions"][name] = {
        "status": status,
        "value": value,
        "current": current,
        "change": bool(change) if status == "apply" else False,
        "reason": reason,
    }


def _settings(settings):
    merged = dict(DEFAULT_SETTINGS)
    for key, value in (settings or {}).items():
        if value is not None or key == "max_cstate":
            merged[key] = value
    if merged["interrupt_moderation"] not in INTERRUPT_MODES:
        raise EnaTuningError(
            "invalid interrupt_moderation %r: choose one of %s"
            % (merged["interrupt_moderation"], ", ".join(INTERRUPT_MODES))
        )
    ring = merged["rx_ring"]
    if ring != "max":
        try:
            ring = int(ring)
        except (TypeError, ValueError):
            raise EnaTuningError(
                "invalid rx_ring %r: a power of two (256..16384), 'max' or 0 to keep" % (ring,)
            ) from None
        if ring and (ring < 256 or ring & (ring - 1)):
            raise EnaTuningError("invalid rx_ring %r: ENA rings are powers of two from 256 entries up" % (ring,))
        merged["rx_ring"] = ring
    for key in ("queues", "busy_poll", "nofile", "rps_sock_flow_entries", "rx_usecs", "tx_usecs"):
        if int(merged[key]) < 0:
            raise EnaTuningError("invalid %s %r: it must be >= 0" % (key, merged[key]))
        merged[key] = int(merged[key])
    if merged["max_cstate"] is not None and int(merged["max_cstate"]) < 0:
        raise EnaTuningError("invalid max_cstate %r: it must be >= 0" % (merged["max_cstate"],))
    merged["isolated"] = parse_cpulist(merged["isolated_cpus"])
    return merged


def _same(current, desired):
    return " ".join(str(current).split()) == " ".join(str(desired).split())


def _preflight(plan, facts):
    instance_type = facts.get("instance_type")
    supported = ena_supported(instance_type)
    if supported is False:
        plan["warnings"].append(
            "instance type %s has no ENA (enhanced networking uses the Intel 82599 VF or is absent): "
            "choose a current-generation type (c5n, c6in, c7gn...) for real-time media" % instance_type
        )
    elif supported is None:
        plan["warnings"].append("the instance type is unknown (no instance metadata): ENA support not checked")
    if not facts.get("placement_group"):
        plan["warnings"].append(
            "the instance is in no placement group: a cluster placement group gives the lowest latency and the "
            "highest per-flow bandwidth between media instances in one AZ"
        )
    driver = facts.get("driver") or {}
    version = _version_tuple(driver.get("version"))
    generation = instance_generation(instance_type)
    if driver.get("driver") == ENA_DRIVER and version and generation and generation >= 6 and version < ENAV3_MIN_DRIVER:
        plan["warnings"].append(
            "ENA driver %s is older than 2.2.9, the first to support the ENAv3 devices of %s: update the kernel or "
            "install the driver from amzn-drivers" % (driver.get("version"), instance_type)
        )


def _nic(plan, facts, s):
    """Queues, Rx ring and interrupt moderation: ENA devices only."""
    iface = facts.get("interface")
    driver = (facts.get("driver") or {}).get("driver")
    is_ena = driver == ENA_DRIVER
    plan["is_ena"] = is_ena
    if not is_ena:
        why = (
            "%s is driven by %s, not by ena (a container, an emulated NIC or not an ENA instance): "
            "ENA queue, ring and interrupt settings do not apply" % (iface, driver or "an unknown driver")
        )
        if facts.get("container"):
            why += "; this is a %s container, the NIC belongs to the host" % facts["container"]
        for name in ("queues", "rx_ring", "interrupt_moderation"):
            _decision(plan, name, "skip", why)
        _decision(plan, "ena_driver", "skip", why, value=driver)
        return None

    _decision(
        plan,
        "ena_driver",
        "apply",
        "%s is an ENA device (driver %s %s, PCI %s)"
        % (iface, driver, (facts.get("driver") or {}).get("version"), (facts.get("driver") or {}).get("bus_info")),
        value=(facts.get("driver") or {}).get("version"),
    )

    # Queues.
    queues_target = None
    channels = facts.get("channels")
    vcpus = facts.get("vcpus") or 0
    housekeeping = [c for c in facts.get("cpus_online") or range(vcpus) if c not in s["isolated"]]
    if not channels or not channels["max"].get("combined"):
        _decision(plan, "queues", "skip", "ethtool -l %s reports no combined channels (ethtool missing?)" % iface)
    else:
        maximum = channels["max"]["combined"]
        current = channels["current"].get("combined")
        if s["queues"]:
            queues_target = min(s["queues"], maximum)
            why = "requested %d queues, device maximum %d" % (s["queues"], maximum)
        else:
            basis = len(housekeeping) if s["isolated"] else vcpus
            queues_target = min(basis, maximum)
            why = "min(%s %d, device maximum %d) as the ENA guide recommends" % (
                "vCPUs not isolated" if s["isolated"] else "vCPUs",
                basis,
                maximum,
            )
        queues_target = max(queues_target, 1)
        change = current != queues_target
        _decision(plan, "queues", "apply", why, value=queues_target, current=current, change=change)
        plan["ethtool"].append(["-L", iface, "combined", str(queues_target)])

    # Rx ring.
    rings = facts.get("rings")
    if not s["rx_ring"]:
        _decision(plan, "rx_ring", "off", "rx_ring is 0: the driver's ring size is kept")
    elif not rings or not rings["max"].get("rx"):
        _decision(plan, "rx_ring", "skip", "ethtool -g %s reports no ring sizes" % iface)
    else:
        maximum = rings["max"]["rx"]
        current = rings["current"].get("rx")
        if s["rx_ring"] == "max":
            target, why = maximum, "the device maximum, requested as 'max'"
        else:
            target = min(s["rx_ring"], maximum)
            why = "%d entries requested, device maximum %d: a deeper ring absorbs short vCPU stalls" % (
                s["rx_ring"],
                maximum,
            )
        _decision(plan, "rx_ring", "apply", why, value=target, current=current, change=current != target)
        plan["ethtool"].append(["-G", iface, "rx", str(target)])

    # Interrupt moderation.
    mode = s["interrupt_moderation"]
    coalesce = facts.get("coalesce")
    if mode == "keep":
        _decision(plan, "interrupt_moderation", "off", "interrupt_moderation is 'keep': the driver's defaults stay")
    elif coalesce is None:
        _decision(plan, "interrupt_moderation", "skip", "ethtool -c %s reports no interrupt moderation" % iface)
    else:
        if mode == "adaptive":
            want = {"adaptive_rx": True}
            args = ["adaptive-rx", "on"]
            why = "adaptive Rx moderation (DIM): fewer interrupts under load, low latency when idle"
        elif mode == "off":
            want = {"adaptive_rx": False, "rx_usecs": 0, "tx_usecs": 0}
            args = ["adaptive-rx", "off", "rx-usecs", "0", "tx-usecs", "0"]
            why = "moderation off for the lowest latency (the ENA guide's latency setting), at more CPU per packet"
        else:
            want = {"adaptive_rx": False, "rx_usecs": s["rx_usecs"], "tx_usecs": s["tx_usecs"]}
            args = ["adaptive-rx", "off", "rx-usecs", str(s["rx_usecs"]), "tx-usecs", str(s["tx_usecs"])]
            why = "static moderation: rx %d us, tx %d us" % (s["rx_usecs"], s["tx_usecs"])
        current = dict((key, coalesce.get(key)) for key in want)
        _decision(plan, "interrupt_moderation", "apply", why, value=mode, current=current, change=current != want)
        plan["ethtool"].append(["-C", iface, *args])
    return queues_target


def _rps_xps(plan, facts, s, queues_target):
    iface = facts.get("interface")
    vcpus = facts.get("vcpus") or 0
    online = list(facts.get("cpus_online") or range(vcpus))
    rx_queues = facts.get("rx_queues") or {}
    tx_queues = facts.get("tx_queues") or {}
    nqueues = queues_target or len(rx_queues)
    if not s["rps"]:
        _decision(plan, "rps_xps", "off", "rps is false: packet steering left to the kernel's defaults")
        return
    if not nqueues or vcpus <= nqueues:
        _decision(
            plan,
            "rps_xps",
            "off",
            "%d vCPUs for %d queues: every vCPU has its own queue, RPS would only add work" % (vcpus, nqueues),
        )
        return
    if not facts.get("sysfs_writable"):
        _decision(
            plan,
            "rps_xps",
            "skip",
            "RPS/XPS would help (%d vCPUs, %d queues) but /sys is read-only here%s"
            % (vcpus, nqueues, " (a container: the queues belong to the host)" if facts.get("container") else ""),
        )
        return
    cpus = [c for c in online if c not in s["isolated"]]
    mask = cpumask(cpus, ncpus=vcpus)
    flow_cnt = s["rps_sock_flow_entries"] // nqueues if nqueues else 0
    writes = []
    changes = False
    for index in range(nqueues):
        rx = "rx-%d" % index
        tx = "tx-%d" % index
        current_rx = rx_queues.get(rx, {})
        writes.append(["/sys/class/net/%s/queues/%s/rps_cpus" % (iface, rx), mask])
        writes.append(["/sys/class/net/%s/queues/%s/rps_flow_cnt" % (iface, rx), str(flow_cnt)])
        if mask_to_cpus(current_rx.get("rps_cpus")) != cpus or str(current_rx.get("rps_flow_cnt")) != str(flow_cnt):
            changes = True
        xps = [c for c in cpus if c % nqueues == index] or cpus
        writes.append(["/sys/class/net/%s/queues/%s/xps_cpus" % (iface, tx), cpumask(xps, ncpus=vcpus)])
        if mask_to_cpus(tx_queues.get(tx, {}).get("xps_cpus")) != xps:
            changes = True
    plan["sysfs"].extend(writes)
    plan["sysctl_wanted"]["net.core.rps_sock_flow_entries"] = s["rps_sock_flow_entries"]
    _decision(
        plan,
        "rps_xps",
        "apply",
        "%d vCPUs outnumber %d queues: RPS/RFS spread Rx over CPUs %s, XPS pins Tx queues round-robin"
        % (vcpus, nqueues, format_cpulist(cpus)),
        value={"rps_cpus": mask, "rps_flow_cnt": flow_cnt, "queues": nqueues},
        change=changes,
    )


def _sysctls(plan, facts, s):
    wanted = dict(plan["sysctl_wanted"])
    wanted.update(s["sysctls"] or {})
    if s["busy_poll"]:
        wanted["net.core.busy_poll"] = s["busy_poll"]
        wanted["net.core.busy_read"] = s["busy_poll"]
        _decision(
            plan,
            "busy_poll",
            "apply",
            "busy polling %d us requested (the ENA guide suggests 70): lower latency, a CPU spins per socket"
            % s["busy_poll"],
            value=s["busy_poll"],
        )
    else:
        _decision(plan, "busy_poll", "off", "busy_poll is 0: sockets wait for interrupts")
    mem_kb = facts.get("mem_total_kb")
    if s["min_free_kbytes_percent"] and mem_kb:
        wanted["vm.min_free_kbytes"] = int(mem_kb * s["min_free_kbytes_percent"] / 100)
    states = facts.get("sysctl") or {}
    container = facts.get("container")
    for name in sorted(wanted):
        value = wanted[name]
        key = "sysctl:" + name
        state = states.get(name) or {}
        if container and name.startswith(HOST_WIDE_PREFIXES):
            _decision(
                plan,
                key,
                "skip",
                "host-wide kernel setting: in a %s container it belongs to the host and stays the host's" % container,
                value=value,
                current=state.get("value"),
            )
        elif not state.get("exists"):
            _decision(
                plan,
                key,
                "skip",
                "not present here: %s"
                % (
                    "this network namespace has only per-namespace sysctls; this one is the host's"
                    if container and name.startswith("net.")
                    else "this kernel has no such setting"
                ),
                value=value,
            )
        elif not state.get("writable"):
            _decision(
                plan,
                key,
                "skip",
                "read-only here (/proc/sys is mounted read-only%s)" % (" in this container" if container else ""),
                value=value,
                current=state.get("value"),
            )
        else:
            reason = _SYSCTL_REASONS.get(name, "requested in ena_tuning_sysctls")
            if name == "vm.min_free_kbytes":
                reason = "%d%% of %d kB memory reserved for packet buffer allocations (ENA guide: 1-3%%)" % (
                    s["min_free_kbytes_percent"],
                    mem_kb,
                )
            _decision(
                plan,
                key,
                "apply",
                reason,
                value=value,
                current=state.get("value"),
                change=not _same(state.get("value"), value),
            )
            plan["sysctls"][name] = str(value)
    busy = plan["decisions"].get("sysctl:net.core.busy_poll")
    if s["busy_poll"] and busy and busy["status"] == "skip":
        _decision(
            plan,
            "busy_poll",
            "skip",
            "busy polling %d us requested, but net.core.busy_poll cannot be set here: %s"
            % (s["busy_poll"], busy["reason"]),
            value=s["busy_poll"],
        )


_SYSCTL_REASONS = {
    "net.core.rmem_max": "lets RTP relays ask for large receive buffers (SO_RCVBUF) to ride out bursts",
    "net.core.wmem_max": "lets RTP relays ask for large send buffers (SO_SNDBUF)",
    "net.core.rmem_default": "default receive buffer of every UDP socket, sized for bursts of small RTP packets",
    "net.core.wmem_default": "default send buffer of every UDP socket",
    "net.core.netdev_max_backlog": "packets queued per CPU between the NIC and the stack before drops",
    "net.core.somaxconn": "accept backlog for SIP over TCP/TLS and WebSocket listeners",
    "net.ipv4.udp_rmem_min": "minimum receive buffer per UDP socket under memory pressure",
    "net.ipv4.udp_wmem_min": "minimum send buffer per UDP socket under memory pressure",
    "net.core.busy_poll": "busy polling for poll/select (opt-in)",
    "net.core.busy_read": "busy polling for blocking reads (opt-in)",
    "net.core.rps_sock_flow_entries": "RFS flow table, needed when RPS is on (scaling.rst suggests 32768)",
}


def _irqbalance(plan, facts, s):
    isolated = s["isolated"]
    if not s["irqbalance"]:
        _decision(plan, "irqbalance", "off", "irqbalance is false: IRQ placement left alone")
        return
    if facts.get("container") or not facts.get("proc_irq_writable"):
        _decision(
            plan,
            "irqbalance",
            "skip",
            "IRQ affinity cannot be set here (%s): irqbalance would have nothing to balance"
            % (
                "a %s container, the host owns the IRQs" % facts["container"]
                if facts.get("container")
                else "/proc/irq is read-only"
            ),
        )
        return
    banned = format_cpulist(isolated)
    _decision(
        plan,
        "irqbalance",
        "apply",
        "kept running (the ENA guide: the driver gives no affinity hints, a device reset without irqbalance can "
        "stack IRQs on one CPU)%s" % ("; isolated CPUs %s banned from IRQs" % banned if banned else ""),
        value={"banned_cpulist": banned},
    )


def _kernel_cmdline(plan, facts, s):
    args = []
    notes = []
    isolated = s["isolated"]
    if isolated:
        cpulist = format_cpulist(isolated)
        args.extend(["isolcpus=managed_irq,domain,%s" % cpulist, "nohz_full=%s" % cpulist, "rcu_nocbs=%s" % cpulist])
    if s["max_cstate"] is not None:
        if (facts.get("architecture") or "") in ("x86_64", "amd64", "i686", "i386"):
            args.extend(
                ["intel_idle.max_cstate=%d" % int(s["max_cstate"]), "processor.max_cstate=%d" % int(s["max_cstate"])]
            )
        else:
            notes.append(
                "C-state limit not added: intel_idle/processor.max_cstate exist on x86 only (this is %s)"
                % facts.get("architecture")
            )
    plan["kernel_args"] = args
    if not args:
        why = "nothing requested (no isolated CPUs, no C-state limit)"
        if notes:
            why = "; ".join(notes)
        _decision(plan, "kernel_cmdline", "off", why)
        return
    running = (facts.get("cmdline") or "").split()
    pending = [a for a in args if a not in running]
    if facts.get("container"):
        _decision(
            plan,
            "kernel_cmdline",
            "skip",
            "the kernel command line belongs to the host of this %s container" % facts["container"],
            value=args,
        )
    elif not s["kernel_cmdline"]:
        _decision(
            plan,
            "kernel_cmdline",
            "skip",
            "opt-in: set ena_tuning_kernel_cmdline to true to write these arguments (they need a reboot)",
            value=args,
        )
    elif not facts.get("grub"):
        _decision(
            plan,
            "kernel_cmdline",
            "skip",
            "no GRUB here (/etc/default/grub missing): add the arguments to the image's boot configuration",
            value=args,
        )
    else:
        why = "written to GRUB; %s" % ("a reboot applies %s" % " ".join(pending) if pending else "already running")
        if notes:
            why += "; " + "; ".join(notes)
        _decision(plan, "kernel_cmdline", "apply", why, value=args, change=bool(pending))
    plan["reboot_required"] = bool(pending) and plan["decisions"]["kernel_cmdline"]["status"] == "apply"


def _nofile(plan, facts, s):
    wanted = s["nofile"]
    if not wanted:
        _decision(plan, "nofile", "off", "nofile is 0: file-descriptor limits left alone")
        return
    limits = facts.get("nofile") or {}
    value, caps = wanted, []
    nr_open = limits.get("nr_open")
    if nr_open and nr_open < value:
        value, caps = nr_open, [*caps, "fs.nr_open is %d" % nr_open]
    hard = limits.get("pid1_hard")
    if facts.get("container") and hard and hard < value:
        value, caps = hard, [*caps, "the container runtime caps PID 1 at %d" % hard]
    why = "every call leg holds sockets: %d descriptors per process" % value
    if caps:
        why += " (%d requested; %s)" % (wanted, ", ".join(caps))
    _decision(plan, "nofile", "apply", why, value=value, current=limits.get("pid1_soft"))
    plan["nofile"] = value


def decide(facts, settings=None):
    """Turn gathered ``facts`` and the role's ``settings`` into a plan.

    The plan is a dict: ``decisions`` (name -> status apply/skip/off, value, current, change, reason),
    ``warnings`` (preflight), ``ethtool`` (argument lists for ``ethtool``), ``sysfs`` ([path, value] pairs),
    ``sysctls`` (name -> value, only those that can be applied here), ``kernel_args``, ``nofile``,
    ``irqbalance_banned_cpulist``, ``changes`` (names of decisions whose runtime state differs now) and
    ``reboot_required``.
    """
    s = _settings(settings)
    plan = {
        "interface": facts.get("interface"),
        "instance_type": facts.get("instance_type"),
        "placement_group": facts.get("placement_group"),
        "metal": is_metal(facts.get("instance_type")),
        "container": facts.get("container"),
        "decisions": {},
        "warnings": [],
        "ethtool": [],
        "sysfs": [],
        "sysctls": {},
        "sysctl_wanted": {},
        "kernel_args": [],
        "nofile": 0,
        "reboot_required": False,
    }
    unknown = [c for c in s["isolated"] if c not in (facts.get("cpus_online") or range(facts.get("vcpus") or 0))]
    if unknown:
        raise EnaTuningError(
            "isolated_cpus %s names CPUs this instance does not have (online: %s)"
            % (s["isolated_cpus"], format_cpulist(facts.get("cpus_online") or range(facts.get("vcpus") or 0)))
        )
    if s["isolated"] and len(s["isolated"]) >= (facts.get("vcpus") or 0):
        raise EnaTuningError("isolated_cpus %s leaves no CPU for the kernel and IRQs" % s["isolated_cpus"])
    _preflight(plan, facts)
    queues_target = _nic(plan, facts, s)
    _rps_xps(plan, facts, s, queues_target)
    _sysctls(plan, facts, s)
    _irqbalance(plan, facts, s)
    _kernel_cmdline(plan, facts, s)
    _nofile(plan, facts, s)
    plan["irqbalance_banned_cpulist"] = format_cpulist(s["isolated"])
    del plan["sysctl_wanted"]
    plan["changes"] = sorted(name for name, d in plan["decisions"].items() if d["change"])
    plan["persist"] = bool(plan["ethtool"] or plan["sysfs"])
    return plan


def local_fact(plan):
    """The stable part of a plan for ``/etc/ansible/facts.d/ena_tuning.fact``: no runtime 'current' values,
    so a second run writes the same file."""
    return {
        "interface": plan["interface"],
        "instance_type": plan["instance_type"],
        "placement_group": plan["placement_group"],
        "container": plan["container"],
        "warnings": list(plan["warnings"]),
        "decisions": dict(
            (name, {"status": d["status"], "value": d["value"], "reason": d["reason"]})
            for name, d in sorted(plan["decisions"].items())
        ),
    }


def summary(plan):
    """One line per decision, for the role's summary."""
    lines = []
    for name, d in sorted(plan["decisions"].items()):
        value = "" if d["value"] is None else " = %s" % (d["value"],)
        pending = " (changes now)" if d["change"] else ""
        lines.append("%-36s %-5s%s%s: %s" % (name, d["status"], value, pending, d["reason"]))
    return lines
