"""Checks of the repository as a whole: metadata, docs and configuration kept in step."""

import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def root():
    return ROOT
