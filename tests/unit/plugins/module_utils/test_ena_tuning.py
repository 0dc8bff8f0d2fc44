# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Decision logic of the ena_tuning role, fed with the recorded outputs in tests/unit/fixtures/ena/."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from ansible_collections.rtc.ec2_fleet.plugins.module_utils import ena_tuning as lib

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ena"
VETH = FIXTURES / "lab-veth"  # captured in a lab instance by the molecule tuning scenario
RTP_SYSCTLS = {
    "net.core.rmem_max": 16777216,
    "net.core.wmem_max": 16777216,
    "net.core.rmem_default": 1048576,
    "net.core.wmem_default": 1048576,
    "net.core.netdev_max_backlog": 30000,
    "net.core.somaxconn": 4096,
    "net.ipv4.udp_rmem_min": 16384,
    "net.ipv4.udp_wmem_min": 16384,
}


def load_facts(instance_type):
    """Build the facts the ena_facts module would gather, from the recorded files of one instance type."""
    folder = FIXTURES / instance_type
    host = json.loads((folder / "host.json").read_text())
    imds = json.loads((folder / "imds.json").read_text())
    facts = dict(host)
    facts["cpus_online"] = lib.parse_cpulist(host["cpus_online"])
    facts["vcpus"] = len(facts["cpus_online"])
    facts["interface"] = "eth0"
    facts["instance_type"] = imds["instance_type"]
    facts["placement_group"] = imds["placement_group"]
    facts["driver"] = lib.parse_driver((folder / "ethtool-i.txt").read_text())
    facts["channels"] = lib.parse_channels((folder / "ethtool-l.txt").read_text())
    facts["rings"] = lib.parse_rings((folder / "ethtool-g.txt").read_text())
    facts["coalesce"] = lib.parse_coalesce((folder / "ethtool-c.txt").read_text())
    return facts


def settings(**overrides):
    base = {"sysctls": dict(RTP_SYSCTLS)}
    base.update(overrides)
    return base


# -- parsers ------------------------------------------------------------------------------------------------


def test_parse_channels_of_c5n_xlarge():
    channels = lib.parse_channels((FIXTURES / "c5n.xlarge" / "ethtool-l.txt").read_text())
    assert channels["max"]["combined"] == 4
    assert channels["current"]["combined"] == 4
    assert channels["max"]["rx"] is None  # "n/a"


def test_parse_rings_and_coalesce():
    rings = lib.parse_rings((FIXTURES / "c6in.2xlarge" / "ethtool-g.txt").read_text())
    assert rings["max"]["rx"] == 16384 and rings["max"]["tx"] == 1024
    assert rings["current"]["rx"] == 1024
    coalesce = lib.parse_coalesce((FIXTURES / "c5n.xlarge" / "ethtool-c.txt").read_text())
    assert coalesce == {
        "adaptive_rx": False,
        "adaptive_tx": None,
        "rx_usecs": 0,
        "rx_frames": None,
        "tx_usecs": 64,
        "tx_frames": None,
    }


def test_parse_driver_and_failures():
    driver = lib.parse_driver((FIXTURES / "c7gn.metal" / "ethtool-i.txt").read_text())
    assert driver == {
        "driver": "ena",
        "version": "6.12.38+deb13-cloud-arm64",
        "firmware_version": None,
        "bus_info": "0000:00:05.0",
    }
    assert lib.parse_driver("") is None
    assert lib.parse_channels("netlink error: Operation not supported") is None
    assert lib.parse_coalesce(None) is None


@pytest.mark.parametrize(
    ("text", "cpus"),
    [("0-3,8", [0, 1, 2, 3, 8]), ("", []), ("5", [5]), ("2-3, 6", [2, 3, 6])],
)
def test_cpulists_round_trip(text, cpus):
    assert lib.parse_cpulist(text) == cpus
    assert lib.parse_cpulist(lib.format_cpulist(cpus)) == cpus


