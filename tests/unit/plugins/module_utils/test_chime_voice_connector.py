# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the Voice Connector library, with botocore's Stubber (each request checked against the
chime-sdk-voice model of the installed botocore; each flow's exact call sequence asserted).
"""

from __future__ import annotations

import copy
import time
import types

import pytest
from ansible_collections.rtc.ec2_fleet.plugins.module_utils import chime_voice_connector_api as chime_api
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector import (
    describe_voice_connectors,
    ensure_voice_connector,
)
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector_api import ChimeVoiceError
from chime_fake.stub import GROUP_ID, VC_ID, VC_ID2, VoiceStub, arn, vc


@pytest.fixture(autouse=True)
def no_real_sleep(monkeypatch):
    """Every wait of the library goes through the injected fake clock: a real sleep fails the test."""

    def refuse(seconds):
        raise AssertionError("a unit test tried to sleep %ss" % seconds)

    monkeypatch.setattr(chime_api, "time", types.SimpleNamespace(sleep=refuse, monotonic=time.monotonic))


PASSWORD = "hunter2-Secret!"
NEW_PASSWORD = "correct-horse-9"
ROUTE_KEYS = ("host", "port", "protocol", "priority", "weight")


@pytest.fixture
def chime():
    stub = VoiceStub()
    yield stub
    stub.close()


# -- request builders (the module's options as Ansible hands them over) --------------------------


def route(host, **fields):
    item = dict(host=host, port=None, protocol=None, priority=1, weight=1)
    item.update(fields)
    return item


def sub(**fields):
    return dict(state="present", **fields)


def params(**options):
    base = dict(
        name="rtc-edge",
        voice_connector_id=None,
        state="present",
        connector_region=None,
        network_type=None,
        integration_type=None,
        recreate=False,
        require_encryption=None,
        origination=None,
        termination=None,
        termination_credentials=None,
        update_password="always",
        purge_credentials=False,
        logging=None,
        streaming=None,
        emergency_calling=None,
        external_systems=None,
        phone_numbers=None,
        purge_phone_numbers=False,
        force_associate=False,
        tags=None,
        purge_tags=True,
        wait_timeout=90,
    )
    base.update(options)
    return base


def full_params(**options):
    """Every sub-configuration, as in the collection's example playbook."""
    base = params(
        connector_region="us-east-1",
        require_encryption=True,
        network_type="IPV4_ONLY",
        origination=sub(
            routes=[route("sip.example.com", priority=1, weight=50), route("52.94.0.11", priority=2)], disabled=None
        ),
        termination=sub(
            cidr_allow_list=["52.94.0.10/32", "52.94.0.11"],
            calling_regions=["us", "CA"],
            cps_limit=5,
            default_phone_number="+12065550100",
            disabled=None,
        ),
        termination_credentials=[{"username": "edge", "password": PASSWORD}],
        logging=sub(enable_sip_logs=True, enable_media_metric_logs=None),
        streaming=sub(data_retention_in_hours=24, disabled=None, notification_targets=["SNS", "EventBridge"]),
        emergency_calling=sub(
            dnis=[
                {
                    "emergency_phone_number": "+12065550911",
                    "test_phone_number": "+12065550912",
                    "calling_country": "us",
                }
            ]
        ),
        external_systems=sub(session_border_controller_types=["RIBBON_SBC"], contact_center_system_types=None),
        phone_numbers=["+12065550101", "+12065550100"],
        tags={"rtc:fleet": "prod", "team": "voice"},
    )
    base.update(options)
    return base


# -- the service's side of that configuration ----------------------------------------------------

ORIGINATION = {
    "Routes": [
        {"Host": "52.94.0.11", "Port": 5061, "Protocol": "TCP", "Priority": 2, "Weight": 1},
        {"Host": "sip.example.com", "Port": 5061, "Protocol": "TCP", "Priority": 1, "Weight": 50},
    ],
    "Disabled": False,
}
TERMINATION = {
    "CpsLimit": 5,
    "CallingRegions": ["CA", "US"],
    "CidrAllowedList": ["52.94.0.10/32", "52.94.0.11/32"],
    "Disabled": False,
    "DefaultPhoneNumber": "+12065550100",
}
LOGGING = {"EnableSIPLogs": True, "EnableMediaMetricLogs": False}
STREAMING = {
    "DataRetentionInHours": 24,
    "Disabled": False,
    "StreamingNotificationTargets": [{"NotificationTarget": "EventBridge"}, {"NotificationTarget": "SNS"}],
}
EMERGENCY = {
    "DNIS": [{"EmergencyPhoneNumber": "+12065550911", "CallingCountry": "US", "TestPhoneNumber": "+12065550912"}]
}
EXTERNAL = {"SessionBorderControllerTypes": ["RIBBON_SBC"], "ContactCenterSystemTypes": []}
NUMBERS = ["+12065550100", "+12065550101"]
TAGS = [{"Key": "rtc:fleet", "Value": "prod"}, {"Key": "team", "Value": "voice"}]


def by_id(vc_id=VC_ID):
    return {"VoiceConnectorId": vc_id}


def numbers(*items):
    return {"PhoneNumbers": [{"PhoneNumberId": n, "E164PhoneNumber": n} for n in items]}


def numbers_filter(vc_id=VC_ID):
    return {"FilterName": "VoiceConnectorId", "FilterValue": vc_id, "MaxResults": 100}


def expect_lookup(chime, *connectors):
    chime.ok("list_voice_connectors", {"VoiceConnectors": list(connectors)}, {"MaxResults": 100})


