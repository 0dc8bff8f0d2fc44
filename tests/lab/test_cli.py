"""python -m rtc_lab start / status / stop: idempotent, JSON on stdout, on loopback ports."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import requests

LAB_DIR = Path(__file__).resolve().parents[2] / "lab"
# An address of the lab network that no interface holds: stands for the podman bridge before it exists.
# Bound with IP_FREEBIND, never contacted (start only probes addresses this machine has).
ABSENT = "10.89.255.254"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    state_dir = tmp_path / "state"
    env = {**os.environ, "PYTHONPATH": str(LAB_DIR)}

    def run(*args):
        command = [sys.executable, "-m", "rtc_lab", *args, "--state-dir", str(state_dir)]
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False)
        return done.returncode, json.loads(done.stdout), done.stderr

    yield run
    run("stop")  # whatever the test did, leave no daemon behind


def is_rtc_lab(pid):
    try:
        return b"rtc_lab" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def test_start_status_stop_are_idempotent(lab):
    aws, imds, pending = free_port(), free_port(), free_port()
    listen = ["--aws-listen", f"127.0.0.1:{aws}", "--imds-listen", f"127.0.0.1:{imds}"]
    absent = ["--imds-listen", f"{ABSENT}:{pending}"]

    code, result, _ignored = lab("status")
    assert (code, result["running"]) == (3, False)
    code, result, _ignored = lab("stop")
    assert (code, result["changed"]) == (0, False)

    code, result, _ignored = lab("start", *listen, *absent)
    assert (code, result["changed"], result["msg"]) == (0, True, "started"), result
    pid = result["pid"]
    assert is_rtc_lab(pid)
    assert sorted(result["answering"]) == sorted([f"127.0.0.1:{aws}", f"127.0.0.1:{imds}"])
    assert result["pending_addresses"] == [f"{ABSENT}:{pending}"]
    assert result["aws_url"] == f"http://127.0.0.1:{aws}"

    ec2 = boto3.client("ec2", endpoint_url=f"http://127.0.0.1:{aws}", region_name="us-east-1")
    vpc_id = ec2.create_vpc(CidrBlock="10.98.0.0/16")["Vpc"]["VpcId"]
    session = requests.Session()
    session.trust_env = False
    assert session.get(f"http://127.0.0.1:{imds}/latest/meta-data/", timeout=5).status_code == 401

    code, result, stderr = lab("start", *listen, *absent)
    assert (code, result["changed"], result["msg"], result["pid"]) == (0, False, "already running", pid)
    assert "already running" in stderr
    assert [v["VpcId"] for v in ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]] == [vpc_id]  # same daemon, same state

    code, result, _ignored = lab("status")
    assert (code, result["running"], result["pid"]) == (0, True, pid)

    code, result, _ignored = lab("start", *listen)  # another configuration replaces the daemon
    assert (code, result["changed"], result["msg"]) == (0, True, "restarted")
    assert result["pid"] != pid and not is_rtc_lab(pid)
    pid = result["pid"]

    code, result, _ignored = lab("stop")
    assert (code, result["changed"], result["pid"]) == (0, True, pid)
    assert not is_rtc_lab(pid)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", aws), timeout=2).close()
    code, result, _ignored = lab("stop")
    assert (code, result["changed"]) == (0, False)
    code, result, _ignored = lab("status")
    assert (code, result["running"]) == (3, False)


def test_start_reports_a_listener_that_cannot_bind(lab):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        code, result, _ignored = lab("start", "--aws-listen", f"127.0.0.1:{port}", "--timeout", "30")
    assert (code, result["failed"], result["running"]) == (1, True, False)
    assert "Address already in use" in result["log_tail"]


def test_any_free_port_and_the_stand_in_finds_the_endpoint(lab):
    code, result, _ignored = lab("start", "--aws-listen", "127.0.0.1:0", "--imds-listen", "127.0.0.1:0")
    assert code == 0, result
    [aws] = result["aws"]
    assert result["aws_url"] == f"http://{aws}" and not aws.endswith(":0")
    [imds] = result["imds"]
    session = requests.Session()
    session.trust_env = False
    token = session.put(
        f"http://{imds}/latest/api/token", headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"}, timeout=5
    ).text
    answer = session.get(
        f"http://{imds}/latest/meta-data/instance-id", headers={"X-aws-ec2-metadata-token": token}, timeout=5
    )
    # 404: the stand-in asked the endpoint, which knows no instance at 127.0.0.1 (503 if it could not ask).
    assert answer.status_code == 404
