"""The environment a lab-based benchmark runs ansible-playbook and molecule with, in its own lab slot.

Shared by the benchmarks that bring up a lab (kamailio_lab, rtpengine_lab, failover_lab): test
credentials only, boto3 never probing a metadata service, this checkout's ansible.cfg and virtualenv,
and RTC_LAB_SLOT, from which inventories/lab/group_vars/all/lab.yml derives every lab address.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def environment(slot: int | str) -> dict:
    """os.environ plus the lab settings for ``slot``."""
    venv = Path(sys.executable).parent
    return {
        **os.environ,
        "PATH": f"{venv}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "RTC_LAB_SLOT": str(slot),
    }


def lock_path(slot: int | str) -> Path:
    """The lock a benchmark holds for its whole run on ``slot`` (one bench per slot at a time)."""
    return Path(f"/run/rtc-lab-{slot}.bench.lock")
