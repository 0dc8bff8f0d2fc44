# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The failover agent against the lab's AWS endpoint and IMDSv2 stand-in (in-process, on loopback).

Two instances in one subnet stand for a same-AZ pair, a third in another subnet for the cross-AZ
case. Each node's agent reads its identity and instance-profile credentials from its own IMDSv2
stand-in (a stand-in that answers as that node) and talks to the endpoint directly, through the
fault-injection proxy (lab/rtc_lab/faultproxy.py), or through a relay that can go dark (``Blackout``:
the endpoint unreachable from one node for a while). Every takeover is checked against the endpoint's
state read independently: the address on the new owner's ENI and on no other.
"""

from __future__ import annotations

import errno
import io
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
from ansible_collections.rtc.ec2_fleet.plugins.module_utils import floating_ip_agent as agent_mod
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.floating_ip_agent import (
    CRIT,
    Agent,
    AgentError,
    Journal,
    check_settings,
    coalesce,
    parse_event,
)

LAB_DIR = Path(__file__).resolve().parents[4] / "lab"
REGION = "us-east-1"
ROLE = "rtc-failover-test-node"
_vpc_numbers = iter(range(150, 250))


def _lab():
    sys.path.insert(0, str(LAB_DIR))
    try:
        from rtc_lab.endpoint import Endpoint
        from rtc_lab.faultproxy import FaultProxy, Faults
        from rtc_lab.imds import ImdsServer
    finally:
        sys.path.remove(str(LAB_DIR))
    return Endpoint, ImdsServer, FaultProxy, Faults


Endpoint, ImdsServer, FaultProxy, Faults = _lab()


@pytest.fixture(scope="module")
def aws_url():
    endpoint = Endpoint([("127.0.0.1", 0)])
    endpoint.start()
    yield endpoint.url
    endpoint.stop()


@pytest.fixture(scope="module")
def ec2(aws_url):
    return boto3.client("ec2", endpoint_url=aws_url, region_name=REGION)


@pytest.fixture(scope="module")
def profile_arn(aws_url):
    iam = boto3.client("iam", endpoint_url=aws_url, region_name=REGION)
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument="{}")
    arn = iam.create_instance_profile(InstanceProfileName=ROLE)["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName=ROLE, RoleName=ROLE)
    return arn


@pytest.fixture(scope="module")
def image_id(ec2):
    return ec2.describe_images()["Images"][0]["ImageId"]


class Node:
    """One lab instance with its own IMDSv2 stand-in (answering as this instance)."""

    def __init__(self, ec2, aws_url, subnet_id, image_id, profile_arn):
        instance = ec2.run_instances(
            ImageId=image_id,
            MinCount=1,
            MaxCount=1,
            SubnetId=subnet_id,
            InstanceType="c5.large",
            IamInstanceProfile={"Arn": profile_arn},
        )["Instances"][0]
        self.instance_id = instance["InstanceId"]
        self.eni = instance["NetworkInterfaces"][0]["NetworkInterfaceId"]
        self.ip = instance["PrivateIpAddress"]
        self.imds = ImdsServer(aws_url, [("127.0.0.1", 0)], caller_address=lambda ip, headers: self.ip)
        self.imds.start()


class Pair:
    def __init__(self, ec2, aws_url, image_id, profile_arn):
        self.ec2 = ec2
        prefix = "10.%d" % next(_vpc_numbers)
        self.vpc = ec2.create_vpc(CidrBlock=prefix + ".0.0/16")["Vpc"]["VpcId"]
        subnet_a = ec2.create_subnet(VpcId=self.vpc, CidrBlock=prefix + ".1.0/24", AvailabilityZone="us-east-1a")
        subnet_b = ec2.create_subnet(VpcId=self.vpc, CidrBlock=prefix + ".2.0/24", AvailabilityZone="us-east-1b")
        self.a = Node(ec2, aws_url, subnet_a["Subnet"]["SubnetId"], image_id, profile_arn)
        self.b = Node(ec2, aws_url, subnet_a["Subnet"]["SubnetId"], image_id, profile_arn)
        self.c = Node(ec2, aws_url, subnet_b["Subnet"]["SubnetId"], image_id, profile_arn)
        self.vip = prefix + ".1.200"
        ec2.assign_private_ip_addresses(NetworkInterfaceId=self.b.eni, PrivateIpAddresses=[self.vip])

    def holders(self, ip=None):
        answer = self.ec2.describe_network_interfaces(
            Filters=[
                {"Name": "addresses.private-ip-address", "Values": [ip or self.vip]},
                {"Name": "vpc-id", "Values": [self.vpc]},
            ]
        )
        return sorted(eni["NetworkInterfaceId"] for eni in answer["NetworkInterfaces"])

    def stop(self):
        for node in (self.a, self.b, self.c):
            node.imds.stop()


@pytest.fixture
def pair(ec2, aws_url, image_id, profile_arn):
    made = Pair(ec2, aws_url, image_id, profile_arn)
    yield made
    made.stop()


@pytest.fixture
def proxies(aws_url):
    started = []

    def make(**faults):
        proxy = FaultProxy(aws_url, Faults(seed=11, **faults))
        proxy.start()
        started.append(proxy)
        return proxy

    yield make
    for proxy in started:
        proxy.stop()


def settings_for(tmp_path, node, endpoint_url, **extra):
    directory = tmp_path / node.instance_id
    directory.mkdir(exist_ok=True)
    raw = {
        "vrrp_instance": "VI_edge1",
        "endpoint_url": endpoint_url,
        "imds_endpoint": node.imds.url,
        "fifo": str(directory / "notify.fifo"),
        "status_file": str(directory / "status.json"),
        "lock_file": str(directory / "takeover.lock"),
        "takeover_timeout": 15,
    }
    raw.update(extra)
    return check_settings(raw)


def make_agent(tmp_path, node, endpoint_url, **extra):
    journal = Journal(io.StringIO())
    agent = Agent(settings_for(tmp_path, node, endpoint_url, **extra), journal=journal)
    agent.prepare()
    return agent


def status_of(agent):
    with open(agent.settings["status_file"], encoding="utf-8") as handle:
        return json.load(handle)


# -- settings and notify lines -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"address": "10.0.1.5"}, "vrrp_instance is required"),
        ({"vrrp_instance": "VI_1"}, "address is required"),
        ({"vrrp_instance": "VI_1", "address": "10.0.1.300"}, "malformed address"),
        ({"vrrp_instance": "VI_1", "mode": "elastic_ip"}, "allocation_id is required"),
        ({"vrrp_instance": "VI_1", "mode": "dns", "address": "10.0.1.5"}, "mode 'dns'"),
        ({"vrrp_instance": "VI_1", "address": "10.0.1.5", "takeover_timeout": 0}, "takeover_timeout 0"),
        ({"vrrp_instance": "VI_1", "address": "10.0.1.5", "max_retries": -1}, "max_retries -1"),
        ({"vrrp_instance": "VI_1", "address": "10.0.1.5", "vip": "x"}, "unknown settings: vip"),
    ],
)
def test_bad_settings_are_refused(raw, message):
    with pytest.raises(AgentError, match=message):
        check_settings(raw)


def test_notify_lines_are_parsed():
    assert parse_event('INSTANCE "VI_edge1" MASTER 150\n') == ("INSTANCE", "VI_edge1", "MASTER", "150")
    assert parse_event('INSTANCE "VI_edge1" MASTER_RX_LOWER_PRI 150') == (
        "INSTANCE",
        "VI_edge1",
        "MASTER_RX_LOWER_PRI",
        "150",
    )
    assert parse_event('GROUP "G" BACKUP') == ("GROUP", "G", "BACKUP", "-")
    assert parse_event("garbage") is None
    assert parse_event('INSTANCE "VI_edge1" DANCING 1') is None


def test_a_burst_of_our_states_is_coalesced_to_the_last():
    settings = {"vrrp_instance": "VI_edge1"}
    lines = [
        'INSTANCE "VI_edge1" MASTER 150',
        'INSTANCE "VI_other" MASTER 10',
        'INSTANCE "VI_edge1" BACKUP 150',
        'INSTANCE "VI_edge1" MASTER 150',
    ]
    assert coalesce(lines, settings) == [lines[1], lines[3]]


# -- takeovers -----------------------------------------------------------------------------------


def test_an_address_outside_the_subnet_stops_the_agent_at_start(tmp_path, pair, aws_url):
    with pytest.raises(AgentError, match="cannot be taken here"):
        make_agent(tmp_path, pair.a, aws_url, address="10.255.9.9")
    assert pair.holders() == [pair.b.eni]


def test_identity_and_credentials_come_from_imds(tmp_path, pair, aws_url):
    seen = {}

    def factory(settings, region, credentials):
        seen.update(region=region, key=credentials["AccessKeyId"], token=credentials.get("Token"))
        return agent_mod.boto3_client_factory(settings, region, credentials)

    settings = settings_for(tmp_path, pair.a, aws_url, address=pair.vip)
    agent = Agent(settings, client_factory=factory, journal=Journal(io.StringIO()))
    agent.prepare()
    assert agent.identity["instance_id"] == pair.a.instance_id
    assert agent.interface["interface_id"] == pair.a.eni
    assert seen["region"] == REGION
    assert seen["key"] and seen["token"]  # the instance profile's temporary credentials


def test_master_takes_the_secondary_ip_verified(tmp_path, pair, aws_url):
    assert pair.holders() == [pair.b.eni]
    agent = make_agent(tmp_path, pair.a, aws_url, address=pair.vip)
    status = agent.handle('INSTANCE "VI_edge1" MASTER 150\n')
    assert status["result"] == "ok" and status["verified"] is True
    assert status["holders"] == [pair.a.eni]
    # the move and its proof: never an unassign first (no window without the address), no reads before
    assert status["api_calls"] == ["assign_private_ip_addresses", "describe_network_interfaces"]
    assert pair.holders() == [pair.a.eni]
    assert status_of(agent)["result"] == "ok"
    assert agent.holds() is True
    texts = [text for _unused, text in agent.journal.lines]
    assert any(text.startswith("takeover verified") and "ms=" in text for text in texts)


def test_a_second_takeover_changes_nothing(tmp_path, pair, aws_url):
    agent = make_agent(tmp_path, pair.a, aws_url, address=pair.vip)
    agent.state = "MASTER"
    assert agent.takeover("first")["result"] == "ok"
    again = agent.takeover("again")  # EC2 accepts assigning an address the ENI holds: nothing moves
    assert again["result"] == "ok" and again["holders"] == [pair.a.eni]
    assert pair.holders() == [pair.a.eni]


def test_backup_and_fault_change_nothing_in_aws(tmp_path, pair, aws_url):
    agent = make_agent(tmp_path, pair.a, aws_url, address=pair.vip)
    for line in ('INSTANCE "VI_edge1" BACKUP 150', 'INSTANCE "VI_edge1" FAULT 150', 'INSTANCE "VI_x" MASTER 1'):
        assert agent.handle(line) is None
    assert pair.holders() == [pair.b.eni]
    assert agent.state == "FAULT"


def test_two_agents_on_one_node_at_once_both_end_verified(tmp_path, pair, aws_url):
    first = make_agent(tmp_path, pair.a, aws_url, address=pair.vip)
    second = make_agent(tmp_path, pair.a, aws_url, address=pair.vip)
    results = {}

    def run(name, agent):
        results[name] = agent.takeover(name)

    threads = [threading.Thread(target=run, args=(n, a)) for n, a in (("one", first), ("two", second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {r["result"] for r in results.values()} == {"ok"}
    assert pair.holders() == [pair.a.eni]


def test_split_brain_master_reclaims_on_lower_priority_advert_and_by_reconcile(tmp_path, pair, aws_url):
    a = make_agent(tmp_path, pair.a, aws_url, address=pair.vip)
    b = make_agent(tmp_path, pair.b, aws_url, address=pair.vip)
    a.handle('INSTANCE "VI_edge1" MASTER 150')
    b.handle('INSTANCE "VI_edge1" MASTER 100')  # VRRP cut: b is master too, and took it last
    assert pair.holders() == [pair.b.eni]
    assert a.handle('INSTANCE "VI_edge1" MASTER_RX_LOWER_PRI 150')["result"] == "ok"
    assert pair.holders() == [pair.a.eni]
    b.handle('INSTANCE "VI_edge1" BACKUP 100')
    # Again, but a never hears b's advert: its periodic check sees the address gone and takes it back.
    b.takeover("split brain again")
    assert pair.holders() == [pair.b.eni]
    assert b.reconcile() is None  # b is BACKUP: it does nothing
    assert a.reconcile()["reason"] == "reconcile"
    assert pair.holders() == [pair.a.eni]
    assert a.reconcile() is None  # holding it: no API call


def test_the_lower_priority_master_waits_before_reclaiming(tmp_path, pair, aws_url):
    a = make_agent(tmp_path, pair.a, aws_url, address=pair.vip)
    b = make_agent(tmp_path, pair.b, aws_url, address=pair.vip, reclaim_grace=3)
    now = [100.0]
    b.clock = lambda: now[0]
    b.handle('INSTANCE "VI_edge1" MASTER 100')
    a.handle('INSTANCE "VI_edge1" MASTER 150')  # both masters: a, the preferred node, holds it
    assert pair.holders() == [pair.a.eni]
    assert b.reconcile() is None  # away for 0 s
    now[0] += 2.9
    assert b.reconcile() is None
    assert pair.holders() == [pair.a.eni]
    now[0] += 0.2
    assert b.reconcile()["reason"] == "reconcile"  # away for 3.1 s: b repairs (the peer may be dead)
    assert pair.holders() == [pair.b.eni]
    a.reconcile()  # a takes it back at once
    assert b.reconcile() is None  # b sees it away again
    now[0] += 5.0
    assert b.reconcile() is None  # the grace has doubled: 6 s
    now[0] += 1.5
    assert b.reconcile()["result"] == "ok"
    b.handle('INSTANCE "VI_edge1" BACKUP 100')  # the link healed: b is backup and does nothing
    a.reconcile()
    assert b.reconcile() is None
    assert pair.holders() == [pair.a.eni]


def test_cross_az_pair_moves_the_elastic_ip_to_its_own_address(tmp_path, pair, aws_url, ec2):
    allocation = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=allocation["AllocationId"], NetworkInterfaceId=pair.a.eni)
    agent = make_agent(tmp_path, pair.c, aws_url, mode="elastic_ip", allocation_id=allocation["AllocationId"])
    assert agent.holds() is False
    status = agent.handle('INSTANCE "VI_edge1" MASTER 100')
    assert status["result"] == "ok" and status["verified"]
    found = ec2.describe_addresses(AllocationIds=[allocation["AllocationId"]])["Addresses"][0]
    assert (found["NetworkInterfaceId"], found["PrivateIpAddress"]) == (pair.c.eni, pair.c.ip)
    assert agent.holds() is True


def test_permission_errors_fail_at_once_and_loudly(tmp_path, pair, aws_url):
    agent = make_agent(tmp_path, pair.a, aws_url, address=pair.vip)
    outside = "10.255.9.9"  # not in the subnet: a permanent error, like a denied permission
    agent.settings["address"] = outside
    status = agent.takeover("became MASTER")
    assert status["result"] == "failed" and status["attempts"] == 1
    assert status["error"]["kind"] == "invalid"
    assert any(p == CRIT and "TAKEOVER FAILED" in t for p, t in agent.journal.lines)
    assert status_of(agent)["result"] == "failed"


# -- under injected faults -------------------------------------------------------------------------

FAULTS = {
    "latency 300 ms": {"latency": 0.3},
    "30% throttled": {"throttle": 0.3},
    "20% 5xx before": {"error": 0.2},
    "20% 5xx after the change": {"error_after": 0.2},
    "mixed": {"latency": 0.1, "throttle": 0.2, "error": 0.1, "error_after": 0.1},
}


@pytest.mark.parametrize("faults", FAULTS.values(), ids=list(FAULTS))
def test_takeover_completes_and_verifies_under_faults(tmp_path, pair, aws_url, proxies, faults):
    proxy = proxies(**faults)
    a = make_agent(tmp_path, pair.a, proxy.url, address=pair.vip)
    b = make_agent(tmp_path, pair.b, proxy.url, address=pair.vip)
    for _unused in range(3):  # back and forth: each takeover verified, the address on exactly one ENI
        for agent, node in ((a, pair.a), (b, pair.b)):
            status = agent.handle('INSTANCE "VI_edge1" MASTER 150')
            assert status["result"] == "ok", status
            assert status["verified"] is True
            assert pair.holders() == [node.eni]
    injected = proxy.faults.summary()
    if faults.get("throttle") or faults.get("error") or faults.get("error_after"):
        assert any(set(outcomes) - {"forward"} for outcomes in injected.values()), injected


def test_an_api_that_always_fails_is_reported_loudly_within_the_bound(tmp_path, pair, aws_url, proxies):
    proxy = proxies(error=1.0, actions=["AssignPrivateIpAddresses"])
    agent = make_agent(tmp_path, pair.a, proxy.url, address=pair.vip, takeover_timeout=4)
    status = agent.handle('INSTANCE "VI_edge1" MASTER 150')
    assert status["result"] == "failed" and status["verified"] is False
    assert status["error"]["kind"] == "timeout"
    assert status["attempts"] > 1  # retried: a 5xx on a write is not final
    assert status["duration_ms"] < 4000 + 3000  # bounded: the deadline, plus at most one call in flight
    assert any(p == CRIT and "TAKEOVER FAILED" in t for p, t in agent.journal.lines)
    assert pair.holders() == [pair.b.eni]  # nothing half-done
    # While MASTER, the agent keeps trying; once the API heals, the next check succeeds.
    proxy.faults.error = 0.0
    assert agent.reconcile()["result"] == "ok"
    assert pair.holders() == [pair.a.eni]


def test_throttled_beyond_the_budget_fails_loudly(tmp_path, pair, aws_url, proxies):
    proxy = proxies(throttle=1.0)
    agent = make_agent(tmp_path, pair.a, proxy.url, address=pair.vip, takeover_timeout=1.5)
    status = agent.takeover("became MASTER")
    assert status["result"] == "failed"
    assert status["error"]["kind"] in ("throttled", "timeout")
    assert pair.holders() == [pair.b.eni]


# -- the FIFO loop ---------------------------------------------------------------------------------


def test_the_service_loop_reads_keepalived_fifo(tmp_path, pair, aws_url):
    agent = make_agent(tmp_path, pair.a, aws_url, address=pair.vip, check_interval=0.05)
    fifo = agent.settings["fifo"]
    done = threading.Event()
    thread = threading.Thread(target=agent.run, kwargs={"stop": done.is_set})
    thread.start()
    try:
        # The FIFO exists before the agent has it open for reading; until then a non-blocking writer
        # gets ENXIO (seen under load), so wait for the reader, bounded.
        writer = None
        for _unused in range(250):
            try:
                writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as error:
                if error.errno not in (errno.ENOENT, errno.ENXIO):
                    raise
                threading.Event().wait(0.02)
        assert writer is not None, "the agent never opened its FIFO for reading"
        os.write(writer, b'INSTANCE "VI_edge1" BACKUP 150\n')
        os.close(writer)
        for _unused in range(100):
            if agent.state == "BACKUP":
                break
            threading.Event().wait(0.05)
        # keepalived reloading: it deletes the FIFO and makes a new one, keeping it open read-write
        os.unlink(fifo)
        os.mkfifo(fifo, 0o600)
        keepalived = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
        os.write(keepalived, b'INSTANCE "VI_edge1" MASTER 150\n')
        for _unused in range(200):
            if agent.last is not None:
                break
            threading.Event().wait(0.05)
        os.close(keepalived)
    finally:
        done.set()
        thread.join(5)
    assert agent.last is not None and agent.last["result"] == "ok"
    assert pair.holders() == [pair.a.eni]


FAKE_KEEPALIVED = """
import signal, sys, time
data = sys.argv[1]
def dump(*_):
    with open(data, "w") as handle:
        handle.write("------< VRRP Topology >------\\n VRRP Instance = VI_other\\n   State = BACKUP\\n"
                     " VRRP Instance = VI_edge1\\n   VRRP Version = 3\\n   State = MASTER\\n   Wantstate = MASTER\\n")
