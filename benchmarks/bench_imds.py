"""Reading an instance's identity from IMDSv2: our metadata client against botocore's.

Module level stays light (no boto3, no lab) so that ``list`` and ``render`` can import it cheaply.
"""

from __future__ import annotations

import importlib
import statistics
import sys
import time
from pathlib import Path

from . import OURS

NAME = "imds"
# Each identity read costs ~25 ms per request in the stand-in (it asks the endpoint every time):
# these counts keep the whole benchmark near a minute on the 2-core CI machine.
ITEM_REPETITIONS = 50
IDENTITY_REPETITIONS = 15
DESCRIPTION = f"""\
Reading an instance's identity from IMDSv2: instance id, type, AMI, placement, addresses and every
network interface (what `rtc.ec2_fleet.instance_metadata` and the node-side failover agent read).
Both clients talk to the lab's IMDSv2 stand-in (`lab/rtc_lab/imds.py`) on 127.0.0.1, backed by the
lab's AWS endpoint seeded with one instance whose primary interface holds a secondary (floating)
address with an Elastic IP. Each repetition builds a fresh client (as one module run does), takes
one session token and reads the same items; the two systems alternate, {ITEM_REPETITIONS} runs each
for the single item and {IDENTITY_REPETITIONS} for each identity case, after one untimed run in
which both must return the same values from the same requests. `http_requests` and
`token_requests` are counted at the stand-in. Times include the stand-in's own look-ups in the
endpoint, which are the same for both systems."""
ANCHOR = {
    "name": "botocore IMDSFetcher",
    "why": "botocore's own IMDSv2 client (`botocore.utils.IMDSFetcher`, the base of the fetchers "
    "boto3 uses for instance credentials and region); it is already on every node that runs boto3, "
    "so it is the obvious thing to use instead of a client of our own. It reads the same items here "
    "through `_fetch_metadata_token` and `_get_request`, as botocore's own fetchers do.",
}
MACS = "network/interfaces/macs/"


def _lines(text: str, strip_slash: bool = False) -> list[str]:
    items = (line.strip() for line in text.splitlines())
    return [item.rstrip("/") if strip_slash else item for item in items if item]


def botocore_fetcher_class():
    from botocore.utils import IMDSFetcher

    class IdentityFetcher(IMDSFetcher):
        """botocore's IMDS client reading what ``gather_instance_identity`` reads, in the same order."""

        def __init__(self, endpoint: str):
            # botocore refuses to run when the env it is given says AWS_EC2_METADATA_DISABLED=true,
            # which this process sets against stray probes; this fetcher is pointed at the stand-in.
            config = {"ec2_metadata_service_endpoint": endpoint, "ec2_metadata_v1_disabled": True}
            super().__init__(timeout=2, num_attempts=1, config=config, env={})
            if not self.get_base_url().startswith("http://127.0.0.1:"):  # never the machine's own IMDS
                raise RuntimeError(f"botocore chose {self.get_base_url()} instead of the stand-in {endpoint}")

        def _text(self, token: str, path: str, optional: bool = False) -> str | None:
            def retry(response):  # a 404 of an optional item is an answer, not a failure
                return not (optional and response.status_code == 404) and self._default_retry(response)

            response = self._get_request("latest/meta-data/" + path, retry, token)
            return None if response.status_code == 404 else response.text

        def _token(self) -> str:
            token = self._fetch_metadata_token()
            if not token:
                raise RuntimeError("botocore got no IMDSv2 token from the stand-in")
            return token

        def item(self, path: str) -> str | None:
            return self._text(self._token(), path, optional=True)

        def _interface(self, token: str, mac: str) -> dict:
            base = f"{MACS}{mac}/"
            public = self._text(token, base + "public-ipv4s", optional=True)
            associations = {}
            for public_ip in _lines(self._text(token, base + "ipv4-associations/", optional=True) or ""):
                private_ip = (self._text(token, base + "ipv4-associations/" + public_ip, optional=True) or "").strip()
                if private_ip:
                    associations[public_ip] = private_ip
            return {
                "mac": mac,
                "device_number": int(self._text(token, base + "device-number")),
                "interface_id": self._text(token, base + "interface-id").strip(),
                "subnet_id": self._text(token, base + "subnet-id").strip(),
                "subnet_ipv4_cidr_block": self._text(token, base + "subnet-ipv4-cidr-block").strip(),
                "vpc_id": self._text(token, base + "vpc-id").strip(),
                "local_ipv4s": _lines(self._text(token, base + "local-ipv4s")),
                "public_ipv4s": _lines(public) if public is not None else [],
                "ipv4_associations": associations,
            }

        def identity(self) -> dict:
            token = self._token()

            def optional(path):
                return (self._text(token, path, optional=True) or "").strip() or None

            names = ("instance-id", "instance-type", "ami-id", "placement/region", "placement/availability-zone")
            keys = ("instance_id", "instance_type", "ami_id", "region", "availability_zone")
            found = {key: self._text(token, path).strip() for key, path in zip(keys, names, strict=True)}
            found["availability_zone_id"] = self._text(token, "placement/availability-zone-id").strip()
            found["placement_group"] = optional("placement/group-name")
            found["mac"] = self._text(token, "mac").strip()
            found["local_ipv4"] = self._text(token, "local-ipv4").strip()
            found["public_ipv4"] = optional("public-ipv4")
            macs = _lines(self._text(token, MACS), strip_slash=True)
            interfaces = [self._interface(token, mac) for mac in macs]
            found["interfaces"] = sorted(interfaces, key=lambda interface: interface["device_number"])
            return found

    return IdentityFetcher


