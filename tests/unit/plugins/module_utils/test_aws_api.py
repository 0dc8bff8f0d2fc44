# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of aws_api, the one call wrapper under floating_ip, route53_srv and the Chime library.

The client is a scripted fake (each method answers from a list of results or exceptions), so these
tests pin the wrapper itself: backoff bounds, the retry budget, which calls are retried, the
check-mode guard, error translation and the polling of wait_for.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from ansible_collections.rtc.ec2_fleet.plugins.module_utils import aws_api
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.aws_api import AwsApi, AwsApiError, ReadOnly, wait_for
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector_api import ChimeVoiceError
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.floating_ip import FloatingIpError
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.route53_srv import Route53SrvError
from aws_stub import FakeTime
from botocore.exceptions import ClientError, EndpointConnectionError, ParamValidationError

LIBRARY_FILE = Path(aws_api.__file__)


class FakeClient:
    """Answers each method from its script, in order: an exception is raised, anything else returned."""

    def __init__(self, **scripts):
        self.scripts = {method: list(answers) for method, answers in scripts.items()}

    def __getattr__(self, method):
        if method not in self.scripts:
            raise AttributeError(method)

        def answer(**params):
            result = self.scripts[method].pop(0)
            if isinstance(result, Exception):
                raise result
            return result

        return answer


def client_error(code, message="boom"):
    return ClientError({"Error": {"Code": code, "Message": message}}, "Operation")


def make_api(max_retries=3, **scripts):
    fake = FakeTime(1000.0)
    return AwsApi(FakeClient(**scripts), max_retries=max_retries, sleep=fake.sleep, clock=fake.clock), fake


def failure(excinfo, kind):
    assert excinfo.value.kind == kind, excinfo.value
    return str(excinfo.value)


def test_the_library_errors_are_one_error():
    for error_class in (FloatingIpError, Route53SrvError, ChimeVoiceError):
        assert issubclass(error_class, AwsApiError)
    error = AwsApiError("no", "api_error", "ec2:DescribeAddresses")
    assert str(error) == "no"
    assert error.to_dict() == {"msg": "no", "kind": "api_error", "action": "ec2:DescribeAddresses"}


# -- naming --------------------------------------------------------------------------------------


