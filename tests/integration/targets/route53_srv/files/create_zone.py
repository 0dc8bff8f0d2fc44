# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Create a public hosted zone even when one of that name exists, and print its ID as JSON.

amazon.aws.route53_zone finds an existing zone by name and never creates a second one, but the
"two zones of one name" case of rtc.ec2_fleet.route53_srv needs exactly that. Arguments: the
endpoint URL, the region, the zone name. Credentials come from the environment.
"""

import json
import sys
import uuid

import boto3


def main():
    endpoint_url, region, name = sys.argv[1:4]
    route53 = boto3.client("route53", endpoint_url=endpoint_url, region_name=region)
    answer = route53.create_hosted_zone(Name=name, CallerReference="rtc-it-%s" % uuid.uuid4().hex)
    print(json.dumps({"zone_id": answer["HostedZone"]["Id"].split("/")[-1]}))


if __name__ == "__main__":
    main()
