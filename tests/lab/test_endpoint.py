"""The endpoint and the IMDS stand-in on several listeners, bound with IP_FREEBIND."""

import socket

import boto3
import pytest
from rtc_lab.endpoint import Endpoint
from rtc_lab.imds import ImdsServer
from rtc_lab.netutil import is_local_address, parse_listen

# TEST-NET-1 (RFC 5737): never configured on a real host, and nothing is ever sent to it here;
# it stands for the podman bridge address that does not exist until a container starts.
ABSENT = "192.0.2.1"


def test_one_state_on_several_listeners():
    with Endpoint([("127.0.0.1", 0), ("127.0.0.1", 0)]) as endpoint:
        (_ignored, first), (_ignored, second) = endpoint.addresses
        assert first != second

        def ec2(port):
            return boto3.client("ec2", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1")

        vpc_id = ec2(first).create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
        assert [v["VpcId"] for v in ec2(second).describe_vpcs(VpcIds=[vpc_id])["Vpcs"]] == [vpc_id]


@pytest.mark.parametrize("kind", ["endpoint", "imds"])
def test_binds_an_address_the_host_does_not_have_yet(aws_url, kind):
    assert not is_local_address(ABSENT)  # a plain bind fails: the test means something
    server = Endpoint([(ABSENT, 0)]) if kind == "endpoint" else ImdsServer(aws_url, [(ABSENT, 0)])
    with server:
        [(host, port)] = server.addresses
        assert host == ABSENT and port > 0


def test_stop_releases_the_port():
    endpoint = Endpoint([("127.0.0.1", 0)])
    [(_ignored, port)] = endpoint.start()
    endpoint.stop()
    with socket.create_server(("127.0.0.1", port)):
        pass


@pytest.mark.parametrize("text", ["5000", "localhost:5000", "10.0.0.1:", "10.0.0.1:http"])
def test_listen_addresses_are_ipv4_host_and_port(text):
    with pytest.raises((ValueError, OSError)):
        parse_listen(text)


def test_serves_the_services_the_collection_uses(client):
    assert client("sts").get_caller_identity()["Account"] == "123456789012"
    client("iam").create_role(RoleName="endpoint-check", AssumeRolePolicyDocument="{}")
    assert "endpoint-check" in [r["RoleName"] for r in client("iam").list_roles()["Roles"]]
    cloudwatch = client("cloudwatch")
    cloudwatch.put_metric_data(Namespace="RTC/Lab", MetricData=[{"MetricName": "SipProbeMs", "Value": 12.0}])
    assert [m["MetricName"] for m in cloudwatch.list_metrics(Namespace="RTC/Lab")["Metrics"]] == ["SipProbeMs"]
    assert client("route53").list_hosted_zones()["HostedZones"] is not None


def test_reports_the_api_action_of_every_request():
    seen = []
    with Endpoint([("127.0.0.1", 0)], on_request=seen.append) as endpoint:

        def client(service):
            return boto3.client(service, endpoint_url=endpoint.url, region_name="us-east-1")

        ec2 = client("ec2")
        vpc_id = ec2.create_vpc(CidrBlock="10.98.0.0/16")["Vpc"]["VpcId"]
        # The request body is still there for moto after the hook read it: the VPC was made.
        assert [v["CidrBlock"] for v in ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]] == ["10.98.0.0/16"]
        client("sts").get_caller_identity()
        client("logs").describe_log_groups()  # JSON protocol: X-Amz-Target
        client("cloudwatch").list_metrics()  # Smithy RPC v2 CBOR: the operation is in the path
        client("route53").list_hosted_zones()  # REST protocol: method and path
    assert seen == [
        "CreateVpc",
        "DescribeVpcs",
        "GetCallerIdentity",
        "DescribeLogGroups",
        "ListMetrics",
        "GET /2013-04-01/hostedzone",
    ]
