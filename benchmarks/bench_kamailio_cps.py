"""Calls per second through the SIP edge (roles/kamailio, everything on) against Debian's stock
kamailio.cfg on the same lab, in the same run: the highest rate a step of calls holds with no failed call.

Module level stays light (no lab) so that ``list`` and ``render`` can import it cheaply.
"""

from __future__ import annotations

import time

from . import OURS

NAME = "kamailio_cps"
STEP_SECONDS = 10  # of calls per step
START_CPS = 50
GROWTH = 1.5  # first round: rate x GROWTH after a clean step, until a step fails
REFINE = 2  # then this many bisection steps between the last clean rate and the first failed one
RECHECK_GROWTH = 1.15  # second round: from 80 % of the first round's result, in smaller steps
MAX_CPS = 3000
SETTLE_SECONDS = 3  # between steps: the previous step's transactions and the PBX's 2 s timewait end
DESCRIPTION = f"""\
SIPp calls (INVITE → 200 → ACK, 200 ms, BYE → 200) from one load-generator instance through a SIP edge to
a SIPp PBX stand-in, in the lab (slot 7, Debian 12 instances, Kamailio 5.6, 2 cores shared by every
instance and by other jobs). Ours is `roles/kamailio` with everything on: each call is challenged (407)
and its second INVITE authenticated against the subscriber table in PostgreSQL (the RDS stand-in;
usrloc db_mode 3), sanity checks, scanner filter, pike flood detection (threshold raised to 30,000
requests per 2 s so that the single load generator — 5 requests per call — is not banned: pike still
counts every request), NAT detection and dispatcher to the PBX pool with OPTIONS probing. The anchor is
Debian's stock `kamailio.cfg` on a second instance, unmodified (it listens on every address when it has
no `listen=`, refuses to relay to foreign domains and routes calls for its own domain by its in-memory
location table, so the benchmark registers the extension's contact at the PBX stand-in there). Both run
with 8 UDP workers and 256/16 MiB of memory. A third edge, ours with one difference — a
`kamailio_local_route` that sends the load generator's INVITEs to the PBX pool just before
authentication, unchallenged — isolates what digest authentication costs (cases "without digest auth",
system rtc.ec2_fleet). A step offers calls at one rate for {STEP_SECONDS} s
(`sipp -r`); it is clean when SIPp reports every call successful, no failed call and no unexpected
message, and the generator reached ≥ 90 % of the rate; a failed step is run once more (after the
other edges' steps: the machine is shared, and a burst of someone else's load fails a step now and then)
and only a second failure at that rate ends the climb. Round 1 starts at {START_CPS} calls/s and grows
x{GROWTH} until a step fails, then bisects {REFINE} times; round 2 re-checks from 80 % of round 1's
result in x{RECHECK_GROWTH} steps. Steps alternate between the edges (ours, stock, ours without auth, ours, ...) to
spread the machine's noise. `sustained_cps` is the lower of the two rounds' results. Per step:
`edge_cpu_ms_per_call` is the CPU time of the edge's Kamailio processes per offered call,
`*_cpu_percent` the CPU of the edge's Kamailio, the PBX's and the client's SIPp and PostgreSQL over the
step (100 = one core), `load_before`/`load_after` the machine's 1-minute load average (other engineers'
runs share it)."""
ANCHOR = {
    "name": "Debian stock kamailio.cfg",
    "why": "What an operator gets from `apt install kamailio`: the package's own configuration (no "
    "authentication, no flood detection, no database) routing the same calls to the same PBX on the "
    "same kind of instance. The issue's goal is ≥ 0.9 of its calls per second.",
}


def _number(stats: dict, key: str) -> float:
    try:
        return float(stats.get(key, "0") or 0)
    except ValueError:
        return 0.0


def _cpu(lab, container: str, names: tuple[str, ...]) -> float:
    used = lab.cpu_seconds(container)
    return sum(seconds for comm, seconds in used.items() if comm in names)


# (label, system in the results, edge host, SIPp answers a digest challenge, calls go to this domain
# (None: the edge's own address), prefix of the case names)
CONFIGS = (
    ("ours", OURS, "OURS_EDGE", True, "rtc.lab", ""),
    ("stock", ANCHOR["name"], "STOCK_EDGE", False, None, ""),
    ("ours without digest auth", OURS, "NOAUTH_EDGE", False, "rtc.lab", "without digest auth, "),
)


