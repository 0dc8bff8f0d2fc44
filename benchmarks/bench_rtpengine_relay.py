"""Concurrent G.711 streams through the media relay (roles/rtpengine, userspace forwarding, in the lab)
against the same streams sent point-to-point without it (the floor), in the same run.

Module level stays light (no lab) so that ``list`` and ``render`` can import it cheaply.
"""

from __future__ import annotations

from . import OURS

NAME = "rtpengine_relay"
CALLS = (25, 50, 100, 200, 300, 400)  # concurrent calls per step; each call is 2 streams (one per direction)
SECONDS = 8.0  # of RTP per step: 400 packets per stream
DESCRIPTION = f"""\
Concurrent 20 ms G.711 µ-law calls (160-byte payload, 50 packets/s per direction) relayed by rtpengine
as roles/rtpengine configures it on the lab's bookworm relay (Debian's rtpengine 10.5, userspace
forwarding: a container cannot load the kernel module), from a caller on the public side (sending to the
advertised Elastic IP through a NAT that stands in for EC2's) to a callee in the other zone. Calls are set
up over the ng protocol as Kamailio would (`tests/rtpengine/ng_client.py calls`); both ends send and count
at once (`ng_client.py load`), {SECONDS:g} s per step, steps of {", ".join(map(str, CALLS))} calls until a
step loses a packet. The anchor is the same streams between the same two instances without the relay —
the floor the lab's network and the load generator allow. `relay_cpu_percent` is the rtpengine process's
CPU time over the step (100 = one core), `relay_cpu_per_stream_percent` that divided by the streams
(two per call). The CI machine has 2 cores shared by the relay, both load generators and other jobs: the
numbers are a floor for an instance, not a capacity. On EC2 with in-kernel forwarding (the role's `auto`
mode where the DKMS module loads) packets no longer reach the daemon after a call is set up, so the
per-stream CPU of userspace forwarding measured here is what the kernel path removes."""
ANCHOR = {
    "name": "point-to-point (no relay)",
    "why": "The same streams sent directly between the caller and callee instances: what the lab's network "
    "and the Python load generator manage on their own, so that a loss on the relayed path can be told "
    "apart from a limit of the test bench.",
}


def _metrics(caller: dict, callee: dict, cpu_seconds: float | None, wall: float, calls: int) -> dict:
    sent = caller["sent"] + callee["sent"]
    received = caller["received"] + callee["received"]
    metrics = {
        "streams": 2 * calls,
        "packets_sent": sent,
        "packets_lost": sent - received,
        "loss_percent": round(100.0 * (sent - received) / sent, 4) if sent else 0.0,
        "streams_with_loss": caller["streams_short"] + callee["streams_short"],
        "sender_worst_lag_ms": max(caller["worst_send_lag_ms"], callee["worst_send_lag_ms"]),
    }
    if cpu_seconds is not None:
        percent = 100.0 * cpu_seconds / wall
        metrics["relay_cpu_percent"] = round(percent, 2)
        metrics["relay_cpu_per_stream_percent"] = round(percent / (2 * calls), 4)
    return metrics


def run() -> list[dict]:
    from . import rtpengine_lab as lab

    anchor = ANCHOR["name"]
    cases: list[dict] = []
    best = {OURS: 0, anchor: 0}
    lossy = {OURS: False, anchor: False}
    with lab.lab():
        for step, calls in enumerate(CALLS):
            for system, relayed in ((OURS, True), (anchor, False)):
                if lossy[system]:
                    continue
                prefix = f"bench{step}"
                spec = lab.plan(calls, relayed, prefix)
                before = lab.relay_cpu_seconds() if relayed else None
                caller, callee, _unused = lab.run_load(spec, SECONDS)
                cpu = lab.relay_cpu_seconds() - before if relayed else None
                if relayed:
                    lab.delete(calls, prefix)
                # The relay is idle outside the sending window: its CPU time is divided by that window.
                metrics = _metrics(caller, callee, cpu, SECONDS, calls)
                cases.append({"case": f"{calls} calls", "system": system, "metrics": metrics})
                if metrics["packets_lost"] == 0:
                    best[system] = 2 * calls
                else:
                    lossy[system] = True
    for system, streams in best.items():
        cases.append({"case": "most streams with zero loss", "system": system, "metrics": {"streams": streams}})
    return cases
