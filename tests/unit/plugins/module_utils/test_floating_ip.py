# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the floating-IP library, with botocore's Stubber (each request checked against EC2's model).

Every stubbed client points at a loopback port nobody listens on, so a request that escaped the
Stubber could not leave the machine (and the conftest fence would refuse it anyway).
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from ansible_collections.rtc.ec2_fleet.plugins.module_utils import floating_ip
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.floating_ip import (
    Ec2Api,
    FloatingIpError,
    ensure_eip,
    ensure_secondary_ips,
    find_eni,
    wait_for,
)
from aws_stub import FakeTime, StubbedClient

LIBRARY_FILE = Path(floating_ip.__file__)
REGION = "eu-west-1"
VPC = "vpc-0000000000000000a"
SUBNET_A = "subnet-0000000000000000a"  # 10.0.1.0/24, eu-west-1a
SUBNET_B = "subnet-0000000000000000b"  # 10.0.2.0/24, eu-west-1b
ENI_A = "eni-0000000000000000a"  # active node, 10.0.1.10
ENI_B = "eni-0000000000000000b"  # standby node, same subnet, 10.0.1.11
ENI_C = "eni-0000000000000000c"  # a node in the other AZ, 10.0.2.10
ENI_A1 = "eni-000000000000000a1"  # second interface of the active node, 10.0.1.20
I_A, I_B, I_C = "i-0000000000000000a", "i-0000000000000000b", "i-0000000000000000c"
ALLOC = "eipalloc-0000000000000000e"
ASSOC = "eipassoc-0000000000000000e"
PUBLIC = "203.0.113.10"
OTHER_ALLOC = "eipalloc-0000000000000000d"  # another Elastic IP, already on the target pair
OTHER_ASSOC = "eipassoc-0000000000000000d"
OTHER_PUBLIC = "203.0.113.20"
VIP = "10.0.1.100"


# -- builders of EC2 answers ---------------------------------------------------------------------


def eni(eni_id, primary, secondary=(), subnet=SUBNET_A, instance=None, device_index=0):
    item = {
        "NetworkInterfaceId": eni_id,
        "SubnetId": subnet,
        "VpcId": VPC,
        "Status": "in-use" if instance else "available",
        "PrivateIpAddress": primary,
        "PrivateIpAddresses": [{"PrivateIpAddress": primary, "Primary": True}]
        + [{"PrivateIpAddress": a, "Primary": False} for a in secondary],
    }
    if instance:
        item["Attachment"] = {"InstanceId": instance, "DeviceIndex": device_index, "Status": "attached"}
    return item


def eni_a(*secondary):
    return eni(ENI_A, "10.0.1.10", secondary, instance=I_A)


def eni_b(*secondary):
    return eni(ENI_B, "10.0.1.11", secondary, instance=I_B)


def eni_c(*secondary):
    return eni(ENI_C, "10.0.2.10", secondary, subnet=SUBNET_B, instance=I_C)


def enis(*items):
    return {"NetworkInterfaces": list(items)}


def subnet(subnet_id=SUBNET_A, cidr="10.0.1.0/24"):
    return {"Subnets": [{"SubnetId": subnet_id, "CidrBlock": cidr, "VpcId": VPC, "AvailabilityZone": "eu-west-1a"}]}


def address(eni_id=None, private_ip=None, instance=None, tags=None, association=ASSOC):
    item = {"AllocationId": ALLOC, "PublicIp": PUBLIC, "Domain": "vpc", "NetworkBorderGroup": REGION}
    if eni_id:
        item.update(NetworkInterfaceId=eni_id, PrivateIpAddress=private_ip, AssociationId=association)
        if instance:
            item["InstanceId"] = instance
    item["Tags"] = [{"Key": k, "Value": v} for k, v in (tags or {}).items()]
    return item


def other_address(eni_id=None, private_ip=None, instance=None):
    item = address(eni_id, private_ip, instance, tags={"Name": "other"}, association=OTHER_ASSOC)
    item.update(AllocationId=OTHER_ALLOC, PublicIp=OTHER_PUBLIC)
    return item


def addresses(*items):
    return {"Addresses": list(items)}


# -- request parameters --------------------------------------------------------------------------


def by_eni(eni_id):
    return {"NetworkInterfaceIds": [eni_id]}


def by_instance(instance_id):
    return {"Filters": [{"Name": "attachment.instance-id", "Values": [instance_id]}]}


def holders_of(*ips):
    return {
        "Filters": [
            {"Name": "vpc-id", "Values": [VPC]},
            {"Name": "addresses.private-ip-address", "Values": list(ips)},
        ]
    }


def verify_enis(*eni_ids):
    return {"Filters": [{"Name": "network-interface-id", "Values": sorted(eni_ids)}]}


def by_alloc(allocation_id=ALLOC):
    return {"AllocationIds": [allocation_id]}


def verify_alloc(*allocation_ids):
    return {"Filters": [{"Name": "allocation-id", "Values": list(allocation_ids or [ALLOC])}]}


def on_pair(eni_id, private_ip):
    """The lookup of an Elastic IP already on the target pair, made before every association."""
    return {
        "Filters": [
            {"Name": "network-interface-id", "Values": [eni_id]},
            {"Name": "private-ip-address", "Values": [private_ip]},
        ]
    }


def by_tags(**tags):
    return {
        "Filters": [{"Name": "domain", "Values": ["vpc"]}]
        + [{"Name": "tag:%s" % k, "Values": [v]} for k, v in sorted(tags.items())]
    }


# -- the harness ---------------------------------------------------------------------------------


@pytest.fixture
def ec2():
    stub = StubbedClient("ec2", REGION, start=1000.0)
    stub.api = Ec2Api(stub.client, sleep=stub.time.sleep, clock=stub.time.clock)
    yield stub
    stub.close()


def failure(excinfo, kind):
    assert excinfo.value.kind == kind, excinfo.value
    return str(excinfo.value)


# -- the call wrapper ----------------------------------------------------------------------------


def test_throttling_is_retried_with_growing_jittered_backoff(ec2):
    for _attempt in range(3):
        ec2.error("describe_network_interfaces", "RequestLimitExceeded", "Request limit exceeded.")
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP)), by_eni(ENI_A))

    found = find_eni(ec2.api, eni_id=ENI_A)

    assert found["NetworkInterfaceId"] == ENI_A
    assert ec2.sent == ["DescribeNetworkInterfaces"] * 4
    bounds = [0.25, 0.5, 1.0]
    assert len(ec2.time.sleeps) == 3
    for slept, bound in zip(ec2.time.sleeps, bounds, strict=True):
        assert bound / 2 <= slept <= bound
    ec2.done()


