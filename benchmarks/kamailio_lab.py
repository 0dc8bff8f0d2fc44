"""The kamailio_cps benchmark's lab (slot 7): bring it up, drive SIPp calls through an edge, tear it down.

Used by bench_kamailio_cps. ``benchmarks/kamailio_lab/setup.yml`` (run with ``ansible-playbook`` on the
inventory next to it) builds the instances with roles/lab, PostgreSQL as the RDS stand-in, our edge
(roles/kamailio), the stock edge (Debian's kamailio.cfg), a SIPp PBX stand-in and a SIPp load generator;
``teardown.yml`` removes slot 7's containers, network and stand-ins (also when the setup or a step failed).
Load and measurements run inside the lab containers with ``podman exec``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

from . import lab_slot

ROOT = Path(__file__).resolve().parents[1]
LAB_DIR = ROOT / "benchmarks" / "kamailio_lab"
SLOT = "7"
OURS_EDGE, NOAUTH_EDGE, STOCK_EDGE = "kam-c7", "kam-noauth-c7", "stock-c7"
PBX, CLIENT, DB = "pbx-c7", "sipp-c7", "db-c7"
ADDRESS = {
    OURS_EDGE: "10.96.1.31",
    NOAUTH_EDGE: "10.96.1.33",
    STOCK_EDGE: "10.96.1.32",
    PBX: "10.96.1.35",
    CLIENT: "10.96.1.38",
    DB: "10.96.1.39",
}
USER, PASSWORD, DOMAIN = "bench", "bench-lab-secret-1", "rtc.lab"  # as in kamailio_lab/hosts.yml
EXTENSION = "1000"  # not a PSTN number: the edge sends the call to its PBX pool
LOCK = lab_slot.lock_path(SLOT)
CLK_TCK = os.sysconf("SC_CLK_TCK")
PLAYBOOK_TIMEOUT = 1200


def playbook(name: str) -> None:
    argv = [
        str(Path(sys.executable).with_name("ansible-playbook")),
        "-i",
        str(LAB_DIR / "hosts.yml"),
        str(LAB_DIR / name),
    ]
    proc = subprocess.run(
        argv,
        cwd=ROOT,
        env=lab_slot.environment(SLOT),
        capture_output=True,
        text=True,
        timeout=PLAYBOOK_TIMEOUT,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed (rc {proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")


def podman(container: str, *argv: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        ["podman", "exec", container, *argv], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and proc.returncode != 0:
        raise RuntimeError(f"{container}: {' '.join(argv)}: rc {proc.returncode}: {proc.stderr or proc.stdout}")
    return proc


@contextlib.contextmanager
def lab():
    """The benchmark's lab, up for the duration, destroyed afterwards (also on failure or interrupt)."""
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(LOCK, "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one user of slot 7 at a time
        try:
            playbook("teardown.yml")  # whatever an interrupted earlier run left
            playbook("setup.yml")
            yield
        finally:
            playbook("teardown.yml")


def cpu_seconds(container: str) -> dict[str, float]:
    """CPU time (user + system) used so far by the live processes of ``container``, summed by command."""
    script = "for f in /proc/[0-9]*/stat; do cat $f 2>/dev/null; echo; done"
    totals: dict[str, float] = {}
    for line in podman(container, "sh", "-c", script).stdout.splitlines():
        if ")" not in line:
            continue
        head, _unused, tail = line.rpartition(")")
        comm = head.partition("(")[2]
        fields = tail.split()
        totals[comm] = totals.get(comm, 0.0) + (int(fields[11]) + int(fields[12])) / CLK_TCK
    return totals


def container_cpu_seconds(container: str) -> float:
    """CPU time the whole container has used so far (its cgroup's cpuacct; exited processes included)."""
    return int(podman(container, "cat", "/sys/fs/cgroup/cpuacct/cpuacct.usage").stdout) / 1e9


def loadavg() -> float:
    """The machine's 1-minute load average (the machine is shared with other runs)."""
    return float(Path("/proc/loadavg").read_text(encoding="utf-8").split()[0])


def banned(edge: str) -> int:
    """Entries in our edge's ban list (pike and scanner bans)."""
    out = podman(edge, "kamcmd", "htable.dump", "ipban", check=False).stdout
    return out.count("name:")


def unban(edge: str) -> None:
    podman(edge, "kamcmd", "htable.flush", "ipban", check=False)


def register_extension(edge: str) -> None:
    """Point ``EXTENSION`` at ``edge`` to the PBX stand-in (a third-party REGISTER, 3600 s)."""
    argv = ["sipp", f"{ADDRESS[edge]}:5060", "-sf", "/usr/local/share/bench_register.xml", "-s", EXTENSION]
    argv += ["-key", "domain", ADDRESS[edge], "-key", "contact", f"{ADDRESS[PBX]}:5060"]
    argv += ["-i", ADDRESS[CLIENT], "-p", "5071", "-m", "1", "-timeout", "15s", "-timeout_error", "-nostdin"]
    podman(CLIENT, *argv, timeout=60)


def sipp_calls(edge: str, authenticated: bool, domain: str, rate: int, seconds: float, tag: str) -> dict:
    """``rate`` calls per second for ``seconds`` from the load generator through ``edge`` to ``EXTENSION``
    at ``domain``, answering the edge's digest challenge when ``authenticated``.

    Returns SIPp's final statistics (its ``-trace_stat`` CSV, last row, keys as SIPp names them) plus
    ``rc`` (SIPp's exit code: 0 when every call succeeded) and ``wall_s``.
    """
    calls = max(1, round(rate * seconds))
    stat = f"/tmp/{tag}.csv"
    common = ["-i", ADDRESS[CLIENT], "-p", "5070", "-r", str(rate), "-m", str(calls), "-l", "5000"]
    common += ["-recv_timeout", "5000", "-timeout", f"{int(seconds) + 60}s", "-timeout_error", "-nostdin"]
    common += ["-trace_stat", "-stf", stat, "-fd", "3600", "-trace_err", "-error_file", f"/tmp/{tag}.err"]
    if authenticated:
        scenario = ["-sf", "/usr/local/share/invite_auth_uac.xml", "-au", USER, "-ap", PASSWORD]
    else:
        scenario = ["-sf", "/usr/local/share/invite_uac.xml"]
    scenario += ["-key", "user", USER, "-key", "domain", domain]
    argv = ["sipp", f"{ADDRESS[edge]}:5060", *scenario, "-s", EXTENSION, *common]
    started = time.monotonic()
    proc = podman(CLIENT, *argv, timeout=seconds + 120, check=False)
    wall = time.monotonic() - started
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"sipp failed to run (rc {proc.returncode}): {proc.stderr[-2000:]}")
    rows = podman(CLIENT, "cat", stat).stdout.strip().splitlines()
    header, last = rows[0].rstrip(";").split(";"), rows[-1].rstrip(";").split(";")
    stats = dict(zip(header, last, strict=False))
    errors = podman(CLIENT, "sh", "-c", f"head -c 2000 /tmp/{tag}.err 2>/dev/null; rm -f /tmp/{tag}.*", check=False)
    stats.update(rc=proc.returncode, wall_s=wall, errors=errors.stdout)
    return stats
