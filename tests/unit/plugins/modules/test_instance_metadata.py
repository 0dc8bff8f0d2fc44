# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of rtc.ec2_fleet.instance_metadata, run through main() against the stand-in from conftest.py."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args
from ansible_collections.rtc.ec2_fleet.plugins.doc_fragments.imds import ModuleDocFragment
from ansible_collections.rtc.ec2_fleet.plugins.module_utils import imds_options
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.imds import (
    DEFAULT_ENDPOINT,
    ImdsClient,
    ImdsError,
    gather_instance_identity,
)
from ansible_collections.rtc.ec2_fleet.plugins.modules import instance_metadata

MODULE_FILE = Path(instance_metadata.__file__)


@pytest.fixture(autouse=True)
def endpoints_used(monkeypatch):
    """Record the endpoint of every client the module builds; all must be the loopback stand-ins."""
    seen = []

    class SpyClient(ImdsClient):
        def __init__(self, *args, **kwargs):
            seen.append(kwargs.get("endpoint", args[0] if args else DEFAULT_ENDPOINT))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(imds_options, "ImdsClient", SpyClient)
    yield seen
    assert all(endpoint.startswith("http://127.0.0.1:") for endpoint in seen), seen


def run_module(capsys, args):
    """Run main() with ``args``; return (exit code, parsed JSON result)."""
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        instance_metadata.main()
    return exit_info.value.code, json.loads(capsys.readouterr().out)


def test_gathers_facts(capsys, imds, endpoints_used):
    code, result = run_module(capsys, {"endpoint": imds.url})

    assert code == 0
    assert result["changed"] is False
    expected = gather_instance_identity(ImdsClient(endpoint=imds.url))
    assert result["instance"] == expected
    assert result["ansible_facts"] == {"rtc_ec2_instance": expected}
    assert result["instance"]["instance_id"] == "i-0123456789abcdef0"
    assert [i["device_number"] for i in result["instance"]["interfaces"]] == [0, 1]
    assert result["instance"]["interfaces"][0]["local_ipv4s"] == ["10.0.1.10", "10.0.1.20"]
    assert result["instance"]["interfaces"][0]["ipv4_associations"] == {
        "203.0.113.10": "10.0.1.10",
        "203.0.113.20": "10.0.1.20",
    }
    assert endpoints_used == [imds.url]


def test_no_public_ip(capsys, imds_no_public):
    code, result = run_module(capsys, {"endpoint": imds_no_public.url})

    assert code == 0
    facts = result["ansible_facts"]["rtc_ec2_instance"]
    assert facts["public_ipv4"] is None
    assert facts["placement_group"] is None
    assert facts["interfaces"][0]["public_ipv4s"] == []
    assert facts["interfaces"][0]["ipv4_associations"] == {}


def test_check_mode_reads_and_changes_nothing(capsys, imds):
    code, result = run_module(capsys, {"endpoint": imds.url, "_ansible_check_mode": True})

    assert code == 0
    assert result["changed"] is False
    assert result["instance"]["instance_id"] == "i-0123456789abcdef0"
    assert imds.count("PUT") == 1


def test_options_reach_the_client(capsys, imds):
    code, _result = run_module(capsys, {"endpoint": imds.url, "token_ttl": 60, "timeout": 0.5, "retries": 0})

    assert code == 0
    assert imds.token_ttls == [60]


def test_endpoint_from_environment(capsys, imds, monkeypatch, endpoints_used):
    monkeypatch.setenv("RTC_IMDS_ENDPOINT", imds.url)

    code, result = run_module(capsys, {})

    assert code == 0
    assert result["instance"]["instance_id"] == "i-0123456789abcdef0"
    assert endpoints_used == [imds.url]


def test_endpoint_option_beats_environment(capsys, imds, dead_endpoint, monkeypatch, endpoints_used):
    monkeypatch.setenv("RTC_IMDS_ENDPOINT", dead_endpoint)

    code, _result = run_module(capsys, {"endpoint": imds.url})

    assert code == 0
    assert endpoints_used == [imds.url]


def test_retry_then_success(capsys, imds):
    imds.fail("meta-data/instance-id", 500)

    code, result = run_module(capsys, {"endpoint": imds.url, "retries": 1})

    assert code == 0
    assert result["instance"]["instance_id"] == "i-0123456789abcdef0"


