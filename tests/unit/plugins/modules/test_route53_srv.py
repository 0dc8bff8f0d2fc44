# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of rtc.ec2_fleet.route53_srv, run through main() with a Stubber-backed Route 53 client.

AnsibleAWSModule.client is patched to hand out the stubbed client (which points at a loopback port
nobody listens on), so the exact request sequence of each case is asserted and nothing leaves the
machine.
"""

from __future__ import annotations

import datetime

import aws_stub
import pytest
import yaml
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.route53_srv import (
    CHANGE_COMMENT,
    DEFAULT_MAX_RETRIES,
    Route53Api,
    build_record_set,
)
from ansible_collections.rtc.ec2_fleet.plugins.modules import route53_srv
from aws_stub import StubbedClient, stub_module_client

ZONE_ID = "Z0000000000000000000A"
ZONE = "example.com"
NAME = "_sip._udp.example.com"
A1 = "10 50 5060 pbx1.example.com."
A2 = "10 50 5060 pbx2.example.com."
T1 = {"target": "pbx1.example.com", "port": 5060, "priority": 10, "weight": 50}
T2 = {"target": "pbx2.example.com", "port": 5060, "priority": 10, "weight": 50}
NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def srv_set(*values, name=NAME, ttl=300, **extra):
    record_set = {"Name": name + ".", "Type": "SRV", "TTL": ttl}
    record_set.update(extra)
    record_set["ResourceRecords"] = [{"Value": v} for v in values]
    return record_set


def listing(*items):
    return {"ResourceRecordSets": list(items), "IsTruncated": False, "MaxItems": "1"}


def lookup(name=NAME, rtype="SRV", max_items="1"):
    return {"HostedZoneId": ZONE_ID, "StartRecordName": name + ".", "StartRecordType": rtype, "MaxItems": max_items}


def batch(*changes):
    return {"HostedZoneId": ZONE_ID, "ChangeBatch": {"Comment": CHANGE_COMMENT, "Changes": list(changes)}}


def change_info(status="PENDING"):
    return {"ChangeInfo": {"Id": "/change/C0000000000001", "Status": status, "SubmittedAt": NOW}}


def hosted_zone(zone_id=ZONE_ID, private=False):
    return {
        "Id": "/hostedzone/" + zone_id,
        "Name": ZONE + ".",
        "CallerReference": "r",
        "Config": {"PrivateZone": private},
    }


@pytest.fixture
def r53(monkeypatch):
    stub = StubbedClient("route53", "us-east-1")
    stub_module_client(monkeypatch, stub, route53_srv, "Route53Api", Route53Api)
    yield stub
    stub.close()


def run_module(capsys, args):
    return aws_stub.run_module(capsys, route53_srv.main, args)


def assert_failed(code, result, kind):
    assert code == 1, result
    assert result["failed"] is True
    assert result["kind"] == kind, result


# -- runs ----------------------------------------------------------------------------------------


def test_first_run_by_zone_name(capsys, r53):
    r53.ok("list_hosted_zones_by_name", {"HostedZones": [hosted_zone()], "IsTruncated": False, "MaxItems": "10"})
    r53.ok("list_resource_record_sets", listing(), lookup())
    new = build_record_set(NAME, "SRV", 300, [A1, A2])
    r53.ok("change_resource_record_sets", change_info(), batch({"Action": "CREATE", "ResourceRecordSet": new}))

    code, result = run_module(capsys, {"zone": ZONE, "domain": ZONE, "protocol": "udp", "targets": [T2, T1]})

    assert code == 0, result
    assert result["changed"] is True
    assert result["name"] == NAME
    assert result["targets"] == [T1, T2]
    assert result["added"] == [T1, T2]
    assert result["api_requests"] == ["ListHostedZonesByName", "ListResourceRecordSets", "ChangeResourceRecordSets"]
    assert result["record_sets"] == [
        {
            "name": NAME + ".",
            "type": "SRV",
            "ttl": 300,
            "resource_records": [{"value": A1}, {"value": A2}],
        }
    ]
    assert result["change_id"] == "/change/C0000000000001"
    assert result["zone"] == {"id": ZONE_ID, "name": ZONE, "private_zone": False}
    assert "diff" not in result
    assert r53.clients_requested == [("route53", None, {})]  # the library does the retries
    r53.stubber.assert_no_pending_responses()


def test_no_op_by_zone_id_is_one_request(capsys, r53):
    r53.ok("list_resource_record_sets", listing(srv_set(A2, A1)), lookup())
    code, result = run_module(capsys, {"hosted_zone_id": ZONE_ID, "name": NAME, "targets": [T1, T2]})
    assert code == 0, result
    assert result["changed"] is False
    assert result["api_requests"] == ["ListResourceRecordSets"]
    assert r53.sent == ["ListResourceRecordSets"]


def test_check_mode_and_diff(capsys, r53):
    r53.ok("list_resource_record_sets", listing(srv_set(A1)), lookup())
    code, result = run_module(
        capsys,
        {
            "hosted_zone_id": ZONE_ID,
            "name": NAME,
            "targets": [T2],
            "purge_targets": False,
            "_ansible_check_mode": True,
            "_ansible_diff": True,
        },
    )
    assert code == 0, result
    assert result["changed"] is True
    assert result["added"] == [T2] and result["removed"] == []
    assert result["diff"]["before"] == {
        NAME + " SRV": {"name": NAME, "type": "SRV", "ttl": 300, "values": ["10 50 5060 pbx1.example.com"]}
    }
    assert result["diff"]["after"][NAME + " SRV"]["values"] == [
        "10 50 5060 pbx1.example.com",
        "10 50 5060 pbx2.example.com",
    ]
    assert r53.writes == []


def test_scaling_hook_removes_a_target_and_its_address(capsys, r53):
    old_srv = srv_set(A1, A2)
    old_a = {"Name": "pbx2.example.com.", "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": "192.0.2.2"}]}
    r53.ok("list_resource_record_sets", listing(old_srv), lookup())
    r53.ok("list_resource_record_sets", listing(old_a), lookup("pbx2.example.com", "A"))
    new_srv = build_record_set(NAME, "SRV", 300, [A1])
    r53.ok(
        "change_resource_record_sets",
        change_info(),
        batch(
            {"Action": "DELETE", "ResourceRecordSet": old_srv},
            {"Action": "CREATE", "ResourceRecordSet": new_srv},
            {"Action": "DELETE", "ResourceRecordSet": old_a},
        ),
    )
    code, result = run_module(
        capsys,
        {
            "hosted_zone_id": ZONE_ID,
            "name": NAME,
            "state": "absent",
            "purge_targets": False,
            "targets": [{"target": "pbx2.example.com", "port": 5060, "address": "192.0.2.2"}],
        },
    )
    assert code == 0, result
    assert result["removed"] == [T2]
    assert [r["type"] for r in result["record_sets"]] == ["SRV"]
    r53.stubber.assert_no_pending_responses()


def test_wait_for_insync(capsys, r53):
    r53.ok("list_resource_record_sets", listing(srv_set(A1)), lookup())
    r53.ok("change_resource_record_sets", change_info())
    r53.ok("get_change", change_info("INSYNC"), {"Id": "/change/C0000000000001"})
    code, result = run_module(capsys, {"hosted_zone_id": ZONE_ID, "name": NAME, "targets": [T1, T2], "wait": True})
    assert code == 0, result
    assert result["change_status"] == "INSYNC"


# -- bad input: a clear error, and no request that changes anything ------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"targets": [dict(T1, priority=65536)]}, "priority 65536 is out of range"),
        ({"targets": [dict(T1, port=-1)]}, "port -1 is out of range"),
        ({"targets": [dict(T1, weight="heavy")]}, "weight"),
        ({"targets": [dict(T1, target="192.0.2.1")]}, "is an IP address, not a host name"),
        ({"name": "sip.example.com"}, "not an SRV record name of the form _service._proto.domain"),
        ({"targets": [T1, dict(T1, target="PBX1.example.com.")]}, "duplicate target"),
        ({"set_identifier": "eu", "routing_weight": 5, "failover": "PRIMARY"}, "routing options mixed"),
        ({"routing_weight": 5}, "routing_weight needs set_identifier"),
        ({"zone": ZONE, "hosted_zone_id": None, "private_zone": True}, "private zone without VPC"),
        (
            {
                "set_identifier": "eu",
                "failover": "PRIMARY",
                "health_check": {"name": "sip-eu", "type": "cloudwatch_metric"},
            },
            "needs an alarm",
        ),
    ],
)
def test_bad_input(capsys, r53, args, message):
    module_args = {"hosted_zone_id": ZONE_ID, "name": NAME, "targets": [T1]}
    module_args.update(args)
    module_args = {k: v for k, v in module_args.items() if v is not None}
    code, result = run_module(capsys, module_args)
    assert code == 1, result
    assert message in result["msg"]
    assert r53.sent == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"zone": ZONE}, "parameters are mutually exclusive: zone|hosted_zone_id"),
        ({"domain": ZONE}, "parameters are mutually exclusive: name|domain"),
        ({"health_check": {"name": "x", "fqdn": "a.example.com"}, "health_check_id": "abc"}, "mutually exclusive"),
        ({"targets": [{"target": "pbx1.example.com", "priority": 1, "weight": 1}]}, "missing required arguments: port"),
        ({"failover": "TERTIARY"}, "value of failover must be one of"),
    ],
)
def test_argument_spec_checks(capsys, r53, args, message):
    module_args = {"hosted_zone_id": ZONE_ID, "name": NAME, "targets": [T1]}
    module_args.update(args)
    code, result = run_module(capsys, module_args)
    assert code == 1
    assert message in result["msg"]
    assert r53.sent == []


def test_two_zones_of_one_name(capsys, r53):
    r53.ok(
        "list_hosted_zones_by_name",
        {"HostedZones": [hosted_zone(), hosted_zone("Z0000000000000000000B")], "IsTruncated": False, "MaxItems": "10"},
    )
    code, result = run_module(capsys, {"zone": ZONE, "name": NAME, "targets": [T1]})
    assert_failed(code, result, "ambiguous")
    assert "give hosted_zone_id" in result["msg"]
    assert result["api_requests"] == ["ListHostedZonesByName"]


def test_zone_not_found(capsys, r53):
    r53.error("list_resource_record_sets", "NoSuchHostedZone", "No hosted zone found with ID: Z404", status=404)
    code, result = run_module(capsys, {"hosted_zone_id": "Z404", "name": NAME, "targets": [T1]})
    assert_failed(code, result, "not_found")
    assert result["code"] == "NoSuchHostedZone"
    assert result["action"] == "route53:ListResourceRecordSets"


def test_name_outside_the_zone(capsys, r53):
    r53.ok("list_hosted_zones_by_name", {"HostedZones": [hosted_zone()], "IsTruncated": False, "MaxItems": "10"})
    code, result = run_module(capsys, {"zone": ZONE, "name": "_sip._udp.example.org", "targets": [T1]})
    assert_failed(code, result, "invalid")
    assert "outside the zone example.com" in result["msg"]


def test_throttling_past_the_budget(capsys, r53):
    for _attempt in range(DEFAULT_MAX_RETRIES + 1):
        r53.error("list_resource_record_sets", "Throttling", "Rate exceeded")
    code, result = run_module(capsys, {"hosted_zone_id": ZONE_ID, "name": NAME, "targets": [T1]})
    assert_failed(code, result, "throttled")
    assert len(r53.sleeps) == DEFAULT_MAX_RETRIES


def test_permission_denied(capsys, r53):
    r53.ok("list_resource_record_sets", listing(srv_set(A1)), lookup())
    r53.error("change_resource_record_sets", "AccessDenied", "not authorized", status=403)
    code, result = run_module(capsys, {"hosted_zone_id": ZONE_ID, "name": NAME, "targets": [T1, T2]})
    assert_failed(code, result, "permission_denied")
    assert result["action"] == "route53:ChangeResourceRecordSets"


# -- documentation -------------------------------------------------------------------------------


def _check_options(documented, spec, where):
    assert set(documented) == set(spec), where
    for name, option in documented.items():
        assert option["type"] == spec[name]["type"], (where, name)
        assert option.get("default") == spec[name].get("default"), (where, name)
        assert option.get("choices") == spec[name].get("choices"), (where, name)
        assert option.get("elements") == spec[name].get("elements"), (where, name)
        assert bool(option.get("required")) == bool(spec[name].get("required")), (where, name)
        if "options" in spec[name]:
            _check_options(option["suboptions"], spec[name]["options"], name)


def test_documentation_matches_the_argument_spec():
    doc = yaml.safe_load(route53_srv.DOCUMENTATION)
    assert doc["module"] == "route53_srv"
    assert doc["version_added"] == "0.1.0"
    assert doc["author"] == ["rtc.ec2_fleet developers (!UNKNOWN)"]
    assert {"amazon.aws.common.modules", "amazon.aws.region.modules", "amazon.aws.boto3"} <= set(
        doc["extends_documentation_fragment"]
    )
    _check_options(doc["options"], route53_srv.ARGUMENT_SPEC, "options")
    examples = yaml.safe_load(route53_srv.EXAMPLES)
    tasks = [task for play in examples for task in play.get("block", [play])]
    srv_tasks = [task["rtc.ec2_fleet.route53_srv"] for task in tasks if "rtc.ec2_fleet.route53_srv" in task]
    assert any(t.get("purge_targets") is False and t.get("state") == "absent" for t in srv_tasks)
    assert any(t.get("purge_targets") is False and t.get("state", "present") == "present" for t in srv_tasks)
    assert {t.get("failover") for t in srv_tasks} >= {"PRIMARY", "SECONDARY"}
    assert {t["health_check"]["type"] for t in srv_tasks if "health_check" in t} == {"tcp", "cloudwatch_metric"}
    returned = yaml.safe_load(route53_srv.RETURN)
    assert {"record_sets", "change_id", "added", "removed", "targets", "api_requests"} <= set(returned)
