# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The options of every module that reads instance metadata; the matching argument spec is
    # IMDS_ARGUMENT_SPEC in module_utils/imds_options.py.
    DOCUMENTATION = r"""
options:
  endpoint:
    description:
      - Base URL of the instance metadata service, without C(/latest).
      - When not set, the value of the E(RTC_IMDS_ENDPOINT) environment variable on the managed node is used,
        and when that is not set either, the EC2 link-local address.
      - In the lab, the URL of the IMDSv2 stand-in, for example V(http://10.89.0.1:8169).
    type: str
    default: http://169.254.169.254
  token_ttl:
    description:
      - Lifetime in seconds requested for the IMDSv2 session token, from V(1) to V(21600).
      - The token is reused for all reads of one run and renewed shortly before it expires.
    type: int
    default: 21600
  timeout:
    description:
      - Timeout in seconds of each HTTP request to the metadata service.
    type: float
    default: 2
  retries:
    description:
      - Number of further attempts of a request after a connection error, a timeout, HTTP 429 or a 5xx answer,
        with jittered exponential backoff between attempts.
      - A V(401) answer (token revoked or expired) fetches a new token once, independently of this setting.
    type: int
    default: 3
"""
