# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of rtc.ec2_fleet.elastic_ip, run through main() with a Stubber-backed EC2 client.

AnsibleAWSModule.client is patched to hand out the stubbed client (which points at a loopback port
nobody listens on), so the exact API call sequence of each case is asserted and nothing leaves
the machine.
"""

from __future__ import annotations

import aws_stub
import pytest
import yaml
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.floating_ip import DEFAULT_MAX_RETRIES, Ec2Api
from ansible_collections.rtc.ec2_fleet.plugins.modules import elastic_ip
from aws_stub import StubbedClient, stub_module_client

REGION = "eu-west-1"
VPC = "vpc-0000000000000000a"
SUBNET_A, SUBNET_B = "subnet-0000000000000000a", "subnet-0000000000000000b"
ENI_A, ENI_B, ENI_C = "eni-0000000000000000a", "eni-0000000000000000b", "eni-0000000000000000c"
I_A, I_B, I_C = "i-0000000000000000a", "i-0000000000000000b", "i-0000000000000000c"
ALLOC, ASSOC, ASSOC2 = "eipalloc-0000000000000000e", "eipassoc-0000000000000000e", "eipassoc-0000000000000000f"
PUBLIC = "203.0.113.10"
OTHER_ALLOC, OTHER_ASSOC, OTHER_PUBLIC = "eipalloc-0000000000000000d", "eipassoc-0000000000000000d", "203.0.113.20"
VIP = "10.0.1.100"


def eni(eni_id, primary, secondary=(), subnet=SUBNET_A, instance=None):
    item = {
        "NetworkInterfaceId": eni_id,
        "SubnetId": subnet,
        "VpcId": VPC,
        "PrivateIpAddress": primary,
        "PrivateIpAddresses": [{"PrivateIpAddress": primary, "Primary": True}]
        + [{"PrivateIpAddress": a, "Primary": False} for a in secondary],
    }
    if instance:
        item["Attachment"] = {"InstanceId": instance, "DeviceIndex": 0}
    return item


def enis(*items):
    return {"NetworkInterfaces": list(items)}


def address(eni_id=None, private_ip=None, instance=None, tags=None, association=ASSOC):
    item = {"AllocationId": ALLOC, "PublicIp": PUBLIC, "Domain": "vpc"}
    if eni_id:
        item.update(NetworkInterfaceId=eni_id, PrivateIpAddress=private_ip, AssociationId=association)
        if instance:
            item["InstanceId"] = instance
    item["Tags"] = [{"Key": k, "Value": v} for k, v in (tags or {}).items()]
    return item


def other_address(eni_id=None, private_ip=None, instance=None):
    item = address(eni_id, private_ip, instance, tags={"Name": "a"}, association=OTHER_ASSOC)
    item.update(AllocationId=OTHER_ALLOC, PublicIp=OTHER_PUBLIC)
    return item


def addresses(*items):
    return {"Addresses": list(items)}


BY_ALLOC = {"AllocationIds": [ALLOC]}
VERIFY = {"Filters": [{"Name": "allocation-id", "Values": [ALLOC]}]}
VERIFY_BOTH = {"Filters": [{"Name": "allocation-id", "Values": [ALLOC, OTHER_ALLOC]}]}


def on_pair(eni_id, private_ip):
    """The lookup of an EIP already on the target pair, made before every association."""
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


@pytest.fixture
def ec2(monkeypatch):
    stub = StubbedClient("ec2", REGION)
    stub_module_client(monkeypatch, stub, elastic_ip, "Ec2Api", Ec2Api)
    yield stub
    stub.close()


def run_module(capsys, args):
    return aws_stub.run_module(capsys, elastic_ip.main, args)


def associate(eni_id, private_ip, reassociate=False):
    params = {"AllocationId": ALLOC, "NetworkInterfaceId": eni_id, "PrivateIpAddress": private_ip}
    if reassociate:
        params["AllowReassociation"] = True
    return params


# -- call sequences ------------------------------------------------------------------------------


def test_associate(capsys, ec2):
    ec2.ok("describe_addresses", addresses(address()), BY_ALLOC)
    ec2.ok("describe_network_interfaces", enis(eni(ENI_A, "10.0.1.10", [VIP], instance=I_A)))
    ec2.ok("describe_addresses", addresses(), on_pair(ENI_A, VIP))
    ec2.ok("associate_address", {"AssociationId": ASSOC}, associate(ENI_A, VIP))
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), VERIFY)

    code, result = run_module(
        capsys, {"allocation_id": ALLOC, "eni_id": ENI_A, "private_ip": VIP, "_ansible_diff": True}
    )

    assert code == 0, result
    assert result["changed"] is True
    for key, value in {
        "allocation_id": ALLOC,
        "public_ip": PUBLIC,
        "association_id": ASSOC,
        "network_interface_id": ENI_A,
        "private_ip": VIP,
        "instance_id": I_A,
    }.items():
        assert result[key] == value, key
    assert result["previous"]["network_interface_id"] is None
    assert result["displaced"] is None
    assert result["diff"]["before"]["network_interface_id"] is None
    assert "displaced" not in result["diff"]["before"]
    assert (result["diff"]["after"]["network_interface_id"], result["diff"]["after"]["private_ip"]) == (ENI_A, VIP)
    assert ec2.sent == [
        "DescribeAddresses",
        "DescribeNetworkInterfaces",
        "DescribeAddresses",
        "AssociateAddress",
        "DescribeAddresses",
    ]
    assert ec2.clients_requested == [("ec2", None, {})]  # the library does the retries
    ec2.stubber.assert_no_pending_responses()


def test_no_op_costs_at_most_two_calls(capsys, ec2):
    ec2.ok("describe_addresses", addresses(address(ENI_A, "10.0.1.10", I_A, tags={"Name": "vip"})), by_tags(Name="vip"))
    ec2.ok("describe_network_interfaces", enis(eni(ENI_A, "10.0.1.10", instance=I_A)), {"NetworkInterfaceIds": [ENI_A]})

    code, result = run_module(capsys, {"tags": {"Name": "vip"}, "eni_id": ENI_A})

    assert code == 0, result
    assert result["changed"] is False
    assert result["displaced"] is None
    assert ec2.sent == ["DescribeAddresses", "DescribeNetworkInterfaces"]  # no pair lookup without a change


def test_move_with_reassociation(capsys, ec2):
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), {"PublicIps": [PUBLIC]})
    ec2.ok("describe_network_interfaces", enis(eni(ENI_C, "10.0.2.10", subnet=SUBNET_B, instance=I_C)))
    ec2.ok("describe_addresses", addresses(), on_pair(ENI_C, "10.0.2.10"))
    ec2.ok("associate_address", {"AssociationId": ASSOC2}, associate(ENI_C, "10.0.2.10", reassociate=True))
    ec2.ok("describe_addresses", addresses(address(ENI_C, "10.0.2.10", I_C, association=ASSOC2)), VERIFY)

    code, result = run_module(capsys, {"public_ip": PUBLIC, "instance_id": I_C, "allow_reassociation": True})

    assert code == 0, result
    assert (result["network_interface_id"], result["private_ip"], result["association_id"]) == (
        ENI_C,
        "10.0.2.10",
        ASSOC2,
    )
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
    ]
    ec2.stubber.assert_no_pending_responses()


def test_disassociate(capsys, ec2):
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), BY_ALLOC)
    ec2.ok("disassociate_address", {}, {"AssociationId": ASSOC})
    ec2.ok("describe_addresses", addresses(address()), VERIFY)

    code, result = run_module(capsys, {"allocation_id": ALLOC, "state": "disassociated"})

    assert code == 0, result
    assert (result["changed"], result["disassociated"], result["association_id"]) == (True, True, None)
    assert result["previous"]["association_id"] == ASSOC


def test_release(capsys, ec2):
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A, tags={"Name": "vip"})), by_tags(Name="vip"))
    ec2.ok("disassociate_address", {}, {"AssociationId": ASSOC})
    ec2.ok("describe_addresses", addresses(address(tags={"Name": "vip"})), VERIFY)
    ec2.ok("release_address", {}, {"AllocationId": ALLOC})
    ec2.ok("describe_addresses", addresses(), VERIFY)

    code, result = run_module(capsys, {"tags": {"Name": "vip"}, "state": "absent", "release": True})

    assert code == 0, result
    assert (result["changed"], result["released"], result["allocation_id"]) == (True, True, ALLOC)
    assert ec2.sent == [
        "DescribeAddresses",
        "DisassociateAddress",
        "DescribeAddresses",
        "ReleaseAddress",
        "DescribeAddresses",
    ]


def test_allocate(capsys, ec2):
    ec2.ok("describe_addresses", addresses(), by_tags(Name="sip-vip"))
    ec2.ok("describe_network_interfaces", enis(eni(ENI_A, "10.0.1.10", instance=I_A)))
    ec2.ok("describe_addresses", addresses(), on_pair(ENI_A, "10.0.1.10"))
    ec2.ok(
        "allocate_address",
        {"AllocationId": ALLOC, "PublicIp": PUBLIC},
        {
            "Domain": "vpc",
            "TagSpecifications": [{"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "sip-vip"}]}],
        },
    )
    ec2.ok("associate_address", {"AssociationId": ASSOC}, associate(ENI_A, "10.0.1.10"))
    ec2.ok("describe_addresses", addresses(address(ENI_A, "10.0.1.10", I_A, tags={"Name": "sip-vip"})), VERIFY)

    code, result = run_module(capsys, {"tags": {"Name": "sip-vip"}, "allocate": True, "eni_id": ENI_A})

    assert code == 0, result
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
    ec2.stubber.assert_no_pending_responses()


def test_check_mode_reads_only(capsys, ec2):
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), BY_ALLOC)
    ec2.ok("describe_network_interfaces", enis(eni(ENI_B, "10.0.1.11", [VIP], instance=I_B)))
    ec2.ok("describe_addresses", addresses(), on_pair(ENI_B, VIP))

    code, result = run_module(
        capsys,
        {
            "allocation_id": ALLOC,
            "eni_id": ENI_B,
            "private_ip": VIP,
            "allow_reassociation": True,
            "_ansible_check_mode": True,
            "_ansible_diff": True,
        },
    )

    assert code == 0, result
    assert result["changed"] is True
    assert result["diff"]["before"]["network_interface_id"] == ENI_A
    assert result["diff"]["after"]["network_interface_id"] == ENI_B
    assert ec2.sent == ["DescribeAddresses", "DescribeNetworkInterfaces", "DescribeAddresses"]
    ec2.stubber.assert_no_pending_responses()


# -- another EIP already on the target pair: EC2 would disassociate it ---------------------------


def _other_on_the_vip(ec2):
    ec2.ok("describe_addresses", addresses(address(tags={"Name": "b"})), by_tags(Name="b"))
    ec2.ok("describe_network_interfaces", enis(eni(ENI_A, "10.0.1.10", [VIP], instance=I_A)))
    ec2.ok("describe_addresses", addresses(other_address(ENI_A, VIP, I_A)), on_pair(ENI_A, VIP))


@pytest.mark.parametrize("check_mode", [False, True], ids=["real", "check-mode"])
def test_displacing_another_eip_is_refused_by_default(capsys, ec2, check_mode):
    _other_on_the_vip(ec2)
    code, result = run_module(
        capsys, {"tags": {"Name": "b"}, "eni_id": ENI_A, "private_ip": VIP, "_ansible_check_mode": check_mode}
    )
    assert code == 1, result
    assert (result["failed"], result["kind"]) == (True, "eip_in_use")
    for part in (
        OTHER_PUBLIC,
        OTHER_ALLOC,
        PUBLIC,
        ALLOC,
        VIP,
        ENI_A,
        "allow_reassociation: true",
        "nothing was changed",
    ):
        assert part in result["msg"], part
    assert ec2.sent == ["DescribeAddresses", "DescribeNetworkInterfaces", "DescribeAddresses"]
    assert ec2.mutating == []
    ec2.stubber.assert_no_pending_responses()


def test_displacing_another_eip_with_reassociation(capsys, ec2):
    _other_on_the_vip(ec2)
    ec2.ok("associate_address", {"AssociationId": ASSOC}, associate(ENI_A, VIP))
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A, tags={"Name": "b"}), other_address()), VERIFY_BOTH)

    code, result = run_module(
        capsys,
        {"tags": {"Name": "b"}, "eni_id": ENI_A, "private_ip": VIP, "allow_reassociation": True, "_ansible_diff": True},
    )

    assert code == 0, result
    assert result["changed"] is True
    assert (result["network_interface_id"], result["private_ip"], result["association_id"]) == (ENI_A, VIP, ASSOC)
    assert result["displaced"] == {"allocation_id": OTHER_ALLOC, "public_ip": OTHER_PUBLIC}
    assert result["diff"]["before"]["displaced"] == {"allocation_id": OTHER_ALLOC, "public_ip": OTHER_PUBLIC}
    assert result["diff"]["before"]["network_interface_id"] is None
    assert "displaced" not in result["diff"]["after"]
    assert ec2.sent == [
        "DescribeAddresses",
        "DescribeNetworkInterfaces",
        "DescribeAddresses",
        "AssociateAddress",
        "DescribeAddresses",
    ]
    ec2.stubber.assert_no_pending_responses()


def test_displacing_another_eip_in_check_mode(capsys, ec2):
    _other_on_the_vip(ec2)
    code, result = run_module(
        capsys,
        {
            "tags": {"Name": "b"},
            "eni_id": ENI_A,
            "private_ip": VIP,
            "allow_reassociation": True,
            "_ansible_check_mode": True,
            "_ansible_diff": True,
        },
    )
    assert code == 0, result
    assert result["changed"] is True
    assert result["displaced"] == {"allocation_id": OTHER_ALLOC, "public_ip": OTHER_PUBLIC}
    assert result["diff"]["before"]["displaced"] == result["displaced"]
    assert ec2.mutating == []
    ec2.stubber.assert_no_pending_responses()


def test_check_mode_release(capsys, ec2):
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), BY_ALLOC)
    code, result = run_module(
        capsys, {"allocation_id": ALLOC, "state": "absent", "release": True, "_ansible_check_mode": True}
    )
    assert code == 0, result
    assert (result["changed"], result["released"]) == (True, True)
    assert ec2.mutating == []


# -- bad input: a clear error, and no change -----------------------------------------------------


def assert_failed(code, result, kind):
    assert code == 1, result
    assert result["failed"] is True
    assert result["kind"] == kind, result


def test_unknown_allocation(capsys, ec2):
    ec2.error("describe_addresses", "InvalidAllocationID.NotFound", "The allocation ID does not exist")
    code, result = run_module(capsys, {"allocation_id": ALLOC, "eni_id": ENI_A})
    assert_failed(code, result, "not_found")
    assert ec2.mutating == []


def test_unknown_eni(capsys, ec2):
    ec2.ok("describe_addresses", addresses(address()), BY_ALLOC)
    ec2.error("describe_network_interfaces", "InvalidNetworkInterfaceID.NotFound", "does not exist")
    code, result = run_module(capsys, {"allocation_id": ALLOC, "eni_id": ENI_C})
    assert_failed(code, result, "not_found")
    assert ec2.mutating == []


def test_unknown_instance(capsys, ec2):
    ec2.ok("describe_addresses", addresses(address()), BY_ALLOC)
    ec2.ok("describe_network_interfaces", enis())
    ec2.ok("describe_instances", {"Reservations": []})
    code, result = run_module(capsys, {"allocation_id": ALLOC, "instance_id": I_C})
    assert_failed(code, result, "not_found")
    assert "instance %s does not exist" % I_C in result["msg"]
    assert ec2.mutating == []


def test_in_use_elsewhere_without_reassociation(capsys, ec2):
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), BY_ALLOC)
    ec2.ok("describe_network_interfaces", enis(eni(ENI_B, "10.0.1.11", instance=I_B)))
    code, result = run_module(capsys, {"allocation_id": ALLOC, "eni_id": ENI_B})
    assert_failed(code, result, "eip_in_use")
    assert "allow_reassociation: true" in result["msg"]
    assert ec2.sent == ["DescribeAddresses", "DescribeNetworkInterfaces"]  # refused before the pair lookup


def test_private_ip_not_on_the_target(capsys, ec2):
    ec2.ok("describe_addresses", addresses(address()), BY_ALLOC)
    ec2.ok("describe_network_interfaces", enis(eni(ENI_B, "10.0.1.11", instance=I_B)))
    code, result = run_module(capsys, {"allocation_id": ALLOC, "eni_id": ENI_B, "private_ip": VIP})
    assert_failed(code, result, "not_on_eni")
    assert ec2.mutating == []


@pytest.mark.parametrize(
    "args",
    [{"allocation_id": ALLOC, "eni_id": ENI_A, "private_ip": "10.0.1.1000"}, {"public_ip": "203.0.113"}],
    ids=["private", "public"],
)
def test_malformed_ip(capsys, ec2, args):
    code, result = run_module(capsys, args)
    assert_failed(code, result, "invalid")
    assert "malformed" in result["msg"]
    assert ec2.sent == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"allocation_id": ALLOC, "public_ip": PUBLIC}, "mutually exclusive: allocation_id|public_ip"),
        ({"allocation_id": ALLOC, "eni_id": ENI_A, "instance_id": I_A}, "mutually exclusive: eni_id|instance_id"),
        ({"allocation_id": ALLOC, "allocate": True}, "mutually exclusive: allocation_id|allocate"),
        ({"eni_id": ENI_A}, "one of the following is required: allocation_id, public_ip, tags"),
        ({"public_ip": PUBLIC, "allocate": True}, "mutually exclusive: public_ip|allocate"),
        ({"allocation_id": ALLOC, "release": True}, "release goes with state=absent"),
        ({"allocation_id": ALLOC, "private_ip": VIP}, "private_ip needs a target"),
    ],
    ids=[
        "allocation-and-public-ip",
        "eni-and-instance",
        "allocation-and-allocate",
        "no-eip",
        "public-ip-and-allocate",
        "release-when-present",
        "private-ip-without-target",
    ],
)
def test_selectors(capsys, ec2, args, message):
    code, result = run_module(capsys, args)
    assert code == 1
    assert message in result["msg"]
    assert ec2.sent == []


def test_permission_denied_names_the_action(capsys, ec2):
    ec2.ok("describe_addresses", addresses(address(ENI_A, VIP, I_A)), BY_ALLOC)
    ec2.error("disassociate_address", "UnauthorizedOperation", "You are not authorized to perform this operation.")
    code, result = run_module(capsys, {"allocation_id": ALLOC, "state": "disassociated"})
    assert_failed(code, result, "permission_denied")
    assert result["action"] == "ec2:DisassociateAddress"
    assert result["code"] == "UnauthorizedOperation"


def test_throttling_past_the_budget(capsys, ec2):
    ec2.ok("describe_addresses", addresses(address()), BY_ALLOC)
    ec2.ok("describe_network_interfaces", enis(eni(ENI_A, "10.0.1.10", instance=I_A)))
    ec2.ok("describe_addresses", addresses(), on_pair(ENI_A, "10.0.1.10"))
    for _attempt in range(DEFAULT_MAX_RETRIES + 1):
        ec2.error("associate_address", "RequestLimitExceeded", "Request limit exceeded.")
    code, result = run_module(capsys, {"allocation_id": ALLOC, "eni_id": ENI_A})
    assert_failed(code, result, "throttled")
    assert result["action"] == "ec2:AssociateAddress"
    assert len(ec2.sleeps) == DEFAULT_MAX_RETRIES
    ec2.stubber.assert_no_pending_responses()


def test_an_association_that_never_shows_fails(capsys, ec2):
    ec2.ok("describe_addresses", addresses(address()), BY_ALLOC)
    ec2.ok("describe_network_interfaces", enis(eni(ENI_A, "10.0.1.10", instance=I_A)))
    ec2.ok("describe_addresses", addresses(), on_pair(ENI_A, "10.0.1.10"))
    ec2.ok("associate_address", {"AssociationId": ASSOC})
    for _attempt in range(10):
        ec2.ok("describe_addresses", addresses(address()), VERIFY)
    code, result = run_module(capsys, {"allocation_id": ALLOC, "eni_id": ENI_A, "wait_timeout": 2})
    assert_failed(code, result, "timeout")


# -- documentation -------------------------------------------------------------------------------


def test_documentation_matches_the_argument_spec():
    doc = yaml.safe_load(elastic_ip.DOCUMENTATION)
    spec = elastic_ip.ARGUMENT_SPEC
    assert doc["module"] == "elastic_ip"
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
    examples = yaml.safe_load(elastic_ip.EXAMPLES)
    assert any("module_defaults" in task for task in examples)
    returned = yaml.safe_load(elastic_ip.RETURN)
    assert {
        "allocation_id",
        "public_ip",
        "association_id",
        "network_interface_id",
        "private_ip",
        "previous",
        "displaced",
    } <= set(returned)
    assert set(returned["displaced"]["contains"]) == {"allocation_id", "public_ip"}
