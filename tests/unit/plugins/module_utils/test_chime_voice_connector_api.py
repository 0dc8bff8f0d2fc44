# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the Chime library's call wrapper, its model detection, the validation helpers and the
signalling table; and a check that every Chime module_utils file works without Ansible.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import time
import types
from pathlib import Path

import boto3
import botocore
import botocore.session
import pytest
from ansible_collections.rtc.ec2_fleet.plugins.module_utils import chime_voice_connector_api as api_module
from ansible_collections.rtc.ec2_fleet.plugins.module_utils import chime_voice_connector_api as chime_api
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector import ensure_voice_connector
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector_api import (
    DEFAULT_MAX_RETRIES,
    ChimeVoiceError,
    Features,
    VoiceApi,
)
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector_group import (
    ensure_voice_connector_group,
)
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector_model import (
    ISO_3166_ALPHA2,
    check_cidr,
    check_e164,
    check_host,
)
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector_regions import (
    SIGNALLING_AS_OF,
    SIGNALLING_CIDRS,
    SIGNALLING_SOURCE,
    VOICE_CONNECTOR_REGIONS,
    signalling,
)
from chime_fake.stub import LOOPBACK, VC_ID, FakeTime, VoiceStub, make_client


@pytest.fixture(autouse=True)
def no_real_sleep(monkeypatch):
    """Every wait of the library goes through the injected fake clock: a real sleep fails the test."""

    def refuse(seconds):
        raise AssertionError("a unit test tried to sleep %ss" % seconds)

    monkeypatch.setattr(chime_api, "time", types.SimpleNamespace(sleep=refuse, monotonic=time.monotonic))


LIBRARY_DIR = Path(api_module.__file__).parent
LIBRARY_FILES = sorted(p.name for p in LIBRARY_DIR.glob("chime_voice_connector*.py"))
SECRET = "s3cret-Pa55"


@pytest.fixture
def chime():
    stub = VoiceStub()
    yield stub
    stub.close()


def failure(excinfo, kind):
    assert excinfo.value.kind == kind, excinfo.value
    return str(excinfo.value)


# -- the call wrapper ----------------------------------------------------------------------------


def test_throttling_is_retried_with_growing_jittered_backoff(chime):
    for _attempt in range(3):
        chime.error("list_voice_connectors", "ThrottledClientException", "Rate exceeded", status=429)
    chime.ok("list_voice_connectors", {"VoiceConnectors": []})

    assert chime.api.call("list_voice_connectors")["VoiceConnectors"] == []
    assert chime.api.calls == ["list_voice_connectors"] * 4
    bounds = [0.25, 0.5, 1.0]
    assert all(bound / 2 <= slept <= bound for slept, bound in zip(chime.time.sleeps, bounds, strict=True))


def test_throttling_past_the_budget_fails_as_throttled(chime):
    for _attempt in range(DEFAULT_MAX_RETRIES + 1):
        chime.error("create_voice_connector", "ThrottledClientException", "Rate exceeded", status=429)

    with pytest.raises(ChimeVoiceError) as excinfo:
        chime.api.call("create_voice_connector", Name="x", RequireEncryption=True)

    message = failure(excinfo, "throttled")
    assert "throttled %d times in a row" % (DEFAULT_MAX_RETRIES + 1) in message
    assert excinfo.value.action == "chime:CreateVoiceConnector"
    assert len(chime.time.sleeps) == DEFAULT_MAX_RETRIES
    assert max(chime.time.sleeps) <= 5.0


def test_server_errors_are_retried_for_reads_only(chime):
    chime.error("get_voice_connector", "ServiceUnavailableException", "try later", status=503)
    chime.ok("get_voice_connector", {"VoiceConnector": {"VoiceConnectorId": VC_ID}})
    assert chime.api.call("get_voice_connector", VoiceConnectorId=VC_ID)["VoiceConnector"]["VoiceConnectorId"] == VC_ID

    chime.error("delete_voice_connector", "ServiceFailureException", "oops", status=500)
    with pytest.raises(ChimeVoiceError) as excinfo:
        chime.api.call("delete_voice_connector", VoiceConnectorId=VC_ID)
    assert failure(excinfo, "api_error").startswith("chime:DeleteVoiceConnector failed")
    assert chime.api.calls.count("delete_voice_connector") == 1


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("AccessDeniedException", "permission_denied"),
        ("ForbiddenException", "permission_denied"),
        ("UnauthorizedClientException", "permission_denied"),
        ("BadRequestException", "invalid"),
        ("ConflictException", "conflict"),
        ("ResourceLimitExceededException", "limit_exceeded"),
        ("NotFoundException", "not_found"),
        ("SomethingNew", "api_error"),
    ],
)
def test_error_translation(chime, code, kind):
    chime.error("delete_voice_connector", code, "refused")
    with pytest.raises(ChimeVoiceError) as excinfo:
        chime.api.call("delete_voice_connector", VoiceConnectorId=VC_ID)
    failure(excinfo, kind)
    assert excinfo.value.to_dict() == {
        "msg": str(excinfo.value),
        "kind": kind,
        "changed": False,
        "action": "chime:DeleteVoiceConnector",
        "code": code,
    }


