# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""A small stateful fake of the chime-sdk-voice Voice Connector API, for flows that span several runs.

It hooks into a real botocore client: botocore itself validates every request against the installed
service model (the fake answers only after that), and every answer of the fake is validated against the
operation's output shape, as the Stubber does.  Nothing is sent anywhere.

Only documented behaviour is modelled:

* a connector cannot be deleted while phone numbers are associated with it (DeleteVoiceConnector);
* origination and termination cannot be deleted while emergency calling is configured
  (DeleteVoiceConnectorOrigination / DeleteVoiceConnectorTermination);
* a group cannot be deleted while it has connectors or phone numbers (DeleteVoiceConnectorGroup);
* termination credentials: Put adds (or overwrites) users, List returns usernames only, Delete removes;
* phone-number association reports refused numbers inside a successful answer (PhoneNumberErrors), and
  without ForceAssociate "does not associate any phone numbers that have previously existing associations";
* origination needs Routes or Disabled; termination needs CallingRegions ("Required");
* right after creation the service may not know a connector yet (``not_found_after_create`` answers).

Where the documentation is silent the fake makes one choice and says so: the error codes of the refusals
above are codes the operation lists in the model (ConflictException where listed, else
BadRequestException), and a Get of a sub-configuration that was never set answers NotFoundException (the
library also accepts an empty answer; the Stubber tests cover that case).
"""

from __future__ import annotations

import copy
import datetime
import random
import re
import string

from botocore.awsrequest import AWSResponse
from botocore.validate import ParamValidator

REGION = "us-east-1"
ACCOUNT = "123456789012"
_KINDS = {
    "Origination": "Origination",
    "Termination": "Termination",
    "LoggingConfiguration": "LoggingConfiguration",
    "StreamingConfiguration": "StreamingConfiguration",
    "EmergencyCallingConfiguration": "EmergencyCallingConfiguration",
    "ExternalSystemsConfiguration": "ExternalSystemsConfiguration",
}


class FakeError(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class FakeChimeVoice:
    """The state of one account's Voice Connectors, groups, phone numbers and tags, behind a real client."""

    def __init__(self, client, phone_numbers=(), not_found_after_create=0, seed=5):
        self.client = client
        self.phone_numbers = dict((n, None) for n in phone_numbers)  # number -> (filter name, id) or None
        self.not_found_after_create = not_found_after_create
        self.connectors = {}
        self.configs = {}  # connector id -> {key: value}
        self.credentials = {}  # connector id -> {username: password}
        self.groups = {}
        self.tags = {}  # ARN -> {key: value}
        self.log = []  # (operation, request) in order
        self._hidden = {}
        self._pending = None
        self._random = random.Random(seed)
        self._validator = ParamValidator()
        client.meta.events.register("before-parameter-build.chime-sdk-voice.*", self._capture)
        client.meta.events.register("before-call.chime-sdk-voice.*", self._answer)

    # -- plumbing ---------------------------------------------------------------------------------

    def _capture(self, params, model, **kwargs):
        self._pending = (model.name, copy.deepcopy(params))

    def _answer(self, model, **kwargs):
        name, request = self._pending
        self.log.append((name, request))
        handler = getattr(self, "_" + _snake(name), None)
        if handler is None:
            raise AssertionError("the fake does not implement %s" % name)
        try:
            body = handler(**request) or {}
        except FakeError as exc:
            parsed = {
                "Error": {"Code": exc.code, "Message": exc.message},
                "ResponseMetadata": {"HTTPStatusCode": exc.status},
            }
            return AWSResponse(None, exc.status, {}, None), parsed
        if model.output_shape is not None:
            report = self._validator.validate(body, model.output_shape)
            if report.has_errors():
                raise AssertionError("the fake's answer to %s is invalid: %s" % (name, report.generate_report()))
        body["ResponseMetadata"] = {"HTTPStatusCode": 200}
        return AWSResponse(None, 200, {}, None), body

    def snapshot(self):
        """The whole state, for before/after comparisons."""
        return copy.deepcopy(
            (self.connectors, self.configs, self.credentials, self.groups, self.tags, self.phone_numbers)
        )

    @property
    def operations(self):
        return [name for name, _request in self.log]

    @property
    def mutating(self):
        return [name for name in self.operations if not name.startswith(("Get", "List"))]

    def _connector(self, vc_id):
        if vc_id not in self.connectors:
            raise FakeError("NotFoundException", "Voice Connector %s not found" % vc_id, 404)
        if self._hidden.get(vc_id):
            self._hidden[vc_id] -= 1
            raise FakeError("NotFoundException", "Voice Connector %s not found" % vc_id, 404)
        return self.connectors[vc_id]

    def _config(self, vc_id, key):
        self._connector(vc_id)
        if key not in self.configs[vc_id]:
            raise FakeError("NotFoundException", "%s not found" % key, 404)
        return copy.deepcopy(self.configs[vc_id][key])

    def _new_id(self):
        return "".join(self._random.choice(string.ascii_lowercase + string.digits) for _i in range(22))

    @staticmethod
    def _page(items, key, max_results=None, next_token=None):
        start = int(next_token or 0)
        size = max_results or 100
        answer = {key: items[start : start + size]}
        if start + size < len(items):
            answer["NextToken"] = str(start + size)
        return answer

    # -- connectors -------------------------------------------------------------------------------

    def _create_voice_connector(self, Name, RequireEncryption, AwsRegion=REGION, Tags=None, **extra):
        vc_id = self._new_id()
        now = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
        connector = {
            "VoiceConnectorId": vc_id,
            "AwsRegion": AwsRegion,
            "Name": Name,
            "OutboundHostName": "%s.voiceconnector.chime.aws" % vc_id,
            "RequireEncryption": RequireEncryption,
            "CreatedTimestamp": now,
            "UpdatedTimestamp": now,
            "VoiceConnectorArn": "arn:aws:chime:%s:%s:vc/%s" % (AwsRegion, ACCOUNT, vc_id),
        }
        connector.update((k, v) for k, v in extra.items() if k in ("NetworkType", "IntegrationType"))
        self.connectors[vc_id] = connector
        self.configs[vc_id] = {}
        self.credentials[vc_id] = {}
        self.tags[connector["VoiceConnectorArn"]] = dict((t["Key"], t["Value"]) for t in Tags or [])
        if self.not_found_after_create:
            self._hidden[vc_id] = self.not_found_after_create
        return {"VoiceConnector": copy.deepcopy(connector)}

    def _get_voice_connector(self, VoiceConnectorId):
        return {"VoiceConnector": copy.deepcopy(self._connector(VoiceConnectorId))}

    def _list_voice_connectors(self, MaxResults=None, NextToken=None):
        items = [copy.deepcopy(c) for c in self.connectors.values()]
        return self._page(items, "VoiceConnectors", MaxResults, NextToken)

    def _update_voice_connector(self, VoiceConnectorId, Name, RequireEncryption):
        connector = self._connector(VoiceConnectorId)
        connector.update(Name=Name, RequireEncryption=RequireEncryption)
        return {"VoiceConnector": copy.deepcopy(connector)}

    def _delete_voice_connector(self, VoiceConnectorId):
        connector = self._connector(VoiceConnectorId)
        if any(owner == ("VoiceConnectorId", VoiceConnectorId) for owner in self.phone_numbers.values()):
            raise FakeError(
                "ConflictException", "phone numbers must be disassociated before the Voice Connector is deleted", 409
            )
        del self.connectors[VoiceConnectorId]
        del self.configs[VoiceConnectorId]
        del self.credentials[VoiceConnectorId]
        self.tags.pop(connector["VoiceConnectorArn"], None)

    # -- sub-configurations -----------------------------------------------------------------------

    def _put(self, vc_id, key, value):
        self._connector(vc_id)
        self.configs[vc_id][key] = copy.deepcopy(value)
        return {key: copy.deepcopy(value)}

    def _delete(self, vc_id, key):
        self._config(vc_id, key)
        del self.configs[vc_id][key]

    def _refuse_while_emergency_calling(self, vc_id, what):
        if "EmergencyCallingConfiguration" in self.configs.get(vc_id, {}):
            raise FakeError(
                "BadRequestException", "emergency calling must be deleted before the %s settings" % what, 400
            )

    def _put_voice_connector_origination(self, VoiceConnectorId, Origination):
        if "Routes" not in Origination and "Disabled" not in Origination:
            raise FakeError("BadRequestException", "Routes or Disabled is required")
        return self._put(VoiceConnectorId, "Origination", Origination)

    def _get_voice_connector_origination(self, VoiceConnectorId):
        return {"Origination": self._config(VoiceConnectorId, "Origination")}

    def _delete_voice_connector_origination(self, VoiceConnectorId):
        self._connector(VoiceConnectorId)
        self._refuse_while_emergency_calling(VoiceConnectorId, "origination")
        self._delete(VoiceConnectorId, "Origination")

    def _put_voice_connector_termination(self, VoiceConnectorId, Termination):
        if not Termination.get("CallingRegions"):
            raise FakeError("BadRequestException", "CallingRegions is required")
        return self._put(VoiceConnectorId, "Termination", Termination)

    def _get_voice_connector_termination(self, VoiceConnectorId):
        return {"Termination": self._config(VoiceConnectorId, "Termination")}

    def _delete_voice_connector_termination(self, VoiceConnectorId):
        self._connector(VoiceConnectorId)
        self._refuse_while_emergency_calling(VoiceConnectorId, "termination")
        self._delete(VoiceConnectorId, "Termination")

    def _put_voice_connector_logging_configuration(self, VoiceConnectorId, LoggingConfiguration):
        return self._put(VoiceConnectorId, "LoggingConfiguration", LoggingConfiguration)

    def _get_voice_connector_logging_configuration(self, VoiceConnectorId):
        return {"LoggingConfiguration": self._config(VoiceConnectorId, "LoggingConfiguration")}

    def _put_voice_connector_streaming_configuration(self, VoiceConnectorId, StreamingConfiguration):
        return self._put(VoiceConnectorId, "StreamingConfiguration", StreamingConfiguration)

    def _get_voice_connector_streaming_configuration(self, VoiceConnectorId):
        return {"StreamingConfiguration": self._config(VoiceConnectorId, "StreamingConfiguration")}

    def _delete_voice_connector_streaming_configuration(self, VoiceConnectorId):
        self._delete(VoiceConnectorId, "StreamingConfiguration")

    def _put_voice_connector_emergency_calling_configuration(self, VoiceConnectorId, EmergencyCallingConfiguration):
        return self._put(VoiceConnectorId, "EmergencyCallingConfiguration", EmergencyCallingConfiguration)

    def _get_voice_connector_emergency_calling_configuration(self, VoiceConnectorId):
        return {"EmergencyCallingConfiguration": self._config(VoiceConnectorId, "EmergencyCallingConfiguration")}

    def _delete_voice_connector_emergency_calling_configuration(self, VoiceConnectorId):
        self._delete(VoiceConnectorId, "EmergencyCallingConfiguration")

    def _put_voice_connector_external_systems_configuration(self, VoiceConnectorId, **systems):
        return self._put(VoiceConnectorId, "ExternalSystemsConfiguration", systems)

    def _get_voice_connector_external_systems_configuration(self, VoiceConnectorId):
        return {"ExternalSystemsConfiguration": self._config(VoiceConnectorId, "ExternalSystemsConfiguration")}

    def _delete_voice_connector_external_systems_configuration(self, VoiceConnectorId):
        self._delete(VoiceConnectorId, "ExternalSystemsConfiguration")

    # -- termination credentials ------------------------------------------------------------------

    def _put_voice_connector_termination_credentials(self, VoiceConnectorId, Credentials=()):
        self._connector(VoiceConnectorId)
        for credential in Credentials:
            self.credentials[VoiceConnectorId][credential["Username"]] = credential["Password"]

    def _list_voice_connector_termination_credentials(self, VoiceConnectorId):
        self._connector(VoiceConnectorId)
        return {"Usernames": sorted(self.credentials[VoiceConnectorId])}

    def _delete_voice_connector_termination_credentials(self, VoiceConnectorId, Usernames):
        self._connector(VoiceConnectorId)
        for username in Usernames:
            self.credentials[VoiceConnectorId].pop(username, None)

    # -- phone numbers ----------------------------------------------------------------------------

    def _associate(self, owner, numbers, force):
        errors = []
        for number in numbers:
            if number not in self.phone_numbers:
                errors.append({"PhoneNumberId": number, "ErrorCode": "NotFound", "ErrorMessage": "not in the account"})
            elif self.phone_numbers[number] not in (None, owner) and not force:
                errors.append(
                    {
                        "PhoneNumberId": number,
                        "ErrorCode": "PhoneNumberAssociationsExist",
                        "ErrorMessage": "associated with %s %s" % self.phone_numbers[number],
                    }
                )
            else:
                self.phone_numbers[number] = owner
        return {"PhoneNumberErrors": errors}

    def _disassociate(self, owner, numbers):
        errors = []
        for number in numbers:
            if self.phone_numbers.get(number) != owner:
                errors.append({"PhoneNumberId": number, "ErrorCode": "NotFound", "ErrorMessage": "not associated"})
            else:
                self.phone_numbers[number] = None
        return {"PhoneNumberErrors": errors}

    def _associate_phone_numbers_with_voice_connector(self, VoiceConnectorId, E164PhoneNumbers, ForceAssociate=False):
        self._connector(VoiceConnectorId)
        return self._associate(("VoiceConnectorId", VoiceConnectorId), E164PhoneNumbers, ForceAssociate)

    def _disassociate_phone_numbers_from_voice_connector(self, VoiceConnectorId, E164PhoneNumbers):
        self._connector(VoiceConnectorId)
        return self._disassociate(("VoiceConnectorId", VoiceConnectorId), E164PhoneNumbers)

    def _associate_phone_numbers_with_voice_connector_group(
        self, VoiceConnectorGroupId, E164PhoneNumbers, ForceAssociate=False
    ):
        self._group(VoiceConnectorGroupId)
        return self._associate(("VoiceConnectorGroupId", VoiceConnectorGroupId), E164PhoneNumbers, ForceAssociate)

    def _disassociate_phone_numbers_from_voice_connector_group(self, VoiceConnectorGroupId, E164PhoneNumbers):
        self._group(VoiceConnectorGroupId)
        return self._disassociate(("VoiceConnectorGroupId", VoiceConnectorGroupId), E164PhoneNumbers)

    def _list_phone_numbers(self, FilterName=None, FilterValue=None, MaxResults=None, NextToken=None, **filters):
        items = [
            {
                "PhoneNumberId": number,
                "E164PhoneNumber": number,
                "Status": "Assigned" if owner else "Unassigned",
                "ProductType": "VoiceConnector",
            }
            for number, owner in sorted(self.phone_numbers.items())
            if FilterName is None or owner == (FilterName, FilterValue)
        ]
        return self._page(items, "PhoneNumbers", MaxResults, NextToken)

    # -- tags -------------------------------------------------------------------------------------

    def _tagged(self, arn):
        if arn not in self.tags:
            raise FakeError("NotFoundException", "resource %s not found" % arn, 404)
        return self.tags[arn]

    def _tag_resource(self, ResourceARN, Tags):
        self._tagged(ResourceARN).update((t["Key"], t["Value"]) for t in Tags)

    def _untag_resource(self, ResourceARN, TagKeys):
        for key in TagKeys:
            self._tagged(ResourceARN).pop(key, None)

    def _list_tags_for_resource(self, ResourceARN):
        tags = self._tagged(ResourceARN)
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]} if tags else {}

    # -- groups -----------------------------------------------------------------------------------

    def _group(self, group_id):
        if group_id not in self.groups:
            raise FakeError("NotFoundException", "Voice Connector group %s not found" % group_id, 404)
        return self.groups[group_id]

    def _check_items(self, items):
        for item in items or []:
            if item["VoiceConnectorId"] not in self.connectors:
                raise FakeError("NotFoundException", "Voice Connector %s not found" % item["VoiceConnectorId"], 404)

    def _create_voice_connector_group(self, Name, VoiceConnectorItems=(), CallDistributionType=None):
        self._check_items(VoiceConnectorItems)
        group_id = "%08x-0000-4000-8000-%012x" % (self._random.getrandbits(32), self._random.getrandbits(48))
        group = {
            "VoiceConnectorGroupId": group_id,
            "Name": Name,
            "VoiceConnectorItems": list(VoiceConnectorItems),
            "VoiceConnectorGroupArn": "arn:aws:chime:%s:%s:vcg/%s" % (REGION, ACCOUNT, group_id),
        }
        if CallDistributionType:
            group["CallDistributionType"] = CallDistributionType
        self.groups[group_id] = group
        return {"VoiceConnectorGroup": copy.deepcopy(group)}

    def _get_voice_connector_group(self, VoiceConnectorGroupId):
        return {"VoiceConnectorGroup": copy.deepcopy(self._group(VoiceConnectorGroupId))}

    def _list_voice_connector_groups(self, MaxResults=None, NextToken=None):
        return self._page(
            [copy.deepcopy(g) for g in self.groups.values()], "VoiceConnectorGroups", MaxResults, NextToken
        )

    def _update_voice_connector_group(
        self, VoiceConnectorGroupId, Name, VoiceConnectorItems, CallDistributionType=None
    ):
        group = self._group(VoiceConnectorGroupId)
        self._check_items(VoiceConnectorItems)
        group.update(Name=Name, VoiceConnectorItems=list(VoiceConnectorItems))
        if CallDistributionType:
            group["CallDistributionType"] = CallDistributionType
        return {"VoiceConnectorGroup": copy.deepcopy(group)}

    def _delete_voice_connector_group(self, VoiceConnectorGroupId):
        group = self._group(VoiceConnectorGroupId)
        owner = ("VoiceConnectorGroupId", VoiceConnectorGroupId)
        if group["VoiceConnectorItems"] or owner in self.phone_numbers.values():
            raise FakeError(
                "ConflictException", "Voice Connector items and phone numbers must be removed before deletion", 409
            )
        del self.groups[VoiceConnectorGroupId]
