"""Failover of an active/standby SIP pair in the lab: this collection's keepalived role and failover agent
against keepalived's defaults with a plain notify script, on the same pair, in the same run.

Module level stays light (no boto3, no lab) so that ``list`` and ``render`` can import it cheaply.
"""

from __future__ import annotations

import statistics
import sys
import time

from . import OURS

NAME = "failover"
FAILOVERS = 20  # per configuration; fewer is not published
SOAK_SECONDS = 60
# (advert_int s, % of adverts the standby drops at random), each soaked with every CPU busy. 0 % isolates
# the CPU load; 5 % is far above any loss between two instances of one VPC (a network already failing);
# at 20 % three adverts in a row are lost with probability 0.8 %, so every interval flaps, only the rate
# (0.008 per advert) differs.
SOAKS = ((0.1, 0), (0.1, 5), (0.2, 5), (0.2, 20), (0.5, 20), (1.0, 20))
ANCHOR_NAME = "keepalived defaults + plain notify script"

DESCRIPTION = f"""\
Two edge nodes of lab slot 4 (molecule/keepalived: systemd containers in one subnet, each running
Kamailio (roles/kamailio) listening on the floating address too, the lab's AWS endpoint and IMDSv2
stand-in) share the floating address 10.93.1.60.
Each failover freezes the node holding it (`podman pause`: a hung node, no goodbye advert, no answers),
and the benchmark measures, from the controller on the lab bridge: the **SIP gap** on the VIP -- a real
SIP OPTIONS (to Kamailio's health user) is sent to the VIP every 50 ms, and the gap runs from the first
unanswered probe to the first
answered one (so it is resolved to 50 ms) -- and the **time to the AWS state**: until the lab's AWS
endpoint, read every 50 ms, shows the VIP on the other node's ENI and on no other. `bad_states` counts
failovers during which the endpoint ever showed the VIP on two ENIs or on none, or not on the new owner
at the end; `unrecovered` those that did not recover within 20 s. Then the node is thawed: it comes back
as the MASTER it was, the other node steps down, and the pair must settle again (VIP on one node's
interface, AWS state on the same node) within 10 s; `stale_after_return` counts failovers after which it
did not -- the address left on the other node's ENI (keepalived runs no notify script when a master
merely stays master) -- which the benchmark then repairs by restarting keepalived.
{FAILOVERS} failovers per configuration: the anchor
(keepalived's defaults: VRRPv2, advert_int 1 s, preemption, and a notify_master script that unassigns
the address from the peer and assigns it here with boto3, unverified -- what is commonly run), this
role's defaults (VRRPv3, advert_int 0.2 s, no preemption, the agent on the notify FIFO), and this role's
defaults with 300 ms added to every EC2 API call by the fault-injection proxy. In the lab, SIP follows
the VIP on the node's interface (keepalived's gratuitous ARP on the bridge); on EC2 it follows the ENI
assignment, so there the service gap is the later of the two times. The soak rows explain the default
advert_int: for {SOAK_SECONDS} s the standby drops a share of incoming VRRP adverts at random while both
nodes run two busy loops each (every CPU of the machine busy); `false_failovers` counts the standby's
transitions to MASTER."""
ANCHOR = {
    "name": ANCHOR_NAME,
    "why": "keepalived's documented defaults (VRRPv2, advert_int 1) over unicast, with the notify script most "
    "floating-IP guides show: unassign from the peer, assign to self, no read-back -- the baseline issue 10 names.",
}


def _quantile(values, q):
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[q - 1]