def test_parameter_validation_errors_never_quote_a_password():
    # No Stubber here (it answers before botocore validates): botocore refuses the request itself, before
    # anything is sent to the loopback endpoint.
    api = VoiceApi(make_client())
    api.add_secret(SECRET)
    with pytest.raises(ChimeVoiceError) as excinfo:
        # A dict where the model wants a list: botocore's message quotes the value.
        api.call(
            "put_voice_connector_termination_credentials",
            VoiceConnectorId=VC_ID,
            Credentials={"Username": "edge", "Password": SECRET},
        )
    message = failure(excinfo, "invalid")
    assert "Invalid type for parameter Credentials, value: (hidden)" in message
    assert SECRET not in message


def test_scrub_covers_escaped_forms():
    api = VoiceApi(make_client())
    api.add_secret('a"b\\c')
    assert api.scrub('raw a"b\\c json a\\"b\\\\c repr %r' % 'a"b\\c').count("********") == 3


def test_unreachable_endpoint_is_reported():
    # botocore's own retries off (they would really sleep): the library's retries are under test.
    client = make_client(config=botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=1))
    fake = FakeTime()
    api = VoiceApi(client, max_retries=1, sleep=fake.sleep, clock=fake.clock)

    with pytest.raises(ChimeVoiceError) as excinfo:
        api.call("list_voice_connectors")
    assert failure(excinfo, "unreachable").startswith("chime:ListVoiceConnectors could not reach")
    assert api.calls == ["list_voice_connectors"] * 2

    with pytest.raises(ChimeVoiceError) as excinfo:
        api.call("delete_voice_connector", VoiceConnectorId=VC_ID)
    assert "may or may not have been carried out" in failure(excinfo, "unreachable")
    assert LOOPBACK.startswith("http://127.0.0.1")


def test_not_found_is_retried_only_for_a_resource_created_by_this_run(chime):
    chime.api.created(VC_ID)
    chime.not_found("get_voice_connector")
    chime.ok("get_voice_connector", {"VoiceConnector": {"VoiceConnectorId": VC_ID}})
    chime.api.call("get_voice_connector", VoiceConnectorId=VC_ID)
    assert len(chime.time.sleeps) == 1

    chime.not_found("get_voice_connector")
    with pytest.raises(ChimeVoiceError):
        chime.api.call("get_voice_connector", VoiceConnectorId="zyxwvu9tsrq8ponml7kji6")
    assert len(chime.time.sleeps) == 1


# -- what the installed botocore knows -----------------------------------------------------------


def test_features_of_the_installed_botocore():
    features = Features(make_client())
    assert features.network_type and features.integration_type and features.call_distribution_type
    assert features.external_systems
    assert set(features.regions) == set(VOICE_CONNECTOR_REGIONS)
    assert "RIBBON_SBC" in features.sbc_types
    assert features.botocore_version == botocore.__version__