def test_cpulist_rejects_nonsense():
    with pytest.raises(lib.EnaTuningError, match="runs backwards"):
        lib.parse_cpulist("5-2")
    with pytest.raises(lib.EnaTuningError, match="invalid CPU list"):
        lib.parse_cpulist("a-b")


def test_cpumask_matches_the_ena_guide_example():
    # The ENA guide's RPS example: cores 8-15 on a 64-vCPU instance -> "00000000,0000ff00".
    assert lib.cpumask(list(range(8, 16)), ncpus=64) == "00000000,0000ff00"
    assert lib.mask_to_cpus("00000000,0000ff00") == list(range(8, 16))
    assert lib.cpumask([0, 1, 2, 3], ncpus=4) == "0000000f"


@pytest.mark.parametrize(
    ("instance_type", "ena", "metal"),
    [
        ("c5n.xlarge", True, False),
        ("c7gn.metal", True, True),
        ("m7i.metal-24xl", True, True),
        ("m4.large", False, False),
        ("m4.16xlarge", True, False),
        ("t2.micro", False, False),
        ("t3.micro", True, False),
        (None, None, False),
    ],
)
def test_instance_type_knowledge(instance_type, ena, metal):
    assert lib.ena_supported(instance_type) is ena
    assert lib.is_metal(instance_type) is metal


# -- decisions per recorded instance type ------------------------------------------------------------------


def test_c5n_xlarge_defaults():
    plan = lib.decide(load_facts("c5n.xlarge"), settings())
    d = plan["decisions"]
    assert plan["is_ena"] is True
    assert d["queues"]["status"] == "apply" and d["queues"]["value"] == 4 and d["queues"]["change"] is False
    assert d["rx_ring"]["value"] == 4096 and d["rx_ring"]["current"] == 1024 and d["rx_ring"]["change"] is True
    # Adaptive moderation is off on this recording: the default (adaptive) turns it on.
    assert d["interrupt_moderation"]["change"] is True
    assert ["-C", "eth0", "adaptive-rx", "on"] in plan["ethtool"]
    assert ["-G", "eth0", "rx", "4096"] in plan["ethtool"]
    assert ["-L", "eth0", "combined", "4"] in plan["ethtool"]
    # 4 vCPUs, 4 queues: no RPS.
    assert d["rps_xps"]["status"] == "off"
    assert plan["sysctls"]["net.core.rmem_max"] == "16777216"
    assert d["sysctl:net.core.somaxconn"]["change"] is False  # 4096 already
    assert d["sysctl:vm.min_free_kbytes"]["value"] == 109937  # 1 % of 10993712 kB
    assert d["irqbalance"]["status"] == "apply"
    assert d["kernel_cmdline"]["status"] == "off"
    assert d["nofile"]["value"] == 1048576
    assert plan["warnings"] == []  # ENA type, in a placement group
    assert plan["persist"] is True
    assert set(plan["changes"]) >= {"rx_ring", "interrupt_moderation", "sysctl:net.core.rmem_max"}


def test_c6in_2xlarge_warns_without_placement_group_and_keeps_adaptive():
    plan = lib.decide(load_facts("c6in.2xlarge"), settings())
    assert any("no placement group" in w for w in plan["warnings"])
    d = plan["decisions"]
    assert d["interrupt_moderation"]["change"] is False  # already adaptive
    assert d["queues"]["value"] == 8


def test_queues_are_raised_back_to_the_vcpu_count():
    facts = load_facts("c6in.2xlarge")
    facts["channels"]["current"]["combined"] = 2
    plan = lib.decide(facts, settings())
    assert plan["decisions"]["queues"] == {
        "status": "apply",
        "value": 8,
        "current": 2,
        "change": True,
        "reason": "min(vCPUs 8, device maximum 8) as the ENA guide recommends",
    }


