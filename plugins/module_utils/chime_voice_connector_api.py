# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Amazon Chime SDK Voice API behind one call wrapper, and the one error of the Chime library.

Everything the ``chime_voice_connector*`` modules send to AWS goes through :meth:`VoiceApi.call` (the
collection's one call wrapper, ``aws_api.AwsApi.call``):

* throttled calls (and read-only calls that met a server or connection error) are retried with
  jittered exponential backoff within a bounded budget;
* a ``NotFoundException`` about a connector or group this run has just created is retried, with
  bounded jittered backoff, until ``found_timeout`` seconds after its creation (right after
  ``CreateVoiceConnector`` the service may not know the new ID yet for up to about a minute);
* errors become :class:`ChimeVoiceError` with a ``kind``, and every message is scrubbed of the
  secrets registered with :meth:`VoiceApi.add_secret` (termination passwords) -- botocore's own
  parameter-validation messages quote request values;
* while ``read_only`` is set (check mode) a mutating call raises instead of being sent.

Needs boto3/botocore, the standard library (Python 3.8+) and ``aws_api.py`` only; imports nothing from
``ansible``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time

from . import aws_api

# Names the Chime files and tests import from here; they live in aws_api.py.
HAS_BOTOCORE, DEFAULT_MAX_RETRIES, ReadOnly = aws_api.HAS_BOTOCORE, aws_api.DEFAULT_MAX_RETRIES, aws_api.ReadOnly

SERVICE = "chime-sdk-voice"
IAM_PREFIX = "chime"
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


class ChimeVoiceError(aws_api.AwsApiError):
    """The one error of the Chime library.

    ``kind`` is one of :data:`KINDS`; ``action`` the IAM action concerned (``chime:CreateVoiceConnector``)
    for errors raised by an API call; ``code`` the AWS error code, if any; ``changed`` whether something
    was already changed when the error happened; ``details`` extra plain data (such as the phone numbers
    the service refused).
    """

    def __init__(self, message, kind, action=None, code=None, changed=False, details=None):
        super(ChimeVoiceError, self).__init__(message, kind, action, code)
        self.changed = changed
        self.details = details

    def to_dict(self):
        """The error as plain data: ``msg``, ``kind``, ``changed``, and ``action``, ``code``, ``details`` when known."""
        data = {"msg": self.message, "kind": self.kind, "changed": bool(self.changed)}
        data.update(
            (key, value) for key, value in (("action", self.action), ("code", self.code), ("details", self.details))
        )
        return dict((key, value) for key, value in data.items() if value is not None)


def invalid(message):
    return ChimeVoiceError(message, "invalid")


class VoiceApi(aws_api.AwsApi):
    """A boto3 ``chime-sdk-voice`` client behind the collection's one call wrapper (:class:`aws_api.AwsApi`).

    :param found_timeout: how long after creating a connector or group a ``NotFoundException`` about
        it is retried, in seconds.

    The other parameters (``max_retries``, ``backoff_base``, ``backoff_cap``, ``sleep``, ``clock``) are
    those of :class:`aws_api.AwsApi`, by keyword.  On top of it: secrets registered
    with :meth:`add_secret` are scrubbed from every message, and :meth:`created` starts the grace
    period of a new connector or group.
    """

    ERROR = ChimeVoiceError
    SERVICE = "AWS"  # as messages name it ("failed before reaching AWS"); not the client's service name
    IAM_PREFIX = IAM_PREFIX
    READ_PREFIXES = ("get_", "list_")
    THROTTLING_CODES = THROTTLING_CODES
    TRANSIENT_CODES = TRANSIENT_CODES
    PERMISSION_CODES = PERMISSION_CODES
    NOT_FOUND_CODES = frozenset(["NotFoundException"])
    PERMISSION_MESSAGE_LIMIT = None  # the service's messages are short; quote them whole
    POLL_START = POLL_START
    POLL_CAP = POLL_CAP
    KIND_BY_CODE = {
        "BadRequestException": "invalid",
        "ConflictException": "conflict",
        "ResourceLimitExceededException": "limit_exceeded",
    }

    def __init__(self, client, found_timeout=DEFAULT_FOUND_TIMEOUT, sleep=None, clock=None, **options):
        # The defaults come from this module's ``time`` so that tests can forbid real sleeps here.
        sleep = sleep if sleep is not None else time.sleep
        super(VoiceApi, self).__init__(client, sleep=sleep, clock=clock or time.monotonic, **options)
        self.found_timeout = float(found_timeout)
        self._secrets = set()
        self._fresh = {}

    # -- bookkeeping ------------------------------------------------------------------------------

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

    def scrub(self, text):
        """``text`` with every registered secret (raw, repr- and JSON-escaped) replaced by ``********``."""
        text = str(text)
        for secret in sorted(self._secrets, key=len, reverse=True):
            for form in set([secret, repr(secret)[1:-1], secret.replace("\\", "\\\\").replace('"', '\\"')]):
                if form:
                    text = text.replace(form, MASK)
        return text

    # -- what differs from the shared call wrapper ------------------------------------------------

    def extra_retry(self, method, params):
        """Retry NotFound about a connector or group created by this run until its grace period ends."""
        target = params.get("VoiceConnectorId") or params.get("VoiceConnectorGroupId")
        deadline = self._fresh.get(target) if target else None
        if deadline is None:
            return None
        poll = [POLL_START]

        def retry(action, code):
            if code != "NotFoundException":
                return False
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise ChimeVoiceError(
                    "%s still answers NotFound for %s %.0fs after it was created (%s); the service has not "
                    "caught up yet -- run again to converge" % (action, target, self.found_timeout, code),
                    "not_found",
                    action,
                    code,
                ) from None
            # The connector was created by this run: the service does not know it yet.
            self.sleep(min(remaining, aws_api.jitter(poll[0])))
            poll[0] = min(POLL_CAP, poll[0] * 2)
            return True

        return retry

    def budget_spent(self, action, code, message):
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

    def unreachable(self, action, exc, read_only):
        return ChimeVoiceError(
            "%s could not reach the Chime SDK Voice endpoint: %s; check the network, region and endpoint_url%s"
            % (
                action,
                self.scrub(exc),
                "" if read_only else " (the request may or may not have been carried out, run again to converge)",
            ),
            "unreachable",
            action,
        )

    def invalid_request(self, action, exc):
        return ChimeVoiceError(
            "invalid request for %s: %s" % (action, _hide_values(self.scrub(exc))), "invalid", action
        )

    def translate(self, exc, method):
        """A :class:`ChimeVoiceError` for a ``ClientError`` of ``method`` (no retry decision here)."""
        code = aws_api.error_code(exc)
        if code in self.KIND_BY_CODE:
            action = self.action(method)
            message = self.scrub(aws_api.error_message(exc))
            return ChimeVoiceError(
                "%s failed: %s (%s)" % (action, message, code), self.KIND_BY_CODE[code], action, code
            )
        return super(VoiceApi, self).translate(exc, method)  # permission denied, not found, api_error

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


def as_api(client):
    return VoiceApi.wrap(client)


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