@pytest.mark.parametrize("code", ["Throttling", "RequestLimitExceeded", "ThrottlingException", "RequestThrottled"])
def test_throttling_past_the_budget_fails_as_throttled(ec2, code):
    api = Ec2Api(ec2.client, max_retries=2, sleep=ec2.time.sleep, clock=ec2.time.clock)
    for _attempt in range(3):
        ec2.error("assign_private_ip_addresses", code, "Rate exceeded")

    with pytest.raises(FloatingIpError) as excinfo:
        api.call("assign_private_ip_addresses", NetworkInterfaceId=ENI_A, PrivateIpAddresses=[VIP])

    message = failure(excinfo, "throttled")
    assert excinfo.value.action == "ec2:AssignPrivateIpAddresses"
    assert excinfo.value.code == code
    assert "3 times in a row" in message
    assert "nothing more was changed" in message
    assert len(ec2.time.sleeps) == 2
    ec2.done()


def test_the_default_budget_is_bounded(ec2):
    for _attempt in range(floating_ip.DEFAULT_MAX_RETRIES + 1):
        ec2.error("describe_addresses", "Throttling")

    with pytest.raises(FloatingIpError) as excinfo:
        ec2.api.call("describe_addresses", AllocationIds=[ALLOC])

    failure(excinfo, "throttled")
    assert len(ec2.sent) == floating_ip.DEFAULT_MAX_RETRIES + 1
    assert sum(ec2.time.sleeps) <= sum(
        min(floating_ip.DEFAULT_BACKOFF_CAP, floating_ip.DEFAULT_BACKOFF_BASE * 2**i)
        for i in range(floating_ip.DEFAULT_MAX_RETRIES)
    )
    assert max(ec2.time.sleeps) <= floating_ip.DEFAULT_BACKOFF_CAP
    ec2.done()


def test_server_errors_are_retried_for_reads_only(ec2):
    ec2.error("describe_addresses", "InternalError")
    ec2.ok("describe_addresses", addresses(address()))
    assert ec2.api.call("describe_addresses", AllocationIds=[ALLOC])["Addresses"][0]["AllocationId"] == ALLOC

    ec2.error("associate_address", "InternalError")
    with pytest.raises(FloatingIpError) as excinfo:
        ec2.api.call("associate_address", AllocationId=ALLOC, NetworkInterfaceId=ENI_A)
    failure(excinfo, "api_error")
    assert ec2.sent == ["DescribeAddresses", "DescribeAddresses", "AssociateAddress"]
    ec2.done()


@pytest.mark.parametrize(
    ("method", "action", "params"),
    [
        ("assign_private_ip_addresses", "ec2:AssignPrivateIpAddresses", {"NetworkInterfaceId": ENI_A}),
        ("associate_address", "ec2:AssociateAddress", {"AllocationId": ALLOC}),
        ("describe_network_interfaces", "ec2:DescribeNetworkInterfaces", {}),
    ],
)
def test_permission_denied_names_the_iam_action(ec2, method, action, params):
    ec2.error(
        method,
        "UnauthorizedOperation",
        "You are not authorized to perform this operation. Encoded message: " + "x" * 900,
    )

    with pytest.raises(FloatingIpError) as excinfo:
        ec2.api.call(method, **params)

    message = failure(excinfo, "permission_denied")
    assert excinfo.value.action == action
    assert excinfo.value.code == "UnauthorizedOperation"
    assert "allow %s in the IAM policy" % action in message
    assert len(message) < 700  # the encoded authorization message is cut short
    assert len(ec2.sent) == 1  # never retried


def test_error_translation(ec2):
    cases = [
        ("InvalidAllocationID.NotFound", "describe_addresses", "not_found"),
        ("InvalidIPAddress.InUse", "assign_private_ip_addresses", "address_in_use"),
        ("InvalidIPAddress.InUse", "release_address", "eip_in_use"),
        ("Resource.AlreadyAssociated", "associate_address", "eip_in_use"),
        ("InvalidParameterValue", "assign_private_ip_addresses", "invalid"),
        ("InvalidNetworkInterfaceId.Malformed", "describe_network_interfaces", "invalid"),
        ("IncorrectState", "associate_address", "api_error"),
    ]
    for code, method, kind in cases:
        params = {"NetworkInterfaceId": ENI_A} if method == "assign_private_ip_addresses" else {}
        ec2.error(method, code, "no")
        with pytest.raises(FloatingIpError) as excinfo:
            ec2.api.call(method, **params)
        assert (excinfo.value.kind, excinfo.value.code) == (kind, code)
        assert excinfo.value.action == ec2.api.action(method)


def test_check_mode_refuses_a_mutating_call_before_sending_it(ec2):
    ec2.api.read_only = True
    with pytest.raises(FloatingIpError) as excinfo:
        ec2.api.call("assign_private_ip_addresses", NetworkInterfaceId=ENI_A, PrivateIpAddresses=[VIP])
    assert "check mode" in str(excinfo.value)
    assert ec2.sent == []


