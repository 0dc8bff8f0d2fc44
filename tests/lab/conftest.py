"""Fixtures for the lab's AWS stand-ins: one corrected moto endpoint per session, on loopback."""

import itertools
import os
import sys
from pathlib import Path

import pytest

# Set before boto3 is imported anywhere: tests must never look for credentials, least of all
# on the CI machine's own metadata service (169.254.169.254).
os.environ.update(
    AWS_EC2_METADATA_DISABLED="true",
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_CONFIG_FILE=os.devnull,
    AWS_SHARED_CREDENTIALS_FILE=os.devnull,
)
os.environ.pop("AWS_PROFILE", None)

LAB_DIR = Path(__file__).resolve().parents[2] / "lab"
sys.path.insert(0, str(LAB_DIR))

import boto3  # noqa: E402
from rtc_lab.endpoint import Endpoint  # noqa: E402

REGION = "us-east-1"
_vpc_numbers = itertools.count(100)


@pytest.fixture(scope="session")
def aws_url():
    endpoint = Endpoint([("127.0.0.1", 0)])
    endpoint.start()
    yield endpoint.url
    endpoint.stop()


@pytest.fixture(scope="session")
def client(aws_url):
    def make(service):
        return boto3.client(service, endpoint_url=aws_url, region_name=REGION)

    return make


@pytest.fixture(scope="session")
def ec2(client):
    return client("ec2")


class Network:
    """A fresh VPC per test, with a /16 no other test uses, so that addresses never clash."""

    def __init__(self, ec2, image_id):
        self.ec2, self.image_id = ec2, image_id
        self.prefix = f"10.{next(_vpc_numbers)}"
        self.vpc_id = ec2.create_vpc(CidrBlock=f"{self.prefix}.0.0/16")["Vpc"]["VpcId"]
        self._subnets = {}

    def subnet(self, third_octet, az="us-east-1a"):
        """The subnet {prefix}.{third_octet}.0/24, created on first use."""
        if third_octet not in self._subnets:
            cidr = f"{self.prefix}.{third_octet}.0/24"
            subnet = self.ec2.create_subnet(VpcId=self.vpc_id, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]
            self._subnets[third_octet] = subnet
        return self._subnets[third_octet]

    def instance(self, subnet, **kwargs):
        kwargs.setdefault("InstanceType", "c5.large")
        reservation = self.ec2.run_instances(
            ImageId=self.image_id, MinCount=1, MaxCount=1, SubnetId=subnet["SubnetId"], **kwargs
        )
        return reservation["Instances"][0]

    def eni(self, instance):
        return instance["NetworkInterfaces"][0]["NetworkInterfaceId"]

    def addresses_of(self, eni_id):
        eni = self.ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]
        return [a["PrivateIpAddress"] for a in eni["PrivateIpAddresses"]]


@pytest.fixture(scope="session")
def image_id(ec2):
    return ec2.describe_images()["Images"][0]["ImageId"]  # moto lists ~1300 AMIs: ask once


@pytest.fixture
def net(ec2, image_id):
    return Network(ec2, image_id)
