# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""rtc.ec2_fleet.ena_facts through main(): facts read from a fake /proc and /sys tree and recorded ethtool/ip output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.rtc.ec2_fleet.plugins.modules import ena_facts

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ena"


def write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def node(tmp_path, monkeypatch):
    """A c5n.xlarge as the module sees it: recorded ethtool output, two ENA interfaces, eth0 with the default route."""
    root = tmp_path
    write(root, "sys/devices/system/cpu/online", "0-3\n")
    write(root, "proc/meminfo", "MemTotal:       10993712 kB\nMemFree: 1 kB\n")
    write(root, "proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz ro\n")
    write(root, "proc/1/limits", "Max open files            1024                 524288               files     \n")
    write(root, "proc/sys/fs/nr_open", "1073741816\n")
    write(root, "proc/sys/net/core/somaxconn", "4096\n")
    write(root, "proc/sys/net/core/rmem_max", "212992\n")
    write(root, "proc/sys/vm/min_free_kbytes", "67584\n")
    (root / "proc/irq").mkdir(parents=True)
    write(root, "etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=''\n")
    for i in range(4):
        write(root, "sys/class/net/eth0/queues/rx-%d/rps_cpus" % i, "0\n")
        write(root, "sys/class/net/eth0/queues/rx-%d/rps_flow_cnt" % i, "0\n")
        write(root, "sys/class/net/eth0/queues/tx-%d/xps_cpus" % i, "0\n")
    write(root, "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "0\n")
    monkeypatch.setattr(ena_facts, "ROOT", str(root))
    monkeypatch.delenv("SSH_CONNECTION", raising=False)

    recorded = {f: (FIXTURES / "c5n.xlarge" / ("ethtool-%s.txt" % f)).read_text() for f in "ilgc"}
    addr = [
        {"ifname": "lo", "address": "00:00:00:00:00:00", "addr_info": [{"family": "inet", "local": "127.0.0.1"}]},
        {"ifname": "eth0", "address": "0e:11:22:33:44:01", "addr_info": [{"family": "inet", "local": "10.0.1.10"}]},
        {"ifname": "eth1", "address": "0e:11:22:33:44:02", "addr_info": [{"family": "inet", "local": "10.0.2.20"}]},
    ]
    calls = []

    def run_command(self, args, **kwargs):
        calls.append(args)
        if args[0] == "/sbin/ethtool":
            return 0, recorded[args[1][1]], ""
        if args[1:] == ["-j", "addr", "show"]:
            return 0, json.dumps(addr), ""
        if args[1:] == ["-j", "route", "show", "default"]:
            return 0, json.dumps([{"dst": "default", "gateway": "10.0.1.1", "dev": "eth0"}]), ""
        if args[1:] == ["-j", "-6", "route", "show", "default"]:
            return 0, "[]", ""
        raise AssertionError("unexpected command %r" % (args,))

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/sbin/" + name)
    return {"root": root, "calls": calls, "instance": json.loads((FIXTURES / "c5n.xlarge" / "imds.json").read_text())}


def run(capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit) as info:
        ena_facts.main()
    return info.value.code, json.loads(capsys.readouterr().out)


def test_tuning_plan_from_gathered_facts(capsys, node):
    code, result = run(
        capsys,
        {
            "instance": node["instance"],
            "tuning": {"sysctls": {"net.core.somaxconn": 4096, "net.core.rmem_max": 16777216}},
        },
    )
    assert code == 0, result
    assert result["changed"] is False
    facts = result["facts"]
    assert facts["interface"] == "eth0"  # the primary MAC's interface
    assert facts["vcpus"] == 4 and facts["mem_total_kb"] == 10993712
    assert facts["container"] is None
    assert facts["default_route_interfaces"] == ["eth0"]
    assert facts["driver"]["driver"] == "ena"
    assert facts["sysctl"]["net.core.somaxconn"] == {"exists": True, "writable": True, "value": "4096"}
    assert facts["sysctl"]["net.core.busy_poll"]["exists"] is False
    assert facts["nofile"] == {"pid1_soft": 1024, "pid1_hard": 524288, "nr_open": 1073741816}
    decisions = result["tuning"]["decisions"]
    assert decisions["queues"]["value"] == 4
    assert decisions["sysctl:net.core.rmem_max"]["change"] is True
    assert decisions["sysctl:net.core.somaxconn"]["change"] is False
    assert result["tuning_fact"]["decisions"]["queues"] == {
        "status": "apply",
        "value": 4,
        "reason": "min(vCPUs 4, device maximum 4) as the ENA guide recommends",
    }
    assert "dpdk" not in result


def test_container_marker_is_detected(capsys, node):
    write(node["root"], "run/systemd/container", "podman\n")
    _code, result = run(capsys, {"instance": node["instance"], "tuning": {}})
    assert result["facts"]["container"] == "podman"
    assert result["tuning"]["decisions"]["kernel_cmdline"]["status"] == "off"


def test_guard_fails_before_anything_and_says_why(capsys, node, monkeypatch):
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.5 50000 10.0.1.10 22")
    code, result = run(capsys, {"instance": node["instance"], "dpdk": {"interface_device_index": 0}})
    assert code == 1
    assert result["failed"] is True and result["guard"] is True
    assert "refusing to bind eth0" in result["msg"]
    assert "it carries the default route" in result["msg"]
    assert "it carries the Ansible connection (10.0.1.10)" in result["msg"]
    assert result["facts"]["connection_interfaces"] == {"eth0": "10.0.1.10"}


def test_connection_address_option_is_used(capsys, node):
    code, result = run(
        capsys,
        {"instance": node["instance"], "connection_address": "10.0.2.20", "dpdk": {"interface_device_index": 1}},
    )
    assert code == 1 and result["guard"] is True
    assert "Ansible connection (10.0.2.20)" in result["msg"]
    assert "default route" not in result["msg"]


def test_dedicated_eni_plan(capsys, node):
    code, result = run(capsys, {"instance": node["instance"], "dpdk": {"interface_mac": "0e:11:22:33:44:02"}})
    assert code == 0, result
    # No /sys/class/net/eth1/device in the fake tree: not a PCI device, nothing to bind.
    assert result["dpdk"]["decisions"]["binding"]["status"] == "skip"
    assert result["dpdk"]["decisions"]["hugepages"]["status"] == "apply"
    assert result["dpdk_summary"]


def test_bad_settings_fail_cleanly(capsys, node):
    code, result = run(capsys, {"instance": node["instance"], "tuning": {"rx_ring": 1000}})
    assert code == 1 and result["guard"] is False
    assert "powers of two" in result["msg"]


def test_module_documents_every_option():
    import yaml

    doc = yaml.safe_load(ena_facts.DOCUMENTATION)
    assert set(doc["options"]) == {"interface", "instance", "tuning", "dpdk", "connection_address", "dpdk_fact_path"}
    yaml.safe_load(ena_facts.EXAMPLES)
    yaml.safe_load(ena_facts.RETURN)
