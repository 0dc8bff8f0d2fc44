# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Amazon Chime SDK Voice API behind one call wrapper, and the one error of the Chime library.

Everything the ``chime_voice_connector*`` modules send to AWS goes through :meth:`VoiceApi.call`:

* throttled calls (and read-only calls that met a server or connection error) are retried with
  jittered exponential backoff within a bounded budget;
* a ``NotFoundException`` about a connector or group this run has just created is retried, with
  bounded jittered backoff, until ``found_timeout`` seconds after its creation (right after
  ``CreateVoiceConnector`` the service may not know the new ID yet for up to about a minute);
* errors become :class:`ChimeVoiceError` with a ``kind``, and every message is scrubbed of the
  secrets registered with :meth:`VoiceApi.add_secret` (termination passwords) -- botocore's own
  parameter-validation messages quote request values;
* while ``read_only`` is set (check mode) a mutating call raises instead of being sent.

Needs boto3/botocore and the standard library only (Python 3.8+); imports nothing from ``ansible``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import re
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


SERVICE = "chime-sdk-voice"
IAM_PREFIX = "chime"
DEFAULT_MAX_RETRIES = 8
DEFAULT_BACKOFF_BASE = 0.25
DEFAULT_BACKOFF_CAP = 5.0
# Terraform's provider needed a 60 s retry after creation outside us-east-1; a little more here.
DEFAULT_FOUND_TIMEOUT = 90
POLL_START = 0.5
POLL_CAP = 8.0
MASK = "********"

THROTTLING_CODES = frozenset(
    [
        "ThrottledClientException",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
    ]
)
# Server-side failures; retried for read-only calls only (a mutating call may have been applied).
TRANSIENT_CODES = frozenset(["ServiceUnavailableException", "ServiceFailureException", "InternalFailure"])
PERMISSION_CODES = frozenset(
    ["AccessDeniedException", "ForbiddenException", "UnauthorizedClientException", "AccessDenied"]
)

KINDS = frozenset(
    [
        "invalid",
        "not_found",
        "ambiguous",
        "create_only",
        "conflict",
        "in_use",
        "partial_failure",
        "permission_denied",
        "limit_exceeded",
        "throttled",
        "unsupported",
        "unreachable",
        "api_error",
    ]
)

# The VoiceConnectorId pattern of the model (botocore 1.44), for a model without one.
CONNECTOR_ID_PATTERN = r"([a-z0-9]{21,22}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"

# Jitter only spreads retries out in time; it has no security purpose.
_RANDOM = random.SystemRandom()


class ChimeVoiceError(Exception):
    """The one error of the Chime library.

    ``kind`` is one of :data:`KINDS`; ``action`` the IAM action concerned (``chime:CreateVoiceConnector``)
    for errors raised by an API call; ``code`` the AWS error code, if any; ``changed`` whether something
    was already changed when the error happened; ``details`` extra plain data (such as the phone numbers
    the service refused).
    """

    def __init__(self, message, kind, action=None, code=None, changed=False, details=None):
        super(ChimeVoiceError, self).__init__(message)
        self.message = message
        self.kind = kind
        self.action = action
        self.code = code
        self.changed = changed
        self.details = details

    def __str__(self):
        return self.message

    def to_dict(self):
        """The error as plain data: ``msg``, ``kind``, ``changed``, and ``action``, ``code``, ``details`` when known."""
        data = {"msg": self.message, "kind": self.kind, "changed": bool(self.changed)}
        data.update(
            (key, value) for key, value in (("action", self.action), ("code", self.code), ("details", self.details))
        )
        return dict((key, value) for key, value in data.items() if value is not None)


def invalid(message):
    return ChimeVoiceError(message, "invalid")


