# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Route 53 SRV library against the lab's AWS endpoint (in-process moto with Route 53's documented
semantics restored by lab/rtc_lab/moto_corrections.py), on 127.0.0.1 and a free port.

What the Stubber tests assert call by call, end to end: two writers racing on one record set both
get their change in (optimistic concurrency through DELETE-exact + CREATE in one batch), the number
of requests does not depend on the size of the zone, and a refused request changes nothing.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import boto3
import pytest
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.route53_srv import (
    Route53Api,
    Route53SrvError,
    ensure_srv,
)

LAB_DIR = Path(__file__).resolve().parents[4] / "lab"
NAME = "_sip._udp.example.com"


@pytest.fixture(scope="module")
def endpoint_url():
    sys.path.insert(0, str(LAB_DIR))
    try:
        from rtc_lab.endpoint import Endpoint
    finally:
        sys.path.remove(str(LAB_DIR))
    endpoint = Endpoint([("127.0.0.1", 0)])
    endpoint.start()
    yield endpoint.url
    endpoint.stop()


def new_client(endpoint_url):
    return boto3.client(
        "route53",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


_zone_numbers = iter(range(1, 10_000))


@pytest.fixture
def zone(endpoint_url):
    """A fresh public zone (its own name, so tests do not see each other's records): (client, id, name)."""
    route53 = new_client(endpoint_url)
    name = "z%d.example.com" % next(_zone_numbers)
    zone_id = route53.create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"].split("/")[-1]
    return route53, zone_id, name


def everything(route53, zone_id):
    """The whole zone, for before/after comparisons."""
    answer = route53.list_resource_record_sets(HostedZoneId=zone_id, MaxItems="1000")
    return [
        (
            r["Name"],
            r["Type"],
            r.get("SetIdentifier"),
            r.get("TTL"),
            sorted(v["Value"] for v in r.get("ResourceRecords", [])),
        )
        for r in answer["ResourceRecordSets"]
    ]


def srv_values(route53, zone_id, name):
    answer = route53.list_resource_record_sets(
        HostedZoneId=zone_id, StartRecordName=name + ".", StartRecordType="SRV", MaxItems="1"
    )
    found = [r for r in answer["ResourceRecordSets"] if r["Name"] == name + "." and r["Type"] == "SRV"]
    return sorted(v["Value"] for v in found[0]["ResourceRecords"]) if found else []


def target(host, port=5060, priority=10, weight=50, **extra):
    item = {"target": host, "port": port, "priority": priority, "weight": weight}
    item.update(extra)
    return item


def fill(route53, zone_id, zone_name, count):
    """Add ``count`` A record sets around the SRV name, so that a listing of the zone would be long."""
    for start in range(0, count, 400):
        changes = [
            {
                "Action": "CREATE",
                "ResourceRecordSet": {
                    "Name": "host%05d.%s." % (i, zone_name),
                    "Type": "A",
                    "TTL": 300,
                    "ResourceRecords": [{"Value": "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)}],
                },
            }
            for i in range(start, min(count, start + 400))
        ]
        route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})


# -- optimistic concurrency: two writers -----------------------------------------------------------


class BarrierApi(Route53Api):
    """Waits at ``barrier`` after its first read, so that both writers read before either writes."""

    def __init__(self, client, barrier):
        super().__init__(client)
        self.barrier = barrier
        self.waited = False

    def call(self, method, **params):
        answer = super().call(method, **params)
        if method == "list_resource_record_sets" and not self.waited:
            self.waited = True
            self.barrier.wait(timeout=30)
        return answer


def test_two_concurrent_writers_both_get_their_target_in(endpoint_url, zone):
    route53, zone_id, zone_name = zone
    name = "_sip._udp." + zone_name
    ensure_srv(route53, hosted_zone_id=zone_id, name=name, targets=[target("pbx1." + zone_name)])
    barrier = threading.Barrier(2)
    results, errors = {}, []

    def writer(host):
        api = BarrierApi(new_client(endpoint_url), barrier)
        try:
            results[host] = ensure_srv(
                api, hosted_zone_id=zone_id, name=name, targets=[target(host)], purge_targets=False
            )
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=("pbx%d.%s" % (n, zone_name),)) for n in (2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not errors, errors
    assert srv_values(route53, zone_id, name) == [
        "10 50 5060 pbx1.%s." % zone_name,
        "10 50 5060 pbx2.%s." % zone_name,
        "10 50 5060 pbx3.%s." % zone_name,
    ]
    # Both read {pbx1}; the first write won, the other was refused, read again and retried.
    assert sorted(r["conflicts"] for r in results.values()) == [0, 1]
    loser = next(r for r in results.values() if r["conflicts"])
    assert loser["api_requests"] == [
        "ListResourceRecordSets",
        "ChangeResourceRecordSets",
        "ListResourceRecordSets",
        "ChangeResourceRecordSets",
    ]


def test_many_concurrent_scaling_hooks_lose_nothing(endpoint_url, zone):
    route53, zone_id, zone_name = zone
    name = "_sip._udp." + zone_name
    hosts = ["pbx%d.%s" % (n, zone_name) for n in range(6)]
    errors = []

    def writer(host):
        try:
            ensure_srv(
                new_client(endpoint_url),
                hosted_zone_id=zone_id,
                name=name,
                targets=[target(host)],
                purge_targets=False,
                max_conflict_retries=10,
            )
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(host,)) for host in hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert srv_values(route53, zone_id, name) == sorted("10 50 5060 %s." % host for host in hosts)


