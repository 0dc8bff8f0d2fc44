# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared set-up of the unit tests.

* Makes the collection importable as ``ansible_collections.rtc.ec2_fleet`` (a symlink under
  ``.cache/collections`` when the repository is not already inside an ``ansible_collections`` tree).
* Fences the network: unit tests may connect to loopback only, and never to the instance metadata
  addresses (169.254.169.254, fd00:ec2::254), which on the CI machine are the machine's own IMDS.
* Provides ``ImdsStandIn``: an IMDSv2 stand-in on 127.0.0.1 (stdlib http.server in a thread).
"""

from __future__ import annotations

import contextlib
import importlib
import ipaddress
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS_DIR = REPO_ROOT / ".cache" / "collections"


def _ensure_collection_importable() -> None:
    try:
        importlib.import_module("ansible_collections.rtc.ec2_fleet")
        return
    except ImportError:
        pass
    link = COLLECTIONS_DIR / "ansible_collections" / "rtc" / "ec2_fleet"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink():  # dangling: the repository moved
            link.unlink()
        with contextlib.suppress(FileExistsError):  # another pytest-xdist worker was faster
            link.symlink_to(REPO_ROOT, target_is_directory=True)
    sys.path.insert(0, str(COLLECTIONS_DIR))
    importlib.invalidate_caches()
    importlib.import_module("ansible_collections.rtc.ec2_fleet")


_ensure_collection_importable()


# --------------------------------------------------------------------------------------------------
# Network fence
# --------------------------------------------------------------------------------------------------

IMDS_ADDRESSES = frozenset(["169.254.169.254", "fd00:ec2::254"])


class ForbiddenConnection(AssertionError):
    """A unit test tried to open a connection outside loopback (raised before any packet is sent)."""


class NetworkGuard:
    """Replaces ``socket.socket.connect``/``connect_ex`` with versions that only allow loopback."""

    def __init__(self) -> None:
        self.blocked: list[tuple[str, object]] = []
        self.allowed_connections: list[object] = []
        self._real_connect = socket.socket.connect
        self._real_connect_ex = socket.socket.connect_ex
        guard = self

        def connect(sock, address):
            guard.check(address)
            return guard._real_connect(sock, address)

        def connect_ex(sock, address):
            guard.check(address)
            return guard._real_connect_ex(sock, address)

        self.connect = connect
        self.connect_ex = connect_ex

    @staticmethod
    def allowed(address) -> bool:
        if not isinstance(address, tuple):  # AF_UNIX paths and the like
            return True
        host = address[0]
        if isinstance(host, bytes):
            host = host.decode()
        candidates = []
        try:
            candidates.append(ipaddress.ip_address(host.split("%", 1)[0]))
        except ValueError:
            # A host name: judge every address it resolves to (resolution sends nothing to it).
            try:
                infos = socket.getaddrinfo(host, None)
            except OSError:
                return False
            for info in infos:
                candidates.append(ipaddress.ip_address(info[4][0].split("%", 1)[0]))
        return bool(candidates) and all(str(ip) not in IMDS_ADDRESSES and ip.is_loopback for ip in candidates)

    def check(self, address) -> None:
        if self.allowed(address):
            self.allowed_connections.append(address)
        else:
            self.blocked.append((threading.current_thread().name, address))
            what = "the instance metadata service" if address[0] in IMDS_ADDRESSES else "a non-loopback address"
            raise ForbiddenConnection(
                "unit test tried to connect to %r (%s); unit tests talk to 127.0.0.1 only" % (address, what)
            )


@pytest.fixture(autouse=True)
def network_guard(monkeypatch):
    """Every unit test runs fenced, without an inherited IMDS endpoint, with boto's IMDS probing off."""
    monkeypatch.delenv("RTC_IMDS_ENDPOINT", raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    guard = NetworkGuard()
    monkeypatch.setattr(socket.socket, "connect", guard.connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guard.connect_ex)
    yield guard
    assert not guard.blocked, "connections outside loopback were attempted: %r" % guard.blocked


# --------------------------------------------------------------------------------------------------
# IMDSv2 stand-in
# --------------------------------------------------------------------------------------------------

PRIMARY_MAC = "0e:00:00:00:00:0b"
SECONDARY_MAC = "0e:00:00:00:00:0a"  # sorts first in the listing but is device 1


def two_interface_items() -> dict[str, str]:
    """Metadata of an instance with two ENIs; the primary one carries a secondary address and two EIPs."""
    primary = "meta-data/network/interfaces/macs/%s/" % PRIMARY_MAC
    secondary = "meta-data/network/interfaces/macs/%s/" % SECONDARY_MAC
    return {
        "meta-data/instance-id": "i-0123456789abcdef0",
        "meta-data/instance-type": "c5n.xlarge",
        "meta-data/ami-id": "ami-0abcdef1234567890",
        "meta-data/placement/region": "eu-west-1",
        "meta-data/placement/availability-zone": "eu-west-1a",
        "meta-data/placement/availability-zone-id": "euw1-az1",
        "meta-data/placement/group-name": "rtc-media",
        "meta-data/mac": PRIMARY_MAC,
        "meta-data/local-ipv4": "10.0.1.10",
        "meta-data/public-ipv4": "203.0.113.10",
        "meta-data/hostname": "ip-10-0-1-10.eu-west-1.compute.internal",
        primary + "device-number": "0",
        primary + "interface-id": "eni-000000000000000b0",
        primary + "subnet-id": "subnet-0000000000000001a",
        primary + "subnet-ipv4-cidr-block": "10.0.1.0/24",
        primary + "vpc-id": "vpc-00000000000000001",
        primary + "local-ipv4s": "10.0.1.10\n10.0.1.20",
        primary + "public-ipv4s": "203.0.113.10\n203.0.113.20",
        primary + "ipv4-associations/203.0.113.10": "10.0.1.10",
        primary + "ipv4-associations/203.0.113.20": "10.0.1.20",
        primary + "owner-id": "123456789012",
        secondary + "device-number": "1",
        secondary + "interface-id": "eni-000000000000000a0",
        secondary + "subnet-id": "subnet-0000000000000002a",
        secondary + "subnet-ipv4-cidr-block": "10.0.2.0/24",
        secondary + "vpc-id": "vpc-00000000000000001",
        secondary + "local-ipv4s": "10.0.2.10\n10.0.2.11\n10.0.2.12",
        secondary + "owner-id": "123456789012",
    }


def no_public_items() -> dict[str, str]:
    """One private-only interface, outside any placement group."""
    return {
        key: value
        for key, value in two_interface_items().items()
        if SECONDARY_MAC not in key
        and not key.endswith(("public-ipv4", "public-ipv4s", "group-name"))
        and "ipv4-associations" not in key
    }


class _Handler(BaseHTTPRequestHandler):
    server_version = "EC2ws"
    sys_version = ""
    stand_in: ImdsStandIn  # set on the per-server subclass

    def log_message(self, format, *args):  # keep the test output quiet
        pass

    def _reply(self, status: int, body: str = "", headers: dict[str, str] | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        self.stand_in._handle(self, "PUT")

    def do_GET(self):
        self.stand_in._handle(self, "GET")


class ImdsStandIn:
    """An IMDSv2 stand-in: tokens from ``PUT /latest/api/token``, 401 without a valid token, 404 for missing items.

    ``items`` maps paths below ``/latest/`` to their text; directory listings are derived from them
    (sub-directories end with ``/``).  Knobs for tests: ``fail(path, *statuses)`` answers the next
    requests of ``path`` with those statuses, ``delay[path]`` sleeps before answering,
    ``redirect[path]`` answers with a 302, ``revoke_tokens()`` invalidates every issued token and
    ``reject_tokens`` makes every token invalid.  ``requests`` logs ``(method, path, status)``.
    """

    def __init__(self, items: dict[str, str]):
        self.items = dict(items)
        self.tokens: dict[str, float] = {}
        self.token_ttls: list[int] = []
        self.requests: list[tuple[str, str, int]] = []
        self.failures: dict[str, list[int]] = {}
        self.delay: dict[str, float] = {}
        self.redirect: dict[str, str] = {}
        self.reject_tokens = False
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"stand_in": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="imds-stand-in", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return "http://%s:%d" % (host, port)

    def start(self) -> ImdsStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def fail(self, path: str, *statuses: int) -> None:
        self.failures.setdefault(path, []).extend(statuses)

    def revoke_tokens(self) -> None:
        with self._lock:
            self.tokens.clear()

    def count(self, method: str, path: str | None = None, status: int | None = None) -> int:
        return sum(
            1
            for m, p, s in list(self.requests)
            if m == method and (path is None or p == path) and (status is None or s == status)
        )

    # -- request handling (runs in the server's threads) -----------------------------------------

    def _handle(self, handler: _Handler, method: str) -> None:
        path = handler.path.split("?", 1)[0]
        rel = path[len("/latest/") :] if path.startswith("/latest/") else None
        status, body, headers = self._answer(handler, method, rel)
        with self._lock:
            self.requests.append((method, rel if rel is not None else path, status))
        if rel is not None and rel in self.delay:
            time.sleep(self.delay[rel])
        handler._reply(status, body, headers)

    def _answer(self, handler, method, rel):
        if rel is None:
            return 404, "", {}
        with self._lock:
            queued = self.failures.get(rel)
            if queued:
                return queued.pop(0), "", {}
        if method == "PUT":
            if rel != "api/token":
                return 405, "", {}
            return self._issue_token(handler)
        if rel == "api/token":
            return 405, "", {}
        if not self._token_valid(handler.headers.get("X-aws-ec2-metadata-token")):
            return 401, "", {}
        if rel in self.redirect:
            return 302, "", {"Location": self.redirect[rel]}
        return self._lookup(rel)

    def _issue_token(self, handler):
        if handler.headers.get("X-Forwarded-For"):
            return 403, "", {}
        ttl = handler.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        try:
            seconds = int(ttl)
        except (TypeError, ValueError):
            return 400, "", {}
        if not 1 <= seconds <= 21600:
            return 400, "", {}
        token = "AQAEA" + uuid.uuid4().hex
        with self._lock:
            self.tokens[token] = time.monotonic() + seconds
            self.token_ttls.append(seconds)
        return 200, token, {"X-aws-ec2-metadata-token-ttl-seconds": str(seconds)}

    def _token_valid(self, token) -> bool:
        if self.reject_tokens or not token:
            return False
        with self._lock:
            expiry = self.tokens.get(token)
        return expiry is not None and time.monotonic() < expiry

    def _lookup(self, rel):
        if rel in self.items:
            return 200, self.items[rel], {}
        prefix = rel.rstrip("/") + "/" if rel.strip("/") else ""
        children = set()
        for key in self.items:
            if key.startswith(prefix) and key != prefix:
                head, sep, _rest = key[len(prefix) :].partition("/")
                children.add(head + sep)
        if not children:
            return 404, "", {}
        return 200, "\n".join(sorted(children)), {}


@pytest.fixture
def imds_factory():
    """Start IMDSv2 stand-ins on 127.0.0.1 with the given items; all are stopped after the test."""
    started: list[ImdsStandIn] = []

    def start(items: dict[str, str]) -> ImdsStandIn:
        stand_in = ImdsStandIn(items).start()
        started.append(stand_in)
        return stand_in

    yield start
    for stand_in in started:
        stand_in.stop()


@pytest.fixture
def imds(imds_factory) -> ImdsStandIn:
    """A running stand-in for an instance with two network interfaces."""
    return imds_factory(two_interface_items())


@pytest.fixture
def imds_no_public(imds_factory) -> ImdsStandIn:
    """A running stand-in for a private-only instance with one interface and no placement group."""
    return imds_factory(no_public_items())


@pytest.fixture
def dead_endpoint() -> str:
    """A loopback URL nobody listens on (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return "http://127.0.0.1:%d" % port