def test_unreachable_endpoint_is_reported():
    # A real client against a loopback port nobody listens on: the connection is refused at once.
    client = boto3.client(
        "ec2",
        region_name=REGION,
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=boto3.session.Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    fake = FakeTime(1000.0)
    api = Ec2Api(client, max_retries=1, sleep=fake.sleep, clock=fake.clock)

    with pytest.raises(FloatingIpError) as excinfo:
        api.call("describe_network_interfaces", NetworkInterfaceIds=[ENI_A])
    assert failure(excinfo, "unreachable").startswith("ec2:DescribeNetworkInterfaces could not reach")
    assert api.calls == ["describe_network_interfaces"] * 2

    with pytest.raises(FloatingIpError) as excinfo:
        api.call("assign_private_ip_addresses", NetworkInterfaceId=ENI_A, PrivateIpAddresses=[VIP])
    assert "may or may not have been carried out" in failure(excinfo, "unreachable")


# -- verification polling ------------------------------------------------------------------------


def test_wait_for_reads_at_once_and_does_not_sleep_when_done():
    fake = FakeTime(1000.0)
    api = Ec2Api(None, sleep=fake.sleep, clock=fake.clock)
    assert wait_for(api, lambda: "ok", lambda state: state == "ok", 30, "x") == "ok"
    assert fake.sleeps == []


def test_wait_for_polls_with_bounded_jittered_backoff():
    fake = FakeTime(1000.0)
    api = Ec2Api(None, sleep=fake.sleep, clock=fake.clock)
    reads = iter(range(100))

    assert wait_for(api, lambda: next(reads), lambda n: n == 8, 30, "x") == 8

    assert len(fake.sleeps) == 8
    bounds = [0.2, 0.4, 0.8, 1.5, 1.5, 1.5, 1.5, 1.5]
    for slept, bound in zip(fake.sleeps, bounds, strict=True):
        assert bound / 2 <= slept <= bound


def test_wait_for_times_out_without_sleeping_past_the_deadline():
    fake = FakeTime(1000.0)
    api = Ec2Api(None, sleep=fake.sleep, clock=fake.clock)
    start = fake.now

    with pytest.raises(FloatingIpError) as excinfo:
        wait_for(api, lambda: "old", lambda state: False, 5, "the address to move", describe=lambda s: "state " + s)

    message = failure(excinfo, "timeout")
    assert "timed out after 5s waiting for the address to move; last seen: state old" in message
    assert fake.now - start == pytest.approx(5)
    assert max(fake.sleeps) <= floating_ip.POLL_CAP


# -- find_eni ------------------------------------------------------------------------------------


def test_find_eni_by_instance_and_device_index(ec2):
    second = eni(ENI_A1, "10.0.1.20", instance=I_A, device_index=1)
    ec2.ok("describe_network_interfaces", enis(eni_a(), second), by_instance(I_A))
    ec2.ok("describe_network_interfaces", enis(eni_a(), second), by_instance(I_A))
    ec2.ok("describe_network_interfaces", enis(eni_a(), second), by_instance(I_A))

    assert find_eni(ec2.api, instance_id=I_A)["NetworkInterfaceId"] == ENI_A
    assert find_eni(ec2.api, instance_id=I_A, device_index=1)["NetworkInterfaceId"] == ENI_A1
    assert find_eni(ec2.api, instance_id=I_A, private_ip="10.0.1.20")["NetworkInterfaceId"] == ENI_A1
    ec2.done()


def test_find_eni_reports_a_missing_device_index(ec2):
    ec2.ok("describe_network_interfaces", enis(eni_a()), by_instance(I_A))
    with pytest.raises(FloatingIpError) as excinfo:
        find_eni(ec2.api, instance_id=I_A, device_index=2)
    assert "no network interface at device index 2 (it has: 0)" in failure(excinfo, "not_found")


def test_find_eni_reports_an_unknown_instance(ec2):
    ec2.ok("describe_network_interfaces", enis(), by_instance(I_C))
    ec2.error("describe_instances", "InvalidInstanceID.NotFound", "The instance ID does not exist")
    with pytest.raises(FloatingIpError) as excinfo:
        find_eni(ec2.api, instance_id=I_C)
    assert "instance %s does not exist in %s" % (I_C, REGION) in failure(excinfo, "not_found")
    assert ec2.mutating == []


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"eni_id": ENI_A, "instance_id": I_A}, {"eni_id": "i-123"}, {"instance_id": "eni-1"}],
    ids=["none", "both", "eni-not-an-eni", "instance-not-an-instance"],
)
def test_find_eni_refuses_bad_selectors_without_a_call(ec2, kwargs):
    with pytest.raises(FloatingIpError) as excinfo:
        find_eni(ec2.api, **kwargs)
    failure(excinfo, "invalid")
    assert ec2.sent == []


# -- ensure_secondary_ips: call sequences --------------------------------------------------------


def test_first_run_assigns_and_verifies(ec2):
    ec2.ok("describe_network_interfaces", enis(eni_a()), by_eni(ENI_A))
    ec2.ok("describe_subnets", subnet(), {"SubnetIds": [SUBNET_A]})
    ec2.ok("describe_network_interfaces", enis(), holders_of(VIP))
    ec2.ok("assign_private_ip_addresses", {}, {"NetworkInterfaceId": ENI_A, "PrivateIpAddresses": [VIP]})
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP)), verify_enis(ENI_A))

    result = ensure_secondary_ips(ec2.api, [VIP], eni_id=ENI_A)

    assert result == {
        "changed": True,
        "network_interface_id": ENI_A,
        "instance_id": I_A,
        "subnet_id": SUBNET_A,
        "primary_address": "10.0.1.10",
        "addresses": [VIP],
        "assigned": [VIP],
        "unassigned": [],
        "moved_from": {},
        "before": {"network_interface_id": ENI_A, "addresses": []},
        "after": {"network_interface_id": ENI_A, "addresses": [VIP]},
    }
    assert ec2.sent == [
        "DescribeNetworkInterfaces",
        "DescribeSubnets",
        "DescribeNetworkInterfaces",
        "AssignPrivateIpAddresses",
        "DescribeNetworkInterfaces",
    ]
    assert ec2.time.sleeps == []
    ec2.done()


def test_no_op_costs_one_call(ec2):
    ec2.ok("describe_network_interfaces", enis(eni_a("10.0.1.101", VIP)), by_instance(I_A))

    result = ensure_secondary_ips(ec2.api, [VIP], instance_id=I_A)

    assert result["changed"] is False
    assert result["addresses"] == [VIP, "10.0.1.101"]  # sorted as addresses, not as text
    assert ec2.sent == ["DescribeNetworkInterfaces"]
    ec2.done()


def test_move_with_reassignment_verifies_both_interfaces(ec2):
    ec2.ok("describe_network_interfaces", enis(eni_b()), by_eni(ENI_B))
    ec2.ok("describe_subnets", subnet(), {"SubnetIds": [SUBNET_A]})
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP)), holders_of(VIP))
    ec2.ok(
        "assign_private_ip_addresses",
        {},
        {"NetworkInterfaceId": ENI_B, "PrivateIpAddresses": [VIP], "AllowReassignment": True},
    )
    # Eventually consistent: the first read-back still shows the address on both interfaces.
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP), eni_b(VIP)), verify_enis(ENI_A, ENI_B))
    ec2.ok("describe_network_interfaces", enis(eni_a(), eni_b(VIP)), verify_enis(ENI_A, ENI_B))

    result = ensure_secondary_ips(ec2.api, [VIP], eni_id=ENI_B, allow_reassignment=True)

    assert result["changed"] is True
    assert result["moved_from"] == {VIP: ENI_A}
    assert result["addresses"] == [VIP]
    assert len(ec2.time.sleeps) == 1
    assert 0.1 <= ec2.time.sleeps[0] <= 0.2
    ec2.done()


def test_purge_removes_unlisted_addresses(ec2):
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP, "10.0.1.101", "10.0.1.102")), by_eni(ENI_A))
    ec2.ok(
        "unassign_private_ip_addresses",
        {},
        {"NetworkInterfaceId": ENI_A, "PrivateIpAddresses": ["10.0.1.101", "10.0.1.102"]},
    )
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP)), verify_enis(ENI_A))

    result = ensure_secondary_ips(ec2.api, [VIP], eni_id=ENI_A, purge=True)

    assert result["unassigned"] == ["10.0.1.101", "10.0.1.102"]
    assert result["addresses"] == [VIP]
    assert result["before"]["addresses"] == [VIP, "10.0.1.101", "10.0.1.102"]
    assert ec2.sent == ["DescribeNetworkInterfaces", "UnassignPrivateIpAddresses", "DescribeNetworkInterfaces"]
    ec2.done()


