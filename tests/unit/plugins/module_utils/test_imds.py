# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the IMDSv2 client, against the stand-in on 127.0.0.1 from conftest.py."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from ansible_collections.rtc.ec2_fleet.plugins.module_utils import imds as imds_utils
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.imds import (
    DEFAULT_ENDPOINT,
    ImdsClient,
    ImdsError,
    gather_instance_identity,
)

IMDS_FILE = Path(imds_utils.__file__)

EXPECTED_TWO_INTERFACES = {
    "instance_id": "i-0123456789abcdef0",
    "instance_type": "c5n.xlarge",
    "ami_id": "ami-0abcdef1234567890",
    "region": "eu-west-1",
    "availability_zone": "eu-west-1a",
    "availability_zone_id": "euw1-az1",
    "placement_group": "rtc-media",
    "mac": "0e:00:00:00:00:0b",
    "local_ipv4": "10.0.1.10",
    "public_ipv4": "203.0.113.10",
    "interfaces": [
        {
            "mac": "0e:00:00:00:00:0b",
            "device_number": 0,
            "interface_id": "eni-000000000000000b0",
            "subnet_id": "subnet-0000000000000001a",
            "subnet_ipv4_cidr_block": "10.0.1.0/24",
            "vpc_id": "vpc-00000000000000001",
            "local_ipv4s": ["10.0.1.10", "10.0.1.20"],
            "public_ipv4s": ["203.0.113.10", "203.0.113.20"],
            "ipv4_associations": {"203.0.113.10": "10.0.1.10", "203.0.113.20": "10.0.1.20"},
        },
        {
            "mac": "0e:00:00:00:00:0a",
            "device_number": 1,
            "interface_id": "eni-000000000000000a0",
            "subnet_id": "subnet-0000000000000002a",
            "subnet_ipv4_cidr_block": "10.0.2.0/24",
            "vpc_id": "vpc-00000000000000001",
            "local_ipv4s": ["10.0.2.10", "10.0.2.11", "10.0.2.12"],
            "public_ipv4s": [],
            "ipv4_associations": {},
        },
    ],
}


class Sleeps(list):
    """Records the back-off waits instead of sleeping."""

    def __call__(self, seconds):
        self.append(seconds)


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def client_for(stand_in, **kwargs):
    kwargs.setdefault("sleep", Sleeps())
    return ImdsClient(endpoint=stand_in.url, **kwargs)


# -- the gathered identity -------------------------------------------------------------------------


def test_two_interfaces_ordered_by_device_number_with_secondary_addresses(imds):
    # The listing names the device-1 MAC first; the result must follow the device numbers.
    assert imds._lookup("meta-data/network/interfaces/macs/")[1].splitlines() == [
        "0e:00:00:00:00:0a/",
        "0e:00:00:00:00:0b/",
    ]

    identity = gather_instance_identity(client_for(imds))

    assert identity == EXPECTED_TWO_INTERFACES
    assert [item["device_number"] for item in identity["interfaces"]] == [0, 1]


def test_one_token_serves_the_whole_gathering(imds):
    gather_instance_identity(client_for(imds))

    assert imds.count("PUT") == 1
    assert imds.count("GET", status=401) == 0
    assert imds.count("GET") > 20


def test_no_public_ip_and_no_placement_group(imds_no_public):
    identity = gather_instance_identity(client_for(imds_no_public))

    assert identity["public_ipv4"] is None
    assert identity["placement_group"] is None
    assert identity["interfaces"] == [
        {
            "mac": "0e:00:00:00:00:0b",
            "device_number": 0,
            "interface_id": "eni-000000000000000b0",
            "subnet_id": "subnet-0000000000000001a",
            "subnet_ipv4_cidr_block": "10.0.1.0/24",
            "vpc_id": "vpc-00000000000000001",
            "local_ipv4s": ["10.0.1.10", "10.0.1.20"],
            "public_ipv4s": [],
            "ipv4_associations": {},
        }
    ]
    assert imds_no_public.count("GET", "meta-data/public-ipv4", status=404) == 1


def test_missing_required_item_names_the_url(imds):
    del imds.items["meta-data/placement/availability-zone-id"]

    with pytest.raises(ImdsError) as err:
        gather_instance_identity(client_for(imds))

    url = imds.url + "/latest/meta-data/placement/availability-zone-id"
    assert err.value.url == url
    assert err.value.status == 404
    assert url in str(err.value)
    assert "HTTP 404" in str(err.value)


def test_non_integer_device_number_is_an_error(imds):
    imds.items["meta-data/network/interfaces/macs/0e:00:00:00:00:0a/device-number"] = "one"

    with pytest.raises(ImdsError, match="expected an integer"):
        gather_instance_identity(client_for(imds))


# -- reads and listings ----------------------------------------------------------------------------


def test_get_returns_text_and_none_for_404(imds):
    client = client_for(imds)

    assert client.get("meta-data/instance-id") == "i-0123456789abcdef0"
    assert client.get("/meta-data/instance-id") == "i-0123456789abcdef0"
    assert client.get("meta-data/no-such-item") is None


