#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: elastic_ip
short_description: Keep an Elastic IP on an exact network interface and private IP, or release it
version_added: 0.1.0
description:
  - Keeps an Elastic IP (EIP) on an exact pair of elastic network interface (ENI) and private IPv4 address, the public
    half of the floating-IP pattern. Idempotency compares that exact pair, so an EIP on the right interface but on
    another of its addresses is moved to the requested one.
  - The EIP is named by O(allocation_id) or O(public_ip), or found by O(tags); with O(allocate=true) one is allocated
    (with those tags) when none matches, so that the next run finds it again.
  - With O(allow_reassociation=true) an EIP associated elsewhere is moved (a takeover); without it such an EIP is
    refused and nothing changes.
  - Every change is verified by reading the address back, polling with bounded, jittered backoff until it shows. The
    module fails when it does not show within O(wait_timeout) seconds; it never carries on silently.
  - A run that finds nothing to change makes at most two API calls (C(DescribeAddresses), and
    C(DescribeNetworkInterfaces) unless O(eni_id) and O(private_ip) already match the association).
  - The logic lives in the collection's C(floating_ip) module_utils, which needs only boto3; the node-side failover
    agent runs the same code.
author:
  - rtc.ec2_fleet developers (!UNKNOWN)
options:
  allocation_id:
    description:
      - The allocation ID of the EIP.
      - Exactly one of O(allocation_id), O(public_ip) and O(tags) names the EIP; O(tags) may also be given with the
        other two, and is then only set on the EIP.
    type: str
  public_ip:
    description:
      - The public IPv4 address of the EIP.
    type: str
  tags:
    description:
      - Tags of the EIP, as a dictionary of key and value.
      - Without O(allocation_id) and O(public_ip), the EIP is the one address that has all of these tags; more than one
        match fails the task.
      - With O(state=present) the tags are set on the EIP (and on a newly allocated one).
    type: dict
  purge_tags:
    description:
      - With O(state=present), remove tags of the EIP that are not in O(tags) (tags starting with C(aws:) are kept).
    type: bool
    default: false
  allocate:
    description:
      - Allocate a VPC EIP, tagged with O(tags), when no EIP has the tags.
      - Requires O(tags), and neither O(allocation_id) nor O(public_ip).
    type: bool
    default: false
  eni_id:
    description:
      - The ID of the network interface to associate the EIP with (the target).
      - At most one of O(eni_id) and O(instance_id).
    type: str
  instance_id:
    description:
      - The ID of the instance to associate the EIP with. The target interface is the instance's interface holding
        O(private_ip), or its primary interface (device index 0) when O(private_ip) is not given.
    type: str
  private_ip:
    description:
      - The private IPv4 address of the target interface to associate the EIP with; the default is the interface's
        primary address.
      - It must already be assigned to the interface (use M(rtc.ec2_fleet.secondary_ip) for a secondary address).
      - Requires O(eni_id) or O(instance_id).
    type: str
  allow_reassociation:
    description:
      - Move the EIP when it is associated with anything other than the exact target pair, including another address
        of the same interface.
      - Also replace another EIP that is already associated with the exact target pair. EC2 keeps one EIP per private
        address and disassociates the existing one when another is associated there; that EIP stays allocated,
        associated with nothing, and is returned as RV(displaced).
      - When V(false), either case fails the task with C(kind=eip_in_use) and changes nothing (in check mode too).
    type: bool
    default: false
  state:
    description:
      - V(present) associates the EIP with the target, when one is given, and sets O(tags).
      - V(disassociated) makes sure the EIP is not associated; with a target, only an association with that target is
        removed (an association elsewhere is left alone). The EIP stays allocated.
      - V(absent) does the same as V(disassociated), then releases the EIP when O(release=true). An EIP that does not
        exist is already absent.
    type: str
    choices: [present, absent, disassociated]
    default: present
  release:
    description:
      - With O(state=absent), release the EIP after disassociating it. It is then gone from the account for good.
      - Refused when the EIP is associated elsewhere than the target given.
    type: bool
    default: false
  wait:
    description:
      - Read the EIP back after a change until it shows, and fail if it does not within O(wait_timeout).
      - A release always waits for the disassociation before it, and an allocation is always read back once.
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
    details: The association (interface and private IP) and tags of the EIP before and after.
  platform:
    platforms: all
