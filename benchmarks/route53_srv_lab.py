"""Hosted zones of a given number of record sets on the lab's AWS endpoint, the SRV record set under
test put back into a known state before every run, and read back afterwards.

Used by bench_route53_srv. The endpoint, its API-call counter and the ``ansible-playbook`` runner come
from :mod:`benchmarks.playbook`.
"""

from __future__ import annotations

import contextlib

from . import playbook
from .imds_lab import REGION

TTL = 300
BATCH = 1000  # Route 53's limit of changes in one ChangeResourceRecordSets
# (priority, weight, port, host label): two PBXs sharing the load, a third one added by the change.
PBX_A, PBX_B, PBX_C = (10, 60, 5060, "pbx-a"), (10, 40, 5060, "pbx-b"), (20, 100, 5060, "pbx-c")


def zone_name(size: int) -> str:
    return f"srv{size}.bench.example"


def record_name(size: int) -> str:
    return f"_sip._udp.{zone_name(size)}"


def srv_value(size: int, target: tuple) -> str:
    """The value as Route 53 stores it (and as both modules write it): the host fully qualified."""
    priority, weight, port, host = target
    return f"{priority} {weight} {port} {host}.{zone_name(size)}."


def _normalised(value: str) -> tuple:
    priority, weight, port, host = value.split()
    return int(priority), int(weight), int(port), host.lower().rstrip(".")


class Zones:
    """One public hosted zone per size, holding exactly ``size`` record sets: SOA, NS, the SRV record
    set ``_sip._udp.<zone>`` and ``size - 3`` filler A records, seeded in batches of 1,000 changes."""

    def __init__(self, aws_url: str, sizes) -> None:
        import boto3
        from rtc_lab import TEST_CREDENTIALS

        session = boto3.session.Session(region_name=REGION, **TEST_CREDENTIALS)
        self.route53 = session.client("route53", endpoint_url=aws_url)
        self.ids = {}
        for size in sizes:
            zone = self.route53.create_hosted_zone(Name=zone_name(size), CallerReference=f"bench-route53-srv-{size}")
            self.ids[size] = zone["HostedZone"]["Id"].rpartition("/")[2]
            self._seed(size)

    def _seed(self, size: int) -> None:
        fillers = [
            {
                "Action": "CREATE",
                "ResourceRecordSet": {
                    "Name": f"host{n:05d}.{zone_name(size)}.",
                    "Type": "A",
                    "TTL": TTL,
                    "ResourceRecords": [{"Value": f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"}],
                },
            }
            for n in range(size - 3)
        ]
        for start in range(0, len(fillers), BATCH):
            self.route53.change_resource_record_sets(
                HostedZoneId=self.ids[size], ChangeBatch={"Changes": fillers[start : start + BATCH]}
            )
        self.reset(size, [PBX_A, PBX_B])
        count = self.record_set_count(size)
        if count != size:  # the seeding itself must be right, or nothing is comparable
            raise RuntimeError(f"zone {zone_name(size)} holds {count} record sets after seeding, not {size}")

    def reset(self, size: int, targets: list[tuple]) -> None:
        """Put the SRV record set back to ``targets``, in that order, with the benchmark's TTL."""
        record_set = {
            "Name": record_name(size) + ".",
            "Type": "SRV",
            "TTL": TTL,
            "ResourceRecords": [{"Value": srv_value(size, target)} for target in targets],
        }
        self.route53.change_resource_record_sets(
            HostedZoneId=self.ids[size],
            ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": record_set}]},
        )

    def record_set_count(self, size: int) -> int:
        return self.route53.get_hosted_zone(Id=self.ids[size])["HostedZone"]["ResourceRecordSetCount"]

    def is_correct(self, size: int, targets: list[tuple]) -> tuple[bool, str]:
        """Whether the SRV record set holds exactly ``targets`` (each once, any order), with the TTL
        unchanged, and the zone still holds ``size`` record sets; and a summary of what was read."""
        answer = self.route53.list_resource_record_sets(
            HostedZoneId=self.ids[size], StartRecordName=record_name(size) + ".", StartRecordType="SRV", MaxItems="1"
        )
        found = [
            record_set
            for record_set in answer["ResourceRecordSets"]
            if record_set["Name"].rstrip(".").lower() == record_name(size) and record_set["Type"] == "SRV"
        ]
        values = [item["Value"] for item in found[0].get("ResourceRecords", [])] if found else []
        ttl = found[0].get("TTL") if found else None
        count = self.record_set_count(size)
        got = sorted(_normalised(value) for value in values)
        want = sorted(_normalised(srv_value(size, target)) for target in targets)
        hosts = [value.split()[-1].split(".")[0] for value in values]
        summary = f"SRV targets {hosts}, TTL {ttl}, {count} record sets in the zone"
        return got == want and ttl == TTL and count == size, summary


@contextlib.contextmanager
def running(sizes):
    """Yield ``(zones, runner, counter)`` with the endpoint listening on 127.0.0.1 (a free port)."""
    with playbook.endpoint(prefix="bench-route53-srv-") as (aws_url, runner, counter):
        yield Zones(aws_url, sizes), runner, counter
