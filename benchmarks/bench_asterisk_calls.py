"""Concurrent SIPp calls with RTP through the asterisk role's PBX, against the same load on a SIPp answering
on the same instance (the floor of the machine), in the same run, on the lab (molecule scenario asterisk,
slot 3).

Cases: G.711 A-law on both legs (no transcoding: the PBX relays RTP), and G.711 A-law to G.722 (the far
end answers G.722: the PBX decodes and encodes every packet). Each call holds ``HOLD_MS`` and plays G.711
RTP that the far end echoes. Concurrency steps up through ``LEVELS`` until a level has a failed call;
reported: the highest level with none, and CPU and resident memory per call at that level.

Module level stays light (no lab) so that ``list`` and ``render`` can import it cheaply.
"""

from __future__ import annotations

NAME = "asterisk_calls"
DESCRIPTION = (
    "Concurrent SIPp calls with RTP through Asterisk (G.711 relay; G.711 to G.722 transcoding) on the lab:\n"
    "highest concurrency with zero failed calls, CPU and memory per call, against a SIPp answering directly."
)
ANCHOR = {
    "name": "SIPp UAS (no PBX)",
    "why": "The same calls answered by SIPp itself on the PBX instance: what the machine and the load "
    "generator allow without a PBX, so the PBX's own cost and limit read against that floor.",
}
LEVELS = (10, 25, 50, 100, 150)
HOLD_MS = 6000
CASES = (
    ("G.711 relay (no transcoding)", "asterisk_uas.xml"),
    ("G.711 to G.722 (transcoding)", "asterisk_uas_g722.xml"),
)


def _sweep(bed, to_asterisk: bool, server) -> dict:
    best = None
    for level in LEVELS:
        result = bed.load(to_asterisk, level, HOLD_MS, server)
        if result["failed"] or result["successful"] != result["calls"]:
            break
        best = (level, result)
    if best is None:
        return {"max_concurrent_calls_zero_failures": 0}
    level, result = best
    # CPU per call: the server's CPU seconds over the call-seconds it carried, as % of one core.
    call_seconds = result["calls"] * HOLD_MS / 1000.0
    return {
        "max_concurrent_calls_zero_failures": level,
        "cpu_percent_of_core_per_call": round(100.0 * result["cpu_seconds"] / call_seconds, 4),
        "rss_peak_mib": round(result["rss_peak_bytes"] / 2**20, 2),
        "rss_kib_per_call": round((result["rss_peak_bytes"] - bed.idle_rss) / 1024.0 / level, 2),
    }


def run() -> list[dict]:
    from . import OURS, asterisk_lab

    cases = []
    with asterisk_lab.bed() as bed:
        for case, answering in CASES:
            # Ours: users -> Asterisk (digest authentication, dialplan, PSTN allow-list) -> carrier SIPp.
            bed.start_answering(asterisk_lab.CARRIER, asterisk_lab.CARRIER_IP, 5060, answering)
            asterisk = bed.asterisk()
            bed.idle_rss = asterisk.rss_bytes()
            cases.append({"case": case, "system": OURS, "metrics": _sweep(bed, True, asterisk)})
            bed.stop_answering(asterisk_lab.CARRIER, 5060)
            # Anchor: the same calls straight to a SIPp on the PBX instance.
            floor = bed.start_answering(asterisk_lab.PBX, asterisk_lab.PBX_IP, asterisk_lab.FLOOR_PORT, answering)
            bed.idle_rss = floor.rss_bytes()
            cases.append({"case": case, "system": ANCHOR["name"], "metrics": _sweep(bed, False, floor)})
            bed.stop_answering(asterisk_lab.PBX, asterisk_lab.FLOOR_PORT)
    return cases
