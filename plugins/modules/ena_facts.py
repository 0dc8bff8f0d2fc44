#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ena_facts
short_description: Read an instance's network tuning facts and decide ENA tuning and DPDK set-up from them
version_added: 0.1.0
description:
  - Reads, without changing anything, what the C(ena_tuning) and C(dpdk) roles decide from
    (C(ethtool -i/-l/-g/-c) of an interface, online CPUs, memory, C(/proc/sys) and C(/sys) writability,
    whether this is a container, the kernel command line, hugepages, interfaces, addresses and default routes)
    and returns the decisions, each with its reason.
  - The decision rules live in the collection's C(ena_tuning) and C(dpdk) module_utils, which need nothing
    but the Python standard library.
  - Fails, before anything is changed, when the DPDK request would bind the interface that carries a default
    route, the Ansible connection, the instance's primary address, or the primary ENI.
author:
  - rtc.ec2_fleet developers (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module only reads, so check mode runs it unchanged.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  interface:
    description:
      - The interface to tune.
      - By default the interface with the instance's primary MAC, else the one carrying the IPv4 default route.
    type: str
  instance:
    description:
      - The instance identity from IMDSv2, the fact C(rtc_ec2_instance) of M(rtc.ec2_fleet.instance_metadata)
        (instance_type, placement_group, mac, local_ipv4, interfaces).
    type: dict
    default: {}
  tuning:
    description:
      - Settings of the C(ena_tuning) role (keys C(queues), C(rx_ring), C(interrupt_moderation), C(rx_usecs),
        C(tx_usecs), C(rps), C(rps_sock_flow_entries), C(busy_poll), C(sysctls), C(min_free_kbytes_percent),
        C(isolated_cpus), C(max_cstate), C(kernel_cmdline), C(irqbalance), C(nofile)).
      - Omit to skip the tuning plan.
    type: dict
  dpdk:
    description:
      - Settings of the C(dpdk) role (keys C(interface_mac), C(interface_device_index), C(driver), C(vfio_wc),
        C(hugepage_size), C(hugepages)).
      - Omit to skip the DPDK plan.
    type: dict
  connection_address:
    description:
      - The address Ansible reaches the host at (for example C(ansible_host)), when it is an IP address.
      - The server address of C(SSH_CONNECTION) is used as well when the module runs over SSH.
    type: str
  dpdk_fact_path:
    description: The local fact file of the C(dpdk) role, read for an earlier binding (a bound ENI has no interface).
    type: path
    default: /etc/ansible/facts.d/dpdk.fact
notes:
  - Needs C(ethtool) and C(ip) (iproute2) on the host for the full picture; without C(ethtool) the NIC
    decisions are reported as skipped.
seealso:
  - name: ENA Linux driver best practices
    description: The queue, ring, moderation, IRQ and RPS rules the tuning plan follows.
    link: https://github.com/amzn/amzn-drivers/blob/master/kernel/linux/ena/ENA_Linux_Best_Practices.rst
  - name: DPDK driver for ENA
    description: Write-combining, vfio-pci and igb_uio on EC2.
    link: https://github.com/amzn/amzn-drivers/blob/master/userspace/dpdk/README.md
"""

EXAMPLES = r"""
- name: Decide the tuning of the primary interface
  rtc.ec2_fleet.ena_facts:
    instance: "{{ rtc_ec2_instance }}"
    tuning:
      interrupt_moderation: adaptive
      sysctls:
        net.core.rmem_max: 16777216
  register: ena

- name: Show the decisions
  ansible.builtin.debug:
    var: ena.tuning_summary

- name: Plan DPDK on the ENI at device index 1 (fails on the management interface)
  rtc.ec2_fleet.ena_facts:
    instance: "{{ rtc_ec2_instance }}"
    connection_address: "{{ ansible_host | default(omit) }}"
    dpdk:
      interface_device_index: 1
      hugepages: 512
"""

RETURN = r"""
facts:
  description: What the decisions were made from.
  returned: success
  type: dict
  contains:
    interface:
      description: The interface tuned.
      type: str
      sample: eth0
    driver:
      description: C(ethtool -i) of that interface (driver, version, firmware_version, bus_info), or null.
      type: dict
    vcpus:
      description: Number of online CPUs.
      type: int
      sample: 4
    container:
      description: The container manager when this is a container (podman, docker, lxc...), else null.
      type: str
      sample: podman
    default_route_interfaces:
      description: Interfaces that carry an IPv4 or IPv6 default route.
      type: list
      elements: str
      sample: [eth0]
tuning:
  description: The tuning plan (decisions with status apply, skip or off, value, current, change, reason).
  returned: when O(tuning) is given
  type: dict
tuning_fact:
  description: The stable part of the tuning plan, as written to the local fact C(ena_tuning.fact).
  returned: when O(tuning) is given
  type: dict
tuning_summary:
  description: One line per tuning decision.
  returned: when O(tuning) is given
  type: list
  elements: str
dpdk:
  description: The DPDK plan (decisions hugepages, driver, binding; bind target).
  returned: when O(dpdk) is given
  type: dict
dpdk_fact:
  description: The stable part of the DPDK plan, as written to the local fact C(dpdk.fact).
  returned: when O(dpdk) is given
  type: dict
dpdk_summary:
  description: One line per DPDK decision.
  returned: when O(dpdk) is given
  type: list
  elements: str
"""

import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import socket  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.rtc.ec2_fleet.plugins.module_utils import dpdk as dpdk_lib  # noqa: E402
from ansible_collections.rtc.ec2_fleet.plugins.module_utils import ena_tuning  # noqa: E402

# Tests point this at a fake tree.
ROOT = "/"

EXTRA_SYSCTLS = ("net.core.busy_poll", "net.core.busy_read", "net.core.rps_sock_flow_entries", "vm.min_free_kbytes")


def _path(*parts):
    return os.path.join(ROOT, *[p.lstrip("/") for p in parts])


def _read(*parts):
    try:
        with open(_path(*parts)) as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def _writable(*parts):
    path = _path(*parts)
    if not os.path.exists(path):
        return False
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return False
    except OSError:
        return False
    return os.access(path, os.W_OK)


def _container():
    for marker, name in (("run/.containerenv", "podman"), (".dockerenv", "docker")):
        if os.path.exists(_path(marker)):
            return name
    value = (_read("run/systemd/container") or "").strip()
    if value:
        return value
    environ = _read("proc/1/environ") or ""
    for item in environ.split("\0"):
        if item.startswith("container="):
            return item.partition("=")[2] or "container"
    return None


def _ip_json(module, args):
    ip = module.get_bin_path("ip")
    if not ip:
        return []
    rc, out, _err = module.run_command([ip, "-j", *args])
    if rc != 0 or not out.strip():
        return []
    try:
        return json.loads(out)
    except ValueError:
        return []


def _netdevs(module):
    devs = []
    for item in _ip_json(module, ["addr", "show"]):
        name = item.get("ifname")
        if not name or name == "lo":
            continue
        link = (
            os.path.realpath(_path("sys/class/net", name, "device"))
            if os.path.exists(_path("sys/class/net", name, "device"))
            else None
        )
        pci = os.path.basename(link) if link and "/pci" in link else None
        driver_link = _path("sys/class/net", name, "device/driver")
        driver = os.path.basename(os.path.realpath(driver_link)) if os.path.exists(driver_link) else None
        devs.append(
            {
                "name": name,
                "mac": item.get("address"),
                "pci": pci,
                "driver": driver,
                "ipv4": [a.get("local") for a in item.get("addr_info", []) if a.get("family") == "inet"],
                "ipv6": [a.get("local") for a in item.get("addr_info", []) if a.get("family") == "inet6"],
            }
        )
    return devs


def _default_route_interfaces(module):
    names = set()
    for args in (["route", "show", "default"], ["-6", "route", "show", "default"]):
        for route in _ip_json(module, args):
            if route.get("dev"):
                names.add(route["dev"])
            for hop in route.get("nexthops") or []:
                if hop.get("dev"):
                    names.add(hop["dev"])
    return sorted(names)


def _is_ip(text):
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, text)
            return True
        except (OSError, ValueError):
            continue
    return False


def _connection_interfaces(netdevs, connection_address):
    candidates = []
    ssh = os.environ.get("SSH_CONNECTION", "").split()
    if len(ssh) >= 3:
        candidates.append(ssh[2])
    if connection_address and _is_ip(connection_address):
        candidates.append(connection_address)
    found = {}
    for dev in netdevs:
        for address in candidates:
            if address in dev["ipv4"] or address in dev["ipv6"]:
                found[dev["name"]] = address
    return found


def _ethtool(module, flag, iface):
    ethtool = module.get_bin_path("ethtool")
    if not ethtool:
        return None
    rc, out, _err = module.run_command([ethtool, flag, iface])
    return out if rc == 0 else None


def _queues(iface, kind, files):
    result = {}
    base = _path("sys/class/net", iface, "queues")
    try:
        names = sorted(n for n in os.listdir(base) if n.startswith(kind + "-"))
    except OSError:
        return result
    for name in names:
        result[name] = dict(
            (f, (_read("sys/class/net", iface, "queues", name, f) or "").strip() or None) for f in files
        )
    return result


def _limits_nofile():
    soft = hard = None
    for line in (_read("proc/1/limits") or "").splitlines():
        if line.startswith("Max open files"):
            fields = line.split()
            soft, hard = fields[3], fields[4]
    nr_open = (_read("proc/sys/fs/nr_open") or "").strip()
    return {
        "pid1_soft": int(soft) if soft and soft.isdigit() else None,
        "pid1_hard": int(hard) if hard and hard.isdigit() else None,
        "nr_open": int(nr_open) if nr_open.isdigit() else None,
    }


def _hugepages():
    result = {}
    base = _path("sys/kernel/mm/hugepages")
    try:
        names = os.listdir(base)
    except OSError:
        names = []
    for kb in ("2048", "1048576"):
        name = "hugepages-%skB" % kb
        nr = (_read("sys/kernel/mm/hugepages", name, "nr_hugepages") or "").strip()
        result[kb] = {
            "exists": name in names,
            "nr": int(nr) if nr.isdigit() else None,
            "writable": _writable("sys/kernel/mm/hugepages", name, "nr_hugepages"),
        }
    return result


def gather(module, params):
    facts = {}
    instance = params["instance"] or {}
    facts["instance_type"] = instance.get("instance_type")
    facts["placement_group"] = instance.get("placement_group")
    facts["architecture"] = platform.machine()
    facts["container"] = _container()
    online = (_read("sys/devices/system/cpu/online") or "").strip()
    facts["cpus_online"] = ena_tuning.parse_cpulist(online) if online else list(range(os.cpu_count() or 1))
    facts["vcpus"] = len(facts["cpus_online"])
    for line in (_read("proc/meminfo") or "").splitlines():
        if line.startswith("MemTotal:"):
            facts["mem_total_kb"] = int(line.split()[1])
    netdevs = _netdevs(module)
    facts["netdevs"] = netdevs
    facts["default_route_interfaces"] = _default_route_interfaces(module)
    facts["connection_interfaces"] = _connection_interfaces(netdevs, params["connection_address"])

    iface = params["interface"]
    if not iface:
        by_mac = [
            d["name"] for d in netdevs if instance.get("mac") and (d["mac"] or "").lower() == instance["mac"].lower()
        ]
        iface = (by_mac or facts["default_route_interfaces"] or [d["name"] for d in netdevs] or [None])[0]
    facts["interface"] = iface
    if iface:
        facts["driver"] = ena_tuning.parse_driver(_ethtool(module, "-i", iface))
        if facts["driver"] is None:
            driver = [d["driver"] for d in netdevs if d["name"] == iface and d["driver"]]
            facts["driver"] = (
                {"driver": driver[0], "version": None, "firmware_version": None, "bus_info": None} if driver else None
            )
        facts["channels"] = ena_tuning.parse_channels(_ethtool(module, "-l", iface))
        facts["rings"] = ena_tuning.parse_rings(_ethtool(module, "-g", iface))
        facts["coalesce"] = ena_tuning.parse_coalesce(_ethtool(module, "-c", iface))
        facts["rx_queues"] = _queues(iface, "rx", ("rps_cpus", "rps_flow_cnt"))
        facts["tx_queues"] = _queues(iface, "tx", ("xps_cpus",))
        first_rx = sorted(facts["rx_queues"])[:1]
        facts["sysfs_writable"] = bool(first_rx) and _writable(
            "sys/class/net", iface, "queues", first_rx[0], "rps_cpus"
        )
    facts["proc_irq_writable"] = _writable("proc/irq")
    facts["grub"] = os.path.exists(_path("etc/default/grub"))
    facts["cmdline"] = (_read("proc/cmdline") or "").strip()
    facts["nofile"] = _limits_nofile()
    facts["hugepages"] = _hugepages()

    names = set(EXTRA_SYSCTLS)
    names.update(((params["tuning"] or {}).get("sysctls") or {}).keys())
    facts["sysctl"] = {}
    for name in sorted(names):
        rel = "proc/sys/" + name.replace(".", "/")
        value = _read(rel)
        facts["sysctl"][name] = {
            "exists": value is not None,
            "writable": value is not None and _writable(rel),
            "value": " ".join(value.split()) if value is not None else None,
        }

    previous = {}
    text = None
    try:
        with open(params["dpdk_fact_path"]) as handle:
            text = handle.read()
    except (IOError, OSError):
        pass
    if text:
        try:
            previous = (json.loads(text) or {}).get("bind") or {}
        except ValueError:
            previous = {}
    facts["previous_binding"] = previous
    facts["pci_drivers"] = {}
    if previous.get("pci"):
        link = _path("sys/bus/pci/devices", previous["pci"], "driver")
        facts["pci_drivers"][previous["pci"]] = (
            os.path.basename(os.path.realpath(link)) if os.path.exists(link) else None
        )
    facts["instance"] = instance
    return facts


def main():
    module = AnsibleModule(
        argument_spec=dict(
            interface=dict(type="str"),
            instance=dict(type="dict", default={}),
            tuning=dict(type="dict"),
            dpdk=dict(type="dict"),
            connection_address=dict(type="str"),
            dpdk_fact_path=dict(type="path", default="/etc/ansible/facts.d/dpdk.fact"),
        ),
        supports_check_mode=True,
    )
    facts = gather(module, module.params)
    result = dict(changed=False, facts=dict((k, v) for k, v in facts.items() if k != "instance"))
    try:
        if module.params["tuning"] is not None:
            plan = ena_tuning.decide(facts, module.params["tuning"])
            result["tuning"] = plan
            result["tuning_fact"] = ena_tuning.local_fact(plan)
            result["tuning_summary"] = ena_tuning.summary(plan)
            for warning in plan["warnings"]:
                module.warn(warning)
        if module.params["dpdk"] is not None:
            dplan = dpdk_lib.plan(facts, module.params["dpdk"])
            result["dpdk"] = dplan
            result["dpdk_fact"] = dpdk_lib.local_fact(dplan)
            result["dpdk_summary"] = dpdk_lib.summary(dplan)
            for warning in dplan["warnings"]:
                module.warn(warning)
    except dpdk_lib.DpdkGuardError as exc:
        module.fail_json(msg=str(exc), guard=True, **result)
    except (dpdk_lib.DpdkError, ena_tuning.EnaTuningError) as exc:
        module.fail_json(msg=str(exc), guard=False, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
