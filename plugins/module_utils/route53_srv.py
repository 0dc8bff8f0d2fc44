# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""SIP-aware DNS SRV records in Route 53: the record model and its one writer.

The ``route53_srv`` module calls :func:`ensure_srv`; a later Auto Scaling lifecycle hook (a Lambda
function) imports this very file, with ``aws_api.py`` (the call wrapper) beside it, so both need
nothing but boto3/botocore and the Python standard library (3.8+) and never import anything from
``ansible``.

The model (no AWS involved):

* :func:`srv_record_name` and :func:`check_srv_name` -- ``_service._proto.domain`` names
  (``protocol: tls`` means ``_sips._tcp`` for SIP, RFC 3263);
* :func:`parse_targets`, :func:`parse_srv_value`, :func:`format_srv_value` -- SRV targets as
  :class:`Target` tuples, normalised (host names in lower case without the trailing dot), so
  that the same targets in another order or spelling compare equal;
* :func:`merge_targets` -- the targets after the run, and what was added and removed
  (``purge_targets`` semantics);
* :func:`routing_fields`, :func:`build_record_set`, :func:`same_record_set`,
  :func:`build_change_batch` -- the record set wanted and the one change batch that DELETEs
  exactly the values read and CREATEs the new ones.

The one writer, :func:`ensure_srv`, follows this order so that a refused request changes nothing:

