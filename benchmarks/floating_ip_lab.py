"""The lab's AWS endpoint on 127.0.0.1 with an API-call counter, fresh active/standby pairs on it,
their end state read back, and playbooks run through the real ``ansible-playbook``.

Used by bench_floating_ip. Every pair lives in a VPC of its own with the same addresses, so every
run starts from the same state and no run can see another's addresses.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .imds_lab import LOOPBACK, REGION, fence_environment

ROOT = Path(__file__).resolve().parents[1]
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
CIDR, SUBNET_CIDR = "10.0.0.0/16", "10.0.1.0/24"
ACTIVE_IP, STANDBY_IP, VIP = "10.0.1.10", "10.0.1.11", "10.0.1.100"
PLAYBOOK_TIMEOUT = 120  # seconds; one run takes a few


class ActionCounter:
    """The AWS API action of every request the endpoint served, in order (the endpoint's hook)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.actions: list[str] = []

    def record(self, action: str) -> None:
        with self._lock:
            self.actions.append(action)

    def mark(self) -> int:
        with self._lock:
            return len(self.actions)

    def since(self, mark: int) -> list[str]:
        with self._lock:
            return self.actions[mark:]


class Pair:
    """Two running instances in one subnet (the active and the standby node) and one VPC Elastic IP.

    ``state`` is where the floating address starts: ``"bare"`` (no VIP, EIP unassociated),
    ``"eip-on-primary"`` (VIP on the active ENI, EIP on the active ENI's primary address),
    ``"active"`` (VIP and its EIP on the active ENI) or ``"standby"`` (both on the standby ENI).
    """

    def __init__(self, ec2, image_id: str, state: str) -> None:
        self.ec2 = ec2
        self.vpc_id = ec2.create_vpc(CidrBlock=CIDR)["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=self.vpc_id, CidrBlock=SUBNET_CIDR, AvailabilityZone=f"{REGION}a")
        self.subnet_id = subnet["Subnet"]["SubnetId"]
        self.active_eni, self.standby_eni = (self._node(image_id, ip) for ip in (ACTIVE_IP, STANDBY_IP))
        allocation = ec2.allocate_address(Domain="vpc")
        self.allocation_id, self.public_ip = allocation["AllocationId"], allocation["PublicIp"]
        want = ([], (None, None))
        if state != "bare":
            holder = self.standby_eni if state == "standby" else self.active_eni
            on = ACTIVE_IP if state == "eip-on-primary" else VIP
            ec2.assign_private_ip_addresses(NetworkInterfaceId=holder, PrivateIpAddresses=[VIP])
            ec2.associate_address(AllocationId=self.allocation_id, NetworkInterfaceId=holder, PrivateIpAddress=on)
            want = ([holder], (holder, on))
        summary, holders, eip = self.end_state()
        if (holders, eip) != want:  # the seeding itself must be right, or nothing is comparable
            raise RuntimeError(f"seeding {state!r} gave {summary}")

    def _node(self, image_id: str, private_ip: str) -> str:
        instance = self.ec2.run_instances(
            ImageId=image_id,
            MinCount=1,
            MaxCount=1,
            InstanceType="c5n.large",
            SubnetId=self.subnet_id,
            PrivateIpAddress=private_ip,
        )["Instances"][0]
        return instance["NetworkInterfaces"][0]["NetworkInterfaceId"]

    def end_state(self) -> tuple[str, list[str], tuple[str | None, str | None]]:
        """``(summary, ENIs of the VPC holding the VIP, (ENI, private IP) of the EIP)``, read from the endpoint."""
        enis = self.ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [self.vpc_id]}])
        holders = sorted(
            eni["NetworkInterfaceId"]
            for eni in enis["NetworkInterfaces"]
            if VIP in (a["PrivateIpAddress"] for a in eni.get("PrivateIpAddresses", []))
        )
        [address] = self.ec2.describe_addresses(AllocationIds=[self.allocation_id])["Addresses"]
        eip = (address.get("NetworkInterfaceId"), address.get("PrivateIpAddress"))
        names = {self.active_eni: "active", self.standby_eni: "standby"}
        summary = f"VIP on {[names.get(h, h) for h in holders]}, EIP on ({names.get(eip[0], eip[0])}, {eip[1]})"
        return summary, holders, eip

    def is_correct(self, eni_id: str) -> tuple[bool, str]:
        """Whether the VIP is on ``eni_id`` and nowhere else, and the EIP on exactly (``eni_id``, VIP)."""
        summary, holders, eip = self.end_state()
        return holders == [eni_id] and eip == (eni_id, VIP), summary

    def variables(self) -> dict:
        return {
            "active_eni": self.active_eni,
            "standby_eni": self.standby_eni,
            "subnet_id": self.subnet_id,
            "vip": VIP,
            "public_ip": self.public_ip,
        }


