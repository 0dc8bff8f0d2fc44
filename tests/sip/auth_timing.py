"""Does the edge's answer time tell which users exist? Measures digest REGISTERs, over UDP.

Two kinds of samples, interleaved in random order so that drift (other load on the machine, caches,
the database) falls on both alike:

- `wrong`: an existing user with a wrong password;
- `unknown`: a user that does not exist (any password).

Each sample asks for a fresh challenge first (so every answer is to a valid nonce: no stale-nonce path),
then times the authenticated REGISTER from send to its final answer (a new challenge for both kinds).
A few warm-up samples are dropped. Prints one JSON object: per kind the median, the quartiles and the
statuses seen, the difference of the medians and the tolerance; exits 1 when the difference is beyond
the tolerance, when the tolerance itself is above --ceiling-ms (too noisy to tell) or when an answer
was not a challenge.

The tolerance is the larger of --floor-ms and --sigmas standard errors of the difference of the two
medians (each estimated from its samples' spread), so that a loaded machine widens it instead of failing
at random; --ceiling-ms (0.4 ms, the smallest gap the defect showed: 0.9 ms against 0.5 ms) bounds it,
so that a run too noisy to see that gap fails instead of passing blind.

Why medians: the answer times have a long right tail (scheduling, the journal, the database's own
work); the mean moves with a handful of outliers, the median does not. Standard library only.
"""

import argparse
import hashlib
import json
import random
import re
import socket
import statistics
import sys
import time


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()  # SIP digest is MD5 by definition


class Registrar:
    def __init__(self, edge, port, domain, timeout):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(timeout)
        self.sock.connect((edge, port))
        self.local = self.sock.getsockname()
        self.domain = domain
        self.ruri = "sip:%s" % domain
        self.cseq = 0

    def _send(self, user, call_id, tag, extra):
        self.cseq += 1
        branch = "z9hG4bK%x" % random.getrandbits(48)
        message = (
            "REGISTER %s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:%d;branch=%s;rport\r\n"
            "From: <sip:%s@%s>;tag=%s\r\n"
            "To: <sip:%s@%s>\r\n"
            "Call-ID: %s\r\nCSeq: %d REGISTER\r\n"
            "Contact: <sip:%s@%s:%d>\r\nMax-Forwards: 70\r\nUser-Agent: rtc-lab-auth-timing\r\n"
            "Expires: 60\r\n%sContent-Length: 0\r\n\r\n"
        ) % (
            self.ruri,
            self.local[0],
            self.local[1],
            branch,
            user,
            self.domain,
            tag,
            user,
            self.domain,
            call_id,
            self.cseq,
            user,
            self.local[0],
            self.local[1],
            extra,
        )
        started = time.perf_counter()
        self.sock.send(message.encode())
        while True:
            data = self.sock.recv(65535)
            head = data.decode(errors="replace").split("\r\n", 1)[0]
            match = re.match(r"SIP/2\.0 (\d{3})", head)
            # A late answer to an earlier request (its CSeq) is not this one's.
            if match and int(match.group(1)) >= 200 and (" %d REGISTER" % self.cseq) in data.decode(errors="replace"):
                return int(match.group(1)), data.decode(errors="replace"), (time.perf_counter() - started) * 1000.0

    def sample(self, user, password):
        call_id = "%x@%s" % (random.getrandbits(64), self.local[0])
        tag = "%x" % random.getrandbits(32)
        status, text, _unused = self._send(user, call_id, tag, "")
        if status != 401:
            return {"challenge": status}
        realm = re.search(r'realm="([^"]*)"', text).group(1)
        nonce = re.search(r'nonce="([^"]*)"', text).group(1)
        response = md5("%s:%s:%s" % (md5("%s:%s:%s" % (user, realm, password)), nonce, md5("REGISTER:%s" % self.ruri)))
        auth = (
            'Authorization: Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5\r\n'
        ) % (user, realm, nonce, self.ruri, response)
        status, _unused, elapsed = self._send(user, call_id, tag, auth)
        return {"status": status, "ms": elapsed}


def quartiles(values):
    q = statistics.quantiles(values, n=4)
    return [round(q[0], 3), round(q[2], 3)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--edge", required=True)
    parser.add_argument("--port", type=int, default=5060)
    parser.add_argument("--domain", required=True)
    parser.add_argument("--user", required=True, help="an existing user")
    parser.add_argument("--wrong-password", required=True)
    parser.add_argument("--unknown-user", required=True)
    parser.add_argument("--samples", type=int, default=300, help="per kind")
    parser.add_argument("--warmup", type=int, default=20, help="per kind, dropped")
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--floor-ms", type=float, default=0.1, help="tolerance never below this")
    parser.add_argument("--sigmas", type=float, default=4.0, help="tolerance in standard errors of the difference")
    parser.add_argument("--ceiling-ms", type=float, default=0.4, help="fail as too noisy when the tolerance exceeds it")
    args = parser.parse_args()

    client = Registrar(args.edge, args.port, args.domain, args.timeout)
    kinds = {"wrong": (args.user, args.wrong_password), "unknown": (args.unknown_user, "any-password-1")}
    order = ["wrong", "unknown"] * (args.samples + args.warmup)
    random.shuffle(order)
    times = {"wrong": [], "unknown": []}
    statuses = {"wrong": {}, "unknown": {}}
    seen = {"wrong": 0, "unknown": 0}
    started = time.perf_counter()
    for kind in order:
        try:
            result = client.sample(*kinds[kind])
        except socket.timeout:
            result = {"status": "timeout"}
        seen[kind] += 1
        status = str(result.get("status", "challenge %s" % result.get("challenge")))
        statuses[kind][status] = statuses[kind].get(status, 0) + 1
        if seen[kind] > args.warmup and "ms" in result:
            times[kind].append(result["ms"])
    report = {"seconds": round(time.perf_counter() - started, 1), "samples": {k: len(v) for k, v in times.items()}}
    for kind, values in times.items():
        if len(values) < 4:
            report[kind] = {"statuses": statuses[kind]}
            continue
        report[kind] = {
            "median_ms": round(statistics.median(values), 3),
            "quartiles_ms": quartiles(values),
            "statuses": statuses[kind],
        }
    ok = all("median_ms" in report[k] for k in times) and all(set(statuses[k]) == {"401"} for k in times)
    if ok:
        report["median_diff_ms"] = round(report["wrong"]["median_ms"] - report["unknown"]["median_ms"], 3)
        # Standard error of a median, from the spread (IQR / 1.349 estimates sigma; 1.2533 * sigma / sqrt(n)).
        errors = [
            1.2533 * (statistics.quantiles(v, n=4)[2] - statistics.quantiles(v, n=4)[0]) / 1.349 / len(v) ** 0.5
            for v in times.values()
        ]
        report["tolerance_ms"] = round(max(args.floor_ms, args.sigmas * (errors[0] ** 2 + errors[1] ** 2) ** 0.5), 3)
        report["too_noisy"] = report["tolerance_ms"] > args.ceiling_ms
    report["pass"] = ok and not report["too_noisy"] and abs(report["median_diff_ms"]) <= report["tolerance_ms"]
    print(json.dumps(report))
    return 0 if report["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
