# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ena_tuning persistence files, rendered from a recorded c7gn.metal plan and checked with their own tools.

The lab has no ENA device, so molecule never writes these files; this renders them with Ansible's templating
and checks the script with ``sh -n`` and by running it against stub ``ethtool`` and sysfs paths, and the unit
with ``systemd-analyze verify`` where available.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from ansible_collections.rtc.ec2_fleet.plugins.module_utils import ena_tuning as lib

# The recorded-fixture loader of test_ena_tuning.py (the test directories are not packages).
_SPEC = importlib.util.spec_from_file_location("ena_tuning_cases", Path(__file__).with_name("test_ena_tuning.py"))
_CASES = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_CASES)
load_facts, settings = _CASES.load_facts, _CASES.settings

ROLE = Path(__file__).resolve().parents[4] / "roles" / "ena_tuning"


def render(name, plan):
    variables = {
        "ansible_managed": "Ansible managed",
        "__ena_tuning_plan": plan,
        "__ena_tuning_decisions": plan["decisions"],
        "__ena_tuning_script": "/usr/local/sbin/rtc-ena-tuning",
        "__ena_tuning_unit": "rtc-ena-tuning.service",
    }
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust_as_template((ROLE / "templates" / name).read_text()))


@pytest.fixture
def plan():
    facts = load_facts("c7gn.metal")
    facts["channels"]["current"]["combined"] = 8
    return lib.decide(facts, settings(interrupt_moderation="off"))


def test_script_is_valid_shell_and_applies_every_setting(plan, tmp_path):
    script = render("rtc-ena-tuning.sh.j2", plan)
    path = tmp_path / "rtc-ena-tuning"
    path.write_text(script)
    subprocess.run(["sh", "-n", str(path)], check=True)
    assert "tune -L eth0 combined 32" in script
    assert "tune -G eth0 rx 4096" in script
    assert "tune -C eth0 adaptive-rx off rx-usecs 0 tx-usecs 0" in script
    assert script.count("\nwrite /sys/class/net/eth0/queues/") == 3 * 32

    # Run it with a stub ethtool (one setting already in place: ethtool's "unmodified" exit) and the sysfs
    # paths redirected into tmp_path.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "ethtool.log"
    (bindir / "ethtool").write_text(
        '#!/bin/sh\necho "$*" >> %s\ncase "$1" in -G) echo "rx unmodified, ignoring"; exit 80;; esac\nexit 0\n' % log
    )
    (bindir / "ethtool").chmod(0o755)
    sysroot = tmp_path / "sys"
    for args in plan["sysfs"]:
        target = sysroot / args[0].lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
    redirected = script.replace("write /sys/", "write %s/sys/" % sysroot)
    path.write_text(redirected)
    env = dict(os.environ, PATH="%s:%s" % (bindir, os.environ["PATH"]))
    result = subprocess.run(["sh", str(path)], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines() == [" ".join(a) for a in plan["ethtool"]]
    assert (sysroot / "sys/class/net/eth0/queues/rx-5/rps_cpus").read_text() == "ffffffff,ffffffff\n"
    assert (sysroot / "sys/class/net/eth0/queues/rx-5/rps_flow_cnt").read_text() == "1024\n"


def test_script_fails_when_ethtool_really_fails(plan, tmp_path):
    script = render("rtc-ena-tuning.sh.j2", dict(plan, sysfs=[]))
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "ethtool").write_text(
        '#!/bin/sh\necho "Cannot set device channel parameters: Invalid argument"\nexit 1\n'
    )
    (bindir / "ethtool").chmod(0o755)
    path = tmp_path / "rtc-ena-tuning"
    path.write_text(script)
    env = dict(os.environ, PATH="%s:%s" % (bindir, os.environ["PATH"]))
    result = subprocess.run(["sh", str(path)], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "Invalid argument" in result.stderr


def test_unit_and_udev_rule(plan, tmp_path):
    unit = render("rtc-ena-tuning.service.j2", plan)
    assert "BindsTo=sys-subsystem-net-devices-eth0.device" in unit
    assert "ExecStart=/usr/local/sbin/rtc-ena-tuning" in unit
    rule = render("rtc-ena-tuning.rules.j2", plan)
    assert 'KERNEL=="eth0", DRIVERS=="ena"' in rule
    assert 'ENV{SYSTEMD_WANTS}+="rtc-ena-tuning.service"' in rule
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    path = tmp_path / "rtc-ena-tuning.service"
    path.write_text(unit.replace("/usr/local/sbin/rtc-ena-tuning", "/bin/true"))
    result = subprocess.run([analyze, "verify", str(path)], capture_output=True, text=True, check=False)
    # verify also complains about the host's own units on some machines; only lines about ours count.
    ours = [line for line in (result.stdout + result.stderr).splitlines() if "rtc-ena-tuning" in line]
    assert ours == [], ours


def test_grub_and_limits(plan):
    facts = load_facts("c5n.xlarge")
    cmdline_plan = lib.decide(facts, settings(max_cstate=1, kernel_cmdline=True, isolated_cpus="3"))
    grub = render("grub.cfg.j2", cmdline_plan)
    assert grub.rstrip().endswith(
        'GRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT} isolcpus=managed_irq,domain,3 nohz_full=3 '
        'rcu_nocbs=3 intel_idle.max_cstate=1 processor.max_cstate=1"'
    )
    limits = render("limits.conf.j2", plan)
    assert "*    hard nofile 1048576" in limits
    system = render("system.conf.j2", plan)
    assert "DefaultLimitNOFILE=1048576:1048576" in system
