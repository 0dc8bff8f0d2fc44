"""Who owns the floating address of a lab HA pair: read on the nodes and in the lab's AWS endpoint.

Run on the controller (boto3 against the lab endpoint on 127.0.0.1, ``podman exec`` into the lab
containers). A node *owns* the address when keepalived has put the VIP on its interface; the pair is
*settled* when exactly one node owns it, that node's agent reports state MASTER with a verified
takeover, and the AWS endpoint shows the VIP on that node's ENI and on no other.

    pairstate.py --endpoint URL --vip IP --node ka-a1=10.93.1.61 --node ka-a2=10.93.1.62 COMMAND

COMMAND: ``snapshot`` (print one reading), ``settle --timeout S [--owner NAME] [--not-owner NAME]`` (wait
until settled; print the reading, the seconds it took and the trail of readings -- elapsed, read time,
owners on interfaces, agents reporting MASTER, ENIs in AWS; exit 1 if it never settles), ``steady
--seconds S`` (read for S seconds; exit 1 if the owner ever changes or the pair is ever unsettled),
``masters --timeout S`` (wait until every node's agent reports MASTER: the split brain of a VRRP cut).
``--run CMD`` (repeatable) runs a fault or a repair first; the clock starts when the last one returned.
Every reading is one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3

os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

NODE_READ = "ip -4 -o addr show; echo '--- status'; cat /run/rtc-failover-agent/status.json 2>/dev/null || true"


def read_node(name: str, vip: str) -> dict:
    done = subprocess.run(  # noqa: S603 -- a fixed command line into a lab container
        ["podman", "exec", name, "sh", "-c", NODE_READ],  # noqa: S607 -- podman from PATH, as molecule runs it
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    if done.returncode != 0:
        return {"up": False, "vip": False, "state": None, "result": None}
    addresses, _unused, status_text = done.stdout.partition("--- status\n")
    try:
        status = json.loads(status_text) if status_text.strip() else {}
    except ValueError:
        status = {}
    return {
        "up": True,
        "vip": any(f" {vip}/" in line for line in addresses.splitlines()),
        "state": status.get("state"),
        "result": status.get("result"),
        "verified": status.get("verified"),
        "takeover_ms": status.get("duration_ms"),
        "reason": status.get("reason"),
    }


class Pair:
    def __init__(self, endpoint: str, vip: str, nodes: dict[str, str]):
        self.vip, self.nodes = vip, nodes
        self.ec2 = boto3.client(
            "ec2",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 -- the lab endpoint's dummy credentials
        )
        self.eni_of = {}
        for name, ip in nodes.items():
            found = self.ec2.describe_network_interfaces(
                Filters=[{"Name": "addresses.private-ip-address", "Values": [ip]}]
            )["NetworkInterfaces"]
            primary = [e for e in found if e["PrivateIpAddress"] == ip]
            self.eni_of[name] = primary[0]["NetworkInterfaceId"]
        self.name_of = {eni: name for name, eni in self.eni_of.items()}
        self.pool = ThreadPoolExecutor(len(nodes) + 1)

    def aws_holders(self) -> list[str]:
        found = self.ec2.describe_network_interfaces(
            Filters=[{"Name": "addresses.private-ip-address", "Values": [self.vip]}]
        )["NetworkInterfaces"]
        return sorted(self.name_of.get(e["NetworkInterfaceId"], e["NetworkInterfaceId"]) for e in found)

    def snapshot(self) -> dict:
        started = time.monotonic()
        futures = {name: self.pool.submit(read_node, name, self.vip) for name in self.nodes}
        holders = self.aws_holders()
        nodes = {name: future.result() for name, future in futures.items()}
        owners = sorted(name for name, node in nodes.items() if node["vip"])
        masters = sorted(name for name, node in nodes.items() if node["state"] == "MASTER")
        owner = owners[0] if len(owners) == 1 else None
        settled = (
            owner is not None
            and masters == [owner]
            and holders == [owner]
            and nodes[owner]["result"] == "ok"
            and nodes[owner]["verified"] is True
        )
        return {
            "at": round(time.time(), 3),
            "read_s": round(time.monotonic() - started, 3),
            "owners_on_interface": owners,
            "masters": masters,
            "aws_holders": holders,
            "owner": owner,
            "settled": settled,
            "nodes": nodes,
        }


def emit(reading: dict) -> None:
    sys.stdout.write(json.dumps(reading, sort_keys=True) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--vip", required=True)
    parser.add_argument("--node", action="append", required=True, metavar="NAME=IP")
    parser.add_argument("command", choices=["snapshot", "settle", "steady", "masters"])
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--owner")
    parser.add_argument("--not-owner")
    parser.add_argument("--run", action="append", default=[], help="a command run just before the clock starts")
    args = parser.parse_args(argv)
    pair = Pair(args.endpoint, args.vip, dict(item.split("=", 1) for item in args.node))
    for command in args.run:  # the fault (or the repair); the clock starts when the last one returned
        subprocess.run(shlex.split(command), check=True, timeout=60, stdout=sys.stderr)  # noqa: S603 -- the scenario's own commands
    started = time.monotonic()
    if args.command == "snapshot":
        emit(pair.snapshot())
        return 0
    if args.command in ("settle", "masters"):
        trail = []  # every reading, compact: where the time went when a case is slow
        while True:
            reading = pair.snapshot()
            reading["elapsed_s"] = round(time.monotonic() - started, 3)
            trail.append(
                [reading["elapsed_s"], reading["read_s"], reading["owners_on_interface"], reading["masters"],
                 reading["aws_holders"]]
            )  # fmt: skip
            reading["trail"] = trail[-40:]
            if args.command == "masters":
                ok = reading["masters"] == sorted(pair.nodes)
            else:
                ok = (
                    reading["settled"]
                    and (args.owner is None or reading["owner"] == args.owner)
                    and (args.not_owner is None or reading["owner"] != args.not_owner)
                )
            if ok or reading["elapsed_s"] > args.timeout:
                reading["ok"] = ok
                emit(reading)
                return 0 if ok else 1
    # steady: the owner never changes and the pair never leaves the settled state
    first = pair.snapshot()
    readings, changes = 1, []
    owner = first["owner"]
    ok = first["settled"]
    while time.monotonic() - started < args.seconds:
        reading = pair.snapshot()
        readings += 1
        if not reading["settled"] or reading["owner"] != owner:
            ok = False
            changes.append(reading)
    emit({"ok": ok, "owner": owner, "readings": readings, "seconds": args.seconds, "changes": changes[:5]})
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
