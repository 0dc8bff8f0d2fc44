# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one AWS call wrapper and the one error class behind the collection's Ansible-free libraries.

``floating_ip``, ``route53_srv`` and ``chime_voice_connector_api`` each wrap a boto3 client in a
subclass of :class:`AwsApi` and raise a subclass of :class:`AwsApiError`; this file holds what they
share:

* :class:`AwsApi.call` -- jittered exponential backoff on throttling within a bounded budget, retries
  of read-only calls that met a server or connection error (a mutating call may have been applied, so
  it is never sent twice), the check-mode guard (``read_only``), and ``calls``, the client methods
  sent, in order (one entry per HTTP request);
* :meth:`AwsApi.translate` -- AWS error codes into an error ``kind`` (permission denied, not found);
  subclasses handle their service's own codes first and leave the rest to it;
* :func:`wait_for` -- bounded jittered polling until a change shows.

Subclasses set the class attributes (service name, codes, hints) and override the message methods
where their wording differs.  Needs boto3/botocore and the Python standard library only (3.8+) and
never imports anything from ``ansible``: the node-side failover agent and a Lambda import it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import time

try:
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ParamValidationError,
        ReadTimeoutError,
    )

    HAS_BOTOCORE = True
except ImportError:  # the modules report the missing SDK through AnsibleAWSModule
    HAS_BOTOCORE = False

    # Stand-ins that are never raised, so that the except clauses below stay valid.
    class BotoCoreError(Exception):
        pass

    class ClientError(Exception):
        pass

    class _ConnectionError(BotoCoreError):
        pass

    ConnectionClosedError = ConnectTimeoutError = EndpointConnectionError = ReadTimeoutError = _ConnectionError

    class ParamValidationError(BotoCoreError):
        pass


DEFAULT_MAX_RETRIES = 8
DEFAULT_BACKOFF_BASE = 0.25
DEFAULT_BACKOFF_CAP = 5.0

# Jitter only spreads retries out in time; it has no security purpose.
_RANDOM = random.SystemRandom()


def jitter(bound):
    """A delay drawn from the upper half of ``bound``: spread out, yet never much shorter than planned."""
    return _RANDOM.uniform(bound / 2.0, bound)


def error_code(exc):
    """The AWS error code of a ``ClientError`` (``Unknown`` when it has none)."""
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code") or "Unknown")


def error_message(exc):
    """The service's own message of a ``ClientError``, else the exception's text."""
    response = getattr(exc, "response", {}) or {}
    return str(response.get("Error", {}).get("Message") or exc)


def short(message, limit=300):
    # UnauthorizedOperation messages carry a long encoded authorization message.
    return message if limit is None or len(message) <= limit else message[:limit] + "..."


class AwsApiError(Exception):
    """The error of an API call or of the library around it.

    ``kind`` says what went wrong (each library lists its kinds); ``action`` the IAM action concerned
    (``ec2:AssignPrivateIpAddresses``) for errors raised by an API call; ``code`` the AWS error code, if any.
    """

    def __init__(self, message, kind, action=None, code=None):
        super(AwsApiError, self).__init__(message)
        self.message = message
        self.kind = kind
        self.action = action
        self.code = code

    def __str__(self):
        return self.message

    def to_dict(self):
        """The error as plain data: ``msg``, ``kind``, and ``action`` and ``code`` when known."""
        data = {"msg": self.message, "kind": self.kind}
        data.update((key, value) for key, value in (("action", self.action), ("code", self.code)) if value)
        return data


class ReadOnly:
    """Make ``api`` refuse mutating calls for the duration (check mode)."""

    def __init__(self, api, enabled):
        self.api, self.enabled, self.saved = api, enabled, api.read_only

    def __enter__(self):
        if self.enabled:
            self.api.read_only = True
        return self.api

    def __exit__(self, *exc_info):
        self.api.read_only = self.saved
        return False


