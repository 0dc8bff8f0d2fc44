"""The lab and the tests must never send anything to 169.254.169.254, the CI machine's own metadata
service. Its configuration must not name that address, and the endpoints it gives the instances
must resolve to the lab's own stand-ins."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FORBIDDEN = "169.254.169.254"
# What configures the lab and the test runs (the plugins' documented AWS default is not lab config).
LAB_CONFIG = [
    "inventories/lab",
    "roles/lab",
    "lab",
    "molecule",
    ".config/molecule",
    "playbooks",
    "ansible.cfg",
    "Makefile",
    ".ci",
    "tests/integration",
]


def lab_files():
    for entry in LAB_CONFIG:
        path = ROOT / entry
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        yield from (f for f in files if "__pycache__" not in f.parts)


def test_the_lab_configuration_is_there_to_check():
    assert len(list(lab_files())) > 20


@pytest.mark.parametrize("path", list(lab_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_lab_file_does_not_name_the_metadata_address(path):
    assert FORBIDDEN not in path.read_text(errors="replace")


@pytest.mark.parametrize("slot", [0, 3])
def test_lab_endpoints_resolve_to_the_lab_gateway(slot):
    """Render the variables the instances get, as Ansible resolves them for a lab host in a lab slot."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", RTC_LAB_SLOT=str(slot))
    command = [
        str(pathlib.Path(sys.executable).with_name("ansible")),
        "edge-a1",
        "-i",
        str(ROOT / "inventories/lab/hosts.yml"),
        "-c",
        "local",
        "-m",
        "ansible.builtin.debug",
        "-a",
        "msg={{ {'imds': rtc_imds_endpoint, 'aws': rtc_aws_endpoint_url, 'gateway': lab_gateway,"
        " 'network': lab_network, 'subnets': lab_subnets | map(attribute='cidr')} | to_json }}",
        "-o",
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    answer = json.loads(json.loads(done.stdout.split("=>", 1)[1])["msg"])
    assert answer["gateway"] == f"10.{89 + slot}.0.1"
    assert answer["imds"] == f"http://{answer['gateway']}:8169"
    assert answer["aws"] == f"http://{answer['gateway']}:{5000 + slot}"
    assert answer["network"] == ("rtc-lab" if slot == 0 else f"rtc-lab-{slot}")
    assert answer["subnets"] == [f"10.{89 + slot}.1.0/24", f"10.{89 + slot}.2.0/24"]
    assert FORBIDDEN not in done.stdout