def _metrics(runs):
    gaps = [r["gap_s"] for r in runs if r["gap_s"] is not None]
    aws = [r["aws_s"] for r in runs if r["aws_s"] is not None]
    unrecovered = sum(1 for r in runs if r["gap_s"] is None or r["aws_s"] is None)
    metrics = {
        "failovers": len(runs),
        "unrecovered": unrecovered,
        "bad_states": sum(r["bad_state"] for r in runs),
        "stale_after_return": sum(r["stale_after_return"] for r in runs),
    }
    if gaps:
        metrics.update(
            sip_gap_p50_s=round(statistics.median(gaps), 3),
            sip_gap_p95_s=round(_quantile(gaps, 95), 3),
            sip_gap_max_s=round(max(gaps), 3),
        )
    if aws:
        metrics.update(
            aws_p50_s=round(statistics.median(aws), 3),
            aws_p95_s=round(_quantile(aws, 95), 3),
            aws_max_s=round(max(aws), 3),
        )
    return metrics


def _failovers(lab, label, out):
    runs = []
    for index in range(FAILOVERS):
        result = lab.failover()
        runs.append(result)
        print(
            f"  {label} #{index + 1}: from {result['owner']}, gap {result['gap_s']}, aws {result['aws_s']}, "
            f"seen {result['holders_seen']}, stale after return {result['stale_after_return']}",
            file=out,
            flush=True,
        )
    return runs


def _soak(lab, advert_int, loss_percent, out):
    from .failover_lab import NODES, node_sh

    for name in NODES:
        node_sh(
            name,
            "sed -i 's/advert_int .*/advert_int %s/' /etc/keepalived/keepalived.conf && "
            "keepalived -t -f /etc/keepalived/keepalived.conf && systemctl reload keepalived" % advert_int,
        )
    owner = lab.settle()
    standby = next(n for n in NODES if n != owner)
    time.sleep(2)
    mark = node_sh(standby, "date +%s.%N").strip()
    if loss_percent:
        node_sh(
            standby,
            "nft 'table inet rtc_loss { chain input { type filter hook input priority -10; "
            "ip protocol 112 numgen random mod 100 < %d drop; }; }'" % loss_percent,
        )
    hog = "nohup timeout %d sh -c 'while :; do :; done' >/dev/null 2>&1 &" % SOAK_SECONDS
    hogs = [node_sh(name, f"{hog} {hog} echo started") for name in NODES]
    time.sleep(SOAK_SECONDS)
    if loss_percent:
        node_sh(standby, "nft delete table inet rtc_loss")
    journal = node_sh(standby, "journalctl -u keepalived --no-pager -o cat --since @%s" % mark, check=False)
    masters = sum(1 for line in journal.splitlines() if "Entering MASTER STATE" in line)
    print(
        f"  soak advert_int {advert_int}, {loss_percent}% loss: {2 * len(hogs)} hogs, standby {standby} became "
        f"MASTER {masters}x",
        file=out,
        flush=True,
    )
    lab.settle()
    return {"false_failovers": masters, "seconds": SOAK_SECONDS, "vrrp_loss_percent": loss_percent}


def run(out=sys.stderr) -> list[dict]:
    from . import failover_lab

    cases = []
    with failover_lab.running() as lab:
        lab.configure("role")
        role = _failovers(lab, "role defaults", out)
        lab.configure("role+latency")
        latency = _failovers(lab, "role defaults, 300 ms API latency", out)
        lab.configure("role")
        soaks = {(value, loss): _soak(lab, value, loss, out) for value, loss in SOAKS}
        lab.configure("anchor")
        anchor = _failovers(lab, "anchor", out)
    for label, system, runs in (
        ("failover, node frozen", ANCHOR_NAME, anchor),
        ("failover, node frozen", OURS, role),
        ("failover, node frozen, 300 ms API latency", OURS, latency),
    ):
        cases.append({"case": label, "system": system, "metrics": _metrics(runs)})
    for (value, loss), metrics in soaks.items():
        cases.append(
            {
                "case": f"advert_int {value} s, {loss}% VRRP loss + CPU load, {SOAK_SECONDS} s",
                "system": OURS,
                "metrics": metrics,
            }
        )
    if len(role) < FAILOVERS or len(latency) < FAILOVERS or len(anchor) < FAILOVERS:
        raise RuntimeError("fewer than %d failovers in a configuration: not published" % FAILOVERS)
    return cases