def expect_full_reads(chime, origination=None, termination=None, usernames=("edge",), phone=None):
    """The reads of a run that manages every sub-configuration of an existing connector, in order."""
    origination = ORIGINATION if origination is None else origination
    termination = TERMINATION if termination is None else termination
    phone = NUMBERS if phone is None else phone
    chime.ok("get_voice_connector_origination", {"Origination": origination}, by_id())
    chime.ok("get_voice_connector_termination", {"Termination": termination}, by_id())
    chime.ok("get_voice_connector_logging_configuration", {"LoggingConfiguration": LOGGING}, by_id())
    chime.ok("get_voice_connector_streaming_configuration", {"StreamingConfiguration": STREAMING}, by_id())
    chime.ok(
        "get_voice_connector_emergency_calling_configuration", {"EmergencyCallingConfiguration": EMERGENCY}, by_id()
    )
    chime.ok("get_voice_connector_external_systems_configuration", {"ExternalSystemsConfiguration": EXTERNAL}, by_id())
    chime.ok("list_voice_connector_termination_credentials", {"Usernames": list(usernames)}, by_id())
    chime.ok("list_phone_numbers", numbers(*phone), numbers_filter())
    chime.ok("list_tags_for_resource", {"Tags": TAGS}, {"ResourceARN": arn()})


def failure(excinfo, kind):
    assert excinfo.value.kind == kind, excinfo.value
    return str(excinfo.value)


# -- create, no-op, partial updates --------------------------------------------------------------


def test_create_with_every_sub_configuration(chime):
    expect_lookup(chime, vc(VC_ID2, name="another-trunk"))
    chime.ok(
        "create_voice_connector",
        {"VoiceConnector": vc(NetworkType="IPV4_ONLY")},
        {
            "Name": "rtc-edge",
            "RequireEncryption": True,
            "AwsRegion": "us-east-1",
            "NetworkType": "IPV4_ONLY",
            "Tags": TAGS,
        },
    )
    chime.ok("put_voice_connector_termination", {"Termination": TERMINATION}, dict(by_id(), Termination=TERMINATION))
    chime.ok(
        "put_voice_connector_termination_credentials",
        {},
        dict(by_id(), Credentials=[{"Username": "edge", "Password": PASSWORD}]),
    )
    chime.ok("put_voice_connector_origination", {"Origination": ORIGINATION}, dict(by_id(), Origination=ORIGINATION))
    chime.ok("put_voice_connector_logging_configuration", {}, dict(by_id(), LoggingConfiguration=LOGGING))
    chime.ok("put_voice_connector_streaming_configuration", {}, dict(by_id(), StreamingConfiguration=STREAMING))
    chime.ok("put_voice_connector_external_systems_configuration", {}, dict(by_id(), **EXTERNAL))
    chime.ok(
        "put_voice_connector_emergency_calling_configuration",
        {},
        dict(by_id(), EmergencyCallingConfiguration=EMERGENCY),
    )
    chime.ok("associate_phone_numbers_with_voice_connector", {}, dict(by_id(), E164PhoneNumbers=NUMBERS))

    result = ensure_voice_connector(chime.api, full_params())

    chime.done()
    assert result["changed"] is True
    assert result["created"] is True
    assert result["voice_connector"]["voice_connector_id"] == VC_ID
    assert result["voice_connector"]["outbound_host_name"] == VC_ID + ".voiceconnector.chime.aws"
    assert result["voice_connector"]["arn"] == arn()
    assert result["origination"]["routes"][1] == {
        "host": "sip.example.com",
        "port": 5061,
        "protocol": "TCP",
        "priority": 1,
        "weight": 50,
    }
    assert result["termination"]["calling_regions"] == ["CA", "US"]
    assert result["termination_credentials"] == {"usernames": ["edge"], "added": ["edge"], "removed": [], "updated": []}
    assert result["phone_numbers"] == NUMBERS
    assert result["tags"] == {"rtc:fleet": "prod", "team": "voice"}
    assert result["signalling"]["cidrs"] == ["3.80.16.0/23"]
    assert result["signalling"]["ports_in_use"] == [{"transport": "TLS", "protocol": "tcp", "port": 5061}]
    assert result["before"]["voice_connector"] is None
    assert result["after"]["voice_connector"]["voice_connector_id"] == VC_ID
    assert PASSWORD not in repr(result)


def test_rerun_with_on_create_reads_only_and_changes_nothing(chime):
    expect_lookup(chime, vc(NetworkType="IPV4_ONLY"))
    expect_full_reads(chime)

    result = ensure_voice_connector(chime.api, full_params(update_password="on_create"))

    chime.done()
    assert chime.mutating == []
    assert result["changed"] is False
    assert result["before"] == result["after"]
    assert result["termination_credentials"]["updated"] == []


def test_sets_are_compared_as_sets(chime):
    # The same settings in another order, with other spellings of the same values.
    shuffled = full_params(update_password="on_create")
    shuffled["origination"]["routes"].reverse()
    shuffled["origination"]["routes"][1]["host"] = "SIP.Example.COM."
    shuffled["termination"]["cidr_allow_list"] = ["52.94.0.11/32", "52.94.0.10"]
    shuffled["termination"]["calling_regions"] = ["ca", "US", "us"]
    shuffled["streaming"]["notification_targets"] = ["EventBridge", "SNS", "SNS"]
    shuffled["phone_numbers"] = list(reversed(NUMBERS))
    expect_lookup(chime, vc(NetworkType="IPV4_ONLY"))
    expect_full_reads(chime, origination={"Routes": list(reversed(ORIGINATION["Routes"])), "Disabled": False})

    result = ensure_voice_connector(chime.api, shuffled)

    chime.done()
    assert result["changed"] is False


def test_a_field_left_out_keeps_its_value(chime):
    # Only the allow-list is given: calling regions, CPS limit and the default number are sent as they are.
    expect_lookup(chime, vc())
    chime.ok("get_voice_connector_termination", {"Termination": TERMINATION}, by_id())
    updated = dict(TERMINATION, CidrAllowedList=["52.94.0.12/32"])
    chime.ok("put_voice_connector_termination", {"Termination": updated}, dict(by_id(), Termination=updated))

    result = ensure_voice_connector(chime.api, params(termination=sub(cidr_allow_list=["52.94.0.12"])))

    chime.done()
    assert chime.sent == ["ListVoiceConnectors", "GetVoiceConnectorTermination", "PutVoiceConnectorTermination"]
    assert result["before"]["termination"]["cidr_allow_list"] == ["52.94.0.10/32", "52.94.0.11/32"]
    assert result["after"]["termination"] == dict(result["before"]["termination"], cidr_allow_list=["52.94.0.12/32"])
    assert set(result) >= {"termination"} and "origination" not in result


