"""The molecule scenario ``asterisk`` (lab slot 3) as a test bed for concurrent calls.

``bed()`` creates and converges the scenario (the PBX on the sid image, PostgreSQL + the PSTN carrier's
SIPp, the users' SIPp), yields a :class:`Bed`, and destroys the slot at the end, whatever happens. Nothing
else may use slot 3 meanwhile (the scenario's own molecule runs use it).

A load level is SIPp calling at a constant rate with a call length and a concurrency limit; each call
plays ``/usr/share/sip-tester/g711a.pcap`` (G.711 A-law RTP) and the answering SIPp echoes the media back
(``-rtp_echo``). The server's CPU time and resident memory are read from ``/proc`` inside its instance.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SLOT = "3"
SCENARIO = "asterisk"
PBX, CARRIER, USERS = "ast-pbx-a1", "ast-db-a1", "ast-sipp-b1"
PBX_IP, CARRIER_IP, USERS_IP = "10.92.1.51", "10.92.1.55", "10.92.2.52"
FLOOR_PORT = 5080  # where the anchor's SIPp answers on the PBX instance (Asterisk keeps 5060)
USER, PASSWORD, PSTN_NUMBER = "1001", "lab-1001-secret", "+12125550100"  # from molecule/asterisk/inventory
CLOCK_TICKS = 100  # USER_HZ of Linux on x86_64
LOG = ROOT / ".cache" / "bench-asterisk-calls.log"


def _env() -> dict:
    venv_bin = Path(sys.executable).parent
    return dict(
        os.environ,
        RTC_LAB_SLOT=SLOT,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        PATH=f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
    )


def _molecule(step: str) -> None:
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with LOG.open("a", encoding="utf-8") as log:
        log.write(f"\n== molecule {step} -s {SCENARIO}\n")
        log.flush()
        subprocess.run(
            [str(Path(sys.executable).with_name("molecule")), step, "-s", SCENARIO],
            cwd=ROOT,
            env=_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=1800,
        )


def run_in(host: str, argv: list[str], timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``argv`` inside lab instance ``host`` (podman exec)."""
    return subprocess.run(["podman", "exec", host, *argv], capture_output=True, text=True, timeout=timeout, check=check)


class Process:
    """A process inside a lab instance, read from its /proc: CPU seconds and resident memory."""

    def __init__(self, host: str, pid: int) -> None:
        self.host, self.pid = host, pid

    def cpu_seconds(self) -> float:
        fields = run_in(self.host, ["cat", f"/proc/{self.pid}/stat"]).stdout.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime (fields 14, 15)

    def rss_bytes(self) -> int:
        for line in run_in(self.host, ["cat", f"/proc/{self.pid}/status"]).stdout.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"no VmRSS for pid {self.pid} on {self.host}")


class Bed:
    """The converged scenario: answering SIPps, the load generator and the measured servers."""

    idle_rss = 0  # the measured server's resident memory before a sweep (set by the benchmark)

    def asterisk(self) -> Process:
        pid = run_in(PBX, ["pidof", "asterisk"]).stdout.split()
        if len(pid) != 1:
            raise RuntimeError(f"expected one asterisk process, found {pid}")
        return Process(PBX, int(pid[0]))

    def start_answering(self, host: str, address: str, port: int, scenario: str) -> Process:
        """A SIPp that answers every call and echoes its RTP, as a transient unit inside ``host``."""
        unit = f"bench-uas-{port}"
        run_in(host, ["systemctl", "stop", unit], check=False)
        run_in(host, ["systemctl", "reset-failed", unit], check=False)
        run_in(
            host,
            [
                "systemd-run", f"--unit={unit}", "--collect", "--working-directory=/tmp",
                "--property=LimitNOFILE=16384",
                "sipp", "-sf", f"/usr/local/share/{scenario}", "-i", address, "-p", str(port),
                "-mp", "16000", "-rtp_echo", "-nostdin",
            ],
        )  # fmt: skip
        for _unused in range(50):
            main_pid = run_in(host, ["systemctl", "show", unit, "--property=MainPID", "--value"]).stdout.strip()
            if main_pid not in ("", "0"):
                return Process(host, int(main_pid))
            time.sleep(0.2)
        raise RuntimeError(f"{unit} on {host} did not start")

    def stop_answering(self, host: str, port: int) -> None:
        run_in(host, ["systemctl", "stop", f"bench-uas-{port}"], check=False)

    def load(self, to_asterisk: bool, concurrency: int, hold_ms: int, server: Process) -> dict:
        """One load level: ``2 * concurrency`` calls at the rate that keeps ``concurrency`` calls up.

        Returns successful and failed calls (SIPp's counters) and the server's CPU seconds and peak
        resident memory while the level ran.
        """
        rate = concurrency * 1000.0 / hold_ms
        calls = 2 * concurrency
        stat_file = f"/tmp/bench-{os.getpid()}-{concurrency}.csv"
        if to_asterisk:  # a user (digest authentication) calling a PSTN number: out through the carrier trunk
            target = f"{PBX_IP}:5060"
            scenario = ["-sf", "/usr/local/share/asterisk_uac.xml", "-s", PSTN_NUMBER, "-au", USER, "-ap", PASSWORD]
        else:  # the same calls straight to a SIPp on the PBX instance
            target = f"{PBX_IP}:{FLOOR_PORT}"
            scenario = ["-sf", "/usr/local/share/asterisk_trunk_uac.xml", "-s", PSTN_NUMBER]
        argv = [
            "sipp", target, *scenario, "-i", USERS_IP, "-p", "5062", "-mp", "6000",
            "-key", "caller", USER, "-d", str(hold_ms),
            "-r", f"{rate:.3f}", "-l", str(concurrency), "-m", str(calls),
            "-nostdin", "-timeout", f"{int(2 * hold_ms / 1000 + 60)}s", "-recv_timeout", "10000",
            "-trace_stat", "-stf", stat_file, "-fd", "1",
        ]  # fmt: skip
        cpu0, rss_peak = server.cpu_seconds(), server.rss_bytes()
        started = time.monotonic()
        with subprocess.Popen(
            ["podman", "exec", USERS, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ) as generator:
            while generator.poll() is None:
                rss_peak = max(rss_peak, server.rss_bytes())
                time.sleep(0.5)
                if time.monotonic() - started > 2 * hold_ms / 1000 + 120:
                    generator.kill()
                    break
        cpu = server.cpu_seconds() - cpu0
        wall = time.monotonic() - started
        rows = list(csv.DictReader(io.StringIO(run_in(USERS, ["cat", stat_file]).stdout), delimiter=";"))
        run_in(USERS, ["rm", "-f", stat_file], check=False)
        last = rows[-1] if rows else {}
        return {
            "successful": int(last.get("SuccessfulCall(C)", 0) or 0),
            "failed": int(last.get("FailedCall(C)", 0) or 0),
            "calls": calls,
            "cpu_seconds": cpu,
            "wall_seconds": wall,
            "rss_peak_bytes": rss_peak,
        }


@contextlib.contextmanager
def bed():
    """Yield a :class:`Bed` on a freshly created and converged scenario; destroy the slot afterwards."""
    try:
        for attempt in range(3):  # a busy machine can run out of inotify instances while systemd boots
            try:
                _molecule("create")
                break
            except subprocess.CalledProcessError:
                if attempt == 2:
                    raise
                _molecule("destroy")
                time.sleep(30)
        _molecule("converge")
        yield Bed()
    finally:
        _molecule("destroy")
