# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The layered list variables of the roles (debops style): role + group + host lists, merged by key."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: layered
short_description: Merge layered list variables by key; later layers win, C(state=absent) removes
version_added: 0.1.0
description:
  - The roles take lists that grow (dispatcher destinations, trusted peers, endpoints) in three layers,
    C(<role>_x + <role>_group_x + <role>_host_x), so that group_vars and host_vars add to the defaults
    instead of replacing them.
  - This filter merges those layers into one list. Items are dicts identified by O(key); an item in a
    later layer replaces the whole item of the same key from an earlier one (with O(merge), only the
    fields it sets), and an item with C(state=absent) removes it. The result keeps the order in which
    keys first appear, and its items have no C(state).
  - An item that is not a dict, lacks O(key), or has a C(state) other than V(present) or V(absent) is an
    error that names the item.
positional: key, removed, merge
options:
  _input:
    description: The layers, a list of lists of dicts (earliest first).
    type: list
    elements: list
    required: true
  key:
    description: The item field that identifies an item across layers.
    type: str
    required: true
  removed:
    description: Return instead the keys whose last layer says C(state=absent), for removing what exists.
    type: bool
    default: false
  merge:
    description:
      - Combine an item with the earlier one of the same key field by field (later fields win) instead
        of replacing it, so that a host layer can change one field of a group's item.
      - An item removed by C(state=absent) and given again starts afresh.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Merge the dispatcher destinations of the role, the group and the host
  ansible.builtin.set_fact:
    destinations: >-
      {{ [kamailio_dispatcher_destinations, kamailio_group_dispatcher_destinations,
          kamailio_host_dispatcher_destinations] | rtc.ec2_fleet.layered('uri') }}

- name: Let the host's layer change one field of a user the group defines
  ansible.builtin.set_fact:
    endpoints: >-
      {{ [asterisk_endpoints, asterisk_group_endpoints, asterisk_host_endpoints]
         | rtc.ec2_fleet.layered('name', merge=true) }}
"""

RETURN = r"""
_value:
  description: The merged items, without their C(state) field; with O(removed), the removed keys.
  type: list
  elements: raw
"""

from ansible.errors import AnsibleFilterError  # noqa: E402


def layered(layers, key, removed=False, merge=False):
    merged = {}
    absent = []
    for layer in layers:
        for item in layer or []:
            if not isinstance(item, dict) or key not in item:
                raise AnsibleFilterError("layered: every item needs a %r field; got %r" % (key, item))
            state = item.get("state", "present")
            if state not in ("present", "absent"):
                raise AnsibleFilterError("layered: state must be present or absent, not %r, in %r" % (state, item))
            earlier = merged.pop(item[key], {})
            if item[key] in absent:
                absent.remove(item[key])
            if state == "absent":
                absent.append(item[key])
            else:
                fields = dict(earlier) if merge else {}
                fields.update((k, v) for k, v in item.items() if k != "state")
                merged[item[key]] = fields
    if removed:
        return absent
    # Keep first-appearance order of keys still present.
    order = []
    for layer in layers:
        for item in layer or []:
            if item[key] in merged and item[key] not in order:
                order.append(item[key])
    return [merged[name] for name in order]


class FilterModule(object):
    def filters(self):
        return {"layered": layered}
