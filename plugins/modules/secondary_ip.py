#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: secondary_ip
short_description: Assign, move or remove secondary private IPv4 addresses of an EC2 network interface
version_added: 0.1.0
description:
  - Makes a list of secondary private IPv4 addresses present on, or absent from, one elastic network interface (ENI),
    the floating-IP half of an active-standby pair (the virtual IP that keepalived moves between the two nodes).
  - With O(allow_reassignment=true) an address that another interface holds is taken from it (a takeover); EC2 moves
    an Elastic IP associated with the address along with it. Without it, such an address is refused.
  - Every change is verified by reading the interface back, polling with bounded, jittered backoff until the address
    shows (and, after a move, has left the old interface). The module fails when it does not show within
    O(wait_timeout) seconds; it never carries on silently.
  - Everything that can be checked beforehand is checked before anything changes (malformed addresses, an address
    outside the interface's subnet or reserved by AWS, an address held by another interface, a primary address), so a
    refused request leaves the interfaces as they were.
  - A run that finds nothing to change makes one API call (C(DescribeNetworkInterfaces)).
  - The logic lives in the collection's C(floating_ip) module_utils, which needs only boto3; the node-side failover
    agent runs the same code.
author:
  - rtc.ec2_fleet developers (!UNKNOWN)
options:
  eni_id:
    description:
      - The ID of the network interface.
      - Exactly one of O(eni_id) and O(instance_id) is required.
    type: str
  instance_id:
    description:
      - The ID of the instance whose interface at O(device_index) is meant.
    type: str
  device_index:
    description:
      - The device index of the interface on O(instance_id); V(0) is the primary interface (C(eth0)).
      - Only with O(instance_id).
    type: int
    default: 0
  addresses:
    description:
      - The secondary private IPv4 addresses, for example the floating (virtual) IP of a pair.
      - Each must lie in the interface's subnet and must not be one of the five addresses AWS reserves in it.
      - A primary address cannot be listed; primary addresses never move.
      - With O(state=present), O(purge=true) and an empty list, every secondary address is removed.
    type: list
    elements: str
    required: true
  state:
    description:
      - V(present) assigns the addresses that are missing; V(absent) unassigns those that are on the interface.
    type: str
    choices: [present, absent]
    default: present
  allow_reassignment:
    description:
      - Take an address from the interface that holds it now (C(AllowReassignment) of C(AssignPrivateIpAddresses)).
      - When V(false), an address held by another interface fails the task and changes nothing.
      - The holder must be in the same subnet. An address of another subnet (another Availability Zone) cannot move
        at all; see the notes for the cross-AZ pattern.
    type: bool
    default: false
  purge:
    description:
      - With O(state=present), also remove the secondary addresses of the interface that are not in O(addresses).
      - Ignored with O(state=absent).
    type: bool
    default: false
  wait:
    description:
      - Read the interface back after a change until it shows, and fail if it does not within O(wait_timeout).
      - When V(false), the returned addresses are the expected ones, not read back.
    type: bool
    default: true
  wait_timeout:
    description:
      - How long to wait for a change to show, in seconds.
    type: int
    default: 30
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Check mode makes only C(Describe*) calls and validates the request exactly as a real run would.
  diff_mode:
    support: full
    details: The secondary addresses of the interface before and after.
  platform:
    platforms: all
notes:
  - Throttled API calls are retried with jittered exponential backoff within a bounded budget; the task fails with
    C(kind=throttled) once the budget is spent.
  - Failures return C(kind) (for example V(not_found), V(permission_denied), V(address_in_use), V(not_in_subnet),
    V(cross_subnet), V(invalid), V(timeout), V(throttled)) and, for V(permission_denied), the IAM C(action) that is
    missing.
  - IAM actions used are C(ec2:DescribeNetworkInterfaces), C(ec2:DescribeSubnets), C(ec2:DescribeInstances) (only to
    explain an unknown instance), C(ec2:AssignPrivateIpAddresses) and C(ec2:UnassignPrivateIpAddresses).
  - B(Cross-AZ pairs.) A secondary private IP lives in exactly one subnet, and a subnet in one Availability Zone, so
    it cannot follow a standby in another zone. For such a pair give each node its own address and move the Elastic IP
    instead, with M(rtc.ec2_fleet.elastic_ip) and O(rtc.ec2_fleet.elastic_ip#module:allow_reassociation=true); this
    module fails with C(kind=cross_subnet) and says so when asked to move an address across subnets.
  - The operating system of the instance must also configure the address (keepalived, or C(ip addr add)); this module
    manages the EC2 side only.
  - Only IPv4 addresses are managed.
seealso:
  - module: rtc.ec2_fleet.elastic_ip
  - module: amazon.aws.ec2_eni
  - name: Multiple IP addresses
    description: Secondary private IPv4 addresses of an interface, and how they move.
    link: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/MultipleIP.html
  - name: AssignPrivateIpAddresses
    description: The API call, and what AllowReassignment does.
    link: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssignPrivateIpAddresses.html
"""

EXAMPLES = r"""
- name: Set the AWS connection once for every AWS module of the collection (and amazon.aws's)
  module_defaults:
    group/rtc.ec2_fleet.aws:
      region: eu-west-1
  block:
    - name: Put the SIP virtual IP on the active node's primary interface
      rtc.ec2_fleet.secondary_ip:
        instance_id: "{{ active_instance_id }}"
        addresses:
          - 10.0.1.100

    - name: Fail over within one subnet (same AZ) - move the VIP to the standby, with the Elastic IP on it
      rtc.ec2_fleet.secondary_ip:
        eni_id: "{{ standby_eni_id }}"
        addresses:
          - 10.0.1.100
        allow_reassignment: true
      register: takeover

    - name: Show where the address came from
      ansible.builtin.debug:
        msg: "10.0.1.100 taken from {{ takeover.moved_from['10.0.1.100'] | default('nowhere') }}"

- name: Against the lab's local AWS endpoint (the same task; only the connection differs)
  rtc.ec2_fleet.secondary_ip:
    endpoint_url: "{{ rtc_aws_endpoint_url }}"
    region: us-east-1
    eni_id: eni-0123456789abcdef0
    addresses: [10.0.1.100, 10.0.1.101]

- name: Keep exactly these secondary addresses on the second interface, removing any other
  rtc.ec2_fleet.secondary_ip:
    instance_id: i-0123456789abcdef0
    device_index: 1
    addresses: [10.0.2.100]
    purge: true

- name: Give the address up (the old master after a takeover, or a decommissioned pair)
  rtc.ec2_fleet.secondary_ip:
    eni_id: eni-0123456789abcdef0
    addresses: [10.0.1.100]
    state: absent

- name: Cross-AZ pair - the address cannot follow the standby to another subnet; move the Elastic IP instead
  rtc.ec2_fleet.elastic_ip:
    tags:
      Name: sip-vip
    instance_id: "{{ standby_instance_id }}"
    allow_reassociation: true
"""

RETURN = r"""
network_interface_id:
  description: The ID of the interface.
  returned: success
  type: str
  sample: eni-0123456789abcdef0
instance_id:
  description: The ID of the instance the interface is attached to, V(null) when it is detached.
  returned: success
  type: str
  sample: i-0123456789abcdef0
subnet_id:
  description: The ID of the subnet of the interface.
  returned: success
  type: str
  sample: subnet-0123456789abcdef0
primary_address:
  description: The primary private IPv4 address of the interface (never changed by this module).
  returned: success
  type: str
  sample: 10.0.1.10
addresses:
  description:
    - All secondary private IPv4 addresses of the interface after the run, sorted; read back from EC2 unless
      O(wait=false) or check mode, where they are the expected ones.
  returned: success
  type: list
  elements: str
  sample: [10.0.1.100, 10.0.1.101]
assigned:
  description: The addresses assigned by this run (or that would be, in check mode).
  returned: success
  type: list
  elements: str
  sample: [10.0.1.100]
unassigned:
  description: The addresses unassigned by this run (or that would be, in check mode).
  returned: success
  type: list
  elements: str
  sample: []
moved_from:
  description: Each address taken from another interface, mapped to the ID of that interface.
  returned: success
  type: dict
  sample: {"10.0.1.100": "eni-0fedcba9876543210"}
kind:
  description:
    - On failure, what kind of failure it is, one of V(not_found), V(permission_denied), V(throttled),
      V(address_in_use), V(not_in_subnet), V(cross_subnet), V(invalid), V(timeout), V(unreachable), V(api_error).
  returned: failure
  type: str
  sample: address_in_use
action:
  description: On failure, the IAM action of the API call concerned (always for V(permission_denied)).
  returned: failure of an API call
  type: str
  sample: ec2:AssignPrivateIpAddresses
code:
  description: On failure, the AWS error code.
  returned: failure with an AWS error code
  type: str
  sample: UnauthorizedOperation
"""

# Ansible modules import below their documentation (validate-modules requires it).
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.aws_module import exit_with_diff, fail_from  # noqa: E402
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.floating_ip import (  # noqa: E402
    DEFAULT_WAIT_TIMEOUT,
    Ec2Api,
    FloatingIpError,
    ensure_secondary_ips,
)

ARGUMENT_SPEC = dict(
    eni_id=dict(type="str"),
    instance_id=dict(type="str"),
    device_index=dict(type="int", default=0),
    addresses=dict(type="list", elements="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    allow_reassignment=dict(type="bool", default=False),
    purge=dict(type="bool", default=False),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=DEFAULT_WAIT_TIMEOUT),
)


def main():
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[["eni_id", "instance_id"], ["eni_id", "device_index"]],
        required_one_of=[["eni_id", "instance_id"]],
        supports_check_mode=True,
    )
    params = module.params
    # No retry_decorator: the library retries throttled calls itself, so that the node-side failover
    # agent and this module share one retry implementation (and one budget).
    api = Ec2Api(module.client("ec2"))
    try:
        result = ensure_secondary_ips(
            api,
            params["addresses"],
            eni_id=params["eni_id"],
            instance_id=params["instance_id"],
            device_index=params["device_index"],
            state=params["state"],
            allow_reassignment=params["allow_reassignment"],
            purge=params["purge"],
            wait=params["wait"],
            wait_timeout=params["wait_timeout"],
            check_mode=module.check_mode,
        )
    except FloatingIpError as exc:
        fail_from(module, exc)
    exit_with_diff(module, result)


if __name__ == "__main__":
    main()
