"""start / stop / status of ``serve`` as a daemon, idempotent so that Ansible tasks can call them.

State under the state dir: ``lab.pid`` (the daemon's pid), ``lab.json`` (written by the daemon
once every listener is bound: its config and bound addresses) and ``lab.log``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import DEFAULT_REGION, TEST_CREDENTIALS
from .netutil import http_answers, is_local_address, parse_listen

NOT_RUNNING = 3  # LSB status code for "program is not running"


def _paths(state_dir: Path) -> dict[str, Path]:
    return {name: state_dir / f"lab.{name}" for name in ("pid", "json", "log")}


def _daemon_pid(state_dir: Path) -> int | None:
    """The daemon's pid, if the pidfile names a live ``rtc_lab serve`` (never another process)."""
    try:
        pid = int(_paths(state_dir)["pid"].read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    return pid if b"rtc_lab" in cmdline and b"serve" in cmdline else None


def _state(state_dir: Path, pid: int) -> dict | None:
    try:
        state = json.loads(_paths(state_dir)["json"].read_text())
    except (OSError, ValueError):
        return None
    return state if state.get("pid") == pid else None


def _probe(state: dict) -> dict:
    """Which listeners answer; an address not configured yet (podman bridge) cannot be asked."""
    answering, silent, pending = [], [], []
    checks = [(a, "GET", "/moto-api/config", {}) for a in state["aws"]]
    checks += [(a, "PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "1"}) for a in state["imds"]]
    for (host, port), method, path, headers in checks:
        name = f"{host}:{port}"
        probe_host = "127.0.0.1" if host == "0.0.0.0" else host
        if not is_local_address(probe_host):
            pending.append(name)
        elif http_answers(probe_host, port, method, path, headers):
            answering.append(name)
        else:
            silent.append(name)
    return {"answering": answering, "not_answering": silent, "pending_addresses": pending}


def _report(state: dict, probe: dict) -> dict:
    return {
        "pid": state["pid"],
        "aws": [f"{h}:{p}" for h, p in state["aws"]],
        "imds": [f"{h}:{p}" for h, p in state["imds"]],
        "aws_url": state["aws_url"],
        **probe,
    }


def _log_tail(state_dir: Path, lines: int = 20) -> str:
    try:
        return "\n".join(_paths(state_dir)["log"].read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _spawn(state_dir: Path, config: dict) -> subprocess.Popen:
    paths = _paths(state_dir)
    paths["json"].unlink(missing_ok=True)
    package_parent = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_ACCESS_KEY_ID=TEST_CREDENTIALS["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=TEST_CREDENTIALS["aws_secret_access_key"],
        AWS_DEFAULT_REGION=config.get("region", DEFAULT_REGION),
    )
    cmd = [sys.executable, "-m", "rtc_lab", "serve", "--state-file", str(paths["json"].resolve())]
    for address in config["aws_listen"]:
        cmd += ["--aws-listen", address]
    for address in config["imds_listen"]:
        cmd += ["--imds-listen", address]
    if config["aws_url"]:
        cmd += ["--aws-url", config["aws_url"]]
    cmd += ["--region", config["region"]]
    with open(paths["log"], "ab") as log:
        # A new session: the daemon must outlive this command and the terminal or task that ran it.
        process = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, start_new_session=True
        )
    paths["pid"].write_text(f"{process.pid}\n")
    return process


def _wait_ready(state_dir: Path, process: subprocess.Popen, timeout: float) -> tuple[dict | None, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return None, f"the daemon exited with status {process.returncode}"
        state = _state(state_dir, process.pid)
        if state is not None:
            probe = _probe(state)
            if not probe["not_answering"]:
                return _report(state, probe), ""
        time.sleep(0.2)
    return None, f"not every listener answered within {timeout:g}s"


def start(state_dir: Path, config: dict, timeout: float = 60.0) -> tuple[dict, int]:
    state_dir.mkdir(parents=True, exist_ok=True)
    for address in config["aws_listen"] + config["imds_listen"]:
        parse_listen(address)
    pid = _daemon_pid(state_dir)
    restarted = False
    if pid is not None:
        state = _state(state_dir, pid)
        if state is not None and state["config"] == config:
            probe = _probe(state)
            if not probe["not_answering"]:
                return {"changed": False, "running": True, "msg": "already running", **_report(state, probe)}, 0
        # Running with another configuration, or not answering: replace it.
        stop(state_dir)
        restarted = True
    process = _spawn(state_dir, config)
    report, error = _wait_ready(state_dir, process, timeout)
    if report is None:
        stop(state_dir)
        return {"changed": True, "failed": True, "running": False, "msg": error, "log_tail": _log_tail(state_dir)}, 1
    msg = "restarted" if restarted else "started"
    return {"changed": True, "running": True, "msg": msg, "log": str(_paths(state_dir)["log"]), **report}, 0


def stop(state_dir: Path, timeout: float = 10.0) -> tuple[dict, int]:
    paths = _paths(state_dir)
    pid = _daemon_pid(state_dir)
    if pid is None:
        paths["pid"].unlink(missing_ok=True)
        return {"changed": False, "running": False, "msg": "not running"}, 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    # A dead daemon's /proc entry (even as a zombie) no longer names rtc_lab serve.
    while _daemon_pid(state_dir) == pid:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + timeout
        time.sleep(0.1)
    paths["pid"].unlink(missing_ok=True)
    paths["json"].unlink(missing_ok=True)
    return {"changed": True, "running": False, "msg": "stopped", "pid": pid}, 0


def status(state_dir: Path) -> tuple[dict, int]:
    pid = _daemon_pid(state_dir)
    state = _state(state_dir, pid) if pid is not None else None
    if state is None:
        return {"running": False, "changed": False, "msg": "not running"}, NOT_RUNNING
    probe = _probe(state)
    healthy = not probe["not_answering"]
    msg = "running" if healthy else "running, but not every listener answers"
    return {"running": True, "changed": False, "msg": msg, **_report(state, probe)}, 0 if healthy else 1
