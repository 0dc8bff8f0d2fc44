# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration-style tests of the Chime modules against a stateful fake of the service (chime_fake.service):
check mode, then a real run, then the same run again (idempotent), partial updates, password rotation,
eventual consistency after creation, groups, and teardown -- with the fake's whole state compared before
and after every refused request.
"""

from __future__ import annotations

import functools
import json
import time
import types

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.rtc.ec2_fleet.plugins.module_utils import chime_voice_connector_api as chime_api
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector_api import VoiceApi
from ansible_collections.rtc.ec2_fleet.plugins.modules import (
    chime_voice_connector,
    chime_voice_connector_group,
    chime_voice_connector_info,
)
from chime_fake.service import FakeChimeVoice
from chime_fake.stub import FakeTime, make_client


@pytest.fixture(autouse=True)
def no_real_sleep(monkeypatch):
    """Every wait of the library goes through the injected fake clock: a real sleep fails the test."""

    def refuse(seconds):
        raise AssertionError("a unit test tried to sleep %ss" % seconds)

    monkeypatch.setattr(chime_api, "time", types.SimpleNamespace(sleep=refuse, monotonic=time.monotonic))


MODULES = (chime_voice_connector, chime_voice_connector_group, chime_voice_connector_info)
NUMBERS = ["+12065550100", "+12065550101", "+12065550102"]
PASSWORD, ROTATED = "first-Secret-1", "second-Secret-2"


class World:
    def __init__(self, monkeypatch, capsys, **fake_options):
        self.client = make_client()
        self.fake = FakeChimeVoice(self.client, phone_numbers=NUMBERS, **fake_options)
        self.time = FakeTime()
        self.capsys = capsys
        monkeypatch.setattr(AnsibleAWSModule, "client", lambda module, service, retry_decorator=None: self.client)
        for module in MODULES:
            monkeypatch.setattr(
                module, "VoiceApi", functools.partial(VoiceApi, sleep=self.time.sleep, clock=self.time.clock)
            )

    def run(self, module, args, check=False, diff=False):
        args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
        with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
            module.main()
        out = self.capsys.readouterr().out
        result = json.loads(out)
        result["_rc"], result["_out"] = exit_info.value.code, out
        return result


@pytest.fixture
def world(monkeypatch, capsys):
    return World(monkeypatch, capsys)


def trunk(**options):
    args = {
        "name": "rtc-edge-use1",
        "connector_region": "us-east-1",
        "require_encryption": True,
        "origination": {
            "routes": [
                {"host": "sip.example.com", "priority": 1, "weight": 50},
                {"host": "52.94.0.11", "priority": 2},
            ]
        },
        "termination": {
            "cidr_allow_list": ["52.94.0.10", "52.94.0.11"],
            "calling_regions": ["US", "CA"],
            "cps_limit": 5,
        },
        "termination_credentials": [{"username": "edge", "password": PASSWORD}],
        "update_password": "on_create",
        "logging": {"enable_sip_logs": True},
        "streaming": {"data_retention_in_hours": 24, "notification_targets": ["EventBridge"]},
        "emergency_calling": {"dnis": [{"emergency_phone_number": "+12065550911", "calling_country": "US"}]},
        "external_systems": {"session_border_controller_types": ["RIBBON_SBC"]},
        "phone_numbers": NUMBERS[:2],
        "tags": {"rtc:fleet": "lab"},
    }
    args.update(options)
    return args


def test_check_mode_then_create_then_idempotent_then_update_then_teardown(world):
    fake = world.fake
    empty = fake.snapshot()

    planned = world.run(chime_voice_connector, trunk(), check=True, diff=True)
    assert planned["_rc"] == 0, planned
    assert planned["changed"] is True and planned["created"] is True
    assert fake.snapshot() == empty
    assert fake.mutating == []

    created = world.run(chime_voice_connector, trunk(), diff=True)
    assert created["_rc"] == 0, created
    assert created["changed"] is True
    vc_id = created["voice_connector"]["voice_connector_id"]
    assert created["diff"]["after"] == dict(
        planned["diff"]["after"], voice_connector=created["diff"]["after"]["voice_connector"]
    )
    config = fake.configs[vc_id]
    assert config["Origination"]["Routes"][1]["Protocol"] == "TCP"
    assert config["Termination"]["CidrAllowedList"] == ["52.94.0.10/32", "52.94.0.11/32"]
    assert fake.credentials[vc_id] == {"edge": PASSWORD}
    assert fake.phone_numbers[NUMBERS[0]] == ("VoiceConnectorId", vc_id)
    assert PASSWORD not in created["_out"]

    fake.log.clear()
    again = world.run(chime_voice_connector, trunk(), diff=True)
    assert again["_rc"] == 0, again
    assert again["changed"] is False
    assert fake.mutating == []
    assert again["diff"]["before"] == again["diff"]["after"]

    # A partial update: one CIDR more, another number, nothing else touched.
    fake.log.clear()
    updated = world.run(
        chime_voice_connector,
        {
            "name": "rtc-edge-use1",
            "termination": {"cidr_allow_list": ["52.94.0.10", "52.94.0.11", "52.94.0.12"]},
            "phone_numbers": NUMBERS,
        },
    )
    assert updated["changed"] is True
    assert fake.mutating == ["PutVoiceConnectorTermination", "AssociatePhoneNumbersWithVoiceConnector"]
    assert fake.configs[vc_id]["Termination"]["CallingRegions"] == ["CA", "US"]
    assert fake.configs[vc_id]["Termination"]["CpsLimit"] == 5

    # Password rotation.
    rotated = world.run(
        chime_voice_connector,
        {"name": "rtc-edge-use1", "termination_credentials": [{"username": "edge", "password": ROTATED}]},
    )
    assert rotated["changed"] is True
    assert rotated["termination_credentials"]["updated"] == ["edge"]
    assert fake.credentials[vc_id] == {"edge": ROTATED}
    assert ROTATED not in rotated["_out"]

    # What the info module sees.
    info = world.run(chime_voice_connector_info, {"details": ["all"]})
    assert info["_rc"] == 0, info
    [seen] = info["voice_connectors"]
    assert seen["termination_credentials"] == {"usernames": ["edge"]}
    assert seen["phone_numbers"] == NUMBERS
    assert seen["emergency_calling"]["dnis"][0]["emergency_phone_number"] == "+12065550911"
    assert seen["signalling"]["cidrs"] == ["3.80.16.0/23"]

    # Teardown, in the order the fake (like the service) insists on.
    fake.log.clear()
    gone = world.run(chime_voice_connector, {"name": "rtc-edge-use1", "state": "absent"})
    assert gone["_rc"] == 0, gone
    assert gone["deleted"] is True
    assert fake.mutating == [
        "DisassociatePhoneNumbersFromVoiceConnector",
        "DeleteVoiceConnectorEmergencyCallingConfiguration",
        "DeleteVoiceConnectorOrigination",
        "DeleteVoiceConnectorTermination",
        "DeleteVoiceConnector",
    ]
    assert fake.connectors == {}
    assert set(fake.phone_numbers.values()) == {None}

    assert world.run(chime_voice_connector, {"name": "rtc-edge-use1", "state": "absent"})["changed"] is False


def test_eventual_consistency_after_creation(monkeypatch, capsys):
    world = World(monkeypatch, capsys, not_found_after_create=4)
    created = world.run(chime_voice_connector, trunk(connector_region="eu-west-2"))
    assert created["_rc"] == 0, created
    assert len(world.time.sleeps) == 4
    assert world.time.now < 90
    assert created["signalling"]["cidrs"] == ["99.77.249.0/24"]


def test_partial_phone_number_failure_leaves_the_rest_associated(world):
    created = world.run(chime_voice_connector, {"name": "pstn", "phone_numbers": ["+12065550100", "+12065550199"]})
    assert created["_rc"] == 1
    assert created["kind"] == "partial_failure"
    assert created["changed"] is True
    assert "+12065550199: NotFound not in the account" in created["msg"]
    assert world.fake.phone_numbers["+12065550100"][0] == "VoiceConnectorId"


BAD = {
    "private-cidr": {"termination": {"cidr_allow_list": ["192.168.0.10"], "calling_regions": ["US"]}},
    "too-wide-cidr": {"termination": {"cidr_allow_list": ["52.94.0.0/23"], "calling_regions": ["US"]}},
    "udp-with-encryption": {"origination": {"routes": [{"host": "sip.example.com", "protocol": "UDP"}]}},
    "21-routes": {"origination": {"routes": [{"host": "h%d.example.com" % i} for i in range(21)]}},
    "weight-101": {"origination": {"routes": [{"host": "sip.example.com", "weight": 101}]}},
    "bad-e164": {"phone_numbers": ["206-555-0100"]},
    "unknown-region": {"termination": {"cidr_allow_list": ["52.94.0.10"], "calling_regions": ["XX"]}},
    "no-voice-connector-region": {"connector_region": "sa-east-1"},
    "duplicate-usernames": {
        "termination_credentials": [{"username": "u", "password": "a1"}, {"username": "u", "password": "b2"}]
    },
    "empty-password": {"termination_credentials": [{"username": "u", "password": ""}]},
    "create-only-change": {"connector_region": "us-west-2"},
    "network-type-change": {"network_type": "DUAL_STACK"},
}


@pytest.mark.parametrize("change", list(BAD.values()), ids=list(BAD))
def test_bad_input_changes_nothing(world, change):
    assert world.run(chime_voice_connector, trunk())["_rc"] == 0
    before = world.fake.snapshot()
    world.fake.log.clear()

    result = world.run(chime_voice_connector, dict(trunk(), **change))

    assert result["_rc"] == 1, result
    assert result["kind"] in ("invalid", "create_only")
    assert result["changed"] is False
    assert world.fake.mutating == []
    assert world.fake.snapshot() == before


def test_ambiguous_name_changes_nothing(world):
    world.run(chime_voice_connector, {"name": "twin", "connector_region": "us-east-1"})
    world.fake._create_voice_connector(Name="twin", RequireEncryption=True, AwsRegion="us-east-1")  # made elsewhere
    before = world.fake.snapshot()
    result = world.run(chime_voice_connector, {"name": "twin", "logging": {"enable_sip_logs": True}})
    assert result["kind"] == "ambiguous"
    assert world.fake.snapshot() == before


def test_recreate_moves_the_numbers_to_the_new_connector(world):
    first = world.run(chime_voice_connector, {"name": "pstn", "phone_numbers": NUMBERS[:1]})
    old_id = first["voice_connector"]["voice_connector_id"]
    second = world.run(
        chime_voice_connector,
        {"name": "pstn", "connector_region": "us-west-2", "recreate": True, "phone_numbers": NUMBERS[:1]},
    )
    assert second["_rc"] == 0, second
    new_id = second["voice_connector"]["voice_connector_id"]
    assert new_id != old_id and list(world.fake.connectors) == [new_id]
    assert world.fake.connectors[new_id]["AwsRegion"] == "us-west-2"
    assert world.fake.phone_numbers[NUMBERS[0]] == ("VoiceConnectorId", new_id)


def test_multi_region_group_lifecycle(world):
    for name, region in (("rtc-use1", "us-east-1"), ("rtc-usw2", "us-west-2")):
        assert world.run(chime_voice_connector, {"name": name, "connector_region": region})["_rc"] == 0
    group = {
        "name": "rtc",
        "voice_connectors": [{"name": "rtc-use1", "priority": 1}, {"name": "rtc-usw2", "priority": 2}],
        "phone_numbers": NUMBERS[:1],
    }

    planned = world.run(chime_voice_connector_group, group, check=True)
    assert planned["changed"] is True and world.fake.groups == {}

    created = world.run(chime_voice_connector_group, group)
    assert created["_rc"] == 0, created
    regions = [c["aws_region"] for c in created["voice_connector_group"]["voice_connectors"]]
    assert regions == ["us-east-1", "us-west-2"]

    world.fake.log.clear()
    assert world.run(chime_voice_connector_group, group)["changed"] is False
    assert world.fake.mutating == []

    # A connector of a group is not deleted; the module says which group holds it.
    blocked = world.run(chime_voice_connector, {"name": "rtc-use1", "state": "absent"})
    assert blocked["kind"] == "in_use" and "rtc" in blocked["msg"]

    listed = world.run(chime_voice_connector_info, {"voice_connector_groups": True})
    assert listed["voice_connector_groups"][0]["voice_connectors"][0]["name"] == "rtc-use1"

    gone = world.run(chime_voice_connector_group, {"name": "rtc", "state": "absent"})
    assert gone["_rc"] == 0, gone
    assert world.fake.groups == {}
    assert world.fake.phone_numbers[NUMBERS[0]] is None
    assert world.run(chime_voice_connector, {"name": "rtc-use1", "state": "absent"})["deleted"] is True
