"""Test doubles shared by the AWS module_utils and module unit tests.

* :class:`FakeTime` -- a clock that only moves when the code under test sleeps.
* :class:`StubbedClient` -- a botocore ``Stubber`` on a real boto3 client: every request is validated
  against the installed service model, and the operations sent are recorded in order. The client points
  at a loopback port nobody listens on, so a request that escaped the Stubber could not leave the machine.
* :func:`stub_module_client` and :func:`run_module` -- run a module's ``main()`` against such a client.
"""

from __future__ import annotations

import functools
import json

import boto3
import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from botocore.stub import Stubber

LOOPBACK = "http://127.0.0.1:9"  # never contacted: the Stubber answers first


class FakeTime:
    """A clock that only moves when something sleeps."""

    def __init__(self, start=0.0):
        self.now = start
        self.sleeps = []

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self):
        return self.now


class StubbedClient:
    """A Stubber-backed boto3 client that records the operations sent, in order."""

    # Operations that only read, per service: everything else counts as a change.
    _READS = {"ec2": ("Describe",), "route53": ("List", "Get")}

    def __init__(self, service, region="us-east-1", start=0.0):
        self.service = service
        self.client = boto3.client(
            service,
            region_name=region,
            endpoint_url=LOOPBACK,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        self.sent = []
        self.client.meta.events.register("before-parameter-build.%s.*" % service, self._record)
        self.stubber = Stubber(self.client)
        self.stubber.activate()
        self.time = FakeTime(start)
        self.clients_requested = []

    def _record(self, params, model, **kwargs):
        self.sent.append(model.name)

    # The clock, as the module tests read it.
    def sleep(self, seconds):
        self.time.sleep(seconds)

    @property
    def now(self):
        return self.time.now

    @property
    def sleeps(self):
        return self.time.sleeps

    def ok(self, method, response, params=None):
        self.stubber.add_response(method, response, params)

    def error(self, method, code, message="refused", params=None, status=400):
        self.stubber.add_client_error(
            method, service_error_code=code, service_message=message, http_status_code=status, expected_params=params
        )

    @property
    def mutating(self):
        return [op for op in self.sent if not op.startswith(self._READS[self.service])]

    writes = mutating

    def done(self):
        self.stubber.assert_no_pending_responses()

    def close(self):
        self.stubber.deactivate()


def stub_module_client(monkeypatch, stub, module, api_name, api_class):
    """Make ``module`` get ``stub.client`` from AnsibleAWSModule, and its API wrapper ``stub``'s clock."""

    def client(self, service, retry_decorator=None, **extra):
        stub.clients_requested.append((service, retry_decorator, extra))
        return stub.client

    monkeypatch.setattr(AnsibleAWSModule, "client", client)
    monkeypatch.setattr(module, api_name, functools.partial(api_class, sleep=stub.time.sleep, clock=stub.time.clock))


def run_module(capsys, main, args):
    """Run a module's main() with ``args``; return its exit code and JSON result."""
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        main()
    return exit_info.value.code, json.loads(capsys.readouterr().out)
