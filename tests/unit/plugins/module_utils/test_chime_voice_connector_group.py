# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the Voice Connector group library, with botocore's Stubber."""

from __future__ import annotations

import time
import types

import pytest
from ansible_collections.rtc.ec2_fleet.plugins.module_utils import chime_voice_connector_api as chime_api
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector_api import ChimeVoiceError
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector_group import (
    describe_groups,
    ensure_voice_connector_group,
)
from chime_fake.stub import GROUP_ID, VC_ID, VC_ID2, VC_ID3, VoiceStub, vc


@pytest.fixture(autouse=True)
def no_real_sleep(monkeypatch):
    """Every wait of the library goes through the injected fake clock: a real sleep fails the test."""

    def refuse(seconds):
        raise AssertionError("a unit test tried to sleep %ss" % seconds)

    monkeypatch.setattr(chime_api, "time", types.SimpleNamespace(sleep=refuse, monotonic=time.monotonic))


GROUP_ARN = "arn:aws:chime:us-east-1:123456789012:vcg/" + GROUP_ID
EAST, WEST = vc(VC_ID, name="rtc-edge-use1"), vc(VC_ID2, name="rtc-edge-usw2", region="us-west-2")


@pytest.fixture
def chime():
    stub = VoiceStub()
    yield stub
    stub.close()


def params(**options):
    base = dict(
        name="rtc-edge",
        voice_connector_group_id=None,
        state="present",
        voice_connectors=None,
        call_distribution_type=None,
        phone_numbers=None,
        purge_phone_numbers=False,
        force_associate=False,
        wait_timeout=90,
    )
    base.update(options)
    return base


def item(priority, vc_id=None, name=None):
    return {"voice_connector_id": vc_id, "name": name, "priority": priority}


def group(items=((VC_ID, 1), (VC_ID2, 2)), name="rtc-edge", **extra):
    data = {
        "VoiceConnectorGroupId": GROUP_ID,
        "Name": name,
        "VoiceConnectorGroupArn": GROUP_ARN,
        "VoiceConnectorItems": [{"VoiceConnectorId": i, "Priority": p} for i, p in items],
    }
    data.update(extra)
    return data


def expect_groups(chime, *groups):
    chime.ok("list_voice_connector_groups", {"VoiceConnectorGroups": list(groups)}, {"MaxResults": 100})


def expect_connectors(chime, *connectors):
    chime.ok("list_voice_connectors", {"VoiceConnectors": list(connectors)}, {"MaxResults": 100})


def group_numbers(*items):
    return {"PhoneNumbers": [{"PhoneNumberId": n, "E164PhoneNumber": n} for n in items]}


NUMBERS_FILTER = {"FilterName": "VoiceConnectorGroupId", "FilterValue": GROUP_ID, "MaxResults": 100}


def failure(excinfo, kind):
    assert excinfo.value.kind == kind, excinfo.value
    return str(excinfo.value)


def test_create_across_regions_by_name(chime):
    expect_groups(chime)
    expect_connectors(chime, WEST, EAST)
    chime.ok(
        "create_voice_connector_group",
        {"VoiceConnectorGroup": group(CallDistributionType="PriorityWeightedDistribution")},
        {
            "Name": "rtc-edge",
            "VoiceConnectorItems": [
                {"VoiceConnectorId": VC_ID, "Priority": 1},
                {"VoiceConnectorId": VC_ID2, "Priority": 2},
            ],
            "CallDistributionType": "PriorityWeightedDistribution",
        },
    )
    chime.ok(
        "associate_phone_numbers_with_voice_connector_group",
        {"PhoneNumberErrors": []},
        {"VoiceConnectorGroupId": GROUP_ID, "E164PhoneNumbers": ["+12065550100"]},
    )

    result = ensure_voice_connector_group(
        chime.api,
        params(
            voice_connectors=[item(2, name="rtc-edge-usw2"), item(1, name="rtc-edge-use1")],
            call_distribution_type="PriorityWeightedDistribution",
            phone_numbers=["+12065550100"],
        ),
    )

    chime.done()
    assert result["changed"] is True and result["created"] is True
    view = result["voice_connector_group"]
    assert view["voice_connector_group_id"] == GROUP_ID
    assert view["voice_connectors"] == [
        {"voice_connector_id": VC_ID, "priority": 1, "name": "rtc-edge-use1", "aws_region": "us-east-1"},
        {"voice_connector_id": VC_ID2, "priority": 2, "name": "rtc-edge-usw2", "aws_region": "us-west-2"},
    ]
    assert result["phone_numbers"] == ["+12065550100"]
    assert result["before"]["voice_connector_group"] is None


