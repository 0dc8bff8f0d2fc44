"""An IMDSv2 stand-in that answers each lab container with its own instance's metadata.

EC2's metadata service knows the caller by the network interface a request arrives on; here
the caller's source address plays that part: the stand-in asks the lab's EC2 endpoint which
interface holds that private address (primary or secondary) and answers from that interface's
instance. Nothing is cached, so an address or Elastic IP moved through the API shows at once.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from email.message import Message
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import botocore.config

from . import DEFAULT_REGION, TEST_CREDENTIALS
from .netutil import Listeners

log = logging.getLogger(__name__)

TOKEN_HEADER = "X-aws-ec2-metadata-token"
TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
MAX_TTL = 21600

CallerAddress = Callable[[str, Message], str]


def source_address(client_ip: str, headers: Message) -> str:
    """The default caller identification: the request's source address is the private IP."""
    return client_ip


class UnknownCaller(LookupError):
    pass


class InstanceView:
    """The metadata of the instance that holds ``private_ip``, read from the endpoint on demand."""

    def __init__(self, clients: dict[str, Any], region: str, private_ip: str):
        self._ec2, self._iam, self.region = clients["ec2"], clients["iam"], region
        holders = self._enis([{"Name": "addresses.private-ip-address", "Values": [private_ip]}])
        attached = [e for e in holders if e.get("Attachment", {}).get("InstanceId")]
        if len(attached) != 1:  # nobody, or ambiguous (same address in two VPCs): refuse to guess
            raise UnknownCaller(private_ip)
        instance_id = attached[0]["Attachment"]["InstanceId"]
        reservation = self._ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]
        self.instance, self.account_id = reservation["Instances"][0], reservation["OwnerId"]
        enis = self._enis([{"Name": "attachment.instance-id", "Values": [instance_id]}])
        self.enis = sorted(enis, key=lambda e: e["Attachment"]["DeviceIndex"])

    def _enis(self, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self._ec2.describe_network_interfaces(Filters=filters)["NetworkInterfaces"]

    @cached_property
    def subnets(self) -> dict[str, dict[str, Any]]:
        ids = sorted({e["SubnetId"] for e in self.enis})
        return {s["SubnetId"]: s for s in self._ec2.describe_subnets(SubnetIds=ids)["Subnets"]}

    @cached_property
    def vpcs(self) -> dict[str, dict[str, Any]]:
        ids = sorted({e["VpcId"] for e in self.enis})
        return {v["VpcId"]: v for v in self._ec2.describe_vpcs(VpcIds=ids)["Vpcs"]}

    @cached_property
    def public_ips(self) -> dict[str, dict[str, str]]:
        """Per interface id: public address -> private address, the primary's first."""
        eni_ids = [e["NetworkInterfaceId"] for e in self.enis]
        filters = [{"Name": "network-interface-id", "Values": eni_ids}]
        result: dict[str, dict[str, str]] = {i: {} for i in eni_ids}
        for eni in self.enis:  # an auto-assigned public IP sits on the primary address
            public = eni.get("Association", {}).get("PublicIp")
            if public:
                result[eni["NetworkInterfaceId"]][public] = eni["PrivateIpAddress"]
        for eip in self._ec2.describe_addresses(Filters=filters)["Addresses"]:
            if eip.get("PrivateIpAddress"):
                result[eip["NetworkInterfaceId"]][eip["PublicIp"]] = eip["PrivateIpAddress"]
        for eni in self.enis:
            mapping = result[eni["NetworkInterfaceId"]]
            primary = eni["PrivateIpAddress"]
            result[eni["NetworkInterfaceId"]] = dict(sorted(mapping.items(), key=lambda kv: kv[1] != primary))
        return result

    @cached_property
    def role_name(self) -> str | None:
        arn = self.instance.get("IamInstanceProfile", {}).get("Arn")
        if not arn:
            return None
        profile = self._iam.get_instance_profile(InstanceProfileName=arn.rsplit("/", 1)[-1])["InstanceProfile"]
        return profile["Roles"][0]["RoleName"] if profile["Roles"] else None

    @property
    def primary_eni(self) -> dict[str, Any]:
        return self.enis[0]

    def public_ipv4(self) -> str | None:
        primary = self.primary_eni
        for public, private in self.public_ips[primary["NetworkInterfaceId"]].items():
            if private == primary["PrivateIpAddress"]:
                return public
        return None

    def tree(self) -> dict[str, Any]:
        """The metadata tree: dicts are directories, callables are items (None = absent)."""
        inst, subnet = self.instance, self.subnets[self.primary_eni["SubnetId"]]
        meta = {
            "ami-id": lambda: inst["ImageId"],
            "hostname": lambda: inst["PrivateDnsName"],
            "instance-id": lambda: inst["InstanceId"],
            "instance-type": lambda: inst["InstanceType"],
            "local-hostname": lambda: inst["PrivateDnsName"],
            "local-ipv4": lambda: inst["PrivateIpAddress"],
            "mac": lambda: self.primary_eni["MacAddress"],
            "public-ipv4": self.public_ipv4,
            "security-groups": lambda: "\n".join(g["GroupName"] for g in self.primary_eni["Groups"]),
            "placement": {
                "availability-zone": lambda: subnet["AvailabilityZone"],
                "availability-zone-id": lambda: subnet["AvailabilityZoneId"],
                "region": lambda: self.region,
                "group-name": lambda: inst.get("Placement", {}).get("GroupName") or None,
            },
            "network": {"interfaces": {"macs": {e["MacAddress"]: self._interface(e) for e in self.enis}}},
        }
        if self.role_name:
            meta["iam"] = {"security-credentials": {self.role_name: self._credentials}}
        dynamic = {"instance-identity": {"document": self._identity_document}}
        return {"meta-data": meta, "dynamic": dynamic}

    def _interface(self, eni: dict[str, Any]) -> dict[str, Any]:
        subnet, vpc = self.subnets[eni["SubnetId"]], self.vpcs[eni["VpcId"]]
        ips = [eni["PrivateIpAddress"]] + [
            a["PrivateIpAddress"] for a in eni["PrivateIpAddresses"] if a["PrivateIpAddress"] != eni["PrivateIpAddress"]
        ]
        item = {
            "device-number": lambda: str(eni["Attachment"]["DeviceIndex"]),
            "interface-id": lambda: eni["NetworkInterfaceId"],
            "local-hostname": lambda: eni.get("PrivateDnsName") or self.instance["PrivateDnsName"],
            "local-ipv4s": lambda: "\n".join(ips),
            "mac": lambda: eni["MacAddress"],
            "owner-id": lambda: self.account_id,
            "public-ipv4s": lambda: "\n".join(self.public_ips[eni["NetworkInterfaceId"]]) or None,
            "security-group-ids": lambda: "\n".join(g["GroupId"] for g in eni["Groups"]),
            "security-groups": lambda: "\n".join(g["GroupName"] for g in eni["Groups"]),
            "subnet-id": lambda: eni["SubnetId"],
            "subnet-ipv4-cidr-block": lambda: subnet["CidrBlock"],
            "vpc-id": lambda: eni["VpcId"],
            "vpc-ipv4-cidr-block": lambda: vpc["CidrBlock"],
            "vpc-ipv4-cidr-blocks": lambda: (
                "\n".join(a["CidrBlock"] for a in vpc.get("CidrBlockAssociationSet", [])) or vpc["CidrBlock"]
            ),
        }
        associations = self.public_ips[eni["NetworkInterfaceId"]]
        if associations:
            item["ipv4-associations"] = {pub: (lambda p=priv: p) for pub, priv in associations.items()}
        return item

    def _credentials(self) -> str:
        now = datetime.now(timezone.utc).replace(microsecond=0)
        stamp = "%Y-%m-%dT%H:%M:%SZ"
        document = {
            "Code": "Success",
            "LastUpdated": now.strftime(stamp),
            "Type": "AWS-HMAC",
            "AccessKeyId": TEST_CREDENTIALS["aws_access_key_id"],
            "SecretAccessKey": TEST_CREDENTIALS["aws_secret_access_key"],
            "Token": TEST_CREDENTIALS["aws_session_token"],
            "Expiration": (now + timedelta(hours=6)).strftime(stamp),
        }
        return json.dumps(document, indent=2)

    def _identity_document(self) -> str:
        inst = self.instance
        launch = inst.get("LaunchTime")
        document = {
            "accountId": self.account_id,
            "architecture": inst.get("Architecture", "x86_64"),
            "availabilityZone": self.subnets[self.primary_eni["SubnetId"]]["AvailabilityZone"],
            "billingProducts": None,
            "devpayProductCodes": None,
            "marketplaceProductCodes": None,
            "imageId": inst["ImageId"],
            "instanceId": inst["InstanceId"],
            "instanceType": inst["InstanceType"],
            "kernelId": None,
            "pendingTime": launch.strftime("%Y-%m-%dT%H:%M:%SZ") if launch else None,
            "privateIp": inst["PrivateIpAddress"],
            "ramdiskId": None,
            "region": self.region,
            "version": "2017-09-30",
        }
        return json.dumps(document, indent=2)


def resolve(tree: dict[str, Any], path: str) -> str | None:
    """The text for a path below /latest/, or None for 404. Listings end directories with '/'."""
    node: Any = tree
    for part in [p for p in path.split("/") if p]:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    if callable(node):
        return None if path.endswith("/") else node()
    entries = []
    for name, child in node.items():
        if isinstance(child, dict):
            entries.append(name + "/")
        elif child() is not None:  # absent items (no public IP, no group) are not listed
            entries.append(name)
    return "\n".join(entries)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "EC2ws"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.client_address[0], format % args)

    def _send(self, status: int, body: str = "", headers: dict[str, str] | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        if self.server.imds.on_response is not None:
            self.server.imds.on_response(self.command, self.path, status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _forwarded(self) -> bool:
        # IMDSv2 refuses requests that carry X-Forwarded-For: they came through a proxy,
        # and a proxy must not be able to fetch an instance's credentials.
        if self.headers.get("X-Forwarded-For") is not None:
            self._send(403, "Forbidden")
            return True
        return False

    def do_PUT(self) -> None:
        if self._forwarded():
            return
        if self.path.split("?")[0] != "/latest/api/token":
            self._send(404, "Not Found")
            return
        ttl = self.headers.get(TTL_HEADER, "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= MAX_TTL:
            self._send(400, "Bad Request")
            return
        caller = self.server.imds.caller_address(self.client_address[0], self.headers)
        token = self.server.imds.issue_token(caller, int(ttl))
        self._send(200, token, {TTL_HEADER: ttl})

    def do_GET(self) -> None:
        if self._forwarded():
            return
        imds = self.server.imds
        caller = imds.caller_address(self.client_address[0], self.headers)
        if not imds.token_valid(self.headers.get(TOKEN_HEADER), caller):
            self._send(401, "Unauthorized")
            return
        path = self.path.split("?")[0]
        if not path.startswith("/latest/"):
            self._send(404, "Not Found")
            return
        try:
            body = resolve(InstanceView(imds.clients, imds.region, caller).tree(), path[len("/latest/") :])
        except UnknownCaller:
            log.warning("no instance holds %s", caller)
            body = None
        except Exception:  # the endpoint is down or answered oddly: say so, do not guess
            log.exception("metadata lookup for %s failed", caller)
            self._send(503, "Service Unavailable")
            return
        if body is None:
            self._send(404, "Not Found")
        else:
            self._send(200, body)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    imds: ImdsServer

    def server_bind(self) -> None:
        # HTTPServer.server_bind would reverse-resolve the address (slow without DNS); the
        # socket is already bound by bind_freebind, so only the names are set here.
        self.server_name, self.server_port = self.server_address[:2]


class ImdsServer(Listeners):
    """IMDSv2 stand-in. ``aws_url`` is the lab's EC2 endpoint; ``listen`` a list of (host, port).

    ``caller_address(client_ip, headers) -> private_ip`` says who is asking; the default
    takes the source address (tests on 127.0.0.1 pass their own to pretend to be someone).
    """

    def __init__(
        self,
        aws_url: str,
        listen: Iterable[tuple[str, int]] = (("127.0.0.1", 0),),
        region: str = DEFAULT_REGION,
        caller_address: CallerAddress = source_address,
        on_response: Callable[[str, str, int], None] | None = None,
    ):
        # on_response(method, path, status) sees every answer as it is sent (benchmarks count
        # what clients really asked for, retries included, where the service sees it).
        self.region, self.caller_address, self.on_response = region, caller_address, on_response
        session = boto3.session.Session(region_name=region, **TEST_CREDENTIALS)
        config = botocore.config.Config(retries={"max_attempts": 2}, connect_timeout=2, read_timeout=10)
        self.clients = {n: session.client(n, endpoint_url=aws_url, config=config) for n in ("ec2", "iam")}
        super().__init__(listen)
        self._tokens: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def issue_token(self, caller: str, ttl: int) -> str:
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._tokens = {t: v for t, v in self._tokens.items() if v[0] > now}
            self._tokens[token] = (now + ttl, caller)
        return token

    def token_valid(self, token: str | None, caller: str) -> bool:
        """A token works until it expires, and only for the caller it was issued to (as on EC2)."""
        with self._lock:
            expiry, owner = self._tokens.get(token or "", (0.0, ""))
        return expiry > time.monotonic() and owner == caller

    label = "IMDS stand-in"

    def _make_server(self, sock):
        server = _HTTPServer(sock.getsockname(), _Handler, bind_and_activate=False)
        server.socket.close()
        server.socket, server.server_address, server.imds = sock, sock.getsockname(), self
        server.server_bind()
        return server
