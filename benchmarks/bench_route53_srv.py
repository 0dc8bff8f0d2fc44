"""One SRV change in hosted zones of growing size: our route53_srv against amazon.aws.route53, each run
through the real ``ansible-playbook`` against the lab's AWS endpoint.

Module level stays light (no boto3, no lab) so that ``list`` and ``render`` can import it cheaply.
"""

from __future__ import annotations

import statistics
import sys

from . import OURS

NAME = "route53_srv"
# Repetitions per case and system, by zone size. A run of ours takes ~2 s whatever the size; the
# anchor's grows with the zone (it lists all of it). These keep the benchmark at about 3.5 minutes.
REPETITIONS = {100: 3, 5000: 3, 20000: 2}
ANCHOR_NAME = "amazon.aws.route53"
GROUPS = {OURS: "rtc.ec2_fleet.aws", ANCHOR_NAME: "amazon.aws.aws"}
BY_ID = "by-id"  # our module given the zone by hosted_zone_id: reported as extra rows, ours only

# The tasks, as a user of each module writes them; the same zone (by name), record, TTL and targets.
# The anchor gets SRV values as its documentation shows (`type: SRV`, "priority weight port target"
# strings) and `overwrite: true` to replace an existing record set; ours gets the targets as dicts.
TASKS = {
    OURS: {
        "name": "The SIP servers of the zone",
        "rtc.ec2_fleet.route53_srv": {
            "zone": "{{ zone }}",
            "name": "{{ record }}",
            "ttl": "{{ ttl }}",
            "targets": "{{ targets }}",
        },
    },
    BY_ID: {
        "name": "The SIP servers of the zone",
        "rtc.ec2_fleet.route53_srv": {
            "hosted_zone_id": "{{ zone_id }}",
            "name": "{{ record }}",
            "ttl": "{{ ttl }}",
            "targets": "{{ targets }}",
        },
    },
    ANCHOR_NAME: {
        "name": "The SIP servers of the zone",
        "amazon.aws.route53": {
            "state": "present",
            "zone": "{{ zone }}",
            "record": "{{ record }}",
            "type": "SRV",
            "ttl": "{{ ttl }}",
            "value": "{{ srv_values }}",
            "overwrite": True,
        },
        # Its `region` option is the latency-routing region, not the connection's (so module_defaults
        # must not give it one): the connection takes its region from the environment (AWS_DEFAULT_REGION).
        "environment": {"AWS_DEFAULT_REGION": "{{ aws_region }}"},
    },
}

# (case, targets the record set starts with, targets the task asks for, expected `changed`)
JOBS = [
    ("add a third target", ["A", "B"], ["A", "B", "C"], 1),
    ("no-op (same targets)", ["A", "B", "C"], ["A", "B", "C"], 0),
    ("same targets reordered", ["A", "B", "C"], ["C", "A", "B"], 0),
]

DESCRIPTION = f"""\
One change of a SIP SRV record set (`_sip._udp.<zone>`) in public hosted zones of 100, 5,000 and
20,000 record sets (SOA, NS, the SRV record set and filler A records, seeded in batches of 1,000),
made by `rtc.ec2_fleet.route53_srv` and by `amazon.aws.route53`, each as a one-task play run by the
real `ansible-playbook` against the lab's AWS endpoint (moto with Route 53's documented semantics
restored) in the benchmark's process on 127.0.0.1. module_defaults of each collection's `aws` action
group give endpoint_url, and region for ours; amazon.aws.route53's own `region` option is the
latency-routing region (a group default for it fails the task), so its connection takes the region
from `AWS_DEFAULT_REGION` in the task's environment. Both get the zone by name, the record name,
`ttl: 300` and the same targets; the anchor as its documentation shows for SRV (`type: SRV`, `value`
a list of "priority weight port target" strings, spelled as Route 53 stores them, `overwrite: true`).
Cases, the SRV record set put back before every run: *add a third target* (it holds pbx-a and
pbx-b, the task lists pbx-a, pbx-b and pbx-c); *no-op* (it holds the three, the task lists them in
the same order); *reordered* (it holds the three, the task lists them in another order: not a change
to DNS, so `changed` must be 0). Rows marked *ours by hosted_zone_id* run our module with the zone's
ID instead of its name (no anchor run). `api_requests` are all the AWS requests the endpoint served
during the run; `wall_ms` is the median of {REPETITIONS[100]} runs ({REPETITIONS[20000]} for 20,000 record sets), the
systems alternating, and includes ansible-playbook's own start-up (the same for both); `changed` is 1
when a run reported the task changed; `correct` is 1 when every run succeeded and the SRV record set
read back afterwards holds exactly the intended targets (each once), with its TTL, and the zone still
holds the same number of record sets, else 0."""
ANCHOR = {
    "name": ANCHOR_NAME,
    "why": "amazon.aws (10.1, from the `ansible` 12 package) `route53` is the Route 53 record module users "
    "reach for; for SRV it takes `type: SRV` and raw `value` strings, with `overwrite: true` to replace an "
    "existing record set, as its documentation and examples describe.",
}