class VoiceApi:
    """A boto3 ``chime-sdk-voice`` client behind the library's one call wrapper.

    :param client: a boto3 ``chime-sdk-voice`` client.
    :param max_retries: further attempts of a throttled call (and of a read-only call that met a server
        or connection error) before giving up.
    :param backoff_base: the first retry waits up to this many seconds; the bound doubles per retry.
    :param backoff_cap: upper bound of a single wait, in seconds.
    :param found_timeout: how long after creating a connector or group a ``NotFoundException`` about
        it is retried, in seconds.
    :param sleep: the sleeping function (tests pass a recorder).
    :param clock: a monotonic clock in seconds (tests pass a fake one).

    ``calls`` lists the operations sent, in order (retries included).
    """

    def __init__(
        self,
        client,
        max_retries=DEFAULT_MAX_RETRIES,
        backoff_base=DEFAULT_BACKOFF_BASE,
        backoff_cap=DEFAULT_BACKOFF_CAP,
        found_timeout=DEFAULT_FOUND_TIMEOUT,
        sleep=None,
        clock=None,
    ):
        self.client = client
        self.max_retries = max_retries
        self.backoff_base = float(backoff_base)
        self.backoff_cap = float(backoff_cap)
        self.found_timeout = float(found_timeout)
        self.sleep = sleep if sleep is not None else time.sleep
        self.clock = clock if clock is not None else time.monotonic
        self.calls = []
        self.read_only = False
        self._secrets = set()
        self._fresh = {}

    # -- bookkeeping ------------------------------------------------------------------------------

    @property
    def region(self):
        return getattr(getattr(self.client, "meta", None), "region_name", None) or "the configured region"

    @property
    def service_model(self):
        return self.client.meta.service_model

    def add_secret(self, value):
        """Scrub ``value`` (a password) from every message this wrapper produces."""
        if value:
            self._secrets.add(str(value))

    def created(self, resource_id):
        """Note that ``resource_id`` was created just now: NotFound about it is retried for a while."""
        self._fresh[resource_id] = self.clock() + self.found_timeout

    def action(self, method):
        """The IAM action of a client method, e.g. ``chime:CreateVoiceConnector``."""
        mapping = getattr(getattr(self.client, "meta", None), "method_to_api_mapping", None) or {}
        name = mapping.get(method) or "".join(part.capitalize() for part in method.split("_"))
        return IAM_PREFIX + ":" + name

    def scrub(self, text):
        """``text`` with every registered secret (raw, repr- and JSON-escaped) replaced by ``********``."""
        text = str(text)
        for secret in sorted(self._secrets, key=len, reverse=True):
            for form in set([secret, repr(secret)[1:-1], secret.replace("\\", "\\\\").replace('"', '\\"')]):
                if form:
                    text = text.replace(form, MASK)
        return text

    # -- the call wrapper -------------------------------------------------------------------------

    def call(self, method, **params):
        """Call ``client.<method>(**params)`` with retries; translate errors into :class:`ChimeVoiceError`."""
        action = self.action(method)
        read_only = method.startswith(("get_", "list_"))
        if self.read_only and not read_only:
            raise ChimeVoiceError("internal error: %s attempted in check mode" % action, "invalid", action)
        target = params.get("VoiceConnectorId") or params.get("VoiceConnectorGroupId")
        found_deadline = self._fresh.get(target) if target else None
        attempt = 0
        poll = POLL_START
        while True:
            self.calls.append(method)
            try:
                return getattr(self.client, method)(**params)
            except ClientError as exc:
                code = _error_code(exc)
                if code == "NotFoundException" and found_deadline is not None:
                    remaining = found_deadline - self.clock()
                    if remaining > 0:
                        # The connector was created by this run: the service does not know it yet.
                        self.sleep(min(remaining, _RANDOM.uniform(poll / 2.0, poll)))
                        poll = min(POLL_CAP, poll * 2)
                        continue
                    raise ChimeVoiceError(
                        "%s still answers NotFound for %s %.0fs after it was created (%s); the service has not "
                        "caught up yet -- run again to converge" % (action, target, self.found_timeout, code),
                        "not_found",
                        action,
                        code,
                    ) from None
                retryable = code in THROTTLING_CODES or (read_only and code in TRANSIENT_CODES)
                if retryable and attempt < self.max_retries:
                    attempt += 1
                    self._backoff(attempt)
                    continue
                if retryable:
                    raise self._budget_spent(action, code, _error_message(exc)) from None
                raise self.translate(exc, method) from None
            except (EndpointConnectionError, ConnectionClosedError, ConnectTimeoutError, ReadTimeoutError) as exc:
                if read_only and attempt < self.max_retries:
                    attempt += 1
                    self._backoff(attempt)
                    continue
                raise ChimeVoiceError(
                    "%s could not reach the Chime SDK Voice endpoint: %s; check the network, region and endpoint_url%s"
                    % (
                        action,
                        self.scrub(exc),
                        ""
                        if read_only
                        else " (the request may or may not have been carried out, run again to converge)",
                    ),
                    "unreachable",
                    action,
                ) from None
            except ParamValidationError as exc:
                raise ChimeVoiceError(
                    "invalid request for %s: %s" % (action, _hide_values(self.scrub(exc))), "invalid", action
                ) from None
            except BotoCoreError as exc:
                raise ChimeVoiceError(
                    "%s failed before reaching AWS: %s; check the credentials, region and endpoint_url"
                    % (action, self.scrub(exc)),
                    "api_error",
                    action,
                ) from None

    def _backoff(self, attempt):
        bound = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
        self.sleep(_RANDOM.uniform(bound / 2.0, bound))

    def _budget_spent(self, action, code, message):
        kind = "throttled" if code in THROTTLING_CODES else "api_error"
        return ChimeVoiceError(
            "%s was %s %d times in a row (%s: %s); the retry budget is spent; try again later"
            % (
                action,
                "throttled" if kind == "throttled" else "refused with a server error",
                self.max_retries + 1,
                code,
                self.scrub(message),
            ),
            kind,
            action,
            code,
        )

    def translate(self, exc, method):
        """A :class:`ChimeVoiceError` for a ``ClientError`` of ``method`` (no retry decision here)."""
        action = self.action(method)
        code = _error_code(exc)
        message = self.scrub(_error_message(exc))
        if code in PERMISSION_CODES:
            return ChimeVoiceError(
                "permission denied: the credentials in use may not call %s (%s: %s); allow %s in the IAM policy "
                "of the role or user running this" % (action, code, message, action),
                "permission_denied",
                action,
                code,
            )
        if code == "NotFoundException":
            return ChimeVoiceError(
                "%s: %s (%s); check the ID, the region (%s) and endpoint_url" % (action, message, code, self.region),
                "not_found",
                action,
                code,
            )
        kinds = {
            "BadRequestException": "invalid",
            "ConflictException": "conflict",
            "ResourceLimitExceededException": "limit_exceeded",
        }
        return ChimeVoiceError(
            "%s failed: %s (%s)" % (action, message, code), kinds.get(code, "api_error"), action, code
        )

    # -- helpers ----------------------------------------------------------------------------------

    def get_or_none(self, method, key, **params):
        """``call(method)[key]``, or None when the service answers NotFound (nothing configured)."""
        try:
            answer = self.call(method, **params)
        except ChimeVoiceError as exc:
            if exc.code == "NotFoundException":
                return None
            raise
        return answer.get(key)

    def list_all(self, method, key, **params):
        """Every item of a NextToken-paged List operation (chime-sdk-voice has no paginators for them)."""
        items = []
        token = None
        while True:
            page_params = dict(params)
            if token:
                page_params["NextToken"] = token
            answer = self.call(method, **page_params)
            items.extend(answer.get(key) or [])
            token = answer.get("NextToken")
            if not token:
                return items


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


