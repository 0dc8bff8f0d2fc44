"""The rtpengine molecule scenario's lab (slot 2) as a load-test bench: bring it up, drive calls, tear it down.

Used by bench_rtpengine_relay. The lab is the one ``molecule create``/``converge -s rtpengine`` builds
(the relay with the role applied, an edge-tier caller, a callee in the other zone); the load is
``tests/rtpengine/ng_client.py`` (``calls`` sets calls up over ng as Kamailio would, ``load`` sends and
counts the RTP) run inside the lab containers with ``podman exec``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from . import lab_slot

ROOT = Path(__file__).resolve().parents[1]
SLOT = "2"
RELAY, CALLER, CALLEE = "rtpe-relay-a1", "rtpe-edge-a1", "rtpe-callee-b1"
RELAY_IP, CALLER_IP, CALLEE_IP = "10.91.1.41", "10.91.1.42", "10.91.2.42"
EIP = "203.0.113.41"  # the scenario's stand-in Elastic IP (inventory), mapped back by the caller's NAT
NG = f"{RELAY_IP}:2223"
LOCK = lab_slot.lock_path(SLOT)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def molecule(action: str) -> None:
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("molecule")), action, "-s", "rtpengine"],
        cwd=ROOT,
        env=lab_slot.environment(SLOT),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"molecule {action} -s rtpengine failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")


def podman(container: str, *argv: str, stdin: str | None = None, timeout: float = 120) -> str:
    proc = subprocess.run(
        ["podman", "exec", "-i", container, *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{container}: {' '.join(argv)}: rc {proc.returncode}: {proc.stderr or proc.stdout}")
    return proc.stdout


@contextlib.contextmanager
def lab():
    """The scenario's lab, up for the duration, destroyed afterwards (also on failure)."""
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(LOCK, "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one user of slot 2 at a time
        try:
            molecule("destroy")
            molecule("create")
            molecule("converge")
            podman(
                CALLER,
                "nft",
                "-f",
                "-",
                stdin=(
                    "table ip eip_nat\ndelete table ip eip_nat\n"
                    "table ip eip_nat {\n chain output {\n  type nat hook output priority -100; policy accept;\n"
                    f"  ip daddr {EIP} dnat to {RELAY_IP}\n }}\n}}\n"
                ),
            )
            yield
        finally:
            molecule("destroy")


def relay_cpu_seconds() -> float:
    """CPU time (user + system) the rtpengine process has used so far."""
    pid = podman(RELAY, "systemctl", "show", "-p", "MainPID", "--value", "rtpengine-daemon").strip()
    fields = podman(RELAY, "cat", f"/proc/{pid}/stat").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def plan(calls: int, relayed: bool, prefix: str) -> dict:
    argv = ["ng_client", "calls", NG, str(calls), "--caller", CALLER_IP, "--callee", CALLEE_IP, "--prefix", prefix]
    return json.loads(podman(CALLER, *argv, *([] if relayed else ["--direct"]), timeout=300))


def delete(calls: int, prefix: str) -> None:
    podman(CALLER, "ng_client", "calls", NG, str(calls), "--prefix", prefix, "--delete", timeout=300)


def run_load(spec: dict, seconds: float) -> tuple[dict, dict, float]:
    """Both ends at once; returns (caller summary, callee summary, wall seconds)."""
    for name, key in ((CALLER, "caller"), (CALLEE, "callee")):
        podman(name, "tee", "/tmp/load.json", stdin=json.dumps(spec[key]))
    argv = ["ng_client", "load", "/tmp/load.json", "--seconds", str(seconds), "--start-delay", "1.5", "--linger", "1.5"]
    started = time.monotonic()
    procs = [
        subprocess.Popen(["podman", "exec", name, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in (CALLER, CALLEE)
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=seconds + 120)
        if proc.returncode != 0:
            raise RuntimeError(f"load failed: {err}")
        outputs.append(json.loads(out))
    return outputs[0], outputs[1], time.monotonic() - started
