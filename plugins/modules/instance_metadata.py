#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: instance_metadata
short_description: Gather the identity and network interfaces of an EC2 instance from IMDSv2
version_added: 0.1.0
description:
  - Reads the instance metadata service (IMDS) of the instance the task runs on, using IMDSv2 only
    (a session token from C(PUT /latest/api/token), sent with every read).
  - Returns the instance identity, placement and every network interface with its private and public
    IPv4 addresses as the fact C(rtc_ec2_instance).
  - The metadata endpoint is a setting, so the same task works on EC2 (the default, link-local endpoint)
    and in the lab, where an IMDSv2 stand-in answers at its own address.
  - This module makes no AWS API call and needs no credentials or boto3.
  - The IMDSv2 client lives in the collection's C(imds) module_utils, which needs nothing but the Python
    standard library; the node-side agents of the collection run the same code.
author:
  - rtc.ec2_fleet developers (!UNKNOWN)
extends_documentation_fragment:
  - rtc.ec2_fleet.imds
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
attributes:
  check_mode:
    support: full
    details: The module only reads, so check mode runs it unchanged.
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    platforms: posix
notes:
  - On EC2 the instance must have the metadata endpoint enabled (C(HttpEndpoint=enabled)). When the task runs
    inside a container on the instance, the hop limit of the token response (C(HttpPutResponseHopLimit))
    must be at least V(2).
  - Items the instance does not have (a public IPv4 address, a placement group) are returned as V(null)
    or as empty lists and dictionaries, not as errors.
seealso:
  - name: Instance metadata service version 2
    description: How IMDSv2 session tokens work.
    link: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html
  - name: Instance metadata categories
    description: The paths this module reads.
    link: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-categories.html
"""

EXAMPLES = r"""
- name: Gather the instance identity on EC2
  rtc.ec2_fleet.instance_metadata:

- name: Gather it in the lab, from the IMDSv2 stand-in
  rtc.ec2_fleet.instance_metadata:
    endpoint: http://10.89.0.1:8169

- name: Or set the endpoint once for the whole play through the environment
  rtc.ec2_fleet.instance_metadata:
  environment:
    RTC_IMDS_ENDPOINT: "{{ rtc_imds_endpoint }}"

- name: Use the facts
  ansible.builtin.debug:
    msg: >-
      {{ rtc_ec2_instance.instance_id }} in {{ rtc_ec2_instance.availability_zone }},
      secondary addresses of eth0: {{ rtc_ec2_instance.interfaces[0].local_ipv4s[1:] }}
"""

RETURN = r"""
instance:
  description: The instance identity, the same value as the fact C(rtc_ec2_instance).
  returned: success
  type: dict
  contains:
    instance_id:
      description: The instance ID.
      type: str
      sample: i-0123456789abcdef0
    instance_type:
      description: The instance type.
      type: str
      sample: c5n.xlarge
    ami_id:
      description: The ID of the AMI the instance was launched from.
      type: str
      sample: ami-0abcdef1234567890
    region:
      description: The AWS Region of the instance.
      type: str
      sample: eu-west-1
    availability_zone:
      description: The name of the Availability Zone of the instance.
      type: str
      sample: eu-west-1a
    availability_zone_id:
      description: The ID of the Availability Zone, the same physical zone in every account.
      type: str
      sample: euw1-az1
    placement_group:
      description: The name of the placement group of the instance, V(null) when it is in none.
      type: str
      sample: rtc-media
    mac:
      description: The MAC address of the primary network interface.
      type: str
      sample: 0e:11:22:33:44:01
    local_ipv4:
      description: The primary private IPv4 address of the primary network interface.
      type: str
      sample: 10.0.1.10
    public_ipv4:
      description: The public IPv4 address of the primary network interface, V(null) when it has none.
      type: str
      sample: 203.0.113.10
    interfaces:
      description: The network interfaces of the instance, ordered by device number.
      type: list
      elements: dict
      contains:
        mac:
          description: The MAC address of the interface.
          type: str
          sample: 0e:11:22:33:44:01
        device_number:
          description: The device number of the interface (V(0) is the primary interface).
          type: int
          sample: 0
        interface_id:
          description: The ID of the elastic network interface.
          type: str
          sample: eni-0123456789abcdef0
        subnet_id:
          description: The ID of the subnet of the interface.
          type: str
          sample: subnet-0123456789abcdef0
        subnet_ipv4_cidr_block:
          description: The IPv4 CIDR block of that subnet.
          type: str
          sample: 10.0.1.0/24
        vpc_id:
          description: The ID of the VPC of the interface.
          type: str
          sample: vpc-0123456789abcdef0
        local_ipv4s:
          description: The private IPv4 addresses of the interface, the primary address first.
          type: list
          elements: str
          sample: [10.0.1.10, 10.0.1.20]
        public_ipv4s:
          description: The public IPv4 addresses of the interface, empty when it has none.
          type: list
          elements: str
          sample: [203.0.113.10]
        ipv4_associations:
          description: Each public IPv4 address of the interface mapped to the private address it is associated with.
          type: dict
          sample: {"203.0.113.10": "10.0.1.10"}
ansible_facts:
  description: Facts added to the host.
  returned: success
  type: dict
  contains:
    rtc_ec2_instance:
      description: The instance identity, as described under RV(instance).
      type: dict
"""

# Ansible modules import below their documentation (validate-modules requires it).
from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.imds import ImdsError, gather_instance_identity  # noqa: E402
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.imds_options import (  # noqa: E402
    IMDS_ARGUMENT_SPEC,
    imds_client,
)


def main():
    module = AnsibleModule(argument_spec=IMDS_ARGUMENT_SPEC, supports_check_mode=True)
    try:
        instance = gather_instance_identity(imds_client(module.params))
    except ImdsError as exc:
        module.fail_json(msg=str(exc), url=exc.url, status=exc.status)
    module.exit_json(changed=False, instance=instance, ansible_facts=dict(rtc_ec2_instance=instance))


if __name__ == "__main__":
    main()