def step(lab, config: tuple, rate: int, tag: str) -> tuple[bool, dict, str]:
    """One step of ``rate`` calls/s through the edge of ``config``: (clean, metrics, why it failed)."""
    label, _unused, edge_name, authenticated, domain, _unused = config
    edge = getattr(lab, edge_name)
    ours = label != "stock"
    if not ours:
        lab.register_extension(edge)
    load_before = lab.loadavg()
    edge_before = _cpu(lab, edge, ("kamailio",))
    pbx_before = _cpu(lab, lab.PBX, ("sipp",))
    db_before = _cpu(lab, lab.DB, ("postgres",)) if ours else 0.0
    client_before = lab.container_cpu_seconds(lab.CLIENT)
    stats = lab.sipp_calls(edge, authenticated, domain or lab.ADDRESS[edge], rate, STEP_SECONDS, tag)
    edge_cpu = _cpu(lab, edge, ("kamailio",)) - edge_before
    pbx_cpu = _cpu(lab, lab.PBX, ("sipp",)) - pbx_before
    db_cpu = _cpu(lab, lab.DB, ("postgres",)) - db_before if ours else None
    client_cpu = lab.container_cpu_seconds(lab.CLIENT) - client_before
    load_after = lab.loadavg()
    calls = max(1, round(rate * STEP_SECONDS))
    ok, failed = _number(stats, "SuccessfulCall(C)"), _number(stats, "FailedCall(C)")
    unexpected = _number(stats, "FailedUnexpectedMessage(C)")
    achieved = _number(stats, "CallRate(C)")
    bans = lab.banned(edge) if ours else 0
    metrics = {
        "calls_ok": int(ok),
        "calls_failed": int(failed),
        "unexpected_messages": int(unexpected),
        "retransmissions": int(_number(stats, "Retransmissions(C)")),
        "offered_cps": round(achieved, 1),
        "edge_cpu_ms_per_call": round(1000 * edge_cpu / calls, 3),
        "edge_cpu_percent": round(100 * edge_cpu / stats["wall_s"], 1),
        "pbx_sipp_cpu_percent": round(100 * pbx_cpu / stats["wall_s"], 1),
        "client_sipp_cpu_percent": round(100 * client_cpu / stats["wall_s"], 1),
        "load_before": load_before,
        "load_after": load_after,
    }
    if db_cpu is not None:
        metrics["db_cpu_percent"] = round(100 * db_cpu / stats["wall_s"], 1)
    why = ""
    if stats["rc"] != 0 or failed or unexpected or ok < calls:
        why = f"{int(failed)} failed, {int(unexpected)} unexpected, {int(ok)}/{calls} ok (sipp rc {stats['rc']})"
        causes = {key: int(_number(stats, key)) for key in stats if key.startswith("Failed") and key.endswith("(C)")}
        why += f", {', '.join(f'{key[:-3]} {count}' for key, count in causes.items() if count)}"
        why += f": {stats['errors'][:300]!r}" if stats["errors"] else ""
    elif achieved < 0.9 * rate:
        why = f"the generator offered {achieved:.1f} calls/s of {rate}"
    if bans:
        why = (why + "; " if why else "") + f"{bans} source(s) banned"
        lab.unban(edge)  # the next step must not start banned; this step already counts as failed
    time.sleep(SETTLE_SECONDS)
    return not why, metrics, why


class Search:
    """The rate steps of one system in one round: grow until a step fails, then bisect."""

    def __init__(self, start: int, growth: float, refine: int) -> None:
        self.rate, self.growth, self.refine = start, growth, refine
        self.clean, self.failed, self.done = 0, None, False
        self.retried: set[int] = set()

    def record(self, rate: int, clean: bool) -> None:
        if not clean and rate not in self.retried:
            # The machine is shared: a burst of someone else's load fails a step now and then. A failed
            # step is run again once (after the other edges' steps); only a second failure ends the climb.
            self.retried.add(rate)
            return
        if clean:
            self.clean = max(self.clean, rate)
        else:
            self.failed = rate if self.failed is None else min(self.failed, rate)
        if self.failed is None:
            self.rate = max(rate + 1, round(rate * self.growth))
            self.done = self.rate > MAX_CPS
            return
        middle = (self.clean + self.failed) // 2
        if self.refine <= 0 or middle <= self.clean or self.failed - self.clean <= max(2, self.clean // 20):
            self.done = True
            return
        self.refine -= 1
        self.rate = middle


def run() -> list[dict]:
    from . import kamailio_lab as lab

    cases: list[dict] = []
    found: dict[str, list[int]] = {config[0]: [] for config in CONFIGS}
    with lab.lab():
        for round_no in (1, 2):
            if round_no == 1:
                searches = {config: Search(START_CPS, GROWTH, REFINE) for config in CONFIGS}
            else:
                searches = {
                    config: Search(max(START_CPS, int(0.8 * found[config[0]][0])), RECHECK_GROWTH, 1)
                    for config in CONFIGS
                }
            while not all(search.done for search in searches.values()):
                for config, search in searches.items():  # alternate: ours, stock, ours w/o auth, ours, ...
                    if search.done:
                        continue
                    rate = search.rate
                    label, system, prefix = config[0], config[1], config[5]
                    retry = rate in search.retried
                    clean, metrics, why = step(lab, config, rate, f"r{round_no}-{rate}")
                    search.record(rate, clean)
                    case = f"{prefix}round {round_no}: {rate} calls/s{' (retry)' if retry else ''}"
                    cases.append({"case": case, "system": system, "metrics": metrics})
                    print(f"{label}: {case}: {'clean' if clean else 'FAILED: ' + why} {metrics}", flush=True)
            for config, search in searches.items():
                found[config[0]].append(search.clean)
    summaries = []
    for label, system, _unused, _unused, _unused, prefix in CONFIGS:
        rounds = found[label]
        metrics = {"sustained_cps": min(rounds), "round1_cps": rounds[0], "round2_cps": rounds[1]}
        summaries.append(
            {"case": f"{prefix}sustained calls/s, zero failed calls", "system": system, "metrics": metrics}
        )
    return summaries + cases