signal.signal(signal.SIGUSR1, dump)
print("ready", flush=True)
time.sleep(30)
"""


@pytest.fixture
def fake_keepalived(tmp_path):
    """A process that dumps keepalived's SIGUSR1 data (our instance MASTER): (pid file, data file)."""
    data = tmp_path / "keepalived.data"
    child = subprocess.Popen([sys.executable, "-c", FAKE_KEEPALIVED, str(data)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        pid_file = tmp_path / "keepalived.pid"
        pid_file.write_text("%d\n" % child.pid)
        yield str(pid_file), str(data)
    finally:
        child.kill()
        child.wait()


def test_a_restarted_agent_learns_keepalived_state_and_acts(tmp_path, pair, aws_url, fake_keepalived):
    pid_file, data = fake_keepalived
    agent = make_agent(
        tmp_path, pair.a, aws_url, address=pair.vip, keepalived_pid_file=pid_file, keepalived_data_file=data
    )
    status = agent.sync_state()
    assert agent.state == "MASTER"
    assert status["result"] == "ok"
    assert pair.holders() == [pair.a.eni]


def test_a_missed_master_notification_is_noticed_from_the_local_address(tmp_path, pair, aws_url, fake_keepalived):
    pid_file, data = fake_keepalived
    local = {"yes": False}
    agent = make_agent(
        tmp_path, pair.a, aws_url, address=pair.vip, keepalived_pid_file=pid_file, keepalived_data_file=data
    )
    agent.address_is_local = lambda address: local["yes"] and address == pair.vip
    agent.handle('INSTANCE "VI_edge1" BACKUP 100')
    assert agent.notice_missed_master() is None  # the address is not here: nothing to ask
    assert pair.holders() == [pair.b.eni]
    local["yes"] = True  # keepalived added it, but its MASTER line never reached the FIFO
    status = agent.notice_missed_master()
    assert agent.state == "MASTER"
    assert status["result"] == "ok" and status["verified"] is True
    assert pair.holders() == [pair.a.eni]
    assert "no MASTER notification arrived" in agent.journal.stream.getvalue()
    assert agent.notice_missed_master() is None  # MASTER now: nothing more to notice


@pytest.mark.parametrize(
    ("trie", "expected"),
    [
        ("  +-- 10.0.1.0/24 2 0 2\n     |-- 10.0.1.60\n        /32 host LOCAL\n", True),
        ("  +-- 10.0.1.0/24 2 0 2\n     |-- 10.0.1.60\n        /32 link UNICAST\n", False),
        ("     |-- 10.0.1.61\n        /32 host LOCAL\n", False),
    ],
)
def test_local_addresses_are_read_from_the_kernel_routing_table(tmp_path, trie, expected):
    table = tmp_path / "fib_trie"
    table.write_text(trie)
    assert agent_mod.is_local_address("10.0.1.60", str(table)) is expected
    assert agent_mod.is_local_address("10.0.1.60", str(tmp_path / "missing")) is False


def test_without_keepalived_the_state_stays_unknown(tmp_path, pair, aws_url):
    agent = make_agent(tmp_path, pair.a, aws_url, address=pair.vip, keepalived_pid_file=str(tmp_path / "none.pid"))
    assert agent.sync_state() is None
    assert agent.state is None
    assert pair.holders() == [pair.b.eni]


def test_main_status_and_bad_config(tmp_path, capsys):
    journal = Journal(io.StringIO())
    bad = tmp_path / "bad.json"
    bad.write_text('{"vrrp_instance": "VI_1"}')
    assert agent_mod.main(["--config", str(bad), "status"], journal=journal) == 2
    assert journal.lines[-1][0] == CRIT
    good = tmp_path / "good.json"
    status_file = tmp_path / "status.json"
    good.write_text(json.dumps({"vrrp_instance": "VI_1", "address": "10.0.1.5", "status_file": str(status_file)}))
    assert agent_mod.main(["--config", str(good), "status"], journal=journal) == 1  # no status yet
    status_file.write_text('{"result": "failed"}')
    assert agent_mod.main(["--config", str(good), "status"], journal=journal) == 1
    status_file.write_text('{"result": "ok"}')
    capsys.readouterr()
    assert agent_mod.main(["--config", str(good), "status"], journal=journal) == 0
    assert json.loads(capsys.readouterr().out)["result"] == "ok"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ({"state": "MASTER", "result": "ok", "holds_address": True}, 0),
        ({"state": "MASTER", "result": "retrying", "holds_address": False}, 1),
        ({"state": "MASTER", "result": "pending", "holds_address": False}, 1),
        ({"state": "MASTER", "result": "ok", "holds_address": False}, 1),  # e.g. seen away in instance metadata
        ({"state": "BACKUP", "result": "ok", "holds_address": False}, 0),
        ({"state": "MASTER", "result": "ok", "verified": True}, 0),  # a status file of an earlier agent
        ({"state": "BACKUP", "result": "failed"}, 1),
    ],
)
def test_status_exits_non_zero_unless_ok_and_as_master_holding(status, code):
    assert agent_mod.status_exit_code(status) == code