def our_imds_module():
    """``plugins/module_utils/imds.py`` imported by its collection name, as Ansible would."""
    collections = Path(__file__).resolve().parents[1] / ".cache" / "collections"
    if not (collections / "ansible_collections" / "rtc" / "ec2_fleet").exists():
        raise RuntimeError(f"{collections} does not hold the collection: run `make bench` (it runs `make setup`)")
    if str(collections) not in sys.path:
        sys.path.insert(0, str(collections))
    importlib.invalidate_caches()
    return importlib.import_module("ansible_collections.rtc.ec2_fleet.plugins.module_utils.imds")


def _agree(systems: dict, counter, reference_check) -> None:
    """One untimed run each: same answer, same requests (as the stand-in saw them), right answer."""
    answers, sent = {}, {}
    for name, call in systems.items():
        mark = counter.mark()
        answers[name] = call()
        sent[name] = sorted((method, path) for method, path, _status in counter.since(mark))
    first_answer, first_sent = next(iter(answers.values())), next(iter(sent.values()))
    if any(answer != first_answer for answer in answers.values()):
        raise AssertionError(f"the systems disagree, nothing timed: {answers!r}")
    if any(requests != first_sent for requests in sent.values()):
        raise AssertionError(f"the systems read different items, nothing timed: {sent!r}")
    reference_check(first_answer)


def _measure(systems: dict, counter, reference_check, repetitions: int) -> dict:
    """Check that the systems agree, then alternate them (so drift hits both) ``repetitions`` times."""
    _agree(systems, counter, reference_check)
    samples = {name: [] for name in systems}
    requests = {name: set() for name in systems}
    for repetition in range(repetitions):
        order = list(systems) if repetition % 2 == 0 else list(reversed(systems))
        for name in order:
            mark = counter.mark()
            start = time.perf_counter()
            systems[name]()
            samples[name].append((time.perf_counter() - start) * 1000)
            answers = counter.since(mark)
            puts = sum(1 for method, _path, _status in answers if method == "PUT")
            requests[name].add((len(answers), puts))
    metrics = {}
    for name in systems:
        if len(requests[name]) != 1:  # a retry or a stray request: the runs are not comparable
            raise AssertionError(f"{name}: request counts varied between repetitions: {sorted(requests[name])}")
        (total, puts) = requests[name].pop()
        metrics[name] = {
            "http_requests": total,
            "token_requests": puts,
            "median_ms": round(statistics.median(samples[name]), 3),
            "p95_ms": round(statistics.quantiles(samples[name], n=20, method="inclusive")[-1], 3),
        }
    return metrics


def run() -> list[dict]:
    from . import imds_lab

    imds = our_imds_module()
    with imds_lab.running() as (lab, url, counter):
        fetcher = botocore_fetcher_class()

        def ours_identity():
            return imds.gather_instance_identity(imds.ImdsClient(endpoint=url))

        def anchor_identity():
            return fetcher(url).identity()

        def ours_item():
            return imds.ImdsClient(endpoint=url).get("meta-data/local-ipv4")

        def anchor_item():
            return fetcher(url).item("local-ipv4")

        def expect(interfaces):
            def check(identity):
                # Both agreeing is not enough: they must also have read the seeded instance.
                got = [len(identity["interfaces"]), identity["instance_id"], identity["interfaces"][0]["local_ipv4s"]]
                want = [interfaces, lab.instance["InstanceId"], [imds_lab.PRIMARY_IP, imds_lab.FLOATING_IP]]
                if got != want or not identity["interfaces"][0]["ipv4_associations"]:
                    raise AssertionError(f"unexpected identity from the stand-in: {identity!r}")

            return check

        def expect_ip(value):
            if value != imds_lab.PRIMARY_IP:
                raise AssertionError(f"local-ipv4 is {value!r}, expected {imds_lab.PRIMARY_IP}")

        anchor = ANCHOR["name"]
        items = {OURS: ours_item, anchor: anchor_item}
        identities = {OURS: ours_identity, anchor: anchor_identity}
        cases = _cases("single item (local-ipv4)", _measure(items, counter, expect_ip, ITEM_REPETITIONS))
        cases += _cases("identity, one interface", _measure(identities, counter, expect(1), IDENTITY_REPETITIONS))
        lab.attach_second_interface()
        cases += _cases("identity, two interfaces", _measure(identities, counter, expect(2), IDENTITY_REPETITIONS))
    return cases


def _cases(case: str, metrics: dict) -> list[dict]:
    return [{"case": case, "system": system, "metrics": values} for system, values in metrics.items()]