def test_a_sub_configuration_left_out_is_not_read(chime):
    expect_lookup(chime, vc())

    result = ensure_voice_connector(chime.api, params())

    chime.done()
    assert chime.sent == ["ListVoiceConnectors"]
    assert result["changed"] is False
    assert set(result["after"]) == {"voice_connector"}


def test_rename_and_turn_encryption_off_by_id(chime):
    chime.ok("get_voice_connector", {"VoiceConnector": vc()}, by_id())
    chime.ok(
        "update_voice_connector",
        {"VoiceConnector": vc(name="rtc-edge-2", encrypted=False)},
        dict(by_id(), Name="rtc-edge-2", RequireEncryption=False),
    )

    result = ensure_voice_connector(
        chime.api, params(name="rtc-edge-2", voice_connector_id=VC_ID, require_encryption=False)
    )

    chime.done()
    assert chime.sent == ["GetVoiceConnector", "UpdateVoiceConnector"]
    assert result["voice_connector"]["name"] == "rtc-edge-2"
    assert result["before"]["voice_connector"]["require_encryption"] is True
    assert result["after"]["voice_connector"]["require_encryption"] is False
    assert result["signalling"]["ports_in_use"] == [
        {"transport": "UDP", "protocol": "udp", "port": 5060},
        {"transport": "TCP", "protocol": "tcp", "port": 5060},
    ]


def test_origination_routes_default_to_udp_5060_without_encryption(chime):
    expect_lookup(chime, vc(encrypted=False))
    chime.ok("get_voice_connector_origination", {}, by_id())  # an empty answer: nothing configured
    wanted = {
        "Disabled": False,
        "Routes": [{"Host": "sip.example.com", "Port": 5060, "Protocol": "UDP", "Priority": 1, "Weight": 1}],
    }
    chime.ok("put_voice_connector_origination", {}, dict(by_id(), Origination=wanted))

    result = ensure_voice_connector(
        chime.api, params(origination=sub(routes=[route("sip.example.com")], disabled=None))
    )

    chime.done()
    assert result["before"]["origination"] is None
    assert result["origination"]["routes"][0]["protocol"] == "UDP"


def test_disable_origination_keeps_its_routes(chime):
    expect_lookup(chime, vc())
    chime.ok("get_voice_connector_origination", {"Origination": ORIGINATION}, by_id())
    chime.ok("put_voice_connector_origination", {}, dict(by_id(), Origination=dict(ORIGINATION, Disabled=True)))

    result = ensure_voice_connector(chime.api, params(origination=sub(routes=None, disabled=True)))

    chime.done()
    assert result["origination"]["disabled"] is True
    assert len(result["origination"]["routes"]) == 2


def test_logging_absent_turns_both_flags_off(chime):
    expect_lookup(chime, vc())
    chime.ok("get_voice_connector_logging_configuration", {"LoggingConfiguration": LOGGING}, by_id())
    off = {"EnableSIPLogs": False, "EnableMediaMetricLogs": False}
    chime.ok("put_voice_connector_logging_configuration", {}, dict(by_id(), LoggingConfiguration=off))

    result = ensure_voice_connector(chime.api, params(logging={"state": "absent"}))

    chime.done()
    assert result["logging"] == {"enable_sip_logs": False, "enable_media_metric_logs": False}


def test_streaming_update_keeps_the_media_insights_configuration(chime):
    insights = {"Disabled": False, "ConfigurationArn": "arn:aws:chime:us-east-1:123456789012:media-insights/x"}
    expect_lookup(chime, vc())
    chime.ok(
        "get_voice_connector_streaming_configuration",
        {"StreamingConfiguration": dict(STREAMING, MediaInsightsConfiguration=insights)},
        by_id(),
    )
    wanted = dict(STREAMING, DataRetentionInHours=48, MediaInsightsConfiguration=insights)
    chime.ok("put_voice_connector_streaming_configuration", {}, dict(by_id(), StreamingConfiguration=wanted))

    result = ensure_voice_connector(
        chime.api, params(streaming=sub(data_retention_in_hours=48, disabled=None, notification_targets=None))
    )

    chime.done()
    assert result["streaming"]["data_retention_in_hours"] == 48


def test_tags_are_set_and_purged(chime):
    expect_lookup(chime, vc())
    chime.ok(
        "list_tags_for_resource",
        {"Tags": [{"Key": "old", "Value": "x"}, {"Key": "team", "Value": "data"}]},
        {"ResourceARN": arn()},
    )
    chime.ok("tag_resource", {}, {"ResourceARN": arn(), "Tags": [{"Key": "team", "Value": "voice"}]})
    chime.ok("untag_resource", {}, {"ResourceARN": arn(), "TagKeys": ["old"]})

    result = ensure_voice_connector(chime.api, params(tags={"team": "voice"}))

    chime.done()
    assert result["tags"] == {"team": "voice"}


# -- termination credentials ---------------------------------------------------------------------


def test_credentials_added_and_purged(chime):
    expect_lookup(chime, vc())
    chime.ok("list_voice_connector_termination_credentials", {"Usernames": ["old", "keep"]}, by_id())
    chime.ok("delete_voice_connector_termination_credentials", {}, dict(by_id(), Usernames=["old"]))
    chime.ok(
        "put_voice_connector_termination_credentials",
        {},
        dict(by_id(), Credentials=[{"Username": "new", "Password": NEW_PASSWORD}]),
    )

    result = ensure_voice_connector(
        chime.api,
        params(
            termination_credentials=[
                {"username": "keep", "password": PASSWORD},
                {"username": "new", "password": NEW_PASSWORD},
            ],
            update_password="on_create",
            purge_credentials=True,
        ),
    )

    chime.done()
    assert result["termination_credentials"] == {
        "usernames": ["keep", "new"],
        "added": ["new"],
        "removed": ["old"],
        "updated": [],
    }
    assert result["before"]["termination_credentials"] == {"usernames": ["keep", "old"]}
    assert PASSWORD not in repr(result) and NEW_PASSWORD not in repr(result)