def test_absent_unassigns_only_what_is_there(ec2):
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP)), by_eni(ENI_A))
    ec2.ok("unassign_private_ip_addresses", {}, {"NetworkInterfaceId": ENI_A, "PrivateIpAddresses": [VIP]})
    ec2.ok("describe_network_interfaces", enis(eni_a()), verify_enis(ENI_A))

    result = ensure_secondary_ips(ec2.api, [VIP, "10.0.1.55"], eni_id=ENI_A, state="absent")

    assert (result["changed"], result["unassigned"], result["addresses"]) == (True, [VIP], [])
    ec2.done()


def test_absent_no_op(ec2):
    ec2.ok("describe_network_interfaces", enis(eni_a()), by_eni(ENI_A))
    result = ensure_secondary_ips(ec2.api, [VIP], eni_id=ENI_A, state="absent")
    assert result["changed"] is False
    assert ec2.sent == ["DescribeNetworkInterfaces"]


def test_check_mode_validates_with_reads_only(ec2):
    ec2.ok("describe_network_interfaces", enis(eni_b("10.0.1.77")), by_eni(ENI_B))
    ec2.ok("describe_subnets", subnet())
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP)), holders_of(VIP))

    result = ensure_secondary_ips(ec2.api, [VIP], eni_id=ENI_B, allow_reassignment=True, purge=True, check_mode=True)

    assert result["changed"] is True
    assert result["assigned"] == [VIP]
    assert result["unassigned"] == ["10.0.1.77"]
    assert result["moved_from"] == {VIP: ENI_A}
    assert result["after"] == {"network_interface_id": ENI_B, "addresses": [VIP]}
    assert ec2.mutating == []
    assert ec2.api.read_only is False  # restored afterwards
    ec2.done()


def test_without_wait_nothing_is_read_back(ec2):
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP)), by_eni(ENI_A))
    ec2.ok("unassign_private_ip_addresses", {})
    result = ensure_secondary_ips(ec2.api, [VIP], eni_id=ENI_A, state="absent", wait=False)
    assert result["addresses"] == []
    assert ec2.sent == ["DescribeNetworkInterfaces", "UnassignPrivateIpAddresses"]
    ec2.done()


def test_an_address_that_never_shows_is_a_timeout(ec2):
    ec2.ok("describe_network_interfaces", enis(eni_a()), by_eni(ENI_A))
    ec2.ok("describe_subnets", subnet())
    ec2.ok("describe_network_interfaces", enis(), holders_of(VIP))
    ec2.ok("assign_private_ip_addresses", {})
    for _attempt in range(20):
        ec2.ok("describe_network_interfaces", enis(eni_a()), verify_enis(ENI_A))

    with pytest.raises(FloatingIpError) as excinfo:
        ensure_secondary_ips(ec2.api, [VIP], eni_id=ENI_A, wait_timeout=5)

    message = failure(excinfo, "timeout")
    assert "timed out after 5s waiting for the secondary addresses of %s to become +%s" % (ENI_A, VIP) in message
    assert "%s has ['10.0.1.10']" % ENI_A in message
    assert sum(ec2.time.sleeps) == pytest.approx(5)


# -- ensure_secondary_ips: bad input changes nothing ---------------------------------------------


@pytest.mark.parametrize(
    ("addresses", "kwargs"),
    [
        (["10.0.1.300"], {"eni_id": ENI_A}),
        (["10.0.1"], {"eni_id": ENI_A}),
        (["2001:db8::1"], {"eni_id": ENI_A}),
        ([7], {"eni_id": ENI_A}),
        ("10.0.1.100", {"eni_id": ENI_A}),
        ([VIP], {"eni_id": ENI_A, "instance_id": I_A}),
        ([VIP], {}),
        ([VIP], {"eni_id": ENI_A, "device_index": 1}),
        ([VIP], {"eni_id": ENI_A, "state": "gone"}),
        ([VIP], {"eni_id": ENI_A, "wait_timeout": 0}),
    ],
    ids=[
        "octet",
        "short",
        "ipv6",
        "not-a-string",
        "not-a-list",
        "both-selectors",
        "no-selector",
        "device-index-with-eni",
        "state",
        "wait-timeout",
    ],
)
def test_invalid_requests_make_no_call(ec2, addresses, kwargs):
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_secondary_ips(ec2.api, addresses, **kwargs)
    failure(excinfo, "invalid")
    assert ec2.sent == []


def test_unknown_eni(ec2):
    ec2.error("describe_network_interfaces", "InvalidNetworkInterfaceID.NotFound", "does not exist", by_eni(ENI_C))
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_secondary_ips(ec2.api, [VIP], eni_id=ENI_C)
    assert "network interface %s does not exist in %s" % (ENI_C, REGION) in failure(excinfo, "not_found")
    assert excinfo.value.code == "InvalidNetworkInterfaceID.NotFound"
    assert ec2.mutating == []


def test_unknown_instance(ec2):
    ec2.ok("describe_network_interfaces", enis(), by_instance(I_C))
    ec2.ok("describe_instances", {"Reservations": []}, {"InstanceIds": [I_C]})
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_secondary_ips(ec2.api, [VIP], instance_id=I_C)
    assert "instance %s does not exist" % I_C in failure(excinfo, "not_found")
    assert ec2.mutating == []


def _before_assign(ec2, target, holders, cidr="10.0.1.0/24", ips=(VIP,)):
    ec2.ok("describe_network_interfaces", enis(target), by_eni(target["NetworkInterfaceId"]))
    ec2.ok("describe_subnets", subnet(target["SubnetId"], cidr))
    ec2.ok("describe_network_interfaces", enis(*holders), holders_of(*ips))


def test_address_outside_the_subnet(ec2):
    _before_assign(ec2, eni_a(), [], ips=["10.0.9.100"])
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_secondary_ips(ec2.api, ["10.0.9.100"], eni_id=ENI_A)
    message = failure(excinfo, "not_in_subnet")
    assert "10.0.9.100 is not in subnet %s (10.0.1.0/24)" % SUBNET_A in message
    assert "Pick an address in 10.0.1.0/24" in message
    # Nobody holds the address, so nothing would move: the cross-AZ "cannot move" hint does not apply.
    assert "cannot move" not in message
    assert "lives in exactly one subnet" not in message
    assert ec2.mutating == []


@pytest.mark.parametrize("ip", ["10.0.1.0", "10.0.1.1", "10.0.1.3", "10.0.1.255"])
def test_address_reserved_by_aws(ec2, ip):
    _before_assign(ec2, eni_a(), [], ips=[ip])
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_secondary_ips(ec2.api, [ip], eni_id=ENI_A)
    assert "reserved by AWS" in failure(excinfo, "not_in_subnet")
    assert ec2.mutating == []


