"""The lab role refuses a bad fleet description before it builds or starts anything."""

import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLAY = """
- name: Check a lab fleet
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: rtc.ec2_fleet.lab
"""


def run_role(tmp_path, hosts):
    (tmp_path / "play.yml").write_text(PLAY)
    (tmp_path / "hosts.yml").write_text(textwrap.dedent(hosts))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    command = [
        str(pathlib.Path(sys.executable).with_name("ansible-playbook")),
        "-i",
        str(tmp_path / "hosts.yml"),
        str(tmp_path / "play.yml"),
        # The lab's network settings, as every lab inventory has them.
        "-e",
        "@" + str(ROOT / "inventories/lab/group_vars/all/lab.yml"),
        # The checks only, even if one wrongly passed: a unit run must never build or start the lab.
        "--tags",
        "lab_preflight",
    ]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False)


GOOD = """
    all:
      hosts:
        a: {lab_ip: 10.89.1.50, lab_az: us-east-1a, lab_image: bookworm}
        b: {lab_ip: 10.89.2.50, lab_az: us-east-1b, lab_image: sid}
"""


def test_a_good_fleet_passes(tmp_path):
    done = run_role(tmp_path, GOOD)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "failed=0" in done.stdout


@pytest.mark.parametrize(
    ("hosts", "message"),
    [
        (
            "all: {hosts: {a: {lab_ip: 10.89.2.50, lab_az: us-east-1a, lab_image: bookworm}}}",
            "Lab host a needs lab_ip inside the subnet of its zone",
        ),
        (
            "all: {hosts: {a: {lab_ip: 10.89.1.50, lab_az: eu-west-9z, lab_image: bookworm}}}",
            "Lab host a needs lab_ip inside the subnet of its zone",
        ),
        (
            "all: {hosts: {a: {lab_ip: 10.89.1.50, lab_az: us-east-1a, lab_image: buster}}}",
            "lab_image one of bookworm, trixie, sid",
        ),
        ("all: {hosts: {a: {lab_az: us-east-1a, lab_image: bookworm}}}", "lab_ip=unset"),
        (
            """
            all:
              hosts:
                a: {lab_ip: 10.89.1.50, lab_az: us-east-1a, lab_image: bookworm}
                b: {lab_ip: 10.89.1.50, lab_az: us-east-1a, lab_image: trixie}
            """,
            "Lab instances must have distinct lab_ip values",
        ),
    ],
    ids=["wrong-subnet", "unknown-zone", "unknown-image", "no-address", "same-address"],
)
def test_a_bad_fleet_fails_with_a_message_that_says_what_to_fix(tmp_path, hosts, message):
    done = run_role(tmp_path, hosts)
    assert done.returncode != 0
    output = " ".join((done.stdout + done.stderr).split())
    assert message in output, output[-2000:]
