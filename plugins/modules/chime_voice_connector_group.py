#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: chime_voice_connector_group
short_description: Manage an Amazon Chime SDK Voice Connector group (priority-ordered trunks across Regions)
version_added: 0.1.0
description:
  - Creates, updates and deletes a Voice Connector group - up to three Voice Connectors, usually in different AWS
    Regions, that inbound calls to the group's phone numbers try in priority order. This is the PSTN half of a
    multi-region failover.
  - Connectors are named by ID or by name; every one must exist (one C(ListVoiceConnectors) call checks them all
    before anything changes). They are compared as a set of connector and priority, so order never causes a change.
  - B(A sub-option left out is left unmanaged) - without O(voice_connectors) the group keeps its connectors, without
    O(phone_numbers) its numbers.
  - Deleting a group disassociates its phone numbers, then removes its connectors, then deletes it, as the service
    requires. The connectors themselves are not deleted.
author:
  - rtc.ec2_fleet developers (!UNKNOWN)
options:
  name:
    description:
      - The name of the group. Without O(voice_connector_group_id) the group is found by this name; two groups of one
        name fail the task.
      - One of O(name) and O(voice_connector_group_id) is required; a new group needs O(name).
    type: str
  voice_connector_group_id:
    description:
      - The ID of the group.
    type: str
  state:
    description:
      - V(present) creates or updates the group; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  voice_connectors:
    description:
      - The connectors of the group, at most three.
    type: list
    elements: dict
    suboptions:
      voice_connector_id:
        description:
          - The ID of the connector. Exactly one of O(voice_connectors[].voice_connector_id) and
            O(voice_connectors[].name) is required.
        type: str
      name:
        description:
          - The name of the connector; it must be unique.
        type: str
      priority:
        description:
          - 1-99; calls try the connector with priority 1 first.
        type: int
        required: true
  call_distribution_type:
    description:
      - How calls are spread over the connectors, V(PriorityWeightedDistribution) or V(LoadBalancedDistribution) (the
        values the installed botocore's model lists).
      - Needs a botocore whose model knows C(CallDistributionType); the module says so otherwise. Left out, the
        group keeps its setting.
    type: str
  phone_numbers:
    description:
      - Phone numbers to associate with the group, in E.164 format. Compared as a set; a number the service refuses
        fails the task.
    type: list
    elements: str
  purge_phone_numbers:
    description:
      - Disassociate the group's numbers that are not in O(phone_numbers) (only when that is given).
    type: bool
    default: false
  force_associate:
    description:
      - Take a number from another connector or group that holds it.
    type: bool
    default: false
  wait_timeout:
    description:
      - How long after creating the group a C(NotFound) about it is retried, in seconds.
    type: int
    default: 90
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Check mode makes only C(Get*) and C(List*) calls.
  diff_mode:
    support: full
    details: The group's name, distribution type, connectors and (when managed) phone numbers before and after.
  platform:
    platforms: all
notes:
  - Failures return C(kind) (V(invalid), V(not_found), V(ambiguous), V(partial_failure), V(permission_denied),
    V(unsupported), ...) and, for failures of an API call, the IAM C(action).
seealso:
  - module: rtc.ec2_fleet.chime_voice_connector
  - module: rtc.ec2_fleet.chime_voice_connector_info
  - name: Managing Amazon Chime SDK Voice Connector groups
    description: What a group does for failover.
    link: https://docs.aws.amazon.com/chime-sdk/latest/ag/voice-connector-groups.html
"""

EXAMPLES = r"""
- name: Inbound calls try us-east-1 first, then us-west-2
  rtc.ec2_fleet.chime_voice_connector_group:
    name: rtc-edge
    voice_connectors:
      - name: rtc-edge-use1
        priority: 1
      - name: rtc-edge-usw2
        priority: 2
    phone_numbers:
      - "+12065550100"

- name: Delete the group (its numbers and connectors are detached first; the connectors stay)
  rtc.ec2_fleet.chime_voice_connector_group:
    name: rtc-edge
    state: absent
"""

RETURN = r"""
voice_connector_group:
  description: The group after the run; V(null) when absent. In check mode a group to be created has no ID.
  returned: always
  type: dict
  contains:
    voice_connector_group_id:
      description: The ID.
      type: str
      sample: 123e4567-e89b-12d3-a456-426614174000
    name:
      description: The name.
      type: str
      sample: rtc-edge
    arn:
      description: The ARN.
      type: str
    call_distribution_type:
      description: How calls are spread, when the service reports it.
      type: str
      sample: PriorityWeightedDistribution
    voice_connectors:
      description: The connectors in priority order, with their name and Region when the run listed them.
      type: list
      elements: dict
      sample: [{"voice_connector_id": "abcdef1ghij2klmno3pqr4", "priority": 1, "name": "rtc-edge-use1",
                "aws_region": "us-east-1"}]
    created_timestamp:
      description: When the group was created (ISO 8601).
      type: str
    updated_timestamp:
      description: When the group was last updated (ISO 8601).
      type: str
phone_numbers:
  description: The group's phone numbers after the run.
  returned: when O(phone_numbers) is given
  type: list
  elements: str
  sample: ["+12065550100"]
phone_numbers_associated:
  description: The numbers this run associated.
  returned: when O(phone_numbers) is given
  type: list
  elements: str
phone_numbers_disassociated:
  description: The numbers this run disassociated.
  returned: when O(phone_numbers) is given, or on deletion
  type: list
  elements: str
created:
  description: Whether the group was (or would be) created.
  returned: always
  type: bool
deleted:
  description: Whether the group was (or would be) deleted.
  returned: always
  type: bool
kind:
  description: On failure, what kind of failure it is.
  returned: failure
  type: str
  sample: ambiguous
action:
  description: On failure of an API call, its IAM action.
  returned: failure of an API call
  type: str
  sample: chime:UpdateVoiceConnectorGroup
code:
  description: On failure, the AWS error code.
  returned: failure with an AWS error code
  type: str
details:
  description: On a V(partial_failure), the numbers the service refused and those it took.
  returned: failure of kind partial_failure
  type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.aws_module import exit_with_diff, fail_from  # noqa: E402
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector_api import (  # noqa: E402
    DEFAULT_FOUND_TIMEOUT,
    SERVICE,
    ChimeVoiceError,
    VoiceApi,
)
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector_group import (  # noqa: E402
    ensure_voice_connector_group,
)

ARGUMENT_SPEC = dict(
    name=dict(type="str"),
    voice_connector_group_id=dict(type="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    voice_connectors=dict(
        type="list",
        elements="dict",
        options=dict(
            voice_connector_id=dict(type="str"),
            name=dict(type="str"),
            priority=dict(type="int", required=True),
        ),
        mutually_exclusive=[["voice_connector_id", "name"]],
        required_one_of=[["voice_connector_id", "name"]],
    ),
    call_distribution_type=dict(type="str"),
    phone_numbers=dict(type="list", elements="str"),
    purge_phone_numbers=dict(type="bool", default=False),
    force_associate=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=DEFAULT_FOUND_TIMEOUT),
)


def main():
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        required_one_of=[["name", "voice_connector_group_id"]],
        supports_check_mode=True,
    )
    api = VoiceApi(module.client(SERVICE))
    try:
        result = ensure_voice_connector_group(api, module.params, check_mode=module.check_mode)
    except ChimeVoiceError as exc:
        fail_from(module, exc)
    exit_with_diff(module, result)


if __name__ == "__main__":
    main()