def test_no_op_reads_only(chime):
    expect_groups(chime, group())
    expect_connectors(chime, EAST, WEST)
    chime.ok("list_phone_numbers", group_numbers("+12065550100"), NUMBERS_FILTER)

    result = ensure_voice_connector_group(
        chime.api,
        params(voice_connectors=[item(1, vc_id=VC_ID), item(2, vc_id=VC_ID2)], phone_numbers=["+12065550100"]),
    )

    chime.done()
    assert result["changed"] is False
    assert chime.mutating == []
    assert result["before"] == result["after"]
    assert set(result) == {
        "changed",
        "created",
        "deleted",
        "voice_connector_group",
        "before",
        "after",
        "phone_numbers",
        "phone_numbers_associated",
        "phone_numbers_disassociated",
    }


def test_swap_priorities(chime):
    expect_groups(chime, group())
    expect_connectors(chime, EAST, WEST)
    swapped = [{"VoiceConnectorId": VC_ID2, "Priority": 1}, {"VoiceConnectorId": VC_ID, "Priority": 2}]
    chime.ok(
        "update_voice_connector_group",
        {"VoiceConnectorGroup": group(items=((VC_ID2, 1), (VC_ID, 2)))},
        {"VoiceConnectorGroupId": GROUP_ID, "Name": "rtc-edge", "VoiceConnectorItems": swapped},
    )

    result = ensure_voice_connector_group(
        chime.api, params(voice_connectors=[item(2, vc_id=VC_ID), item(1, vc_id=VC_ID2)])
    )

    chime.done()
    assert [i["voice_connector_id"] for i in result["voice_connector_group"]["voice_connectors"]] == [VC_ID2, VC_ID]
    assert result["after"]["voice_connector_group"]["voice_connectors"][0] == {
        "voice_connector_id": VC_ID2,
        "priority": 1,
    }


def test_distribution_type_alone_keeps_the_connectors(chime):
    chime.ok("get_voice_connector_group", {"VoiceConnectorGroup": group()}, {"VoiceConnectorGroupId": GROUP_ID})
    chime.ok(
        "update_voice_connector_group",
        {"VoiceConnectorGroup": group(CallDistributionType="LoadBalancedDistribution")},
        {
            "VoiceConnectorGroupId": GROUP_ID,
            "Name": "rtc-edge",
            "VoiceConnectorItems": group()["VoiceConnectorItems"],
            "CallDistributionType": "LoadBalancedDistribution",
        },
    )

    result = ensure_voice_connector_group(
        chime.api,
        params(name=None, voice_connector_group_id=GROUP_ID, call_distribution_type="LoadBalancedDistribution"),
    )

    chime.done()
    assert result["voice_connector_group"]["call_distribution_type"] == "LoadBalancedDistribution"


def test_phone_numbers_purged(chime):
    expect_groups(chime, group())
    chime.ok("list_phone_numbers", group_numbers("+12065550100", "+12065550199"), NUMBERS_FILTER)
    chime.ok(
        "disassociate_phone_numbers_from_voice_connector_group",
        {},
        {"VoiceConnectorGroupId": GROUP_ID, "E164PhoneNumbers": ["+12065550199"]},
    )

    result = ensure_voice_connector_group(chime.api, params(phone_numbers=["+12065550100"], purge_phone_numbers=True))

    chime.done()
    assert result["phone_numbers_disassociated"] == ["+12065550199"]


def test_partial_phone_number_failure_is_a_failure(chime):
    expect_groups(chime, group())
    chime.ok("list_phone_numbers", group_numbers(), NUMBERS_FILTER)
    chime.ok(
        "associate_phone_numbers_with_voice_connector_group",
        {"PhoneNumberErrors": [{"PhoneNumberId": "+12065550101", "ErrorCode": "Conflict", "ErrorMessage": "taken"}]},
    )

    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector_group(chime.api, params(phone_numbers=["+12065550100", "+12065550101"]))

    assert "+12065550101: Conflict taken" in failure(excinfo, "partial_failure")
    assert excinfo.value.changed is True


def test_delete_takes_numbers_then_connectors_off_first(chime):
    expect_groups(chime, group())
    chime.ok("list_phone_numbers", group_numbers("+12065550100"), NUMBERS_FILTER)
    chime.ok(
        "disassociate_phone_numbers_from_voice_connector_group",
        {},
        {"VoiceConnectorGroupId": GROUP_ID, "E164PhoneNumbers": ["+12065550100"]},
    )
    chime.ok(
        "update_voice_connector_group",
        {},
        {"VoiceConnectorGroupId": GROUP_ID, "Name": "rtc-edge", "VoiceConnectorItems": []},
    )
    chime.ok("delete_voice_connector_group", {}, {"VoiceConnectorGroupId": GROUP_ID})

    result = ensure_voice_connector_group(chime.api, params(state="absent"))

    chime.done()
    assert chime.mutating == [
        "DisassociatePhoneNumbersFromVoiceConnectorGroup",
        "UpdateVoiceConnectorGroup",
        "DeleteVoiceConnectorGroup",
    ]
    assert result["deleted"] is True and result["voice_connector_group"] is None