def test_address_of_another_subnet_explains_the_cross_az_pattern(ec2):
    _before_assign(ec2, eni_c(), [eni_a(VIP)], cidr="10.0.2.0/24")
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_secondary_ips(ec2.api, [VIP], eni_id=ENI_C, allow_reassignment=True)
    message = failure(excinfo, "cross_subnet")
    assert "cannot move %s to %s" % (VIP, ENI_C) in message
    assert "(10.0.2.0/24). A secondary private IP lives in exactly one subnet" in message
    assert "rtc.ec2_fleet.elastic_ip" in message
    assert "reassociate it to the standby's own private address" in message
    assert ec2.mutating == []


def test_address_held_elsewhere_without_reassignment(ec2):
    _before_assign(ec2, eni_b(), [eni_a(VIP)])
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_secondary_ips(ec2.api, [VIP], eni_id=ENI_B)
    message = failure(excinfo, "address_in_use")
    assert "%s is already assigned to %s (instance %s)" % (VIP, ENI_A, I_A) in message
    assert "allow_reassignment: true" in message
    assert ec2.mutating == []


def test_primary_address_of_another_interface_never_moves(ec2):
    _before_assign(ec2, eni_b(), [eni_a()], ips=["10.0.1.10"])
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_secondary_ips(ec2.api, ["10.0.1.10"], eni_id=ENI_B, allow_reassignment=True)
    assert "primary private IP of %s" % ENI_A in failure(excinfo, "address_in_use")
    assert ec2.mutating == []


def test_own_primary_address_is_refused(ec2):
    ec2.ok("describe_network_interfaces", enis(eni_a()), by_eni(ENI_A))
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_secondary_ips(ec2.api, ["10.0.1.10"], eni_id=ENI_A, state="absent")
    assert "list only secondary addresses" in failure(excinfo, "invalid")
    assert ec2.mutating == []


def test_permission_denied_on_assign_names_the_action(ec2):
    _before_assign(ec2, eni_a(), [])
    ec2.error("assign_private_ip_addresses", "UnauthorizedOperation", "You are not authorized")
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_secondary_ips(ec2.api, [VIP], eni_id=ENI_A)
    failure(excinfo, "permission_denied")
    assert excinfo.value.action == "ec2:AssignPrivateIpAddresses"
    ec2.done()


# -- ensure_eip: call sequences ------------------------------------------------------------------


def associate_params(eni_id, private_ip, reassociate=False):
    params = {"AllocationId": ALLOC, "NetworkInterfaceId": eni_id, "PrivateIpAddress": private_ip}
    if reassociate:
        params["AllowReassociation"] = True
    return params


def test_eip_associate_with_a_secondary_address(ec2):
    ec2.ok("describe_addresses", addresses(address()), by_alloc())
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP)), by_eni(ENI_A))
    ec2.ok("describe_addresses", addresses(), on_pair(ENI_A, VIP))
    ec2.ok("associate_address", {"AssociationId": ASSOC}, associate_params(ENI_A, VIP))
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), verify_alloc())

    result = ensure_eip(ec2.api, allocation_id=ALLOC, eni_id=ENI_A, private_ip=VIP)

    assert result["changed"] is True
    assert (result["network_interface_id"], result["private_ip"], result["instance_id"]) == (ENI_A, VIP, I_A)
    assert result["association_id"] == ASSOC
    assert result["previous"] == {
        "network_interface_id": None,
        "private_ip": None,
        "instance_id": None,
        "association_id": None,
    }
    assert result["before"]["network_interface_id"] is None
    assert result["after"]["private_ip"] == VIP
    assert result["displaced"] is None
    assert "displaced" not in result["before"]
    assert ec2.sent == [
        "DescribeAddresses",
        "DescribeNetworkInterfaces",
        "DescribeAddresses",
        "AssociateAddress",
        "DescribeAddresses",
    ]
    ec2.done()


def test_eip_no_op_with_eni_and_private_ip_costs_one_call(ec2):
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), by_alloc())
    result = ensure_eip(ec2.api, allocation_id=ALLOC, eni_id=ENI_A, private_ip=VIP)
    assert result["changed"] is False
    assert result["previous"]["network_interface_id"] == ENI_A
    assert ec2.sent == ["DescribeAddresses"]


def test_eip_no_op_on_the_primary_address_costs_two_calls(ec2):
    ec2.ok("describe_addresses", addresses(address(ENI_A, "10.0.1.10", I_A, tags={"Name": "vip"})), by_tags(Name="vip"))
    ec2.ok("describe_network_interfaces", enis(eni_a()), by_instance(I_A))
    result = ensure_eip(ec2.api, tags={"Name": "vip"}, instance_id=I_A)
    assert result["changed"] is False
    assert ec2.sent == ["DescribeAddresses", "DescribeNetworkInterfaces"]


def test_eip_on_the_right_eni_but_the_wrong_private_ip_is_not_done(ec2):
    # amazon.aws.ec2_eip treats this as done; the pair is what matters.
    ec2.ok("describe_addresses", addresses(address(ENI_A, "10.0.1.10", I_A)), by_alloc())
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP)), by_eni(ENI_A))
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_eip(ec2.api, allocation_id=ALLOC, eni_id=ENI_A, private_ip=VIP)
    failure(excinfo, "eip_in_use")
    assert ec2.mutating == []

    ec2.ok("describe_addresses", addresses(address(ENI_A, "10.0.1.10", I_A)), by_alloc())
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP)), by_eni(ENI_A))
    ec2.ok("describe_addresses", addresses(), on_pair(ENI_A, VIP))
    ec2.ok("associate_address", {"AssociationId": ASSOC}, associate_params(ENI_A, VIP, reassociate=True))
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), verify_alloc())
    result = ensure_eip(ec2.api, allocation_id=ALLOC, eni_id=ENI_A, private_ip=VIP, allow_reassociation=True)
    assert result["changed"] is True
    assert result["previous"]["private_ip"] == "10.0.1.10"
    assert ec2.sent[2:] == [
        "DescribeAddresses",
        "DescribeNetworkInterfaces",
        "DescribeAddresses",
        "AssociateAddress",
        "DescribeAddresses",
    ]
    ec2.done()