notes:
  - Throttled API calls are retried with jittered exponential backoff within a bounded budget; the task fails with
    C(kind=throttled) once the budget is spent.
  - Failures return C(kind) (for example V(not_found), V(permission_denied), V(eip_in_use), V(not_on_eni),
    V(invalid), V(timeout), V(throttled)) and, for V(permission_denied), the IAM C(action) that is missing.
  - IAM actions used are C(ec2:DescribeAddresses), C(ec2:DescribeNetworkInterfaces), C(ec2:DescribeInstances) (only
    to explain an unknown instance), C(ec2:AllocateAddress), C(ec2:AssociateAddress), C(ec2:DisassociateAddress),
    C(ec2:ReleaseAddress), C(ec2:CreateTags) and C(ec2:DeleteTags).
  - B(Cross-AZ pairs.) A secondary private IP cannot move to another subnet (see M(rtc.ec2_fleet.secondary_ip)). For
    an active-standby pair in two Availability Zones, give each node its own private address and move the EIP; on
    failover, associate it with the standby's own address with O(allow_reassociation=true).
  - B(Replacing an EIP.) Before associating, the module looks up (one more C(DescribeAddresses) call, made only when
    an association is about to be made) whether another EIP is on the exact target pair. It is replaced only with
    O(allow_reassociation=true), and is then reported in RV(displaced) and in the diff's C(before); the read-back
    also checks that it has left the pair.
  - Only VPC EIPs (those with an allocation ID) are managed.
seealso:
  - module: rtc.ec2_fleet.secondary_ip
  - module: amazon.aws.ec2_eip
  - name: Elastic IP addresses
    description: How EIPs are associated and moved.
    link: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/elastic-ip-addresses-eip.html
  - name: AssociateAddress
    description: The API call, and what AllowReassociation does.
    link: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateAddress.html
"""

EXAMPLES = r"""
- name: Set the AWS connection once for every AWS module of the collection (and amazon.aws's)
  module_defaults:
    group/rtc.ec2_fleet.aws:
      region: eu-west-1
      # endpoint_url: "{{ rtc_aws_endpoint_url }}"  # in the lab: its local AWS endpoint
  block:
    - name: Allocate the SIP EIP once (found by its tag afterwards) and put it on the active node's VIP
      rtc.ec2_fleet.elastic_ip:
        tags:
          Name: sip-vip
        allocate: true
        eni_id: "{{ active_eni_id }}"
        private_ip: 10.0.1.100

    - name: Same-AZ failover - move the VIP; EC2 carries the EIP along with the address
      rtc.ec2_fleet.secondary_ip:
        eni_id: "{{ standby_eni_id }}"
        addresses: [10.0.1.100]
        allow_reassignment: true

    - name: Check that the EIP followed, exactly onto the VIP of the standby (no change expected)
      rtc.ec2_fleet.elastic_ip:
        tags:
          Name: sip-vip
        eni_id: "{{ standby_eni_id }}"
        private_ip: 10.0.1.100
      register: eip

    - name: Cross-AZ failover - the standby has its own address in its own subnet; reassociate the EIP to it
      rtc.ec2_fleet.elastic_ip:
        tags:
          Name: sip-vip
        instance_id: "{{ standby_instance_id }}"
        allow_reassociation: true
      register: takeover

    - name: Report the move
      ansible.builtin.debug:
        msg: >-
          {{ takeover.public_ip }} moved from {{ takeover.previous.private_ip }}
          on {{ takeover.previous.network_interface_id }} to {{ takeover.private_ip }}
          on {{ takeover.network_interface_id }}

- name: Associate a known EIP with a secondary address of the second interface of an instance
  rtc.ec2_fleet.elastic_ip:
    allocation_id: eipalloc-0123456789abcdef0
    instance_id: i-0123456789abcdef0
    private_ip: 10.0.2.100

- name: Take the EIP off whatever it is on, keeping it allocated
  rtc.ec2_fleet.elastic_ip:
    public_ip: 203.0.113.10
    state: disassociated

- name: Release the EIP (disassociating it first)
  rtc.ec2_fleet.elastic_ip:
    tags:
      Name: sip-vip
    state: absent
    release: true
"""

RETURN = r"""
allocation_id:
  description: The allocation ID of the EIP; V(null) when none exists (or, in check mode, one would be allocated).
  returned: success
  type: str
  sample: eipalloc-0123456789abcdef0
public_ip:
  description: The public IPv4 address of the EIP; V(null) when none exists (or would only be allocated).
  returned: success
  type: str
  sample: 203.0.113.10
association_id:
  description: The ID of the association after the run; V(null) when the EIP is not associated (and in check mode).
  returned: success
  type: str
  sample: eipassoc-0123456789abcdef0
network_interface_id:
  description: The ID of the interface the EIP is associated with after the run, V(null) when it is not associated.
  returned: success
  type: str
  sample: eni-0123456789abcdef0
private_ip:
  description: The private IPv4 address the EIP is associated with after the run, V(null) when it is not associated.
  returned: success
  type: str
  sample: 10.0.1.100
instance_id:
  description: The ID of the instance of that interface, V(null) when there is none (or in check mode).
  returned: success
  type: str
  sample: i-0123456789abcdef0
tags:
  description: The tags of the EIP after the run.
  returned: success
  type: dict
  sample: {"Name": "sip-vip"}
previous:
  description: Where the EIP was associated before the run; every value is V(null) when it was not associated.
  returned: success
  type: dict
  contains:
    network_interface_id:
      description: The ID of the interface.
      type: str
      sample: eni-0fedcba9876543210
    private_ip:
      description: The private IPv4 address.
      type: str
      sample: 10.0.2.10
    instance_id:
      description: The ID of the instance.
      type: str
      sample: i-0fedcba9876543210
    association_id:
      description: The ID of the association.
      type: str
      sample: eipassoc-0fedcba9876543210
displaced:
  description:
    - Another EIP that was associated with the exact target pair and that this run replaced (or would, in check
      mode); EC2 disassociated it, and it stays allocated. V(null) when there was none.
    - Only with O(allow_reassociation=true); without it such an EIP fails the task.
  returned: success
  type: dict
  contains:
    allocation_id:
      description: The allocation ID of the displaced EIP.
      type: str
      sample: eipalloc-0fedcba9876543210
    public_ip:
      description: The public IPv4 address of the displaced EIP.
      type: str
      sample: 203.0.113.20
allocated:
  description: Whether this run allocated the EIP (or would, in check mode).
  returned: success
  type: bool
  sample: false
disassociated:
  description: Whether this run disassociated the EIP (or would, in check mode).
  returned: success
  type: bool
  sample: false
released:
  description: Whether this run released the EIP (or would, in check mode).
  returned: success
  type: bool
  sample: false
kind:
  description:
    - On failure, what kind of failure it is, one of V(not_found), V(permission_denied), V(throttled), V(eip_in_use),
      V(not_on_eni), V(invalid), V(timeout), V(unreachable), V(api_error).
  returned: failure
  type: str
  sample: eip_in_use
action:
  description: On failure, the IAM action of the API call concerned (always for V(permission_denied)).
  returned: failure of an API call
  type: str
  sample: ec2:AssociateAddress
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
    ensure_eip,
)