def test_delete_in_check_mode_reads_only(chime):
    expect_groups(chime, group())
    chime.ok("list_phone_numbers", group_numbers(), NUMBERS_FILTER)
    result = ensure_voice_connector_group(chime.api, params(state="absent"), check_mode=True)
    chime.done()
    assert result["changed"] is True
    assert chime.mutating == []


def test_absent_when_gone(chime):
    expect_groups(chime)
    result = ensure_voice_connector_group(chime.api, params(state="absent"))
    assert result["changed"] is False


def test_create_in_check_mode(chime):
    expect_groups(chime)
    expect_connectors(chime, EAST)
    result = ensure_voice_connector_group(
        chime.api, params(voice_connectors=[item(1, name="rtc-edge-use1")]), check_mode=True
    )
    chime.done()
    assert result["changed"] is True
    assert result["voice_connector_group"]["voice_connector_group_id"] is None
    assert result["voice_connector_group"]["voice_connectors"][0]["voice_connector_id"] == VC_ID


BAD_REQUESTS = {
    "four-connectors": (
        dict(voice_connectors=[item(i, vc_id=v) for i, v in enumerate([VC_ID, VC_ID2, VC_ID3, VC_ID], 1)]),
        "at most 3",
    ),
    "priority-0": (dict(voice_connectors=[item(0, vc_id=VC_ID)]), "priority 0 is out of range"),
    "priority-100": (dict(voice_connectors=[item(100, vc_id=VC_ID)]), "priority 100 is out of range"),
    "id-and-name": (dict(voice_connectors=[item(1, vc_id=VC_ID, name="x")]), "exactly one of them"),
    "bad-id": (dict(voice_connectors=[item(1, vc_id="nope")]), "malformed voice_connector_id"),
    "bad-distribution": (dict(call_distribution_type="RoundRobin"), "invalid call_distribution_type"),
    "bad-number": (dict(phone_numbers=["2065550100"]), "invalid phone number"),
    "no-name": (dict(name=None), "by name or voice_connector_group_id"),
}


@pytest.mark.parametrize(("options", "message"), list(BAD_REQUESTS.values()), ids=list(BAD_REQUESTS))
def test_bad_input_is_refused_before_any_call(chime, options, message):
    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector_group(chime.api, params(**options))
    assert message in failure(excinfo, "invalid")
    assert chime.sent == []


def test_duplicate_connector_fails_after_reads_only(chime):
    expect_groups(chime)
    expect_connectors(chime, EAST)
    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector_group(
            chime.api, params(voice_connectors=[item(1, vc_id=VC_ID), item(2, name="rtc-edge-use1")])
        )
    assert "lists Voice Connector %s twice" % VC_ID in failure(excinfo, "invalid")
    assert chime.mutating == []


def test_unknown_connector_fails_after_reads_only(chime):
    expect_groups(chime)
    expect_connectors(chime, EAST)
    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector_group(chime.api, params(voice_connectors=[item(1, vc_id=VC_ID2)]))
    assert "does not exist" in failure(excinfo, "not_found")
    assert chime.mutating == []


def test_ambiguous_connector_name_fails(chime):
    expect_groups(chime)
    expect_connectors(chime, EAST, vc(VC_ID3, name="rtc-edge-use1"))
    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector_group(chime.api, params(voice_connectors=[item(1, name="rtc-edge-use1")]))
    assert "use voice_connector_id" in failure(excinfo, "ambiguous")
    assert chime.mutating == []


def test_two_groups_of_one_name_fail(chime):
    expect_groups(chime, group(), dict(group(), VoiceConnectorGroupId="223e4567-e89b-12d3-a456-426614174000"))
    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector_group(chime.api, params())
    assert "2 Voice Connector groups are named 'rtc-edge'" in failure(excinfo, "ambiguous")
    assert chime.mutating == []


def test_not_found_after_create_is_retried(chime):
    expect_groups(chime)
    chime.ok("create_voice_connector_group", {"VoiceConnectorGroup": group(items=())})
    chime.not_found("associate_phone_numbers_with_voice_connector_group")
    chime.ok("associate_phone_numbers_with_voice_connector_group", {})

    ensure_voice_connector_group(chime.api, params(phone_numbers=["+12065550100"]))

    chime.done()
    assert len(chime.time.sleeps) == 1


def test_describe_groups_with_connector_names(chime):
    expect_groups(chime, group(), group(items=(), name="other"))
    expect_connectors(chime, EAST, WEST)
    found = describe_groups(chime.api, name="rtc-edge")
    chime.done()
    assert [g["name"] for g in found] == ["rtc-edge"]
    assert found[0]["voice_connectors"][1]["aws_region"] == "us-west-2"