def test_credentials_without_purge_keep_other_users(chime):
    expect_lookup(chime, vc())
    chime.ok("list_voice_connector_termination_credentials", {"Usernames": ["other"]}, by_id())
    chime.ok(
        "put_voice_connector_termination_credentials",
        {},
        dict(by_id(), Credentials=[{"Username": "edge", "Password": PASSWORD}]),
    )

    result = ensure_voice_connector(
        chime.api, params(termination_credentials=[{"username": "edge", "password": PASSWORD}])
    )

    chime.done()
    assert result["termination_credentials"]["usernames"] == ["edge", "other"]


def test_password_rotation_with_update_password_always(chime):
    expect_lookup(chime, vc())
    chime.ok("list_voice_connector_termination_credentials", {"Usernames": ["edge"]}, by_id())
    chime.ok(
        "put_voice_connector_termination_credentials",
        {},
        dict(by_id(), Credentials=[{"Username": "edge", "Password": NEW_PASSWORD}]),
    )

    result = ensure_voice_connector(
        chime.api, params(termination_credentials=[{"username": "edge", "password": NEW_PASSWORD}])
    )

    chime.done()
    assert result["changed"] is True
    assert result["termination_credentials"]["updated"] == ["edge"]
    assert result["before"]["termination_credentials"] == result["after"]["termination_credentials"]


def test_on_create_does_not_rewrite_an_existing_password(chime):
    expect_lookup(chime, vc())
    chime.ok("list_voice_connector_termination_credentials", {"Usernames": ["edge"]}, by_id())

    result = ensure_voice_connector(
        chime.api,
        params(termination_credentials=[{"username": "edge", "password": NEW_PASSWORD}], update_password="on_create"),
    )

    chime.done()
    assert result["changed"] is False


def test_empty_credential_list_with_purge_deletes_every_user(chime):
    expect_lookup(chime, vc())
    chime.not_found("list_voice_connector_termination_credentials", by_id())  # no termination yet: none

    result = ensure_voice_connector(chime.api, params(termination_credentials=[], purge_credentials=True))

    chime.done()
    assert result["changed"] is False
    assert result["termination_credentials"]["usernames"] == []


# -- phone numbers -------------------------------------------------------------------------------


def test_phone_numbers_added_and_purged(chime):
    expect_lookup(chime, vc())
    chime.ok("list_phone_numbers", numbers("+12065550100", "+12065550199"), numbers_filter())
    chime.ok("disassociate_phone_numbers_from_voice_connector", {}, dict(by_id(), E164PhoneNumbers=["+12065550199"]))
    chime.ok(
        "associate_phone_numbers_with_voice_connector",
        {"PhoneNumberErrors": []},
        dict(by_id(), E164PhoneNumbers=["+12065550101"], ForceAssociate=True),
    )

    result = ensure_voice_connector(
        chime.api, params(phone_numbers=NUMBERS, purge_phone_numbers=True, force_associate=True)
    )

    chime.done()
    assert result["phone_numbers"] == NUMBERS
    assert result["phone_numbers_associated"] == ["+12065550101"]
    assert result["phone_numbers_disassociated"] == ["+12065550199"]


def test_phone_numbers_are_paged(chime):
    expect_lookup(chime, vc())
    chime.ok("list_phone_numbers", dict(numbers("+12065550100"), NextToken="page-2"), numbers_filter())
    chime.ok("list_phone_numbers", numbers("+12065550101"), dict(numbers_filter(), NextToken="page-2"))

    result = ensure_voice_connector(chime.api, params(phone_numbers=NUMBERS))

    chime.done()
    assert result["changed"] is False


def test_partial_phone_number_failure_is_a_failure(chime):
    expect_lookup(chime, vc())
    chime.ok("list_phone_numbers", numbers(), numbers_filter())
    chime.ok(
        "associate_phone_numbers_with_voice_connector",
        {
            "PhoneNumberErrors": [
                {"PhoneNumberId": "+12065550101", "ErrorCode": "NotFound", "ErrorMessage": "not in this account"}
            ]
        },
        dict(by_id(), E164PhoneNumbers=NUMBERS),
    )

    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector(chime.api, params(phone_numbers=NUMBERS))

    message = failure(excinfo, "partial_failure")
    assert "+12065550101: NotFound not in this account" in message
    assert "done for +12065550100" in message
    assert excinfo.value.changed is True
    assert excinfo.value.action == "chime:AssociatePhoneNumbersWithVoiceConnector"
    assert excinfo.value.details == {
        "phone_number_errors": [
            {"phone_number": "+12065550101", "error_code": "NotFound", "error_message": "not in this account"}
        ],
        "succeeded": ["+12065550100"],
    }


def test_every_number_refused_is_a_failure_that_changed_nothing(chime):
    expect_lookup(chime, vc())
    chime.ok("list_phone_numbers", numbers(), numbers_filter())
    chime.ok(
        "associate_phone_numbers_with_voice_connector",
        {"PhoneNumberErrors": [{"PhoneNumberId": "+12065550100", "ErrorCode": "PhoneNumberAssociationsExist"}]},
    )

    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector(chime.api, params(phone_numbers=["+12065550100"]))

    assert failure(excinfo, "partial_failure")
    assert excinfo.value.changed is False


# -- eventual consistency after creation ---------------------------------------------------------