def test_listing_strips_the_directory_slash(imds):
    client = client_for(imds)

    assert client.get_listing("meta-data/placement/") == [
        "availability-zone",
        "availability-zone-id",
        "group-name",
        "region",
    ]
    assert client.get_listing("meta-data/network/interfaces/macs/") == ["0e:00:00:00:00:0a", "0e:00:00:00:00:0b"]
    assert client.get_listing("meta-data/network/interfaces/macs/0e:00:00:00:00:0a/ipv4-associations/") is None


def test_stand_in_refuses_reads_without_a_token(imds):
    # The stand-in must behave like IMDSv2 for the other tests to mean anything.
    client = client_for(imds)
    status, _body = client._send("GET", client.url("meta-data/instance-id"), {})

    assert status == 401


def test_endpoint_trailing_slash_is_ignored(imds):
    client = ImdsClient(endpoint=imds.url + "/", sleep=Sleeps())

    assert client.endpoint == imds.url
    assert client.get("meta-data/instance-id") == "i-0123456789abcdef0"


def test_proxy_environment_is_ignored(imds, dead_endpoint, monkeypatch):
    # IMDS is link-local: a proxy from the environment must never be used for it.
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.setenv(name, dead_endpoint)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)

    assert client_for(imds, retries=0).get("meta-data/instance-id") == "i-0123456789abcdef0"


def test_redirects_are_not_followed(imds):
    # Following a redirect would send the session token to another URL.
    imds.redirect["meta-data/ami-id"] = "/latest/meta-data/instance-id"

    with pytest.raises(ImdsError) as err:
        client_for(imds).get("meta-data/ami-id")

    assert err.value.status == 302
    assert imds.count("GET", "meta-data/instance-id") == 0


# -- session tokens --------------------------------------------------------------------------------


def test_token_request_carries_the_ttl(imds):
    client_for(imds, token_ttl=60).get("meta-data/instance-id")

    assert imds.count("PUT", "api/token", status=200) == 1
    assert len(imds.tokens) == 1


def test_token_is_renewed_near_expiry(imds):
    clock = FakeClock()
    client = client_for(imds, token_ttl=100, clock=clock)

    client.get("meta-data/instance-id")
    clock.now += 80  # well within the lifetime: reuse
    client.get("meta-data/instance-id")
    assert imds.count("PUT") == 1

    clock.now += 15  # 95 s of 100: inside the renewal margin
    client.get("meta-data/instance-id")
    assert imds.count("PUT") == 2


def test_401_refreshes_the_token_once(imds):
    client = client_for(imds)
    assert client.get("meta-data/instance-id") == "i-0123456789abcdef0"

    imds.revoke_tokens()  # e.g. the service restarted

    assert client.get("meta-data/instance-type") == "c5n.xlarge"
    assert imds.count("PUT") == 2
    assert imds.count("GET", "meta-data/instance-type", status=401) == 1
    assert imds.count("GET", "meta-data/instance-type", status=200) == 1


def test_persistent_401_is_an_error_after_one_refresh(imds):
    imds.reject_tokens = True

    with pytest.raises(ImdsError) as err:
        client_for(imds).get("meta-data/instance-id")

    assert err.value.status == 401
    assert "freshly issued session token" in str(err.value)
    assert imds.count("PUT") == 2
    assert imds.count("GET") == 2


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (403, "IMDS is disabled"),
        (404, "not an IMDSv2 service"),
        (405, "not an IMDSv2 service"),
        (400, "rejected the token TTL"),
    ],
)
def test_token_refusals_are_explained(imds, status, words):
    imds.fail("api/token", status)

    with pytest.raises(ImdsError) as err:
        client_for(imds).get("meta-data/instance-id")

    assert err.value.status == status
    assert words in str(err.value)
    assert imds.url + "/latest/api/token" in str(err.value)
    assert imds.count("GET") == 0


def test_empty_token_is_an_error(imds):
    imds.fail("api/token", 200)  # a 200 with an empty body

    with pytest.raises(ImdsError, match="empty session token"):
        client_for(imds).get("meta-data/instance-id")


# -- retries, timeouts, unreachable endpoints ------------------------------------------------------


def test_retry_then_success_on_500(imds):
    imds.fail("meta-data/instance-id", 500, 503)
    sleeps = Sleeps()
    client = client_for(imds, retries=3, backoff_base=0.1, backoff_cap=1.0, sleep=sleeps)

    assert client.get("meta-data/instance-id") == "i-0123456789abcdef0"
    assert imds.count("GET", "meta-data/instance-id") == 3
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.1
    assert 0 <= sleeps[1] <= 0.2


def test_retry_on_token_500(imds):
    imds.fail("api/token", 500)

    assert client_for(imds, retries=1).get("meta-data/instance-id") == "i-0123456789abcdef0"
    assert imds.count("PUT") == 2


def test_throttling_is_retried(imds):
    imds.fail("meta-data/instance-id", 429)

    assert client_for(imds, retries=1).get("meta-data/instance-id") == "i-0123456789abcdef0"