def test_c7gn_metal_uses_rps_when_vcpus_outnumber_queues():
    plan = lib.decide(load_facts("c7gn.metal"), settings())
    d = plan["decisions"]
    assert d["queues"]["value"] == 32
    assert d["rps_xps"]["status"] == "apply" and d["rps_xps"]["change"] is True
    assert d["rps_xps"]["value"]["rps_cpus"] == "ffffffff,ffffffff"
    assert d["rps_xps"]["value"]["rps_flow_cnt"] == 1024  # 32768 / 32 queues
    assert ["/sys/class/net/eth0/queues/rx-0/rps_cpus", "ffffffff,ffffffff"] in plan["sysfs"]
    # XPS: tx-1 gets CPUs 1 and 33.
    assert ["/sys/class/net/eth0/queues/tx-1/xps_cpus", lib.cpumask([1, 33], ncpus=64)] in plan["sysfs"]
    assert plan["sysctls"]["net.core.rps_sock_flow_entries"] == "32768"
    assert plan["metal"] is True


def test_busy_poll_opt_in_on_an_instance():
    plan = lib.decide(load_facts("c5n.xlarge"), settings(busy_poll=70))
    assert plan["decisions"]["busy_poll"]["status"] == "apply"
    assert plan["sysctls"]["net.core.busy_poll"] == "70" and plan["sysctls"]["net.core.busy_read"] == "70"


def test_c_state_limit_is_x86_only():
    plan = lib.decide(load_facts("c7gn.metal"), settings(max_cstate=1, kernel_cmdline=True))
    assert plan["decisions"]["kernel_cmdline"]["status"] == "off"
    assert "x86 only" in plan["decisions"]["kernel_cmdline"]["reason"]
    plan = lib.decide(load_facts("c5n.xlarge"), settings(max_cstate=1, kernel_cmdline=True))
    assert plan["kernel_args"] == ["intel_idle.max_cstate=1", "processor.max_cstate=1"]
    assert plan["decisions"]["kernel_cmdline"]["status"] == "apply"
    assert plan["reboot_required"] is True


def test_kernel_cmdline_is_opt_in():
    plan = lib.decide(load_facts("c5n.xlarge"), settings(max_cstate=1))
    assert plan["decisions"]["kernel_cmdline"]["status"] == "skip"
    assert "opt-in" in plan["decisions"]["kernel_cmdline"]["reason"]
    assert plan["reboot_required"] is False


def test_kernel_cmdline_already_running_needs_no_reboot():
    facts = load_facts("c5n.xlarge")
    facts["cmdline"] += " intel_idle.max_cstate=1 processor.max_cstate=1"
    plan = lib.decide(facts, settings(max_cstate=1, kernel_cmdline=True))
    assert plan["decisions"]["kernel_cmdline"]["change"] is False
    assert plan["reboot_required"] is False


def test_isolated_cpus_shrink_queues_ban_irqs_and_feed_the_cmdline():
    plan = lib.decide(load_facts("c6in.2xlarge"), settings(isolated_cpus="4-7", kernel_cmdline=True))
    d = plan["decisions"]
    assert d["queues"]["value"] == 4
    assert "not isolated" in d["queues"]["reason"]
    assert d["irqbalance"]["value"] == {"banned_cpulist": "4-7"}
    assert "isolcpus=managed_irq,domain,4-7" in plan["kernel_args"]
    assert "nohz_full=4-7" in plan["kernel_args"]
    # 8 vCPUs for 4 queues: RPS over the housekeeping CPUs only.
    assert d["rps_xps"]["value"]["rps_cpus"] == "0000000f"


def test_isolating_every_cpu_or_unknown_cpus_is_refused():
    with pytest.raises(lib.EnaTuningError, match="leaves no CPU"):
        lib.decide(load_facts("c5n.xlarge"), settings(isolated_cpus="0-3"))
    with pytest.raises(lib.EnaTuningError, match="does not have"):
        lib.decide(load_facts("c5n.xlarge"), settings(isolated_cpus="9"))


