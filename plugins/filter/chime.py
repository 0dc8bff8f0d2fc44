# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters over the collection's Voice Connector region table (module_utils/chime_voice_connector_regions)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: chime_signalling_cidrs
short_description: The IPv4 subnets Amazon Chime SDK Voice Connector SIP signalling comes from, for a Region
version_added: 0.1.0
description:
  - Returns the IPv4 CIDR blocks from which a Voice Connector in the given AWS Region sends SIP signalling
    (and to which it answers), as listed in the Amazon Chime SDK Administrator Guide, section
    "Network configuration and bandwidth requirements". A SIP edge or PBX accepts trunk calls only from these.
  - The table is the collection's own copy (see C(docs/chime.md) for its source and date); a Region without
    Voice Connectors is an error, not an empty list, so that a typo never opens a trunk to nobody or to everybody.
positional: _input
options:
  _input:
    description: The AWS Region of the Voice Connector, for example V(us-east-1).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Accept trunk calls only from the Voice Connector's signalling subnets
  ansible.builtin.set_fact:
    trunk_cidrs: "{{ 'us-east-1' | rtc.ec2_fleet.chime_signalling_cidrs }}"
"""

RETURN = r"""
_value:
  description: The IPv4 CIDR blocks, in the table's order.
  type: list
  elements: str
  sample: [3.80.16.0/23]
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.chime_voice_connector_regions import (  # noqa: E402
    SIGNALLING_CIDRS,
)


def chime_signalling_cidrs(region):
    cidrs = SIGNALLING_CIDRS.get(region)
    if cidrs is None:
        raise AnsibleFilterError(
            "chime_signalling_cidrs: %r is not a Region with Voice Connectors; known: %s"
            % (region, ", ".join(sorted(SIGNALLING_CIDRS)))
        )
    return list(cidrs)


class FilterModule(object):
    def filters(self):
        return {"chime_signalling_cidrs": chime_signalling_cidrs}