def test_eip_cross_az_move_to_the_standby_primary(ec2):
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), {"PublicIps": [PUBLIC]})
    ec2.ok("describe_network_interfaces", enis(eni_c()), by_instance(I_C))
    ec2.ok("describe_addresses", addresses(), on_pair(ENI_C, "10.0.2.10"))
    ec2.ok(
        "associate_address", {"AssociationId": "eipassoc-0000000000000000f"}, associate_params(ENI_C, "10.0.2.10", True)
    )
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), verify_alloc())  # not yet
    ec2.ok(
        "describe_addresses",
        addresses(address(ENI_C, "10.0.2.10", I_C, association="eipassoc-0000000000000000f")),
        verify_alloc(),
    )

    result = ensure_eip(ec2.api, public_ip=PUBLIC, instance_id=I_C, allow_reassociation=True)

    assert (result["network_interface_id"], result["private_ip"]) == (ENI_C, "10.0.2.10")
    assert result["previous"] == {
        "network_interface_id": ENI_A,
        "private_ip": VIP,
        "instance_id": I_A,
        "association_id": ASSOC,
    }
    assert result["displaced"] is None
    assert ec2.sent == [
        "DescribeAddresses",
        "DescribeNetworkInterfaces",
        "DescribeAddresses",
        "AssociateAddress",
        "DescribeAddresses",
        "DescribeAddresses",
    ]
    assert len(ec2.time.sleeps) == 1
    ec2.done()


def test_eip_disassociate(ec2):
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), by_alloc())
    ec2.ok("disassociate_address", {}, {"AssociationId": ASSOC})
    ec2.ok("describe_addresses", addresses(address()), verify_alloc())

    result = ensure_eip(ec2.api, allocation_id=ALLOC, state="disassociated")

    assert (result["changed"], result["disassociated"], result["network_interface_id"]) == (True, True, None)
    assert result["previous"]["private_ip"] == VIP
    ec2.done()


def test_eip_disassociated_with_a_target_leaves_other_associations(ec2):
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), by_alloc())
    result = ensure_eip(ec2.api, allocation_id=ALLOC, eni_id=ENI_B, state="disassociated")
    assert result["changed"] is False
    assert result["network_interface_id"] == ENI_A
    assert ec2.sent == ["DescribeAddresses"]


def test_eip_release(ec2):
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), by_alloc())
    ec2.ok("disassociate_address", {}, {"AssociationId": ASSOC})
    ec2.ok("describe_addresses", addresses(address()), verify_alloc())
    ec2.ok("release_address", {}, {"AllocationId": ALLOC, "NetworkBorderGroup": REGION})
    ec2.ok("describe_addresses", addresses(), verify_alloc())

    result = ensure_eip(ec2.api, allocation_id=ALLOC, state="absent", release=True)

    assert (result["changed"], result["disassociated"], result["released"]) == (True, True, True)
    assert result["after"] == {}
    assert result["allocation_id"] == ALLOC
    ec2.done()


def test_eip_absent_when_already_gone(ec2):
    ec2.ok("describe_addresses", addresses(), by_tags(Name="vip"))
    result = ensure_eip(ec2.api, tags={"Name": "vip"}, state="absent", release=True)
    assert result["changed"] is False
    assert result["allocation_id"] is None


def test_eip_release_is_idempotent(ec2):
    ec2.error("describe_addresses", "InvalidAllocationID.NotFound", "The allocation ID does not exist", by_alloc())
    result = ensure_eip(ec2.api, allocation_id=ALLOC, state="absent", release=True)
    assert (result["changed"], result["released"], result["allocation_id"]) == (False, False, ALLOC)
    assert (result["before"], result["after"]) == ({}, {})
    assert ec2.sent == ["DescribeAddresses"]


def test_eip_allocate_tag_and_associate(ec2):
    ec2.ok("describe_addresses", addresses(), by_tags(Name="sip-vip"))
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP)), by_eni(ENI_A))
    ec2.ok("describe_addresses", addresses(), on_pair(ENI_A, VIP))
    ec2.ok(
        "allocate_address",
        {"AllocationId": ALLOC, "PublicIp": PUBLIC, "Domain": "vpc"},
        {
            "Domain": "vpc",
            "TagSpecifications": [{"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "sip-vip"}]}],
        },
    )
    ec2.ok("associate_address", {"AssociationId": ASSOC}, associate_params(ENI_A, VIP))
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A, tags={"Name": "sip-vip"})), verify_alloc())

    result = ensure_eip(ec2.api, tags={"Name": "sip-vip"}, allocate=True, eni_id=ENI_A, private_ip=VIP)

    assert (result["changed"], result["allocated"], result["public_ip"]) == (True, True, PUBLIC)
    assert result["tags"] == {"Name": "sip-vip"}
    assert ec2.sent == [
        "DescribeAddresses",
        "DescribeNetworkInterfaces",
        "DescribeAddresses",
        "AllocateAddress",
        "AssociateAddress",
        "DescribeAddresses",
    ]
    ec2.done()


def test_eip_allocate_in_check_mode(ec2):
    ec2.ok("describe_addresses", addresses(), by_tags(Name="sip-vip"))
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP)), by_eni(ENI_A))
    ec2.ok("describe_addresses", addresses(), on_pair(ENI_A, VIP))
    result = ensure_eip(ec2.api, tags={"Name": "sip-vip"}, allocate=True, eni_id=ENI_A, private_ip=VIP, check_mode=True)
    assert (result["changed"], result["allocated"], result["allocation_id"]) == (True, True, None)
    assert (result["network_interface_id"], result["private_ip"]) == (ENI_A, VIP)
    assert ec2.sent == ["DescribeAddresses", "DescribeNetworkInterfaces", "DescribeAddresses"]
    ec2.done()


def test_eip_move_in_check_mode(ec2):
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), by_alloc())
    ec2.ok("describe_network_interfaces", enis(eni_b(VIP)), by_eni(ENI_B))
    ec2.ok("describe_addresses", addresses(), on_pair(ENI_B, VIP))
    result = ensure_eip(
        ec2.api, allocation_id=ALLOC, eni_id=ENI_B, private_ip=VIP, allow_reassociation=True, check_mode=True
    )
    assert result["changed"] is True
    assert result["before"]["network_interface_id"] == ENI_A
    assert result["after"]["network_interface_id"] == ENI_B
    assert ec2.sent == ["DescribeAddresses", "DescribeNetworkInterfaces", "DescribeAddresses"]
    ec2.done()


def test_eip_tags_set_and_purged(ec2):
    ec2.ok("describe_addresses", addresses(address(tags={"Name": "old", "keep": "x", "aws:cfn": "y"})), by_alloc())
    ec2.ok("create_tags", {}, {"Resources": [ALLOC], "Tags": [{"Key": "Name", "Value": "sip-vip"}]})
    ec2.ok("delete_tags", {}, {"Resources": [ALLOC], "Tags": [{"Key": "keep"}]})
    ec2.ok("describe_addresses", addresses(address(tags={"Name": "sip-vip", "aws:cfn": "y"})), verify_alloc())

    result = ensure_eip(ec2.api, allocation_id=ALLOC, tags={"Name": "sip-vip"}, purge_tags=True)

    assert result["changed"] is True
    assert result["tags"] == {"Name": "sip-vip", "aws:cfn": "y"}
    assert result["before"]["tags"] == {"Name": "old", "keep": "x", "aws:cfn": "y"}
    ec2.done()


