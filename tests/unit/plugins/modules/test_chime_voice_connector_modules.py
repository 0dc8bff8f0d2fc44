# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of rtc.ec2_fleet.chime_voice_connector, chime_voice_connector_group and
chime_voice_connector_info, run through main() with a Stubber-backed chime-sdk-voice client.

AnsibleAWSModule.client is patched to hand out the stubbed client, so the exact API call sequence of each
case is asserted, nothing leaves the machine, and the whole JSON the module prints is searched for secrets.
"""

from __future__ import annotations

import functools
import json
import time
import types

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.rtc.ec2_fleet.plugins.module_utils import chime_voice_connector_api as chime_api
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector_api import VoiceApi
from ansible_collections.rtc.ec2_fleet.plugins.modules import (
    chime_voice_connector,
    chime_voice_connector_group,
    chime_voice_connector_info,
)
from chime_fake.stub import GROUP_ID, VC_ID, VC_ID2, VoiceStub, arn, vc


@pytest.fixture(autouse=True)
def no_real_sleep(monkeypatch):
    """Every wait of the library goes through the injected fake clock: a real sleep fails the test."""

    def refuse(seconds):
        raise AssertionError("a unit test tried to sleep %ss" % seconds)

    monkeypatch.setattr(chime_api, "time", types.SimpleNamespace(sleep=refuse, monotonic=time.monotonic))


PASSWORD = "Vault-Password-42"
MODULES = (chime_voice_connector, chime_voice_connector_group, chime_voice_connector_info)


@pytest.fixture
def chime(monkeypatch):
    stub = VoiceStub()
    stub.clients_requested = []

    def client(self, service, retry_decorator=None, **extra):
        stub.clients_requested.append((service, retry_decorator, extra))
        return stub.client

    monkeypatch.setattr(AnsibleAWSModule, "client", client)
    for module in MODULES:
        monkeypatch.setattr(
            module, "VoiceApi", functools.partial(VoiceApi, sleep=stub.time.sleep, clock=stub.time.clock)
        )
    yield stub
    stub.close()


def run(module, capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        module.main()
    out = capsys.readouterr().out
    return exit_info.value.code, json.loads(out), out


def by_id(vc_id=VC_ID):
    return {"VoiceConnectorId": vc_id}


TERMINATION = {
    "CpsLimit": 1,
    "CallingRegions": ["US"],
    "CidrAllowedList": ["52.94.0.10/32"],
    "Disabled": False,
}


# -- chime_voice_connector -----------------------------------------------------------------------


def test_create_with_credentials_shows_no_password_anywhere(capsys, chime):
    chime.ok("list_voice_connectors", {"VoiceConnectors": []}, {"MaxResults": 100})
    chime.ok(
        "create_voice_connector",
        {"VoiceConnector": vc()},
        {"Name": "rtc-edge", "RequireEncryption": True, "AwsRegion": "us-east-1"},
    )
    chime.ok("put_voice_connector_termination", {}, dict(by_id(), Termination=TERMINATION))
    chime.ok(
        "put_voice_connector_termination_credentials",
        {},
        dict(by_id(), Credentials=[{"Username": "edge", "Password": PASSWORD}]),
    )

    code, result, out = run(
        chime_voice_connector,
        capsys,
        {
            "name": "rtc-edge",
            "termination": {"cidr_allow_list": ["52.94.0.10"], "calling_regions": ["US"]},
            "termination_credentials": [{"username": "edge", "password": PASSWORD}],
            "_ansible_diff": True,
        },
    )

    assert code == 0, result
    chime.done()
    assert result["changed"] is True and result["created"] is True
    assert result["voice_connector"]["outbound_host_name"] == VC_ID + ".voiceconnector.chime.aws"
    assert result["diff"]["after"]["termination_credentials"] == {"usernames": ["edge"]}
    assert result["diff"]["before"]["voice_connector"] is None
    assert result["signalling"]["cidrs"] == ["3.80.16.0/23"]
    assert PASSWORD not in out
    assert chime.clients_requested == [("chime-sdk-voice", None, {})]  # the library does the retries


def test_failure_output_is_scrubbed_and_complete(capsys, chime):
    chime.ok("list_voice_connectors", {"VoiceConnectors": [vc()]}, {"MaxResults": 100})
    chime.ok("list_voice_connector_termination_credentials", {"Usernames": []}, by_id())
    chime.error(
        "put_voice_connector_termination_credentials",
        "BadRequestException",
        "Credential edge:%s is invalid" % PASSWORD,
    )

    code, result, out = run(
        chime_voice_connector,
        capsys,
        {"name": "rtc-edge", "termination_credentials": [{"username": "edge", "password": PASSWORD}]},
    )

    assert code == 1
    assert result["failed"] is True
    assert result["kind"] == "invalid"
    assert result["code"] == "BadRequestException"
    assert result["action"] == "chime:PutVoiceConnectorTerminationCredentials"
    assert result["changed"] is False
    assert PASSWORD not in out


def test_partial_phone_number_failure_fails_the_task(capsys, chime):
    chime.ok("get_voice_connector", {"VoiceConnector": vc()}, by_id())
    chime.ok("list_phone_numbers", {"PhoneNumbers": []})
    chime.ok(
        "associate_phone_numbers_with_voice_connector",
        {"PhoneNumberErrors": [{"PhoneNumberId": "+12065550101", "ErrorCode": "NotFound", "ErrorMessage": "unknown"}]},
    )

    code, result, _out = run(
        chime_voice_connector,
        capsys,
        {"voice_connector_id": VC_ID, "phone_numbers": ["+12065550100", "+12065550101"]},
    )

    assert code == 1
    assert result["kind"] == "partial_failure"
    assert result["changed"] is True
    assert result["details"]["succeeded"] == ["+12065550100"]
    assert result["details"]["phone_number_errors"][0]["error_code"] == "NotFound"


def test_check_mode_and_diff(capsys, chime):
    chime.ok("list_voice_connectors", {"VoiceConnectors": [vc()]}, {"MaxResults": 100})
    chime.ok("get_voice_connector_termination", {"Termination": TERMINATION}, by_id())

    code, result, _out = run(
        chime_voice_connector,
        capsys,
        {
            "name": "rtc-edge",
            "termination": {"cidr_allow_list": ["52.94.0.10", "52.94.0.11"]},
            "_ansible_check_mode": True,
            "_ansible_diff": True,
        },
    )

    assert code == 0, result
    chime.done()
    assert chime.mutating == []
    assert result["changed"] is True
    assert result["diff"]["before"]["termination"]["cidr_allow_list"] == ["52.94.0.10/32"]
    assert result["diff"]["after"]["termination"]["cidr_allow_list"] == ["52.94.0.10/32", "52.94.0.11/32"]


def test_no_op_without_diff(capsys, chime):
    chime.ok("list_voice_connectors", {"VoiceConnectors": [vc()]}, {"MaxResults": 100})
    code, result, _out = run(chime_voice_connector, capsys, {"name": "rtc-edge"})
    assert code == 0
    assert result["changed"] is False
    assert "diff" not in result


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({}, "one of the following is required: name, voice_connector_id"),
        ({"name": "x", "origination": {"routes": [{"port": 5060}]}}, "missing required arguments: host"),
        ({"name": "x", "termination_credentials": [{"username": "u"}]}, "missing required arguments: password"),
        (
            {"name": "x", "origination": {"routes": [{"host": "h", "protocol": "SCTP"}]}},
            "value of protocol must be one of",
        ),
        ({"name": "x", "network_type": "IPV6_ONLY"}, "value of network_type must be one of"),
    ],
    ids=["no-name", "route-without-host", "credential-without-password", "bad-protocol", "bad-network-type"],
)
def test_argument_spec_errors_make_no_call(capsys, chime, args, message):
    code, result, _out = run(chime_voice_connector, capsys, args)
    assert code == 1
    assert message in result["msg"]
    assert chime.sent == []


def test_bad_input_through_the_module_makes_no_call(capsys, chime):
    code, result, out = run(
        chime_voice_connector,
        capsys,
        {
            "name": "rtc-edge",
            "termination": {"cidr_allow_list": ["10.0.0.1/32"], "calling_regions": ["US"]},
            "termination_credentials": [{"username": "edge", "password": PASSWORD}],
        },
    )
    assert code == 1
    assert result["kind"] == "invalid"
    assert "not a public address block" in result["msg"]
    assert chime.sent == []
    assert PASSWORD not in out


def test_delete(capsys, chime):
    chime.ok("get_voice_connector", {"VoiceConnector": vc()}, by_id())
    chime.ok("list_voice_connector_groups", {})
    chime.ok("list_phone_numbers", {})
    chime.not_found("get_voice_connector_emergency_calling_configuration")
    chime.not_found("get_voice_connector_origination")
    chime.not_found("get_voice_connector_termination")
    chime.ok("delete_voice_connector", {}, by_id())

    code, result, _out = run(chime_voice_connector, capsys, {"voice_connector_id": VC_ID, "state": "absent"})

    assert code == 0, result
    chime.done()
    assert result["deleted"] is True and result["voice_connector"] is None


# -- chime_voice_connector_group -----------------------------------------------------------------


def test_group_create(capsys, chime):
    chime.ok("list_voice_connector_groups", {}, {"MaxResults": 100})
    chime.ok(
        "list_voice_connectors",
        {"VoiceConnectors": [vc(name="use1"), vc(VC_ID2, name="usw2", region="us-west-2")]},
        {"MaxResults": 100},
    )
    items = [{"VoiceConnectorId": VC_ID, "Priority": 1}, {"VoiceConnectorId": VC_ID2, "Priority": 2}]
    chime.ok(
        "create_voice_connector_group",
        {"VoiceConnectorGroup": {"VoiceConnectorGroupId": GROUP_ID, "Name": "rtc", "VoiceConnectorItems": items}},
        {"Name": "rtc", "VoiceConnectorItems": items},
    )

    code, result, _out = run(
        chime_voice_connector_group,
        capsys,
        {
            "name": "rtc",
            "voice_connectors": [{"name": "usw2", "priority": 2}, {"voice_connector_id": VC_ID, "priority": 1}],
            "_ansible_diff": True,
        },
    )

    assert code == 0, result
    chime.done()
    assert result["voice_connector_group"]["voice_connector_group_id"] == GROUP_ID
    assert result["diff"]["after"]["voice_connector_group"]["voice_connectors"][1]["voice_connector_id"] == VC_ID2


def test_group_item_selectors_are_checked_by_the_argument_spec(capsys, chime):
    code, result, _out = run(
        chime_voice_connector_group,
        capsys,
        {"name": "rtc", "voice_connectors": [{"voice_connector_id": VC_ID, "name": "x", "priority": 1}]},
    )
    assert code == 1
    assert "mutually exclusive" in result["msg"]
    assert chime.sent == []


# -- chime_voice_connector_info ------------------------------------------------------------------


def test_info_lists_connectors_details_and_groups(capsys, chime):
    chime.ok("list_voice_connectors", {"VoiceConnectors": [vc(), vc(VC_ID2, name="other")]}, {"MaxResults": 100})
    chime.ok("list_tags_for_resource", {"Tags": [{"Key": "team", "Value": "voice"}]}, {"ResourceARN": arn()})
    chime.ok("list_voice_connector_groups", {"VoiceConnectorGroups": []}, {"MaxResults": 100})

    code, result, _out = run(
        chime_voice_connector_info,
        capsys,
        {"name": "rtc-edge", "details": ["tags"], "voice_connector_groups": True},
    )

    assert code == 0, result
    chime.done()
    assert result["changed"] is False
    assert [c["voice_connector_id"] for c in result["voice_connectors"]] == [VC_ID]
    assert result["voice_connectors"][0]["tags"] == {"team": "voice"}
    assert result["voice_connector_groups"] == []
    assert chime.mutating == []


def test_info_refuses_a_malformed_id_without_a_call(capsys, chime):
    code, result, _out = run(chime_voice_connector_info, capsys, {"voice_connector_id": "VC 1"})
    assert code == 1
    assert result["kind"] == "invalid"
    assert chime.sent == []


# -- documentation -------------------------------------------------------------------------------


def _check_options(doc_options, spec, where):
    assert set(doc_options) == set(spec), where
    for name, option in doc_options.items():
        spec_option = spec[name]
        assert option["type"] == spec_option["type"], (where, name)
        assert option.get("default") == spec_option.get("default"), (where, name)
        assert option.get("choices") == spec_option.get("choices"), (where, name)
        assert option.get("elements") == spec_option.get("elements"), (where, name)
        assert bool(option.get("required")) == bool(spec_option.get("required")), (where, name)
        if "suboptions" in option or "options" in spec_option:
            _check_options(option["suboptions"], spec_option["options"], "%s.%s" % (where, name))


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_documentation_matches_the_argument_spec(module):
    doc = yaml.safe_load(module.DOCUMENTATION)
    name = module.__name__.rsplit(".", 1)[1]
    assert doc["module"] == name
    assert doc["version_added"] == "0.1.0"
    assert doc["author"] == ["rtc.ec2_fleet developers (!UNKNOWN)"]
    assert {"amazon.aws.common.modules", "amazon.aws.region.modules", "amazon.aws.boto3"} <= set(
        doc["extends_documentation_fragment"]
    )
    spec = dict(module.ARGUMENT_SPEC)
    if "amazon.aws.tags" in doc["extends_documentation_fragment"]:
        assert spec.pop("tags") == {"type": "dict", "aliases": ["resource_tags"]}
        assert spec.pop("purge_tags") == {"type": "bool", "default": True}
    _check_options(doc["options"], spec, name)
    yaml.safe_load(module.EXAMPLES)
    assert yaml.safe_load(module.RETURN)


def test_the_password_option_is_no_log():
    spec = chime_voice_connector.ARGUMENT_SPEC
    assert spec["termination_credentials"]["options"]["password"]["no_log"] is True
    assert spec["update_password"]["no_log"] is False  # a choice, not a secret
    assert "aws_region" not in spec  # an alias of amazon.aws's region: the connector's is connector_region
