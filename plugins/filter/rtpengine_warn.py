# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Show a message as an Ansible warning (a filter, so that a debug task can both warn and show it)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: rtpengine_warn
short_description: Show a message as an Ansible warning and return it
version_added: 0.1.0
description:
- Used by the rtpengine role to report a fallback (userspace forwarding, firewall not applied) as a real C([WARNING])
  line, in a C(debug) task that also shows the message.
options:
  _input:
    description: The message.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Report the fallback
  ansible.builtin.debug:
    msg: "{{ 'rtpengine forwards in userspace' | rtc.ec2_fleet.rtpengine_warn }}"
"""

RETURN = r"""
_value:
  description: The message, unchanged.
  type: str
"""

from ansible.utils.display import Display  # noqa: E402

_display = Display()


def warn(message):
    """Print message as an Ansible [WARNING] and return it (for use in a debug task)."""
    _display.warning(str(message))
    return message


class FilterModule(object):
    def filters(self):
        return {"rtpengine_warn": warn}
