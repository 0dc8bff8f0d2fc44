"""The IMDSv2 stand-in: IMDSv2 rules, and each caller sees its own instance, live from the endpoint."""

import json
import time

import pytest
import requests
from rtc_lab.imds import ImdsServer

TTL = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN = "X-aws-ec2-metadata-token"
PRETEND = "X-Test-Caller"  # tests all come from 127.0.0.1; this says whose address they stand for


@pytest.fixture(scope="module")
def imds(aws_url):
    server = ImdsServer(aws_url, [("127.0.0.1", 0)], caller_address=lambda ip, headers: headers.get(PRETEND) or ip)
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def http():
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: loopback only
    return session


class Caller:
    def __init__(self, http, url, ip):
        self.http, self.url, self.ip = http, url, ip
        self.token = self.put_token(21600).text

    def put_token(self, ttl, **headers):
        headers = {PRETEND: self.ip, TTL: str(ttl), **headers}
        return self.http.put(f"{self.url}/latest/api/token", headers=headers, timeout=5)

    def get(self, path, token="mine"):
        headers = {PRETEND: self.ip}
        if token is not None:  # None sends no token header at all
            headers[TOKEN] = self.token if token == "mine" else token
        return self.http.get(f"{self.url}/latest/{path}", headers=headers, timeout=5)

    def text(self, path):
        answer = self.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        return answer.text


@pytest.fixture
def caller(imds, http):
    return lambda ip: Caller(http, imds, ip)


@pytest.fixture
def node(net, caller):
    instance = net.instance(net.subnet(1))
    return instance, caller(instance["PrivateIpAddress"])


def test_get_without_a_valid_token_is_401(node):
    instance, me = node
    assert me.get("meta-data/instance-id", token=None).status_code == 401
    assert me.get("meta-data/instance-id", token="").status_code == 401
    assert me.get("meta-data/instance-id", token="not-a-token").status_code == 401
    assert me.text("meta-data/instance-id") == instance["InstanceId"]


def test_a_token_expires_and_belongs_to_its_caller(net, node, caller):
    _ignored, me = node
    short = me.put_token(1).text
    assert me.get("meta-data/instance-id", token=short).status_code == 200
    other = caller(net.instance(net.subnet(1))["PrivateIpAddress"])
    assert other.get("meta-data/instance-id", token=me.token).status_code == 401
    time.sleep(1.1)
    assert me.get("meta-data/instance-id", token=short).status_code == 401


@pytest.mark.parametrize("ttl", ["0", "21601", "-1", "abc", ""])
def test_token_ttl_out_of_range_is_400(node, ttl):
    _ignored, me = node
    assert me.put_token(ttl).status_code == 400


def test_token_ttl_bounds_are_accepted(node):
    _ignored, me = node
    for ttl in (1, 21600):
        answer = me.put_token(ttl)
        assert answer.status_code == 200 and answer.text
        assert answer.headers[TTL] == str(ttl)


def test_x_forwarded_for_is_refused(node):
    _ignored, me = node
    assert me.put_token(60, **{"X-Forwarded-For": "203.0.113.7"}).status_code == 403
    headers = {PRETEND: me.ip, TOKEN: me.token, "X-Forwarded-For": "203.0.113.7"}
    assert me.http.get(f"{me.url}/latest/meta-data/instance-id", headers=headers, timeout=5).status_code == 403


def test_unknown_caller_is_404(caller):
    stranger = caller("10.250.250.250")
    assert stranger.get("meta-data/instance-id").status_code == 404
    assert stranger.get("meta-data/").status_code == 404


