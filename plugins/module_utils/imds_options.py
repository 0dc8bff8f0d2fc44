# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Ansible side of the IMDSv2 client: the options every metadata-reading module takes.

Kept apart from imds.py, which must import without Ansible (node-side agents run it). The options
are documented once, in the rtc.ec2_fleet.imds doc fragment.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.imds import (
    DEFAULT_ENDPOINT,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    DEFAULT_TOKEN_TTL,
    ImdsClient,
)

IMDS_ARGUMENT_SPEC = dict(
    endpoint=dict(type="str", default=DEFAULT_ENDPOINT, fallback=(env_fallback, ["RTC_IMDS_ENDPOINT"])),
    token_ttl=dict(type="int", default=DEFAULT_TOKEN_TTL, no_log=False),
    timeout=dict(type="float", default=DEFAULT_TIMEOUT),
    retries=dict(type="int", default=DEFAULT_RETRIES),
)


def imds_client(params):
    """An ImdsClient configured from a module's IMDS_ARGUMENT_SPEC parameters."""
    return ImdsClient(
        endpoint=params["endpoint"],
        token_ttl=params["token_ttl"],
        timeout=params["timeout"],
        retries=params["retries"],
    )
