"""The fault-injection proxy: what it injects is what botocore sees, and what it forwards really happens."""

import time

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError
from rtc_lab.faultproxy import FaultProxy, Faults, action_of

REGION = "us-east-1"


def client(url):
    config = botocore.config.Config(retries={"total_max_attempts": 1})
    return boto3.client("ec2", endpoint_url=url, region_name=REGION, config=config)


@pytest.fixture
def proxy(aws_url):
    started = []

    def make(**faults):
        proxy = FaultProxy(aws_url, Faults(seed=7, **faults))
        proxy.start()
        started.append(proxy)
        return proxy

    yield make
    for proxy in started:
        proxy.stop()


def test_action_is_read_from_form_body_or_query():
    assert action_of(b"Action=DescribeAddresses&Version=2016-11-15", "") == "DescribeAddresses"
    assert action_of(b"", "Action=AssignPrivateIpAddresses") == "AssignPrivateIpAddresses"
    assert action_of(b"", "") == "-"


def test_without_faults_it_is_transparent(proxy, ec2):
    vpc = ec2.create_vpc(CidrBlock="10.201.0.0/16")["Vpc"]["VpcId"]
    through = client(proxy().url)
    found = through.describe_vpcs(VpcIds=[vpc])["Vpcs"]
    assert [v["VpcId"] for v in found] == [vpc]


def test_latency_is_added_to_every_call(proxy):
    through = client(proxy(latency=0.3).url)
    started = time.monotonic()
    through.describe_availability_zones()
    through.describe_availability_zones()
    assert time.monotonic() - started >= 0.6


def test_throttling_is_ec2s_own_error_and_nothing_is_forwarded(proxy, ec2):
    fault = proxy(throttle=1.0)
    through = client(fault.url)
    with pytest.raises(ClientError) as caught:
        through.create_vpc(CidrBlock="10.202.0.0/16")
    assert caught.value.response["Error"]["Code"] == "RequestLimitExceeded"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert not ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.202.0.0/16"]}])["Vpcs"]
    assert fault.faults.summary() == {"CreateVpc": {"throttle": 1}}


def test_error_before_is_not_applied_error_after_is(proxy, ec2):
    before = client(proxy(error=1.0).url)
    with pytest.raises(ClientError) as caught:
        before.create_vpc(CidrBlock="10.203.0.0/16")
    assert caught.value.response["Error"]["Code"] == "InternalError"
    assert not ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.203.0.0/16"]}])["Vpcs"]

    after = client(proxy(error_after=1.0).url)
    with pytest.raises(ClientError) as caught:
        after.create_vpc(CidrBlock="10.204.0.0/16")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert len(ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.204.0.0/16"]}])["Vpcs"]) == 1


def test_only_the_named_actions_get_faults(proxy):
    fault = proxy(throttle=1.0, actions=["AssignPrivateIpAddresses"])
    through = client(fault.url)
    through.describe_availability_zones()  # not named: forwarded
    assert fault.faults.summary() == {"DescribeAvailabilityZones": {"forward": 1}}


def test_shares_follow_the_seeded_draw(proxy):
    fault = proxy(throttle=0.3, error=0.2)
    through = client(fault.url)
    outcomes = []
    for _unused in range(60):
        try:
            through.describe_availability_zones()
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])
    assert 8 <= outcomes.count("RequestLimitExceeded") <= 30
    assert 3 <= outcomes.count("InternalError") <= 22
    assert outcomes.count("ok") >= 20


@pytest.mark.parametrize(
    "bad",
    [{"throttle": 1.5}, {"error": -0.1}, {"throttle": 0.6, "error": 0.6}, {"latency": -1}],
)
def test_bad_settings_are_refused(bad):
    with pytest.raises(ValueError):
        Faults(**bad)