@pytest.fixture
def older_botocore_client(tmp_path):
    """A client built from the installed model minus the newer fields and operations (an older botocore)."""
    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    api_version = loader.determine_latest_version("chime-sdk-voice", "service-2")
    model = loader.load_service_model("chime-sdk-voice", "service-2", api_version)
    model = json.loads(json.dumps(model))
    for shape in (
        "CreateVoiceConnectorRequest",
        "VoiceConnector",
        "CreateVoiceConnectorGroupRequest",
        "UpdateVoiceConnectorGroupRequest",
        "VoiceConnectorGroup",
    ):
        for member in ("NetworkType", "IntegrationType", "CallDistributionType"):
            model["shapes"][shape]["members"].pop(member, None)
    for operation in [o for o in model["operations"] if "ExternalSystems" in o]:
        del model["operations"][operation]
    target = tmp_path / "chime-sdk-voice" / api_version
    target.mkdir(parents=True)
    with gzip.open(target / "service-2.json.gz", "wt") as handle:
        json.dump(model, handle)
    older = botocore.session.Session()
    older.get_component("data_loader").search_paths.insert(0, str(tmp_path))
    client = boto3.Session(botocore_session=older).client(
        "chime-sdk-voice",
        region_name="us-east-1",
        endpoint_url=LOOPBACK,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    assert "NetworkType" not in client.meta.service_model.operation_model("CreateVoiceConnector").input_shape.members
    return client


def test_an_older_botocore_is_detected_from_its_model(older_botocore_client):
    features = Features(older_botocore_client)
    assert not features.network_type and not features.integration_type
    assert not features.external_systems and not features.call_distribution_type


@pytest.mark.parametrize(
    ("options", "what"),
    [
        ({"network_type": "DUAL_STACK"}, "network_type"),
        ({"integration_type": "CONNECT_ANALYTICS_CONNECTOR"}, "integration_type"),
        (
            {"external_systems": {"state": "present", "session_border_controller_types": ["RIBBON_SBC"]}},
            "external_systems",
        ),
    ],
)
def test_a_newer_option_on_an_older_botocore_fails_before_any_call(older_botocore_client, options, what):
    api = VoiceApi(older_botocore_client)
    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector(api, dict({"name": "rtc-edge"}, **options))
    message = failure(excinfo, "unsupported")
    assert message.startswith("%s is not known to the installed botocore %s" % (what, botocore.__version__))
    assert api.calls == []


def test_call_distribution_on_an_older_botocore_fails_before_any_call(older_botocore_client):
    api = VoiceApi(older_botocore_client)
    with pytest.raises(ChimeVoiceError) as excinfo:
        ensure_voice_connector_group(api, {"name": "rtc", "call_distribution_type": "LoadBalancedDistribution"})
    assert "call_distribution_type is not known" in failure(excinfo, "unsupported")
    assert api.calls == []


# -- validation helpers --------------------------------------------------------------------------


def test_iso_3166_alpha2_has_every_assigned_code():
    assert len(ISO_3166_ALPHA2) == 249
    assert {"US", "GB", "DE", "CA", "JP", "SS", "XK"} - ISO_3166_ALPHA2 == {"XK"}  # XK is user-assigned
    assert "UK" not in ISO_3166_ALPHA2 and "EU" not in ISO_3166_ALPHA2


@pytest.mark.parametrize("number", ["+12065550100", "+442071838750", "+49301234567", "+12"])
def test_e164_accepts(number):
    assert check_e164(number, "number") == number


@pytest.mark.parametrize("number", ["12065550100", "+0206555", "+1", "+1 206 555 0100", "+1206555010012345", "", None])
def test_e164_refuses(number):
    with pytest.raises(ChimeVoiceError):
        check_e164(number, "number")


@pytest.mark.parametrize(
    ("value", "canonical"),
    [("52.94.0.10", "52.94.0.10/32"), (" 52.94.0.32/27 ", "52.94.0.32/27"), ("2600:1f18::10/128", "2600:1f18::10/128")],
)
def test_cidrs_are_canonical(value, canonical):
    assert check_cidr(value) == canonical


@pytest.mark.parametrize(
    "value", ["192.168.1.1/32", "172.16.0.0/28", "127.0.0.1/32", "169.254.169.254/32", "192.0.2.1/32", "52.94.0.0/26"]
)
def test_cidrs_refused(value):
    with pytest.raises(ChimeVoiceError):
        check_cidr(value)


@pytest.mark.parametrize(("host", "canonical"), [("SIP.Example.com.", "sip.example.com"), ("52.94.0.10", "52.94.0.10")])
def test_hosts(host, canonical):
    assert check_host(host) == canonical


@pytest.mark.parametrize(
    "host", ["sip:edge.example.com", "edge_1.example.com", "-edge.example.com", "", "a" * 64 + ".com"]
)
def test_bad_hosts(host):
    with pytest.raises(ChimeVoiceError):
        check_host(host)


# -- the signalling table ------------------------------------------------------------------------


def test_the_signalling_table_covers_every_voice_connector_region():
    assert set(SIGNALLING_CIDRS) == set(VOICE_CONNECTOR_REGIONS)
    assert SIGNALLING_CIDRS["us-east-1"] == ("3.80.16.0/23",)
    assert SIGNALLING_CIDRS["us-west-2"] == ("99.77.253.0/24",)
    assert SIGNALLING_SOURCE.startswith("https://docs.aws.amazon.com/chime-sdk/latest/ag/network-config.html")
    assert SIGNALLING_AS_OF == "2026-11-26"


def test_the_signalling_table_holds_public_ranges_only():
    for region, cidrs in SIGNALLING_CIDRS.items():
        for cidr in cidrs:
            assert ipaddress.ip_network(cidr).is_global, region


def test_signalling_of_a_region_the_table_lacks_says_so():
    entry = signalling("eu-south-2", True)
    assert entry["cidrs"] == []
    assert "has no signalling range for eu-south-2" in entry["note"]
    assert signalling("us-east-1")["ports_in_use"] == signalling("us-east-1")["ports"]
