# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Amazon Chime SDK Voice Connectors (managed SIP trunks): find, converge, tear down, describe.

:func:`ensure_voice_connector` follows one pattern:

1. validate the request without AWS (:func:`validate_connector`: CIDRs, routes, E.164 numbers, calling
   regions, credentials, regions, create-only fields the installed botocore does not know);
2. read what exists -- the connector (by ID, or by name: names are not unique, so two matches fail)
   and only the sub-configurations the request manages -- and validate the request against it
   (create-only fields, UDP routes on an encrypted connector, origination/termination removal while
   emergency calling stays), so that a refused request changes nothing;
3. change what differs, in the order the service requires (in check mode only ``Get``/``List`` calls
   are made): phone numbers are disassociated before emergency calling is deleted, emergency calling
   before origination and termination, all of them before the connector.

A sub-configuration the request leaves out (None) is not read and not changed; within one, a field left
out keeps its current value.  Termination passwords are write-only: the service lists usernames only,
so ``update_password: always`` rewrites every listed password on each run (reported as a change) and
``on_create`` sets a password only for a username that does not exist yet.

Needs boto3/botocore and the standard library only; imports nothing from ``ansible``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from .chime_voice_connector_api import ChimeVoiceError, Features, ReadOnly, as_api, invalid
from .chime_voice_connector_model import (
    ABSENT,
    SUBCONFIGS,
    emergency_api,
    emergency_view,
    external_api,
    external_view,
    logging_api,
    logging_view,
    merge_external,
    merge_logging,
    merge_origination,
    merge_streaming,
    merge_termination,
    origination_api,
    origination_view,
    streaming_api,
    streaming_view,
    tags_changes,
    termination_api,
    termination_view,
    validate_connector,
)
from .chime_voice_connector_regions import DEFAULT_AWS_REGION, VOICE_CONNECTOR_REGIONS, signalling

OUTBOUND_DOMAIN = "voiceconnector.chime.aws"
PAGE_SIZE = 100

# sub-configuration -> (Get method, answer key, view, Put method, Delete method or None)
_SUBCONFIG_API = {
    "origination": (
        "get_voice_connector_origination",
        "Origination",
        origination_view,
        "put_voice_connector_origination",
        "delete_voice_connector_origination",
    ),
    "termination": (
        "get_voice_connector_termination",
        "Termination",
        termination_view,
        "put_voice_connector_termination",
        "delete_voice_connector_termination",
    ),
    "logging": (
        "get_voice_connector_logging_configuration",
        "LoggingConfiguration",
        logging_view,
        "put_voice_connector_logging_configuration",
        None,
    ),
    "streaming": (
        "get_voice_connector_streaming_configuration",
        "StreamingConfiguration",
        streaming_view,
        "put_voice_connector_streaming_configuration",
        "delete_voice_connector_streaming_configuration",
    ),
    "emergency_calling": (
        "get_voice_connector_emergency_calling_configuration",
        "EmergencyCallingConfiguration",
        emergency_view,
        "put_voice_connector_emergency_calling_configuration",
        "delete_voice_connector_emergency_calling_configuration",
    ),
    "external_systems": (
        "get_voice_connector_external_systems_configuration",
        "ExternalSystemsConfiguration",
        external_view,
        "put_voice_connector_external_systems_configuration",
        "delete_voice_connector_external_systems_configuration",
    ),
}
_PUT_KEYS = {
    "origination": "Origination",
    "termination": "Termination",
    "logging": "LoggingConfiguration",
    "streaming": "StreamingConfiguration",
    "emergency_calling": "EmergencyCallingConfiguration",
}


# -- reading -------------------------------------------------------------------------------------


def connector_view(vc):
    """The connector description of the API (``VoiceConnector``) as plain snake_case data."""
    if not vc:
        return None
    vc_id = vc.get("VoiceConnectorId")
    return {
        "voice_connector_id": vc_id,
        "name": vc.get("Name"),
        "arn": vc.get("VoiceConnectorArn"),
        "aws_region": vc.get("AwsRegion"),
        "outbound_host_name": vc.get("OutboundHostName") or ("%s.%s" % (vc_id, OUTBOUND_DOMAIN) if vc_id else None),
        "require_encryption": vc.get("RequireEncryption"),
        "network_type": vc.get("NetworkType"),
        "integration_type": vc.get("IntegrationType"),
        "created_timestamp": timestamp(vc.get("CreatedTimestamp")),
        "updated_timestamp": timestamp(vc.get("UpdatedTimestamp")),
    }