def test_a_stale_write_is_refused_by_the_endpoint(zone):
    # The endpoint itself: a DELETE naming values that are no longer current fails, nothing is applied.
    route53, zone_id, zone_name = zone
    name = "_sip._udp." + zone_name
    ensure_srv(route53, hosted_zone_id=zone_id, name=name, targets=[target("pbx1." + zone_name)])
    stale = {
        "Name": name + ".",
        "Type": "SRV",
        "TTL": 300,
        "ResourceRecords": [{"Value": "10 50 5060 pbx1.%s." % zone_name}],
    }
    ensure_srv(route53, hosted_zone_id=zone_id, name=name, targets=[target("pbx2." + zone_name)], purge_targets=False)
    before = everything(route53, zone_id)
    with pytest.raises(route53.exceptions.InvalidChangeBatch):
        route53.change_resource_record_sets(
            HostedZoneId=zone_id,
            ChangeBatch={
                "Changes": [
                    {"Action": "DELETE", "ResourceRecordSet": stale},
                    {
                        "Action": "CREATE",
                        "ResourceRecordSet": dict(stale, ResourceRecords=[{"Value": "1 1 1 x.%s." % zone_name}]),
                    },
                ]
            },
        )
    assert everything(route53, zone_id) == before


# -- requests per run, independent of the zone's size ------------------------------------------------


@pytest.mark.parametrize("size", [10, 2000])
def test_request_counts_do_not_grow_with_the_zone(zone, size):
    route53, zone_id, zone_name = zone
    fill(route53, zone_id, zone_name, size)
    name = "_sip._udp." + zone_name
    one, two, three = (target("pbx%d.%s" % (n, zone_name)) for n in (1, 2, 3))

    def requests(**kwargs):
        kwargs.setdefault("name", name)
        return ensure_srv(Route53Api(route53), **kwargs)["api_requests"]

    by_id, by_name = {"hosted_zone_id": zone_id}, {"zone": zone_name}
    assert requests(targets=[one, two], **by_id) == [
        "ListResourceRecordSets",
        "GetHostedZone",  # a new name: is it in the zone?
        "ChangeResourceRecordSets",
    ]
    assert requests(targets=[one, two], **by_id) == ["ListResourceRecordSets"]  # no-op
    assert requests(targets=[two, one], **by_id) == ["ListResourceRecordSets"]  # reordered: no change
    assert requests(targets=[three], purge_targets=False, **by_id) == [
        "ListResourceRecordSets",
        "ChangeResourceRecordSets",
    ]
    assert requests(targets=[one, two, three], **by_name) == ["ListHostedZonesByName", "ListResourceRecordSets"]
    assert requests(targets=[three, two, one], **by_name) == ["ListHostedZonesByName", "ListResourceRecordSets"]
    assert requests(targets=[one, two], **by_name) == [
        "ListHostedZonesByName",
        "ListResourceRecordSets",
        "ChangeResourceRecordSets",
    ]
    assert requests(targets=[one, two], wait=True, purge_targets=False, **by_id) == ["ListResourceRecordSets"]
    assert requests(targets=[three], wait=True, purge_targets=False, **by_id) == [
        "ListResourceRecordSets",
        "ChangeResourceRecordSets",
        "GetChange",  # the lab answers PENDING first, as Route 53 does
    ]


