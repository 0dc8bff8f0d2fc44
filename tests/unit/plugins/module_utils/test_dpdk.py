# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Decision logic of the dpdk role: ENI selection, the management-interface guard, driver mode, hugepages."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from ansible_collections.rtc.ec2_fleet.plugins.module_utils import dpdk as lib

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ena"


def facts_of(recording, **overrides):
    folder = FIXTURES / recording
    host = json.loads((folder / "host.json").read_text())
    imds = json.loads((folder / "imds.json").read_text())
    facts = copy.deepcopy(host)
    facts.update(instance=imds, instance_type=imds["instance_type"])
    facts.update(overrides)
    return facts


# -- ENI selection ------------------------------------------------------------------------------------------


def test_select_by_mac_or_device_index():
    interfaces = facts_of("c5n.xlarge")["instance"]["interfaces"]
    assert lib.select_eni(interfaces, mac="0E-11-22-33-44-02")["interface_id"] == "eni-0bbbbbbbbbbbbbbb1"
    assert lib.select_eni(interfaces, device_index=1)["mac"] == "0e:11:22:33:44:02"
    assert lib.select_eni(interfaces) is None
    with pytest.raises(lib.DpdkError, match="not both"):
        lib.select_eni(interfaces, mac="0e:11:22:33:44:02", device_index=1)
    with pytest.raises(lib.DpdkError, match="device index 3"):
        lib.select_eni(interfaces, device_index=3)
    with pytest.raises(lib.DpdkError, match="no ENI with MAC 0e:11:22:33:44:09"):
        lib.select_eni(interfaces, mac="0e:11:22:33:44:09")
    with pytest.raises(lib.DpdkError, match="invalid MAC"):
        lib.select_eni(interfaces, mac="eth1")


# -- the guard ----------------------------------------------------------------------------------------------


def test_binding_the_primary_eni_is_refused_with_every_reason():
    with pytest.raises(lib.DpdkGuardError) as info:
        lib.plan(facts_of("c5n.xlarge"), {"interface_device_index": 0})
    message = str(info.value)
    assert message.startswith("refusing to bind eth0 (MAC 0e:11:22:33:44:01, ENI eni-0aaaaaaaaaaaaaaa0")
    assert "it carries the default route" in message
    assert "it carries the Ansible connection (10.0.1.10)" in message
    assert "primary address 10.0.1.10" in message
    assert "primary ENI (device index 0)" in message


def test_default_route_alone_is_enough_to_refuse():
    facts = facts_of("c5n.xlarge", default_route_interfaces=["eth1"], connection_interfaces={})
    with pytest.raises(lib.DpdkGuardError, match=r"eth1 .*: it carries the default route\. Binding"):
        lib.plan(facts, {"interface_mac": "0e:11:22:33:44:02"})


def test_ansible_connection_alone_is_enough_to_refuse():
    facts = facts_of("c5n.xlarge", connection_interfaces={"eth1": "10.0.2.20"})
    with pytest.raises(lib.DpdkGuardError, match=r"carries the Ansible connection \(10\.0\.2\.20\)"):
        lib.plan(facts, {"interface_device_index": 1})


def test_ipv6_default_route_counts(monkeypatch):
    facts = facts_of("c5n.xlarge", default_route_interfaces=["eth0", "eth1"], connection_interfaces={})
    with pytest.raises(lib.DpdkGuardError, match="default route"):
        lib.plan(facts, {"interface_device_index": 1})


def test_dedicated_eni_is_bound_on_virtual_instance_with_noiommu():
    result = lib.plan(facts_of("c5n.xlarge"), {"interface_device_index": 1})
    assert result["bind"] == {
        "mac": "0e:11:22:33:44:02",
        "pci": "0000:00:06.0",
        "driver": "vfio-pci",
        "interface_id": "eni-0bbbbbbbbbbbbbbb1",
        "name": "eth1",
    }
    driver = result["decisions"]["driver"]
    assert driver["status"] == "apply"
    assert driver["value"]["iommu"] is False
    assert driver["value"]["modprobe"] == {"vfio": "enable_unsafe_noiommu_mode=1"}
    assert driver["value"]["write_combining"] is False
    assert "uncached" in driver["reason"]
    assert result["decisions"]["binding"]["status"] == "apply"