def test_each_caller_gets_its_own_identity(net, caller):
    subnets = [net.subnet(1, "us-east-1a"), net.subnet(2, "us-east-1b")]
    instances = [net.instance(subnets[0], InstanceType="c5.large"), net.instance(subnets[1], InstanceType="c5n.xlarge")]
    seen = []
    for instance, subnet in zip(instances, subnets, strict=True):
        me = caller(instance["PrivateIpAddress"])
        mac = instance["NetworkInterfaces"][0]["MacAddress"]
        answer = {
            "instance-id": me.text("meta-data/instance-id"),
            "instance-type": me.text("meta-data/instance-type"),
            "az": me.text("meta-data/placement/availability-zone"),
            "az-id": me.text("meta-data/placement/availability-zone-id"),
            "mac": me.text("meta-data/mac"),
            "local-ipv4": me.text("meta-data/local-ipv4"),
        }
        assert answer == {
            "instance-id": instance["InstanceId"],
            "instance-type": instance["InstanceType"],
            "az": subnet["AvailabilityZone"],
            "az-id": subnet["AvailabilityZoneId"],
            "mac": mac,
            "local-ipv4": instance["PrivateIpAddress"],
        }
        assert me.text("meta-data/placement/region") == "us-east-1"
        assert me.text("meta-data/network/interfaces/macs/") == f"{mac}/"
        base = f"meta-data/network/interfaces/macs/{mac}/"
        assert me.text(base + "subnet-id") == subnet["SubnetId"]
        assert me.text(base + "subnet-ipv4-cidr-block") == subnet["CidrBlock"]
        assert me.text(base + "vpc-id") == net.vpc_id
        assert me.text(base + "vpc-ipv4-cidr-block") == f"{net.prefix}.0.0/16"
        assert me.text(base + "interface-id") == instance["NetworkInterfaces"][0]["NetworkInterfaceId"]
        assert me.text(base + "device-number") == "0"
        assert me.text(base + "security-group-ids") == instance["NetworkInterfaces"][0]["Groups"][0]["GroupId"]
        seen.append(answer)
    assert seen[0]["az"] != seen[1]["az"] and seen[0]["mac"] != seen[1]["mac"]


def test_listing_marks_directories_and_leaves_out_absent_items(node):
    instance, me = node
    listing = me.text("meta-data/").splitlines()
    assert {"instance-id", "mac", "local-ipv4", "placement/", "network/"} <= set(listing)
    assert "public-ipv4" not in listing and "iam/" not in listing
    assert me.get("meta-data/public-ipv4").status_code == 404
    assert me.get("meta-data/placement/group-name").status_code == 404
    assert "group-name" not in me.text("meta-data/placement/").splitlines()
    mac = instance["NetworkInterfaces"][0]["MacAddress"]
    items = me.text(f"meta-data/network/interfaces/macs/{mac}/").splitlines()
    assert "local-ipv4s" in items and "public-ipv4s" not in items and "ipv4-associations/" not in items


def test_secondary_address_shows_at_once_and_identifies_the_instance(net, node, caller):
    instance, me = node
    eni = net.eni(instance)
    mac = instance["NetworkInterfaces"][0]["MacAddress"]
    vip = f"{net.prefix}.1.200"
    net.ec2.assign_private_ip_addresses(NetworkInterfaceId=eni, PrivateIpAddresses=[vip])
    assert me.text(f"meta-data/network/interfaces/macs/{mac}/local-ipv4s") == f"{instance['PrivateIpAddress']}\n{vip}"
    assert caller(vip).text("meta-data/instance-id") == instance["InstanceId"]

    other = net.instance(net.subnet(1))
    net.ec2.assign_private_ip_addresses(
        NetworkInterfaceId=net.eni(other), PrivateIpAddresses=[vip], AllowReassignment=True
    )
    assert me.text(f"meta-data/network/interfaces/macs/{mac}/local-ipv4s") == instance["PrivateIpAddress"]
    assert caller(vip).text("meta-data/instance-id") == other["InstanceId"]