def test_routing_policies_and_health_checks_end_to_end(zone):
    route53, zone_id, zone_name = zone
    name = "_sips._tcp." + zone_name
    common = {"hosted_zone_id": zone_id, "name": name, "ttl": 30}
    primary = ensure_srv(
        route53,
        targets=[target("sbc-eu." + zone_name, port=5061, address="192.0.2.10")],
        set_identifier="eu-west-1",
        failover="PRIMARY",
        health_check={"name": zone_name + "-eu", "fqdn": "sbc-eu." + zone_name, "request_interval": 10},
        **common,
    )
    secondary = ensure_srv(
        route53,
        targets=[target("sbc-us." + zone_name, port=5061)],
        set_identifier="us-east-1",
        failover="SECONDARY",
        health_check={"name": zone_name + "-us", "type": "cloudwatch_metric", "alarm_name": "sipp-us"},
        **common,
    )
    assert primary["health_check"]["created"] and secondary["health_check"]["created"]
    checks = {hc["Id"]: hc["HealthCheckConfig"] for hc in route53.list_health_checks()["HealthChecks"]}
    assert checks[primary["health_check"]["id"]]["Port"] == 5061
    assert checks[secondary["health_check"]["id"]]["AlarmIdentifier"] == {"Region": "us-east-1", "Name": "sipp-us"}
    again = ensure_srv(
        route53,
        targets=[target("sbc-us." + zone_name, port=5061)],
        set_identifier="us-east-1",
        failover="SECONDARY",
        health_check={"name": zone_name + "-us", "type": "cloudwatch_metric", "alarm_name": "sipp-us"},
        **common,
    )
    assert again["changed"] is False
    sets = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    srv = {r["SetIdentifier"]: r for r in sets if r["Type"] == "SRV"}
    assert srv["eu-west-1"]["HealthCheckId"] == primary["health_check"]["id"]
    assert srv["us-east-1"]["Failover"] == "SECONDARY"
    assert [r["ResourceRecords"] for r in sets if r["Type"] == "A"] == [[{"Value": "192.0.2.10"}]]


# -- bad input changes nothing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "kind"),
    [
        ({"targets": [target("pbx9.{zone}", weight=70000)]}, "invalid"),
        ({"name": "_sip._udp.example.org"}, "invalid"),
        ({"targets": [target("pbx1.{zone}"), target("PBX1.{zone}.")]}, "invalid"),
        ({"set_identifier": "eu", "routing_weight": 10}, "invalid"),  # a simple record set exists
        ({"zone": "nonexistent.example"}, "not_found"),
        ({"hosted_zone_id": "Z404NOSUCHZONE"}, "not_found"),
        (
            {
                "targets": [
                    target("pbx9.{zone}", address="192.0.2.9"),
                    target("pbx9.{zone}", port=5080, address="192.0.2.8"),
                ]
            },
            "invalid",
        ),
    ],
)
def test_bad_input_leaves_the_zone_unchanged(zone, kwargs, kind):
    route53, zone_id, zone_name = zone
    name = "_sip._udp." + zone_name
    ensure_srv(route53, hosted_zone_id=zone_id, name=name, targets=[target("pbx1." + zone_name, address="192.0.2.1")])
    before = everything(route53, zone_id)
    args = {"name": name, "targets": [target("pbx2." + zone_name)]}
    args.update((key, value) for key, value in kwargs.items())
    if "targets" in kwargs:
        args["targets"] = [dict(t, target=t["target"].format(zone=zone_name)) for t in kwargs["targets"]]
    if "zone" not in args:
        args.setdefault("hosted_zone_id", zone_id)
    with pytest.raises(Route53SrvError) as excinfo:
        ensure_srv(route53, **args)
    assert excinfo.value.kind == kind, excinfo.value
    assert everything(route53, zone_id) == before
