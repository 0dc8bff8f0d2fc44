"""The floating-IP jobs of an active/standby pair: our secondary_ip + elastic_ip against amazon.aws's
ec2_eni + ec2_eip, each run through the real ``ansible-playbook`` against the lab's AWS endpoint.

Module level stays light (no boto3, no lab) so that ``list`` and ``render`` can import it cheaply.
"""

from __future__ import annotations

import copy
import statistics
import sys

from . import OURS

NAME = "floating_ip"
REPETITIONS = 5  # per case and system; a run takes 1.5-5 s, the whole benchmark under 2 minutes
ANCHOR_NAME = "amazon.aws ec2_eni + ec2_eip"

# The jobs, as a user of each collection writes them (the anchor's options as its documentation and
# examples give them). ``associate``: the VIP onto the active ENI, then its EIP onto exactly (active
# ENI, VIP). ``move``: the VIP and its EIP onto the standby ENI in the same subnet (a takeover).
JOBS = {
    (OURS, "associate"): [
        {
            "name": "Put the VIP on the active node's ENI",
            "rtc.ec2_fleet.secondary_ip": {"eni_id": "{{ active_eni }}", "addresses": ["{{ vip }}"]},
        },
        {
            "name": "Put the EIP on exactly (active ENI, VIP)",
            "rtc.ec2_fleet.elastic_ip": {
                "public_ip": "{{ public_ip }}",
                "eni_id": "{{ active_eni }}",
                "private_ip": "{{ vip }}",
            },
        },
    ],
    (ANCHOR_NAME, "associate"): [
        {
            "name": "Put the VIP on the active node's ENI",
            "amazon.aws.ec2_eni": {
                "eni_id": "{{ active_eni }}",
                "subnet_id": "{{ subnet_id }}",
                "secondary_private_ip_addresses": ["{{ vip }}"],
            },
        },
        {
            "name": "Put the EIP on exactly (active ENI, VIP)",
            "amazon.aws.ec2_eip": {
                "public_ip": "{{ public_ip }}",
                "device_id": "{{ active_eni }}",
                "in_vpc": True,
                "private_ip_address": "{{ vip }}",
            },
        },
    ],
    (OURS, "move"): [
        {
            "name": "Take the VIP over to the standby node's ENI",
            "rtc.ec2_fleet.secondary_ip": {
                "eni_id": "{{ standby_eni }}",
                "addresses": ["{{ vip }}"],
                "allow_reassignment": True,
            },
        },
        {
            "name": "Have the EIP on exactly (standby ENI, VIP)",
            "rtc.ec2_fleet.elastic_ip": {
                "public_ip": "{{ public_ip }}",
                "eni_id": "{{ standby_eni }}",
                "private_ip": "{{ vip }}",
                "allow_reassociation": True,
            },
        },
    ],
    (ANCHOR_NAME, "move"): [
        {
            "name": "Take the VIP over to the standby node's ENI",
            "amazon.aws.ec2_eni": {
                "eni_id": "{{ standby_eni }}",
                "subnet_id": "{{ subnet_id }}",
                "secondary_private_ip_addresses": ["{{ vip }}"],
                "allow_reassignment": True,
            },
        },
        {
            "name": "Have the EIP on exactly (standby ENI, VIP)",
            "amazon.aws.ec2_eip": {
                "public_ip": "{{ public_ip }}",
                "device_id": "{{ standby_eni }}",
                "in_vpc": True,
                "private_ip_address": "{{ vip }}",
                "allow_reassociation": True,
            },
        },
    ],
}


def _allowing_reassociation(tasks: list[dict]) -> list[dict]:
    tasks = copy.deepcopy(tasks)
    eip_task = tasks[-1]
    eip_task[next(key for key in eip_task if key != "name")]["allow_reassociation"] = True
    return tasks


# ``repoint``: the associate job for an EIP already associated elsewhere (on the primary address of the
# same ENI). Both modules leave an associated EIP alone unless told to move it, so it is the same play
# with reassociation allowed in the EIP task.
JOBS.update(
    {(system, "repoint"): _allowing_reassociation(JOBS[(system, "associate")]) for system in (OURS, ANCHOR_NAME)}
)
GROUPS = {OURS: "rtc.ec2_fleet.aws", ANCHOR_NAME: "amazon.aws.aws"}

# (case, state the pair starts in, job, ENI that must end up with the VIP and the EIP, report `changed`)
CASES = [
    ("associate an EIP to a new VIP", "bare", "associate", "active_eni", False),
    ("re-point the EIP from the primary IP to the VIP", "eip-on-primary", "repoint", "active_eni", False),
    ("move the VIP and its EIP to the standby", "active", "move", "standby_eni", False),
    ("no-op run of the end state", "standby", "move", "standby_eni", True),
]