1. validate everything that can be validated without AWS;
2. find the zone (by ID: no request at all), read only the record sets concerned
   (``ListResourceRecordSets`` from the record's name and type, a page just big enough) and the
   health check, and validate the request against them;
3. write the health check (if one is managed), then ONE ``ChangeResourceRecordSets``; Route 53
   applies a batch all or nothing and refuses a DELETE whose values are not the current ones, so
   a writer that raced another one gets ``InvalidChangeBatch``, reads again and retries (bounded):
   optimistic concurrency, nothing is lost;
4. optionally wait for the change to be ``INSYNC``.

Every AWS call goes through :meth:`Route53Api.call` (``aws_api.AwsApi.call``: jittered backoff on
throttling, errors translated into :class:`Route53SrvError` with a ``kind``); ``Route53Api.calls``
records the requests sent, so their number is observable without extra requests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import hashlib
import ipaddress
import os
import re
import sys
import uuid

try:
    from . import aws_api
except ImportError:  # loaded by path outside its package (the Lambda): aws_api.py lies beside this file
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import aws_api  # pylint: disable=import-error

wait_for = aws_api.wait_for  # bounded jittered polling, shared with floating_ip
_ReadOnly = aws_api.ReadOnly
HAS_BOTOCORE = aws_api.HAS_BOTOCORE  # still importable from here, as the Lambda and the tests expect

DEFAULT_TTL = 300
DEFAULT_WAIT_TIMEOUT = 300
DEFAULT_MAX_RETRIES = aws_api.DEFAULT_MAX_RETRIES
DEFAULT_CONFLICT_RETRIES = 5
POLL_START = 1.0
POLL_CAP = 15.0
SIP_PORT = 5060
SIPS_PORT = 5061
# Record sets of one name and type with a routing policy are read in pages of this size (one
# request unless a name has more than this many weighted/latency/geolocation record sets).
ROUTING_PAGE = 100
CHANGE_COMMENT = "rtc.ec2_fleet.route53_srv"
# Health checks created here carry this CallerReference prefix plus a hash of their Name tag, so
# that they are found again without reading the tags of every health check in the account.
CALLER_REFERENCE_PREFIX = "rtc-srv-hc:"
TAG_BATCH = 10  # ListTagsForResources takes at most 10 IDs

PROTOCOLS = ("udp", "tcp", "tls")
PROTO_LABELS = ("_tcp", "_udp", "_tls", "_sctp")
STATES = ("present", "absent")
FAILOVER_ROLES = ("PRIMARY", "SECONDARY")
CONTINENTS = ("AF", "AN", "AS", "EU", "NA", "OC", "SA")
HEALTH_CHECK_TYPES = {"tcp": "TCP", "cloudwatch_metric": "CLOUDWATCH_METRIC"}
INSUFFICIENT_DATA_STATES = ("Healthy", "Unhealthy", "LastKnownStatus")
REQUEST_INTERVALS = (10, 30)

THROTTLING_CODES = frozenset(
    [
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "PriorRequestNotComplete",
        "SlowDown",
    ]
)
TRANSIENT_CODES = frozenset(["InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable"])
PERMISSION_CODES = frozenset(
    ["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "NotAuthorizedException"]
)
NOT_FOUND_CODES = frozenset(["NoSuchHostedZone", "NoSuchHealthCheck", "NoSuchChange", "HostedZoneNotFound"])
INVALID_CODES = frozenset(
    ["InvalidInput", "InvalidArgument", "InvalidDomainName", "InvalidVPCId", "InvalidChangeBatch"]
)
CONFLICT_CODES = frozenset(["HealthCheckVersionMismatch", "HealthCheckAlreadyExists", "ConcurrentModification"])

KINDS = frozenset(
    [
        "invalid",
        "not_found",
        "ambiguous",
        "conflict",
        "permission_denied",
        "throttled",
        "timeout",
        "unreachable",
        "api_error",
    ]
)


class Route53SrvError(aws_api.AwsApiError):
    """The one error of the library.

    ``kind`` is one of :data:`KINDS`; ``action`` the IAM action concerned (``route53:ListResourceRecordSets``)
    for errors raised by an API call; ``code`` the AWS error code, if any.
    """

    def __init__(self, message, kind, action=None, code=None):
        super(Route53SrvError, self).__init__(message, kind, action, code)
        self.aws_message = None  # the service's own message, for errors of an API call


def _invalid(message):
    return Route53SrvError(message, "invalid")


# -- the one call wrapper ----------------------------------------------------------------------


class Route53Api(aws_api.AwsApi):
    """A boto3 Route 53 client behind the collection's one call wrapper (:class:`aws_api.AwsApi`).

    ``List*`` and ``Get*`` calls are the read-only ones; ``calls`` has one entry per HTTP request,
    and :meth:`requests` names them as API operations.
    """

    ERROR = Route53SrvError
    SERVICE = "Route 53"
    IAM_PREFIX = "route53"
    READ_PREFIXES = ("list_", "get_")
    THROTTLING_CODES = THROTTLING_CODES
    TRANSIENT_CODES = TRANSIENT_CODES
    PERMISSION_CODES = PERMISSION_CODES
    NOT_FOUND_CODES = NOT_FOUND_CODES
    # Route 53 is global: no region to check.
    NETWORK_HINT = "the network and endpoint_url"
    CREDENTIALS_HINT = "the credentials and endpoint_url"
    NOT_FOUND_HINT = ""
    TIMEOUT_HINT = (
        "The change was accepted and will still propagate; run again with a longer wait_timeout to wait for it"
    )
    POLL_START = POLL_START
    POLL_CAP = POLL_CAP

    @property
    def region(self):
        """The client's region, None when it has none or is the global pseudo-region."""
        region = getattr(getattr(self.client, "meta", None), "region_name", None)
        return None if region in (None, "", "aws-global") else region

    def requests(self):
        """The API operations sent so far, in order (``["ListResourceRecordSets", ...]``)."""
        return [self.operation(method) for method in self.calls]

    def is_not_found(self, code):
        return code in NOT_FOUND_CODES or code.startswith("NoSuch")

    def translate(self, exc, method):
        """A :class:`Route53SrvError` for a ``ClientError`` of ``method`` (no retry decision here)."""
        action = self.action(method)
        code = aws_api.error_code(exc)
        message = aws_api.error_message(exc)
        if code in CONFLICT_CODES:
            return Route53SrvError("%s: %s (%s)" % (action, message, code), "conflict", action, code)
        if code in INVALID_CODES:
            error = Route53SrvError("%s: %s (%s)" % (action, message, code), "invalid", action, code)
            error.aws_message = message
            return error
        return super(Route53Api, self).translate(exc, method)  # permission denied, not found, api_error


def _api(client):
    return Route53Api.wrap(client)


# -- names -------------------------------------------------------------------------------------

_LDH_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_DNS_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
_SERVICE_LABEL = re.compile(r"^_[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_SERVICE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,60}[a-z0-9])?$")
_ESCAPE = re.compile(r"\\([0-9]{3})")


def _decode_route53_name(name):
    """A name as Route 53 returns it (octal escapes such as ``\\052``) in plain, normalised form."""
    return _ESCAPE.sub(lambda match: chr(int(match.group(1), 8)), name).lower().rstrip(".")


def normalise_name(value, what="name", hostname=False):
    """``value`` as a DNS name in lower case without the trailing dot; ``invalid`` error if it is not one.

    With ``hostname`` the name must be a host name (letters, digits and hyphens; not an IP address;
    the last label not all digits), as an SRV target must be (RFC 2782).
    """
    if not isinstance(value, str) or not value.strip():
        raise _invalid("%s %r is not a DNS name: expected a name such as example.com" % (what, value))
    name = value.strip().lower()
    if name.endswith("."):
        name = name[:-1]
    if hostname:
        try:
            ipaddress.ip_address(name)
        except ValueError:
            pass
        else:
            raise _invalid(
                "%s %r is an IP address, not a host name: an SRV target must be a host name with A/AAAA records; "
                "give the host name as target and the address as address (IPv4) or address6 (IPv6)" % (what, value)
            )
    labels = name.split(".")
    pattern = _LDH_LABEL if hostname else _DNS_LABEL
    if not name or len(name) > 253 or not all(pattern.match(label) for label in labels):
        raise _invalid(
            "%s %r is not a %s: labels of 1-63 letters, digits and hyphens (not at either end)%s, separated by dots, "
            "at most 253 characters"
            % (what, value, "host name" if hostname else "DNS name", "" if hostname else " or _")
        )
    if hostname and (len(labels) < 2 or labels[-1].isdigit()):
        raise _invalid(
            "%s %r is not a fully qualified host name: expected a name such as pbx1.example.com" % (what, value)
        )
    return name


def srv_record_name(service=None, protocol=None, domain=None):
    """The SRV record name for ``service`` over ``protocol`` in ``domain``.

    ``protocol`` is ``udp``, ``tcp`` or ``tls``; ``tls`` is the secure variant over TCP, so
    ``sip`` + ``tls`` is ``_sips._tcp`` (RFC 3263), and in general ``_<service>s._tcp``.
    ``service`` defaults to ``sip`` and ``protocol`` to ``udp``.
    """
    service = "sip" if service is None else service
    protocol = "udp" if protocol is None else protocol
    if not isinstance(service, str) or not _SERVICE.match(service.strip().lower().lstrip("_")):
        raise _invalid("service %r is not a service name such as sip, stun or turn" % (service,))
    if protocol not in PROTOCOLS:
        raise _invalid("protocol %r: use one of %s" % (protocol, ", ".join(PROTOCOLS)))
    service = service.strip().lower().lstrip("_")
    domain = normalise_name(domain, "domain")
    if protocol == "tls":
        label = service if service.endswith("s") else service + "s"
        return "_%s._tcp.%s" % (label, domain)
    return "_%s._%s.%s" % (service, protocol, domain)


def check_srv_name(name):
    """``name`` normalised; ``invalid`` error unless it has the ``_service._proto.domain`` form (RFC 2782)."""
    normal = normalise_name(name, "name")
    labels = normal.split(".")
    if len(labels) < 4 or not _SERVICE_LABEL.match(labels[0]) or labels[1] not in PROTO_LABELS:
        raise _invalid(
            "name %r is not an SRV record name of the form _service._proto.domain (e.g. _sip._udp.example.com, "
            "_sips._tcp.example.com); the protocol label is one of %s" % (name, ", ".join(PROTO_LABELS))
        )
    if any(label.startswith("_") for label in labels[2:]):
        raise _invalid("name %r: only the service and protocol labels may start with an underscore" % (name,))
    return normal


def in_zone(name, zone_name):
    """True when ``name`` is ``zone_name`` or below it (both normalised)."""
    return name == zone_name or name.endswith("." + zone_name)


# -- targets -----------------------------------------------------------------------------------


class Target(collections.namedtuple("Target", "priority weight port target")):
    """One SRV value: ``priority weight port target``, the target host name normalised."""

    __slots__ = ()

    @property
    def key(self):
        """The identity of a target: its host and port (priority and weight are its attributes)."""
        return (self.target, self.port)

    def to_dict(self):
        return {"target": self.target, "port": self.port, "priority": self.priority, "weight": self.weight}


def _sort_key(target):
    return (target.priority, -target.weight, target.target, target.port)


def sort_targets(targets):
    """Targets in a stable, readable order: by priority, then heavier weight first, then host and port."""
    return sorted(set(targets), key=_sort_key)


def _uint16(value, what):
    if isinstance(value, bool):
        raise _invalid("%s %r is not an integer: use a whole number from 0 to 65535" % (what, value))
    if isinstance(value, str) and re.match(r"^\s*[0-9]+\s*$", value):
        value = int(value)
    if not isinstance(value, int):
        raise _invalid("%s %r is not an integer: use a whole number from 0 to 65535" % (what, value))
    if not 0 <= value <= 65535:
        raise _invalid("%s %d is out of range: use a whole number from 0 to 65535" % (what, value))
    return value


def parse_srv_value(value):
    """A :class:`Target` from an SRV value string ``"priority weight port target"``."""
    parts = value.split() if isinstance(value, str) else []
    if len(parts) != 4:
        raise _invalid("SRV value %r is not of the form 'priority weight port target'" % (value,))
    priority = _uint16(parts[0], "priority")
    weight = _uint16(parts[1], "weight")
    port = _uint16(parts[2], "port")
    return Target(priority, weight, port, normalise_name(parts[3], "SRV target"))


def format_srv_value(target):
    """The SRV value string of a :class:`Target`, its host name fully qualified (trailing dot)."""
    return "%d %d %d %s." % (target.priority, target.weight, target.port, target.target)


def _address(value, version, what):
    if value is None:
        return None
    try:
        address = ipaddress.ip_address(value.strip() if isinstance(value, str) else value)
    except ValueError:
        address = None
    if address is None or address.version != version:
        example = "192.0.2.10" if version == 4 else "2001:db8::10"
        raise _invalid("%s %r is not an IPv%d address such as %s" % (what, value, version, example))
    return str(address)


def parse_targets(items, state="present"):
    """Validate and normalise the ``targets`` option: a list of dicts.

    Each has ``target`` (a host name) and ``port``; ``priority`` and ``weight`` (required with
    ``state=present``, ignored with ``absent``, where a target is known by host and port); and
    optionally ``address`` (IPv4) and ``address6`` (IPv6) of the host, whose A/AAAA records are
    then managed too. Returns a list of dicts with the same keys, normalised. Duplicates (the same
    host and port twice) and one host given two different addresses are refused.
    """
    if items is None:
        return []
    if isinstance(items, (str, dict)) or not isinstance(items, (list, tuple)):
        raise _invalid("targets must be a list of {target, port, priority, weight}, got %r" % (items,))
    specs = []
    seen = {}
    addresses = {}
    for index, item in enumerate(items):
        where = "targets[%d]" % index
        if not isinstance(item, dict):
            raise _invalid("%s must be a dict with target, port, priority and weight, got %r" % (where, item))
        unknown = sorted(set(item) - set(["target", "port", "priority", "weight", "address", "address6"]))
        if unknown:
            raise _invalid("%s: unknown key(s) %s" % (where, ", ".join(unknown)))
        if item.get("target") is None or item.get("port") is None:
            raise _invalid("%s needs target and port" % where)
        spec = {
            "target": normalise_name(item["target"], where + ".target", hostname=True),
            "port": _uint16(item["port"], where + ".port"),
            "priority": None,
            "weight": None,
            "address": _address(item.get("address"), 4, where + ".address"),
            "address6": _address(item.get("address6"), 6, where + ".address6"),
        }
        for field in ("priority", "weight"):
            if item.get(field) is not None:
                spec[field] = _uint16(item[field], "%s.%s" % (where, field))
            elif state == "present":
                raise _invalid("%s needs %s with state=present (a whole number from 0 to 65535)" % (where, field))
        key = (spec["target"], spec["port"])
        if key in seen:
            raise _invalid(
                "duplicate target: %s port %d is listed twice (targets[%d] and %s); a target is known by host and "
                "port, list it once" % (key[0], key[1], seen[key], where)
            )
        seen[key] = index
        for field in ("address", "address6"):
            if spec[field] is None:
                continue
            known = addresses.setdefault((spec["target"], field), spec[field])
            if known != spec[field]:
                raise _invalid(
                    "host %s is given two different %s values (%s and %s)" % (spec["target"], field, known, spec[field])
                )
        specs.append(spec)
    return specs


def merge_targets(current, wanted, state="present", purge=True):
    """The targets after the run: ``(after, added, removed)``, each sorted (:func:`sort_targets`).

    ``current`` is a list of :class:`Target`; ``wanted`` the output of :func:`parse_targets`.
    ``present`` + ``purge``: exactly the wanted targets. ``present`` without ``purge``: the wanted
    ones added (a listed host and port with other priority/weight is replaced), the rest kept.
    ``absent`` + ``purge``: none (the record set goes). ``absent`` without ``purge``: the listed
    hosts and ports removed, the rest kept. Targets compare as a set, so order never matters.
    """
    current = set(current)
    wanted_keys = set((spec["target"], spec["port"]) for spec in wanted)
    if state == "present":
        listed = set(Target(s["priority"], s["weight"], s["port"], s["target"]) for s in wanted)
        kept = set() if purge else set(t for t in current if t.key not in wanted_keys)
        after = kept | listed
    elif purge:
        after = set()
    else:
        after = set(t for t in current if t.key not in wanted_keys)
    return sort_targets(after), sort_targets(after - current), sort_targets(current - after)


# -- record sets -------------------------------------------------------------------------------


def routing_fields(set_identifier=None, weight=None, region=None, failover=None, geolocation=None):
    """The routing-policy fields of a record set (``SetIdentifier`` plus one policy), validated.

    At most one policy; every policy needs ``set_identifier`` and ``set_identifier`` needs a
    policy. ``geolocation`` is a dict of ``continent_code`` | ``country_code`` (+ ``subdivision_code``).
    """
    given = [
        name
        for name, value in (
            ("routing_weight", weight),
            ("routing_region", region),
            ("failover", failover),
            ("geolocation", geolocation),
        )
        if value is not None
    ]
    if len(given) > 1:
        raise _invalid(
            "routing options mixed: %s; a record set has one routing policy - weighted (routing_weight), latency "
            "(routing_region), failover or geolocation" % " and ".join(given)
        )
    if given and not set_identifier:
        raise _invalid(
            "%s needs set_identifier: record sets with a routing policy are told apart by it (e.g. the region or "
            "the site name)" % given[0]
        )
    if set_identifier is not None and not given:
        raise _invalid(
            "set_identifier %r needs a routing policy: routing_weight, routing_region, failover or geolocation"
            % (set_identifier,)
        )
    if set_identifier is None:
        return {}
    fields = {"SetIdentifier": _set_identifier(set_identifier)}
    if weight is not None:
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 255:
            raise _invalid("routing_weight %r is out of range: use a whole number from 0 to 255" % (weight,))
        fields["Weight"] = weight
    elif region is not None:
        if not isinstance(region, str) or not re.match(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$", region):
            raise _invalid("routing_region %r is not an AWS region such as eu-west-1" % (region,))
        fields["Region"] = region
    elif failover is not None:
        role = failover.upper() if isinstance(failover, str) else failover
        if role not in FAILOVER_ROLES:
            raise _invalid("failover %r: use PRIMARY or SECONDARY" % (failover,))
        fields["Failover"] = role
    else:
        fields["GeoLocation"] = _geolocation(geolocation)
    return fields


def _set_identifier(value):
    if not isinstance(value, str) or not 1 <= len(value) <= 128:
        raise _invalid("set_identifier %r: use a string of 1 to 128 characters" % (value,))
    return value


def _geolocation(geolocation):
    if not isinstance(geolocation, dict):
        raise _invalid("geolocation must be a dict with continent_code or country_code, got %r" % (geolocation,))
    given = set(key for key, value in geolocation.items() if value is not None)
    unknown = sorted(given - set(["continent_code", "country_code", "subdivision_code"]))
    if unknown:
        raise _invalid("geolocation: unknown key(s) %s" % ", ".join(unknown))
    continent = geolocation.get("continent_code")
    country = geolocation.get("country_code")
    subdivision = geolocation.get("subdivision_code")
    if bool(continent) == bool(country):
        raise _invalid("geolocation needs exactly one of continent_code and country_code")
    if subdivision and not country:
        raise _invalid("geolocation subdivision_code needs country_code")
    location = {}
    if continent:
        if continent.upper() not in CONTINENTS:
            raise _invalid("geolocation continent_code %r: use one of %s" % (continent, ", ".join(CONTINENTS)))
        location["ContinentCode"] = continent.upper()
    if country:
        if not re.match(r"^([A-Za-z]{2}|\*)$", country):
            raise _invalid(
                "geolocation country_code %r: use a two-letter ISO 3166 code, or * for the default" % country
            )
        location["CountryCode"] = country.upper()
    if subdivision:
        if not re.match(r"^[A-Za-z0-9]{1,3}$", subdivision):
            raise _invalid("geolocation subdivision_code %r: use a code such as WA" % subdivision)
        location["SubdivisionCode"] = subdivision.upper()
    return location


def policy_of(record_set):
    """The routing policy of a record set: simple, weighted, latency, failover, geolocation, multivalue or other."""
    if not record_set.get("SetIdentifier"):
        return "simple"
    for field, name in (
        ("Weight", "weighted"),
        ("Region", "latency"),
        ("Failover", "failover"),
        ("GeoLocation", "geolocation"),
        ("MultiValueAnswer", "multivalue"),
    ):
        if record_set.get(field) is not None:
            return name
    return "other"


_ROUTING_KEYS = ("SetIdentifier", "Weight", "Region", "Failover", "GeoLocation", "MultiValueAnswer")


def build_record_set(name, rtype, ttl, values, routing=None, health_check_id=None):
    """A Route 53 record set: ``name`` (fully qualified on the wire), ``rtype``, ``ttl``, ``values``."""
    record_set = {"Name": name + ".", "Type": rtype, "TTL": int(ttl)}
    record_set.update(routing or {})
    if health_check_id:
        record_set["HealthCheckId"] = health_check_id
    record_set["ResourceRecords"] = [{"Value": value} for value in values]
    return record_set


def srv_targets(record_set):
    """The :class:`Target` values of an SRV record set (empty for None)."""
    if not record_set:
        return []
    return [parse_srv_value(item["Value"]) for item in record_set.get("ResourceRecords") or []]


def _canonical_values(record_set):
    values = [item.get("Value", "") for item in record_set.get("ResourceRecords") or []]
    if record_set.get("Type") == "SRV":
        try:
            return frozenset(parse_srv_value(v) for v in values)
        except Route53SrvError:
            return frozenset(values)
    if record_set.get("Type") in ("A", "AAAA"):
        try:
            return frozenset(str(ipaddress.ip_address(v)) for v in values)
        except ValueError:
            return frozenset(values)
    return frozenset(values)


def canonical(record_set):
    """A comparable form of a record set: names normalised, values as a normalised set, TTL an int."""
    if not record_set:
        return None
    routing = tuple((key, repr(record_set.get(key))) for key in _ROUTING_KEYS if record_set.get(key) is not None)
    ttl = record_set.get("TTL")
    return (
        _decode_route53_name(record_set.get("Name", "")),
        record_set.get("Type"),
        None if ttl is None else int(ttl),
        routing,
        record_set.get("HealthCheckId") or None,
        repr(record_set.get("AliasTarget")) if record_set.get("AliasTarget") else None,
        _canonical_values(record_set),
    )


def same_record_set(old, new):
    """True when two record sets (or None) say the same thing, whatever the order and spelling of values."""
    return canonical(old) == canonical(new)


def build_change_batch(pairs):
    """The changes replacing each ``old`` record set by ``new`` (``pairs`` of (old, new), either may be None).

    An unchanged pair gives nothing; otherwise the old record set is DELETEd exactly as read, then
    the new one CREATEd. Route 53 applies the batch all or nothing and refuses a DELETE whose
    values are not the current ones, so a batch built from a stale read fails instead of
    overwriting another writer's change.
    """
    changes = []
    for old, new in pairs:
        if same_record_set(old, new):
            continue
        if old:
            changes.append({"Action": "DELETE", "ResourceRecordSet": old})
        if new:
            changes.append({"Action": "CREATE", "ResourceRecordSet": new})
    return changes


def record_view(record_set):
    """A record set as a short, diff-friendly dict (values as strings, sorted)."""
    if not record_set:
        return None
    view = {"name": _decode_route53_name(record_set["Name"]), "type": record_set["Type"], "ttl": record_set.get("TTL")}
    if record_set.get("Type") == "SRV":
        try:
            view["values"] = [format_srv_value(t).rstrip(".") for t in sort_targets(srv_targets(record_set))]
        except Route53SrvError:
            view["values"] = sorted(item["Value"] for item in record_set.get("ResourceRecords") or [])
    else:
        view["values"] = sorted(item["Value"] for item in record_set.get("ResourceRecords") or [])
    for key, name in (
        ("SetIdentifier", "set_identifier"),
        ("Weight", "routing_weight"),
        ("Region", "routing_region"),
        ("Failover", "failover"),
        ("GeoLocation", "geolocation"),
        ("HealthCheckId", "health_check_id"),
    ):
        if record_set.get(key) is not None:
            view[name] = record_set[key]
    return view


# -- zones -------------------------------------------------------------------------------------


class Zone:
    """A hosted zone: ``id`` (bare, without ``/hostedzone/``), ``name`` (normalised; None until known)."""

    def __init__(self, zone_id, name=None, private=None):
        self.id = zone_id
        self.name = name
        self.private = private

    def to_dict(self):
        return {"id": self.id, "name": self.name, "private_zone": self.private}


def _bare_zone_id(zone_id):
    if not isinstance(zone_id, str) or not zone_id.strip():
        raise _invalid("hosted_zone_id %r is not a hosted zone ID such as Z0123456789ABCDEFGHIJ" % (zone_id,))
    bare = zone_id.strip().split("/")[-1]
    if not re.match(r"^[A-Za-z0-9]{1,32}$", bare):
        raise _invalid("hosted_zone_id %r is not a hosted zone ID such as Z0123456789ABCDEFGHIJ" % (zone_id,))
    return bare


def check_zone_options(zone=None, hosted_zone_id=None, private_zone=False, vpc_id=None):
    """Validate how the zone is named; returns ``(zone name or None, bare zone ID or None)``."""
    if bool(zone) == bool(hosted_zone_id):
        raise _invalid("name the hosted zone by zone (its name) or by hosted_zone_id, exactly one of them")
    if hosted_zone_id:
        if private_zone or vpc_id:
            raise _invalid(
                "private_zone and vpc_id pick a zone by its name; with hosted_zone_id the zone is already unambiguous"
            )
        return None, _bare_zone_id(hosted_zone_id)
    if private_zone and not vpc_id:
        raise _invalid(
            "private zone without VPC: a private zone is found by the VPC it is associated with; give vpc_id "
            "(several private zones may share a name, one per VPC)"
        )
    if vpc_id and not private_zone:
        raise _invalid("vpc_id goes with private_zone: true (public zones are not associated with VPCs)")
    if vpc_id is not None and (not isinstance(vpc_id, str) or not re.match(r"^vpc-[0-9a-f]+$", vpc_id)):
        raise _invalid("vpc_id %r is not a VPC ID such as vpc-0123456789abcdef0" % (vpc_id,))
    return normalise_name(zone, "zone"), None


def find_zone(client, zone=None, hosted_zone_id=None, private_zone=False, vpc_id=None, vpc_region=None):
    """The hosted zone, as a :class:`Zone`.

    By ``hosted_zone_id``: no request (the name is read later, only if needed). By public name:
    ``ListHostedZonesByName`` (one request). By private name: ``ListHostedZonesByVPC`` for
    ``vpc_id`` in ``vpc_region`` (one request). ``not_found`` when no zone matches; ``ambiguous``
    when several do (then give hosted_zone_id).
    """
    api = _api(client)
    name, zone_id = check_zone_options(zone, hosted_zone_id, private_zone, vpc_id)
    if zone_id:
        return Zone(zone_id)
    if private_zone:
        return _find_private_zone(api, name, vpc_id, vpc_region or api.region)
    found, other = [], []
    params = {"DNSName": name + ".", "MaxItems": "10"}
    while True:
        answer = api.call("list_hosted_zones_by_name", **params)
        zones = answer.get("HostedZones") or []
        for item in zones:
            if _decode_route53_name(item["Name"]) != name:
                continue
            (other if (item.get("Config") or {}).get("PrivateZone") else found).append(item)
        # Zones come sorted by name: once another name shows, no more zones of this name follow.
        if (
            not answer.get("IsTruncated")
            or any(_decode_route53_name(item["Name"]) != name for item in zones)
            or _decode_route53_name(answer.get("NextDNSName") or "") != name
        ):
            break
        params = {"DNSName": answer["NextDNSName"], "HostedZoneId": answer["NextHostedZoneId"], "MaxItems": "10"}
    if not found:
        hint = (
            "; only private zones have that name (%s): set private_zone: true and vpc_id, or give hosted_zone_id"
            % ", ".join(_bare_zone_id(z["Id"]) for z in other)
            if other
            else "; check the name, or create the zone first (amazon.aws.route53_zone)"
        )
        raise Route53SrvError(
            "zone not found: no public hosted zone is named %s%s" % (name, hint),
            "not_found",
            api.action("list_hosted_zones_by_name"),
        )
    if len(found) > 1:
        raise Route53SrvError(
            "two or more public hosted zones are named %s (%s) and no hosted_zone_id was given; give hosted_zone_id "
            "to pick one" % (name, ", ".join(_bare_zone_id(z["Id"]) for z in found)),
            "ambiguous",
        )
    return Zone(_bare_zone_id(found[0]["Id"]), name, False)


def _find_private_zone(api, name, vpc_id, vpc_region):
    if not vpc_region:
        raise _invalid("a private zone is found through its VPC, which needs the VPC's region: set region")
    found = []
    params = {"VPCId": vpc_id, "VPCRegion": vpc_region, "MaxItems": "100"}
    while True:
        answer = api.call("list_hosted_zones_by_vpc", **params)
        found.extend(z for z in answer.get("HostedZoneSummaries") or [] if _decode_route53_name(z["Name"]) == name)
        if not answer.get("NextToken"):
            break
        params["NextToken"] = answer["NextToken"]
    if not found:
        raise Route53SrvError(
            "zone not found: no private hosted zone named %s is associated with %s in %s; check the name, vpc_id and "
            "region, or give hosted_zone_id" % (name, vpc_id, vpc_region),
            "not_found",
            api.action("list_hosted_zones_by_vpc"),
        )
    if len(found) > 1:
        raise Route53SrvError(
            "two or more private hosted zones named %s are associated with %s (%s); give hosted_zone_id"
            % (name, vpc_id, ", ".join(z["HostedZoneId"] for z in found)),
            "ambiguous",
        )
    return Zone(_bare_zone_id(found[0]["HostedZoneId"]), name, True)


def zone_name(client, zone):
    """The zone's name, read with ``GetHostedZone`` the first time it is needed (zone given by ID)."""
    api = _api(client)
    if zone.name is None:
        answer = _zone_call(api, zone, "get_hosted_zone", Id=zone.id)
        hosted = answer["HostedZone"]
        zone.name = _decode_route53_name(hosted["Name"])
        zone.private = bool((hosted.get("Config") or {}).get("PrivateZone"))
    return zone.name


def _zone_call(api, zone, method, **params):
    try:
        return api.call(method, **params)
    except Route53SrvError as exc:
        if exc.kind == "not_found" and exc.code == "NoSuchHostedZone":
            raise Route53SrvError(
                "zone not found: no hosted zone has the ID %s; check hosted_zone_id (and the account in use)" % zone.id,
                "not_found",
                exc.action,
                exc.code,
            ) from None
        raise


# -- reading the record sets concerned ---------------------------------------------------------


def read_record_sets(client, zone, name, rtype, page_size=1, types=None, follow=False):
    """The record sets named ``name`` from (``name``, ``rtype``) on, of ``types`` (default ``[rtype]``).

    One ``ListResourceRecordSets`` with ``StartRecordName``/``StartRecordType`` and ``MaxItems`` =
    ``page_size``: Route 53 lists a zone sorted by name and type, so this reads the record sets
    concerned and never the whole zone. With ``follow``, further pages are read while they continue
    the same name and type (record sets with a routing policy, paged by ``StartRecordIdentifier``).
    """
    api = _api(client)
    types = set(types or [rtype])
    params = {
        "HostedZoneId": zone.id,
        "StartRecordName": name + ".",
        "StartRecordType": rtype,
        "MaxItems": str(page_size),
    }
    found = []
    while True:
        answer = _zone_call(api, zone, "list_resource_record_sets", **params)
        items = answer.get("ResourceRecordSets") or []
        ended = False
        for item in items:
            if _decode_route53_name(item["Name"]) != name:
                ended = True
                break
            if item["Type"] in types:
                found.append(item)
        if (
            ended
            or not follow
            or not answer.get("IsTruncated")
            or _decode_route53_name(answer.get("NextRecordName") or "") != name
            or answer.get("NextRecordType") != rtype
            or not answer.get("NextRecordIdentifier")
        ):
            return found
        params["StartRecordIdentifier"] = answer["NextRecordIdentifier"]


# -- health checks -----------------------------------------------------------------------------


def parse_health_check(spec, record_name=None, region=None):
    """Validate a health check spec; returns it normalised (see the module's ``health_check`` option).

    ``type`` ``tcp`` (default): ``ip_address`` or ``fqdn``, ``port`` (default 5061 for
    ``_sips._tcp`` names, else 5060), ``request_interval`` 10|30, ``failure_threshold`` 1-10.
    ``cloudwatch_metric``: ``alarm_name`` (required), ``alarm_region`` (default ``region``),
    ``insufficient_data_health_status``.
    """
    if not isinstance(spec, dict):
        raise _invalid("health_check must be a dict with at least name, got %r" % (spec,))
    known = set(
        [
            "name",
            "type",
            "ip_address",
            "fqdn",
            "port",
            "request_interval",
            "failure_threshold",
            "alarm_name",
            "alarm_region",
            "insufficient_data_health_status",
            "inverted",
            "disabled",
        ]
    )
    unknown = sorted(k for k, v in spec.items() if v is not None and k not in known)
    if unknown:
        raise _invalid("health_check: unknown key(s) %s" % ", ".join(unknown))
    name = spec.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise _invalid(
            "health_check.name %r: give the Name tag that identifies the health check (1-255 chars)" % (name,)
        )
    kind = spec.get("type") or "tcp"
    if kind not in HEALTH_CHECK_TYPES:
        raise _invalid("health_check.type %r: use one of %s" % (kind, ", ".join(sorted(HEALTH_CHECK_TYPES))))
    inverted = bool(spec.get("inverted"))
    disabled = bool(spec.get("disabled"))
    tcp_keys = [
        k for k in ("ip_address", "fqdn", "port", "request_interval", "failure_threshold") if spec.get(k) is not None
    ]
    alarm_keys = [
        k for k in ("alarm_name", "alarm_region", "insufficient_data_health_status") if spec.get(k) is not None
    ]
    if kind == "cloudwatch_metric":
        if not spec.get("alarm_name"):
            raise _invalid(
                "health_check.type cloudwatch_metric needs an alarm: give alarm_name (and alarm_region) of the "
                "CloudWatch alarm whose state the health check follows"
            )
        if tcp_keys:
            raise _invalid("health_check: %s apply to type tcp, not cloudwatch_metric" % ", ".join(tcp_keys))
        alarm_region = spec.get("alarm_region") or region
        if not alarm_region:
            raise _invalid("health_check.alarm_region is needed: the region of the CloudWatch alarm")
        status = spec.get("insufficient_data_health_status") or "LastKnownStatus"
        if status not in INSUFFICIENT_DATA_STATES:
            raise _invalid(
                "health_check.insufficient_data_health_status %r: use one of %s"
                % (status, ", ".join(INSUFFICIENT_DATA_STATES))
            )
        config = {
            "Type": "CLOUDWATCH_METRIC",
            "AlarmIdentifier": {"Region": alarm_region, "Name": spec["alarm_name"]},
            "InsufficientDataHealthStatus": status,
            "Inverted": inverted,
            "Disabled": disabled,
        }
        return {"name": name.strip(), "type": kind, "config": config}
    if alarm_keys:
        raise _invalid("health_check: %s apply to type cloudwatch_metric, not tcp" % ", ".join(alarm_keys))
    ip_address, fqdn = spec.get("ip_address"), spec.get("fqdn")
    if not ip_address and not fqdn:
        raise _invalid("health_check.type tcp needs the endpoint to probe: ip_address or fqdn")
    default_port = SIPS_PORT if (record_name or "").startswith("_sips.") else SIP_PORT
    port = default_port if spec.get("port") is None else _uint16(spec["port"], "health_check.port")
    if not 1 <= port <= 65535:
        raise _invalid("health_check.port %d is out of range: use 1 to 65535" % port)
    interval = 30 if spec.get("request_interval") is None else spec["request_interval"]
    if interval not in REQUEST_INTERVALS or isinstance(interval, bool):
        raise _invalid("health_check.request_interval %r: use 10 (fast) or 30 seconds" % (interval,))
    threshold = 3 if spec.get("failure_threshold") is None else spec["failure_threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, int) or not 1 <= threshold <= 10:
        raise _invalid("health_check.failure_threshold %r: use 1 to 10" % (threshold,))
    config = {"Type": "TCP", "Port": port, "RequestInterval": interval, "FailureThreshold": threshold}
    if ip_address:
        version = 6 if ":" in str(ip_address) else 4
        config["IPAddress"] = _address(ip_address, version, "health_check.ip_address")
    if fqdn:
        config["FullyQualifiedDomainName"] = normalise_name(fqdn, "health_check.fqdn", hostname=True)
    config.update(Inverted=inverted, Disabled=disabled)
    return {"name": name.strip(), "type": kind, "config": config}


def _caller_reference_prefix(name):
    return CALLER_REFERENCE_PREFIX + hashlib.sha256(name.encode("utf-8")).hexdigest()[:16] + ":"


def _tags_of(api, ids):
    tags = {}
    for start in range(0, len(ids), TAG_BATCH):
        answer = api.call(
            "list_tags_for_resources", ResourceType="healthcheck", ResourceIds=ids[start : start + TAG_BATCH]
        )
        for item in answer.get("ResourceTagSets") or []:
            tags[item["ResourceId"]] = dict((t["Key"], t.get("Value", "")) for t in item.get("Tags") or [])
    return tags


def find_health_check(client, name):
    """The health check whose Name tag is ``name``: ``(health check or None, adoptable orphan or None)``.

    ``ListHealthChecks`` (all pages), then the tags of the health checks this library created for
    that name (known by their CallerReference, one ``ListTagsForResources``). Only when none of them
    carries the Name tag are the tags of the others read (10 per request), so that a health check
    created elsewhere with that Name tag is found too. An orphan is one created here for that name
    whose tagging was interrupted. ``ambiguous`` when several health checks carry the Name tag.
    """
    api = _api(client)
    checks = []
    params = {"MaxItems": "1000"}
    while True:
        answer = api.call("list_health_checks", **params)
        checks.extend(answer.get("HealthChecks") or [])
        if not answer.get("IsTruncated") or not answer.get("NextMarker"):
            break
        params["Marker"] = answer["NextMarker"]
    prefix = _caller_reference_prefix(name)
    ours = [c for c in checks if (c.get("CallerReference") or "").startswith(prefix)]
    tags = _tags_of(api, [c["Id"] for c in ours]) if ours else {}
    named = [c for c in ours if tags.get(c["Id"], {}).get("Name") == name]
    if not named:
        our_ids = set(c["Id"] for c in ours)
        others = [c for c in checks if c["Id"] not in our_ids]
        tags.update(_tags_of(api, [c["Id"] for c in others]) if others else {})
        named = [c for c in others if tags.get(c["Id"], {}).get("Name") == name]
    if len(named) > 1:
        raise Route53SrvError(
            "%d health checks are named %s (%s); keep one and delete or rename the others"
            % (len(named), name, ", ".join(sorted(c["Id"] for c in named))),
            "ambiguous",
        )
    if named:
        return named[0], None
    orphans = [c for c in ours if "Name" not in tags.get(c["Id"], {})]
    return None, (orphans[0] if orphans else None)


def _health_check_update(existing, config, name):
    """The ``UpdateHealthCheck`` parameters turning ``existing`` into ``config`` ({} when equal)."""
    current = existing.get("HealthCheckConfig") or {}
    if current.get("Type") != config["Type"]:
        raise _invalid(
            "health check %s (%s) has type %s, not %s; Route 53 cannot change the type of a health check: use "
            "another name, or delete the old one" % (name, existing["Id"], current.get("Type"), config["Type"])
        )
    if config["Type"] == "TCP" and int(current.get("RequestInterval") or 30) != config["RequestInterval"]:
        raise _invalid(
            "health check %s (%s) probes every %ss, not %ss; Route 53 cannot change request_interval after "
            "creation: use another name, or delete the old one"
            % (name, existing["Id"], current.get("RequestInterval"), config["RequestInterval"])
        )
    update = {}
    for key, value in config.items():
        if key in ("Type", "RequestInterval"):
            continue
        if key == "Port" and current.get(key) is not None:
            differs = int(current[key]) != value
        elif key == "FullyQualifiedDomainName" and current.get(key):
            differs = normalise_name(current[key], "FQDN") != value
        else:
            differs = current.get(key) != value
        if differs:
            update[key] = value
    if config["Type"] == "TCP":
        if current.get("IPAddress") and "IPAddress" not in config:
            raise _invalid(
                "health check %s (%s) probes IP address %s; Route 53 cannot remove the address of a health check: "
                "keep ip_address, or use another name" % (name, existing["Id"], current["IPAddress"])
            )
        if current.get("FullyQualifiedDomainName") and "FullyQualifiedDomainName" not in config:
            update["ResetElements"] = ["FullyQualifiedDomainName"]
    return update


def plan_health_check(client, spec):
    """Read the health check named ``spec['name']`` and decide: ``{"existing", "orphan", "update", "create"}``."""
    existing, orphan = find_health_check(client, spec["name"])
    if existing is None and orphan is not None:
        update = _health_check_update(orphan, spec["config"], spec["name"])
        return {"existing": orphan, "orphan": True, "update": update, "create": False}
    if existing is None:
        return {"existing": None, "orphan": False, "update": {}, "create": True}
    update = _health_check_update(existing, spec["config"], spec["name"])
    return {"existing": existing, "orphan": False, "update": update, "create": False}


def apply_health_check(client, spec, plan):
    """Create, adopt or update the health check as planned; returns its ID."""
    api = _api(client)
    if plan["create"]:
        reference = _caller_reference_prefix(spec["name"]) + uuid.uuid4().hex[:24]
        answer = api.call("create_health_check", CallerReference=reference, HealthCheckConfig=spec["config"])
        health_check_id = answer["HealthCheck"]["Id"]
    else:
        health_check_id = plan["existing"]["Id"]
        if plan["update"]:
            api.call(
                "update_health_check",
                HealthCheckId=health_check_id,
                HealthCheckVersion=plan["existing"].get("HealthCheckVersion", 1),
                **plan["update"],
            )
    if plan["create"] or plan["orphan"]:
        api.call(
            "change_tags_for_resource",
            ResourceType="healthcheck",
            ResourceId=health_check_id,
            AddTags=[{"Key": "Name", "Value": spec["name"]}],
        )
    return health_check_id


def _check_health_check_id(value):
    if not isinstance(value, str) or not re.match(r"^[A-Za-z0-9-]{1,64}$", value):
        raise _invalid(
            "health_check_id %r is not a health check ID such as 01234567-89ab-cdef-0123-456789abcdef" % (value,)
        )
    return value


# -- the one writer ----------------------------------------------------------------------------


class _Request:
    """The validated request of :func:`ensure_srv` (everything checked before any AWS call)."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


def _validate(params, region):
    state = params["state"]
    if state not in STATES:
        raise _invalid("state %r: use present or absent" % (state,))
    if params["name"] is not None and any(params[k] is not None for k in ("service", "protocol", "domain")):
        raise _invalid("name the record by name, or by service + protocol + domain, not both")
    if params["name"] is not None:
        name = check_srv_name(params["name"])
    elif params["domain"] is not None:
        name = srv_record_name(params["service"], params["protocol"], params["domain"])
    else:
        raise _invalid("name the record: name (e.g. _sip._udp.example.com), or domain (with service and protocol)")
    purge = params["purge_targets"]
    targets = parse_targets(params["targets"], state)
    if state == "present" and not targets:
        raise _invalid("state=present needs at least one target; to delete the record set use state=absent")
    if state == "absent" and not purge and not targets:
        raise _invalid(
            "state=absent with purge_targets=false removes the targets listed, and none is listed; list them, or set "
            "purge_targets: true to delete the whole record set"
        )
    ttl = params["ttl"]
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 <= ttl <= 2147483647):
        raise _invalid("ttl %r: use a whole number of seconds from 0 to 2147483647" % (ttl,))
    policy = [params[k] for k in ("routing_weight", "routing_region", "failover", "geolocation")]
    set_identifier = params["set_identifier"]
    if state == "absent" and set_identifier is not None and all(value is None for value in policy):
        # To remove targets from (or delete) a record set, its set identifier is enough: a remaining
        # record set keeps its policy.
        routing = {"SetIdentifier": _set_identifier(set_identifier)}
    else:
        routing = routing_fields(set_identifier, *policy)
    if params["health_check"] is not None and params["health_check_id"] is not None:
        raise _invalid("give health_check (managed here) or health_check_id (an existing one), not both")
    health_check = None
    if params["health_check"] is not None:
        health_check = parse_health_check(params["health_check"], name, region)
    health_check_id = params["health_check_id"]
    if health_check_id:
        health_check_id = _check_health_check_id(health_check_id)
    if state == "present" and (health_check or health_check_id) and not routing:
        raise _invalid(
            "a health check only takes effect on a record set with a routing policy (failover, weighted, latency, "
            "geolocation): give set_identifier and the policy"
        )
    wait_timeout = params["wait_timeout"]
    if isinstance(wait_timeout, bool) or not isinstance(wait_timeout, (int, float)) or wait_timeout <= 0:
        raise _invalid("wait_timeout %r: use a positive number of seconds" % (wait_timeout,))
    hosts = collections.OrderedDict()
    for spec in targets:
        for field, rtype in (("address", "A"), ("address6", "AAAA")):
            if spec[field] is not None:
                hosts.setdefault(spec["target"], {})[rtype] = spec[field]
    return _Request(
        name=name,
        state=state,
        purge=purge,
        targets=targets,
        ttl=ttl,
        routing=routing,
        set_identifier=routing.get("SetIdentifier"),
        health_check=health_check if state == "present" else None,
        health_check_id=health_check_id,
        hosts=hosts,
    )


def _check_in_zone(request, zone):
    """``invalid`` unless the record name and every host whose address is managed lie in the zone."""
    for name in [request.name, *request.hosts]:
        if in_zone(name, zone.name):
            continue
        if name == request.name:
            raise _invalid(
                "the name %s is outside the zone %s (%s); give the zone that holds it" % (name, zone.name, zone.id)
            )
        raise _invalid(
            "the target %s is outside the zone %s (%s): its A/AAAA record cannot be managed in this zone; drop "
            "address/address6 for it" % (name, zone.name, zone.id)
        )


def _read(api, zone, request):
    """The state concerned: the SRV record sets of the name and the A/AAAA/CNAME of each managed host."""
    snapshot = {
        "srv": read_record_sets(
            api,
            zone,
            request.name,
            "SRV",
            page_size=ROUTING_PAGE if request.set_identifier else 1,
            follow=bool(request.set_identifier),
        ),
        "hosts": {},
    }
    for host, wanted in request.hosts.items():
        both = len(wanted) == 2
        snapshot["hosts"][host] = read_record_sets(
            api,
            zone,
            host,
            "A" if "A" in wanted else "AAAA",
            page_size=2 if both else 1,
            types=("A", "AAAA", "CNAME"),
        )
    return snapshot


def _check_srv_group(request, group, current, keep):
    """Refuse what Route 53 would refuse about the record sets of the name and type (honest check mode)."""
    label = "%s SRV" % request.name
    routed = [r for r in group if r.get("SetIdentifier")]
    simple = [r for r in group if not r.get("SetIdentifier")]
    if request.set_identifier is None and routed:
        raise _invalid(
            "%s has record sets with a routing policy (set_identifier %s); give set_identifier and the policy to "
            "manage one of them" % (label, ", ".join(sorted(r["SetIdentifier"] for r in routed)))
        )
    if request.set_identifier is not None and simple:
        raise _invalid(
            "%s is a simple record set (no routing policy); a record set with set_identifier %s cannot sit beside it: "
            "delete it first (state: absent without set_identifier)" % (label, request.set_identifier)
        )
    if not keep or request.set_identifier is None:
        return
    wanted = policy_of(request.routing)
    for other in group:
        if other is current:
            continue
        policy = policy_of(other)
        if policy != wanted:
            raise _invalid(
                "%s record sets use %s routing (set_identifier %s), so this one cannot use %s routing; all record "
                "sets of a name and type share one policy" % (label, policy, other["SetIdentifier"], wanted)
            )
        for field, what in (("Failover", "failover role"), ("Region", "latency region"), ("GeoLocation", "location")):
            if field in request.routing and other.get(field) == request.routing[field]:
                raise _invalid(
                    "%s already has a record set with %s %s (set_identifier %s); each may be used once"
                    % (label, what, request.routing[field], other["SetIdentifier"])
                )


def _plan(api, zone, request, snapshot, health_check_id):
    """The record sets before and after, and the change batch; raises ``invalid`` for a refused request.

    ``health_check_id``: the health check the record set should use; None keeps the current one,
    "" removes it.
    """
    group = snapshot["srv"]
    current = None
    for record_set in group:
        if record_set.get("SetIdentifier") == request.set_identifier:
            current = record_set
    after, added, removed = merge_targets(srv_targets(current), request.targets, request.state, request.purge)
    _check_srv_group(request, group, current, bool(after) and request.state == "present")
    # Given by ID, the zone's name is read only when a name concerned has no record set yet (one
    # that exists proves its name lies in the zone).
    unproven = [] if group else [request.name]
    unproven.extend(host for host in request.hosts if not snapshot["hosts"][host])
    if zone.name is None and unproven:
        zone_name(api, zone)
    if zone.name is not None:
        _check_in_zone(request, zone)
    new = None
    if after:
        if request.state == "present":
            routing = request.routing
        else:  # what remains keeps its policy
            routing = dict((key, current[key]) for key in _ROUTING_KEYS if current.get(key) is not None)
        # None keeps the current health check, "" removes it.
        hc_id = (current or {}).get("HealthCheckId") if health_check_id is None else (health_check_id or None)
        new = build_record_set(
            request.name, "SRV", _srv_ttl(request, current, group), [format_srv_value(t) for t in after], routing, hc_id
        )
    pairs = [(current, new), *_host_pairs(request, snapshot)]
    return {
        "current": current,
        "new": new,
        "after": after,
        "added": added,
        "removed": removed,
        "pairs": pairs,
        "changes": build_change_batch(pairs),
    }


def _srv_ttl(request, current, group):
    """The TTL asked for; else the current one; else that of the other record sets of the name (Route 53
    gives all weighted record sets of a name the TTL written last); else :data:`DEFAULT_TTL`."""
    if request.ttl is not None:
        return request.ttl
    for record_set in [current] + [r for r in group if r is not current]:
        if record_set and record_set.get("TTL") is not None:
            return int(record_set["TTL"])
    return DEFAULT_TTL


def _host_pairs(request, snapshot):
    pairs = []
    for host, wanted in request.hosts.items():
        found = snapshot["hosts"][host]
        cname = [r for r in found if r["Type"] == "CNAME"]
        if cname:
            raise _invalid(
                "target %s is a CNAME, so it can have no A/AAAA record; drop address/address6 for it, or delete "
                "the CNAME first" % host
            )
        for rtype in ("A", "AAAA"):
            if rtype not in wanted:
                continue
            existing = [r for r in found if r["Type"] == rtype]
            special = [r for r in existing if r.get("SetIdentifier") or r.get("AliasTarget")]
            if special:
                raise _invalid(
                    "the %s record of target %s is an alias or has a routing policy; this module manages only a "
                    "simple %s record per host: drop address%s for it"
                    % (rtype, host, rtype, "6" if rtype == "AAAA" else "")
                )
            old = existing[0] if existing else None
            address = wanted[rtype]
            if request.state == "absent":
                if old is None:
                    continue
                values = _canonical_values(old)
                if values != frozenset([address]):
                    raise _invalid(
                        "the %s record of target %s holds %s, not %s; not deleting it: correct the address, or drop "
                        "it from the target" % (rtype, host, ", ".join(sorted(values)), address)
                    )
                pairs.append((old, None))
            else:
                ttl = request.ttl if request.ttl is not None else int((old or {}).get("TTL") or DEFAULT_TTL)
                pairs.append((old, build_record_set(host, rtype, ttl, [address])))
    return pairs


def ensure_srv(
    client,
    zone=None,
    hosted_zone_id=None,
    private_zone=False,
    vpc_id=None,
    name=None,
    service=None,
    protocol=None,
    domain=None,
    targets=None,
    state="present",
    purge_targets=True,
    ttl=None,
    set_identifier=None,
    routing_weight=None,
    routing_region=None,
    failover=None,
    geolocation=None,
    health_check_id=None,
    health_check=None,
    wait=False,
    wait_timeout=DEFAULT_WAIT_TIMEOUT,
    check_mode=False,
    max_conflict_retries=DEFAULT_CONFLICT_RETRIES,
):
    """Make an SRV record set hold the targets asked for (``present``), or not (``absent``).

    See the module documentation for the options. ``health_check_id=""`` removes the record set's
    health check; ``None`` (and no ``health_check``) keeps the current one. ``ttl=None`` keeps the
    current TTL (300 for a new record set).

    Returns a dict: ``changed``, ``zone`` (``id``, ``name``, ``private_zone``), ``name``,
    ``set_identifier``, ``targets`` (after the run, as dicts), ``added``, ``removed``,
    ``record_sets`` (the record sets concerned after the run, in Route 53's form), ``change_id``,
    ``change_status``, ``conflicts`` (races lost and retried), ``health_check`` (when managed:
    ``id``, ``name``, ``created``, ``updated``, ``config``), ``api_requests`` (the API operations
    sent) and ``before``/``after`` for a diff.
    """
    api = _api(client)
    request = _validate(
        {
            "name": name,
            "service": service,
            "protocol": protocol,
            "domain": domain,
            "targets": targets,
            "state": state,
            "purge_targets": purge_targets,
            "ttl": ttl,
            "set_identifier": set_identifier,
            "routing_weight": routing_weight,
            "routing_region": routing_region,
            "failover": failover,
            "geolocation": geolocation,
            "health_check_id": health_check_id,
            "health_check": health_check,
            "wait_timeout": wait_timeout,
        },
        api.region,
    )
    # 1. Read and validate everything; nothing is written before all of it passed.
    with _ReadOnly(api, check_mode):
        the_zone = find_zone(api, zone, hosted_zone_id, private_zone, vpc_id)
        if the_zone.name is not None:
            _check_in_zone(request, the_zone)
        snapshot = _read(api, the_zone, request)
        hc_plan = None
        wanted_hc = request.health_check_id
        if request.health_check is not None:
            hc_plan = plan_health_check(api, request.health_check)
            existing = hc_plan["existing"]
            wanted_hc = existing["Id"] if existing else "(new health check %s)" % request.health_check["name"]
        plan = _plan(api, the_zone, request, snapshot, wanted_hc)
        if (
            request.health_check_id
            and plan["new"]
            and request.health_check_id != (plan["current"] or {}).get("HealthCheckId")
        ):
            _check_health_check_exists(api, request.health_check_id)
        before = _diff_view(plan["pairs"], 0)
        hc_changed = bool(hc_plan and (hc_plan["create"] or hc_plan["update"] or hc_plan["orphan"]))
        if check_mode or not (plan["changes"] or hc_changed):
            return _result(api, the_zone, request, plan, None, 0, hc_plan, wanted_hc, before)

    # 2. Write: the health check first (the record set refers to it), then one change batch.
    if hc_plan is not None and hc_changed:
        wanted_hc = apply_health_check(api, request.health_check, hc_plan)
        plan = _plan(api, the_zone, request, snapshot, wanted_hc)
    change, conflicts = None, 0
    while plan["changes"]:
        try:
            answer = _zone_call(
                api,
                the_zone,
                "change_resource_record_sets",
                HostedZoneId=the_zone.id,
                ChangeBatch={"Comment": CHANGE_COMMENT, "Changes": plan["changes"]},
            )
            change = answer["ChangeInfo"]
        except Route53SrvError as exc:
            if exc.code != "InvalidChangeBatch":
                raise
            # 3. Optimistic concurrency: a DELETE of values that are no longer current is refused.
            # Read again; if another writer changed the record sets, plan again from what it left.
            fresh = _read(api, the_zone, request)
            if fresh == snapshot:  # nobody else changed anything: Route 53 refused the batch itself
                raise Route53SrvError(
                    "Route 53 refused the change: %s (%s); nothing was changed"
                    % (exc.aws_message or exc.message, exc.code),
                    "invalid",
                    exc.action,
                    exc.code,
                ) from None
            conflicts += 1
            if conflicts > max_conflict_retries:
                raise Route53SrvError(
                    "another writer changed the record sets of %s each time this run tried to change them (%d times); "
                    "this run changed nothing; run again" % (request.name, conflicts),
                    "conflict",
                    exc.action,
                    exc.code,
                ) from None
            api.backoff(conflicts)
            snapshot = fresh
            plan = _plan(api, the_zone, request, snapshot, wanted_hc)
            before = _diff_view(plan["pairs"], 0)
            continue
        break
    # 4. Optionally wait until Route 53 has propagated the change to all its name servers.
    if change is not None and wait and change.get("Status") != "INSYNC":
        change_id = change["Id"]
        change = wait_for(
            api,
            lambda: api.call("get_change", Id=change_id)["ChangeInfo"],
            lambda info: info.get("Status") == "INSYNC",
            wait_timeout,
            "change %s of %s to be INSYNC" % (change_id, request.name),
            lambda info: info.get("Status"),
        )
    return _result(api, the_zone, request, plan, change, conflicts, hc_plan, wanted_hc, before)


def _check_health_check_exists(api, health_check_id):
    try:
        api.call("get_health_check", HealthCheckId=health_check_id)
    except Route53SrvError as exc:
        if exc.kind == "not_found":
            raise Route53SrvError(
                "health_check_id %s: no such health check; check the ID" % health_check_id,
                "not_found",
                exc.action,
                exc.code,
            ) from None
        raise


def _diff_view(pairs, index):
    return dict(
        ("%s %s" % (view["name"], view["type"]), view)
        for view in (record_view(pair[index]) for pair in pairs)
        if view is not None
    )


def _result(api, zone, request, plan, change, conflicts, hc_plan, health_check_id, before):
    after_sets = [pair[1] for pair in plan["pairs"] if pair[1] is not None]
    health = None
    if hc_plan is not None:
        health = {
            "id": None if str(health_check_id).startswith("(new") else health_check_id,
            "name": request.health_check["name"],
            "created": hc_plan["create"],
            "updated": bool(hc_plan["update"]),
            "config": request.health_check["config"],
        }
    changed = bool(plan["changes"]) or bool(hc_plan and (hc_plan["create"] or hc_plan["update"] or hc_plan["orphan"]))
    return {
        "changed": changed,
        "zone": zone.to_dict(),
        "name": request.name,
        "set_identifier": request.set_identifier,
        "targets": [t.to_dict() for t in plan["after"]],
        "added": [t.to_dict() for t in plan["added"]],
        "removed": [t.to_dict() for t in plan["removed"]],
        "record_sets": after_sets,
        "change_id": change["Id"] if change else None,
        "change_status": change.get("Status") if change else None,
        "conflicts": conflicts,
        "health_check": health,
        "api_requests": api.requests(),
        "before": before,
        "after": _diff_view(plan["pairs"], 1),
    }