def as_api(client):
    return client if isinstance(client, VoiceApi) else VoiceApi(client)


def _error_code(exc):
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code") or "Unknown")


def _error_message(exc):
    return str(getattr(exc, "response", {}).get("Error", {}).get("Message") or exc)


def _hide_values(message):
    # botocore's validation messages quote request values ("value: ..., type: ..."): keep only the type.
    return re.sub(r"value: .*?, type: ", "value: (hidden), type: ", message, flags=re.S)


# -- the service model: what this botocore knows -------------------------------------------------


class Features:
    """What the installed botocore's ``chime-sdk-voice`` model supports, read from the client itself.

    Newer fields (``NetworkType``, ``IntegrationType``, ``CallDistributionType``) and operations (external
    systems) are detected here rather than by version numbers.
    """

    def __init__(self, client):
        model = client.meta.service_model
        self.botocore_version = _botocore_version()
        self.operations = frozenset(model.operation_names)
        create = _input_members(model, "CreateVoiceConnector")
        self.network_type = "NetworkType" in create
        self.integration_type = "IntegrationType" in create
        self.external_systems = "PutVoiceConnectorExternalSystemsConfiguration" in self.operations
        group = _input_members(model, "CreateVoiceConnectorGroup")
        self.call_distribution_type = "CallDistributionType" in group
        self.regions = _enum(create.get("AwsRegion"))
        self.network_types = _enum(create.get("NetworkType"))
        self.integration_types = _enum(create.get("IntegrationType"))
        self.call_distribution_types = _enum(group.get("CallDistributionType"))
        self.sbc_types = _list_enum(
            model, "PutVoiceConnectorExternalSystemsConfiguration", "SessionBorderControllerTypes"
        )
        self.contact_center_types = _list_enum(
            model, "PutVoiceConnectorExternalSystemsConfiguration", "ContactCenterSystemTypes"
        )
        connector_id = _input_members(model, "GetVoiceConnector").get("VoiceConnectorId")
        pattern = connector_id.metadata.get("pattern") if connector_id is not None else None
        self.connector_id_pattern = pattern or CONNECTOR_ID_PATTERN

    def require(self, supported, what):
        """Raise an ``unsupported`` error naming ``what`` unless ``supported``."""
        if not supported:
            raise ChimeVoiceError(
                "%s is not known to the installed botocore %s (its chime-sdk-voice model lacks it); upgrade boto3 "
                "and botocore on the host running the module, or leave the option out" % (what, self.botocore_version),
                "unsupported",
            )


def _botocore_version():
    try:
        import botocore  # pylint: disable=import-outside-toplevel

        return botocore.__version__
    except ImportError:  # pragma: no cover - the modules report the missing SDK first
        return "(not installed)"


def _input_members(model, operation):
    if operation not in model.operation_names:
        return {}
    shape = model.operation_model(operation).input_shape
    return dict(shape.members) if shape is not None else {}


def _enum(shape):
    return tuple(shape.enum) if shape is not None and getattr(shape, "enum", None) else ()


def _list_enum(model, operation, member):
    shape = _input_members(model, operation).get(member)
    return _enum(getattr(shape, "member", None)) if shape is not None else ()
