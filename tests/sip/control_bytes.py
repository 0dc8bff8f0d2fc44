"""Sends SIP messages with control bytes (ESC, BEL, CR inside a header, NUL) to an edge, over UDP.

1. A malformed INVITE (a Content-Length longer than its body, control bytes in the request line, the
   From, the Call-ID and the CSeq): the edge drops it; whatever it logs about it must be escaped.
2. An OPTIONS whose User-Agent is a scanner's with control bytes around it: the edge bans the source and
   logs the User-Agent, which must come out escaped.

Every Call-ID starts with --marker, so that a test can find the journal lines these messages caused.
Prints what was sent as JSON (bytes as Python escapes). Standard library only.
"""

import argparse
import json
import socket
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--edge", required=True)
    parser.add_argument("--port", type=int, default=5060)
    parser.add_argument("--marker", required=True)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect((args.edge, args.port))
    host, port = sock.getsockname()
    esc = "\x1b[2J\x1b[31m\x07"
    messages = [
        (
            "INVITE sip:%s1@%s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-cb1;rport\r\n"
            "From: \x07<sip:caller@%s>;tag=cb1\r\n"
            "To: <sip:1@%s>\r\n"
            "Call-ID: %s-malformed%s\x00x@%s\r\n"
            "CSeq: 1%s INVITE\r\n"
            "Max-Forwards: 70\r\n"
            "Content-Length: 400\r\n\r\nv=0\r\n"
        )
        % (esc, args.edge, host, port, host, args.edge, args.marker, esc, host, esc),
        (
            "OPTIONS sip:%s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-cb2;rport\r\n"
            "From: <sip:probe@%s>;tag=cb2\r\n"
            "To: <sip:%s>\r\n"
            "Call-ID: %s-scanner%s@%s\r\n"
            "CSeq: 1 OPTIONS\r\n"
            "User-Agent: %sfriendly-scanner%s\r\n"
            "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
        % (args.edge, host, port, host, args.edge, args.marker, esc, host, esc, esc),
    ]
    for message in messages:
        sock.send(message.encode())
        time.sleep(0.2)
    print(json.dumps({"sent": [repr(m) for m in messages]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
