"""Plays run through the real ``ansible-playbook`` against the lab's AWS endpoint on 127.0.0.1, with a
counter of the API actions the endpoint served.

Shared by the benchmarks that run modules as a user does (bench_floating_ip, bench_route53_srv).
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

    def write_play(self, name: str, group: str, tasks: list[dict], region: bool = True) -> Path:
        """A play of ``tasks`` whose ``module_defaults`` of ``group`` give endpoint_url and (unless
        ``region`` is false, for a module whose ``region`` option means something else) the region."""
        defaults = {"region": REGION, "endpoint_url": self.aws_url} if region else {"endpoint_url": self.aws_url}
        play = {
            "name": name,
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars": {"ansible_python_interpreter": sys.executable},
            "module_defaults": {f"group/{group}": defaults},
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
def endpoint(prefix: str):
    """Yield ``(aws_url, runner, counter)`` with the endpoint listening on 127.0.0.1 (a free port) and
    every request's API action recorded in ``counter``; ``prefix`` names the runner's temporary directory."""
    fence_environment()
    from rtc_lab.endpoint import Endpoint

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    counter = ActionCounter()
    with (
        Endpoint(listen=LOOPBACK, on_request=counter.record) as lab_endpoint,
        tempfile.TemporaryDirectory(prefix=prefix) as workdir,
    ):
        yield lab_endpoint.url, Runner(lab_endpoint.url, Path(workdir)), counter