def test_not_found_after_create_is_retried_without_real_sleep(chime):
    expect_lookup(chime)
    chime.ok("create_voice_connector", {"VoiceConnector": vc(region="eu-west-2")})
    chime.not_found("put_voice_connector_logging_configuration")
    chime.not_found("put_voice_connector_logging_configuration")
    chime.ok("put_voice_connector_logging_configuration", {})

    result = ensure_voice_connector(
        chime.api,
        params(connector_region="eu-west-2", logging=sub(enable_sip_logs=True, enable_media_metric_logs=None)),
    )

    chime.done()
    assert result["changed"] is True
    assert len(chime.time.sleeps) == 2
    assert chime.time.now < 90
    assert result["signalling"]["cidrs"] == ["99.77.249.0/24"]


def test_not_found_after_create_is_bounded(chime):
    expect_lookup(chime)
    chime.ok("create_voice_connector", {"VoiceConnector": vc(region="eu-west-2")})
    for _attempt in range(40):
        chime.not_found("put_voice_connector_logging_configuration")

    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector(
            chime.api,
            params(
                connector_region="eu-west-2",
                logging=sub(enable_sip_logs=True, enable_media_metric_logs=None),
                wait_timeout=20,
            ),
        )

    message = failure(excinfo, "not_found")
    assert "20s after it was created" in message
    assert excinfo.value.changed is True  # the connector exists now
    assert 19 < chime.time.now <= 20


def test_not_found_about_an_old_connector_is_not_retried(chime):
    expect_lookup(chime, vc())
    chime.not_found("get_voice_connector_logging_configuration")  # read: nothing configured
    chime.not_found("put_voice_connector_logging_configuration")

    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector(chime.api, params(logging=sub(enable_sip_logs=True, enable_media_metric_logs=None)))

    assert failure(excinfo, "not_found")
    assert chime.time.sleeps == []


# -- teardown ------------------------------------------------------------------------------------


def expect_teardown_reads(chime, phone=None, groups=()):
    phone = NUMBERS if phone is None else phone
    chime.ok("list_voice_connector_groups", {"VoiceConnectorGroups": list(groups)}, {"MaxResults": 100})
    chime.ok("list_phone_numbers", numbers(*phone), numbers_filter())
    chime.ok(
        "get_voice_connector_emergency_calling_configuration", {"EmergencyCallingConfiguration": EMERGENCY}, by_id()
    )
    chime.ok("get_voice_connector_origination", {"Origination": ORIGINATION}, by_id())
    chime.ok("get_voice_connector_termination", {"Termination": TERMINATION}, by_id())


def test_teardown_in_the_order_the_service_requires(chime):
    expect_lookup(chime, vc())
    expect_teardown_reads(chime)
    chime.ok("disassociate_phone_numbers_from_voice_connector", {}, dict(by_id(), E164PhoneNumbers=NUMBERS))
    chime.ok("delete_voice_connector_emergency_calling_configuration", {}, by_id())
    chime.ok("delete_voice_connector_origination", {}, by_id())
    chime.ok("delete_voice_connector_termination", {}, by_id())
    chime.ok("delete_voice_connector", {}, by_id())

    result = ensure_voice_connector(chime.api, params(state="absent"))

    chime.done()
    assert chime.mutating == [
        "DisassociatePhoneNumbersFromVoiceConnector",
        "DeleteVoiceConnectorEmergencyCallingConfiguration",
        "DeleteVoiceConnectorOrigination",
        "DeleteVoiceConnectorTermination",
        "DeleteVoiceConnector",
    ]
    assert result["changed"] is True and result["deleted"] is True
    assert result["voice_connector"] is None
    assert result["phone_numbers_disassociated"] == NUMBERS
    assert result["before"]["voice_connector"]["voice_connector_id"] == VC_ID
    assert result["after"] == {"voice_connector": None}


def test_teardown_skips_what_is_not_configured(chime):
    chime.ok("get_voice_connector", {"VoiceConnector": vc()}, by_id())
    chime.ok("list_voice_connector_groups", {}, {"MaxResults": 100})
    chime.ok("list_phone_numbers", numbers(), numbers_filter())
    chime.not_found("get_voice_connector_emergency_calling_configuration")
    chime.not_found("get_voice_connector_origination")
    chime.ok("get_voice_connector_termination", {}, by_id())
    chime.ok("delete_voice_connector", {}, by_id())

    ensure_voice_connector(chime.api, params(name=None, voice_connector_id=VC_ID, state="absent"))

    chime.done()
    assert chime.mutating == ["DeleteVoiceConnector"]


def test_absent_when_already_gone(chime):
    expect_lookup(chime, vc(VC_ID2, name="another-trunk"))
    result = ensure_voice_connector(chime.api, params(state="absent"))
    assert result["changed"] is False and result["deleted"] is False
    assert chime.sent == ["ListVoiceConnectors"]


def test_absent_by_unknown_id_is_already_gone(chime):
    chime.not_found("get_voice_connector", by_id())
    result = ensure_voice_connector(chime.api, params(name=None, voice_connector_id=VC_ID, state="absent"))
    assert result["changed"] is False


def test_a_connector_in_a_group_is_not_deleted(chime):
    expect_lookup(chime, vc())
    group = {
        "VoiceConnectorGroupId": GROUP_ID,
        "Name": "rtc",
        "VoiceConnectorItems": [{"VoiceConnectorId": VC_ID, "Priority": 1}],
    }
    chime.ok("list_voice_connector_groups", {"VoiceConnectorGroups": [group]}, {"MaxResults": 100})

    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector(chime.api, params(state="absent"))

    message = failure(excinfo, "in_use")
    assert GROUP_ID in message and "chime_voice_connector_group" in message
    assert chime.mutating == []


def test_check_mode_teardown_reads_only(chime):
    expect_lookup(chime, vc())
    expect_teardown_reads(chime)

    result = ensure_voice_connector(chime.api, params(state="absent"), check_mode=True)

    chime.done()
    assert result["changed"] is True and result["deleted"] is True
    assert chime.mutating == []