@pytest.mark.parametrize(
    ("mode", "args", "change"),
    [
        ("off", ["adaptive-rx", "off", "rx-usecs", "0", "tx-usecs", "0"], True),
        ("static", ["adaptive-rx", "off", "rx-usecs", "20", "tx-usecs", "64"], True),
        ("adaptive", ["adaptive-rx", "on"], True),
    ],
)
def test_interrupt_moderation_modes(mode, args, change):
    plan = lib.decide(load_facts("c5n.xlarge"), settings(interrupt_moderation=mode))
    assert ["-C", "eth0", *args] in plan["ethtool"]
    assert plan["decisions"]["interrupt_moderation"]["change"] is change


def test_interrupt_moderation_off_is_in_place_when_recorded_values_match():
    facts = load_facts("c5n.xlarge")
    facts["coalesce"]["tx_usecs"] = 0
    plan = lib.decide(facts, settings(interrupt_moderation="off"))
    assert plan["decisions"]["interrupt_moderation"]["change"] is False


def test_keep_and_max_and_bad_settings():
    plan = lib.decide(load_facts("c5n.xlarge"), settings(interrupt_moderation="keep", rx_ring="max"))
    assert plan["decisions"]["interrupt_moderation"]["status"] == "off"
    assert plan["decisions"]["rx_ring"]["value"] == 16384
    with pytest.raises(lib.EnaTuningError, match="powers of two"):
        lib.decide(load_facts("c5n.xlarge"), settings(rx_ring=3000))
    with pytest.raises(lib.EnaTuningError, match="interrupt_moderation"):
        lib.decide(load_facts("c5n.xlarge"), settings(interrupt_moderation="fast"))


def test_rx_ring_capped_at_the_device_maximum():
    plan = lib.decide(load_facts("m4.large"), settings(rx_ring=8192))
    # m4.large is not ENA: nothing NIC-level at all.
    assert plan["decisions"]["rx_ring"]["status"] == "skip"
    facts = load_facts("c5n.xlarge")
    facts["rings"]["max"]["rx"] = 2048
    plan = lib.decide(facts, settings(rx_ring=8192))
    assert plan["decisions"]["rx_ring"]["value"] == 2048


def test_m4_large_has_no_ena():
    plan = lib.decide(load_facts("m4.large"), settings())
    assert any("has no ENA" in w for w in plan["warnings"])
    assert plan["is_ena"] is False
    for name in ("queues", "rx_ring", "interrupt_moderation"):
        assert plan["decisions"][name]["status"] == "skip"
        assert "ixgbevf" in plan["decisions"][name]["reason"]
    assert plan["ethtool"] == []


def test_old_driver_on_enav3_instance_is_warned():
    facts = load_facts("c6in.2xlarge")
    facts["driver"]["version"] = "2.2.3g"
    plan = lib.decide(facts, settings())
    assert any("older than 2.2.9" in w for w in plan["warnings"])


# -- containers (the lab) -----------------------------------------------------------------------------------


def container_facts():
    """A lab instance: a podman container on veth, /proc/sys and /sys read-only, its own network namespace."""
    facts = load_facts("c6in.2xlarge")
    facts = copy.deepcopy(facts)
    facts.update(
        instance_type="c6in.large",
        placement_group=None,
        container="podman",
        driver=lib.parse_driver((VETH / "ethtool-i.txt").read_text()),
        channels=lib.parse_channels((VETH / "ethtool-l.txt").read_text()),
        rings=lib.parse_rings((VETH / "ethtool-g.txt").read_text()),
        coalesce=lib.parse_coalesce((VETH / "ethtool-c.txt").read_text()),
        cpus_online=[0, 1],
        vcpus=2,
        sysfs_writable=False,
        proc_irq_writable=False,
        grub=False,
        rx_queues={"rx-0": {"rps_cpus": "0", "rps_flow_cnt": "0"}},
        tx_queues={"tx-0": {"xps_cpus": "0"}},
        nofile={"pid1_soft": 16384, "pid1_hard": 16384, "nr_open": 1048576},
    )
    sysctl = {}
    for name, state in facts["sysctl"].items():
        per_ns = name == "net.core.somaxconn" or name.startswith("net.ipv4.")
        exists = per_ns or not name.startswith("net.")
        sysctl[name] = {"exists": exists, "writable": False, "value": state["value"] if exists else None}
    facts["sysctl"] = sysctl
    return facts