class AwsApi:
    """A boto3 client behind the one call wrapper.

    :param client: a boto3 client.
    :param max_retries: further attempts of a throttled call (and of a read-only call that met a
        server or connection error) before giving up with a ``throttled`` (``unreachable``) error.
    :param backoff_base: the first retry waits up to this many seconds; the bound doubles per retry.
    :param backoff_cap: upper bound of a single wait, in seconds.
    :param sleep: the sleeping function (tests pass a recorder).
    :param clock: a monotonic clock in seconds (tests pass a fake one).

    ``calls`` lists the client methods called, in order (retries included).  While ``read_only`` is
    true (check mode) a mutating call raises instead of being sent.
    """

    ERROR = AwsApiError
    SERVICE = "AWS"  # as messages name it: "could not reach the EC2 endpoint", "throttled by EC2"
    IAM_PREFIX = None  # None: the signing name of the client's service model
    READ_PREFIXES = ("describe_", "get_", "list_")  # client methods that change nothing
    # Error codes meaning "slow down": the request was not carried out and may be sent again.
    THROTTLING_CODES = frozenset(
        ["Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled", "TooManyRequestsException"]
    )
    # Server-side failures; retried for read-only calls only (a mutating call may have been applied).
    TRANSIENT_CODES = frozenset(["InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable"])
    PERMISSION_CODES = frozenset(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation"])
    NOT_FOUND_CODES = frozenset()
    PERMISSION_MESSAGE_LIMIT = 300  # None: quote the service's message whole
    NETWORK_HINT = "the network, region and endpoint_url"
    CREDENTIALS_HINT = "the credentials, region and endpoint_url"
    NOT_FOUND_HINT = "; check the ID, the region ({region}) and endpoint_url"
    THROTTLING_HINT = ""  # appended to "try again later"; may name {action}
    TIMEOUT_HINT = "The request was accepted but the change did not show; run again with a longer wait_timeout"
    POLL_START = 0.2  # the first delay bound of wait_for, in seconds; it doubles up to POLL_CAP
    POLL_CAP = 1.5

    def __init__(
        self,
        client,
        max_retries=DEFAULT_MAX_RETRIES,
        backoff_base=DEFAULT_BACKOFF_BASE,
        backoff_cap=DEFAULT_BACKOFF_CAP,
        sleep=None,
        clock=None,
    ):
        self.client = client
        self.max_retries = max_retries
        self.backoff_base = float(backoff_base)
        self.backoff_cap = float(backoff_cap)
        self.sleep = sleep if sleep is not None else time.sleep
        self.clock = clock if clock is not None else time.monotonic
        self.calls = []
        self.read_only = False

    @classmethod
    def wrap(cls, client):
        """``client`` itself if it is already wrapped, else ``cls(client)``."""
        return client if isinstance(client, cls) else cls(client)

    # -- naming -----------------------------------------------------------------------------------

    @property
    def region(self):
        return getattr(getattr(self.client, "meta", None), "region_name", None) or "the configured region"

    def operation(self, method):
        """The API operation name of a client method, e.g. ``AssignPrivateIpAddresses``."""
        mapping = getattr(getattr(self.client, "meta", None), "method_to_api_mapping", None) or {}
        return mapping.get(method) or "".join(part.capitalize() for part in method.split("_"))

    def action(self, method):
        """The IAM action of a client method, e.g. ``ec2:AssignPrivateIpAddresses``."""
        prefix = self.IAM_PREFIX
        if prefix is None:
            model = getattr(getattr(self.client, "meta", None), "service_model", None)
            prefix = getattr(model, "signing_name", None) or "aws"
        return prefix + ":" + self.operation(method)

    def scrub(self, text):
        """``text`` as it may appear in an error message (subclasses hide secrets here)."""
        return str(text)

    # -- the call wrapper -------------------------------------------------------------------------

    def call(self, method, **params):
        """Call ``client.<method>(**params)``; retry throttling with jittered backoff; translate errors."""
        action = self.action(method)
        read_only = method.startswith(self.READ_PREFIXES)
        if self.read_only and not read_only:
            raise self.ERROR("internal error: %s attempted in check mode" % action, "invalid", action)
        retry_also = self.extra_retry(method, params)
        attempt = 0
        while True:
            self.calls.append(method)
            try:
                return getattr(self.client, method)(**params)
            except ClientError as exc:
                code = error_code(exc)
                if retry_also is not None and retry_also(action, code):
                    continue
                if not (code in self.THROTTLING_CODES or (read_only and code in self.TRANSIENT_CODES)):
                    raise self.translate(exc, method) from None
                if attempt >= self.max_retries:
                    raise self.budget_spent(action, code, error_message(exc)) from None
            except (EndpointConnectionError, ConnectionClosedError, ConnectTimeoutError, ReadTimeoutError) as exc:
                if not read_only or attempt >= self.max_retries:
                    raise self.unreachable(action, exc, read_only) from None
            except ParamValidationError as exc:
                raise self.invalid_request(action, exc) from None
            except BotoCoreError as exc:
                raise self.not_sent(action, exc) from None
            # Only a throttled call, or a read that met a server or connection error, gets here: send it again.
            attempt += 1
            self.backoff(attempt)

    def extra_retry(self, method, params):
        """None, or a per-call ``retry(action, code)`` that sleeps and returns True to send a failed call again.

        It sees a ``ClientError``'s code before the throttling budget does, and may raise instead.
        """
        return None

    def backoff(self, attempt):
        """Sleep before retry number ``attempt`` (1, 2, ...): up to base * 2**(attempt-1), capped, jittered."""
        self.sleep(jitter(min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))))

    # -- errors -----------------------------------------------------------------------------------

    def budget_spent(self, action, code, message):
        """The error once every attempt was throttled (or, for a read, refused with a server error)."""
        kind = "throttled" if code in self.THROTTLING_CODES else "api_error"
        return self.ERROR(
            "%s was %s by %s %d times in a row (%s: %s); the retry budget is spent and nothing more was changed; "
            "try again later%s"
            % (
                action,
                "throttled" if kind == "throttled" else "refused with a server error",
                self.SERVICE,
                self.max_retries + 1,
                code,
                self.scrub(message),
                self.THROTTLING_HINT.format(action=action),
            ),
            kind,
            action,
            code,
        )

    def unreachable(self, action, exc, read_only):
        """The error of a connection failure: a read after its last attempt, a write at once."""
        if read_only:
            message = "%s could not reach the %s endpoint after %d attempts: %s; check %s" % (
                action,
                self.SERVICE,
                self.max_retries + 1,
                self.scrub(exc),
                self.NETWORK_HINT,
            )
        else:
            message = (
                "%s could not reach the %s endpoint: %s; check %s (the request may or may not have been carried out, "
                "run again to converge)" % (action, self.SERVICE, self.scrub(exc), self.NETWORK_HINT)
            )
        return self.ERROR(message, "unreachable", action)

    def invalid_request(self, action, exc):
        """The error of a request botocore refused to send (``ParamValidationError``)."""
        return self.ERROR("invalid request for %s: %s" % (action, self.scrub(exc)), "invalid", action)

    def not_sent(self, action, exc):
        """The error of any other botocore failure before the request left (credentials, configuration)."""
        message = "%s failed before reaching %s: %s; check %s" % (
            action,
            self.SERVICE,
            self.scrub(exc),
            self.CREDENTIALS_HINT,
        )
        return self.ERROR(message, "api_error", action)

    def is_not_found(self, code):
        return code in self.NOT_FOUND_CODES

    def translate(self, exc, method):
        """An error for a ``ClientError`` of ``method`` (no retry decision here).

        Subclasses handle their service's own codes and call this for the rest: permission denied,
        not found, and ``api_error`` for anything else.
        """
        action = self.action(method)
        code = error_code(exc)
        message = self.scrub(error_message(exc))
        if code in self.PERMISSION_CODES:
            quoted = short(message, self.PERMISSION_MESSAGE_LIMIT)
            return self.ERROR(
                "permission denied: the credentials in use may not call %s (%s: %s); allow %s in the IAM policy "
                "of the role or user running this" % (action, code, quoted, action),
                "permission_denied",
                action,
                code,
            )
        if self.is_not_found(code):
            hint = self.NOT_FOUND_HINT.format(region=self.region)
            return self.ERROR("%s: %s (%s)%s" % (action, message, code, hint), "not_found", action, code)
        return self.ERROR("%s failed: %s (%s)" % (action, message, code), "api_error", action, code)

    def timed_out(self, wait_timeout, what, seen):
        """The error of :func:`wait_for` when the deadline passed; ``seen`` describes the last state read."""
        return self.ERROR(
            "timed out after %ss waiting for %s; last seen: %s. %s" % (wait_timeout, what, seen, self.TIMEOUT_HINT),
            "timeout",
        )


# -- verification ------------------------------------------------------------------------------


def wait_for(api, read, done, wait_timeout, what, describe=repr):
    """Call ``read()`` until ``done(state)``; return that state.

    The first read is immediate; then the delay starts at ``api.POLL_START`` and doubles up to
    ``api.POLL_CAP``, each drawn from the upper half of its bound, never past the deadline.  Raises
    ``api.timed_out(...)`` naming ``what`` and the last state seen (as ``describe(state)``) when the
    deadline passes.
    """
    deadline = api.clock() + wait_timeout
    bound = api.POLL_START
    while True:
        state = read()
        if done(state):
            return state
        remaining = deadline - api.clock()
        if remaining <= 0:
            raise api.timed_out(wait_timeout, what, describe(state))
        api.sleep(min(remaining, jitter(bound)))
        bound = min(api.POLL_CAP, bound * 2)