def test_removing_origination_with_emergency_calling_deletes_emergency_calling_first(chime):
    expect_lookup(chime, vc())
    chime.ok("get_voice_connector_origination", {"Origination": ORIGINATION}, by_id())
    chime.ok(
        "get_voice_connector_emergency_calling_configuration", {"EmergencyCallingConfiguration": EMERGENCY}, by_id()
    )
    chime.ok("delete_voice_connector_emergency_calling_configuration", {}, by_id())
    chime.ok("delete_voice_connector_origination", {}, by_id())

    result = ensure_voice_connector(
        chime.api, params(origination={"state": "absent"}, emergency_calling={"state": "absent"})
    )

    chime.done()
    assert chime.mutating == ["DeleteVoiceConnectorEmergencyCallingConfiguration", "DeleteVoiceConnectorOrigination"]
    assert result["origination"] is None and result["emergency_calling"] is None


# -- create-only fields and recreate -------------------------------------------------------------


def test_changing_a_create_only_field_fails_clearly(chime):
    expect_lookup(chime, vc())

    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector(chime.api, params(connector_region="us-west-2"))

    message = failure(excinfo, "create_only")
    assert "connector_region is us-east-1, the task asks for us-west-2" in message
    assert "recreate: true" in message
    assert chime.mutating == []


def test_network_type_of_an_older_connector_is_ipv4_only(chime):
    expect_lookup(chime, vc())  # no NetworkType in the answer
    result = ensure_voice_connector(chime.api, params(network_type="IPV4_ONLY"))
    assert result["changed"] is False
    with pytest.raises(ChimeVoiceError) as excinfo:
        expect_lookup(chime, vc())
        ensure_voice_connector(chime.api, params(network_type="DUAL_STACK"))
    assert "network_type is IPV4_ONLY, the task asks for DUAL_STACK" in failure(excinfo, "create_only")
    assert chime.mutating == []


def test_recreate_tears_down_then_creates(chime):
    expect_lookup(chime, vc())
    expect_teardown_reads(chime, phone=["+12065550100"])
    chime.ok("disassociate_phone_numbers_from_voice_connector", {}, dict(by_id(), E164PhoneNumbers=["+12065550100"]))
    chime.ok("delete_voice_connector_emergency_calling_configuration", {}, by_id())
    chime.ok("delete_voice_connector_origination", {}, by_id())
    chime.ok("delete_voice_connector_termination", {}, by_id())
    chime.ok("delete_voice_connector", {}, by_id())
    chime.ok(
        "create_voice_connector",
        {"VoiceConnector": vc(VC_ID2, region="us-west-2")},
        {"Name": "rtc-edge", "RequireEncryption": True, "AwsRegion": "us-west-2"},
    )
    chime.ok("associate_phone_numbers_with_voice_connector", {}, dict(by_id(VC_ID2), E164PhoneNumbers=["+12065550100"]))

    result = ensure_voice_connector(
        chime.api, params(connector_region="us-west-2", recreate=True, phone_numbers=["+12065550100"])
    )

    chime.done()
    assert result["recreated"] is True and result["created"] is True
    assert result["voice_connector"]["voice_connector_id"] == VC_ID2
    assert result["before"]["voice_connector"]["aws_region"] == "us-east-1"
    assert result["after"]["voice_connector"]["aws_region"] == "us-west-2"
    assert result["signalling"]["cidrs"] == ["99.77.253.0/24"]


# -- check mode ----------------------------------------------------------------------------------


def test_check_mode_create_reads_only_and_plans(chime):
    expect_lookup(chime)

    result = ensure_voice_connector(chime.api, full_params(), check_mode=True)

    chime.done()
    assert chime.sent == ["ListVoiceConnectors"]
    assert result["changed"] is True and result["created"] is True
    assert result["voice_connector"]["voice_connector_id"] is None
    assert result["voice_connector"]["outbound_host_name"] is None
    assert result["after"]["origination"]["routes"][0]["port"] == 5061
    assert result["after"]["termination_credentials"] == {"usernames": ["edge"]}


def test_check_mode_update_reads_only(chime):
    expect_lookup(chime, vc(NetworkType="IPV4_ONLY"))
    expect_full_reads(chime, usernames=("edge", "old"), phone=["+12065550100"])

    result = ensure_voice_connector(
        chime.api, full_params(purge_credentials=True, update_password="on_create"), check_mode=True
    )

    chime.done()
    assert chime.mutating == []
    assert result["changed"] is True
    assert result["termination_credentials"]["removed"] == ["old"]
    assert result["phone_numbers_associated"] == ["+12065550101"]


def test_check_mode_refuses_a_mutating_call_before_sending_it(chime):
    chime.api.read_only = True
    with pytest.raises(ChimeVoiceError) as excinfo:
        chime.api.call("delete_voice_connector", VoiceConnectorId=VC_ID)
    assert "check mode" in str(excinfo.value)
    assert chime.sent == []


# -- bad input: a clear error, and nothing changed -----------------------------------------------


def many_routes(count):
    return [route("sip%d.example.com" % i) for i in range(count)]


