# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Amazon Chime SDK Voice Connector groups: up to three connectors, usually in different AWS Regions, that
inbound calls try in priority order -- the PSTN side of a multi-region failover.

:func:`ensure_voice_connector_group` validates the request without AWS, reads the group (by ID, or by name:
two groups of one name fail), resolves the connectors it lists (by ID or by name, with one
``ListVoiceConnectors`` call), and then changes what differs.  Deleting a group takes its phone numbers
off first, then its connectors, then the group, as the service requires.

Needs boto3/botocore and the standard library only; imports nothing from ``ansible``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from .chime_voice_connector import (
    PAGE_SIZE,
    change_phone_numbers,
    list_voice_connectors,
    phone_number_changes,
    read_phone_numbers,
    timestamp,
)
from .chime_voice_connector_api import ChimeVoiceError, Features, ReadOnly, as_api, invalid
from .chime_voice_connector_model import (
    ABSENT,
    PRESENT,
    check_connector_id,
    check_name,
    check_range,
    validate_phone_numbers,
)

MAX_ITEMS = 3  # "Limit: 3 VoiceConnectorItems per Voice Connector group."
MAX_PRIORITY = 99


def validate_group(params, features):
    """Validate a ``chime_voice_connector_group`` request without any API call; return it normalized."""
    get = params.get
    state = get("state") or PRESENT
    if state not in (PRESENT, ABSENT):
        raise invalid("invalid state %r: use present or absent" % (state,))
    request = {
        "state": state,
        "name": None if get("name") is None else check_name(get("name")),
        "voice_connector_group_id": get("voice_connector_group_id"),
        "call_distribution_type": get("call_distribution_type"),
        "voice_connectors": None,
        "phone_numbers": None,
    }
    group_id = request["voice_connector_group_id"]
    if group_id is not None and (not isinstance(group_id, str) or not group_id.strip()):
        raise invalid("voice_connector_group_id is empty")
    if not (request["name"] or group_id):
        raise invalid("name the Voice Connector group by name or voice_connector_group_id")
    if get("wait_timeout") is not None:
        check_range(get("wait_timeout"), 0, 3600, "wait_timeout")
    if state == ABSENT:
        return request
    if request["call_distribution_type"] is not None:
        features.require(features.call_distribution_type, "call_distribution_type")
        allowed = features.call_distribution_types
        if allowed and request["call_distribution_type"] not in allowed:
            raise invalid(
                "invalid call_distribution_type %r: use one of %s"
                % (request["call_distribution_type"], ", ".join(allowed))
            )
    items = get("voice_connectors")
    if items is not None:
        if len(items) > MAX_ITEMS:
            raise invalid(
                "voice_connectors lists %d connectors; a Voice Connector group takes at most %d"
                % (len(items), MAX_ITEMS)
            )
        request["voice_connectors"] = [_item(item, index, features) for index, item in enumerate(items)]
    request["phone_numbers"] = validate_phone_numbers(
        get("phone_numbers"), get("purge_phone_numbers"), get("force_associate")
    )
    return request


def _item(item, index, features):
    what = "voice_connectors[%d]" % index
    item = item or {}
    vc_id, name = item.get("voice_connector_id"), item.get("name")
    if bool(vc_id) == bool(name):
        raise invalid("%s names its connector by voice_connector_id or by name, exactly one of them" % what)
    return {
        "voice_connector_id": None if vc_id is None else check_connector_id(vc_id, features),
        "name": None if name is None else check_name(name, what + ".name"),
        "priority": check_range(item.get("priority"), 1, MAX_PRIORITY, what + ".priority"),
    }


def group_view(group, connectors=None):
    """A ``VoiceConnectorGroup`` description as snake_case data; its connectors in priority order."""
    if not group:
        return None
    known = dict((vc["VoiceConnectorId"], vc) for vc in connectors or [])
    items = []
    for item in sorted(group.get("VoiceConnectorItems") or [], key=_item_key):
        entry = {"voice_connector_id": item["VoiceConnectorId"], "priority": item.get("Priority")}
        vc = known.get(item["VoiceConnectorId"])
        if vc is not None:
            entry.update(name=vc.get("Name"), aws_region=vc.get("AwsRegion"))
        items.append(entry)
    return {
        "voice_connector_group_id": group.get("VoiceConnectorGroupId"),
        "name": group.get("Name"),
        "arn": group.get("VoiceConnectorGroupArn"),
        "call_distribution_type": group.get("CallDistributionType"),
        "voice_connectors": items,
        "created_timestamp": timestamp(group.get("CreatedTimestamp")),
        "updated_timestamp": timestamp(group.get("UpdatedTimestamp")),
    }


def _item_key(item):
    return (item.get("Priority") or 0, item["VoiceConnectorId"])


