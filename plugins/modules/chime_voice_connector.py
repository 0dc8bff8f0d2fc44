#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: chime_voice_connector
short_description: Manage an Amazon Chime SDK Voice Connector (a managed SIP trunk to the PSTN)
version_added: 0.1.0
description:
  - Creates, updates and deletes an Amazon Chime SDK Voice Connector and its sub-configurations - origination
    (inbound calls to your SIP hosts), termination (outbound calls from them), termination credentials, logging,
    media streaming to Kinesis Video Streams, emergency calling, external systems, phone numbers and tags.
  - B(A sub-option left out is left unmanaged.) A sub-configuration that is not given is neither read nor changed; a
    field left out of a given sub-configuration keeps its current value. To remove a sub-configuration set its
    C(state) to V(absent).
  - Lists the service treats as sets are compared as sets - origination routes by host, port and protocol, CIDRs,
    calling regions, notification targets, emergency numbers, usernames, phone numbers - so order never causes a
    change.
  - Everything that can be checked beforehand is checked before anything changes (CIDRs, routes, E.164 numbers,
    calling regions, credentials, regions, create-only fields), so a refused request leaves the connector as it was.
  - Deleting takes things down in the order the service requires - phone numbers, emergency calling, origination and
    termination, then the connector. A connector that belongs to a Voice Connector group is not deleted; the task
    fails and names the group.
  - Uses the C(chime-sdk-voice) API; the legacy C(chime) Voice Connector operations are not used.
author:
  - rtc.ec2_fleet developers (!UNKNOWN)
