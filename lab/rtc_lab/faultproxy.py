"""A fault-injection proxy in front of the lab's AWS endpoint: latency, throttling and 5xx errors.

The failover agent's claim is that a takeover completes and is verified under a slow or unhealthy
EC2 API, or that it says loudly that it failed. This proxy makes the API slow and unhealthy on
purpose, per request, with a seeded random generator (a run can be repeated):

* ``latency``: seconds added before every request is forwarded (EC2 from inside a region answers
  in tens of milliseconds; hundreds are a bad day);
* ``throttle``: the share of requests answered ``503 RequestLimitExceeded`` without forwarding them
  (EC2's throttling error; the request is not carried out);
* ``error``: the share answered ``500 InternalError`` without forwarding them;
* ``error_after``: the share forwarded -- so the change *is* applied -- and then answered ``500
  InternalError`` anyway: the case where a client cannot know whether its write happened;
* ``actions``: when set, only requests for these API actions get faults (latency applies to all).

Errors use the EC2 query protocol's XML error format, so botocore parses them as EC2's own.
``counts`` records what happened per action (``forwarded``, ``throttled``, ``error``, ``error_after``).

CLI: ``python -m rtc_lab.faultproxy --listen 10.93.0.1:5904 --upstream http://127.0.0.1:5004 --latency 0.3``.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .netutil import Listeners, parse_listen

log = logging.getLogger(__name__)

_ERROR_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code}</Code>'
    "<Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
)
_HOP_BY_HOP = frozenset(
    ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers", "transfer-encoding",
     "upgrade"]
)  # fmt: skip


def action_of(body: bytes, query: str) -> str:
    """The ``Action`` of an EC2 query-protocol request (form body or query string), else ``-``."""
    for source in (query, body.decode("utf-8", "replace")):
        found = parse_qs(source).get("Action")
        if found:
            return found[0]
    return "-"


class Faults:
    """What to inject; ``decide(action)`` draws one of ``forward``, ``throttle``, ``error``, ``error_after``."""

    def __init__(
        self,
        latency: float = 0.0,
        throttle: float = 0.0,
        error: float = 0.0,
        error_after: float = 0.0,
        actions: Iterable[str] | None = None,
        seed: int | None = None,
    ):
        for name, share in (("throttle", throttle), ("error", error), ("error_after", error_after)):
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{name} must be a share between 0 and 1, got {share}")
        if throttle + error + error_after > 1.0:
            raise ValueError("throttle + error + error_after must not exceed 1")
        if latency < 0:
            raise ValueError(f"latency must be >= 0 seconds, got {latency}")
        self.latency, self.throttle, self.error, self.error_after = latency, throttle, error, error_after
        self.actions = frozenset(actions) if actions else None
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.counts: Counter[tuple[str, str]] = Counter()

    def decide(self, action: str) -> str:
        if self.actions is not None and action not in self.actions:
            outcome = "forward"
        else:
            with self._lock:
                draw = self._random.random()
            if draw < self.throttle:
                outcome = "throttle"
            elif draw < self.throttle + self.error:
                outcome = "error"
            elif draw < self.throttle + self.error + self.error_after:
                outcome = "error_after"
            else:
                outcome = "forward"
        with self._lock:
            self.counts[(action, outcome)] += 1
        return outcome

    def summary(self) -> dict[str, dict[str, int]]:
        with self._lock:
            result: dict[str, dict[str, int]] = {}
            for (action, outcome), count in sorted(self.counts.items()):
                result.setdefault(action, {})[outcome] = count
            return result


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _relay(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        action = action_of(body, parts.query)
        faults = self.server.faults
        if faults.latency:
            time.sleep(faults.latency)
        outcome = faults.decide(action)
        if outcome == "throttle":
            self._error(503, "RequestLimitExceeded", "Request limit exceeded (injected by the lab's fault proxy).")
            return
        if outcome == "error":
            self._error(500, "InternalError", "An internal error has occurred (injected, request not forwarded).")
            return
        status, headers, payload = self._forward(body)
        if outcome == "error_after":
            self._error(500, "InternalError", "An internal error has occurred (injected after the request was served).")
            return
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        upstream = self.server.upstream
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port or 80, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def _error(self, status: int, code: str, message: str) -> None:
        payload = _ERROR_XML.format(code=code, message=message, request_id="fault-proxy").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _relay


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sock, faults: Faults, upstream: str):
        self.faults, self.upstream = faults, urlsplit(upstream)
        super().__init__(sock.getsockname()[:2], _Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.server_address = sock.getsockname()[:2]


class FaultProxy(Listeners):
    """The proxy on ``listen`` (a list of (host, port); port 0 picks a free one) in front of ``upstream``."""

    label = "fault proxy"

    def __init__(self, upstream: str, faults: Faults, listen: Iterable[tuple[str, int]] = (("127.0.0.1", 0),)):
        super().__init__(listen)
        self.upstream, self.faults = upstream, faults

    def _make_server(self, sock):
        return _Server(sock, self.faults, self.upstream)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rtc_lab.faultproxy", description=__doc__.splitlines()[0])
    parser.add_argument("--listen", action="append", type=parse_listen, required=True, metavar="HOST:PORT")
    parser.add_argument("--upstream", required=True, help="the AWS endpoint's URL, e.g. http://127.0.0.1:5004")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    parser.add_argument("--throttle", type=float, default=0.0, help="share answered RequestLimitExceeded")
    parser.add_argument("--error", type=float, default=0.0, help="share answered 500 without forwarding")
    parser.add_argument("--error-after", type=float, default=0.0, help="share forwarded, then answered 500")
    parser.add_argument("--action", action="append", help="only these actions get faults (repeatable)")
    parser.add_argument("--seed", type=int)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    faults = Faults(args.latency, args.throttle, args.error, args.error_after, args.action, args.seed)
    proxy = FaultProxy(args.upstream, faults, args.listen)
    proxy.start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    proxy.stop()
    log.info("fault proxy counts: %s", faults.summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
