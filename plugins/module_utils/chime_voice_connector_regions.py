# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where Voice Connectors live and where their SIP signalling comes from: a table the collection maintains.

The signalling table is copied from the Amazon Chime SDK Administrator Guide, "Network configuration and
bandwidth requirements", section "Amazon Chime SDK Voice Connector" / "SIP Signaling"
(:data:`SIGNALLING_SOURCE`), as read on :data:`SIGNALLING_AS_OF`.  The English page was only partly
legible to us (the US East, US West, Seoul and Singapore rows); the other six rows come from the same page
in its Japanese and Chinese editions (:data:`SIGNALLING_SOURCE_EDITIONS`), which list all ten regions and
agree with the English rows we could read.  The page now also has an IPv6 column (for ``DUAL_STACK``
connectors) whose values we could not read: IPv6 signalling ranges are deliberately not in this table.

Update the table, :data:`SIGNALLING_AS_OF` and ``docs/chime.md`` together, and only from that page.

Standard library only; imports nothing from ``ansible``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

SIGNALLING_SOURCE = "https://docs.aws.amazon.com/chime-sdk/latest/ag/network-config.html#cvc-signaling"
SIGNALLING_SOURCE_EDITIONS = (
    "https://docs.aws.amazon.com/ja_jp/chime-sdk/latest/ag/network-config.html",
    "https://docs.aws.amazon.com/zh_cn/chime-sdk/latest/ag/network-config.html",
)
SIGNALLING_AS_OF = "2026-11-26"

# AWS Region -> the IPv4 subnets Voice Connector SIP signalling comes from and goes to.
SIGNALLING_CIDRS = {
    "us-east-1": ("3.80.16.0/23",),
    "us-west-2": ("99.77.253.0/24",),
    "ap-northeast-2": ("99.77.242.0/24",),
    "ap-southeast-1": ("99.77.240.0/24",),
    "ap-southeast-2": ("99.77.239.0/24",),
    "ap-northeast-1": ("99.77.244.0/24",),
    "ca-central-1": ("99.77.233.0/24",),
    "eu-central-1": ("99.77.247.0/24",),
    "eu-west-1": ("99.77.250.0/24",),
    "eu-west-2": ("99.77.249.0/24",),
}

# The same for every region on that page: UDP/5060, TCP/5060, TLS/5061.
SIGNALLING_PORTS = (
    {"transport": "UDP", "protocol": "udp", "port": 5060},
    {"transport": "TCP", "protocol": "tcp", "port": 5060},
    {"transport": "TLS", "protocol": "tcp", "port": 5061},
)

# The Regions of the VoiceConnectorAwsRegion enum of the chime-sdk-voice model (botocore 1.44).  The
# library reads the enum from the installed botocore; this is the fallback for a model without one.
VOICE_CONNECTOR_REGIONS = (
    "us-east-1",
    "us-west-2",
    "ca-central-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "ap-northeast-2",
    "ap-northeast-1",
    "ap-southeast-1",
    "ap-southeast-2",
)

# CreateVoiceConnector: "AwsRegion ... Default value: us-east-1".
DEFAULT_AWS_REGION = "us-east-1"


def signalling(aws_region, require_encryption=None):
    """The signalling allow-list entry of ``aws_region`` as plain data.

    ``cidrs`` are the IPv4 subnets (empty, with a ``note``, for a region the table lacks); ``ports`` all
    documented transports; ``ports_in_use`` those the connector uses: TLS only with encryption, UDP and
    TCP without (all three when ``require_encryption`` is unknown).
    """
    cidrs = list(SIGNALLING_CIDRS.get(aws_region, ()))
    ports = [dict(port) for port in SIGNALLING_PORTS]
    if require_encryption is None:
        in_use = ports
    elif require_encryption:
        in_use = [p for p in ports if p["transport"] == "TLS"]
    else:
        in_use = [p for p in ports if p["transport"] != "TLS"]
    entry = {
        "aws_region": aws_region,
        "cidrs": cidrs,
        "ipv6_cidrs": None,
        "ports": ports,
        "ports_in_use": [dict(p) for p in in_use],
        "source": SIGNALLING_SOURCE,
        "as_of": SIGNALLING_AS_OF,
    }
    if not cidrs:
        entry["note"] = "the collection's table has no signalling range for %s; look it up at %s" % (
            aws_region,
            SIGNALLING_SOURCE,
        )
    return entry