def test_retries_are_bounded(imds):
    imds.fail("meta-data/instance-id", 500, 500, 500, 500)
    sleeps = Sleeps()

    with pytest.raises(ImdsError) as err:
        client_for(imds, retries=2, sleep=sleeps).get("meta-data/instance-id")

    assert err.value.status == 500
    assert "HTTP 500" in str(err.value)
    assert "after 3 attempt(s)" in str(err.value)
    assert imds.count("GET", "meta-data/instance-id") == 3
    assert len(sleeps) == 2


def test_backoff_waits_are_capped():
    sleeps = Sleeps()
    client = ImdsClient(endpoint="http://127.0.0.1:9", retries=6, backoff_base=0.5, backoff_cap=1.0, sleep=sleeps)
    client._send_once = _always_refused

    with pytest.raises(ImdsError):
        client.get("meta-data/instance-id")

    assert len(sleeps) == 6
    assert all(0 <= wait <= 1.0 for wait in sleeps)


def _always_refused(method, url, headers):
    raise imds_utils._Transient("[Errno 111] Connection refused")


def test_other_http_errors_are_not_retried(imds):
    imds.fail("meta-data/instance-id", 403)

    with pytest.raises(ImdsError) as err:
        client_for(imds).get("meta-data/instance-id")

    assert err.value.status == 403
    assert imds.count("GET", "meta-data/instance-id") == 1


def test_unreachable_endpoint_is_a_clear_error(dead_endpoint):
    sleeps = Sleeps()

    with pytest.raises(ImdsError) as err:
        ImdsClient(endpoint=dead_endpoint, retries=2, sleep=sleeps).get("meta-data/instance-id")

    message = str(err.value)
    assert message.startswith("IMDSv2 endpoint %s unreachable" % dead_endpoint)
    assert dead_endpoint + "/latest/api/token" in message
    assert "refused" in message.lower()
    assert "after 3 attempt(s)" in message
    assert "HttpEndpoint=enabled" in message
    assert "hop" in message.lower()
    assert "stand-in is running" in message
    assert err.value.status is None
    assert len(sleeps) == 2


def test_timeout_is_retried_then_reported(imds):
    imds.delay["meta-data/instance-id"] = 1.0

    with pytest.raises(ImdsError) as err:
        client_for(imds, timeout=0.2, retries=1).get("meta-data/instance-id")

    assert "timed out after 0.2s" in str(err.value)
    assert "unreachable" in str(err.value)


# -- settings --------------------------------------------------------------------------------------


@pytest.mark.parametrize("ttl", [0, -1, 21601, True, "60", 60.0, None])
def test_bad_ttl_is_rejected(ttl):
    with pytest.raises(ImdsError, match=r"token_ttl .* between 1 and 21600"):
        ImdsClient(endpoint="http://127.0.0.1:9", token_ttl=ttl)


@pytest.mark.parametrize("ttl", [1, 21600])
def test_ttl_bounds_are_accepted(imds, ttl):
    assert client_for(imds, token_ttl=ttl).get("meta-data/instance-id") == "i-0123456789abcdef0"


@pytest.mark.parametrize(
    "endpoint",
    ["", None, "169.254.169.254", "ftp://127.0.0.1", "file:///etc/passwd", "http://", "http://127.0.0.1/?x=1"],
)
def test_bad_endpoint_is_rejected(endpoint):
    with pytest.raises(ImdsError, match="invalid IMDS endpoint"):
        ImdsClient(endpoint=endpoint)


@pytest.mark.parametrize(("name", "value"), [("timeout", 0), ("timeout", -1.0), ("retries", -1), ("retries", 1.5)])
def test_bad_timeout_or_retries_is_rejected(name, value):
    with pytest.raises(ImdsError, match="invalid IMDS %s" % name):
        ImdsClient(endpoint="http://127.0.0.1:9", **{name: value})


# -- the no-contact rule and node-side use ---------------------------------------------------------


def test_default_endpoint_is_the_aws_address_but_tests_never_use_it(network_guard, imds):
    # The default is only a value here: constructing a client sends nothing.
    assert DEFAULT_ENDPOINT == "http://169.254.169.254"
    assert ImdsClient().endpoint == DEFAULT_ENDPOINT

    # Every connection of the client goes through the fence, which saw only the stand-in.
    assert socket.socket.connect is network_guard.connect
    client_for(imds).get("meta-data/instance-id")
    port = int(imds.url.rsplit(":", 1)[1])
    assert network_guard.allowed_connections
    assert all(address == ("127.0.0.1", port) for address in network_guard.allowed_connections)

    # The fence installed by conftest refuses the IMDS addresses before any packet leaves.
    # (It is exercised on a non-socket object: were the fence missing, the real connect would
    # raise TypeError here rather than open a connection.)
    assert not network_guard.allowed(("169.254.169.254", 80))
    assert not network_guard.allowed(("fd00:ec2::254", 80, 0, 0))
    assert network_guard.allowed(("127.0.0.1", 80))
    with pytest.raises(AssertionError, match="instance metadata service"):
        network_guard.connect(object(), ("169.254.169.254", 80))
    network_guard.blocked.clear()