def test_actions_are_named_from_the_client_service_model():
    ec2 = boto3.client("ec2", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    api = AwsApi(ec2)
    assert api.action("describe_network_interfaces") == "ec2:DescribeNetworkInterfaces"
    assert api.region == "eu-west-1"
    bare = AwsApi(None)
    assert bare.action("list_things") == "aws:ListThings"
    assert bare.region == "the configured region"


# -- backoff and the retry budget ----------------------------------------------------------------


def test_backoff_doubles_from_the_base_up_to_the_cap_with_jitter():
    fake = FakeTime(1000.0)
    api = AwsApi(None, backoff_base=0.25, backoff_cap=1.0, sleep=fake.sleep, clock=fake.clock)
    for attempt in range(1, 7):
        api.backoff(attempt)
    for slept, bound in zip(fake.sleeps, [0.25, 0.5, 1.0, 1.0, 1.0, 1.0], strict=True):
        assert bound / 2 <= slept <= bound


def test_throttling_is_retried_then_succeeds():
    api, fake = make_api(describe_things=[client_error("Throttling"), client_error("Throttling"), {"ok": 1}])
    assert api.call("describe_things") == {"ok": 1}
    assert api.calls == ["describe_things"] * 3
    assert len(fake.sleeps) == 2


def test_a_spent_throttling_budget_is_kind_throttled():
    api, fake = make_api(max_retries=3, create_thing=[client_error("Throttling", "slow down")] * 4)
    with pytest.raises(AwsApiError) as excinfo:
        api.call("create_thing")
    message = failure(excinfo, "throttled")
    assert "aws:CreateThing was throttled by AWS 4 times in a row (Throttling: slow down)" in message
    assert excinfo.value.code == "Throttling"
    assert api.calls == ["create_thing"] * 4
    assert len(fake.sleeps) == 3
    assert sum(fake.sleeps) <= 0.25 + 0.5 + 1.0


# -- which calls are retried ---------------------------------------------------------------------


def test_server_errors_are_retried_for_read_calls():
    api = make_api(describe_things=[client_error("InternalError"), {"ok": 1}])[0]
    assert api.call("describe_things") == {"ok": 1}
    assert api.calls == ["describe_things", "describe_things"]


def test_server_errors_are_not_retried_for_mutating_calls():
    # The request may have been carried out: sending it again could apply it twice.
    api, fake = make_api(create_thing=[client_error("InternalError")])
    with pytest.raises(AwsApiError) as excinfo:
        api.call("create_thing")
    assert "aws:CreateThing failed: boom (InternalError)" in failure(excinfo, "api_error")
    assert api.calls == ["create_thing"]
    assert fake.sleeps == []


def test_a_read_call_keeps_meeting_server_errors():
    api = make_api(max_retries=1, list_things=[client_error("ServiceUnavailable")] * 2)[0]
    with pytest.raises(AwsApiError) as excinfo:
        api.call("list_things")
    assert "refused with a server error by AWS 2 times" in failure(excinfo, "api_error")


def test_connection_errors_are_retried_for_read_calls_only():
    down = EndpointConnectionError(endpoint_url="https://ec2.example")
    api = make_api(max_retries=2, get_thing=[down] * 3, put_thing=[down])[0]
    with pytest.raises(AwsApiError) as excinfo:
        api.call("get_thing")
    assert "after 3 attempts" in failure(excinfo, "unreachable")
    with pytest.raises(AwsApiError) as excinfo:
        api.call("put_thing")
    assert "may or may not have been carried out" in failure(excinfo, "unreachable")
    assert api.calls == ["get_thing"] * 3 + ["put_thing"]


def test_a_request_botocore_refuses_is_invalid():
    api = make_api(create_thing=[ParamValidationError(report="Missing required parameter")])[0]
    with pytest.raises(AwsApiError) as excinfo:
        api.call("create_thing")
    assert failure(excinfo, "invalid").startswith("invalid request for aws:CreateThing")


# -- the check-mode guard ------------------------------------------------------------------------


def test_read_only_refuses_mutating_calls_without_sending_them():
    api = make_api(describe_things=[{"ok": 1}], delete_thing=[{}])[0]
    with ReadOnly(api, True):
        assert api.call("describe_things") == {"ok": 1}
        with pytest.raises(AwsApiError) as excinfo:
            api.call("delete_thing")
    assert "internal error: aws:DeleteThing attempted in check mode" in failure(excinfo, "invalid")
    assert api.calls == ["describe_things"]
    assert api.read_only is False  # restored on leaving
    assert api.call("delete_thing") == {}


# -- translation ---------------------------------------------------------------------------------


class ThingApi(AwsApi):
    SERVICE = "Things"
    IAM_PREFIX = "things"
    NOT_FOUND_CODES = frozenset(["NoSuchThing"])


@pytest.mark.parametrize(
    ("code", "kind", "fragment"),
    [
        ("AccessDenied", "permission_denied", "allow things:DeleteThing in the IAM policy"),
        ("UnauthorizedOperation", "permission_denied", "may not call things:DeleteThing"),
        ("NoSuchThing", "not_found", "things:DeleteThing: boom (NoSuchThing); check the ID, the region"),
        ("SomethingElse", "api_error", "things:DeleteThing failed: boom (SomethingElse)"),
    ],
)
def test_translate_maps_the_common_codes(code, kind, fragment):
    api = ThingApi(None)
    error = api.translate(client_error(code), "delete_thing")
    assert isinstance(error, AwsApiError)
    assert (error.kind, error.code, error.action) == (kind, code, "things:DeleteThing")
    assert fragment in str(error)


def test_translate_shortens_long_permission_messages():
    error = AwsApi(None).translate(client_error("AccessDenied", "x" * 1000), "delete_thing")
    assert "x" * 300 + "..." in str(error)
    assert "x" * 301 not in str(error)


# -- wait_for ------------------------------------------------------------------------------------


def test_wait_for_polls_with_bounded_jittered_backoff():
    fake = FakeTime(1000.0)
    api = AwsApi(None, sleep=fake.sleep, clock=fake.clock)
    reads = iter(range(100))
    assert wait_for(api, lambda: next(reads), lambda n: n == 5, 30, "x") == 5
    for slept, bound in zip(fake.sleeps, [0.2, 0.4, 0.8, 1.5, 1.5], strict=True):
        assert bound / 2 <= slept <= bound


def test_wait_for_times_out_at_the_deadline():
    fake = FakeTime(1000.0)
    api = ThingApi(None, sleep=fake.sleep, clock=fake.clock)
    start = fake.now
    with pytest.raises(AwsApiError) as excinfo:
        wait_for(api, lambda: "old", lambda state: False, 4, "the thing", describe=lambda s: "state " + s)
    assert "timed out after 4s waiting for the thing; last seen: state old" in failure(excinfo, "timeout")
    assert fake.now - start == pytest.approx(4)
    assert max(fake.sleeps) <= ThingApi.POLL_CAP