# -- the endpoint unreachable from one node for a while -------------------------------------------


class Blackout:
    """A TCP relay on loopback in front of the AWS endpoint that can go dark, as the path from one node did.

    While dark it answers nothing. It stops accepting and keeps its accept queue (backlog 0) full, so the
    kernel drops new SYNs and a client sees what the node in issue 24 saw (botocore: ``Connect timeout on
    endpoint URL``); on connections already open it relays nothing (a request goes unanswered until the
    client's read timeout). Back to light it accepts again at once; connections from before are closed
    unanswered. Loopback only, nothing changed on the host.
    """

    def __init__(self, upstream_url):
        parts = urlsplit(upstream_url)
        self.upstream = (parts.hostname, parts.port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        self.address = self.listener.getsockname()
        self.url = "http://%s:%d" % self.address
        self.lock = threading.Lock()
        self.dark = False
        self.epoch = 0
        self.fillers = []
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.closed.is_set():
            with self.lock:
                if not self.dark and select.select([self.listener], [], [], 0.02)[0]:
                    client, _unused = self.listener.accept()
                    threading.Thread(target=self._relay, args=(client, self.epoch), daemon=True).start()
                    continue
            time.sleep(0.002 if not self.dark else 0.02)

    def _relay(self, client, epoch):
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            client.close()
            return
        with client, upstream:
            while not self.closed.is_set():
                if self.dark:
                    time.sleep(0.02)  # hold everything: no byte passes either way
                    continue
                if self.epoch != epoch:
                    return  # light again: a connection from before the outage ends unanswered
                for sock in select.select([client, upstream], [], [], 0.05)[0]:
                    try:
                        data = sock.recv(65536)
                        if not data:
                            return
                        (upstream if sock is client else client).sendall(data)
                    except OSError:
                        return

    def go_dark(self):
        with self.lock:  # the accept loop is not between select and accept
            self.dark = True
            self.epoch += 1
        for _unused in range(2):  # backlog 0 queues one connection; the second one's SYN is already dropped
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            filler.connect_ex(self.address)
            self.fillers.append(filler)
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        probe.settimeout(0.3)
        try:
            probe.connect(self.address)
        except OSError:
            pass  # a connect timeout: dark
        else:
            raise AssertionError("the blackout still accepts connections")
        finally:
            probe.close()

    def go_light(self):
        with self.lock:
            self.dark = False
        for filler in self.fillers:
            filler.close()
        self.fillers = []

    def stop(self):
        self.closed.set()
        self.thread.join(5)
        self.go_light()
        self.listener.close()


@pytest.fixture
def blackout(aws_url):
    made = Blackout(aws_url)
    yield made
    made.stop()


class Serving:
    """An agent serving its FIFO in a thread, as the systemd service does; ``say`` is keepalived writing a line."""

    def __init__(self, agent):
        self.agent = agent
        fifo = agent.settings["fifo"]
        os.mkfifo(fifo, 0o600)
        self.keepalived = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # as keepalived holds it
        self.done = threading.Event()
        self.thread = threading.Thread(target=agent.run, kwargs={"stop": self.done.is_set}, daemon=True)
        self.thread.start()

    def say(self, state):
        os.write(self.keepalived, ('INSTANCE "VI_edge1" %s 150\n' % state).encode())

    def stop(self):
        self.done.set()
        self.thread.join(10)
        os.close(self.keepalived)
        assert not self.thread.is_alive(), "the agent did not stop"


def read_status(agent):
    try:
        return status_of(agent)
    except (OSError, ValueError):
        return {}


def wait_for_status(agent, predicate, timeout, what):
    """The first status that satisfies ``predicate``, read every 20 ms for up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = read_status(agent)
        if status and predicate(status):
            return status
        time.sleep(0.02)
    raise AssertionError("no status with %s within %gs; last: %r" % (what, timeout, read_status(agent)))


def config_file(tmp_path, agent):
    path = tmp_path / ("%s.json" % agent.identity["instance_id"])
    path.write_text(json.dumps({key: agent.settings[key] for key in ("vrrp_instance", "address", "status_file")}))
    return str(path)


def serving_agent(tmp_path, node, endpoint_url, **extra):
    """An agent as the service runs it: defaults for timeouts, no keepalived to ask at start."""
    return make_agent(tmp_path, node, endpoint_url, keepalived_pid_file=str(tmp_path / "no-keepalived.pid"), **extra)


def test_endpoint_unreachable_then_back_master_retries_honestly_and_takes_over_within_2s(
    tmp_path, pair, aws_url, blackout
):
    """Issue 24: the old active becomes MASTER while its path to the endpoint is dead (connect timeouts).

    Its status must say MASTER without the address and retrying at every reading -- never the BACKUP/ok
    of before -- and ``status`` must exit 1; it keeps retrying past ``takeover_timeout``; once the path is
    back, the takeover completes within 2 s.
    """
    a = serving_agent(tmp_path, pair.a, blackout.url, address=pair.vip, takeover_timeout=2)
    b = make_agent(tmp_path, pair.b, aws_url, address=pair.vip)
    config = config_file(tmp_path, a)
    service = Serving(a)
    try:
        # Before: a was active (verified), then b took over and a became BACKUP -- status BACKUP, ok.
        service.say("MASTER")
        wait_for_status(a, lambda s: s["result"] == "ok" and s["holds_address"], 20, "a verified takeover")
        assert b.handle('INSTANCE "VI_edge1" MASTER 100')["result"] == "ok"
        service.say("BACKUP")
        wait_for_status(a, lambda s: s["state"] == "BACKUP", 5, "state BACKUP")
        assert pair.holders() == [pair.b.eni]

        # The path from a to the endpoint dies; keepalived makes a MASTER (b is gone).
        blackout.go_dark()
        went_dark = time.monotonic()
        service.say("MASTER")
        wait_for_status(a, lambda s: s["state"] == "MASTER", 2, "state MASTER")  # at once, not after the takeover
        readings = []
        while True:
            status = read_status(a)
            readings.append(status)
            assert status["state"] == "MASTER", status  # never again the BACKUP of before
            assert status["holds_address"] is False and status["result"] in ("pending", "retrying"), status
            if any("Connect timeout" in e["msg"] for e in status.get("errors", [])) and (
                time.monotonic() - went_dark > a.settings["takeover_timeout"] + 1
            ):
                break
            assert time.monotonic() - went_dark < 30, "no connect timeout seen while the endpoint was dark"
            time.sleep(0.05)
        assert agent_mod.main(["--config", config, "status"], journal=Journal(io.StringIO())) == 1
        retrying = readings[-1]
        assert retrying["result"] == "retrying" and retrying["attempts"] >= 2
        assert retrying["last_error"]["kind"] == "unreachable"
        assert [r["attempts"] for r in readings] == sorted(r["attempts"] for r in readings)  # counted as it goes
        assert pair.holders() == [pair.b.eni]  # nothing got through
        # Past takeover_timeout it said so, loudly, and went on.
        assert any(p == CRIT and "still retrying" in t for p, t in a.journal.lines)

        # The path comes back: the takeover completes within 2 s.
        back = time.monotonic()
        blackout.go_light()
        done = wait_for_status(a, lambda s: s["result"] == "ok", 10, "a verified takeover after the outage")
        took = time.monotonic() - back
        assert pair.holders() == [pair.a.eni]
        assert done["state"] == "MASTER" and done["holds_address"] is True and done["verified"] is True
        assert done["attempts"] > retrying["attempts"]
        assert took < 2.0, "takeover completed %.2f s after the endpoint came back" % took
        assert agent_mod.main(["--config", config, "status"], journal=Journal(io.StringIO())) == 0
    finally:
        service.stop()
        blackout.go_light()


def test_a_state_change_stops_the_retries(tmp_path, pair, aws_url, blackout):
    """MASTER while the endpoint is unreachable, then BACKUP: the agent stops retrying and takes nothing later."""
    a = serving_agent(tmp_path, pair.a, blackout.url, address=pair.vip)
    service = Serving(a)
    try:
        blackout.go_dark()
        service.say("MASTER")
        wait_for_status(a, lambda s: s["result"] == "retrying", 15, "retrying")
        service.say("BACKUP")
        # Seen after the attempt in flight at most (a connect timeout, or a read timeout on a kept connection).
        backup = wait_for_status(a, lambda s: s["state"] == "BACKUP", 10, "state BACKUP")
        assert backup["result"] == "ok" and backup["holds_address"] is False
        assert backup["last_takeover"]["result"] == "interrupted"
        blackout.go_light()
        time.sleep(2.0)  # past the 2 s within which a takeover still retrying would have completed
        assert pair.holders() == [pair.b.eni]
        assert read_status(a)["state"] == "BACKUP"
        assert "takeover stopped before it was verified" in a.journal.stream.getvalue()
    finally:
        service.stop()
        blackout.go_light()