options:
  name:
    description:
      - The name of the Voice Connector (1-256 letters, digits, spaces, underscores, periods and hyphens).
      - Without O(voice_connector_id) the connector is found by this name. Names are not unique - when several
        connectors bear it, O(connector_region) may single one out, otherwise the task fails and lists them.
      - With O(voice_connector_id) a different name renames the connector.
      - One of O(name) and O(voice_connector_id) is required; a new connector needs O(name).
    type: str
  voice_connector_id:
    description:
      - The ID of the Voice Connector, for example V(abcdef1ghij2klmno3pqr4).
    type: str
  state:
    description:
      - V(present) creates or updates the connector; V(absent) deletes it after disassociating its phone numbers and
        deleting its emergency calling, origination and termination settings.
    type: str
    choices: [present, absent]
    default: present
  connector_region:
    description:
      - The AWS Region the Voice Connector lives in (the API's C(AwsRegion)), one of the Regions of the installed
        botocore's C(VoiceConnectorAwsRegion) list (us-east-1, us-west-2, ca-central-1, eu-central-1, eu-west-1,
        eu-west-2, ap-northeast-1, ap-northeast-2, ap-southeast-1, ap-southeast-2 at the time of writing).
      - Fixed at creation. When it differs from the existing connector's the task fails, unless O(recreate=true).
      - When left out on creation, the Region of the API endpoint (O(region)) is used if it has Voice Connectors,
        else us-east-1 (the service's default). When left out for an existing connector, it is not checked.
      - Named so because C(aws_region) is an alias of O(region), the API endpoint's Region.
    type: str
  network_type:
    description:
      - V(IPV4_ONLY) or V(DUAL_STACK) (IPv4 and IPv6). Fixed at creation; connectors created before the option existed
        are V(IPV4_ONLY).
      - When it differs from the existing connector's the task fails, unless O(recreate=true).
      - Needs a botocore whose C(chime-sdk-voice) model knows C(NetworkType); the module says so otherwise.
    type: str
    choices: [IPV4_ONLY, DUAL_STACK]
  integration_type:
    description:
      - The Amazon Connect integration of the connector (a gated feature of the service). Fixed at creation, like
        O(network_type).
    type: str
    choices: [CONNECT_CALL_TRANSFER_CONNECTOR, CONNECT_ANALYTICS_CONNECTOR]
  recreate:
    description:
      - When O(connector_region), O(network_type) or O(integration_type) differs from the existing connector's,
        delete it and create a new one. The new connector has a new ID and outbound host name; the old one's phone
        numbers are disassociated first (list them in O(phone_numbers) to move them to the new one).
    type: bool
    default: false
  require_encryption:
    description:
      - Whether the connector requires encryption - SIP over TLS (port 5061) and SRTP media. With it, origination
        routes must use TCP.
      - When left out, an existing connector keeps its setting and a new one is created with encryption (V(true)).
    type: bool
  origination:
    description:
      - Inbound calls - where the Voice Connector sends calls to your SIP hosts.
    type: dict
    suboptions:
      state:
        description:
          - V(absent) deletes the origination settings (refused while emergency calling stays configured).
        type: str
        choices: [present, absent]
        default: present
      routes:
        description:
          - The SIP hosts, at most 20. Compared as a set keyed by host, port and protocol.
        type: list
        elements: dict
        suboptions:
          host:
            description:
              - A DNS name or IP address of a SIP host (for example the edge pair's Elastic IP or DNS name).
            type: str
            required: true
          port:
            description:
              - The SIP port, 1-65535. Default 5061 when the connector requires encryption, 5060 otherwise.
            type: int
          protocol:
            description:
              - V(TCP) or V(UDP). Default V(TCP) when the connector requires encryption (where UDP is refused), V(UDP)
                otherwise.
            type: str
            choices: [TCP, UDP]
          priority:
            description:
              - 1-100; 1 is tried first.
            type: int
            default: 1
          weight:
            description:
              - 1-100; among routes of equal priority, calls are shared by weight.
            type: int
            default: 1
      disabled:
        description:
          - When V(true), inbound calls are not sent to the routes.
        type: bool
  termination:
    description:
      - Outbound calls - who may send calls through the connector, and where to.
      - When first configured, O(termination.cidr_allow_list) and O(termination.calling_regions) are required.
    type: dict
    suboptions:
      state:
        description:
          - V(absent) deletes the termination settings (refused while emergency calling stays configured).
        type: str
        choices: [present, absent]
        default: present
      cidr_allow_list:
        description:
          - The public addresses of your SIP hosts, as CIDRs (an address alone means /32). IPv4 blocks must be /27 to
            /32; private, shared and reserved addresses are refused.
        type: list
        elements: str
      calling_regions:
        description:
          - The countries calls may go to, as ISO 3166-1 alpha-2 codes such as V(US) or V(GB).
        type: list
        elements: str
      cps_limit:
        description:
          - Calls per second allowed, at least 1 (the service's default is 1; the maximum is an account quota).
        type: int
      default_phone_number:
        description:
          - The caller ID used when a call carries none, in E.164 format (for example V(+12065550100)).
        type: str
      disabled:
        description:
          - When V(true), outbound calls are refused.
        type: bool
  termination_credentials:
    description:
      - SIP digest credentials your hosts use to send calls. Compared by username; passwords are write-only (the
        service lists usernames only), so see O(update_password).
      - Usernames must be unique; passwords must not be empty. Both are US-ASCII (RFC 2617).
      - Passwords never appear in the output, the diff, logs or error messages.
    type: list
    elements: dict
    suboptions:
      username:
        description:
          - The username.
        type: str
        required: true
      password:
        description:
          - The password, for example from Ansible Vault.
        type: str
        required: true
  update_password:
    description:
      - V(always) writes every listed password on each run (the service cannot say whether a password differs), so a
        run with credentials always reports a change. Use it to rotate passwords.
      - V(on_create) writes a password only for a username that does not exist yet; runs are then idempotent.
    type: str
    choices: [always, on_create]
    default: always
  purge_credentials:
    description:
      - Delete the credentials of usernames not listed in O(termination_credentials) (only when that is given).
    type: bool
    default: false
  logging:
    description:
      - Sending SIP message logs and media metrics to CloudWatch Logs. V(absent) turns both off (the service has no
        way to delete the setting).
    type: dict
    suboptions:
      state:
        description:
          - V(absent) turns both kinds of logs off.
        type: str
        choices: [present, absent]
        default: present
      enable_sip_logs:
        description:
          - Send SIP message logs.
        type: bool
      enable_media_metric_logs:
        description:
          - Send media metrics.
        type: bool
  streaming:
    description:
      - Streaming call media to Amazon Kinesis Video Streams. An existing media insights configuration is kept as it
        is (it is not managed here).
    type: dict
    suboptions:
      state:
        description:
          - V(absent) deletes the streaming configuration.
        type: str
        choices: [present, absent]
        default: present
      data_retention_in_hours:
        description:
          - How long Kinesis keeps the media, in hours (0 or more). Required when streaming is first configured.
        type: int
      disabled:
        description:
          - When V(true), streaming is off.
        type: bool
      notification_targets:
        description:
          - Where streaming events go, at most three. Compared as a set.
        type: list
        elements: str
        choices: [EventBridge, SNS, SQS]
  emergency_calling:
    description:
      - Emergency calling (DNIS) routes. While it is configured, origination and termination cannot be deleted; a task
        that deletes all of them deletes emergency calling first.
    type: dict
    suboptions:
      state:
        description:
          - V(absent) deletes the emergency calling configuration.
        type: str
        choices: [present, absent]
        default: present
      dnis:
        description:
          - The emergency numbers, compared as a set.
        type: list
        elements: dict
        suboptions:
          emergency_phone_number:
            description:
              - The number emergency calls are routed to, in E.164 format.
            type: str
            required: true
          test_phone_number:
            description:
              - The number test emergency calls are routed to, in E.164 format.
            type: str
          calling_country:
            description:
              - The country emergency calls come from, as an ISO 3166-1 alpha-2 code.
            type: str
            required: true
  external_systems:
    description:
      - The session border controllers and contact center systems the connector works with, by the service's type
        names (such as V(RIBBON_SBC) or V(GENESYS_ENGAGE_ON_PREMISES)); the installed botocore's model lists the
        values it accepts.
      - Needs a botocore whose model has the external systems operations; the module says so otherwise.
    type: dict
    suboptions:
      state:
        description:
          - V(absent) deletes the external systems configuration.
        type: str
        choices: [present, absent]
        default: present
      session_border_controller_types:
        description:
          - The session border controller types.
        type: list
        elements: str
      contact_center_system_types:
        description:
          - The contact center system types.
        type: list
        elements: str
  phone_numbers:
    description:
      - Phone numbers of the account to associate with the connector, in E.164 format. Compared as a set.
      - A number the service refuses (reported inside a successful answer) fails the task, naming the number and the
        service's reason.
    type: list
    elements: str
  purge_phone_numbers:
    description:
      - Disassociate the connector's phone numbers that are not in O(phone_numbers) (only when that is given).
    type: bool
    default: false
  force_associate:
    description:
      - Take a number from another connector or group that holds it (C(ForceAssociate)).
    type: bool
    default: false
  wait_timeout:
    description:
      - Right after creation the service may answer C(NotFound) about the new connector for up to about a minute
        (outside us-east-1). Calls about it are retried with bounded, jittered backoff for this many seconds.
    type: int
    default: 90
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Check mode makes only C(Get*) and C(List*) calls and validates the request exactly as a real run would.
  diff_mode:
    support: full
    details: The connector's settings and every managed sub-configuration before and after; usernames, never passwords.
  platform:
    platforms: all
notes:
  - Throttled calls are retried with jittered exponential backoff within a bounded budget.
  - Failures return C(kind) - V(invalid), V(not_found), V(ambiguous), V(create_only), V(in_use), V(conflict),
    V(partial_failure), V(permission_denied), V(limit_exceeded), V(throttled), V(unsupported), V(unreachable) or
    V(api_error) - and, for failures of an API call, the IAM C(action).
  - IAM actions used are C(chime:GetVoiceConnector), C(chime:ListVoiceConnectors), C(chime:CreateVoiceConnector),
    C(chime:UpdateVoiceConnector), C(chime:DeleteVoiceConnector), the C(Get)/C(Put)/C(Delete) actions of each managed
    sub-configuration, C(chime:ListVoiceConnectorTerminationCredentials),
    C(chime:PutVoiceConnectorTerminationCredentials), C(chime:DeleteVoiceConnectorTerminationCredentials),
    C(chime:ListPhoneNumbers),
    C(chime:AssociatePhoneNumbersWithVoiceConnector), C(chime:DisassociatePhoneNumbersFromVoiceConnector),
    C(chime:ListVoiceConnectorGroups) (on deletion), C(chime:ListTagsForResource), C(chime:TagResource) and
    C(chime:UntagResource).
  - The deprecated Voice Connector proxy operations are not implemented.
  - RV(signalling) comes from a table the collection maintains (source and date in the return value and in the
    collection's C(docs/chime.md)); it lists IPv4 ranges only.
seealso:
  - module: rtc.ec2_fleet.chime_voice_connector_group
  - module: rtc.ec2_fleet.chime_voice_connector_info
  - name: Managing Amazon Chime SDK Voice Connectors
    description: What origination, termination and the other settings do.
    link: https://docs.aws.amazon.com/chime-sdk/latest/ag/voice-connectors.html
  - name: Network configuration and bandwidth requirements
    description: The SIP signalling and media ranges of each Region.
    link: https://docs.aws.amazon.com/chime-sdk/latest/ag/network-config.html
"""

EXAMPLES = r"""
- name: A SIP trunk for the edge pair, encrypted, with inbound and outbound calling
  rtc.ec2_fleet.chime_voice_connector:
    name: rtc-edge-use1
    connector_region: us-east-1
    require_encryption: true
    origination:
      routes:
        - host: sip.example.com   # TLS on 5061 over TCP by default with encryption
          priority: 1
          weight: 50
        - host: "{{ edge_eip_b }}"
          priority: 2
    termination:
      cidr_allow_list:
        - "{{ edge_eip_a }}/32"
        - "{{ edge_eip_b }}/32"
      calling_regions: [US, CA]
      cps_limit: 5
    termination_credentials:
      - username: edge
        password: "{{ vault_chime_edge_password }}"
    update_password: on_create
    logging:
      enable_sip_logs: true
    phone_numbers:
      - "+12065550100"
    tags:
      rtc:fleet: prod
  register: trunk

- name: Allow Voice Connector signalling into the edge security group
  amazon.aws.ec2_security_group:
    name: rtc-edge-sip
    description: SIP from the Voice Connector
    purge_rules: false
    rules:
      - proto: tcp
        ports: [5061]
        cidr_ip: "{{ trunk.signalling.cidrs }}"

- name: Rotate the SIP password (every listed password is written; the run reports a change)
  rtc.ec2_fleet.chime_voice_connector:
    voice_connector_id: "{{ trunk.voice_connector.voice_connector_id }}"
    termination_credentials:
      - username: edge
        password: "{{ vault_chime_edge_password_new }}"
    update_password: always

- name: Only change the allow-list; origination, credentials and the rest stay as they are
  rtc.ec2_fleet.chime_voice_connector:
    name: rtc-edge-use1
    termination:
      cidr_allow_list: ["{{ edge_eip_a }}/32"]

- name: Stop inbound calls but keep the routes
  rtc.ec2_fleet.chime_voice_connector:
    name: rtc-edge-use1
    origination:
      disabled: true

- name: Delete the trunk (phone numbers, emergency calling, origination, termination, then the connector)
  rtc.ec2_fleet.chime_voice_connector:
    name: rtc-edge-use1
    state: absent
"""

RETURN = r"""
voice_connector:
  description:
    - The Voice Connector after the run; V(null) when absent. In check mode a connector to be created has no ID.
  returned: always
  type: dict
  contains:
    voice_connector_id:
      description: The ID.
      type: str
      sample: abcdef1ghij2klmno3pqr4
    name:
      description: The name.
      type: str
      sample: rtc-edge-use1
    arn:
      description: The ARN.
      type: str
      sample: arn:aws:chime:us-east-1:123456789012:vc/abcdef1ghij2klmno3pqr4
    aws_region:
      description: The Region of the connector.
      type: str
      sample: us-east-1
    outbound_host_name:
      description: The host name your SIP hosts send outbound calls to, C(<id>.voiceconnector.chime.aws).
      type: str
      sample: abcdef1ghij2klmno3pqr4.voiceconnector.chime.aws
    require_encryption:
      description: Whether TLS and SRTP are required.
      type: bool
      sample: true
    network_type:
      description: V(IPV4_ONLY) or V(DUAL_STACK), when the service reports it.
      type: str
      sample: IPV4_ONLY
    integration_type:
      description: The Amazon Connect integration, when there is one.
      type: str
      sample: null
    created_timestamp:
      description: When the connector was created (ISO 8601).
      type: str
      sample: "2026-01-02T03:04:05+00:00"
    updated_timestamp:
      description: When the connector was last updated (ISO 8601).
      type: str
      sample: "2026-01-02T03:04:05+00:00"
origination:
  description: The origination settings after the run (V(null) when none); only when O(origination) is given.
  returned: when O(origination) is given
  type: dict
  sample: {"disabled": false, "routes": [{"host": "sip.example.com", "port": 5061, "protocol": "TCP", "priority": 1,
           "weight": 50}]}
termination:
  description: The termination settings after the run (V(null) when none); only when O(termination) is given.
  returned: when O(termination) is given
  type: dict
  sample: {"calling_regions": ["CA", "US"], "cidr_allow_list": ["52.94.0.10/32"], "cps_limit": 5,
           "default_phone_number": null, "disabled": false}
termination_credentials:
  description: The usernames after the run, and which were added, removed, or had their password written again.
  returned: when O(termination_credentials) is given
  type: dict
  contains:
    usernames:
      description: All usernames.
      type: list
      elements: str
    added:
      description: Usernames created by this run.
      type: list
      elements: str
    removed:
      description: Usernames deleted by this run.
      type: list
      elements: str
    updated:
      description: Existing usernames whose password was written again (O(update_password=always)).
      type: list
      elements: str
logging:
  description: The logging settings after the run.
  returned: when O(logging) is given
  type: dict
  sample: {"enable_media_metric_logs": false, "enable_sip_logs": true}
streaming:
  description: The streaming settings after the run (V(null) when none).
  returned: when O(streaming) is given
  type: dict
  sample: {"data_retention_in_hours": 24, "disabled": false, "notification_targets": ["EventBridge"]}
emergency_calling:
  description: The emergency calling settings after the run (V(null) when none).
  returned: when O(emergency_calling) is given
  type: dict
  sample: {"dnis": [{"calling_country": "US", "emergency_phone_number": "+12065550911", "test_phone_number": null}]}
external_systems:
  description: The external systems settings after the run (V(null) when none).
  returned: when O(external_systems) is given
  type: dict
  sample: {"contact_center_system_types": [], "session_border_controller_types": ["RIBBON_SBC"]}
phone_numbers:
  description: The phone numbers associated with the connector after the run.
  returned: when O(phone_numbers) is given, or on deletion
  type: list
  elements: str
  sample: ["+12065550100"]
phone_numbers_associated:
  description: The phone numbers this run associated.
  returned: when O(phone_numbers) is given
  type: list
  elements: str
  sample: ["+12065550100"]
phone_numbers_disassociated:
  description: The phone numbers this run disassociated.
  returned: when O(phone_numbers) is given, or on deletion
  type: list
  elements: str
  sample: []
tags:
  description: The tags after the run.
  returned: when O(tags) is given
  type: dict
  sample: {"rtc:fleet": "prod"}
signalling:
  description:
    - Where the connector's SIP signalling comes from and goes to, for security groups and SBC allow-lists, from a
      table the collection maintains. V(null) when the connector is absent.
  returned: always
  type: dict
  contains:
    aws_region:
      description: The Region looked up.
      type: str
      sample: us-east-1
    cidrs:
      description: The IPv4 subnets; empty (with RV(signalling.note)) for a Region the table lacks.
      type: list
      elements: str
      sample: ["3.80.16.0/23"]
    ipv6_cidrs:
      description: Always V(null) - the table has no IPv6 ranges yet.
      type: list
      elements: str
      sample: null
    ports:
      description: Every documented transport - UDP 5060, TCP 5060, TLS 5061 (C(protocol) is the IP protocol).
      type: list
      elements: dict
      sample: [{"transport": "UDP", "protocol": "udp", "port": 5060}]
    ports_in_use:
      description: The transports this connector uses - TLS only with encryption, UDP and TCP without.
      type: list
      elements: dict
      sample: [{"transport": "TLS", "protocol": "tcp", "port": 5061}]
    source:
      description: Where the table comes from.
      type: str
      sample: https://docs.aws.amazon.com/chime-sdk/latest/ag/network-config.html#cvc-signaling
    as_of:
      description: When the table was read from the source.
      type: str
      sample: "2026-11-26"
    note:
      description: Present when the table has no range for the Region.
      type: str
      returned: when the Region is missing from the table
created:
  description: Whether a connector was (or, in check mode, would be) created.
  returned: always
  type: bool
recreated:
  description: Whether the connector was (or would be) deleted and created again because of O(recreate).
  returned: always
  type: bool
deleted:
  description: Whether the connector was (or would be) deleted.
  returned: always
  type: bool
kind:
  description: On failure, what kind of failure it is (see the notes).
  returned: failure
  type: str
  sample: invalid
action:
  description: On failure of an API call, its IAM action.
  returned: failure of an API call
  type: str
  sample: chime:PutVoiceConnectorOrigination
code:
  description: On failure, the AWS error code.
  returned: failure with an AWS error code
  type: str
  sample: BadRequestException
details:
  description: On a V(partial_failure), the numbers the service refused (with its error code and message) and those it
    took.
  returned: failure of kind partial_failure
  type: dict
  sample: {"phone_number_errors": [{"phone_number": "+12065550101", "error_code": "NotFound", "error_message": "..."}],
           "succeeded": ["+12065550100"]}
"""

# Ansible modules import below their documentation (validate-modules requires it).
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.aws_module import exit_with_diff, fail_from  # noqa: E402
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector import (  # noqa: E402
    ensure_voice_connector,
)
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector_api import (  # noqa: E402
    DEFAULT_FOUND_TIMEOUT,
    SERVICE,
    ChimeVoiceError,
    VoiceApi,
)


def _state():
    return dict(type="str", choices=["present", "absent"], default="present")


ARGUMENT_SPEC = dict(
    name=dict(type="str"),
    voice_connector_id=dict(type="str"),
    state=_state(),
    connector_region=dict(type="str"),
    network_type=dict(type="str", choices=["IPV4_ONLY", "DUAL_STACK"]),
    integration_type=dict(type="str", choices=["CONNECT_CALL_TRANSFER_CONNECTOR", "CONNECT_ANALYTICS_CONNECTOR"]),
    recreate=dict(type="bool", default=False),
    require_encryption=dict(type="bool"),
    origination=dict(
        type="dict",
        options=dict(
            state=_state(),
            routes=dict(
                type="list",
                elements="dict",
                options=dict(
                    host=dict(type="str", required=True),
                    port=dict(type="int"),
                    protocol=dict(type="str", choices=["TCP", "UDP"]),
                    priority=dict(type="int", default=1),
                    weight=dict(type="int", default=1),
                ),
            ),
            disabled=dict(type="bool"),
        ),
    ),
    termination=dict(
        type="dict",
        options=dict(
            state=_state(),
            cidr_allow_list=dict(type="list", elements="str"),
            calling_regions=dict(type="list", elements="str"),
            cps_limit=dict(type="int"),
            default_phone_number=dict(type="str"),
            disabled=dict(type="bool"),
        ),
    ),
    termination_credentials=dict(
        type="list",
        elements="dict",
        options=dict(
            username=dict(type="str", required=True),
            password=dict(type="str", required=True, no_log=True),
        ),
    ),
    update_password=dict(type="str", choices=["always", "on_create"], default="always", no_log=False),
    purge_credentials=dict(type="bool", default=False),
    logging=dict(
        type="dict",
        options=dict(
            state=_state(),
            enable_sip_logs=dict(type="bool"),
            enable_media_metric_logs=dict(type="bool"),
        ),
    ),
    streaming=dict(
        type="dict",
        options=dict(
            state=_state(),
            data_retention_in_hours=dict(type="int"),
            disabled=dict(type="bool"),
            notification_targets=dict(type="list", elements="str", choices=["EventBridge", "SNS", "SQS"]),
        ),
    ),
    emergency_calling=dict(
        type="dict",
        options=dict(
            state=_state(),
            dnis=dict(
                type="list",
                elements="dict",
                options=dict(
                    emergency_phone_number=dict(type="str", required=True),
                    test_phone_number=dict(type="str"),
                    calling_country=dict(type="str", required=True),
                ),
            ),
        ),
    ),
    external_systems=dict(
        type="dict",
        options=dict(
            state=_state(),
            session_border_controller_types=dict(type="list", elements="str"),
            contact_center_system_types=dict(type="list", elements="str"),
        ),
    ),
    phone_numbers=dict(type="list", elements="str"),
    purge_phone_numbers=dict(type="bool", default=False),
    force_associate=dict(type="bool", default=False),
    tags=dict(type="dict", aliases=["resource_tags"]),
    purge_tags=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=DEFAULT_FOUND_TIMEOUT),
)


def main():
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        required_one_of=[["name", "voice_connector_id"]],
        supports_check_mode=True,
    )
    # No retry_decorator: the library retries throttled calls itself (one budget, one place).
    api = VoiceApi(module.client(SERVICE))
    try:
        result = ensure_voice_connector(api, module.params, check_mode=module.check_mode)
    except ChimeVoiceError as exc:
        fail_from(module, exc)  # msg, kind, changed, and action/code/details when known
    exit_with_diff(module, result)


if __name__ == "__main__":
    main()
