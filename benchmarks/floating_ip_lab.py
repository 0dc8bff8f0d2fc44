"""Fresh active/standby pairs on the lab's AWS endpoint and their end state read back; the endpoint,
its API-call counter and the ``ansible-playbook`` runner come from :mod:`benchmarks.playbook`.

Used by bench_floating_ip. Every pair lives in a VPC of its own with the same addresses, so every
run starts from the same state and no run can see another's addresses.
"""

from __future__ import annotations

import contextlib

from . import playbook
from .imds_lab import REGION

CIDR, SUBNET_CIDR = "10.0.0.0/16", "10.0.1.0/24"
ACTIVE_IP, STANDBY_IP, VIP = "10.0.1.10", "10.0.1.11", "10.0.1.100"


class Pair:
    """Two running instances in one subnet (the active and the standby node) and one VPC Elastic IP.

    ``state`` is where the floating address starts: ``"bare"`` (no VIP, EIP unassociated),
    ``"eip-on-primary"`` (VIP on the active ENI, EIP on the active ENI's primary address),
    ``"active"`` (VIP and its EIP on the active ENI) or ``"standby"`` (both on the standby ENI).
    """

    def __init__(self, ec2, image_id: str, state: str) -> None:
        self.ec2 = ec2
        self.vpc_id = ec2.create_vpc(CidrBlock=CIDR)["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=self.vpc_id, CidrBlock=SUBNET_CIDR, AvailabilityZone=f"{REGION}a")
        self.subnet_id = subnet["Subnet"]["SubnetId"]
        self.active_eni, self.standby_eni = (self._node(image_id, ip) for ip in (ACTIVE_IP, STANDBY_IP))
        allocation = ec2.allocate_address(Domain="vpc")
        self.allocation_id, self.public_ip = allocation["AllocationId"], allocation["PublicIp"]
        want = ([], (None, None))
        if state != "bare":
            holder = self.standby_eni if state == "standby" else self.active_eni
            on = ACTIVE_IP if state == "eip-on-primary" else VIP
            ec2.assign_private_ip_addresses(NetworkInterfaceId=holder, PrivateIpAddresses=[VIP])
            ec2.associate_address(AllocationId=self.allocation_id, NetworkInterfaceId=holder, PrivateIpAddress=on)
            want = ([holder], (holder, on))
        summary, holders, eip = self.end_state()
        if (holders, eip) != want:  # the seeding itself must be right, or nothing is comparable
            raise RuntimeError(f"seeding {state!r} gave {summary}")

    def _node(self, image_id: str, private_ip: str) -> str:
        instance = self.ec2.run_instances(
            ImageId=image_id,
            MinCount=1,
            MaxCount=1,
            InstanceType="c5n.large",
            SubnetId=self.subnet_id,
            PrivateIpAddress=private_ip,
        )["Instances"][0]
        return instance["NetworkInterfaces"][0]["NetworkInterfaceId"]

    def end_state(self) -> tuple[str, list[str], tuple[str | None, str | None]]:
        """``(summary, ENIs of the VPC holding the VIP, (ENI, private IP) of the EIP)``, read from the endpoint."""
        enis = self.ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [self.vpc_id]}])
        holders = sorted(
            eni["NetworkInterfaceId"]
            for eni in enis["NetworkInterfaces"]
            if VIP in (a["PrivateIpAddress"] for a in eni.get("PrivateIpAddresses", []))
        )
        [address] = self.ec2.describe_addresses(AllocationIds=[self.allocation_id])["Addresses"]
        eip = (address.get("NetworkInterfaceId"), address.get("PrivateIpAddress"))
        names = {self.active_eni: "active", self.standby_eni: "standby"}
        summary = f"VIP on {[names.get(h, h) for h in holders]}, EIP on ({names.get(eip[0], eip[0])}, {eip[1]})"
        return summary, holders, eip

    def is_correct(self, eni_id: str) -> tuple[bool, str]:
        """Whether the VIP is on ``eni_id`` and nowhere else, and the EIP on exactly (``eni_id``, VIP)."""
        summary, holders, eip = self.end_state()
        return holders == [eni_id] and eip == (eni_id, VIP), summary

    def variables(self) -> dict:
        return {
            "active_eni": self.active_eni,
            "standby_eni": self.standby_eni,
            "subnet_id": self.subnet_id,
            "vip": VIP,
            "public_ip": self.public_ip,
        }


class Lab:
    """The endpoint's EC2 client and an image to start instances from; ``pair()`` makes fresh state."""

    def __init__(self, aws_url: str) -> None:
        import boto3
        from rtc_lab import TEST_CREDENTIALS

        session = boto3.session.Session(region_name=REGION, **TEST_CREDENTIALS)
        self.ec2 = session.client("ec2", endpoint_url=aws_url)
        self.image_id = self.ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]  # ~1300 AMIs: once

    def pair(self, state: str) -> Pair:
        return Pair(self.ec2, self.image_id, state)


@contextlib.contextmanager
def running():
    """Yield ``(lab, runner, counter)`` with the endpoint listening on 127.0.0.1 (a free port)."""
    with playbook.endpoint(prefix="bench-floating-ip-") as (aws_url, runner, counter):
        yield Lab(aws_url), runner, counter
