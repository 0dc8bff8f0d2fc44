"""The keepalived scenario's lab (slot 4) driven for the failover benchmark.

``running()`` brings up molecule/keepalived (create, prepare, converge: two edge nodes with keepalived,
the failover agent and Kamailio (roles/kamailio), the AWS endpoint and IMDSv2 stand-in of slot 4) and
destroys it afterwards. On it:

* :class:`Prober` sends a real SIP OPTIONS to the VIP every 50 ms from the controller (which sits on
  the lab bridge) and records which probes were answered;
* :class:`AwsWatch` reads, every 50 ms, which ENIs hold the VIP in the lab's AWS endpoint;
* :meth:`Lab.failover` freezes the node that owns the VIP (``podman pause``: a hung node sends no
  goodbye advert and answers nothing), measures until SIP answers again on the VIP and AWS shows the
  VIP on the other node's ENI alone, then thaws the node and waits for the pair to settle;
* :meth:`Lab.configure` switches the pair between this role's configuration, the same with the agent
  behind the fault-injection proxy (300 ms per API call), and the anchor (keepalived's defaults with a
  plain notify script).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

from . import lab_slot

ROOT = Path(__file__).resolve().parent.parent
SLOT = 4
GATEWAY = f"10.{89 + SLOT}.0.1"
AWS_PORT = 5000 + SLOT
PROXY_PORT = 5900 + SLOT
NODES = {"ka-a1": "10.93.1.61", "ka-a2": "10.93.1.62"}
VIP = "10.93.1.60"
PROBE_INTERVAL = 0.05


def sh(*argv: str, check: bool = True, timeout: float = 60, input_text: str | None = None) -> str:
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False, input=input_text)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def node_sh(node: str, script: str, check: bool = True, input_text: str | None = None) -> str:
    return sh("podman", "exec", "-i", node, "sh", "-c", script, check=check, input_text=input_text)


class Prober(threading.Thread):
    """SIP OPTIONS to the VIP every 50 ms; ``sent`` (time, call-id) and ``answered`` call-ids."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((GATEWAY, 0))
        self.sock.settimeout(0.02)
        self.port = self.sock.getsockname()[1]
        self.sent: list[tuple[float, str]] = []
        self.answered: dict[str, float] = {}
        self.stop = threading.Event()

    def _options(self, call_id: str, seq: int) -> bytes:
        branch = "z9hG4bK" + uuid.uuid4().hex[:16]
        return (
            f"OPTIONS sip:monitor@{VIP}:5060 SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {GATEWAY}:{self.port};branch={branch}\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:bench@{GATEWAY}>;tag={call_id[:8]}\r\n"
            f"To: <sip:monitor@{VIP}:5060>\r\n"
            f"Call-ID: {call_id}\r\n"
            f"CSeq: {seq} OPTIONS\r\n"
            f"Contact: <sip:bench@{GATEWAY}:{self.port}>\r\n"
            "Content-Length: 0\r\n\r\n"
        ).encode()

    def run(self) -> None:
        seq, next_send = 0, time.monotonic()
        while not self.stop.is_set():
            now = time.monotonic()
            if now >= next_send:
                seq += 1
                call_id = uuid.uuid4().hex
                self.sent.append((now, call_id))
                with contextlib.suppress(OSError):
                    self.sock.sendto(self._options(call_id, seq), (VIP, 5060))
                next_send += PROBE_INTERVAL
            try:
                data = self.sock.recv(4096)
            except (TimeoutError, OSError):
                continue
            text = data.decode("utf-8", "replace")
            if text.startswith("SIP/2.0 200"):
                for line in text.split("\r\n"):
                    if line.lower().startswith(("call-id:", "i:")):
                        self.answered[line.split(":", 1)[1].strip()] = time.monotonic()

    def gap(self, since: float, until: float) -> float | None:
        """Seconds from the first unanswered probe sent after ``since`` to the next answered one."""
        probes = [(t, self.answered.get(c)) for t, c in self.sent if since <= t <= until]
        first_lost = next((i for i, (_unused, answer) in enumerate(probes) if answer is None), None)
        if first_lost is None:
            return 0.0
        back = next((t for t, answer in probes[first_lost:] if answer is not None), None)
        return None if back is None else back - probes[first_lost][0]

    def answering_since(self, since: float) -> bool:
        """Whether the last few probes sent after ``since`` (older than 0.3 s) were answered."""
        recent = [(t, c) for t, c in self.sent if since <= t <= time.monotonic() - 0.3][-4:]
        return len(recent) == 4 and all(c in self.answered for _unused, c in recent)