BAD_REQUESTS = {
    "private-cidr": (
        dict(termination=sub(cidr_allow_list=["10.0.1.0/28"], calling_regions=["US"])),
        "is not a public address block",
    ),
    "shared-address-cidr": (dict(termination=sub(cidr_allow_list=["100.64.0.1/32"])), "not a public address block"),
    "too-wide-cidr": (dict(termination=sub(cidr_allow_list=["52.94.0.0/24"])), "is too wide"),
    "host-bits-cidr": (dict(termination=sub(cidr_allow_list=["52.94.0.10/27"])), "did you mean 52.94.0.0/27"),
    "malformed-cidr": (dict(termination=sub(cidr_allow_list=["52.94.0/33"])), "malformed CIDR"),
    "udp-route-with-encryption": (
        dict(require_encryption=True, origination=sub(routes=[route("sip.example.com", protocol="UDP")])),
        "uses UDP, but require_encryption is true",
    ),
    "more-than-20-routes": (dict(origination=sub(routes=many_routes(21))), "at most 20"),
    "priority-0": (dict(origination=sub(routes=[route("sip.example.com", priority=0)])), "priority 0 is out of range"),
    "priority-101": (
        dict(origination=sub(routes=[route("a.example.com", priority=101)])),
        "priority 101 is out of range",
    ),
    "weight-0": (dict(origination=sub(routes=[route("sip.example.com", weight=0)])), "weight 0 is out of range"),
    "weight-101": (dict(origination=sub(routes=[route("sip.example.com", weight=101)])), "weight 101 is out of range"),
    "port-0": (dict(origination=sub(routes=[route("sip.example.com", port=0)])), "port 0 is out of range"),
    "port-65536": (dict(origination=sub(routes=[route("sip.example.com", port=65536)])), "port 65536 is out of range"),
    "host-with-port": (dict(origination=sub(routes=[route("52.94.0.10:5060")])), "invalid origination route host"),
    "origination-empty": (dict(origination=sub()), "origination needs routes or disabled"),
    "e164-default-number": (
        dict(termination=sub(default_phone_number="2065550100")),
        "invalid termination.default_phone_number '2065550100'",
    ),
    "e164-phone-number": (dict(phone_numbers=["+012065550100"]), "invalid phone number '+012065550100'"),
    "e164-too-long": (dict(phone_numbers=["+1206555010012345"]), "invalid phone number"),
    "e164-dnis": (
        dict(emergency_calling=sub(dnis=[{"emergency_phone_number": "911", "calling_country": "US"}])),
        "emergency_phone_number '911'",
    ),
    "unknown-calling-region": (
        dict(termination=sub(calling_regions=["US", "UK"])),
        "unknown termination calling region 'UK'",
    ),
    "unknown-calling-country": (
        dict(emergency_calling=sub(dnis=[{"emergency_phone_number": "+12065550911", "calling_country": "XX"}])),
        "calling_country 'XX'",
    ),
    "region-without-voice-connector": (
        dict(connector_region="us-east-2"),
        "connector_region 'us-east-2' has no Voice Connectors",
    ),
    "duplicate-usernames": (
        dict(
            termination_credentials=[
                {"username": "edge", "password": PASSWORD},
                {"username": "edge", "password": NEW_PASSWORD},
            ]
        ),
        "duplicate username 'edge'",
    ),
    "empty-password": (
        dict(termination_credentials=[{"username": "edge", "password": ""}]),
        "password (for user edge) is empty",
    ),
    "empty-username": (dict(termination_credentials=[{"username": "", "password": PASSWORD}]), "username is empty"),
    "non-ascii-password": (
        dict(termination_credentials=[{"username": "edge", "password": "pässwörd"}]),
        "outside printable US-ASCII",
    ),
    "bad-name": (dict(name="rtc/edge"), "invalid name 'rtc/edge'"),
    "bad-id": (dict(voice_connector_id="VC-1"), "malformed voice_connector_id 'VC-1'"),
    "absent-with-settings": (
        dict(origination={"state": "absent", "routes": [route("a.example.com")]}),
        "leave out routes",
    ),
    "too-many-targets": (
        dict(streaming=sub(data_retention_in_hours=1, notification_targets=["SNS", "SQS", "EventBridge", "Kinesis"])),
        "notification_targets entry 'Kinesis'",
    ),
    "negative-retention": (
        dict(streaming=sub(data_retention_in_hours=-1)),
        "data_retention_in_hours -1 is out of range",
    ),
    "cps-0": (dict(termination=sub(cps_limit=0)), "cps_limit 0 is out of range"),
    "unknown-sbc-type": (dict(external_systems=sub(session_border_controller_types=["KAMAILIO"])), "'KAMAILIO'"),
    "logging-empty": (dict(logging=sub()), "logging needs enable_sip_logs"),
}


@pytest.mark.parametrize(("options", "message"), list(BAD_REQUESTS.values()), ids=list(BAD_REQUESTS))
def test_bad_input_is_refused_before_any_call(chime, options, message):
    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector(chime.api, params(**options))
    assert message in failure(excinfo, "invalid")
    assert chime.sent == []
    assert PASSWORD not in str(excinfo.value) and NEW_PASSWORD not in str(excinfo.value)


def test_name_matching_two_connectors_fails_without_a_change(chime):
    expect_lookup(chime, vc(), vc(VC_ID2, region="us-west-2"))

    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector(chime.api, params(logging=sub(enable_sip_logs=True, enable_media_metric_logs=None)))

    message = failure(excinfo, "ambiguous")
    assert "2 Voice Connectors are named 'rtc-edge'" in message
    assert "%s (us-east-1), %s (us-west-2)" % (VC_ID, VC_ID2) in message
    assert chime.mutating == []
    chime.done()


def test_aws_region_singles_out_one_of_two_connectors_of_a_name(chime):
    expect_lookup(chime, vc(), vc(VC_ID2, region="us-west-2"))
    result = ensure_voice_connector(chime.api, params(connector_region="us-west-2"))
    assert result["voice_connector"]["voice_connector_id"] == VC_ID2
    assert result["changed"] is False


def test_udp_route_on_an_encrypted_connector_fails_after_reads_only(chime):
    expect_lookup(chime, vc(encrypted=True))
    chime.ok("get_voice_connector_origination", {"Origination": ORIGINATION}, by_id())

    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector(chime.api, params(origination=sub(routes=[route("sip.example.com", protocol="UDP")])))

    assert "requires encryption" in failure(excinfo, "invalid")
    assert chime.mutating == []