def _settings(view):
    if view is None:
        return None
    return {
        "name": view["name"],
        "call_distribution_type": view["call_distribution_type"],
        "voice_connectors": [
            {"voice_connector_id": i["voice_connector_id"], "priority": i["priority"]} for i in view["voice_connectors"]
        ],
    }


def list_groups(api):
    return api.list_all("list_voice_connector_groups", "VoiceConnectorGroups", MaxResults=PAGE_SIZE)


def find_group(api, name=None, group_id=None):
    """The ``VoiceConnectorGroup`` named by ID (one Get) or by name (List), or None; two of one name fail."""
    if group_id:
        return api.get_or_none("get_voice_connector_group", "VoiceConnectorGroup", VoiceConnectorGroupId=group_id)
    matches = [g for g in list_groups(api) if g.get("Name") == name]
    if len(matches) > 1:
        raise ChimeVoiceError(
            "%d Voice Connector groups are named %r: %s; name the one meant by voice_connector_group_id"
            % (len(matches), name, ", ".join(g.get("VoiceConnectorGroupId") for g in matches)),
            "ambiguous",
        )
    return matches[0] if matches else None


def _resolve_items(items, connectors):
    """VoiceConnectorItems for the requested items; every connector must exist, names must be unique."""
    resolved = []
    by_id = dict((vc["VoiceConnectorId"], vc) for vc in connectors)
    for index, item in enumerate(items):
        what = "voice_connectors[%d]" % index
        if item["voice_connector_id"]:
            if item["voice_connector_id"] not in by_id:
                raise ChimeVoiceError(
                    "%s: Voice Connector %s does not exist" % (what, item["voice_connector_id"]), "not_found"
                )
            vc_id = item["voice_connector_id"]
        else:
            named = [vc for vc in connectors if vc.get("Name") == item["name"]]
            if not named:
                raise ChimeVoiceError("%s: no Voice Connector is named %r" % (what, item["name"]), "not_found")
            if len(named) > 1:
                raise ChimeVoiceError(
                    "%s: %d Voice Connectors are named %r (%s); use voice_connector_id"
                    % (what, len(named), item["name"], ", ".join(vc["VoiceConnectorId"] for vc in named)),
                    "ambiguous",
                )
            vc_id = named[0]["VoiceConnectorId"]
        if vc_id in [r["VoiceConnectorId"] for r in resolved]:
            raise invalid("voice_connectors lists Voice Connector %s twice" % vc_id)
        resolved.append({"VoiceConnectorId": vc_id, "Priority": item["priority"]})
    return sorted(resolved, key=_item_key)


def _items_set(items):
    return sorted((i["VoiceConnectorId"], i.get("Priority")) for i in items or [])


def ensure_voice_connector_group(client, params, check_mode=False):
    """Make a Voice Connector group match ``params`` (the ``chime_voice_connector_group`` module's options).

    Returns a dict: ``changed``, ``created``, ``deleted``, ``voice_connector_group`` (None when absent),
    ``phone_numbers`` (when managed or deleted) and ``before``/``after`` for a diff.
    """
    api = as_api(client)
    features = Features(api.client)
    request = validate_group(params, features)
    if params.get("wait_timeout") is not None:
        api.found_timeout = params["wait_timeout"]
    with ReadOnly(api, check_mode):
        current = find_group(api, request["name"], request["voice_connector_group_id"])
        if request["state"] == ABSENT:
            steps, result = _plan_absent(api, current)
        else:
            if current is None and request["voice_connector_group_id"]:
                raise ChimeVoiceError(
                    "Voice Connector group %s does not exist; leave voice_connector_group_id out to create one by name"
                    % request["voice_connector_group_id"],
                    "not_found",
                )
            if current is None and not request["name"]:
                raise invalid("a new Voice Connector group needs a name")
            steps, result = _plan_present(api, request, current)
        result["changed"] = bool(steps)
        connectors = result.pop("_connectors", None)
        if check_mode or not steps:
            return result
    state = {"group": current, "done": False}
    for step in steps:
        try:
            step(api, state)
        except ChimeVoiceError as exc:
            exc.changed = exc.changed or state["done"]
            raise
        state["done"] = True
    if state["group"] is not None and request["state"] != ABSENT:
        result["voice_connector_group"] = group_view(state["group"], connectors)
        result["after"]["voice_connector_group"] = _settings(result["voice_connector_group"])
    return result


