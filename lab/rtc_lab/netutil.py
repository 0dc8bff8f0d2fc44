"""Listening sockets shared by the endpoint and the IMDS stand-in."""

from __future__ import annotations

import http.client
import logging
import socket
import socketserver
import threading
from collections.abc import Iterable

log = logging.getLogger(__name__)

# Not exported by the socket module before Python 3.12; the value is Linux's.
IP_FREEBIND = getattr(socket, "IP_FREEBIND", 15)


def parse_listen(text: str) -> tuple[str, int]:
    """``"10.89.0.1:5000"`` -> ``("10.89.0.1", 5000)`` (IPv4 only: the lab is IPv4)."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"listen address must look like HOST:PORT, got {text!r}")
    socket.inet_aton(host)  # raises OSError for anything that is not an IPv4 address
    return host, int(port)


def bind_freebind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port, bound with IP_FREEBIND.

    IP_FREEBIND lets the lab bind the podman bridge address (10.89.0.1) before the
    bridge exists: podman creates it only when the first container starts, and the
    stand-ins must be up before that.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_IP, IP_FREEBIND, 1)
        sock.bind((host, port))
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    return sock


def is_local_address(host: str) -> bool:
    """Whether host is configured on this machine now (a freebind socket may wait for it)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind((host, 0))
    except OSError:
        return False
    finally:
        probe.close()
    return True


def http_answers(host: str, port: int, method: str = "GET", path: str = "/", headers=None, timeout=2.0) -> bool:
    """Whether an HTTP server answers on host:port (any status counts as an answer)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        conn.getresponse().read()
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()
    return True


class Listeners:
    """One service on several (host, port) listeners, each served by its own thread.

    Subclasses say how a bound socket becomes a server (``_make_server``); binding (with
    IP_FREEBIND), serving, and closing everything again if any address fails, live here once.
    """

    label = "server"

    def __init__(self, listen: Iterable[tuple[str, int]]):
        self._listen = list(listen)
        self._servers: list[socketserver.BaseServer] = []
        self._threads: list[threading.Thread] = []

    def _make_server(self, sock: socket.socket) -> socketserver.BaseServer:
        raise NotImplementedError

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return [tuple(s.server_address[:2]) for s in self._servers]

    @property
    def url(self) -> str:
        host, port = self.addresses[0]
        return f"http://{host}:{port}"

    def start(self) -> list[tuple[str, int]]:
        try:
            for host, port in self._listen:
                self._servers.append(self._make_server(bind_freebind(host, port)))
        except BaseException:
            self.stop()
            raise
        for server in self._servers:
            host, port = server.server_address[:2]
            thread = threading.Thread(target=server.serve_forever, name=f"{self.label}-{port}", daemon=True)
            thread.start()
            self._threads.append(thread)
            log.info("%s listening on %s:%d", self.label, host, port)
        return self.addresses

    def stop(self) -> None:
        for thread, server in zip(self._threads, self._servers, strict=False):
            server.shutdown()
            thread.join()
        for server in self._servers:
            server.server_close()
        self._servers, self._threads = [], []

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
