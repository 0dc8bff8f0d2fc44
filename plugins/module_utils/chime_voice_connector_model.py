# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Voice Connector settings as plain data: validation of a request, the service's answers as comparable
views, merging a partial request over what exists, and the API parameters of a view.

A *view* is the snake_case form of one sub-configuration that the modules return, diff and compare.
Lists that are sets for the service (routes by host/port/protocol, CIDRs, calling regions, notification
targets, DNIS entries) are sorted in a view, so that two views are equal exactly when the settings are.

Every check of :func:`validate_connector` runs before any API call; the few that need the current
state (UDP routes on a connector whose encryption is unmanaged) run in :func:`merge_origination`, still
before anything is changed.

Standard library only (Python 3.8+); imports nothing from ``ansible``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from .chime_voice_connector_api import invalid
from .chime_voice_connector_regions import VOICE_CONNECTOR_REGIONS

MAX_ROUTES = 20
MAX_NOTIFICATION_TARGETS = 3
MAX_TAGS = 50
MIN_CIDR_PREFIX, MAX_CIDR_PREFIX = 27, 32
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
NAME = re.compile(r"^[a-zA-Z0-9 _.-]{1,256}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
PRESENT, ABSENT = "present", "absent"
SUBCONFIGS = ("origination", "termination", "logging", "streaming", "emergency_calling", "external_systems")

# ISO 3166-1 alpha-2: the codes officially assigned (249).  CallingRegions and CallingCountry are
# documented as "in ISO 3166-1 alpha-2 format"; which of them the service accepts for termination is
# not published as data, so an assigned code the service does not serve is refused by AWS itself.
_ISO_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY
    BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM
    FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT
    JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN
    MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT
    PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL
    TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
"""
ISO_3166_ALPHA2 = frozenset(_ISO_CODES.split())


# -- single values -------------------------------------------------------------------------------


def check_e164(value, what):
    if not isinstance(value, str) or not E164.match(value):
        raise invalid(
            "invalid %s %r: use E.164 format, a + followed by the country code and number, up to 15 digits "
            "(for example +12065550100)" % (what, value)
        )
    return value


def check_country(value, what):
    code = value.strip().upper() if isinstance(value, str) else value
    if code not in ISO_3166_ALPHA2:
        raise invalid("unknown %s %r: use an ISO 3166-1 alpha-2 country code such as US, GB or DE" % (what, value))
    return code


def check_range(value, low, high, what):
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        high_text = "" if high is None else " and %d" % high
        raise invalid("%s %r is out of range: use an integer between %d%s" % (what, value, low, high_text))
    return value


def check_name(value, what="name"):
    if not isinstance(value, str) or not NAME.match(value):
        raise invalid(
            "invalid %s %r: use 1-256 characters of letters, digits, space, underscore, period and hyphen"
            % (what, value)
        )
    return value


def check_cidr(value):
    """``value`` as a canonical public CIDR the termination allow-list accepts (IPv4: /27 to /32)."""
    text = value.strip() if isinstance(value, str) else value
    try:
        network = ipaddress.ip_network(text, strict=True)
    except (TypeError, ValueError):
        try:
            network = ipaddress.ip_network(text, strict=False)
        except (TypeError, ValueError):
            raise invalid(
                "malformed CIDR %r in termination.cidr_allow_list: expected an address block such as 52.94.0.10/32"
                % (value,)
            ) from None
        raise invalid(
            "CIDR %r in termination.cidr_allow_list has host bits set; did you mean %s?" % (value, network)
        ) from None
    if not network.is_global:
        raise invalid(
            "CIDR %s in termination.cidr_allow_list is not a public address block: Voice Connector termination "
            "accepts calls from public addresses only (list the Elastic IPs of the edge, not private addresses)"
            % network
        )
    if network.version == 4 and not MIN_CIDR_PREFIX <= network.prefixlen <= MAX_CIDR_PREFIX:
        raise invalid(
            "CIDR %s in termination.cidr_allow_list is too wide: termination allow-lists take IPv4 blocks from /%d "
            "to /%d; list the addresses of the SIP hosts themselves" % (network, MIN_CIDR_PREFIX, MAX_CIDR_PREFIX)
        )
    return str(network)


def check_host(value):
    """An origination host: an IP address or a DNS name (returned lower-case)."""
    text = value.strip() if isinstance(value, str) else ""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    name = text.lower().rstrip(".")
    if len(name) > 253 or not name or not all(_LABEL.match(label) for label in name.split(".")):
        raise invalid(
            "invalid origination route host %r: use an IP address or a DNS name such as sip.example.com (no port, "
            "no scheme; the port goes in port)" % (value,)
        )
    return name


def check_ascii(value, what, allow_empty=False):
    if not isinstance(value, str) or (not value and not allow_empty):
        raise invalid("%s is empty" % what)
    if any(not 0x20 <= ord(char) <= 0x7E for char in value):
        raise invalid("%s contains characters outside printable US-ASCII (RFC 2617 credentials are US-ASCII)" % what)
    return value


def _distinct_sorted(values):
    return sorted(set(values))


# -- the request ---------------------------------------------------------------------------------


def validate_connector(params, features):
    """Validate a ``chime_voice_connector`` request (the module's options as a dict) without any API call.

    Returns the request normalized: each sub-configuration is None (unmanaged), ``{"state": "absent"}``,
    or its given fields with None for each field left out.  Raises an ``invalid`` (or ``unsupported``)
    :class:`ChimeVoiceError` naming the option at fault.
    """
    get = params.get
    state = get("state") or PRESENT
    if state not in (PRESENT, ABSENT):
        raise invalid("invalid state %r: use present or absent" % (state,))
    request = {
        "state": state,
        "name": None,
        "voice_connector_id": None,
        "connector_region": get("connector_region"),
        "network_type": get("network_type"),
        "integration_type": get("integration_type"),
        "recreate": bool(get("recreate")),
        "require_encryption": get("require_encryption"),
        "wait_timeout": get("wait_timeout"),
    }
    if get("name") is not None:
        request["name"] = check_name(get("name"))
    if get("voice_connector_id") is not None:
        request["voice_connector_id"] = check_connector_id(get("voice_connector_id"), features)
    if not (request["name"] or request["voice_connector_id"]):
        raise invalid("name the Voice Connector by name or voice_connector_id")
    if request["wait_timeout"] is not None:
        check_range(request["wait_timeout"], 0, 3600, "wait_timeout")
    regions = features.regions or VOICE_CONNECTOR_REGIONS
    region = request["connector_region"]
    if region is not None and region not in regions:
        raise invalid("connector_region %r has no Voice Connectors: use one of %s" % (region, ", ".join(regions)))
    if request["network_type"] is not None:
        features.require(features.network_type, "network_type")
        _check_enum(request["network_type"], features.network_types, "network_type")
    if request["integration_type"] is not None:
        features.require(features.integration_type, "integration_type")
        _check_enum(request["integration_type"], features.integration_types, "integration_type")
    if state == ABSENT:
        return request
    request["origination"] = _origination(get("origination"), request["require_encryption"])
    request["termination"] = _termination(get("termination"))
    request["credentials"] = _credentials(
        get("termination_credentials"), get("update_password"), get("purge_credentials")
    )
    request["logging"] = _logging(get("logging"))
    request["streaming"] = _streaming(get("streaming"))
    request["emergency_calling"] = _emergency(get("emergency_calling"))
    request["external_systems"] = _external(get("external_systems"), features)
    request["phone_numbers"] = validate_phone_numbers(
        get("phone_numbers"), get("purge_phone_numbers"), get("force_associate")
    )
    request["tags"] = validate_tags(get("tags"), get("purge_tags"))
    return request


def check_connector_id(value, features):
    if not isinstance(value, str) or not re.match("^(?:%s)$" % features.connector_id_pattern, value):
        raise invalid(
            "malformed voice_connector_id %r: expected an ID of 21-22 lower-case letters and digits such as "
            "abcdef1ghij2klmno3pqr4" % (value,)
        )
    return value


def _check_enum(value, allowed, what):
    if allowed and value not in allowed:
        raise invalid("invalid %s %r: use one of %s" % (what, value, ", ".join(allowed)))
    return value


def _part_state(part, what, fields):
    """The ``state`` of a sub-configuration dict; refuse settings given with ``state: absent``."""
    state = part.get("state") or PRESENT
    if state not in (PRESENT, ABSENT):
        raise invalid("invalid %s.state %r: use present or absent" % (what, state))
    if state == ABSENT:
        given = sorted(f for f in fields if part.get(f) is not None)
        if given:
            raise invalid(
                "%s.state is absent, which removes the whole %s; leave out %s" % (what, what, ", ".join(given))
            )
    return state


def _origination(part, require_encryption):
    if part is None:
        return None
    if _part_state(part, "origination", ("routes", "disabled")) == ABSENT:
        return {"state": ABSENT}
    routes = part.get("routes")
    if routes is not None:
        if len(routes) > MAX_ROUTES:
            raise invalid("origination has %d routes; a Voice Connector takes at most %d" % (len(routes), MAX_ROUTES))
        routes = [_route(route, index, require_encryption) for index, route in enumerate(routes)]
    if routes is None and part.get("disabled") is None:
        raise invalid("origination needs routes or disabled (or state: absent)")
    return {"state": PRESENT, "routes": routes, "disabled": part.get("disabled")}


def _route(route, index, require_encryption):
    what = "origination.routes[%d]" % index
    if not isinstance(route, dict) or route.get("host") is None:
        raise invalid("%s needs a host" % what)
    protocol = route.get("protocol")
    if protocol is not None:
        protocol = str(protocol).upper()
        if protocol not in ("TCP", "UDP"):
            raise invalid("invalid %s.protocol %r: use TCP or UDP" % (what, route.get("protocol")))
        if protocol == "UDP" and require_encryption:
            raise invalid(
                "%s uses UDP, but require_encryption is true: an encrypted Voice Connector sends SIP over TLS, "
                "which needs TCP; set protocol: TCP (and the host's TLS port, usually 5061)" % what
            )
    port = route.get("port")
    if port is not None:
        check_range(port, 1, 65535, what + ".port")
    priority = route.get("priority", 1)
    weight = route.get("weight", 1)
    return {
        "host": check_host(route["host"]),
        "port": port,
        "protocol": protocol,
        "priority": check_range(1 if priority is None else priority, 1, 100, what + ".priority"),
        "weight": check_range(1 if weight is None else weight, 1, 100, what + ".weight"),
    }


def _termination(part):
    if part is None:
        return None
    fields = ("cidr_allow_list", "calling_regions", "cps_limit", "default_phone_number", "disabled")
    if _part_state(part, "termination", fields) == ABSENT:
        return {"state": ABSENT}
    result = {"state": PRESENT, "disabled": part.get("disabled")}
    cidrs = part.get("cidr_allow_list")
    result["cidr_allow_list"] = None if cidrs is None else _distinct_sorted(check_cidr(c) for c in cidrs)
    regions = part.get("calling_regions")
    result["calling_regions"] = (
        None if regions is None else _distinct_sorted(check_country(r, "termination calling region") for r in regions)
    )
    cps = part.get("cps_limit")
    result["cps_limit"] = None if cps is None else check_range(cps, 1, None, "termination.cps_limit")
    number = part.get("default_phone_number")
    result["default_phone_number"] = None if number is None else check_e164(number, "termination.default_phone_number")
    return result


def _credentials(items, update_password, purge):
    if items is None:
        return None
    update_password = update_password or "always"
    if update_password not in ("always", "on_create"):
        raise invalid("invalid update_password %r: use always or on_create" % (update_password,))
    seen = set()
    credentials = []
    for index, item in enumerate(items):
        what = "termination_credentials[%d]" % index
        username = check_ascii((item or {}).get("username"), what + ".username")
        # The password is never named or quoted in a message.
        check_ascii((item or {}).get("password"), what + ".password (for user %s)" % username)
        if username in seen:
            raise invalid("duplicate username %r in termination_credentials: each user has one password" % (username,))
        seen.add(username)
        credentials.append({"username": username, "password": item["password"]})
    return {"items": credentials, "update_password": update_password, "purge": bool(purge)}


def _logging(part):
    if part is None:
        return None
    if _part_state(part, "logging", ("enable_sip_logs", "enable_media_metric_logs")) == ABSENT:
        return {"state": ABSENT}
    if part.get("enable_sip_logs") is None and part.get("enable_media_metric_logs") is None:
        raise invalid("logging needs enable_sip_logs or enable_media_metric_logs (or state: absent)")
    return {
        "state": PRESENT,
        "enable_sip_logs": part.get("enable_sip_logs"),
        "enable_media_metric_logs": part.get("enable_media_metric_logs"),
    }


def _streaming(part):
    if part is None:
        return None
    if _part_state(part, "streaming", ("data_retention_in_hours", "disabled", "notification_targets")) == ABSENT:
        return {"state": ABSENT}
    hours = part.get("data_retention_in_hours")
    if hours is not None:
        check_range(hours, 0, None, "streaming.data_retention_in_hours")
    targets = part.get("notification_targets")
    if targets is not None:
        targets = _distinct_sorted(targets)
        for target in targets:
            _check_enum(target, ("EventBridge", "SNS", "SQS"), "streaming.notification_targets entry")
        if len(targets) > MAX_NOTIFICATION_TARGETS:
            raise invalid("streaming.notification_targets takes at most %d targets" % MAX_NOTIFICATION_TARGETS)
    return {
        "state": PRESENT,
        "data_retention_in_hours": hours,
        "disabled": part.get("disabled"),
        "notification_targets": targets,
    }


def _emergency(part):
    if part is None:
        return None
    if _part_state(part, "emergency_calling", ("dnis",)) == ABSENT:
        return {"state": ABSENT}
    if part.get("dnis") is None:
        raise invalid("emergency_calling needs dnis (or state: absent)")
    entries = []
    for index, item in enumerate(part["dnis"]):
        what = "emergency_calling.dnis[%d]" % index
        item = item or {}
        test = item.get("test_phone_number")
        entry = {
            "emergency_phone_number": check_e164(item.get("emergency_phone_number"), what + ".emergency_phone_number"),
            "test_phone_number": None if test is None else check_e164(test, what + ".test_phone_number"),
            "calling_country": check_country(item.get("calling_country"), what + ".calling_country"),
        }
        if entry not in entries:
            entries.append(entry)
    return {"state": PRESENT, "dnis": sorted(entries, key=_dnis_key)}


def _external(part, features):
    if part is None:
        return None
    features.require(features.external_systems, "external_systems")
    fields = ("session_border_controller_types", "contact_center_system_types")
    if _part_state(part, "external_systems", fields) == ABSENT:
        return {"state": ABSENT}
    result = {"state": PRESENT}
    for field, allowed in ((fields[0], features.sbc_types), (fields[1], features.contact_center_types)):
        values = part.get(field)
        if values is not None:
            values = _distinct_sorted(values)
            for value in values:
                _check_enum(value, allowed, "external_systems.%s entry" % field)
        result[field] = values
    if result[fields[0]] is None and result[fields[1]] is None:
        raise invalid("external_systems needs %s or %s (or state: absent)" % fields)
    return result


def validate_phone_numbers(numbers, purge, force):
    if numbers is None:
        return None
    return {
        "numbers": _distinct_sorted(check_e164(n, "phone number") for n in numbers),
        "purge": bool(purge),
        "force": bool(force),
    }


def validate_tags(tags, purge):
    if tags is None:
        return None
    if not isinstance(tags, dict):
        raise invalid("tags must be a dictionary of key: value")
    if len(tags) > MAX_TAGS:
        raise invalid("%d tags given; a Voice Connector takes at most %d" % (len(tags), MAX_TAGS))
    clean = {}
    for key, value in tags.items():
        key = str(key)
        value = "" if value is None else str(value)
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise invalid("tag %r: keys take 1-128 characters, values up to 256" % key)
        clean[key] = value
    return {"tags": clean, "purge": True if purge is None else bool(purge)}


# -- the service's answers as views --------------------------------------------------------------


def _route_key(route):
    return (route["host"], route["port"], route["protocol"])


def _dnis_key(entry):
    return (entry["calling_country"], entry["emergency_phone_number"], entry["test_phone_number"] or "")


def _host_view(host):
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return str(host).lower().rstrip(".")


def origination_view(api_value):
    if not api_value:  # NotFound, or an empty answer: not configured
        return None
    routes = [
        {
            "host": _host_view(r.get("Host", "")),
            "port": r.get("Port", 5060),
            "protocol": r.get("Protocol", "UDP"),
            "priority": r.get("Priority", 1),
            "weight": r.get("Weight", 1),
        }
        for r in api_value.get("Routes") or []
    ]
    return {"routes": sorted(routes, key=_route_key), "disabled": bool(api_value.get("Disabled", False))}


def termination_view(api_value):
    if not api_value:  # NotFound, or an empty answer: not configured
        return None
    return {
        "cidr_allow_list": _distinct_sorted(api_value.get("CidrAllowedList") or []),
        "calling_regions": _distinct_sorted(api_value.get("CallingRegions") or []),
        "cps_limit": api_value.get("CpsLimit", 1),
        "default_phone_number": api_value.get("DefaultPhoneNumber"),
        "disabled": bool(api_value.get("Disabled", False)),
    }


def logging_view(api_value):
    api_value = api_value or {}
    return {
        "enable_sip_logs": bool(api_value.get("EnableSIPLogs", False)),
        "enable_media_metric_logs": bool(api_value.get("EnableMediaMetricLogs", False)),
    }


def streaming_view(api_value):
    if not api_value:  # NotFound, or an empty answer: not configured
        return None
    return {
        "data_retention_in_hours": api_value.get("DataRetentionInHours", 0),
        "disabled": bool(api_value.get("Disabled", False)),
        "notification_targets": _distinct_sorted(
            t.get("NotificationTarget") for t in api_value.get("StreamingNotificationTargets") or []
        ),
    }


def emergency_view(api_value):
    if api_value is None or not api_value.get("DNIS"):
        return None
    entries = [
        {
            "emergency_phone_number": d.get("EmergencyPhoneNumber"),
            "test_phone_number": d.get("TestPhoneNumber"),
            "calling_country": d.get("CallingCountry"),
        }
        for d in api_value["DNIS"]
    ]
    return {"dnis": sorted(entries, key=_dnis_key)}


def external_view(api_value):
    if not api_value or not (
        api_value.get("SessionBorderControllerTypes") or api_value.get("ContactCenterSystemTypes")
    ):
        return None
    return {
        "session_border_controller_types": _distinct_sorted(api_value.get("SessionBorderControllerTypes") or []),
        "contact_center_system_types": _distinct_sorted(api_value.get("ContactCenterSystemTypes") or []),
    }


# -- merging a request over the current view -----------------------------------------------------


def resolve_routes(routes, encrypted):
    """Fill in each route's port and protocol (TLS 5061/TCP when encrypted, else 5060/UDP); refuse duplicates."""
    resolved = []
    seen = set()
    for index, route in enumerate(routes):
        route = dict(route)
        if route["protocol"] is None:
            route["protocol"] = "TCP" if encrypted else "UDP"
        if route["port"] is None:
            route["port"] = 5061 if encrypted else 5060
        if route["protocol"] == "UDP" and encrypted:
            raise invalid(
                "origination.routes[%d] (%s) uses UDP, but the Voice Connector requires encryption: SIP goes over "
                "TLS, which needs TCP; set protocol: TCP" % (index, route["host"])
            )
        key = _route_key(route)
        if key in seen:
            raise invalid("origination.routes lists %s port %d %s twice; each host/port/protocol is one route" % key)
        seen.add(key)
        resolved.append(route)
    return sorted(resolved, key=_route_key)


def merge_origination(request, current, encrypted):
    """The origination view after the run; ``current`` is its view now (None when not configured)."""
    if request["routes"] is not None:
        routes = resolve_routes(request["routes"], encrypted)
    else:
        routes = list((current or {}).get("routes") or [])
        if encrypted:
            udp = [r["host"] for r in routes if r["protocol"] == "UDP"]
            if udp:
                raise invalid(
                    "the Voice Connector would require encryption, but its origination routes to %s use UDP; list "
                    "origination.routes with TCP (TLS) in the same task" % ", ".join(udp)
                )
    disabled = request["disabled"]
    if disabled is None:
        disabled = (current or {}).get("disabled", False)
    if not routes and not disabled:
        raise invalid("origination needs at least one route unless it is disabled")
    return {"routes": routes, "disabled": bool(disabled)}


def merge_termination(request, current):
    merged = dict(current or {"cps_limit": 1, "default_phone_number": None, "disabled": False})
    for field in ("cidr_allow_list", "calling_regions", "cps_limit", "default_phone_number", "disabled"):
        if request.get(field) is not None:
            merged[field] = request[field]
    missing = [f for f in ("calling_regions", "cidr_allow_list") if not merged.get(f)]
    if missing:
        raise invalid(
            "termination needs %s: the countries calls may go to and the public addresses of the SIP hosts"
            % " and ".join(missing)
        )
    return merged


def merge_logging(request, current):
    if request["state"] == ABSENT:
        return {"enable_sip_logs": False, "enable_media_metric_logs": False}
    merged = dict(current)
    for field in ("enable_sip_logs", "enable_media_metric_logs"):
        if request.get(field) is not None:
            merged[field] = request[field]
    return merged


def merge_streaming(request, current):
    merged = dict(current or {"disabled": False, "notification_targets": []})
    for field in ("data_retention_in_hours", "disabled", "notification_targets"):
        if request.get(field) is not None:
            merged[field] = request[field]
    if merged.get("data_retention_in_hours") is None:
        raise invalid("streaming needs data_retention_in_hours when it is first configured (0 keeps no data)")
    return merged


def merge_external(request, current):
    merged = dict(current or {"session_border_controller_types": [], "contact_center_system_types": []})
    for field in ("session_border_controller_types", "contact_center_system_types"):
        if request.get(field) is not None:
            merged[field] = request[field]
    return merged


# -- views as API parameters ---------------------------------------------------------------------


def origination_api(view):
    routes = [
        {
            "Host": r["host"],
            "Port": r["port"],
            "Protocol": r["protocol"],
            "Priority": r["priority"],
            "Weight": r["weight"],
        }
        for r in view["routes"]
    ]
    value = {"Disabled": view["disabled"]}
    if routes:
        value["Routes"] = routes
    return value


def termination_api(view):
    value = {
        "CpsLimit": view["cps_limit"],
        "CallingRegions": list(view["calling_regions"]),
        "CidrAllowedList": list(view["cidr_allow_list"]),
        "Disabled": view["disabled"],
    }
    if view.get("default_phone_number"):
        value["DefaultPhoneNumber"] = view["default_phone_number"]
    return value


def logging_api(view):
    return {"EnableSIPLogs": view["enable_sip_logs"], "EnableMediaMetricLogs": view["enable_media_metric_logs"]}


def streaming_api(view, current_api=None):
    value = {"DataRetentionInHours": view["data_retention_in_hours"], "Disabled": view["disabled"]}
    if view["notification_targets"]:
        value["StreamingNotificationTargets"] = [{"NotificationTarget": t} for t in view["notification_targets"]]
    # Not managed by the module: carried over unchanged so that a Put does not drop it.
    if current_api and current_api.get("MediaInsightsConfiguration"):
        value["MediaInsightsConfiguration"] = current_api["MediaInsightsConfiguration"]
    return value


def emergency_api(view):
    entries = []
    for entry in view["dnis"]:
        item = {"EmergencyPhoneNumber": entry["emergency_phone_number"], "CallingCountry": entry["calling_country"]}
        if entry.get("test_phone_number"):
            item["TestPhoneNumber"] = entry["test_phone_number"]
        entries.append(item)
    return {"DNIS": entries}


def external_api(view):
    return {
        "SessionBorderControllerTypes": list(view["session_border_controller_types"]),
        "ContactCenterSystemTypes": list(view["contact_center_system_types"]),
    }


def tags_changes(current, request):
    """(to_set, to_unset) turning the ``current`` tags dict into the requested ones; ``aws:`` keys are kept."""
    wanted = request["tags"]
    to_set = dict((k, v) for k, v in wanted.items() if current.get(k) != v)
    to_unset = sorted(k for k in current if request["purge"] and k not in wanted and not k.startswith("aws:"))
    return to_set, to_unset