def _plan_absent(api, current):
    result = {
        "created": False,
        "deleted": current is not None,
        "voice_connector_group": None,
        "before": {"voice_connector_group": _settings(group_view(current))},
        "after": {"voice_connector_group": None},
    }
    if current is None:
        return [], result
    group_id = current["VoiceConnectorGroupId"]
    numbers = read_phone_numbers(api, "VoiceConnectorGroupId", group_id)
    result["before"]["phone_numbers"] = numbers
    result["after"]["phone_numbers"] = []
    result["phone_numbers_disassociated"] = numbers
    steps = []
    if numbers:
        steps.append(
            lambda a, s: change_phone_numbers(
                a,
                "disassociate_phone_numbers_from_voice_connector_group",
                "VoiceConnectorGroupId",
                group_id,
                numbers,
                "disassociating from Voice Connector group %s:" % group_id,
            )
        )
    if current.get("VoiceConnectorItems"):
        params = {"VoiceConnectorGroupId": group_id, "Name": current["Name"], "VoiceConnectorItems": []}
        if current.get("CallDistributionType"):
            params["CallDistributionType"] = current["CallDistributionType"]
        steps.append(lambda a, s: a.call("update_voice_connector_group", **params))
    steps.append(lambda a, s: a.call("delete_voice_connector_group", VoiceConnectorGroupId=group_id))
    return steps, result


def _plan_present(api, request, current):
    connectors = None
    items = None
    if request["voice_connectors"] is not None:
        connectors = list_voice_connectors(api)
        items = _resolve_items(request["voice_connectors"], connectors)
    name = request["name"] or current["Name"]
    distribution = request["call_distribution_type"]
    steps = []
    if current is None:
        params = {"Name": name}
        if items:
            params["VoiceConnectorItems"] = items
        if distribution:
            params["CallDistributionType"] = distribution

        def create(a, s):
            s["group"] = a.call("create_voice_connector_group", **params)["VoiceConnectorGroup"]
            a.created(s["group"]["VoiceConnectorGroupId"])

        steps.append(create)
        planned = dict(params, VoiceConnectorGroupId=None, VoiceConnectorItems=items or [])
    else:
        group_id = current["VoiceConnectorGroupId"]
        planned = dict(current, Name=name)
        if items is not None:
            planned["VoiceConnectorItems"] = items
        if distribution:
            planned["CallDistributionType"] = distribution
        differs = (
            name != current.get("Name")
            or _items_set(planned.get("VoiceConnectorItems")) != _items_set(current.get("VoiceConnectorItems"))
            or planned.get("CallDistributionType") != current.get("CallDistributionType")
        )
        if differs:
            params = {
                "VoiceConnectorGroupId": group_id,
                "Name": name,
                "VoiceConnectorItems": planned.get("VoiceConnectorItems") or [],
            }
            if planned.get("CallDistributionType"):
                params["CallDistributionType"] = planned["CallDistributionType"]

            def update(a, s):
                s["group"] = a.call("update_voice_connector_group", **params).get("VoiceConnectorGroup") or dict(
                    s["group"], **params
                )

            steps.append(update)
    view = group_view(planned, connectors)
    result = {
        "created": current is None,
        "deleted": False,
        "voice_connector_group": view,
        "before": {"voice_connector_group": _settings(group_view(current))},
        "after": {"voice_connector_group": _settings(view)},
        "_connectors": connectors,
    }
    numbers_request = request["phone_numbers"]
    if numbers_request is not None:
        group_id = (current or {}).get("VoiceConnectorGroupId")
        now = read_phone_numbers(api, "VoiceConnectorGroupId", group_id) if group_id else []
        to_add, to_remove = phone_number_changes(now, numbers_request)
        result["before"]["phone_numbers"] = now
        result["after"]["phone_numbers"] = sorted((set(now) - set(to_remove)) | set(to_add))
        result["phone_numbers"] = result["after"]["phone_numbers"]
        result["phone_numbers_associated"] = to_add
        result["phone_numbers_disassociated"] = to_remove
        if to_remove:
            steps.append(_numbers_step("disassociate", to_remove))
        if to_add:
            steps.append(_numbers_step("associate", to_add, numbers_request["force"]))
    return steps, result


def _numbers_step(verb, numbers, force=False):
    method = (
        "associate_phone_numbers_with_voice_connector_group"
        if verb == "associate"
        else "disassociate_phone_numbers_from_voice_connector_group"
    )

    def step(api, state):
        group_id = state["group"]["VoiceConnectorGroupId"]
        what = "%sing %s Voice Connector group %s:" % (verb[:-1], "with" if verb == "associate" else "from", group_id)
        change_phone_numbers(api, method, "VoiceConnectorGroupId", group_id, numbers, what, force=force)

    return step


def describe_groups(client, group_id=None, name=None):
    """Voice Connector groups by ID, by name, or all, each with its connectors' names and regions."""
    api = as_api(client)
    if group_id:
        found = api.get_or_none("get_voice_connector_group", "VoiceConnectorGroup", VoiceConnectorGroupId=group_id)
        groups = [found] if found else []
    else:
        groups = [g for g in list_groups(api) if name is None or g.get("Name") == name]
    connectors = list_voice_connectors(api) if any(g.get("VoiceConnectorItems") for g in groups) else []
    return [group_view(g, connectors) for g in groups]
