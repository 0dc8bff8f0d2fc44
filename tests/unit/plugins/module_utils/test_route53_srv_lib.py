# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the Route 53 SRV library, with botocore's Stubber (each request checked against Route 53's model).

The model (names, targets, merge, change batch) is tested without AWS; lookups and the writer are
tested call by call: the exact requests, their parameters and their number. Every stubbed client
points at a loopback port nobody listens on, so a request that escaped the Stubber could not leave
the machine.
"""

from __future__ import annotations

import datetime
import functools
import uuid
from pathlib import Path

import boto3
import pytest
from ansible_collections.rtc.ec2_fleet.plugins.module_utils import route53_srv
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.route53_srv import (
    CHANGE_COMMENT,
    Route53Api,
    Route53SrvError,
    Target,
    Zone,
    build_change_batch,
    build_record_set,
    check_srv_name,
    check_zone_options,
    ensure_srv,
    find_health_check,
    find_zone,
    format_srv_value,
    merge_targets,
    normalise_name,
    parse_health_check,
    parse_srv_value,
    parse_targets,
    read_record_sets,
    routing_fields,
    same_record_set,
    srv_record_name,
)
from aws_stub import FakeTime, StubbedClient

LIBRARY_FILE = Path(route53_srv.__file__)
ZONE_ID = "Z0000000000000000000A"
OTHER_ZONE_ID = "Z0000000000000000000B"
ZONE = "example.com"
NAME = "_sip._udp.example.com"
NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
HC_ID = "01234567-89ab-cdef-0123-456789abcdef"


# -- builders of Route 53 answers and requests ---------------------------------------------------


def srv_set(*values, name=NAME, ttl=300, **extra):
    record_set = {"Name": name + ".", "Type": "SRV", "TTL": ttl}
    record_set.update(extra)
    record_set["ResourceRecords"] = [{"Value": v} for v in values]
    return record_set


def a_set(host, *addresses, rtype="A", ttl=300, **extra):
    record_set = {"Name": host + ".", "Type": rtype, "TTL": ttl}
    record_set.update(extra)
    record_set["ResourceRecords"] = [{"Value": v} for v in addresses]
    return record_set


def listing(*items, truncated=False, max_items="1", **following):
    answer = {"ResourceRecordSets": list(items), "IsTruncated": truncated, "MaxItems": max_items}
    answer.update(following)
    return answer


def lookup(name=NAME, rtype="SRV", max_items="1", zone_id=ZONE_ID, identifier=None):
    params = {"HostedZoneId": zone_id, "StartRecordName": name + ".", "StartRecordType": rtype, "MaxItems": max_items}
    if identifier:
        params["StartRecordIdentifier"] = identifier
    return params


def batch(*changes, zone_id=ZONE_ID):
    return {"HostedZoneId": zone_id, "ChangeBatch": {"Comment": CHANGE_COMMENT, "Changes": list(changes)}}


def create(record_set):
    return {"Action": "CREATE", "ResourceRecordSet": record_set}


def delete(record_set):
    return {"Action": "DELETE", "ResourceRecordSet": record_set}


def change_info(status="PENDING", change_id="/change/C0000000000001"):
    return {"ChangeInfo": {"Id": change_id, "Status": status, "SubmittedAt": NOW}}


def hosted_zone(zone_id=ZONE_ID, name=ZONE, private=False):
    return {
        "Id": "/hostedzone/" + zone_id,
        "Name": name + ".",
        "CallerReference": "ref-" + zone_id,
        "Config": {"PrivateZone": private},
    }


def zones_by_name(*zones):
    return {"HostedZones": list(zones), "IsTruncated": False, "MaxItems": "10"}


def health_check(check_id=HC_ID, reference="elsewhere", version=1, **config):
    config.setdefault("Type", "TCP")
    return {"Id": check_id, "CallerReference": reference, "HealthCheckConfig": config, "HealthCheckVersion": version}


def health_checks(*items):
    return {"HealthChecks": list(items), "Marker": "", "IsTruncated": False, "MaxItems": "1000"}


def tag_sets(**by_id):
    sets = []
    for check_id, tags in by_id.items():
        item = {"ResourceType": "healthcheck", "ResourceId": check_id}
        if tags:  # Route 53 leaves Tags out when there are none (the list has at least one element)
            item["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        sets.append(item)
    return {"ResourceTagSets": sets}


A1 = "10 50 5060 pbx1.example.com."
A2 = "10 50 5060 pbx2.example.com."
A3 = "20 10 5060 pbx3.example.com."


def target(host, port=5060, priority=10, weight=50, **extra):
    item = {"target": host, "port": port, "priority": priority, "weight": weight}
    item.update(extra)
    return item


T1, T2, T3 = target("pbx1.example.com"), target("pbx2.example.com"), target("pbx3.example.com", priority=20, weight=10)


# -- the harness ---------------------------------------------------------------------------------


@pytest.fixture
def r53():
    stub = StubbedClient("route53", "us-east-1", start=1000.0)
    stub.api = Route53Api(stub.client, sleep=stub.time.sleep, clock=stub.time.clock)
    yield stub
    stub.close()


def failure(excinfo, kind):
    assert excinfo.value.kind == kind, excinfo.value
    return str(excinfo.value)


# -- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "protocol", "expected"),
    [
        (None, None, "_sip._udp.example.com"),
        ("sip", "tcp", "_sip._tcp.example.com"),
        ("sip", "tls", "_sips._tcp.example.com"),
        ("SIP", "tls", "_sips._tcp.example.com"),
        ("sips", "tls", "_sips._tcp.example.com"),
        ("stun", "udp", "_stun._udp.example.com"),
        ("turn", "tls", "_turns._tcp.example.com"),
    ],
)
def test_srv_record_name(service, protocol, expected):
    assert srv_record_name(service, protocol, "Example.COM.") == expected


@pytest.mark.parametrize(
    "name", ["_sip._udp.example.com", "_SIP._UDP.Example.Com.", "_sips._tcp.sip.example.co.uk", "_xmpp-server._tcp.a.b"]
)
def test_srv_names_accepted(name):
    assert check_srv_name(name) == name.lower().rstrip(".")


@pytest.mark.parametrize(
    "name",
    [
        "sip.example.com",  # no service and protocol labels
        "_sip.example.com",  # no protocol label
        "_sip._udp.com",  # no domain below a TLD... only one label
        "_sip._xyz.example.com",  # unknown protocol label
        "__sip._udp.example.com",
        "_sip._udp._example.com",
        "_sip._udp.exa mple.com",
        "_sip._udp.-example.com",
        "",
    ],
)
def test_srv_names_refused(name):
    with pytest.raises(Route53SrvError) as excinfo:
        check_srv_name(name)
    assert excinfo.value.kind == "invalid"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("10.0.0.1", "is an IP address"),
        ("2001:db8::1", "is an IP address"),
        ("pbx_1.example.com", "not a host name"),
        ("pbx1", "not a fully qualified host name"),
        ("pbx1.example.123", "not a fully qualified host name"),
        ("-pbx.example.com", "not a host name"),
        ("a" * 64 + ".example.com", "not a host name"),
        (".", "not a host name"),
        (5060, "not a DNS name"),
    ],
)
def test_target_must_be_a_host_name(value, reason):
    with pytest.raises(Route53SrvError) as excinfo:
        normalise_name(value, "target", hostname=True)
    assert reason in str(excinfo.value)


def test_names_are_normalised():
    assert normalise_name(" PBX1.Example.COM. ", hostname=True) == "pbx1.example.com"


# -- SRV values and targets ----------------------------------------------------------------------


def test_srv_values_round_trip():
    parsed = parse_srv_value("10 50 5060 PBX1.example.com.")
    assert parsed == Target(10, 50, 5060, "pbx1.example.com")
    assert parsed.key == ("pbx1.example.com", 5060)
    assert format_srv_value(parsed) == "10 50 5060 pbx1.example.com."
    assert parse_srv_value("10 50 5060 pbx1.example.com") == parsed  # the trailing dot does not matter


@pytest.mark.parametrize("value", ["10 50 5060", "10 50 70000 a.example.com", "x 50 5060 a.example.com", ""])
def test_malformed_srv_values(value):
    with pytest.raises(Route53SrvError):
        parse_srv_value(value)


@pytest.mark.parametrize("field", ["port", "priority", "weight"])
@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (65536, "out of range"),
        (-1, "out of range"),
        ("ten", "not an integer"),
        (True, "not an integer"),
        (1.5, "not an integer"),
        (None, "needs"),
    ],
)
def test_target_numbers_are_checked(field, value, reason):
    item = dict(T1)
    item[field] = value
    with pytest.raises(Route53SrvError) as excinfo:
        parse_targets([item])
    assert reason in str(excinfo.value)
    assert "targets[0]" in str(excinfo.value)


def test_target_numbers_bounds_and_strings():
    [spec] = parse_targets([target("pbx1.example.com", port="5060", priority=0, weight=65535)])
    assert (spec["port"], spec["priority"], spec["weight"]) == (5060, 0, 65535)


def test_absent_targets_need_no_priority_or_weight():
    [spec] = parse_targets([{"target": "pbx1.example.com", "port": 5060}], state="absent")
    assert spec["priority"] is None and spec["weight"] is None


def test_duplicate_targets_are_refused():
    with pytest.raises(Route53SrvError) as excinfo:
        parse_targets([T1, target("PBX1.example.com.", priority=20)])
    assert "duplicate target: pbx1.example.com port 5060" in str(excinfo.value)


def test_the_same_host_on_two_ports_is_fine_but_not_with_two_addresses():
    specs = parse_targets(
        [target("pbx1.example.com", address="192.0.2.1"), target("pbx1.example.com", port=5080, address="192.0.2.1")]
    )
    assert len(specs) == 2
    with pytest.raises(Route53SrvError) as excinfo:
        parse_targets(
            [
                target("pbx1.example.com", address="192.0.2.1"),
                target("pbx1.example.com", port=5080, address="192.0.2.2"),
            ]
        )
    assert "two different address values" in str(excinfo.value)


@pytest.mark.parametrize(
    ("field", "value"), [("address", "2001:db8::1"), ("address", "pbx"), ("address6", "192.0.2.1")]
)
def test_addresses_are_checked(field, value):
    with pytest.raises(Route53SrvError) as excinfo:
        parse_targets([target("pbx1.example.com", **{field: value})])
    assert "is not an IPv" in str(excinfo.value)


@pytest.mark.parametrize(
    "items",
    [
        "pbx1.example.com",
        {"target": "a.example.com"},
        ["a.example.com"],
        [{"target": "a.example.com", "port": 1, "priority": 1, "weight": 1, "colour": "red"}],
    ],
)
def test_targets_shape(items):
    with pytest.raises(Route53SrvError):
        parse_targets(items)


CURRENT = [parse_srv_value(A1), parse_srv_value(A2)]


def specs(*items, state="present"):
    return parse_targets(list(items), state)


def test_merge_present_purge_is_exactly_the_list():
    after, added, removed = merge_targets(CURRENT, specs(T2, T3))
    assert after == [parse_srv_value(A2), parse_srv_value(A3)]
    assert added == [parse_srv_value(A3)]
    assert removed == [parse_srv_value(A1)]


def test_merge_reordered_and_respelled_is_no_change():
    after, added, removed = merge_targets(CURRENT, specs(target("PBX2.EXAMPLE.COM."), T1))
    assert (added, removed) == ([], [])
    assert after == CURRENT


def test_merge_present_without_purge_adds_and_keeps():
    after, added, removed = merge_targets(CURRENT, specs(T3), purge=False)
    assert after == [*CURRENT, parse_srv_value(A3)]
    assert (added, removed) == ([parse_srv_value(A3)], [])


def test_merge_without_purge_updates_a_listed_host_and_port():
    after, added, removed = merge_targets(CURRENT, specs(target("pbx1.example.com", weight=10)), purge=False)
    assert added == [Target(10, 10, 5060, "pbx1.example.com")]
    assert Target(10, 10, 5060, "pbx1.example.com") in after
    assert removed == [parse_srv_value(A1)]
    assert len(after) == 2


def test_merge_absent_without_purge_removes_by_host_and_port():
    after, added, removed = merge_targets(
        CURRENT, specs({"target": "pbx1.example.com", "port": 5060}, state="absent"), state="absent", purge=False
    )
    assert (after, added, removed) == ([parse_srv_value(A2)], [], [parse_srv_value(A1)])
    # Another port of the same host is another target: nothing to remove.
    after, added, removed = merge_targets(
        CURRENT, specs({"target": "pbx1.example.com", "port": 5080}, state="absent"), state="absent", purge=False
    )
    assert (after, removed) == (CURRENT, [])


def test_merge_absent_with_purge_removes_everything():
    assert merge_targets(CURRENT, [], state="absent", purge=True) == ([], [], CURRENT)


# -- routing policies ----------------------------------------------------------------------------


def test_routing_fields():
    assert routing_fields() == {}
    assert routing_fields("eu", weight=20) == {"SetIdentifier": "eu", "Weight": 20}
    assert routing_fields("eu", region="eu-west-1") == {"SetIdentifier": "eu", "Region": "eu-west-1"}
    assert routing_fields("eu", failover="primary") == {"SetIdentifier": "eu", "Failover": "PRIMARY"}
    assert routing_fields("eu", geolocation={"continent_code": "eu"}) == {
        "SetIdentifier": "eu",
        "GeoLocation": {"ContinentCode": "EU"},
    }
    assert routing_fields("us-wa", geolocation={"country_code": "us", "subdivision_code": "wa"})["GeoLocation"] == {
        "CountryCode": "US",
        "SubdivisionCode": "WA",
    }


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        (
            {"set_identifier": "eu", "weight": 10, "failover": "PRIMARY"},
            "routing options mixed: routing_weight and failover",
        ),
        ({"weight": 10}, "routing_weight needs set_identifier"),
        ({"failover": "PRIMARY"}, "failover needs set_identifier"),
        ({"region": "eu-west-1"}, "routing_region needs set_identifier"),
        ({"set_identifier": "eu"}, "needs a routing policy"),
        ({"set_identifier": "eu", "weight": 256}, "out of range"),
        ({"set_identifier": "eu", "region": "Europe"}, "not an AWS region"),
        ({"set_identifier": "eu", "failover": "TERTIARY"}, "PRIMARY or SECONDARY"),
        ({"set_identifier": "eu", "geolocation": {"continent_code": "EU", "country_code": "FR"}}, "exactly one"),
        ({"set_identifier": "eu", "geolocation": {"continent_code": "XX"}}, "continent_code"),
        (
            {"set_identifier": "eu", "geolocation": {"continent_code": "EU", "subdivision_code": "WA"}},
            "needs country_code",
        ),
        ({"set_identifier": "x" * 129, "weight": 1}, "1 to 128"),
    ],
)
def test_routing_options_refused(kwargs, reason):
    with pytest.raises(Route53SrvError) as excinfo:
        routing_fields(**kwargs)
    assert reason in str(excinfo.value)


# -- record sets and the change batch ------------------------------------------------------------


def test_same_record_set_ignores_order_case_and_trailing_dots():
    stored = srv_set("10 50 5060 PBX2.example.com", "10 50 5060 pbx1.example.com.")
    built = build_record_set(NAME, "SRV", 300, [A1, A2])
    assert same_record_set(stored, built)
    assert not same_record_set(stored, build_record_set(NAME, "SRV", 60, [A1, A2]))
    assert not same_record_set(stored, build_record_set(NAME, "SRV", 300, [A1]))
    assert not same_record_set(
        stored, build_record_set(NAME, "SRV", 300, [A1, A2], {"SetIdentifier": "a", "Weight": 1})
    )
    assert not same_record_set(stored, build_record_set(NAME, "SRV", 300, [A1, A2], health_check_id=HC_ID))
    assert same_record_set(None, None) and not same_record_set(stored, None)


def test_change_batch_deletes_exactly_what_was_read_then_creates():
    old = srv_set("10 50 5060 PBX1.example.com", ttl=60)
    new = build_record_set(NAME, "SRV", 60, [A1, A2])
    assert build_change_batch([(old, new)]) == [delete(old), create(new)]
    assert build_change_batch([(None, new)]) == [create(new)]
    assert build_change_batch([(old, None)]) == [delete(old)]
    assert build_change_batch([(old, build_record_set(NAME, "SRV", 60, [A1])), (None, None)]) == []


# -- zones ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({}, "exactly one of them"),
        ({"zone": ZONE, "hosted_zone_id": ZONE_ID}, "exactly one of them"),
        ({"zone": ZONE, "private_zone": True}, "private zone without VPC"),
        ({"zone": ZONE, "vpc_id": "vpc-0123"}, "vpc_id goes with private_zone"),
        ({"zone": ZONE, "private_zone": True, "vpc_id": "subnet-1"}, "is not a VPC ID"),
        ({"hosted_zone_id": ZONE_ID, "private_zone": True}, "with hosted_zone_id"),
        ({"hosted_zone_id": "/hostedzone/Z 1"}, "not a hosted zone ID"),
    ],
)
def test_zone_options_refused(kwargs, reason):
    with pytest.raises(Route53SrvError) as excinfo:
        check_zone_options(**kwargs)
    assert reason in str(excinfo.value)


def test_zone_by_id_costs_nothing(r53):
    found = find_zone(r53.api, hosted_zone_id="/hostedzone/" + ZONE_ID)
    assert (found.id, found.name) == (ZONE_ID, None)
    assert r53.sent == []


def test_public_zone_by_name(r53):
    r53.ok(
        "list_hosted_zones_by_name",
        zones_by_name(hosted_zone(OTHER_ZONE_ID, private=True), hosted_zone(), hosted_zone("Z9", "example.net")),
        {"DNSName": "example.com.", "MaxItems": "10"},
    )
    found = find_zone(r53.api, zone="Example.com.")
    assert (found.id, found.name, found.private) == (ZONE_ID, ZONE, False)
    assert r53.sent == ["ListHostedZonesByName"]


def test_two_public_zones_of_one_name_are_ambiguous(r53):
    r53.ok("list_hosted_zones_by_name", zones_by_name(hosted_zone(), hosted_zone(OTHER_ZONE_ID)))
    with pytest.raises(Route53SrvError) as excinfo:
        find_zone(r53.api, zone=ZONE)
    message = failure(excinfo, "ambiguous")
    assert ZONE_ID in message and OTHER_ZONE_ID in message and "give hosted_zone_id" in message


def test_zone_not_found_mentions_a_private_zone_of_that_name(r53):
    r53.ok("list_hosted_zones_by_name", zones_by_name(hosted_zone(private=True)))
    with pytest.raises(Route53SrvError) as excinfo:
        find_zone(r53.api, zone=ZONE)
    assert "only private zones have that name" in failure(excinfo, "not_found")
    r53.ok("list_hosted_zones_by_name", zones_by_name())
    with pytest.raises(Route53SrvError) as excinfo:
        find_zone(r53.api, zone=ZONE)
    assert "zone not found" in failure(excinfo, "not_found")


def test_zone_lookup_pages_only_while_the_name_continues(r53):
    first = zones_by_name(hosted_zone())
    first.update(IsTruncated=True, NextDNSName="example.com.", NextHostedZoneId=OTHER_ZONE_ID)
    r53.ok("list_hosted_zones_by_name", first)
    r53.ok(
        "list_hosted_zones_by_name",
        zones_by_name(hosted_zone(OTHER_ZONE_ID, private=True), hosted_zone("Z9", "example.net")),
        {"DNSName": "example.com.", "HostedZoneId": OTHER_ZONE_ID, "MaxItems": "10"},
    )
    assert find_zone(r53.api, zone=ZONE).id == ZONE_ID
    r53.done()


def test_private_zone_by_vpc(r53):
    r53.ok(
        "list_hosted_zones_by_vpc",
        {
            "HostedZoneSummaries": [
                {"HostedZoneId": "Z9", "Name": "example.net.", "Owner": {"OwningAccount": "123456789012"}},
                {"HostedZoneId": OTHER_ZONE_ID, "Name": "example.com.", "Owner": {"OwningAccount": "123456789012"}},
            ],
            "MaxItems": "100",
        },
        {"VPCId": "vpc-0123", "VPCRegion": "us-east-1", "MaxItems": "100"},
    )
    found = find_zone(r53.api, zone=ZONE, private_zone=True, vpc_id="vpc-0123")
    assert (found.id, found.private) == (OTHER_ZONE_ID, True)


# -- reading only the record sets concerned ------------------------------------------------------


def test_one_lookup_from_the_name_and_type(r53):
    r53.ok(
        "list_resource_record_sets",
        listing(srv_set(A1), truncated=True, NextRecordName="x.example.com.", NextRecordType="A"),
        lookup(),
    )
    found = read_record_sets(r53.api, Zone(ZONE_ID), NAME, "SRV")
    assert found == [srv_set(A1)]
    assert r53.sent == ["ListResourceRecordSets"]


def test_a_lookup_stops_at_the_next_name(r53):
    r53.ok("list_resource_record_sets", listing(a_set("zz.example.com", "192.0.2.1")), lookup())
    assert read_record_sets(r53.api, Zone(ZONE_ID), NAME, "SRV") == []


def test_routed_record_sets_are_paged_by_identifier(r53):
    eu, us, ap = (srv_set(A1, SetIdentifier=i, Weight=1) for i in ("eu", "us", "ap"))
    r53.ok(
        "list_resource_record_sets",
        listing(
            eu,
            us,
            truncated=True,
            max_items="2",
            NextRecordName=NAME + ".",
            NextRecordType="SRV",
            NextRecordIdentifier="ap",
        ),
        lookup(max_items="2"),
    )
    r53.ok("list_resource_record_sets", listing(ap, max_items="2"), lookup(max_items="2", identifier="ap"))
    found = read_record_sets(r53.api, Zone(ZONE_ID), NAME, "SRV", page_size=2, follow=True)
    assert [f["SetIdentifier"] for f in found] == ["eu", "us", "ap"]
    r53.done()


def test_unknown_zone_id(r53):
    r53.error("list_resource_record_sets", "NoSuchHostedZone", "No hosted zone found with ID: Z404", status=404)
    with pytest.raises(Route53SrvError) as excinfo:
        read_record_sets(r53.api, Zone("Z404"), NAME, "SRV")
    assert "no hosted zone has the ID Z404" in failure(excinfo, "not_found")


# -- the call wrapper ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["Throttling", "PriorRequestNotComplete", "ThrottlingException"])
def test_throttling_is_retried_with_jittered_backoff(r53, code):
    r53.error("list_resource_record_sets", code, "Rate exceeded")
    r53.error("list_resource_record_sets", code, "Rate exceeded")
    r53.ok("list_resource_record_sets", listing())
    read_record_sets(r53.api, Zone(ZONE_ID), NAME, "SRV")
    assert r53.sent == ["ListResourceRecordSets"] * 3
    assert len(r53.time.sleeps) == 2
    assert 0.125 <= r53.time.sleeps[0] <= 0.25 and 0.25 <= r53.time.sleeps[1] <= 0.5


def test_throttling_budget_is_bounded(r53):
    api = Route53Api(r53.client, max_retries=2, sleep=r53.time.sleep, clock=r53.time.clock)
    for _attempt in range(3):
        r53.error("change_resource_record_sets", "Throttling", "Rate exceeded")
    with pytest.raises(Route53SrvError) as excinfo:
        api.call("change_resource_record_sets", HostedZoneId=ZONE_ID, ChangeBatch={"Changes": [create(srv_set(A1))]})
    assert "3 times in a row" in failure(excinfo, "throttled")
    assert excinfo.value.action == "route53:ChangeResourceRecordSets"


def test_permission_denied_names_the_iam_action(r53):
    r53.error("list_resource_record_sets", "AccessDenied", "User is not authorized", status=403)
    with pytest.raises(Route53SrvError) as excinfo:
        read_record_sets(r53.api, Zone(ZONE_ID), NAME, "SRV")
    assert "allow route53:ListResourceRecordSets" in failure(excinfo, "permission_denied")
    assert len(r53.sent) == 1


def test_server_errors_are_retried_for_reads_only(r53):
    r53.error("list_resource_record_sets", "InternalFailure", status=500)
    r53.ok("list_resource_record_sets", listing())
    read_record_sets(r53.api, Zone(ZONE_ID), NAME, "SRV")
    r53.error("change_resource_record_sets", "InternalFailure", status=500)
    with pytest.raises(Route53SrvError) as excinfo:
        r53.api.call(
            "change_resource_record_sets", HostedZoneId=ZONE_ID, ChangeBatch={"Changes": [create(srv_set(A1))]}
        )
    failure(excinfo, "api_error")
    assert r53.sent == ["ListResourceRecordSets", "ListResourceRecordSets", "ChangeResourceRecordSets"]


def test_check_mode_refuses_a_write_before_sending_it(r53):
    r53.api.read_only = True
    with pytest.raises(Route53SrvError) as excinfo:
        r53.api.call("change_resource_record_sets", HostedZoneId=ZONE_ID, ChangeBatch={"Changes": []})
    assert "check mode" in str(excinfo.value)
    assert r53.sent == []


def test_unreachable_endpoint_is_reported(dead_endpoint):
    client = boto3.client(
        "route53",
        region_name="us-east-1",
        endpoint_url=dead_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=boto3.session.Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    fake = FakeTime(1000.0)
    api = Route53Api(client, max_retries=1, sleep=fake.sleep, clock=fake.clock)
    with pytest.raises(Route53SrvError) as excinfo:
        read_record_sets(api, Zone(ZONE_ID), NAME, "SRV")
    assert failure(excinfo, "unreachable").startswith("route53:ListResourceRecordSets could not reach")
    assert api.calls == ["list_resource_record_sets"] * 2


# -- the writer: request sequences ---------------------------------------------------------------


def run(r53, **kwargs):
    kwargs.setdefault("hosted_zone_id", ZONE_ID)
    kwargs.setdefault("name", NAME)
    return ensure_srv(r53.api, **kwargs)


def test_no_op_by_zone_id_is_one_request(r53):
    r53.ok("list_resource_record_sets", listing(srv_set(A2, A1)), lookup())
    result = run(r53, targets=[T1, T2])
    assert result["changed"] is False
    assert result["api_requests"] == ["ListResourceRecordSets"]
    assert result["change_id"] is None
    assert result["targets"] == [T1, T2]
    assert result["before"] == result["after"]


def test_reordered_respelled_targets_are_no_change(r53):
    r53.ok(
        "list_resource_record_sets",
        listing(srv_set("10 50 5060 PBX2.Example.com", "10 50 5060 pbx1.example.com")),
        lookup(),
    )
    result = run(r53, targets=[target("pbx2.example.com."), target("PBX1.EXAMPLE.COM")])
    assert result["changed"] is False
    assert r53.sent == ["ListResourceRecordSets"]


def test_first_creation_by_zone_id_is_three_requests(r53):
    r53.ok("list_resource_record_sets", listing(a_set("zz.example.com", "192.0.2.9")), lookup())
    r53.ok("get_hosted_zone", {"HostedZone": hosted_zone()}, {"Id": ZONE_ID})
    new = build_record_set(NAME, "SRV", 300, [A1, A2])
    r53.ok("change_resource_record_sets", change_info(), batch(create(new)))
    result = run(r53, targets=[T2, T1])
    assert result["changed"] is True
    assert result["api_requests"] == ["ListResourceRecordSets", "GetHostedZone", "ChangeResourceRecordSets"]
    assert result["added"] == [T1, T2] and result["removed"] == []
    assert result["record_sets"] == [new]
    assert (result["change_id"], result["change_status"]) == ("/change/C0000000000001", "PENDING")
    assert result["zone"] == {"id": ZONE_ID, "name": ZONE, "private_zone": False}
    r53.done()


def test_a_change_by_zone_name_is_three_requests(r53):
    r53.ok("list_hosted_zones_by_name", zones_by_name(hosted_zone()))
    old = srv_set(A1)
    r53.ok("list_resource_record_sets", listing(old), lookup())
    new = build_record_set(NAME, "SRV", 300, [A1, A2])
    r53.ok("change_resource_record_sets", change_info(), batch(delete(old), create(new)))
    result = run(r53, hosted_zone_id=None, zone=ZONE, targets=[T1, T2])
    assert result["api_requests"] == ["ListHostedZonesByName", "ListResourceRecordSets", "ChangeResourceRecordSets"]
    r53.done()


def test_scaling_hook_adds_one_target(r53):
    old = srv_set(A1, A2, ttl=60)
    r53.ok("list_resource_record_sets", listing(old), lookup())
    new = build_record_set(NAME, "SRV", 60, [A1, A2, A3])
    r53.ok("change_resource_record_sets", change_info(), batch(delete(old), create(new)))
    result = run(r53, targets=[T3], purge_targets=False)
    assert result["api_requests"] == ["ListResourceRecordSets", "ChangeResourceRecordSets"]
    assert result["added"] == [T3] and result["removed"] == []
    assert result["targets"] == [T1, T2, T3]
    assert result["before"][NAME + " SRV"]["values"] == [A1.rstrip("."), A2.rstrip(".")]
    assert result["after"][NAME + " SRV"]["ttl"] == 60  # the TTL is kept when not given
    r53.done()


def test_scaling_hook_removes_one_target(r53):
    old = srv_set(A1, A2, A3)
    r53.ok("list_resource_record_sets", listing(old), lookup())
    new = build_record_set(NAME, "SRV", 300, [A1, A2])
    r53.ok("change_resource_record_sets", change_info(), batch(delete(old), create(new)))
    result = run(r53, targets=[{"target": "pbx3.example.com", "port": 5060}], state="absent", purge_targets=False)
    assert result["removed"] == [T3] and result["targets"] == [T1, T2]
    r53.done()


def test_removing_the_last_target_deletes_the_record_set(r53):
    old = srv_set(A3)
    r53.ok("list_resource_record_sets", listing(old), lookup())
    r53.ok("change_resource_record_sets", change_info(), batch(delete(old)))
    result = run(r53, targets=[{"target": "pbx3.example.com", "port": 5060}], state="absent", purge_targets=False)
    assert result["targets"] == [] and result["record_sets"] == []
    r53.done()


def test_absent_with_purge_deletes_and_is_idempotent(r53):
    old = srv_set(A1, A2)
    r53.ok("list_resource_record_sets", listing(old), lookup())
    r53.ok("change_resource_record_sets", change_info(), batch(delete(old)))
    assert run(r53, state="absent")["changed"] is True
    r53.ok("list_resource_record_sets", listing(), lookup())
    r53.ok("get_hosted_zone", {"HostedZone": hosted_zone()})  # the name must still be checked against the zone
    again = run(r53, state="absent")
    assert again["changed"] is False
    assert again["api_requests"][-2:] == ["ListResourceRecordSets", "GetHostedZone"]
    assert r53.writes == ["ChangeResourceRecordSets"]


def test_check_mode_reads_only_and_predicts(r53):
    old = srv_set(A1)
    r53.ok("list_resource_record_sets", listing(old), lookup())
    result = run(r53, targets=[T1, T3], check_mode=True)
    assert result["changed"] is True
    assert result["added"] == [T3]
    assert result["change_id"] is None
    assert r53.writes == []
    assert result["after"][NAME + " SRV"]["values"] == ["10 50 5060 pbx1.example.com", "20 10 5060 pbx3.example.com"]
    assert r53.api.read_only is False  # restored afterwards


def test_wait_polls_get_change_until_insync(r53):
    r53.ok("list_resource_record_sets", listing(srv_set(A1)), lookup())
    r53.ok("change_resource_record_sets", change_info())
    r53.ok("get_change", change_info(), {"Id": "/change/C0000000000001"})
    r53.ok("get_change", change_info("INSYNC"), {"Id": "/change/C0000000000001"})
    result = run(r53, targets=[T1, T2], wait=True)
    assert result["change_status"] == "INSYNC"
    assert r53.sent[-2:] == ["GetChange", "GetChange"]
    assert len(r53.time.sleeps) == 1


def test_wait_times_out(r53):
    r53.ok("list_resource_record_sets", listing(srv_set(A1)), lookup())
    r53.ok("change_resource_record_sets", change_info())
    for _poll in range(30):
        r53.ok("get_change", change_info())
    with pytest.raises(Route53SrvError) as excinfo:
        run(r53, targets=[T1, T2], wait=True, wait_timeout=20)
    assert "timed out after 20s" in failure(excinfo, "timeout")
    assert r53.time.now - 1000.0 <= 20.0 + 1e-6


# -- optimistic concurrency ----------------------------------------------------------------------


def test_a_writer_that_lost_the_race_reads_again_and_keeps_both_changes(r53):
    # Both writers read {A1}; the other one added A2 first, so our DELETE of {A1} is refused.
    seen = srv_set(A1)
    r53.ok("list_resource_record_sets", listing(seen), lookup())
    ours = build_record_set(NAME, "SRV", 300, [A1, A3])
    r53.error(
        "change_resource_record_sets",
        "InvalidChangeBatch",
        "Tried to delete resource record set [name='_sip._udp.example.com.', type='SRV'] but the values provided do "
        "not match the current values",
        batch(delete(seen), create(ours)),
    )
    theirs = srv_set(A1, A2)
    r53.ok("list_resource_record_sets", listing(theirs), lookup())
    merged = build_record_set(NAME, "SRV", 300, [A1, A2, A3])
    r53.ok("change_resource_record_sets", change_info(), batch(delete(theirs), create(merged)))

    result = run(r53, targets=[T3], purge_targets=False)

    assert result["conflicts"] == 1
    assert result["targets"] == [T1, T2, T3]
    assert result["added"] == [T3] and result["removed"] == []
    assert result["api_requests"] == [
        "ListResourceRecordSets",
        "ChangeResourceRecordSets",
        "ListResourceRecordSets",
        "ChangeResourceRecordSets",
    ]
    assert len(r53.time.sleeps) == 1  # a jittered pause before the retry
    r53.done()


def test_a_race_that_already_did_our_change_ends_without_a_write(r53):
    seen = srv_set(A1)
    r53.ok("list_resource_record_sets", listing(seen), lookup())
    r53.error("change_resource_record_sets", "InvalidChangeBatch", "values do not match")
    r53.ok("list_resource_record_sets", listing(srv_set(A1, A3)), lookup())
    result = run(r53, targets=[T3], purge_targets=False)
    assert (result["changed"], result["conflicts"]) == (False, 1)
    r53.done()


def test_a_refused_batch_with_nothing_changed_is_not_retried(r53):
    seen = srv_set(A1)
    r53.ok("list_resource_record_sets", listing(seen), lookup())
    r53.error("change_resource_record_sets", "InvalidChangeBatch", "RRSet of type SRV with DNS name x is not permitted")
    r53.ok("list_resource_record_sets", listing(seen), lookup())
    with pytest.raises(Route53SrvError) as excinfo:
        run(r53, targets=[T1, T2])
    assert "Route 53 refused the change: RRSet of type SRV" in failure(excinfo, "invalid")
    assert r53.writes == ["ChangeResourceRecordSets"]
    r53.done()


def test_conflict_retries_are_bounded(r53):
    r53.ok("list_resource_record_sets", listing(srv_set(A1)), lookup())
    for round_number in range(3):
        r53.error("change_resource_record_sets", "InvalidChangeBatch", "values do not match")
        r53.ok(
            "list_resource_record_sets", listing(srv_set(A1, "10 1 5060 busy%d.example.com" % round_number)), lookup()
        )
    with pytest.raises(Route53SrvError) as excinfo:
        ensure_srv(
            r53.api, hosted_zone_id=ZONE_ID, name=NAME, targets=[T3], purge_targets=False, max_conflict_retries=2
        )
    assert "3 times" in failure(excinfo, "conflict")
    assert r53.writes == ["ChangeResourceRecordSets"] * 3
    r53.done()


# -- A/AAAA records of the targets ---------------------------------------------------------------


def test_target_addresses_are_managed_in_the_same_change(r53):
    old_srv = srv_set(A1)
    old_a = a_set("pbx1.example.com", "192.0.2.99", ttl=60)
    r53.ok("list_resource_record_sets", listing(old_srv), lookup())
    r53.ok(
        "list_resource_record_sets",
        listing(old_a, a_set("pbx1.example.com", "2001:db8::1", rtype="AAAA", ttl=60), max_items="2"),
        lookup("pbx1.example.com", "A", "2"),
    )
    r53.ok(
        "list_resource_record_sets",
        listing(a_set("pbx3.example.com", "x", rtype="TXT")),
        lookup("pbx3.example.com", "A"),
    )
    new_srv = build_record_set(NAME, "SRV", 300, [A1, A3])
    new_a1 = build_record_set("pbx1.example.com", "A", 60, ["192.0.2.1"])
    new_a3 = build_record_set("pbx3.example.com", "A", 300, ["192.0.2.3"])
    r53.ok("get_hosted_zone", {"HostedZone": hosted_zone()})  # pbx3 has no A/AAAA yet: is it in the zone?
    r53.ok(
        "change_resource_record_sets",
        change_info(),
        batch(delete(old_srv), create(new_srv), delete(old_a), create(new_a1), create(new_a3)),
    )
    result = run(
        r53,
        targets=[
            target("pbx1.example.com", address="192.0.2.1", address6="2001:db8::1"),
            dict(T3, address="192.0.2.3"),
        ],
    )
    assert result["changed"] is True
    assert len(result["record_sets"]) == 4  # SRV, A and (unchanged) AAAA of pbx1, A of pbx3
    r53.done()


def test_target_outside_the_zone_cannot_have_its_address_managed(r53):
    r53.ok("list_hosted_zones_by_name", zones_by_name(hosted_zone()))
    with pytest.raises(Route53SrvError) as excinfo:
        run(r53, hosted_zone_id=None, zone=ZONE, targets=[target("pbx1.example.net", address="192.0.2.1")])
    assert "outside the zone example.com" in failure(excinfo, "invalid")
    assert r53.sent == ["ListHostedZonesByName"]


def test_a_cname_target_is_refused(r53):
    r53.ok("list_resource_record_sets", listing(srv_set(A1)), lookup())
    r53.ok("list_resource_record_sets", listing(a_set("pbx1.example.com", "sbc.example.com.", rtype="CNAME")))
    with pytest.raises(Route53SrvError) as excinfo:
        run(r53, targets=[target("pbx1.example.com", address="192.0.2.1")])
    assert "is a CNAME" in failure(excinfo, "invalid")
    assert r53.writes == []


def test_absent_deletes_an_address_only_when_it_holds_it(r53):
    old_srv, old_a = srv_set(A1, A2), a_set("pbx1.example.com", "192.0.2.1")
    absent = [{"target": "pbx1.example.com", "port": 5060, "address": "192.0.2.7"}]
    r53.ok("list_resource_record_sets", listing(old_srv), lookup())
    r53.ok("list_resource_record_sets", listing(old_a), lookup("pbx1.example.com", "A"))
    with pytest.raises(Route53SrvError) as excinfo:
        run(r53, targets=absent, state="absent", purge_targets=False)
    assert "holds 192.0.2.1, not 192.0.2.7" in failure(excinfo, "invalid")
    absent[0]["address"] = "192.0.2.1"
    r53.ok("list_resource_record_sets", listing(old_srv), lookup())
    r53.ok("list_resource_record_sets", listing(old_a), lookup("pbx1.example.com", "A"))
    new_srv = build_record_set(NAME, "SRV", 300, [A2])
    r53.ok("change_resource_record_sets", change_info(), batch(delete(old_srv), create(new_srv), delete(old_a)))
    assert run(r53, targets=absent, state="absent", purge_targets=False)["changed"] is True
    r53.done()


# -- routing policies against what exists --------------------------------------------------------


def test_a_failover_pair(r53):
    secondary = srv_set(A2, SetIdentifier="us", Failover="SECONDARY", HealthCheckId=HC_ID)
    r53.ok("list_resource_record_sets", listing(secondary, max_items="100"), lookup(max_items="100"))
    r53.ok("get_health_check", {"HealthCheck": health_check()}, {"HealthCheckId": HC_ID})
    new = build_record_set(NAME, "SRV", 300, [A1], {"SetIdentifier": "eu", "Failover": "PRIMARY"}, HC_ID)
    r53.ok("change_resource_record_sets", change_info(), batch(create(new)))
    result = run(r53, targets=[T1], set_identifier="eu", failover="PRIMARY", health_check_id=HC_ID)
    assert result["set_identifier"] == "eu"
    assert result["api_requests"] == ["ListResourceRecordSets", "GetHealthCheck", "ChangeResourceRecordSets"]
    r53.done()


@pytest.mark.parametrize(
    ("existing", "kwargs", "reason"),
    [
        (srv_set(A2), {"set_identifier": "eu", "routing_weight": 10}, "is a simple record set"),
        (srv_set(A2, SetIdentifier="us", Weight=5), {}, "give set_identifier and the policy"),
        (
            srv_set(A2, SetIdentifier="us", Weight=5),
            {"set_identifier": "eu", "failover": "PRIMARY"},
            "use weighted routing",
        ),
        (
            srv_set(A2, SetIdentifier="us", Failover="PRIMARY"),
            {"set_identifier": "eu", "failover": "PRIMARY"},
            "failover role PRIMARY",
        ),
        (
            srv_set(A2, SetIdentifier="us", Region="us-east-1"),
            {"set_identifier": "eu", "routing_region": "us-east-1"},
            "latency region",
        ),
    ],
)
def test_routing_conflicts_with_what_exists(r53, existing, kwargs, reason):
    r53.ok("list_resource_record_sets", listing(existing))
    with pytest.raises(Route53SrvError) as excinfo:
        run(r53, targets=[T1], **kwargs)
    assert reason in failure(excinfo, "invalid")
    assert r53.writes == []


def test_a_new_routed_record_set_takes_the_ttl_of_its_siblings(r53):
    # Route 53 gives every weighted record set of a name the TTL written last: do not change theirs.
    us = srv_set(A2, ttl=30, SetIdentifier="us", Weight=30)
    r53.ok("list_resource_record_sets", listing(us, max_items="100"), lookup(max_items="100"))
    new = build_record_set(NAME, "SRV", 30, [A1], {"SetIdentifier": "eu", "Weight": 70})
    r53.ok("change_resource_record_sets", change_info(), batch(create(new)))
    run(r53, targets=[T1], set_identifier="eu", routing_weight=70)
    r53.done()


def test_absent_needs_only_the_set_identifier(r53):
    eu = srv_set(A1, A2, SetIdentifier="eu", Weight=10)
    r53.ok("list_resource_record_sets", listing(eu, max_items="100"), lookup(max_items="100"))
    kept = build_record_set(NAME, "SRV", 300, [A2], {"SetIdentifier": "eu", "Weight": 10})
    r53.ok("change_resource_record_sets", change_info(), batch(delete(eu), create(kept)))
    result = run(
        r53,
        set_identifier="eu",
        state="absent",
        purge_targets=False,
        targets=[{"target": "pbx1.example.com", "port": 5060}],
    )
    assert result["record_sets"] == [kept]
    r53.done()


def test_unknown_health_check_id(r53):
    r53.ok("list_resource_record_sets", listing(max_items="100"))
    r53.ok("get_hosted_zone", {"HostedZone": hosted_zone()})
    r53.error("get_health_check", "NoSuchHealthCheck", "no", status=404)
    with pytest.raises(Route53SrvError) as excinfo:
        run(r53, targets=[T1], set_identifier="eu", routing_weight=1, health_check_id=HC_ID)
    assert "no such health check" in failure(excinfo, "not_found")


def test_an_empty_health_check_id_removes_it(r53):
    old = srv_set(A1, SetIdentifier="eu", Weight=1, HealthCheckId=HC_ID)
    r53.ok("list_resource_record_sets", listing(old, max_items="100"))
    new = build_record_set(NAME, "SRV", 300, [A1], {"SetIdentifier": "eu", "Weight": 1})
    r53.ok("change_resource_record_sets", change_info(), batch(delete(old), create(new)))
    run(r53, targets=[T1], set_identifier="eu", routing_weight=1, health_check_id="")
    r53.done()


def test_omitting_the_health_check_keeps_it(r53):
    old = srv_set(A1, SetIdentifier="eu", Weight=1, HealthCheckId=HC_ID)
    r53.ok("list_resource_record_sets", listing(old, max_items="100"))
    assert run(r53, targets=[T1], set_identifier="eu", routing_weight=1)["changed"] is False


# -- health checks -------------------------------------------------------------------------------

TCP_SPEC = {"name": "sip-eu", "fqdn": "sbc-eu.example.com"}
TCP_CONFIG = {
    "Type": "TCP",
    "Port": 5060,
    "RequestInterval": 30,
    "FailureThreshold": 3,
    "FullyQualifiedDomainName": "sbc-eu.example.com",
    "Inverted": False,
    "Disabled": False,
}


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"name": "x", "type": "cloudwatch_metric"}, "needs an alarm"),
        ({"name": "x", "type": "cloudwatch_metric", "alarm_name": "a", "port": 5060}, "apply to type tcp"),
        ({"name": "x", "type": "tcp"}, "ip_address or fqdn"),
        ({"name": "x", "fqdn": "a.example.com", "alarm_name": "a"}, "apply to type cloudwatch_metric"),
        ({"name": "x", "fqdn": "a.example.com", "request_interval": 20}, "10 (fast) or 30"),
        ({"name": "x", "fqdn": "a.example.com", "failure_threshold": 11}, "1 to 10"),
        ({"name": "x", "fqdn": "a.example.com", "port": 0}, "1 to 65535"),
        ({"name": "x", "type": "http", "fqdn": "a.example.com"}, "health_check.type"),
        ({"fqdn": "a.example.com"}, "health_check.name"),
        ({"name": "x", "ip_address": "pbx"}, "not an IPv4 address"),
    ],
)
def test_health_check_specs_refused(spec, reason):
    with pytest.raises(Route53SrvError) as excinfo:
        parse_health_check(spec, NAME, "us-east-1")
    assert reason in str(excinfo.value)


def test_health_check_defaults():
    assert parse_health_check(TCP_SPEC, NAME)["config"] == TCP_CONFIG
    assert parse_health_check(TCP_SPEC, "_sips._tcp.example.com")["config"]["Port"] == 5061
    cw = parse_health_check({"name": "x", "type": "cloudwatch_metric", "alarm_name": "sipp"}, NAME, "eu-west-1")
    assert cw["config"] == {
        "Type": "CLOUDWATCH_METRIC",
        "AlarmIdentifier": {"Region": "eu-west-1", "Name": "sipp"},
        "InsufficientDataHealthStatus": "LastKnownStatus",
        "Inverted": False,
        "Disabled": False,
    }


def test_the_record_needs_a_routing_policy_for_a_health_check(r53):
    with pytest.raises(Route53SrvError) as excinfo:
        run(r53, targets=[T1], health_check=TCP_SPEC)
    assert "only takes effect on a record set with a routing policy" in failure(excinfo, "invalid")
    assert r53.sent == []


def routed_run(r53, **kwargs):
    return run(r53, targets=[T1], set_identifier="eu", failover="PRIMARY", health_check=TCP_SPEC, **kwargs)


def test_health_check_is_created_and_tagged(r53, monkeypatch):
    monkeypatch.setattr(route53_srv.uuid, "uuid4", functools.partial(uuid.UUID, "f" * 32))
    reference = route53_srv._caller_reference_prefix("sip-eu") + "f" * 24
    r53.ok("list_resource_record_sets", listing(max_items="100"))
    r53.ok("list_health_checks", health_checks(health_check("other-1")), {"MaxItems": "1000"})
    r53.ok(
        "list_tags_for_resources",
        tag_sets(**{"other-1": {"Name": "sip-us"}}),
        {"ResourceType": "healthcheck", "ResourceIds": ["other-1"]},
    )
    r53.ok("get_hosted_zone", {"HostedZone": hosted_zone()})
    r53.ok(
        "create_health_check",
        {"HealthCheck": health_check(reference=reference, **TCP_CONFIG), "Location": "https://route53/healthcheck/1"},
        {"CallerReference": reference, "HealthCheckConfig": TCP_CONFIG},
    )
    r53.ok(
        "change_tags_for_resource",
        {},
        {"ResourceType": "healthcheck", "ResourceId": HC_ID, "AddTags": [{"Key": "Name", "Value": "sip-eu"}]},
    )
    new = build_record_set(NAME, "SRV", 300, [A1], {"SetIdentifier": "eu", "Failover": "PRIMARY"}, HC_ID)
    r53.ok("change_resource_record_sets", change_info(), batch(create(new)))
    result = routed_run(r53)
    assert result["health_check"] == {
        "id": HC_ID,
        "name": "sip-eu",
        "created": True,
        "updated": False,
        "config": TCP_CONFIG,
    }
    r53.done()


def test_health_check_in_check_mode_is_not_created(r53):
    r53.ok("list_resource_record_sets", listing(max_items="100"))
    r53.ok("list_health_checks", health_checks())
    r53.ok("get_hosted_zone", {"HostedZone": hosted_zone()})
    result = routed_run(r53, check_mode=True)
    assert result["changed"] is True
    assert result["health_check"]["id"] is None and result["health_check"]["created"] is True
    assert result["after"][NAME + " SRV"]["health_check_id"] == "(new health check sip-eu)"
    assert r53.writes == []


def test_health_check_found_by_its_caller_reference_and_name_tag(r53):
    reference = route53_srv._caller_reference_prefix("sip-eu") + "0" * 24
    existing = health_check(reference=reference, **TCP_CONFIG)
    current = srv_set(A1, SetIdentifier="eu", Failover="PRIMARY", HealthCheckId=HC_ID)
    r53.ok("list_resource_record_sets", listing(current, max_items="100"))
    r53.ok("list_health_checks", health_checks(health_check("other-1"), existing))
    r53.ok(
        "list_tags_for_resources",
        tag_sets(**{HC_ID: {"Name": "sip-eu"}}),
        {"ResourceType": "healthcheck", "ResourceIds": [HC_ID]},
    )
    result = routed_run(r53)
    assert result["changed"] is False
    assert result["api_requests"] == ["ListResourceRecordSets", "ListHealthChecks", "ListTagsForResources"]


def test_health_check_created_elsewhere_is_found_by_its_name_tag(r53):
    others = [health_check("hc-%02d" % i, **TCP_CONFIG) for i in range(12)]
    r53.ok(
        "list_resource_record_sets",
        listing(srv_set(A1, SetIdentifier="eu", Failover="PRIMARY", HealthCheckId="hc-11"), max_items="100"),
    )
    r53.ok("list_health_checks", health_checks(*others))
    r53.ok("list_tags_for_resources", tag_sets(**{"hc-%02d" % i: {} for i in range(10)}))
    r53.ok(
        "list_tags_for_resources",
        tag_sets(**{"hc-10": {"Name": "x"}, "hc-11": {"Name": "sip-eu"}}),
        {"ResourceType": "healthcheck", "ResourceIds": ["hc-10", "hc-11"]},
    )
    result = routed_run(r53)
    assert result["changed"] is False and result["health_check"]["id"] == "hc-11"


def test_health_check_is_updated_with_its_version(r53):
    reference = route53_srv._caller_reference_prefix("sip-eu") + "0" * 24
    drifted = dict(TCP_CONFIG)
    drifted.update(Port=5080, FailureThreshold=2)
    existing = health_check(reference=reference, version=4, **drifted)
    r53.ok(
        "list_resource_record_sets",
        listing(srv_set(A1, SetIdentifier="eu", Failover="PRIMARY", HealthCheckId=HC_ID), max_items="100"),
    )
    r53.ok("list_health_checks", health_checks(existing))
    r53.ok("list_tags_for_resources", tag_sets(**{HC_ID: {"Name": "sip-eu"}}))
    r53.ok(
        "update_health_check",
        {"HealthCheck": health_check(version=5, **TCP_CONFIG)},
        {"HealthCheckId": HC_ID, "HealthCheckVersion": 4, "Port": 5060, "FailureThreshold": 3},
    )
    result = routed_run(r53)
    assert result["changed"] is True and result["health_check"]["updated"] is True
    assert result["change_id"] is None  # the record set itself was already right
    r53.done()


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({"Type": "HTTP"}, "cannot change the type"),
        (dict(TCP_CONFIG, RequestInterval=10), "cannot change request_interval"),
        (dict(TCP_CONFIG, IPAddress="192.0.2.1"), "cannot remove the address"),
    ],
)
def test_health_check_changes_route53_cannot_make(r53, config, reason):
    r53.ok("list_resource_record_sets", listing(max_items="100"))
    r53.ok("list_health_checks", health_checks(health_check(**config)))
    r53.ok("list_tags_for_resources", tag_sets(**{HC_ID: {"Name": "sip-eu"}}))
    with pytest.raises(Route53SrvError) as excinfo:
        routed_run(r53)
    assert reason in failure(excinfo, "invalid")
    assert r53.writes == []


def test_two_health_checks_of_one_name_are_ambiguous(r53):
    r53.ok("list_health_checks", health_checks(health_check("a"), health_check("b")))
    r53.ok("list_tags_for_resources", tag_sets(a={"Name": "sip-eu"}, b={"Name": "sip-eu"}))
    with pytest.raises(Route53SrvError) as excinfo:
        find_health_check(r53.api, "sip-eu")
    assert "2 health checks are named sip-eu (a, b)" in failure(excinfo, "ambiguous")


def test_an_untagged_health_check_of_ours_is_adopted(r53):
    reference = route53_srv._caller_reference_prefix("sip-eu") + "0" * 24
    r53.ok("list_resource_record_sets", listing(max_items="100"))
    r53.ok("list_health_checks", health_checks(health_check(reference=reference, **TCP_CONFIG)))
    r53.ok("list_tags_for_resources", tag_sets(**{HC_ID: {}}))
    r53.ok("get_hosted_zone", {"HostedZone": hosted_zone()})
    r53.ok(
        "change_tags_for_resource",
        {},
        {"ResourceType": "healthcheck", "ResourceId": HC_ID, "AddTags": [{"Key": "Name", "Value": "sip-eu"}]},
    )
    r53.ok("change_resource_record_sets", change_info())
    result = routed_run(r53)
    assert result["health_check"]["id"] == HC_ID and result["health_check"]["created"] is False
    assert "CreateHealthCheck" not in r53.sent
    r53.done()


# -- bad input changes nothing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"targets": [target("pbx1.example.com", priority=70000)]}, "out of range"),
        ({"targets": [target("pbx1.example.com", weight="heavy")]}, "not an integer"),
        ({"targets": [target("192.0.2.1")]}, "is an IP address"),
        ({"name": "sip.example.com", "targets": [T1]}, "not an SRV record name"),
        ({"targets": [T1, T1]}, "duplicate target"),
        (
            {"targets": [T1], "set_identifier": "eu", "routing_weight": 1, "failover": "PRIMARY"},
            "routing options mixed",
        ),
        ({"targets": [T1], "failover": "PRIMARY"}, "needs set_identifier"),
        (
            {
                "targets": [T1],
                "set_identifier": "eu",
                "failover": "PRIMARY",
                "health_check": {"name": "x", "type": "cloudwatch_metric"},
            },
            "needs an alarm",
        ),
        ({"hosted_zone_id": None, "zone": ZONE, "private_zone": True, "targets": [T1]}, "private zone without VPC"),
        ({"targets": []}, "needs at least one target"),
        ({"state": "absent", "purge_targets": False}, "none is listed"),
        ({"name": NAME, "domain": ZONE, "targets": [T1]}, "not both"),
        ({"name": None, "targets": [T1]}, "name the record"),
        ({"targets": [T1], "ttl": -1}, "ttl"),
        ({"targets": [T1], "wait_timeout": 0}, "wait_timeout"),
        ({"targets": [T1], "state": "gone"}, "state"),
    ],
)
def test_bad_input_fails_before_any_request(r53, kwargs, reason):
    with pytest.raises(Route53SrvError) as excinfo:
        run(r53, **kwargs)
    assert reason in failure(excinfo, "invalid")
    assert r53.sent == []


def test_name_outside_the_zone_given_by_id(r53):
    r53.ok("list_resource_record_sets", listing(), lookup("_sip._udp.example.org"))
    r53.ok("get_hosted_zone", {"HostedZone": hosted_zone()})
    with pytest.raises(Route53SrvError) as excinfo:
        run(r53, name="_sip._udp.example.org", targets=[T1])
    assert "the name _sip._udp.example.org is outside the zone example.com" in failure(excinfo, "invalid")
    assert r53.writes == []
