"""The lab's real AWS endpoint and IMDSv2 stand-in on 127.0.0.1, seeded, with a request counter.

Used by bench_imds. The stand-in answers every request from the moto endpoint (nothing cached),
exactly as in the lab, so both clients pay the same per-request cost on the server side.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from pathlib import Path

LAB_DIR = Path(__file__).resolve().parents[1] / "lab"
REGION = "us-east-1"
LOOPBACK = (("127.0.0.1", 0),)
PRIMARY_IP, FLOATING_IP, SECOND_ENI_IP = "10.0.1.10", "10.0.1.20", "10.0.2.10"


def fence_environment() -> None:
    """boto3 in this process talks to 127.0.0.1 only: no IMDS probing, no proxy from the environment."""
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    for var in ("NO_PROXY", "no_proxy"):
        os.environ[var] = ",".join(filter(None, [os.environ.get(var), "127.0.0.1", "localhost"]))
    if str(LAB_DIR) not in sys.path:
        sys.path.insert(0, str(LAB_DIR))


class RequestCounter:
    """(method, path, status) of every answer the stand-in sent, in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.answers: list[tuple[str, str, int]] = []

    def record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.answers.append((method, path, status))

    def mark(self) -> int:
        with self._lock:
            return len(self.answers)

    def since(self, mark: int) -> list[tuple[str, str, int]]:
        with self._lock:
            return self.answers[mark:]


class Lab:
    """A VPC, a subnet and one instance whose primary ENI has a secondary (floating) IP with an EIP."""

    def __init__(self, aws_url: str) -> None:
        import boto3
        from rtc_lab import TEST_CREDENTIALS

        session = boto3.session.Session(region_name=REGION, **TEST_CREDENTIALS)
        self.ec2 = session.client("ec2", endpoint_url=aws_url)
        vpc_id = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnets = [
            self.ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone="us-east-1a")["Subnet"]
            for n in (1, 2)
        ]
        image_id = self.ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        self.instance = self.ec2.run_instances(
            ImageId=image_id,
            MinCount=1,
            MaxCount=1,
            InstanceType="c5n.xlarge",
            SubnetId=self.subnets[0]["SubnetId"],
            PrivateIpAddress=PRIMARY_IP,
        )["Instances"][0]
        eni_id = self.instance["NetworkInterfaces"][0]["NetworkInterfaceId"]
        self.ec2.assign_private_ip_addresses(NetworkInterfaceId=eni_id, PrivateIpAddresses=[FLOATING_IP])
        allocation = self.ec2.allocate_address(Domain="vpc")["AllocationId"]
        self.ec2.associate_address(AllocationId=allocation, NetworkInterfaceId=eni_id, PrivateIpAddress=FLOATING_IP)

    def attach_second_interface(self) -> str:
        eni = self.ec2.create_network_interface(SubnetId=self.subnets[1]["SubnetId"], PrivateIpAddress=SECOND_ENI_IP)
        eni_id = eni["NetworkInterface"]["NetworkInterfaceId"]
        self.ec2.attach_network_interface(
            NetworkInterfaceId=eni_id, InstanceId=self.instance["InstanceId"], DeviceIndex=1
        )
        return eni_id


@contextlib.contextmanager
def running():
    """Yield ``(lab, imds_url, counter)`` with the endpoint and the stand-in listening on 127.0.0.1."""
    fence_environment()
    from rtc_lab.endpoint import Endpoint
    from rtc_lab.imds import ImdsServer

    # werkzeug logs every request to the endpoint on stderr; thousands of lines hide the result.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    counter = RequestCounter()
    with Endpoint(listen=LOOPBACK) as endpoint:
        lab = Lab(endpoint.url)
        # Every client here connects from 127.0.0.1; they all stand for the seeded instance.
        server = ImdsServer(
            endpoint.url,
            listen=LOOPBACK,
            caller_address=lambda ip, headers: PRIMARY_IP,
            on_response=counter.record,
        )
        with server:
            yield lab, server.url, counter
