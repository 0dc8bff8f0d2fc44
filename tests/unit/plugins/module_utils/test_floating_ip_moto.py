# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The floating-IP library against the lab's AWS endpoint (in-process moto with EC2's documented semantics
restored by lab/rtc_lab/moto_corrections.py), on 127.0.0.1 and a free port.

A quick end-to-end check of what the Stubber tests assert call by call: the library's requests are
the ones EC2 understands, the read-back sees the change, and a refused request changes nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import boto3
import pytest
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.floating_ip import (
    Ec2Api,
    FloatingIpError,
    ensure_eip,
    ensure_secondary_ips,
)

LAB_DIR = Path(__file__).resolve().parents[4] / "lab"
REGION = "us-east-1"


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


@pytest.fixture
def ec2(endpoint_url):
    return boto3.client(
        "ec2",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


class Pair:
    """Two nodes in one subnet (same AZ) and a third in another subnet (the other AZ)."""

    def __init__(self, ec2):
        self.ec2 = ec2
        self.vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
        self.subnet_a = ec2.create_subnet(VpcId=self.vpc, CidrBlock="10.77.1.0/24", AvailabilityZone="us-east-1a")
        self.subnet_b = ec2.create_subnet(VpcId=self.vpc, CidrBlock="10.77.2.0/24", AvailabilityZone="us-east-1b")
        self.eni_a = self._eni(self.subnet_a)
        self.eni_b = self._eni(self.subnet_a)
        self.eni_c = self._eni(self.subnet_b)

    def _eni(self, subnet):
        return self.ec2.create_network_interface(SubnetId=subnet["Subnet"]["SubnetId"])["NetworkInterface"][
            "NetworkInterfaceId"
        ]

    def holders(self, ip):
        answer = self.ec2.describe_network_interfaces(
            Filters=[{"Name": "addresses.private-ip-address", "Values": [ip]}, {"Name": "vpc-id", "Values": [self.vpc]}]
        )
        return [eni["NetworkInterfaceId"] for eni in answer["NetworkInterfaces"]]

    def primary(self, eni_id):
        return self.ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0][
            "PrivateIpAddress"
        ]

    def snapshot(self):
        enis = self.ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [self.vpc]}])
        addresses = self.ec2.describe_addresses()["Addresses"]
        return (
            sorted(
                (e["NetworkInterfaceId"], sorted(a["PrivateIpAddress"] for a in e["PrivateIpAddresses"]))
                for e in enis["NetworkInterfaces"]
            ),
            sorted((a["AllocationId"], a.get("NetworkInterfaceId"), a.get("PrivateIpAddress")) for a in addresses),
        )


def test_takeover_and_back(ec2):
    pair = Pair(ec2)
    vip = "10.77.1.100"

    first = ensure_secondary_ips(Ec2Api(ec2), [vip], eni_id=pair.eni_a)
    eip = ensure_eip(Ec2Api(ec2), tags={"rtc-test": "vip"}, allocate=True, eni_id=pair.eni_a, private_ip=vip)
    assert first["changed"] and eip["allocated"]

    api = Ec2Api(ec2)
    again = ensure_secondary_ips(api, [vip], eni_id=pair.eni_a)
    assert again["changed"] is False
    assert api.calls == ["describe_network_interfaces"]

    before = pair.snapshot()
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_secondary_ips(Ec2Api(ec2), [vip], eni_id=pair.eni_b)
    assert excinfo.value.kind == "address_in_use"
    assert pair.snapshot() == before

    moved = ensure_secondary_ips(Ec2Api(ec2), [vip], eni_id=pair.eni_b, allow_reassignment=True)
    assert moved["moved_from"] == {vip: pair.eni_a}
    assert pair.holders(vip) == [pair.eni_b]
    followed = ensure_eip(Ec2Api(ec2), tags={"rtc-test": "vip"}, eni_id=pair.eni_b, private_ip=vip)
    assert followed["changed"] is False  # EC2 carried the EIP along with the address

    back = ensure_secondary_ips(Ec2Api(ec2), [vip], instance_id=None, eni_id=pair.eni_a, allow_reassignment=True)
    assert back["moved_from"] == {vip: pair.eni_b}
    assert pair.holders(vip) == [pair.eni_a]

    before = pair.snapshot()
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_secondary_ips(Ec2Api(ec2), [vip], eni_id=pair.eni_c, allow_reassignment=True)
    assert excinfo.value.kind == "cross_subnet"
    with pytest.raises(FloatingIpError) as excinfo:
        ensure_eip(Ec2Api(ec2), tags={"rtc-test": "vip"}, eni_id=pair.eni_c)
    assert excinfo.value.kind == "eip_in_use"
    assert pair.snapshot() == before

    # Cross-AZ: the EIP moves to the other node's own primary address.
    cross = ensure_eip(Ec2Api(ec2), tags={"rtc-test": "vip"}, eni_id=pair.eni_c, allow_reassociation=True)
    assert (cross["network_interface_id"], cross["private_ip"]) == (pair.eni_c, pair.primary(pair.eni_c))
    assert (cross["previous"]["network_interface_id"], cross["previous"]["private_ip"]) == (pair.eni_a, vip)
    found = ec2.describe_addresses(AllocationIds=[cross["allocation_id"]])["Addresses"][0]
    assert (found["NetworkInterfaceId"], found["PrivateIpAddress"]) == (pair.eni_c, pair.primary(pair.eni_c))

    gone = ensure_eip(Ec2Api(ec2), tags={"rtc-test": "vip"}, state="absent", release=True)
    assert gone["released"] is True
    assert ec2.describe_addresses(Filters=[{"Name": "tag:rtc-test", "Values": ["vip"]}])["Addresses"] == []
    removed = ensure_secondary_ips(Ec2Api(ec2), [vip], eni_id=pair.eni_a, state="absent")
    assert removed["addresses"] == []
    assert pair.holders(vip) == []
