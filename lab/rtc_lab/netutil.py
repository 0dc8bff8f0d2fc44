"""Listening sockets shared by the endpoint and the IMDS stand-in."""

from __future__ import annotations

import http.client
import socket

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
