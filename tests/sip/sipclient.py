"""A minimal SIP-over-UDP client for lab tests: REGISTER with digest authentication, and OPTIONS.

Prints one JSON object: every response received, in order, as status, reason and header names (and the
WWW-Authenticate realm), so that tests can compare what an edge answers for different credentials.
Standard library only; runs on the lab instances' own python3.
"""

import argparse
import hashlib
import json
import random
import re
import socket
import sys


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()  # SIP digest is MD5 by definition


def parse(data):
    head = data.decode(errors="replace").split("\r\n\r\n", 1)[0].split("\r\n")
    match = re.match(r"SIP/2\.0 (\d{3}) (.*)", head[0])
    if not match:
        raise ValueError("not a SIP response: %r" % head[0])
    headers = {}
    for line in head[1:]:
        name, _unused, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return int(match.group(1)), match.group(2), headers


class Client:
    def __init__(self, edge, port, timeout):
        self.edge = (edge, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(timeout)
        self.sock.connect(self.edge)
        self.local = self.sock.getsockname()
        self.call_id = "%x@%s" % (random.getrandbits(64), self.local[0])
        self.tag = "%x" % random.getrandbits(32)

    def request(self, method, ruri, user, domain, cseq, extra=""):
        branch = "z9hG4bK%x" % random.getrandbits(48)
        message = (
            "%s %s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:%d;branch=%s;rport\r\n"
            "From: <sip:%s@%s>;tag=%s\r\n"
            "To: <sip:%s@%s>\r\n"
            "Call-ID: %s\r\nCSeq: %d %s\r\n"
            "Contact: <sip:%s@%s:%d>\r\nMax-Forwards: 70\r\nUser-Agent: rtc-lab-digest-client\r\n"
            "%sContent-Length: 0\r\n\r\n"
        ) % (
            method,
            ruri,
            self.local[0],
            self.local[1],
            branch,
            user,
            domain,
            self.tag,
            user,
            domain,
            self.call_id,
            cseq,
            method,
            user,
            self.local[0],
            self.local[1],
            extra,
        )
        self.sock.send(message.encode())
        while True:
            status, reason, headers = parse(self.sock.recv(65535))
            if status >= 200:
                return status, reason, headers


def summary(status, reason, headers):
    challenge = (headers.get("www-authenticate") or headers.get("proxy-authenticate") or [""])[0]
    realm = re.search(r'realm="([^"]*)"', challenge)
    return {"status": status, "reason": reason, "headers": sorted(headers), "realm": realm.group(1) if realm else None}


def register(args):
    client = Client(args.edge, args.port, args.timeout)
    ruri = "sip:%s" % args.domain
    answers = [client.request("REGISTER", ruri, args.user, args.domain, 1, "Expires: %d\r\n" % args.expires)]
    status, _unused, headers = answers[-1]
    if status == 401:
        challenge = headers["www-authenticate"][0]
        realm = re.search(r'realm="([^"]*)"', challenge).group(1)
        nonce = re.search(r'nonce="([^"]*)"', challenge).group(1)
        response = md5(
            "%s:%s:%s" % (md5("%s:%s:%s" % (args.user, realm, args.password)), nonce, md5("REGISTER:%s" % ruri))
        )
        auth = (
            'Authorization: Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5\r\n'
        ) % (args.user, realm, nonce, ruri, response)
        answers.append(
            client.request("REGISTER", ruri, args.user, args.domain, 2, auth + "Expires: %d\r\n" % args.expires)
        )
    return [summary(*answer) for answer in answers]


def invite(args):
    """An INVITE without credentials (no SDP): the final answer, nothing else (the call never starts)."""
    client = Client(args.edge, args.port, args.timeout)
    ruri = "sip:%s@%s" % (args.to, args.domain)
    status, reason, headers = client.request("INVITE", ruri, args.user, args.domain, 1)
    return [summary(status, reason, headers)]


def options(args):
    client = Client(args.edge, args.port, args.timeout)
    return [summary(*client.request("OPTIONS", args.uri, "probe", args.edge, 1))]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--edge", required=True)
    parser.add_argument("--port", type=int, default=5060)
    parser.add_argument("--timeout", type=float, default=3.0)
    commands = parser.add_subparsers(dest="command", required=True)
    reg = commands.add_parser("register")
    reg.add_argument("--user", required=True)
    reg.add_argument("--password", required=True)
    reg.add_argument("--domain", required=True)
    reg.add_argument("--expires", type=int, default=300)
    inv = commands.add_parser("invite")
    inv.add_argument("--user", required=True)
    inv.add_argument("--domain", required=True)
    inv.add_argument("--to", required=True)
    opt = commands.add_parser("options")
    opt.add_argument("--uri", required=True)
    args = parser.parse_args()
    try:
        answers = {"register": register, "invite": invite, "options": options}[args.command](args)
    except socket.timeout:
        print(json.dumps({"answers": [], "timeout": True}))
        return 0
    print(json.dumps({"answers": answers, "timeout": False}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