class AwsWatch(threading.Thread):
    """Which ENIs hold the VIP in the lab's AWS endpoint, read every 50 ms: ``samples`` (time, holders)."""

    def __init__(self, eni_of: dict[str, str]) -> None:
        super().__init__(daemon=True)
        import boto3

        self.ec2 = boto3.client(
            "ec2", endpoint_url=f"http://127.0.0.1:{AWS_PORT}", region_name="us-east-1", aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )  # fmt: skip
        self.name_of = {eni: name for name, eni in eni_of.items()}
        self.samples: list[tuple[float, tuple[str, ...]]] = []
        self.stop = threading.Event()

    def holders(self) -> tuple[str, ...]:
        found = self.ec2.describe_network_interfaces(
            Filters=[{"Name": "addresses.private-ip-address", "Values": [VIP]}]
        )["NetworkInterfaces"]
        return tuple(sorted(self.name_of.get(e["NetworkInterfaceId"], e["NetworkInterfaceId"]) for e in found))

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            with contextlib.suppress(Exception):
                self.samples.append((started, self.holders()))
            time.sleep(max(0.0, PROBE_INTERVAL - (time.monotonic() - started)))

    def latest(self) -> tuple[str, ...] | None:
        return self.samples[-1][1] if self.samples else None


ANCHOR_NOTIFY = """#!/bin/sh
# A plain keepalived notify_master script, as commonly run: take the address away from the peer, then
# assign it here; no verification. Credentials from the instance profile (IMDS), like the aws CLI.
exec env AWS_EC2_METADATA_SERVICE_ENDPOINT={imds} python3 - <<'EOF'
import boto3
ec2 = boto3.client("ec2", endpoint_url="{aws}", region_name="us-east-1")
vip, own, peer = "{vip}", "{own}", "{peer}"
held = ec2.describe_network_interfaces(NetworkInterfaceIds=[peer])["NetworkInterfaces"][0]
if vip in [a["PrivateIpAddress"] for a in held["PrivateIpAddresses"]]:
    ec2.unassign_private_ip_addresses(NetworkInterfaceId=peer, PrivateIpAddresses=[vip])
ec2.assign_private_ip_addresses(NetworkInterfaceId=own, PrivateIpAddresses=[vip])
EOF
"""

ANCHOR_CONF = """global_defs {{
    router_id {name}
    script_user root
    enable_script_security
}}
vrrp_instance VI_ka1 {{
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority {priority}
    unicast_src_ip {ip}
    unicast_peer {{
        {peer_ip}
    }}
    virtual_ipaddress {{
        {vip}/32 dev eth0
    }}
    notify_master /usr/local/sbin/plain-notify-master
}}
"""