def test_lab_veth_recordings_parse():
    facts = container_facts()
    assert facts["driver"]["driver"] == "veth" and facts["driver"]["bus_info"] is None
    assert facts["channels"]["max"] == {"rx": 2, "tx": 2, "other": None, "combined": None}
    assert facts["rings"] is None and facts["coalesce"] is None


def test_container_skips_everything_host_wide_and_never_fails():
    plan = lib.decide(container_facts(), settings(max_cstate=1, kernel_cmdline=True, busy_poll=50))
    d = plan["decisions"]
    for name in ("queues", "rx_ring", "interrupt_moderation"):
        assert d[name]["status"] == "skip" and "veth" in d[name]["reason"]
    assert d["rps_xps"]["status"] == "skip" and "read-only" in d["rps_xps"]["reason"]
    assert d["irqbalance"]["status"] == "skip"
    assert d["kernel_cmdline"]["status"] == "skip" and "host" in d["kernel_cmdline"]["reason"]
    assert d["sysctl:vm.min_free_kbytes"]["status"] == "skip"
    assert "host-wide" in d["sysctl:vm.min_free_kbytes"]["reason"]
    assert d["sysctl:net.core.rmem_max"]["status"] == "skip"
    assert "network namespace" in d["sysctl:net.core.rmem_max"]["reason"]
    assert d["sysctl:net.core.busy_poll"]["status"] == "skip"
    assert d["busy_poll"]["status"] == "skip" and "cannot be set here" in d["busy_poll"]["reason"]
    # Per-namespace sysctl, but /proc/sys is read-only in the container.
    assert d["sysctl:net.core.somaxconn"]["status"] == "skip"
    assert "read-only" in d["sysctl:net.core.somaxconn"]["reason"]
    assert d["nofile"]["value"] == 16384 and "caps PID 1" in d["nofile"]["reason"]
    assert plan["ethtool"] == [] and plan["sysfs"] == [] and plan["sysctls"] == {}
    assert plan["persist"] is False and plan["reboot_required"] is False


def test_container_with_writable_netns_sysctl_applies_it():
    facts = container_facts()
    facts["sysctl"]["net.core.somaxconn"]["writable"] = True
    facts["sysctl"]["net.core.somaxconn"]["value"] = "128"
    plan = lib.decide(facts, settings())
    assert plan["decisions"]["sysctl:net.core.somaxconn"]["status"] == "apply"
    assert plan["sysctls"] == {"net.core.somaxconn": "4096"}


def test_local_fact_is_stable_across_runs():
    """The fact file holds no runtime values: before and after applying, it is the same."""
    facts = load_facts("c6in.2xlarge")
    facts["channels"]["current"]["combined"] = 2
    before = lib.local_fact(lib.decide(facts, settings()))
    facts["channels"]["current"]["combined"] = 8
    facts["rings"]["current"]["rx"] = 4096
    after_plan = lib.decide(facts, settings())
    assert lib.local_fact(after_plan) == before
    assert "rx_ring" not in after_plan["changes"] and "queues" not in after_plan["changes"]
    json.dumps(before)  # serialisable as the .fact file


def test_summary_has_one_line_per_decision():
    plan = lib.decide(load_facts("c5n.xlarge"), settings())
    lines = lib.summary(plan)
    assert len(lines) == len(plan["decisions"])
    assert any(line.startswith("queues") and "= 4" in line for line in lines)