DESCRIPTION = f"""\
The floating-IP jobs of an active/standby pair (two instances in one subnet, one VPC Elastic IP), done
by `rtc.ec2_fleet.secondary_ip` + `rtc.ec2_fleet.elastic_ip` and by `amazon.aws.ec2_eni` +
`amazon.aws.ec2_eip`, each as a two-task play run by the real `ansible-playbook` (module_defaults of
the collection's `aws` action group give region and endpoint_url) against the lab's AWS endpoint
(moto with EC2's documented semantics restored) in the benchmark's process on 127.0.0.1. Jobs:
*associate* puts the VIP on the active ENI, then the EIP on exactly (active ENI, VIP); *move* takes
the VIP over to the standby ENI with reassignment allowed, then has the EIP on exactly (standby ENI,
VIP) with reassociation allowed. Cases, each from fresh state built for every run: associate from
nothing; associate (with reassociation allowed) when the VIP is already assigned and the EIP sits on
the active ENI's primary address (an EIP given to the instance before it had a VIP); move from the
active node; and the move again on its own end state (a no-op: `changed` counts the tasks reported
changed, 0 is right). `api_calls` are all the AWS requests the endpoint served during the run;
`wall_ms` is the median of {REPETITIONS} runs, the systems alternating, and includes
ansible-playbook's own start-up (the same for both); `correct` is 1 when every run succeeded and the
state read back from the endpoint afterwards is exactly right (the VIP on the intended ENI and no
other, the EIP on exactly that ENI and the VIP), else 0."""
ANCHOR = {
    "name": ANCHOR_NAME,
    "why": "amazon.aws (10.1, from the `ansible` 12 package) is what users reach for: `ec2_eni` with "
    "`secondary_private_ip_addresses` and `allow_reassignment` for the VIP, `ec2_eip` with `device_id` "
    "(the ENI, `in_vpc: true`), `private_ip_address` and `allow_reassociation` for the EIP, as their "
    "documentation describes; the same inputs and flags as our modules get.",
}


def _measure_run(lab, runner, counter, playbook, state, target, system):
    pair = lab.pair(state)
    mark = counter.mark()
    returncode, changed, wall_ms, output = runner.run(playbook, pair.variables())
    actions = counter.since(mark)
    right, summary = pair.is_correct(getattr(pair, target))
    return {
        "ok": returncode == 0 and right,
        "returncode": returncode,
        "changed": changed,
        "wall_ms": wall_ms,
        "actions": actions,
        "summary": summary,
        "output": output,
        "system": system,
    }


def _metrics(case, system, runs, report_changed, out):
    calls = sorted({len(r["actions"]) for r in runs})
    if len(calls) != 1:  # the jobs are deterministic against this endpoint: a difference is a broken run
        raise AssertionError(f"{case} / {system}: API calls varied between repetitions: {calls}")
    first = runs[0]
    print(
        f"  {case} / {system}: rc {[r['returncode'] for r in runs]}, changed {[r['changed'] for r in runs]}, "
        f"end state: {first['summary']}; {len(first['actions'])} calls: {' '.join(first['actions'])}",
        file=out,
        flush=True,
    )
    metrics = {
        "api_calls": calls[0],
        "wall_ms": round(statistics.median(r["wall_ms"] for r in runs), 1),
        "correct": int(all(r["ok"] for r in runs)),
    }
    if report_changed:
        metrics["changed"] = max(r["changed"] for r in runs)
    if system == OURS:  # ours must be right; the anchor being wrong is a result
        bad = [r for r in runs if not r["ok"] or (report_changed and r["changed"])]
        if bad:
            raise AssertionError(
                f"{case}: {OURS} left {bad[0]['summary']} (rc {bad[0]['returncode']}, changed {bad[0]['changed']}):\n"
                f"{bad[0]['output'][-4000:]}"
            )
    return metrics


def run(out=sys.stderr) -> list[dict]:
    from . import floating_ip_lab

    systems = [OURS, ANCHOR_NAME]
    with floating_ip_lab.running() as (lab, runner, counter):
        playbooks = {
            (system, job): runner.write_play(f"{system} {job}", GROUPS[system], tasks)
            for (system, job), tasks in JOBS.items()
        }
        for system in systems:  # untimed: the first ansible-playbook start pays for cold caches
            _measure_run(lab, runner, counter, playbooks[(system, "move")], "standby", "standby_eni", system)
        runs = {(case[0], system): [] for case in CASES for system in systems}
        for repetition in range(REPETITIONS):
            for case, state, job, target, _report in CASES:
                order = systems if repetition % 2 == 0 else list(reversed(systems))
                for system in order:
                    result = _measure_run(lab, runner, counter, playbooks[(system, job)], state, target, system)
                    runs[(case, system)].append(result)
        cases = []
        for case, _state, _job, _target, report_changed in CASES:
            for system in systems:
                metrics = _metrics(case, system, runs[(case, system)], report_changed, out)
                cases.append({"case": case, "system": system, "metrics": metrics})
    return cases
