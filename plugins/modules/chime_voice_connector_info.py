#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: chime_voice_connector_info
short_description: List and find Amazon Chime SDK Voice Connectors and Voice Connector groups
version_added: 0.1.0
description:
  - Lists the account's Voice Connectors, or finds them by ID or by name (names are not unique, so a name may return
    several), each with its outbound host name and the SIP signalling ranges of its Region.
  - With O(details), also reads the sub-configurations asked for (one or two calls per connector and detail).
  - With O(voice_connector_groups=true), also lists the Voice Connector groups.
  - Makes read-only calls only. Termination passwords cannot be read back; only usernames are returned.
author:
  - rtc.ec2_fleet developers (!UNKNOWN)
options:
  voice_connector_id:
    description:
      - Return only this connector (an empty list when it does not exist).
    type: str
  name:
    description:
      - Return only the connectors of this name.
    type: str
  details:
    description:
      - The sub-configurations to read for each connector; V(all) reads every one.
      - V(external_systems) is skipped when the installed botocore does not know the operation.
    type: list
    elements: str
    default: []
    choices:
      - all
      - origination
      - termination
      - termination_credentials
      - logging
      - streaming
      - emergency_calling
      - external_systems
      - phone_numbers
      - tags
  voice_connector_groups:
    description:
      - Also list the Voice Connector groups (all of them, or those named O(voice_connector_group_name)).
    type: bool
    default: false
  voice_connector_group_name:
    description:
      - With O(voice_connector_groups=true), only the groups of this name.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module only reads; it runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: all
notes:
  - Failures return C(kind) and, for failures of an API call, the IAM C(action).
seealso:
  - module: rtc.ec2_fleet.chime_voice_connector
  - module: rtc.ec2_fleet.chime_voice_connector_group
"""

EXAMPLES = r"""
- name: All Voice Connectors, with their origination and termination
  rtc.ec2_fleet.chime_voice_connector_info:
    details: [origination, termination]
  register: trunks

- name: Allow each connector's signalling range in the SBC
  ansible.builtin.debug:
    msg: "{{ trunks.voice_connectors | map(attribute='signalling.cidrs') | flatten | unique }}"

- name: One connector by name, everything about it, and the groups
  rtc.ec2_fleet.chime_voice_connector_info:
    name: rtc-edge-use1
    details: [all]
    voice_connector_groups: true
"""

RETURN = r"""
voice_connectors:
  description:
    - The connectors found, each as returned by M(rtc.ec2_fleet.chime_voice_connector) in
      RV(rtc.ec2_fleet.chime_voice_connector#module:voice_connector), plus C(signalling) and one key per entry of
      O(details) (V(null) for a sub-configuration that is not configured; C(termination_credentials) holds
      C(usernames) only).
  returned: always
  type: list
  elements: dict
  sample: [{"voice_connector_id": "abcdef1ghij2klmno3pqr4", "name": "rtc-edge-use1", "aws_region": "us-east-1",
            "outbound_host_name": "abcdef1ghij2klmno3pqr4.voiceconnector.chime.aws", "require_encryption": true,
            "signalling": {"aws_region": "us-east-1", "cidrs": ["3.80.16.0/23"]}}]
voice_connector_groups:
  description: The groups found, each as returned by M(rtc.ec2_fleet.chime_voice_connector_group).
  returned: when O(voice_connector_groups=true)
  type: list
  elements: dict
  sample: [{"voice_connector_group_id": "123e4567-e89b-12d3-a456-426614174000", "name": "rtc-edge",
            "voice_connectors": [{"voice_connector_id": "abcdef1ghij2klmno3pqr4", "priority": 1}]}]
kind:
  description: On failure, what kind of failure it is.
  returned: failure
  type: str
action:
  description: On failure of an API call, its IAM action.
  returned: failure of an API call
  type: str
code:
  description: On failure, the AWS error code.
  returned: failure with an AWS error code
  type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.aws_module import fail_from  # noqa: E402
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector import (  # noqa: E402
    describe_voice_connectors,
)
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector_api import (  # noqa: E402
    SERVICE,
    ChimeVoiceError,
    Features,
    VoiceApi,
)
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector_group import (  # noqa: E402
    describe_groups,
)
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector_model import (  # noqa: E402
    check_connector_id,
)

DETAIL_CHOICES = [
    "all",
    "origination",
    "termination",
    "termination_credentials",
    "logging",
    "streaming",
    "emergency_calling",
    "external_systems",
    "phone_numbers",
    "tags",
]

ARGUMENT_SPEC = dict(
    voice_connector_id=dict(type="str"),
    name=dict(type="str"),
    details=dict(type="list", elements="str", default=[], choices=DETAIL_CHOICES),
    voice_connector_groups=dict(type="bool", default=False),
    voice_connector_group_name=dict(type="str"),
)


def main():
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[["voice_connector_id", "name"]],
        supports_check_mode=True,
    )
    params = module.params
    api = VoiceApi(module.client(SERVICE))
    api.read_only = True  # an info module never changes anything
    try:
        features = Features(api.client)
        if params["voice_connector_id"]:
            check_connector_id(params["voice_connector_id"], features)
        result = dict(
            changed=False,
            voice_connectors=describe_voice_connectors(
                api,
                voice_connector_id=params["voice_connector_id"],
                name=params["name"],
                details=params["details"],
                features=features,
            ),
        )
        if params["voice_connector_groups"]:
            result["voice_connector_groups"] = describe_groups(api, name=params["voice_connector_group_name"])
    except ChimeVoiceError as exc:
        fail_from(module, exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