def test_turning_encryption_on_with_udp_routes_left_unmanaged_fails(chime):
    expect_lookup(chime, vc(encrypted=False))
    udp = {"Routes": [{"Host": "sip.example.com", "Port": 5060, "Protocol": "UDP", "Priority": 1, "Weight": 1}]}
    chime.ok("get_voice_connector_origination", {"Origination": udp}, by_id())

    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector(chime.api, params(require_encryption=True))

    assert "routes to sip.example.com use UDP" in failure(excinfo, "invalid")
    assert chime.mutating == []


def test_duplicate_routes_after_defaults_are_refused(chime):
    expect_lookup(chime, vc())
    chime.ok("get_voice_connector_origination", {}, by_id())

    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector(
            chime.api,
            params(origination=sub(routes=[route("sip.example.com"), route("sip.example.com", port=5061, priority=2)])),
        )

    assert "lists sip.example.com port 5061 TCP twice" in failure(excinfo, "invalid")
    assert chime.mutating == []


def test_deleting_origination_while_emergency_calling_stays_is_refused(chime):
    expect_lookup(chime, vc())
    chime.ok("get_voice_connector_origination", {"Origination": ORIGINATION}, by_id())
    chime.ok(
        "get_voice_connector_emergency_calling_configuration", {"EmergencyCallingConfiguration": EMERGENCY}, by_id()
    )

    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector(chime.api, params(origination={"state": "absent"}))

    assert "while emergency calling is configured" in failure(excinfo, "invalid")
    assert chime.mutating == []


def test_first_termination_needs_regions_and_cidrs(chime):
    expect_lookup(chime, vc())
    chime.not_found("get_voice_connector_termination", by_id())

    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector(chime.api, params(termination=sub(cps_limit=2)))

    assert "termination needs calling_regions and cidr_allow_list" in failure(excinfo, "invalid")
    assert chime.mutating == []


def test_unknown_connector_id_is_not_created(chime):
    chime.not_found("get_voice_connector", by_id())
    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector(chime.api, params(voice_connector_id=VC_ID))
    assert "does not exist" in failure(excinfo, "not_found")
    assert chime.mutating == []


def test_an_api_region_without_voice_connector_is_refused_before_any_call():
    stub = VoiceStub(region="us-east-2", endpoint_url=None)  # the real endpoint name; the Stubber answers anyway
    try:
        with pytest.raises(ChimeVoiceError) as excinfo:
            ensure_voice_connector(stub.api, params())
        assert "region us-east-2 has no Amazon Chime SDK Voice endpoint" in failure(excinfo, "invalid")
        assert stub.sent == []
    finally:
        stub.close()


# -- errors from the service ---------------------------------------------------------------------


def test_permission_denied_names_the_iam_action(chime):
    expect_lookup(chime, vc())
    chime.ok("list_phone_numbers", numbers(), numbers_filter())
    chime.error("associate_phone_numbers_with_voice_connector", "AccessDeniedException", "User is not authorized")

    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector(chime.api, params(phone_numbers=["+12065550100"]))

    assert "allow chime:AssociatePhoneNumbersWithVoiceConnector" in failure(excinfo, "permission_denied")
    assert excinfo.value.action == "chime:AssociatePhoneNumbersWithVoiceConnector"
    assert excinfo.value.changed is False


def test_a_later_failure_reports_the_earlier_changes(chime):
    expect_lookup(chime)
    chime.ok("create_voice_connector", {"VoiceConnector": vc()})
    chime.error("put_voice_connector_logging_configuration", "BadRequestException", "nope")

    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector(chime.api, params(logging=sub(enable_sip_logs=True, enable_media_metric_logs=None)))

    assert failure(excinfo, "invalid")
    assert excinfo.value.changed is True
    assert excinfo.value.to_dict()["code"] == "BadRequestException"


def test_a_password_echoed_by_the_service_is_scrubbed(chime):
    expect_lookup(chime, vc())
    chime.ok("list_voice_connector_termination_credentials", {"Usernames": []}, by_id())
    chime.error(
        "put_voice_connector_termination_credentials",
        "BadRequestException",
        "Password %s does not meet the policy" % PASSWORD,
    )

    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector(chime.api, params(termination_credentials=[{"username": "edge", "password": PASSWORD}]))

    message = failure(excinfo, "invalid")
    assert PASSWORD not in message
    assert "Password ******** does not meet the policy" in message
    assert PASSWORD not in repr(excinfo.value.to_dict())


# -- the info side -------------------------------------------------------------------------------


def test_describe_by_name_with_details(chime):
    chime.ok("list_voice_connectors", {"VoiceConnectors": [vc(), vc(VC_ID2, name="other")]}, {"MaxResults": 100})
    chime.ok("get_voice_connector_origination", {"Origination": ORIGINATION}, by_id())
    chime.not_found("get_voice_connector_emergency_calling_configuration", by_id())
    chime.ok("list_voice_connector_termination_credentials", {"Usernames": ["edge"]}, by_id())

    found = describe_voice_connectors(
        chime.api, name="rtc-edge", details=["origination", "emergency_calling", "termination_credentials"]
    )

    chime.done()
    assert chime.mutating == []
    assert [c["voice_connector_id"] for c in found] == [VC_ID]
    assert found[0]["origination"]["routes"][0]["host"] == "52.94.0.11"
    assert found[0]["emergency_calling"] is None
    assert found[0]["termination_credentials"] == {"usernames": ["edge"]}
    assert found[0]["signalling"]["cidrs"] == ["3.80.16.0/23"]


def test_describe_unknown_id_is_an_empty_list(chime):
    chime.not_found("get_voice_connector", by_id())
    assert describe_voice_connectors(chime.api, voice_connector_id=VC_ID) == []


def test_describe_all_details(chime):
    chime.ok("get_voice_connector", {"VoiceConnector": vc()}, by_id())
    expect_full_reads(chime)
    found = describe_voice_connectors(chime.api, voice_connector_id=VC_ID, details=["all"])
    chime.done()
    assert found[0]["tags"] == {"rtc:fleet": "prod", "team": "voice"}
    assert found[0]["phone_numbers"] == NUMBERS
    assert copy.deepcopy(found) == found
