# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of rtc.ec2_fleet.secondary_ip, run through main() with a Stubber-backed EC2 client.

AnsibleAWSModule.client is patched to hand out the stubbed client (which points at a loopback port
nobody listens on), so the exact API call sequence of each case is asserted and nothing leaves
the machine.
"""

from __future__ import annotations

import aws_stub
import pytest
import yaml
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.floating_ip import DEFAULT_MAX_RETRIES, Ec2Api
from ansible_collections.rtc.ec2_fleet.plugins.modules import secondary_ip
from aws_stub import StubbedClient, stub_module_client

REGION = "eu-west-1"
VPC = "vpc-0000000000000000a"
SUBNET_A, SUBNET_B = "subnet-0000000000000000a", "subnet-0000000000000000b"
ENI_A, ENI_B, ENI_C = "eni-0000000000000000a", "eni-0000000000000000b", "eni-0000000000000000c"
I_A, I_B, I_C = "i-0000000000000000a", "i-0000000000000000b", "i-0000000000000000c"
VIP = "10.0.1.100"
CIDRS = {SUBNET_A: "10.0.1.0/24", SUBNET_B: "10.0.2.0/24"}


def eni(eni_id, primary, secondary=(), subnet=SUBNET_A, instance=None, device_index=0):
    item = {
        "NetworkInterfaceId": eni_id,
        "SubnetId": subnet,
        "VpcId": VPC,
        "PrivateIpAddress": primary,
        "PrivateIpAddresses": [{"PrivateIpAddress": primary, "Primary": True}]
        + [{"PrivateIpAddress": a, "Primary": False} for a in secondary],
    }
    if instance:
        item["Attachment"] = {"InstanceId": instance, "DeviceIndex": device_index}
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
    return {"Subnets": [{"SubnetId": subnet_id, "CidrBlock": cidr, "VpcId": VPC}]}


def holders_of(*ips):
    return {
        "Filters": [
            {"Name": "vpc-id", "Values": [VPC]},
            {"Name": "addresses.private-ip-address", "Values": list(ips)},
        ]
    }


def verify_enis(*eni_ids):
    return {"Filters": [{"Name": "network-interface-id", "Values": sorted(eni_ids)}]}


@pytest.fixture
def ec2(monkeypatch):
    stub = StubbedClient("ec2", REGION)
    stub_module_client(monkeypatch, stub, secondary_ip, "Ec2Api", Ec2Api)
    yield stub
    stub.close()


def run_module(capsys, args):
    return aws_stub.run_module(capsys, secondary_ip.main, args)


def first_run_calls(ec2, target=None, holders=(), ips=(VIP,)):
    target = target or eni_a()
    ec2.ok("describe_network_interfaces", enis(target), {"NetworkInterfaceIds": [target["NetworkInterfaceId"]]})
    ec2.ok("describe_subnets", subnet(target["SubnetId"], CIDRS[target["SubnetId"]]))
    ec2.ok("describe_network_interfaces", enis(*holders), holders_of(*ips))


# -- call sequences ------------------------------------------------------------------------------


def test_first_run(capsys, ec2):
    first_run_calls(ec2)
    ec2.ok("assign_private_ip_addresses", {}, {"NetworkInterfaceId": ENI_A, "PrivateIpAddresses": [VIP]})
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP)), verify_enis(ENI_A))

    code, result = run_module(capsys, {"eni_id": ENI_A, "addresses": [VIP]})

    assert code == 0, result
    assert result["changed"] is True
    assert result["network_interface_id"] == ENI_A
    assert result["addresses"] == [VIP]
    assert result["assigned"] == [VIP]
    assert result["moved_from"] == {}
    assert "diff" not in result
    assert ec2.sent == [
        "DescribeNetworkInterfaces",
        "DescribeSubnets",
        "DescribeNetworkInterfaces",
        "AssignPrivateIpAddresses",
        "DescribeNetworkInterfaces",
    ]
    assert ec2.clients_requested == [("ec2", None, {})]  # the library does the retries
    ec2.stubber.assert_no_pending_responses()


def test_no_op_costs_at_most_two_calls(capsys, ec2):
    ec2.ok(
        "describe_network_interfaces",
        enis(eni_a(VIP)),
        {"Filters": [{"Name": "attachment.instance-id", "Values": [I_A]}]},
    )

    code, result = run_module(capsys, {"instance_id": I_A, "addresses": [VIP]})

    assert code == 0
    assert result["changed"] is False
    assert result["addresses"] == [VIP]
    assert len(ec2.sent) <= 2
    assert ec2.sent == ["DescribeNetworkInterfaces"]


def test_move_with_reassignment(capsys, ec2):
    first_run_calls(ec2, eni_b(), [eni_a(VIP)])
    ec2.ok(
        "assign_private_ip_addresses",
        {},
        {"NetworkInterfaceId": ENI_B, "PrivateIpAddresses": [VIP], "AllowReassignment": True},
    )
    ec2.ok("describe_network_interfaces", enis(eni_a(), eni_b(VIP)), verify_enis(ENI_A, ENI_B))

    code, result = run_module(
        capsys, {"eni_id": ENI_B, "addresses": [VIP], "allow_reassignment": True, "_ansible_diff": True}
    )

    assert code == 0, result
    assert result["moved_from"] == {VIP: ENI_A}
    assert result["diff"] == {
        "before": {"network_interface_id": ENI_B, "addresses": []},
        "after": {"network_interface_id": ENI_B, "addresses": [VIP]},
    }
    ec2.stubber.assert_no_pending_responses()


def test_purge(capsys, ec2):
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP, "10.0.1.101")), {"NetworkInterfaceIds": [ENI_A]})
    ec2.ok("unassign_private_ip_addresses", {}, {"NetworkInterfaceId": ENI_A, "PrivateIpAddresses": ["10.0.1.101"]})
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP)), verify_enis(ENI_A))

    code, result = run_module(capsys, {"eni_id": ENI_A, "addresses": [VIP], "purge": True})

    assert code == 0, result
    assert (result["changed"], result["unassigned"], result["addresses"]) == (True, ["10.0.1.101"], [VIP])


def test_unassign(capsys, ec2):
    ec2.ok("describe_network_interfaces", enis(eni_a(VIP)), {"NetworkInterfaceIds": [ENI_A]})
    ec2.ok("unassign_private_ip_addresses", {}, {"NetworkInterfaceId": ENI_A, "PrivateIpAddresses": [VIP]})
    ec2.ok("describe_network_interfaces", enis(eni_a()), verify_enis(ENI_A))

    code, result = run_module(capsys, {"eni_id": ENI_A, "addresses": [VIP], "state": "absent"})

    assert code == 0, result
    assert (result["changed"], result["unassigned"], result["addresses"]) == (True, [VIP], [])


def test_check_mode_reads_only_and_shows_the_diff(capsys, ec2):
    first_run_calls(ec2, eni_b(), [eni_a(VIP)])

    code, result = run_module(
        capsys,
        {
            "eni_id": ENI_B,
            "addresses": [VIP],
            "allow_reassignment": True,
            "_ansible_check_mode": True,
            "_ansible_diff": True,
        },
    )

    assert code == 0, result
    assert result["changed"] is True
    assert result["moved_from"] == {VIP: ENI_A}
    assert result["diff"]["after"]["addresses"] == [VIP]
    assert ec2.mutating == []
    ec2.stubber.assert_no_pending_responses()


# -- bad input: a clear error, and no change -----------------------------------------------------


def assert_failed(code, result, kind):
    assert code == 1, result
    assert result["failed"] is True
    assert result["kind"] == kind, result


def test_unknown_eni(capsys, ec2):
    ec2.error(
        "describe_network_interfaces", "InvalidNetworkInterfaceID.NotFound", "The networkInterface ID does not exist"
    )
    code, result = run_module(capsys, {"eni_id": ENI_C, "addresses": [VIP]})
    assert_failed(code, result, "not_found")
    assert "network interface %s does not exist" % ENI_C in result["msg"]
    assert result["code"] == "InvalidNetworkInterfaceID.NotFound"
    assert ec2.mutating == []


def test_unknown_instance(capsys, ec2):
    ec2.ok("describe_network_interfaces", enis())
    ec2.error("describe_instances", "InvalidInstanceID.NotFound", "The instance ID does not exist")
    code, result = run_module(capsys, {"instance_id": I_C, "addresses": [VIP]})
    assert_failed(code, result, "not_found")
    assert "instance %s does not exist" % I_C in result["msg"]
    assert ec2.mutating == []


def test_address_outside_the_subnet(capsys, ec2):
    first_run_calls(ec2, ips=["10.0.7.100"])
    code, result = run_module(capsys, {"eni_id": ENI_A, "addresses": ["10.0.7.100"]})
    assert_failed(code, result, "not_in_subnet")
    assert ec2.mutating == []


def test_address_of_another_subnet(capsys, ec2):
    first_run_calls(ec2, eni_c(), [eni_a(VIP)])
    code, result = run_module(capsys, {"eni_id": ENI_C, "addresses": [VIP], "allow_reassignment": True})
    assert_failed(code, result, "cross_subnet")
    assert "rtc.ec2_fleet.elastic_ip" in result["msg"]
    assert ec2.mutating == []


def test_address_held_elsewhere_without_reassignment(capsys, ec2):
    first_run_calls(ec2, eni_b(), [eni_a(VIP)])
    code, result = run_module(capsys, {"eni_id": ENI_B, "addresses": [VIP]})
    assert_failed(code, result, "address_in_use")
    assert "allow_reassignment" in result["msg"]
    assert ec2.mutating == []


def test_malformed_address(capsys, ec2):
    code, result = run_module(capsys, {"eni_id": ENI_A, "addresses": ["10.0.1.256"]})
    assert_failed(code, result, "invalid")
    assert "malformed address '10.0.1.256'" in result["msg"]
    assert ec2.sent == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"eni_id": ENI_A, "instance_id": I_A}, "parameters are mutually exclusive: eni_id|instance_id"),
        ({"eni_id": ENI_A, "device_index": 1}, "parameters are mutually exclusive: eni_id|device_index"),
        ({}, "one of the following is required: eni_id, instance_id"),
    ],
    ids=["eni-and-instance", "eni-and-device-index", "neither"],
)
def test_selectors(capsys, ec2, args, message):
    code, result = run_module(capsys, dict(args, addresses=[VIP]))
    assert code == 1
    assert message in result["msg"]
    assert ec2.sent == []


def test_permission_denied_names_the_action(capsys, ec2):
    first_run_calls(ec2)
    ec2.error(
        "assign_private_ip_addresses", "UnauthorizedOperation", "You are not authorized to perform this operation."
    )
    code, result = run_module(capsys, {"eni_id": ENI_A, "addresses": [VIP]})
    assert_failed(code, result, "permission_denied")
    assert result["action"] == "ec2:AssignPrivateIpAddresses"
    assert "allow ec2:AssignPrivateIpAddresses" in result["msg"]


def test_throttling_past_the_budget(capsys, ec2):
    for _attempt in range(DEFAULT_MAX_RETRIES + 1):
        ec2.error("describe_network_interfaces", "RequestLimitExceeded", "Request limit exceeded.")
    code, result = run_module(capsys, {"eni_id": ENI_A, "addresses": [VIP]})
    assert_failed(code, result, "throttled")
    assert result["action"] == "ec2:DescribeNetworkInterfaces"
    assert len(ec2.sleeps) == DEFAULT_MAX_RETRIES
    assert ec2.mutating == []
    ec2.stubber.assert_no_pending_responses()


def test_an_address_that_never_shows_fails(capsys, ec2):
    first_run_calls(ec2)
    ec2.ok("assign_private_ip_addresses", {})
    for _attempt in range(10):
        ec2.ok("describe_network_interfaces", enis(eni_a()), verify_enis(ENI_A))
    code, result = run_module(capsys, {"eni_id": ENI_A, "addresses": [VIP], "wait_timeout": 2})
    assert_failed(code, result, "timeout")
    assert "timed out after 2s" in result["msg"]


# -- documentation -------------------------------------------------------------------------------


def test_documentation_matches_the_argument_spec():
    doc = yaml.safe_load(secondary_ip.DOCUMENTATION)
    spec = secondary_ip.ARGUMENT_SPEC
    assert doc["module"] == "secondary_ip"
    assert doc["version_added"] == "0.1.0"
    assert doc["author"] == ["rtc.ec2_fleet developers (!UNKNOWN)"]
    assert {"amazon.aws.common.modules", "amazon.aws.region.modules", "amazon.aws.boto3"} <= set(
        doc["extends_documentation_fragment"]
    )
    assert set(doc["options"]) == set(spec)
    for name, option in doc["options"].items():
        assert option["type"] == spec[name]["type"], name
        assert option.get("default") == spec[name].get("default"), name
        assert option.get("choices") == spec[name].get("choices"), name
        assert option.get("elements") == spec[name].get("elements"), name
    yaml.safe_load(secondary_ip.EXAMPLES)
    returned = yaml.safe_load(secondary_ip.RETURN)
    assert {"network_interface_id", "addresses", "moved_from"} <= set(returned)