def test_token_refresh_on_401(capsys, imds):
    # A token the stand-in no longer knows: the module's one client refreshes it once and succeeds.
    imds.fail("meta-data/instance-type", 401)

    code, result = run_module(capsys, {"endpoint": imds.url})

    assert code == 0
    assert result["instance"]["instance_type"] == "c5n.xlarge"
    assert imds.count("PUT") == 2


def test_unreachable_endpoint_fails_clearly(capsys, dead_endpoint):
    code, result = run_module(capsys, {"endpoint": dead_endpoint, "retries": 1, "timeout": 0.5})

    assert code == 1
    assert result["failed"] is True
    assert result["msg"].startswith("IMDSv2 endpoint %s unreachable" % dead_endpoint)
    assert "HttpEndpoint=enabled" in result["msg"]
    assert "stand-in is running" in result["msg"]
    assert result["url"] == dead_endpoint + "/latest/api/token"
    assert result["status"] is None


@pytest.mark.parametrize("ttl", [0, 21601])
def test_bad_ttl_is_rejected_before_any_request(capsys, imds, ttl):
    code, result = run_module(capsys, {"endpoint": imds.url, "token_ttl": ttl})

    assert code == 1
    assert result["failed"] is True
    assert "token_ttl" in result["msg"]
    assert "between 1 and 21600" in result["msg"]
    assert imds.requests == []


def test_bad_endpoint_is_rejected(capsys, endpoints_used):
    code, result = run_module(capsys, {"endpoint": "file:///etc/passwd"})
    endpoints_used.clear()  # recorded, refused before any request

    assert code == 1
    assert "invalid IMDS endpoint" in result["msg"]


def test_default_endpoint_without_option_or_environment(capsys, monkeypatch, network_guard):
    # With neither the option nor RTC_IMDS_ENDPOINT the module would use the AWS address. The client
    # is replaced by a recorder, so nothing is sent anywhere (and the conftest fence would refuse it).
    built = []

    class Recorder:
        def __init__(self, **kwargs):
            built.append(kwargs)
            raise ImdsError("recorder: no request sent", url=kwargs["endpoint"])

    monkeypatch.setattr(imds_options, "ImdsClient", Recorder)

    code, result = run_module(capsys, {})

    assert code == 1
    assert built == [{"endpoint": DEFAULT_ENDPOINT, "token_ttl": 21600, "timeout": 2.0, "retries": 3}]
    assert result["msg"] == "recorder: no request sent"
    assert network_guard.blocked == []
    assert network_guard.allowed_connections == []


# -- documentation ---------------------------------------------------------------------------------


def test_documentation_matches_the_argument_spec():
    doc = yaml.safe_load(instance_metadata.DOCUMENTATION)
    doc["options"] = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]  # extends_documentation_fragment
    spec = imds_options.IMDS_ARGUMENT_SPEC
    assert "rtc.ec2_fleet.imds" in doc["extends_documentation_fragment"]

    assert doc["module"] == "instance_metadata"
    assert doc["version_added"] == "0.1.0"
    assert doc["author"] == ["rtc.ec2_fleet developers (!UNKNOWN)"]
    assert set(doc["options"]) == set(spec) == {"endpoint", "token_ttl", "timeout", "retries"}
    for name, option in doc["options"].items():
        assert option["type"] == spec[name]["type"], name
        assert option["default"] == spec[name]["default"], name
    assert spec["endpoint"]["fallback"][1] == ["RTC_IMDS_ENDPOINT"]
    yaml.safe_load(instance_metadata.EXAMPLES)
    returned = yaml.safe_load(instance_metadata.RETURN)
    assert set(returned["instance"]["contains"]) == set(gather_keys())


def gather_keys():
    return [
        "instance_id",
        "instance_type",
        "ami_id",
        "region",
        "availability_zone",
        "availability_zone_id",
        "placement_group",
        "mac",
        "local_ipv4",
        "public_ipv4",
        "interfaces",
    ]


def test_module_source_is_python38_compatible():
    ast.parse(MODULE_FILE.read_text(encoding="utf-8"), feature_version=(3, 8))