class Lab:
    def __init__(self) -> None:
        self.eni_of = self._enis()
        self.aws = AwsWatch(self.eni_of)
        self.prober = Prober()
        self.aws.start()
        self.prober.start()
        self.proxy = None

    def _enis(self) -> dict[str, str]:
        import boto3

        ec2 = boto3.client(
            "ec2", endpoint_url=f"http://127.0.0.1:{AWS_PORT}", region_name="us-east-1", aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )  # fmt: skip
        result = {}
        for name, ip in NODES.items():
            found = ec2.describe_network_interfaces(Filters=[{"Name": "addresses.private-ip-address", "Values": [ip]}])
            result[name] = next(e for e in found["NetworkInterfaces"] if e["PrivateIpAddress"] == ip)[
                "NetworkInterfaceId"
            ]
        return result

    def close(self) -> None:
        self.aws.stop.set()
        self.prober.stop.set()
        if self.proxy is not None:
            self.proxy.stop()

    # -- state -------------------------------------------------------------------------------------

    def vip_owners(self) -> list[str]:
        owners = []
        for name in NODES:
            out = node_sh(name, "ip -4 -o addr show dev eth0", check=False)
            if f" {VIP}/" in out:
                owners.append(name)
        return owners

    def settle(self, timeout: float = 30.0) -> str:
        """Wait until one node has the VIP, AWS agrees, and SIP answers on the VIP; return that node."""
        deadline = time.monotonic() + timeout
        since = time.monotonic()
        while time.monotonic() < deadline:
            owners = self.vip_owners()
            if len(owners) == 1 and self.aws.latest() == (owners[0],) and self.prober.answering_since(since):
                return owners[0]
            time.sleep(0.2)
        raise RuntimeError(f"pair did not settle in {timeout}s: VIP on {self.vip_owners()}, AWS {self.aws.latest()}")

    # -- configurations --------------------------------------------------------------------------------

    def configure(self, config: str) -> None:
        if config in ("role", "role+latency"):
            endpoint = f"http://{GATEWAY}:{PROXY_PORT if config == 'role+latency' else AWS_PORT}"
            if config == "role+latency" and self.proxy is None:
                from rtc_lab.faultproxy import FaultProxy, Faults

                self.proxy = FaultProxy(f"http://127.0.0.1:{AWS_PORT}", Faults(latency=0.3), [(GATEWAY, PROXY_PORT)])
                self.proxy.start()
            for name in NODES:
                node_sh(
                    name,
                    'sed -i \'s#"endpoint_url": "[^"]*"#"endpoint_url": "%s"#\' /etc/rtc-failover-agent/agent.json'
                    " && grep -q '%s' /etc/rtc-failover-agent/agent.json && systemctl restart rtc-failover-agent"
                    % (endpoint, endpoint),
                )
            time.sleep(4)  # the agent's start-up (identity, credentials) before the first failover
            return
        # the anchor: keepalived's defaults (VRRPv2, advert_int 1, preemption) and a plain notify script
        names = sorted(NODES)
        for name in names:
            peer = next(n for n in names if n != name)
            script = ANCHOR_NOTIFY.format(
                imds=f"http://{GATEWAY}:8169", aws=f"http://{GATEWAY}:{AWS_PORT}", vip=VIP, own=self.eni_of[name],
                peer=self.eni_of[peer],
            )  # fmt: skip
            conf = ANCHOR_CONF.format(
                name=name, priority=150 if name == names[0] else 100, ip=NODES[name], peer_ip=NODES[peer], vip=VIP
            )
            node_sh(name, "cat > /usr/local/sbin/plain-notify-master && chmod 755 /usr/local/sbin/plain-notify-master",
                    input_text=script)  # fmt: skip
            node_sh(name, "cat > /etc/keepalived/keepalived.conf && keepalived -t -f /etc/keepalived/keepalived.conf",
                    input_text=conf)  # fmt: skip
            node_sh(name, "systemctl stop rtc-failover-agent && systemctl restart keepalived")
        time.sleep(6)

    # -- one failover ---------------------------------------------------------------------------------

    def failover(self, timeout: float = 20.0) -> dict:
        owner = self.settle()
        other = next(n for n in NODES if n != owner)
        time.sleep(0.5)
        fault = time.monotonic()
        sh("podman", "pause", owner)
        try:
            deadline = fault + timeout
            aws_at = None
            while time.monotonic() < deadline:
                if aws_at is None:
                    for at, holders in self.aws.samples[-20:]:
                        if at >= fault and holders == (other,):
                            aws_at = at
                            break
                if aws_at is not None and self.prober.answering_since(fault + 0.2):
                    break
                time.sleep(0.05)
            end = time.monotonic()
            time.sleep(0.6)  # late answers of the last probes
            gap = self.prober.gap(fault, end)
            window = [holders for at, holders in self.aws.samples if fault <= at <= end]
        finally:
            sh("podman", "unpause", owner)
        # The thawed node comes back as the MASTER it was when frozen: the pair must end with the VIP and
        # the AWS state on one node again. A plain notify script never runs then (no transition), so the
        # address can stay on the other node's ENI: counted, then repaired by restarting keepalived.
        try:
            self.settle(timeout=10)
            stale = False
        except RuntimeError:
            stale = True
            for name in NODES:
                node_sh(name, "systemctl restart keepalived")
        return {
            "stale_after_return": stale,
            "owner": owner,
            "gap_s": gap,
            "aws_s": None if aws_at is None else aws_at - fault,
            "bad_state": any(len(h) != 1 for h in window) or not window or window[-1] != (other,),
            "holders_seen": sorted({",".join(h) or "none" for h in window}),
        }


def molecule(*args: str, timeout: float = 1500) -> None:
    env = lab_slot.environment(SLOT)
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}"
    done = subprocess.run(
        ["molecule", *args, "-s", "keepalived"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"molecule {' '.join(args)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}")


@contextlib.contextmanager
def running():
    """The keepalived scenario up on lab slot 4 for the duration; destroyed afterwards, whatever happens."""
    import sys

    sys.path.insert(0, str(ROOT / "lab"))
    os.environ.update(lab_slot.environment(SLOT))
    try:
        molecule("create")
        molecule("prepare")
        molecule("converge")
        lab = Lab()
        try:
            yield lab
        finally:
            lab.close()
    finally:
        molecule("destroy")