# -- ensure_eip: another Elastic IP already on the target pair -----------------------------------
# EC2 keeps one Elastic IP per private address: associating one with a pair that has another
# disassociates that one ("the existing address is disassociated"). That is a replacement, allowed
# only with allow_reassociation, and reported as displaced.


def _other_on_the_vip(ec2, own=None):
    ec2.ok("describe_addresses", addresses(own or address(tags={"Name": "b"})), by_tags(Name="b"))
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP)), by_eni(ENI_A))
    ec2.ok("describe_addresses", addresses(other_address(ENI_A, VIP, I_A)), on_pair(ENI_A, VIP))


@pytest.mark.parametrize("check_mode", [False, True], ids=["real", "check-mode"])
def test_eip_displacing_another_eip_is_refused_without_reassociation(ec2, check_mode):
    _other_on_the_vip(ec2)
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_eip(ec2.api, tags={"Name": "b"}, eni_id=ENI_A, private_ip=VIP, check_mode=check_mode)
    message = failure(excinfo, "eip_in_use")
    assert (
        "Elastic IP %s (%s) is already associated with %s on %s (instance %s)"
        % (
            OTHER_PUBLIC,
            OTHER_ALLOC,
            VIP,
            ENI_A,
            I_A,
        )
        in message
    )
    assert "associating Elastic IP %s (%s) there would disassociate it" % (PUBLIC, ALLOC) in message
    assert "Set allow_reassociation: true to replace it" in message
    assert "nothing was changed" in message
    assert ec2.sent == ["DescribeAddresses", "DescribeNetworkInterfaces", "DescribeAddresses"]
    assert ec2.mutating == []
    ec2.done()


def test_eip_displacing_another_eip_with_reassociation_reports_it(ec2):
    _other_on_the_vip(ec2)
    ec2.ok("associate_address", {"AssociationId": ASSOC}, associate_params(ENI_A, VIP))
    # Eventually consistent: the first read-back still shows the other Elastic IP on the pair.
    ec2.ok(
        "describe_addresses",
        addresses(address(ENI_A, VIP, I_A, tags={"Name": "b"}), other_address(ENI_A, VIP, I_A)),
        verify_alloc(ALLOC, OTHER_ALLOC),
    )
    ec2.ok(
        "describe_addresses",
        addresses(address(ENI_A, VIP, I_A, tags={"Name": "b"}), other_address()),
        verify_alloc(ALLOC, OTHER_ALLOC),
    )

    result = ensure_eip(ec2.api, tags={"Name": "b"}, eni_id=ENI_A, private_ip=VIP, allow_reassociation=True)

    assert result["changed"] is True
    assert (result["network_interface_id"], result["private_ip"], result["allocation_id"]) == (ENI_A, VIP, ALLOC)
    assert result["previous"]["network_interface_id"] is None
    assert result["displaced"] == {"allocation_id": OTHER_ALLOC, "public_ip": OTHER_PUBLIC}
    assert result["before"]["displaced"] == {"allocation_id": OTHER_ALLOC, "public_ip": OTHER_PUBLIC}
    assert "displaced" not in result["after"]
    assert ec2.sent == [
        "DescribeAddresses",
        "DescribeNetworkInterfaces",
        "DescribeAddresses",
        "AssociateAddress",
        "DescribeAddresses",
        "DescribeAddresses",
    ]
    assert len(ec2.time.sleeps) == 1
    ec2.done()


def test_eip_displacing_another_eip_in_check_mode(ec2):
    _other_on_the_vip(ec2)
    result = ensure_eip(
        ec2.api, tags={"Name": "b"}, eni_id=ENI_A, private_ip=VIP, allow_reassociation=True, check_mode=True
    )
    assert result["changed"] is True
    assert result["displaced"] == {"allocation_id": OTHER_ALLOC, "public_ip": OTHER_PUBLIC}
    assert result["before"]["displaced"] == result["displaced"]
    assert (result["after"]["network_interface_id"], result["after"]["private_ip"]) == (ENI_A, VIP)
    assert ec2.sent == ["DescribeAddresses", "DescribeNetworkInterfaces", "DescribeAddresses"]
    ec2.done()


def test_eip_allocation_that_would_displace_another_eip_is_refused(ec2):
    ec2.ok("describe_addresses", addresses(), by_tags(Name="b"))
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP)), by_eni(ENI_A))
    ec2.ok("describe_addresses", addresses(other_address(ENI_A, VIP, I_A)), on_pair(ENI_A, VIP))
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_eip(ec2.api, tags={"Name": "b"}, allocate=True, eni_id=ENI_A, private_ip=VIP)
    message = failure(excinfo, "eip_in_use")
    assert "Elastic IP %s (%s) is already associated with %s on %s" % (OTHER_PUBLIC, OTHER_ALLOC, VIP, ENI_A) in message
    assert "the Elastic IP to be allocated with the tags" in message
    assert ec2.mutating == []  # nothing allocated either
    ec2.done()


def test_eip_moved_onto_a_pair_with_another_eip_reports_both(ec2):
    # A takeover onto the standby's own address, where another Elastic IP sits: one refusal per reason.
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), by_alloc())
    ec2.ok("describe_network_interfaces", enis(eni_c()), by_eni(ENI_C))
    ec2.ok("describe_addresses", addresses(other_address(ENI_C, "10.0.2.10", I_C)), on_pair(ENI_C, "10.0.2.10"))
    ec2.ok("associate_address", {"AssociationId": ASSOC}, associate_params(ENI_C, "10.0.2.10", reassociate=True))
    ec2.ok(
        "describe_addresses",
        addresses(address(ENI_C, "10.0.2.10", I_C), other_address()),
        verify_alloc(ALLOC, OTHER_ALLOC),
    )

    result = ensure_eip(ec2.api, allocation_id=ALLOC, eni_id=ENI_C, allow_reassociation=True)

    assert (result["network_interface_id"], result["private_ip"]) == (ENI_C, "10.0.2.10")
    assert result["previous"]["network_interface_id"] == ENI_A
    assert result["displaced"] == {"allocation_id": OTHER_ALLOC, "public_ip": OTHER_PUBLIC}
    ec2.done()


def test_eip_displaced_that_never_leaves_is_a_timeout(ec2):
    _other_on_the_vip(ec2)
    ec2.ok("associate_address", {"AssociationId": ASSOC}, associate_params(ENI_A, VIP))
    for _attempt in range(20):
        ec2.ok(
            "describe_addresses",
            addresses(address(ENI_A, VIP, I_A, tags={"Name": "b"}), other_address(ENI_A, VIP, I_A)),
            verify_alloc(ALLOC, OTHER_ALLOC),
        )
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_eip(ec2.api, tags={"Name": "b"}, eni_id=ENI_A, private_ip=VIP, allow_reassociation=True, wait_timeout=3)
    message = failure(excinfo, "timeout")
    assert "and Elastic IP %s to leave it" % OTHER_ALLOC in message
    assert "Elastic IP %s still on %s on %s" % (OTHER_ALLOC, VIP, ENI_A) in message