def test_elastic_ip_shows_in_public_ipv4(net, node):
    instance, me = node
    mac = instance["NetworkInterfaces"][0]["MacAddress"]
    base = f"meta-data/network/interfaces/macs/{mac}/"
    assert me.get(base + "public-ipv4s").status_code == 404
    allocation = net.ec2.allocate_address(Domain="vpc")
    net.ec2.associate_address(AllocationId=allocation["AllocationId"], InstanceId=instance["InstanceId"])
    public = allocation["PublicIp"]
    assert me.text("meta-data/public-ipv4") == public
    assert me.text(base + "public-ipv4s") == public
    assert me.text(base + "ipv4-associations/") == public
    assert me.text(base + "ipv4-associations/" + public) == instance["PrivateIpAddress"]


def test_elastic_ip_on_a_secondary_address(net, node):
    instance, me = node
    mac = instance["NetworkInterfaces"][0]["MacAddress"]
    vip = f"{net.prefix}.1.201"
    net.ec2.assign_private_ip_addresses(NetworkInterfaceId=net.eni(instance), PrivateIpAddresses=[vip])
    allocation = net.ec2.allocate_address(Domain="vpc")
    net.ec2.associate_address(
        AllocationId=allocation["AllocationId"], NetworkInterfaceId=net.eni(instance), PrivateIpAddress=vip
    )
    base = f"meta-data/network/interfaces/macs/{mac}/"
    assert me.text(base + "ipv4-associations/" + allocation["PublicIp"]) == vip
    assert me.get("meta-data/public-ipv4").status_code == 404  # that one is the primary address's


def test_placement_group_name(net, caller):
    name = f"pg-imds-{net.prefix}"
    net.ec2.create_placement_group(GroupName=name, Strategy="cluster")
    instance = net.instance(net.subnet(1), Placement={"GroupName": name})
    assert caller(instance["PrivateIpAddress"]).text("meta-data/placement/group-name") == name


def test_role_credentials(client, net, caller):
    iam = client("iam")
    role, profile = f"sbc-{net.prefix}", f"sbc-profile-{net.prefix}"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument="{}")
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    instance = net.instance(net.subnet(1), IamInstanceProfile={"Name": profile})
    me = caller(instance["PrivateIpAddress"])
    assert me.text("meta-data/iam/security-credentials/") == role
    document = json.loads(me.text(f"meta-data/iam/security-credentials/{role}"))
    assert document["Code"] == "Success" and document["Type"] == "AWS-HMAC"
    assert (document["AccessKeyId"], document["SecretAccessKey"]) == ("testing", "testing")
    assert document["Token"] and document["Expiration"].endswith("Z")
    assert me.get("meta-data/iam/security-credentials/another-role").status_code == 404


def test_identity_document(node):
    instance, me = node
    document = json.loads(me.text("dynamic/instance-identity/document"))
    assert {k: document[k] for k in ("instanceId", "instanceType", "privateIp", "imageId", "region")} == {
        "instanceId": instance["InstanceId"],
        "instanceType": instance["InstanceType"],
        "privateIp": instance["PrivateIpAddress"],
        "imageId": instance["ImageId"],
        "region": "us-east-1",
    }
    assert document["availabilityZone"] == instance["Placement"]["AvailabilityZone"]
    assert document["accountId"] == "123456789012"


def test_on_response_sees_every_answer(aws_url, net, http):
    seen = []
    instance = net.instance(net.subnet(1))
    server = ImdsServer(
        aws_url,
        [("127.0.0.1", 0)],
        caller_address=lambda ip, headers: instance["PrivateIpAddress"],
        on_response=lambda method, path, status: seen.append((method, path, status)),
    )
    with server:
        me = Caller(http, server.url, instance["PrivateIpAddress"])
        me.text("meta-data/instance-id")
        assert me.get("meta-data/no-such-item").status_code == 404
    assert seen == [
        ("PUT", "/latest/api/token", 200),
        ("GET", "/latest/meta-data/instance-id", 200),
        ("GET", "/latest/meta-data/no-such-item", 404),
    ]