def test_metal_x86_uses_the_iommu_and_arm64_metal_needs_no_cmdline():
    facts = facts_of("c5n.xlarge", instance_type="c5n.metal")
    value = lib.plan(facts, {})["decisions"]["driver"]["value"]
    assert value["iommu"] is True and value["kernel_args"] == ["iommu=1", "intel_iommu=on"]
    assert value["modprobe"] == {}
    value = lib.plan(facts_of("c7gn.metal"), {"vfio_wc": True})["decisions"]["driver"]["value"]
    assert value["iommu"] is True and value["kernel_args"] == [] and value["write_combining"] == "vfio"


def test_igb_uio_activates_write_combining():
    value = lib.plan(facts_of("c6in.2xlarge"), {"driver": "igb_uio"})["decisions"]["driver"]["value"]
    assert value["modprobe"] == {"igb_uio": "wc_activate=1"} and value["write_combining"] is True
    with pytest.raises(lib.DpdkError, match="invalid dpdk driver"):
        lib.plan(facts_of("c6in.2xlarge"), {"driver": "uio_pci_generic"})


def test_already_bound_eni_is_recognised_from_the_previous_binding():
    facts = facts_of("c5n.xlarge")
    facts["netdevs"] = [d for d in facts["netdevs"] if d["name"] != "eth1"]
    with pytest.raises(lib.DpdkError, match="no kernel interface has that MAC"):
        lib.plan(facts, {"interface_device_index": 1})
    facts["previous_binding"] = {"mac": "0e:11:22:33:44:02", "pci": "0000:00:06.0", "driver": "vfio-pci"}
    facts["pci_drivers"] = {"0000:00:06.0": "vfio-pci"}
    result = lib.plan(facts, {"interface_device_index": 1})
    assert result["decisions"]["binding"]["status"] == "apply"
    assert "binding" not in result["changes"]
    assert "already" in result["decisions"]["binding"]["reason"]


# -- hugepages ----------------------------------------------------------------------------------------------


def test_hugepages_on_an_instance():
    result = lib.plan(facts_of("c6in.2xlarge"), {"hugepages": 1024})
    hp = result["decisions"]["hugepages"]
    assert hp["status"] == "apply" and hp["change"] is True
    assert hp["value"] == {"size": "2M", "pages": 1024, "total_mb": 2048}
    hp = lib.plan(facts_of("c7gn.metal"), {"hugepages": 4, "hugepage_size": "1G"})["decisions"]["hugepages"]
    assert hp["status"] == "apply" and "at boot" in hp["reason"]


def test_hugepages_refused_above_half_the_memory_and_bad_sizes():
    with pytest.raises(lib.DpdkError, match="more than half"):
        lib.plan(facts_of("c5n.xlarge"), {"hugepages": 4096})
    with pytest.raises(lib.DpdkError, match="choose 2M or 1G"):
        lib.plan(facts_of("c5n.xlarge"), {"hugepage_size": "4M"})


# -- containers (the lab) -----------------------------------------------------------------------------------


def lab_facts():
    return {
        "container": "podman",
        "architecture": "x86_64",
        "instance_type": "c6in.large",
        "mem_total_kb": 24000000,
        "hugepages": {"2048": {"exists": True, "nr": 0, "writable": False}},
        "instance": {
            "instance_type": "c6in.large",
            "local_ipv4": "10.94.1.71",
            "interfaces": [{"mac": "0e:aa:00:00:00:01", "device_number": 0, "interface_id": "eni-1"}],
        },
        "netdevs": [{"name": "eth0", "mac": "0e:aa:00:00:00:01", "pci": None, "driver": None, "ipv4": ["10.94.1.71"]}],
        "default_route_interfaces": ["eth0"],
        "connection_interfaces": {},
    }


def test_lab_skips_hugepages_and_modules_and_has_nothing_to_bind():
    result = lib.plan(lab_facts(), {"hugepages": 512})
    assert result["decisions"]["hugepages"]["status"] == "skip"
    assert "stay the host's" in result["decisions"]["hugepages"]["reason"]
    assert result["decisions"]["driver"]["status"] == "skip"
    assert result["decisions"]["binding"]["status"] == "off"
    assert result["bind"] is None


def test_lab_guard_refuses_the_only_interface():
    with pytest.raises(
        lib.DpdkGuardError, match=r"refusing to bind eth0 .*default route.*primary address 10\.94\.1\.71"
    ):
        lib.plan(lab_facts(), {"interface_mac": "0e:aa:00:00:00:01"})


def test_local_fact_has_no_runtime_values():
    fact = lib.local_fact(lib.plan(facts_of("c5n.xlarge"), {"interface_device_index": 1}))
    assert set(fact) == {"bind", "warnings", "decisions"}
    assert all(set(d) == {"status", "value", "reason"} for d in fact["decisions"].values())
