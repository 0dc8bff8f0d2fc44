"""A small client for rtpengine's ng control protocol and a plain RTP endpoint, standard library only.

The ng protocol is what Kamailio's rtpengine module speaks: one UDP datagram per request,
``<cookie> <bencoded dictionary>``, answered with ``<cookie> <bencoded dictionary>``. This client sends
exactly those datagrams, so a test driving it exercises the relay the way the edge does.

Sub-commands (every one prints one JSON object on stdout):

``ng SERVER JSON``
    Send one request (a JSON object such as ``{"command": "ping"}``) and print the decoded reply.
    Exit status 0 on a reply, 3 when no reply came within ``--timeout`` (the control socket dropped
    or refused the request), 4 when the request was refused with ICMP (connection refused).

``calls SERVER N``
    Set up N calls through the relay (offer + answer each, G.711 µ-law, caller on the public side) for
    a caller at ``--caller IP`` ports ``--caller-port``, +2, ... and a callee at ``--callee IP`` likewise;
    print ``{"caller": [[bind, to], ...], "callee": [[bind, to], ...]}``: where each end must send.
    ``--direct`` prints the same without the relay (each end sends straight to the other: the floor).
    ``calls SERVER N --delete`` deletes them again.

``load SPEC``
    Many RTP streams at once for load tests: SPEC is a JSON list of ``[bind, to]`` pairs (as ``calls``
    prints them), ``-`` for stdin. Every ``--ptime`` ms one packet goes out on every stream for
    ``--seconds``; whatever arrives is counted per stream. Prints sent/received totals, the streams that
    lost packets and how late the sender fell behind its schedule (the load generator's own limit).

``rtp``
    A plain RTP endpoint: sends ``--count`` packets of payload type ``--pt`` every ``--ptime`` ms
    from ``--bind`` to ``--to``, and at the same time counts what arrives on ``--bind`` (by payload
    type and by source) until ``--linger`` seconds after the last packet sent. The first packet is
    sent after ``--start-delay`` seconds, so both ends of a call can start listening first.
"""

import argparse
import json
import os
import pathlib
import selectors
import socket
import struct
import sys
import time


class BencodeError(ValueError):
    """The input is not valid bencode."""


def bencode(value):
    """Encode str/bytes/int/list/dict (keys sorted, as the format requires) to bytes."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, (list, tuple)):
        return b"l" + b"".join(bencode(item) for item in value) + b"e"
    if isinstance(value, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, v) for k, v in value.items())
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"
    raise TypeError(f"cannot bencode {type(value).__name__}")


def bdecode(data):
    """Decode bytes to Python values; byte strings become str (UTF-8, replacement on errors)."""
    value, end = _decode(data, 0)
    if end != len(data):
        raise BencodeError(f"trailing data at offset {end}")
    return value


def _decode(data, pos):
    if pos >= len(data):
        raise BencodeError("truncated input")
    lead = data[pos : pos + 1]
    if lead == b"i":
        end = data.index(b"e", pos)
        return int(data[pos + 1 : end]), end + 1
    if lead in (b"l", b"d"):
        pos += 1
        items = []
        while data[pos : pos + 1] != b"e":
            if pos >= len(data):
                raise BencodeError("unterminated list or dictionary")
            item, pos = _decode(data, pos)
            items.append(item)
        if lead == b"l":
            return items, pos + 1
        if len(items) % 2:
            raise BencodeError("dictionary with a key and no value")
        return dict(zip(items[::2], items[1::2], strict=True)), pos + 1
    if lead.isdigit():
        colon = data.index(b":", pos)
        length = int(data[pos:colon])
        start = colon + 1
        if start + length > len(data):
            raise BencodeError("truncated string")
        return data[start : start + length].decode("utf-8", "replace"), start + length
    raise BencodeError(f"unexpected byte {lead!r} at offset {pos}")


def parse_hostport(text):
    host, _unused, port = text.rpartition(":")
    return host, int(port)


def ng_request(server, request, timeout=2.0, source=None):
    """Send one ng request; return the decoded reply. Raises TimeoutError or ConnectionRefusedError."""
    cookie = os.urandom(6).hex().encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        if source:
            sock.bind((source, 0))
        sock.settimeout(timeout)
        sock.connect(server)
        sock.send(cookie + b" " + bencode(request))
        deadline = time.monotonic() + timeout
        while True:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            try:
                data = sock.recv(65535)
            except socket.timeout as exc:
                raise TimeoutError(f"no ng reply from {server[0]}:{server[1]} within {timeout}s") from exc
            got_cookie, _unused, body = data.partition(b" ")
            if got_cookie == cookie:
                return bdecode(body)


RTP_HEADER = struct.Struct("!BBHII")


def rtp_endpoint(bind, to, count, pt, ptime_ms, payload_size, ssrc, start_delay, linger):
    """Send `count` RTP packets to `to` and count what arrives on `bind`; return a summary dict."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind(bind)
    received = {"packets": 0, "by_pt": {}, "by_source": {}, "ssrcs": set(), "bytes": 0}
    payload = bytes([0xFF]) * payload_size  # G.711 silence; any bytes decode for G.722
    interval = ptime_ms / 1000.0
    start = time.monotonic() + start_delay
    sent = 0
    seq = 0
    timestamp = 0
    end = None

    def drain(until):
        while True:
            remaining = until - time.monotonic()
            if remaining <= 0:
                return
            sock.settimeout(remaining)
            try:
                data, source = sock.recvfrom(65535)
            except socket.timeout:
                return
            if len(data) < RTP_HEADER.size or data[0] >> 6 != 2:
                continue
            _unused, marker_pt, _unused, _unused, their_ssrc = RTP_HEADER.unpack_from(data)
            rpt = str(marker_pt & 0x7F)
            src = f"{source[0]}:{source[1]}"
            received["packets"] += 1
            received["bytes"] += len(data) - RTP_HEADER.size
            received["by_pt"][rpt] = received["by_pt"].get(rpt, 0) + 1
            received["by_source"][src] = received["by_source"].get(src, 0) + 1
            received["ssrcs"].add(their_ssrc)

    while sent < count:
        drain(start + sent * interval)
        if to is not None:
            header = RTP_HEADER.pack(0x80, (0x80 if sent == 0 else 0) | pt, seq, timestamp, ssrc)
            sock.sendto(header + payload, to)
        sent += 1
        seq = (seq + 1) & 0xFFFF
        timestamp = (timestamp + int(8 * ptime_ms)) & 0xFFFFFFFF
    end = time.monotonic() + linger
    drain(end)
    sock.close()
    received["ssrcs"] = len(received["ssrcs"])
    return {"sent": sent if to else 0, "to": f"{to[0]}:{to[1]}" if to else None, "received": received}