ARGUMENT_SPEC = dict(
    allocation_id=dict(type="str"),
    public_ip=dict(type="str"),
    tags=dict(type="dict"),
    purge_tags=dict(type="bool", default=False),
    allocate=dict(type="bool", default=False),
    eni_id=dict(type="str"),
    instance_id=dict(type="str"),
    private_ip=dict(type="str"),
    allow_reassociation=dict(type="bool", default=False),
    state=dict(type="str", choices=["present", "absent", "disassociated"], default="present"),
    release=dict(type="bool", default=False),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=DEFAULT_WAIT_TIMEOUT),
)


def main():
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[
            ["allocation_id", "public_ip"],
            ["eni_id", "instance_id"],
            ["allocation_id", "allocate"],
            ["public_ip", "allocate"],
        ],
        required_one_of=[["allocation_id", "public_ip", "tags"]],
        required_if=[["allocate", True, ["tags"]]],
        supports_check_mode=True,
    )
    params = module.params
    # No retry_decorator: the library retries throttled calls itself, so that the node-side failover
    # agent and this module share one retry implementation (and one budget).
    api = Ec2Api(module.client("ec2"))
    try:
        result = ensure_eip(
            api,
            allocation_id=params["allocation_id"],
            public_ip=params["public_ip"],
            tags=params["tags"],
            allocate=params["allocate"],
            eni_id=params["eni_id"],
            instance_id=params["instance_id"],
            private_ip=params["private_ip"],
            state=params["state"],
            allow_reassociation=params["allow_reassociation"],
            release=params["release"],
            purge_tags=params["purge_tags"],
            wait=params["wait"],
            wait_timeout=params["wait_timeout"],
            check_mode=module.check_mode,
        )
    except FloatingIpError as exc:
        fail_from(module, exc)
    exit_with_diff(module, result)


if __name__ == "__main__":
    main()