class Lab:
    """The endpoint's EC2 client and an image to start instances from; ``pair()`` makes fresh state."""

    def __init__(self, aws_url: str) -> None:
        import boto3
        from rtc_lab import TEST_CREDENTIALS

        session = boto3.session.Session(region_name=REGION, **TEST_CREDENTIALS)
        self.ec2 = session.client("ec2", endpoint_url=aws_url)
        self.image_id = self.ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]  # ~1300 AMIs: once

    def pair(self, state: str) -> Pair:
        return Pair(self.ec2, self.image_id, state)


class Runner:
    """Runs a play (a list of tasks) with the real ``ansible-playbook`` against the endpoint.

    The play runs on localhost with the controller's Python (the one with boto3), the collection is
    found through ``ansible.cfg`` (``.cache/collections``), credentials are test ones from the
    environment, and ``module_defaults`` of the system's action group give region and endpoint_url.
    """

    def __init__(self, aws_url: str, workdir: Path) -> None:
        self.aws_url, self.workdir = aws_url, workdir
        home = workdir / "home"
        home.mkdir(exist_ok=True)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),  # no ~/.ansible or ~/.aws of the machine's user
            "LANG": "C.UTF-8",
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCAL_TEMP": str(workdir / "tmp"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
        if not (ROOT / ".cache" / "collections" / "ansible_collections" / "rtc" / "ec2_fleet").exists():
            raise RuntimeError(
                "the collection is not under .cache/collections: run `make bench` (it runs `make setup`)"
            )

    def write_play(self, name: str, group: str, tasks: list[dict]) -> Path:
        play = {
            "name": name,
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars": {"ansible_python_interpreter": sys.executable},
            "module_defaults": {f"group/{group}": {"region": REGION, "endpoint_url": self.aws_url}},
            "tasks": tasks,
        }
        path = self.workdir / (re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") + ".yml")
        path.write_text(json.dumps([play], indent=2), encoding="utf-8")  # JSON is YAML
        return path

    def run(self, playbook: Path, variables: dict) -> tuple[int, int, float, str]:
        """``(returncode, changed tasks, wall ms, output)`` of one ``ansible-playbook`` run."""
        extra = self.workdir / "vars.json"
        extra.write_text(json.dumps(variables), encoding="utf-8")
        argv = [str(ANSIBLE_PLAYBOOK), "-i", "localhost,", "-e", f"@{extra}", str(playbook)]
        start = time.perf_counter()
        done = subprocess.run(
            argv,
            check=False,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=PLAYBOOK_TIMEOUT,
        )
        wall_ms = (time.perf_counter() - start) * 1000
        output = done.stdout + done.stderr
        recap = re.search(r"^localhost\s*:.*\bchanged=(\d+)", done.stdout, re.MULTILINE)
        if recap is None:
            raise RuntimeError(f"no play recap from {playbook.name} (rc {done.returncode}):\n{output[-3000:]}")
        return done.returncode, int(recap.group(1)), wall_ms, output


@contextlib.contextmanager
def running():
    """Yield ``(lab, runner, counter)`` with the endpoint listening on 127.0.0.1 (a free port)."""
    fence_environment()
    from rtc_lab.endpoint import Endpoint

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    counter = ActionCounter()
    with (
        Endpoint(listen=LOOPBACK, on_request=counter.record) as endpoint,
        tempfile.TemporaryDirectory(prefix="bench-floating-ip-") as workdir,
    ):
        yield Lab(endpoint.url), Runner(endpoint.url, Path(workdir)), counter