def sdp(address, port, session_id):
    return (
        f"v=0\r\no=- {session_id} 1 IN IP4 {address}\r\ns=-\r\nc=IN IP4 {address}\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n"
    )


def media_target(body):
    address = port = None
    for line in body.splitlines():
        if line.startswith("c=IN IP4 "):
            address = line.split()[-1]
        elif line.startswith("m=audio "):
            port = int(line.split()[1])
    return f"{address}:{port}"


def setup_calls(server, count, caller, caller_port, callee, callee_port, prefix, direct, timeout):
    """Offer/answer `count` calls; return where each end must send."""
    plan = {"caller": [], "callee": []}
    for index in range(count):
        a_port, b_port = caller_port + 2 * index, callee_port + 2 * index
        a_bind, b_bind = f"{caller}:{a_port}", f"{callee}:{b_port}"
        if direct:
            plan["caller"].append([a_bind, b_bind])
            plan["callee"].append([b_bind, a_bind])
            continue
        call_id = f"{prefix}-{index}"
        offer = ng_request(
            server,
            {
                "command": "offer",
                "call-id": call_id,
                "from-tag": "a",
                "sdp": sdp(caller, a_port, index + 1),
                "direction": ["public", "private"],
            },
            timeout,
        )
        answer = ng_request(
            server,
            {
                "command": "answer",
                "call-id": call_id,
                "from-tag": "a",
                "to-tag": "b",
                "sdp": sdp(callee, b_port, index + 1),
            },
            timeout,
        )
        if offer.get("result") != "ok" or answer.get("result") != "ok":
            raise RuntimeError(f"call {call_id}: offer {offer}, answer {answer}")
        plan["caller"].append([a_bind, media_target(answer["sdp"])])
        plan["callee"].append([b_bind, media_target(offer["sdp"])])
    return plan


def delete_calls(server, count, prefix, timeout):
    deleted = 0
    for index in range(count):
        reply = ng_request(server, {"command": "delete", "call-id": f"{prefix}-{index}", "from-tag": "a"}, timeout)
        deleted += reply.get("result") == "ok"
    return {"deleted": deleted}


