# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test doubles for the chime-sdk-voice API, which moto does not implement (the package is ``chime_fake``).

* :class:`VoiceStub` -- a botocore ``Stubber`` on a real ``chime-sdk-voice`` client: every request is
  validated against the service model of the installed botocore, every canned answer against the
  operation's output shape, and the exact call sequence is asserted.
* :class:`FakeChimeVoice` (in :mod:`chime_fake.service`) -- a small stateful fake for flows that span
  several runs (create, rerun, update, tear down), with the same model validation.

Clients point at a loopback port nobody listens on, so a request that escaped the test double could not
leave the machine (and the unit tests' network fence would refuse it anyway).
"""

from __future__ import annotations

import boto3
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector_api import VoiceApi
from aws_stub import FakeTime
from botocore.stub import Stubber

REGION = "us-east-1"
ACCOUNT = "123456789012"
VC_ID = "abcdef1ghij2klmno3pqr4"
VC_ID2 = "zyxwvu9tsrq8ponml7kji6"
VC_ID3 = "mnbvcx5zlkjhg4fdsapoi3"
GROUP_ID = "123e4567-e89b-12d3-a456-426614174000"
LOOPBACK = "http://127.0.0.1:9"  # never contacted


def make_client(region=REGION, endpoint_url=LOOPBACK, **kwargs):
    return boto3.client(
        "chime-sdk-voice",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        **kwargs,
    )


def arn(vc_id=VC_ID, region=REGION):
    return "arn:aws:chime:%s:%s:vc/%s" % (region, ACCOUNT, vc_id)


def vc(vc_id=VC_ID, name="rtc-edge", region=REGION, encrypted=True, **extra):
    """A VoiceConnector description as the service returns it."""
    item = {
        "VoiceConnectorId": vc_id,
        "Name": name,
        "AwsRegion": region,
        "RequireEncryption": encrypted,
        "VoiceConnectorArn": arn(vc_id, region),
        "OutboundHostName": "%s.voiceconnector.chime.aws" % vc_id,
    }
    item.update(extra)
    return item


class VoiceStub:
    """A Stubber-backed chime-sdk-voice client that records the operations sent, in order."""

    def __init__(self, region=REGION, endpoint_url=LOOPBACK):
        self.client = make_client(region, endpoint_url)
        self.sent = []
        self.client.meta.events.register("before-parameter-build.chime-sdk-voice.*", self._record)
        self.stubber = Stubber(self.client)
        self.stubber.activate()
        self.time = FakeTime()
        self.api = VoiceApi(self.client, sleep=self.time.sleep, clock=self.time.clock)

    def _record(self, params, model, **kwargs):
        self.sent.append(model.name)

    def ok(self, method, response=None, params=None):
        self.stubber.add_response(method, response or {}, params)

    def error(self, method, code, message="refused", params=None, status=400):
        self.stubber.add_client_error(
            method, service_error_code=code, service_message=message, http_status_code=status, expected_params=params
        )

    def not_found(self, method, params=None):
        self.error(method, "NotFoundException", "not found", params, 404)

    @property
    def mutating(self):
        return [op for op in self.sent if not op.startswith(("Get", "List"))]

    def done(self):
        self.stubber.assert_no_pending_responses()

    def close(self):
        self.stubber.deactivate()
