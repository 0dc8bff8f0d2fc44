"""Checks of the repository as a whole: metadata, docs and configuration kept in step."""

import os
import pathlib
import subprocess
import sys
import tarfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent

os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def artifact(tmp_path_factory):
    """The names of the files `ansible-galaxy collection build` puts in the artifact."""
    out = tmp_path_factory.mktemp("build")
    done = subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [tarball] = out.glob("rtc-ec2_fleet-*.tar.gz")
    with tarfile.open(tarball) as archive:
        return {name.removeprefix("./") for name in archive.getnames()}