def test_eip_own_association_found_on_the_pair_is_not_a_displacement(ec2):
    # The pair lookup may already show this very Elastic IP (eventual consistency): not another one.
    ec2.ok("describe_addresses", addresses(address(tags={"Name": "b"})), by_tags(Name="b"))
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP)), by_eni(ENI_A))
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), on_pair(ENI_A, VIP))
    result = ensure_eip(ec2.api, tags={"Name": "b"}, eni_id=ENI_A, private_ip=VIP, check_mode=True)
    assert (result["changed"], result["displaced"]) == (True, None)
    ec2.done()


def test_eip_no_op_makes_no_pair_lookup(ec2):
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), by_alloc())
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP)), by_instance(I_A))
    result = ensure_eip(ec2.api, allocation_id=ALLOC, instance_id=I_A, private_ip=VIP)
    assert (result["changed"], result["displaced"]) == (False, None)
    assert ec2.sent == ["DescribeAddresses", "DescribeNetworkInterfaces"]
    ec2.done()


# -- ensure_eip: bad input changes nothing -------------------------------------------------------


def test_eip_unknown_allocation(ec2):
    ec2.error("describe_addresses", "InvalidAllocationID.NotFound", "not found", by_alloc())
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_eip(ec2.api, allocation_id=ALLOC, eni_id=ENI_A)
    assert "Elastic IP allocation %s does not exist" % ALLOC in failure(excinfo, "not_found")
    assert ec2.mutating == []


def test_eip_unmatched_tags_without_allocate(ec2):
    ec2.ok("describe_addresses", addresses(), by_tags(Name="vip"))
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_eip(ec2.api, tags={"Name": "vip"}, eni_id=ENI_A)
    assert "allocate: true" in failure(excinfo, "not_found")


def test_eip_ambiguous_tags(ec2):
    other = dict(address(), AllocationId="eipalloc-0000000000000000f", PublicIp="203.0.113.11")
    ec2.ok("describe_addresses", addresses(address(), other), by_tags(Name="vip"))
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_eip(ec2.api, tags={"Name": "vip"}, eni_id=ENI_A)
    assert "2 Elastic IPs match" in failure(excinfo, "invalid")
    assert ec2.mutating == []


def test_eip_in_use_elsewhere_without_reassociation(ec2):
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), by_alloc())
    ec2.ok("describe_network_interfaces", enis(eni_c()), by_eni(ENI_C))
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_eip(ec2.api, allocation_id=ALLOC, eni_id=ENI_C)
    message = failure(excinfo, "eip_in_use")
    assert "is associated with %s on %s (instance %s)" % (VIP, ENI_A, I_A) in message
    assert "allow_reassociation: true" in message
    assert ec2.sent == ["DescribeAddresses", "DescribeNetworkInterfaces"]  # refused before the pair is looked up
    ec2.done()


def test_eip_private_ip_not_on_the_target(ec2):
    ec2.ok("describe_addresses", addresses(address()), by_alloc())
    ec2.ok("describe_network_interfaces", enis(eni_b()), by_eni(ENI_B))
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_eip(ec2.api, allocation_id=ALLOC, eni_id=ENI_B, private_ip=VIP)
    message = failure(excinfo, "not_on_eni")
    assert "private IP %s is not assigned to %s" % (VIP, ENI_B) in message
    assert "rtc.ec2_fleet.secondary_ip" in message
    assert ec2.mutating == []


def test_eip_private_ip_not_on_the_instance(ec2):
    ec2.ok("describe_addresses", addresses(address()), by_alloc())
    ec2.ok("describe_network_interfaces", enis(eni_b()), by_instance(I_B))
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_eip(ec2.api, allocation_id=ALLOC, instance_id=I_B, private_ip=VIP)
    failure(excinfo, "not_on_eni")
    assert ec2.mutating == []


def test_eip_release_refused_when_associated_elsewhere(ec2):
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), by_alloc())
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_eip(ec2.api, allocation_id=ALLOC, eni_id=ENI_B, state="absent", release=True)
    assert "not releasing" in failure(excinfo, "eip_in_use")
    assert ec2.mutating == []


def test_eip_permission_denied_on_associate(ec2):
    ec2.ok("describe_addresses", addresses(address()), by_alloc())
    ec2.ok("describe_network_interfaces", enis(eni_a()), by_eni(ENI_A))
    ec2.ok("describe_addresses", addresses(), on_pair(ENI_A, "10.0.1.10"))
    ec2.error("associate_address", "UnauthorizedOperation", "You are not authorized")
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_eip(ec2.api, allocation_id=ALLOC, eni_id=ENI_A)
    failure(excinfo, "permission_denied")
    assert excinfo.value.action == "ec2:AssociateAddress"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"allocation_id": ALLOC, "eni_id": ENI_A, "private_ip": "10.0.1.999"},
        {"public_ip": "203.0.113"},
        {"allocation_id": ALLOC, "public_ip": PUBLIC},
        {},
        {"allocation_id": ALLOC, "eni_id": ENI_A, "instance_id": I_A},
        {"allocation_id": ALLOC, "private_ip": VIP},
        {"allocation_id": ALLOC, "allocate": True},
        {"tags": {"Name": "x"}, "public_ip": PUBLIC, "allocate": True},
        {"allocate": True},
        {"allocation_id": ALLOC, "release": True},
        {"allocation_id": "eni-0000000000000000a"},
        {"allocation_id": ALLOC, "state": "moved"},
        {"tags": ["Name", "x"]},
    ],
    ids=[
        "malformed-private-ip",
        "malformed-public-ip",
        "two-eip-selectors",
        "no-eip-selector",
        "two-targets",
        "private-ip-without-target",
        "allocate-with-id",
        "allocate-with-public-ip",
        "allocate-without-tags",
        "release-when-present",
        "not-an-allocation-id",
        "state",
        "tags-not-a-dict",
    ],
)
def test_eip_invalid_requests_make_no_call(ec2, kwargs):
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_eip(ec2.api, **kwargs)
    failure(excinfo, "invalid")
    assert ec2.sent == []


def test_error_as_plain_data():
    error = FloatingIpError("m", "permission_denied", "ec2:AssociateAddress", "UnauthorizedOperation")
    assert error.to_dict() == {
        "msg": "m",
        "kind": "permission_denied",
        "action": "ec2:AssociateAddress",
        "code": "UnauthorizedOperation",
    }
    assert error.kind in floating_ip.KINDS
    assert FloatingIpError("m", "timeout").to_dict() == {"msg": "m", "kind": "timeout"}