def timestamp(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _settings(view):
    """The part of a connector view that a diff shows (what a task can set)."""
    if view is None:
        return None
    keys = ("voice_connector_id", "name", "aws_region", "require_encryption", "network_type", "integration_type")
    return dict((k, view.get(k)) for k in keys)


def list_voice_connectors(api):
    return api.list_all("list_voice_connectors", "VoiceConnectors", MaxResults=PAGE_SIZE)


def find_voice_connector(api, name=None, voice_connector_id=None, connector_region=None):
    """The ``VoiceConnector`` description named by ID (one Get) or by name (List), or None.

    Names are not unique: when several connectors bear ``name``, ``connector_region`` may single one out;
    otherwise the lookup fails with an ``ambiguous`` error listing them.
    """
    if voice_connector_id:
        return api.get_or_none("get_voice_connector", "VoiceConnector", VoiceConnectorId=voice_connector_id)
    matches = [vc for vc in list_voice_connectors(api) if vc.get("Name") == name]
    if len(matches) > 1 and connector_region:
        in_region = [vc for vc in matches if vc.get("AwsRegion") == connector_region]
        if len(in_region) == 1:
            return in_region[0]
    if len(matches) > 1:
        raise ChimeVoiceError(
            "%d Voice Connectors are named %r: %s; name the one meant by voice_connector_id (names are not unique)"
            % (
                len(matches),
                name,
                ", ".join("%s (%s)" % (vc.get("VoiceConnectorId"), vc.get("AwsRegion")) for vc in matches),
            ),
            "ambiguous",
        )
    return matches[0] if matches else None


def read_subconfig(api, kind, vc_id):
    """(view, raw API value) of one sub-configuration; the view is None when it is not configured."""
    get, key, view = _SUBCONFIG_API[kind][:3]
    raw = api.get_or_none(get, key, VoiceConnectorId=vc_id)
    return view(raw), raw


def read_usernames(api, vc_id):
    try:
        answer = api.call("list_voice_connector_termination_credentials", VoiceConnectorId=vc_id)
    except ChimeVoiceError as exc:
        if exc.code == "NotFoundException":  # no termination, hence no credentials
            return []
        raise
    return sorted(set(answer.get("Usernames") or []))


def read_phone_numbers(api, filter_name, target_id):
    """The E.164 numbers associated with a connector (``VoiceConnectorId``) or group (``VoiceConnectorGroupId``)."""
    numbers = api.list_all(
        "list_phone_numbers", "PhoneNumbers", FilterName=filter_name, FilterValue=target_id, MaxResults=PAGE_SIZE
    )
    return sorted(set(n["E164PhoneNumber"] for n in numbers if n.get("E164PhoneNumber")))


def read_tags(api, arn):
    answer = api.call("list_tags_for_resource", ResourceARN=arn)
    return dict((t["Key"], t["Value"]) for t in answer.get("Tags") or [])


def groups_of(api, vc_id):
    """The Voice Connector groups that list ``vc_id`` among their connectors."""
    groups = api.list_all("list_voice_connector_groups", "VoiceConnectorGroups", MaxResults=PAGE_SIZE)
    return [
        g for g in groups if any(item.get("VoiceConnectorId") == vc_id for item in g.get("VoiceConnectorItems") or [])
    ]


# -- phone numbers (shared with the group module) ------------------------------------------------


def phone_number_changes(current, request):
    """(to_add, to_remove) for a phone-number request (``numbers``, ``purge``)."""
    wanted = set(request["numbers"])
    to_add = sorted(wanted - set(current))
    to_remove = sorted(set(current) - wanted) if request["purge"] else []
    return to_add, to_remove


def change_phone_numbers(api, method, id_param, target_id, numbers, what, force=False):
    """Associate or disassociate ``numbers``; fail (``partial_failure``) on any ``PhoneNumberErrors``.

    The service reports numbers it refused inside a successful answer; here any refusal fails the task,
    naming each number with the service's error code and message (``changed`` tells whether any was taken).
    """
    params = {id_param: target_id, "E164PhoneNumbers": list(numbers)}
    if force:
        params["ForceAssociate"] = True
    answer = api.call(method, **params)
    errors = answer.get("PhoneNumberErrors") or []
    if not errors:
        return
    refused = [
        {
            "phone_number": api.scrub(e.get("PhoneNumberId")),
            "error_code": e.get("ErrorCode"),
            "error_message": api.scrub(e.get("ErrorMessage") or ""),
        }
        for e in errors
    ]
    refused_numbers = set(r["phone_number"] for r in refused)
    done = [n for n in numbers if n not in refused_numbers]
    raise ChimeVoiceError(
        "%s %d of %d phone numbers failed: %s%s"
        % (
            what,
            len(refused),
            len(numbers),
            "; ".join("%s: %s %s" % (r["phone_number"], r["error_code"], r["error_message"]) for r in refused),
            "; done for %s" % ", ".join(done) if done else "",
        ),
        "partial_failure",
        api.action(method),
        changed=bool(done),
        details={"phone_number_errors": refused, "succeeded": done},
    )


# -- the plan ------------------------------------------------------------------------------------


class _Run:
    """What a run changes: ordered steps (each a callable of the run), and the views before and after."""

    def __init__(self, api):
        self.api = api
        self.steps = []
        self.before = {}
        self.after = {}
        self.extra = {}
        self.vc = None  # the VoiceConnector description the steps act on (replaced after a create)
        self.done_any = False

    def step(self, label, function):
        self.steps.append((label, function))

    @property
    def vc_id(self):
        return (self.vc or {}).get("VoiceConnectorId")

    def call(self, method, **params):
        answer = self.api.call(method, **params)
        self.done_any = True
        return answer

    def apply(self):
        for _label, function in self.steps:
            try:
                function(self)
            except ChimeVoiceError as exc:
                exc.changed = exc.changed or self.done_any
                raise


def ensure_voice_connector(client, params, check_mode=False):
    """Make a Voice Connector match ``params`` (the ``chime_voice_connector`` module's options).

    Returns a dict: ``changed``, ``created``, ``recreated``, ``deleted``, ``voice_connector`` (None when
    absent), each managed sub-configuration's view after the run, ``termination_credentials``
    (usernames, never passwords), ``phone_numbers``, ``tags``, ``signalling`` and ``before``/``after``
    for a diff.  Raises :class:`ChimeVoiceError`.
    """
    api = as_api(client)
    features = Features(api.client)
    request = validate_connector(params, features)
    for item in (request.get("credentials") or {}).get("items", []):
        api.add_secret(item["password"])
    if request["wait_timeout"] is not None:
        api.found_timeout = request["wait_timeout"]
    check_api_region(api)

    with ReadOnly(api, check_mode):
        current = find_voice_connector(api, request["name"], request["voice_connector_id"], request["connector_region"])
        if request["state"] == ABSENT:
            run = _teardown(api, current)
            run.extra["deleted"] = current is not None
        else:
            if current is None and request["voice_connector_id"]:
                raise ChimeVoiceError(
                    "Voice Connector %s does not exist (API region %s); leave voice_connector_id out to create one "
                    "by name, or check the ID, region and endpoint_url" % (request["voice_connector_id"], api.region),
                    "not_found",
                )
            conflicts = _create_only_conflicts(request, current)
            if conflicts and not request["recreate"]:
                raise ChimeVoiceError(_create_only_message(current, conflicts), "create_only")
            if conflicts:
                teardown = _teardown(api, current)
                run = _plan_present(api, request, None)
                run.steps[0:0] = teardown.steps
                run.before.update(teardown.before)
                run.extra["recreated"] = True
            else:
                run = _plan_present(api, request, current)
        result = _result(run, request)
        if check_mode or not result["changed"]:
            return result
    run.apply()
    return _result(run, request)


def check_api_region(api):
    """Refuse an API region without a Chime SDK Voice endpoint (unless endpoint_url points elsewhere)."""
    meta = getattr(api.client, "meta", None)
    region = getattr(meta, "region_name", None)
    endpoint = str(getattr(meta, "endpoint_url", "") or "")
    if not region or not endpoint.split("/")[2:3] or not endpoint.split("/")[2].endswith(".amazonaws.com"):
        return
    try:
        import botocore.session  # pylint: disable=import-outside-toplevel

        available = botocore.session.get_session().get_available_regions(
            "chime-sdk-voice", partition_name=getattr(meta, "partition", "aws") or "aws"
        )
    except Exception:  # pylint: disable=broad-except  # no endpoint data: let the call itself tell
        return
    if available and region not in available:
        raise invalid(
            "region %s has no Amazon Chime SDK Voice endpoint; use one of %s (the API region; the connector's own "
            "region is connector_region)" % (region, ", ".join(sorted(available)))
        )


def default_connector_region(api):
    """The Region of a new connector without ``connector_region``: the API's, else the service default."""
    region = getattr(getattr(api.client, "meta", None), "region_name", None)
    regions = Features(api.client).regions or VOICE_CONNECTOR_REGIONS
    return region if region in regions else DEFAULT_AWS_REGION


def _create_only_conflicts(request, current):
    if current is None:
        return []
    conflicts = []
    for option, key, default in (
        ("connector_region", "AwsRegion", None),
        ("network_type", "NetworkType", "IPV4_ONLY"),  # older connectors have no NetworkType: IPv4 only
        ("integration_type", "IntegrationType", None),
    ):
        wanted = request.get(option)
        have = current.get(key) or default
        if wanted is not None and wanted != have:
            conflicts.append((option, have, wanted))
    return conflicts


def _create_only_message(current, conflicts):
    changes = "; ".join("%s is %s, the task asks for %s" % (o, h or "not set", w) for o, h, w in conflicts)
    return (
        "%s cannot be changed on an existing Voice Connector (%s, %s): %s. Set recreate: true to delete it and "
        "create a new one (a new ID and outbound host name; its phone numbers are disassociated first), or give "
        "the new connector its own name"
        % (
            " and ".join(o for o, _h, _w in conflicts),
            current.get("Name"),
            current.get("VoiceConnectorId"),
            changes,
        )
    )


def _teardown(api, current):
    """The steps deleting ``current`` (None: nothing to do), in the order the service requires."""
    run = _Run(api)
    run.vc = current
    run.before["voice_connector"] = _settings(connector_view(current))
    run.after["voice_connector"] = None
    if current is None:
        return run
    vc_id = current["VoiceConnectorId"]
    groups = groups_of(api, vc_id)
    if groups:
        raise ChimeVoiceError(
            "Voice Connector %s (%s) is in Voice Connector group %s; remove it from the group first "
            "(rtc.ec2_fleet.chime_voice_connector_group), then delete it"
            % (
                current.get("Name"),
                vc_id,
                ", ".join("%s (%s)" % (g.get("Name"), g.get("VoiceConnectorGroupId")) for g in groups),
            ),
            "in_use",
        )
    numbers = read_phone_numbers(api, "VoiceConnectorId", vc_id)
    configured = dict(
        (kind, read_subconfig(api, kind, vc_id)[0]) for kind in ("emergency_calling", "origination", "termination")
    )
    run.before["phone_numbers"] = numbers
    run.extra["phone_numbers_disassociated"] = numbers
    if numbers:
        run.step("disassociate phone numbers", _numbers_step("disassociate", numbers, vc_id=vc_id))
    for kind in ("emergency_calling", "origination", "termination"):
        if configured[kind] is not None:
            run.step("delete " + kind, _delete_step(kind, vc_id))
    run.step("delete the connector", lambda r: r.call("delete_voice_connector", VoiceConnectorId=vc_id))
    return run


def _delete_step(kind, vc_id=None):
    method = _SUBCONFIG_API[kind][4]

    def step(run):
        try:
            run.call(method, VoiceConnectorId=vc_id or run.vc_id)
        except ChimeVoiceError as exc:
            if exc.code != "NotFoundException":  # deleted meanwhile
                raise

    return step


def _put_step(kind, api_value):
    method = _SUBCONFIG_API[kind][3]

    def step(run):
        if kind == "external_systems":
            run.call(method, VoiceConnectorId=run.vc_id, **api_value)
        else:
            run.call(method, VoiceConnectorId=run.vc_id, **{_PUT_KEYS[kind]: api_value})

    return step


def _plan_present(api, request, current):
    """The steps making the connector (``current``, None: to be created) match ``request``."""
    run = _Run(api)
    run.vc = current
    vc_id = (current or {}).get("VoiceConnectorId")
    new = current is None
    if new and not request["name"]:
        raise invalid("a new Voice Connector needs a name")
    encrypted = request["require_encryption"]
    if encrypted is None:
        encrypted = True if new else bool(current.get("RequireEncryption"))
    turning_encryption_on = not new and encrypted and not current.get("RequireEncryption")

    # What exists now, for the managed parts only (nothing exists on a connector yet to be created).
    now = {}
    raw = {}
    for kind in SUBCONFIGS:
        part = request.get(kind)
        needed = part is not None or (kind == "origination" and turning_encryption_on)
        if kind == "emergency_calling" and not needed:
            needed = any((request.get(k) or {}).get("state") == ABSENT for k in ("origination", "termination"))
        if needed:
            now[kind], raw[kind] = (None, None) if new else read_subconfig(api, kind, vc_id)
    if "logging" in now:
        now["logging"] = now["logging"] or logging_view(None)
    usernames = None if request["credentials"] is None or new else read_usernames(api, vc_id)
    numbers = None if request["phone_numbers"] is None or new else read_phone_numbers(api, "VoiceConnectorId", vc_id)
    tags = None if request["tags"] is None or new else read_tags(api, current["VoiceConnectorArn"])

    # What the run leaves: merge each managed part over what exists.
    later = {}
    for kind in SUBCONFIGS:
        part = request.get(kind)
        if part is None:
            later[kind] = now.get(kind)
            continue
        later[kind] = _merge(kind, part, now.get(kind), encrypted)
    if turning_encryption_on and request.get("origination") is None:
        udp = [r["host"] for r in (now.get("origination") or {}).get("routes", []) if r["protocol"] == "UDP"]
        if udp:
            raise invalid(
                "require_encryption: true would make the Voice Connector send SIP over TLS, but its origination "
                "routes to %s use UDP; list origination.routes with protocol TCP in the same task" % ", ".join(udp)
            )
    for kind in ("origination", "termination"):
        removing = now.get(kind) is not None and later[kind] is None
        if removing and later.get("emergency_calling") is not None:
            raise invalid(
                "%s cannot be deleted while emergency calling is configured on the Voice Connector; set "
                "emergency_calling: {state: absent} in the same task (it is deleted first)" % kind
            )

    _plan_connector(run, request, current, encrypted)
    for kind in SUBCONFIGS:
        if request.get(kind) is not None:
            run.before[kind] = now.get(kind)
            run.after[kind] = later[kind]

    if tags is not None:
        _plan_tags(run, request["tags"], tags)
    elif request["tags"] is not None:
        run.before["tags"], run.after["tags"] = {}, dict(request["tags"]["tags"])

    to_add = []
    if request["phone_numbers"] is not None:
        to_add = _plan_numbers(run, request["phone_numbers"], numbers or [])

    # Removals first: emergency calling goes before origination and termination may.
    if now.get("emergency_calling") is not None and later["emergency_calling"] is None:
        run.step("delete emergency calling", _delete_step("emergency_calling"))
    if request.get("termination") is not None:
        _plan_subconfig(run, "termination", now.get("termination"), later["termination"], raw.get("termination"))
    if request["credentials"] is not None:
        _plan_credentials(run, request["credentials"], usernames or [])
    for kind in ("origination", "logging", "streaming", "external_systems"):
        if request.get(kind) is not None:
            _plan_subconfig(run, kind, now.get(kind), later[kind], raw.get(kind))
    if later.get("emergency_calling") is not None and later["emergency_calling"] != now.get("emergency_calling"):
        run.step("put emergency calling", _put_step("emergency_calling", emergency_api(later["emergency_calling"])))
    if to_add:
        force = request["phone_numbers"]["force"]
        run.step("associate phone numbers", _numbers_step("associate", to_add, force=force))
    return run


def _merge(kind, part, current, encrypted):
    if part["state"] == ABSENT and kind != "logging":
        return None
    if kind == "origination":
        return merge_origination(part, current, encrypted)
    if kind == "termination":
        return merge_termination(part, current)
    if kind == "logging":
        return merge_logging(part, current)
    if kind == "streaming":
        return merge_streaming(part, current)
    if kind == "external_systems":
        return merge_external(part, current)
    return {"dnis": part["dnis"]}  # emergency_calling: the list is the whole setting


def _plan_connector(run, request, current, encrypted):
    name = request["name"] or (current or {}).get("Name")
    if current is None:
        params = {"Name": name, "RequireEncryption": encrypted}
        for option, key in (
            ("connector_region", "AwsRegion"),
            ("network_type", "NetworkType"),
            ("integration_type", "IntegrationType"),
        ):
            if request.get(option) is not None:
                params[key] = request[option]
        # Always explicit: the connector lives in the API's Region unless connector_region says otherwise.
        params.setdefault("AwsRegion", default_connector_region(run.api))
        if request["tags"] is not None and request["tags"]["tags"]:
            params["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(request["tags"]["tags"].items())]

        def create(run):
            answer = run.call("create_voice_connector", **params)
            run.vc = answer["VoiceConnector"]
            run.api.created(run.vc_id)

        run.step("create the connector", create)
        planned = {
            "VoiceConnectorId": None,
            "Name": name,
            "AwsRegion": params["AwsRegion"],
            "RequireEncryption": encrypted,
            "NetworkType": request.get("network_type"),
            "IntegrationType": request.get("integration_type"),
        }
        run.before.setdefault("voice_connector", None)
        run.after["voice_connector"] = _settings(connector_view(planned))
        run.extra["created"] = True
        run.extra["planned_vc"] = planned
        return
    run.before["voice_connector"] = _settings(connector_view(current))
    if name != current.get("Name") or encrypted != bool(current.get("RequireEncryption")):
        vc_id = current["VoiceConnectorId"]

        def update(run):
            answer = run.call("update_voice_connector", VoiceConnectorId=vc_id, Name=name, RequireEncryption=encrypted)
            run.vc = answer.get("VoiceConnector") or dict(run.vc, Name=name, RequireEncryption=encrypted)

        run.step("update the connector", update)
        planned = dict(current, Name=name, RequireEncryption=encrypted)
        run.extra["planned_vc"] = planned
        run.after["voice_connector"] = _settings(connector_view(planned))
    else:
        run.after["voice_connector"] = run.before["voice_connector"]


def _plan_tags(run, request, current):
    to_set, to_unset = tags_changes(current, request)
    after = dict((k, v) for k, v in current.items() if k not in to_unset)
    after.update(to_set)
    run.before["tags"], run.after["tags"] = current, after
    arn = run.vc["VoiceConnectorArn"]
    if to_set:
        tags = [{"Key": k, "Value": v} for k, v in sorted(to_set.items())]
        run.step("tag", lambda r: r.call("tag_resource", ResourceARN=arn, Tags=tags))
    if to_unset:
        run.step("untag", lambda r: r.call("untag_resource", ResourceARN=arn, TagKeys=to_unset))


def _plan_numbers(run, request, current):
    to_add, to_remove = phone_number_changes(current, request)
    run.before["phone_numbers"] = list(current)
    run.after["phone_numbers"] = sorted((set(current) - set(to_remove)) | set(to_add))
    run.extra["phone_numbers_associated"] = to_add
    run.extra["phone_numbers_disassociated"] = to_remove
    if to_remove:
        run.step("disassociate phone numbers", _numbers_step("disassociate", to_remove))
    return to_add


def _numbers_step(verb, numbers, force=False, vc_id=None):
    if verb == "associate":
        method, what = "associate_phone_numbers_with_voice_connector", "associating with Voice Connector %s:"
    else:
        method, what = "disassociate_phone_numbers_from_voice_connector", "disassociating from Voice Connector %s:"

    def step(run):
        target = vc_id or run.vc_id
        change_phone_numbers(run.api, method, "VoiceConnectorId", target, numbers, what % target, force=force)
        run.done_any = True

    return step


def _plan_subconfig(run, kind, now, later, raw):
    if kind == "emergency_calling" or later == now:
        return
    if later is None:
        run.step("delete " + kind, _delete_step(kind))
    elif kind == "origination":
        run.step("put origination", _put_step(kind, origination_api(later)))
    elif kind == "termination":
        run.step("put termination", _put_step(kind, termination_api(later)))
    elif kind == "logging":
        run.step("put logging", _put_step(kind, logging_api(later)))
    elif kind == "streaming":
        run.step("put streaming", _put_step(kind, streaming_api(later, raw)))
    else:
        run.step("put external systems", _put_step(kind, external_api(later)))


def _plan_credentials(run, request, current):
    wanted = [c["username"] for c in request["items"]]
    to_remove = sorted(set(current) - set(wanted)) if request["purge"] else []
    added = sorted(set(wanted) - set(current))
    rewrite = request["update_password"] == "always"  # noqa: S105 - a choice, not a password
    rewritten = sorted(set(wanted) & set(current)) if rewrite else []
    to_put = [c for c in request["items"] if c["username"] in set(added) | set(rewritten)]
    after = sorted((set(current) - set(to_remove)) | set(wanted))
    run.before["termination_credentials"] = {"usernames": list(current)}
    run.after["termination_credentials"] = {"usernames": after}
    run.extra["credentials"] = {"usernames": after, "added": added, "removed": to_remove, "updated": rewritten}
    if to_remove:
        run.step(
            "delete credentials",
            lambda r: r.call(
                "delete_voice_connector_termination_credentials", VoiceConnectorId=r.vc_id, Usernames=to_remove
            ),
        )
    if to_put:
        credentials = [{"Username": c["username"], "Password": c["password"]} for c in to_put]
        run.step(
            "put credentials",
            lambda r: r.call(
                "put_voice_connector_termination_credentials", VoiceConnectorId=r.vc_id, Credentials=credentials
            ),
        )


def _result(run, request):
    """The plain result of :func:`ensure_voice_connector` (before or after the steps ran)."""
    applied = bool(run.done_any)
    vc = run.vc if applied or "planned_vc" not in run.extra else dict(run.vc or {}, **run.extra["planned_vc"])
    if request["state"] == ABSENT:
        vc = None
    view = connector_view(vc)
    if view is not None and not applied and run.extra.get("created"):
        view.update(voice_connector_id=None, arn=None, outbound_host_name=None)
    result = {
        "changed": bool(run.steps),
        "created": bool(run.extra.get("created")),
        "recreated": bool(run.extra.get("recreated")),
        "deleted": bool(run.extra.get("deleted")),
        "voice_connector": view,
        "signalling": None,
    }
    if view is not None:
        result["signalling"] = signalling(view["aws_region"] or DEFAULT_AWS_REGION, view["require_encryption"])
    for kind in SUBCONFIGS:
        if kind in run.after:
            result[kind] = run.after[kind]
    if "credentials" in run.extra:
        result["termination_credentials"] = run.extra["credentials"]
    if "phone_numbers" in run.after or "phone_numbers" in run.before:
        result["phone_numbers"] = run.after.get("phone_numbers", [])
        result["phone_numbers_associated"] = run.extra.get("phone_numbers_associated", [])
        result["phone_numbers_disassociated"] = run.extra.get("phone_numbers_disassociated", [])
    if "tags" in run.after:
        result["tags"] = run.after["tags"]
    result["before"] = dict(run.before)
    result["after"] = dict(run.after)
    if applied and view is not None:
        result["after"]["voice_connector"] = _settings(view)  # with the ID the service gave
    return result


# -- describing (the _info module) ---------------------------------------------------------------

DETAILS = (*SUBCONFIGS, "termination_credentials", "phone_numbers", "tags")


def describe_voice_connectors(client, voice_connector_id=None, name=None, details=(), features=None):
    """The connectors by ID, by name, or all, each with the ``details`` asked for (read-only calls only)."""
    api = as_api(client)
    features = features or Features(api.client)
    details = list(DETAILS) if "all" in details else list(details)
    if "external_systems" in details and not features.external_systems:
        details.remove("external_systems")
    if voice_connector_id:
        found = api.get_or_none("get_voice_connector", "VoiceConnector", VoiceConnectorId=voice_connector_id)
        connectors = [found] if found else []
    else:
        connectors = [vc for vc in list_voice_connectors(api) if name is None or vc.get("Name") == name]
    described = []
    for vc in connectors:
        view = connector_view(vc)
        vc_id = vc["VoiceConnectorId"]
        for kind in details:
            if kind in SUBCONFIGS:
                view[kind] = read_subconfig(api, kind, vc_id)[0]
                if kind == "logging":
                    view[kind] = view[kind] or logging_view(None)
            elif kind == "termination_credentials":
                view[kind] = {"usernames": read_usernames(api, vc_id)}
            elif kind == "phone_numbers":
                view[kind] = read_phone_numbers(api, "VoiceConnectorId", vc_id)
            elif kind == "tags":
                view[kind] = read_tags(api, vc["VoiceConnectorArn"]) if vc.get("VoiceConnectorArn") else {}
        view["signalling"] = signalling(view["aws_region"] or DEFAULT_AWS_REGION, view["require_encryption"])
        described.append(view)
    return described