def load(spec, seconds, ptime_ms, payload_size, start_delay, linger):
    """Send one packet per stream every ptime on every stream; count arrivals per stream."""
    interval = ptime_ms / 1000.0
    selector = selectors.DefaultSelector()
    streams = []
    for index, (bind, to) in enumerate(spec):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 18)
        sock.bind(parse_hostport(bind))
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, index)
        streams.append({"sock": sock, "to": parse_hostport(to), "rx": 0, "ssrc": 0x10000 + index})
    payload = bytes([0xFF]) * payload_size
    ticks = round(seconds / interval)
    send_errors = 0
    start = time.monotonic() + start_delay
    worst_lag = 0.0

    def drain(until):
        while True:
            remaining = until - time.monotonic()
            for key, _unused in selector.select(max(remaining, 0)):
                stream = streams[key.data]
                while True:
                    try:
                        stream["sock"].recv(2048)
                    except BlockingIOError:
                        break
                    except ConnectionRefusedError:
                        continue
                    stream["rx"] += 1
            if remaining <= 0:
                return

    for tick in range(ticks):
        due = start + tick * interval
        drain(due)
        worst_lag = max(worst_lag, time.monotonic() - due)
        header_fields = (0x80, 0, tick & 0xFFFF, (tick * int(8 * ptime_ms)) & 0xFFFFFFFF)
        for stream in streams:
            packet = RTP_HEADER.pack(*header_fields, stream["ssrc"]) + payload
            try:
                stream["sock"].sendto(packet, stream["to"])
            except (BlockingIOError, ConnectionRefusedError):
                send_errors += 1
    drain(time.monotonic() + linger)
    for stream in streams:
        selector.unregister(stream["sock"])
        stream["sock"].close()
    received = [stream["rx"] for stream in streams]
    return {
        "streams": len(streams),
        "sent_per_stream": ticks,
        "sent": ticks * len(streams),
        "received": sum(received),
        "streams_short": sum(1 for count in received if count < ticks),
        "min_received": min(received) if received else 0,
        "send_errors": send_errors,
        "worst_send_lag_ms": round(worst_lag * 1000, 2),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    ng = sub.add_parser("ng", help="send one ng request")
    ng.add_argument("server", help="address:port of the ng control socket")
    ng.add_argument("request", help="the request as a JSON object, or @file, or - for stdin")
    ng.add_argument("--timeout", type=float, default=2.0)
    ng.add_argument("--source", help="local address to send from")
    calls = sub.add_parser("calls", help="set up (or delete) N relayed calls")
    calls.add_argument("server")
    calls.add_argument("count", type=int)
    calls.add_argument("--caller")
    calls.add_argument("--callee")
    calls.add_argument("--caller-port", type=int, default=42000)
    calls.add_argument("--callee-port", type=int, default=42000)
    calls.add_argument("--prefix", default="load")
    calls.add_argument("--direct", action="store_true")
    calls.add_argument("--delete", action="store_true")
    calls.add_argument("--timeout", type=float, default=2.0)
    many = sub.add_parser("load", help="many RTP streams at once")
    many.add_argument("spec")
    many.add_argument("--seconds", type=float, default=10.0)
    many.add_argument("--ptime", type=float, default=20.0)
    many.add_argument("--payload-size", type=int, default=160)
    many.add_argument("--start-delay", type=float, default=1.0)
    many.add_argument("--linger", type=float, default=1.0)
    rtp = sub.add_parser("rtp", help="send and count RTP")
    rtp.add_argument("--bind", required=True, help="local address:port")
    rtp.add_argument("--to", help="remote address:port (leave out to only receive)")
    rtp.add_argument("--count", type=int, default=100)
    rtp.add_argument("--pt", type=int, default=0)
    rtp.add_argument("--ptime", type=float, default=20.0)
    rtp.add_argument("--payload-size", type=int, default=160)
    rtp.add_argument("--ssrc", type=lambda s: int(s, 0), default=None)
    rtp.add_argument("--start-delay", type=float, default=0.5)
    rtp.add_argument("--linger", type=float, default=1.0)
    args = parser.parse_args(argv)

    if args.cmd == "ng":
        text = args.request
        if text == "-":
            text = sys.stdin.read()
        elif text.startswith("@"):
            with open(text[1:], encoding="utf-8") as handle:
                text = handle.read()
        try:
            reply = ng_request(parse_hostport(args.server), json.loads(text), args.timeout, args.source)
        except TimeoutError as exc:
            json.dump({"error": "timeout", "message": str(exc)}, sys.stdout)
            return 3
        except ConnectionRefusedError as exc:
            json.dump({"error": "refused", "message": str(exc)}, sys.stdout)
            return 4
        json.dump(reply, sys.stdout)
        return 0

    if args.cmd == "calls":
        server = parse_hostport(args.server)
        if args.delete:
            json.dump(delete_calls(server, args.count, args.prefix, args.timeout), sys.stdout)
        else:
            plan = setup_calls(
                server,
                args.count,
                args.caller,
                args.caller_port,
                args.callee,
                args.callee_port,
                args.prefix,
                args.direct,
                args.timeout,
            )
            json.dump(plan, sys.stdout)
        return 0

    if args.cmd == "load":
        text = sys.stdin.read() if args.spec == "-" else pathlib.Path(args.spec).read_text(encoding="utf-8")
        summary = load(json.loads(text), args.seconds, args.ptime, args.payload_size, args.start_delay, args.linger)
        json.dump(summary, sys.stdout)
        return 0

    to = parse_hostport(args.to) if args.to else None
    ssrc = args.ssrc if args.ssrc is not None else int.from_bytes(os.urandom(4), "big")
    summary = rtp_endpoint(
        parse_hostport(args.bind),
        to,
        args.count,
        args.pt,
        args.ptime,
        args.payload_size,
        ssrc,
        args.start_delay,
        args.linger,
    )
    json.dump(summary, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