def _targets(labels: list[str]) -> list[tuple]:
    from .route53_srv_lab import PBX_A, PBX_B, PBX_C

    return [{"A": PBX_A, "B": PBX_B, "C": PBX_C}[label] for label in labels]


def _variables(zones, size: int, wanted: list[tuple]) -> dict:
    from .route53_srv_lab import REGION, TTL, record_name, srv_value, zone_name

    return {
        "aws_region": REGION,
        "zone": zone_name(size),
        "zone_id": zones.ids[size],
        "record": record_name(size),
        "ttl": TTL,
        "targets": [
            {"target": f"{host}.{zone_name(size)}", "port": port, "priority": priority, "weight": weight}
            for priority, weight, port, host in wanted
        ],
        "srv_values": [srv_value(size, target) for target in wanted],
    }


def _measure_run(zones, runner, counter, playbook, size, job):
    _case, start, wanted, _expected = job
    zones.reset(size, _targets(start))
    mark = counter.mark()
    returncode, changed, wall_ms, output = runner.run(playbook, _variables(zones, size, _targets(wanted)))
    actions = counter.since(mark)
    right, summary = zones.is_correct(size, _targets(wanted))
    return {
        "ok": returncode == 0 and right,
        "returncode": returncode,
        "changed": changed,
        "wall_ms": wall_ms,
        "actions": actions,
        "summary": summary,
        "output": output,
    }


def _case_name(size: int, job: tuple, variant: str) -> str:
    name = f"{size:,} records: {job[0]}"
    return f"{name} — ours by hosted_zone_id" if variant == BY_ID else name


def _metrics(case, variant, runs, expected, out):
    calls = sorted({len(r["actions"]) for r in runs})
    if len(calls) != 1:  # the jobs are deterministic against this endpoint: a difference is a broken run
        raise AssertionError(f"{case} / {variant}: API requests varied between repetitions: {calls}")
    first = runs[0]
    print(
        f"  {case} / {variant}: rc {[r['returncode'] for r in runs]}, changed {[r['changed'] for r in runs]}, "
        f"ms {[round(r['wall_ms']) for r in runs]}, end state: {first['summary']}; {len(first['actions'])} requests: "
        f"{summarise(first['actions'])}",
        file=out,
        flush=True,
    )
    metrics = {
        "api_requests": calls[0],
        "wall_ms": round(statistics.median(r["wall_ms"] for r in runs), 1),
        "changed": max(r["changed"] for r in runs),
        "correct": int(all(r["ok"] for r in runs)),
    }
    if variant != ANCHOR_NAME:  # ours must be right; the anchor being wrong is a result
        bad = [r for r in runs if not r["ok"] or r["changed"] != expected]
        if bad:
            raise AssertionError(
                f"{case}: {variant} left {bad[0]['summary']} (rc {bad[0]['returncode']}, changed "
                f"{bad[0]['changed']}, expected {expected}):\n{bad[0]['output'][-4000:]}"
            )
    return metrics


def summarise(actions: list[str]) -> str:
    """``GET /2013-04-01/hostedzone/Z1/rrset`` x 67 as ``GET rrset x67``: the request log, short."""
    names = []
    for action in actions:
        method, _sep, path = action.partition(" ")
        names.append(f"{method} {path.rstrip('/').rsplit('/', 1)[-1]}" if path else action)
    runs = []
    for name in names:
        if runs and runs[-1][0] == name:
            runs[-1][1] += 1
        else:
            runs.append([name, 1])
    return ", ".join(name if count == 1 else f"{name} x{count}" for name, count in runs)


def run(out=sys.stderr) -> list[dict]:
    from . import route53_srv_lab

    sizes = sorted(REPETITIONS)
    variants = [OURS, ANCHOR_NAME, BY_ID]
    with route53_srv_lab.running(sizes) as (zones, runner, counter):
        playbooks = {
            variant: runner.write_play(
                f"route53 srv {variant}",
                GROUPS.get(variant, GROUPS[OURS]),
                [TASKS[variant]],
                region=variant != ANCHOR_NAME,  # the anchor's `region` is latency routing (see DESCRIPTION)
            )
            for variant in variants
        }
        for variant in variants:  # untimed: the first ansible-playbook start pays for cold caches
            _measure_run(zones, runner, counter, playbooks[variant], sizes[0], JOBS[1])
        runs = {(size, job[0], variant): [] for size in sizes for job in JOBS for variant in variants}
        for repetition in range(max(REPETITIONS.values())):
            order = variants[repetition % len(variants) :] + variants[: repetition % len(variants)]
            for size in sizes:
                if repetition >= REPETITIONS[size]:
                    continue
                for job in JOBS:
                    for variant in order:
                        result = _measure_run(zones, runner, counter, playbooks[variant], size, job)
                        runs[(size, job[0], variant)].append(result)
        cases = []
        for size in sizes:
            for job in JOBS:
                for variant in variants:
                    case = _case_name(size, job, variant)
                    metrics = _metrics(case, variant, runs[(size, job[0], variant)], job[3], out)
                    cases.append(
                        {"case": case, "system": ANCHOR_NAME if variant == ANCHOR_NAME else OURS, "metrics": metrics}
                    )
    return cases
