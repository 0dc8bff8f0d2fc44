#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: route53_srv
short_description: SIP-aware DNS SRV records in Route 53, for load balancing and failover across zones and regions
version_added: 0.1.0
description:
  - Manages one DNS SRV record set in a Route 53 hosted zone, such as C(_sip._udp.example.com), the way SIP clients find
    servers (RFC 3263) - priority for failover order, weight for load share - and optionally the A/AAAA record of each
    target host, in the same change.
  - Targets are compared as a set after normalising (host names in lower case, without the trailing dot), so the same
    targets in another order or spelling are not a change.
  - With O(purge_targets=false) the listed targets are added (O(state=present)) or removed (O(state=absent)) and the
    others are left alone, which is what an Auto Scaling hook adding or removing one server needs.
  - Reads only the record sets concerned (C(ListResourceRecordSets) from the record's name and type, with a small
    C(MaxItems)), never the whole zone, so the number of API requests does not grow with the size of the zone.
  - Writes with ONE C(ChangeResourceRecordSets) per run that deletes exactly the values it read and creates the new
    ones. Route 53 applies the batch all or nothing and refuses a deletion whose values are no longer current, so of two
    writers racing on the same record set the loser fails, reads again and retries (a bounded number of times);
    neither change is lost.
  - Can create and update the record set's health check (TCP, for example on port 5060 or 5061, or
    C(CLOUDWATCH_METRIC) following a CloudWatch alarm such as one raised by a SIP probe), found again by its C(Name)
    tag.
  - Everything that can be checked is checked before anything changes, so a refused request leaves the zone as it was.
  - The record model lives in the collection's C(route53_srv) module_utils, which needs only boto3, so that a Lambda
    function (an Auto Scaling lifecycle hook) can run the same code.
author:
  - rtc.ec2_fleet developers (!UNKNOWN)
options:
  zone:
    description:
      - The name of the hosted zone, for example V(example.com).
      - Exactly one of O(zone) and O(hosted_zone_id) is required.
      - A public zone is found with C(ListHostedZonesByName); when two public zones have that name the task fails
        and O(hosted_zone_id) must be given.
    type: str
  hosted_zone_id:
    description:
      - The ID of the hosted zone (with or without the C(/hostedzone/) prefix).
      - Saves the zone lookup; a run that changes nothing then makes a single API request.
    type: str
  private_zone:
    description:
      - Look for a private hosted zone named O(zone) associated with O(vpc_id) (split-horizon DNS).
      - Requires O(vpc_id); only with O(zone).
    type: bool
    default: false
  vpc_id:
    description:
      - The VPC the private zone is associated with (C(ListHostedZonesByVPC), in O(region)).
      - Only with O(private_zone=true).
    type: str
  name:
    description:
      - The name of the SRV record set, of the form C(_service._proto.domain), for example V(_sip._udp.example.com) or
        V(_sips._tcp.example.com). The protocol label is one of C(_udp), C(_tcp), C(_tls), C(_sctp).
      - Exactly one of O(name) and O(domain) is required.
    type: str
  service:
    description:
      - With O(domain) instead of O(name), the service; V(sip) when not given.
    type: str
  protocol:
    description:
      - With O(domain) instead of O(name), the transport; V(udp) when not given.
      - V(tls) is the secure variant over TCP, C(_sips._tcp) for SIP (RFC 3263), in general C(_<service>s._tcp).
    type: str
    choices: [udp, tcp, tls]
  domain:
    description:
      - The domain the service is offered for; the record set is C(_<service>._<protocol>.<domain>).
    type: str
  targets:
    description:
      - The targets of the SRV record set.
      - A target is known by its host and port; listing the same host and port twice fails.
      - With O(state=present) and O(purge_targets=true), the record set holds exactly these targets.
      - With O(state=present) and O(purge_targets=false), these targets are added, or updated when the host and port are
        there with another priority or weight; the others are kept.
      - With O(state=absent) and O(purge_targets=false), these targets (by host and port) are removed and the others
        kept; the record set is deleted when none remains.
      - With O(state=absent) and O(purge_targets=true), the record set is deleted; the targets only name hosts whose
        address records go too.
    type: list
    elements: dict
    suboptions:
      target:
        description:
          - The host name of the server, for example V(pbx1.example.com). Not an IP address.
        type: str
        required: true
      port:
        description:
          - The port, 0 to 65535 (SIP listens on 5060, SIP over TLS on 5061).
        type: int
        required: true
      priority:
        description:
          - The priority, 0 to 65535; clients try lower values first (failover order). Required with O(state=present).
        type: int
      weight:
        description:
          - The weight, 0 to 65535; among targets of the same priority clients share load in proportion to it.
            Required with O(state=present).
        type: int
      address:
        description:
          - The IPv4 address of the host. Its A record is then managed in the same change - set to exactly this
            address with O(state=present), deleted with O(state=absent) (only when it holds this address).
          - The host must be in the zone.
        type: str
      address6:
        description:
          - The IPv6 address of the host; its AAAA record is managed as O(targets[].address) manages the A record.
        type: str
  state:
    description:
      - Whether the targets should be present or absent; see O(targets) and O(purge_targets).
    type: str
    choices: [present, absent]
    default: present
  purge_targets:
    description:
      - V(true) - the record set holds exactly the targets listed (O(state=present)), or is deleted (O(state=absent)).
      - V(false) - only the listed targets are added or removed; the others stay (safe for scaling hooks).
    type: bool
    default: true
  ttl:
    description:
      - The TTL of the SRV record set (and of managed A/AAAA records), in seconds.
      - When not given an existing record set keeps its TTL, and a new one gets the TTL of the other record sets of
        the name (with a routing policy), or 300.
      - Route 53 gives all weighted record sets of one name and type the TTL written last, so give every record set of
        such a group the same O(ttl).
    type: int
  set_identifier:
    description:
      - Tells apart record sets of the same name that have a routing policy, for example the region or site name.
      - Required with O(routing_weight), O(routing_region), O(failover) and O(geolocation), and needs one of them,
        except with O(state=absent) where it alone names the record set.
    type: str
  routing_weight:
    description:
      - Weighted routing; the weight, 0 to 255, of this record set among those of the same name.
      - At most one of O(routing_weight), O(routing_region), O(failover) and O(geolocation).
    type: int
  routing_region:
    description:
      - Latency-based routing; the AWS region this record set serves, for example V(eu-west-1).
    type: str
  failover:
    description:
      - Failover routing; whether this record set is the V(PRIMARY) or the V(SECONDARY), which Route 53 answers while
        the primary's health check fails.
    type: str
    choices: [PRIMARY, SECONDARY]
  geolocation:
    description:
      - Geolocation routing; the location this record set serves.
    type: dict
    suboptions:
      continent_code:
        description:
          - A continent code (V(AF), V(AN), V(AS), V(EU), V(NA), V(OC), V(SA)). Not with O(geolocation.country_code).
        type: str
      country_code:
        description:
          - A two-letter country code, or V(*) for the default location.
        type: str
      subdivision_code:
        description:
          - A subdivision (for example a US state), with O(geolocation.country_code).
        type: str
  health_check_id:
    description:
      - The ID of an existing health check the record set uses (only on a record set with a routing policy).
      - An empty string removes the record set's health check; when neither this nor O(health_check) is given, the
        record set keeps the health check it has.
      - Not with O(health_check).
    type: str
  health_check:
    description:
      - A health check managed by this module for the record set (only on a record set with a routing policy), found
        by its C(Name) tag and created or updated as needed. It is never deleted by this module.
      - Not with O(health_check_id). Ignored with O(state=absent).
    type: dict
    suboptions:
      name:
        description:
          - The value of the health check's C(Name) tag, which identifies it.
        type: str
        required: true
      type:
        description:
          - V(tcp) probes a TCP port of an endpoint; V(cloudwatch_metric) follows a CloudWatch alarm (for example one
            raised by a SIPp probe), which makes DNS failover follow real SIP health.
          - The type of an existing health check cannot be changed.
        type: str
        choices: [tcp, cloudwatch_metric]
        default: tcp
      ip_address:
        description:
          - With V(tcp), the IP address to probe. One of O(health_check.ip_address) and O(health_check.fqdn) is
            required for V(tcp).
        type: str
      fqdn:
        description:
          - With V(tcp), the host name to probe (resolved by Route 53).
        type: str
      port:
        description:
          - With V(tcp), the port; 5061 when the record set is C(_sips._tcp), else 5060.
        type: int
      request_interval:
        description:
          - With V(tcp), seconds between probes, V(10) or V(30) (30 when not given). Cannot be changed after creation.
        type: int
        choices: [10, 30]
      failure_threshold:
        description:
          - With V(tcp), consecutive failed probes, 1 to 10, before the endpoint counts as unhealthy (3 when not given).
        type: int
      alarm_name:
        description:
          - With V(cloudwatch_metric), the name of the CloudWatch alarm; required for that type.
        type: str
      alarm_region:
        description:
          - With V(cloudwatch_metric), the region of the alarm; O(region) when not given.
        type: str
      insufficient_data_health_status:
        description:
          - With V(cloudwatch_metric), the status while the alarm has insufficient data (V(LastKnownStatus) when not
            given).
        type: str
        choices: [Healthy, Unhealthy, LastKnownStatus]
      inverted:
        description:
          - Invert the health check's status.
        type: bool
        default: false
      disabled:
        description:
          - Disable the health check (Route 53 then considers it healthy).
        type: bool
        default: false
  wait:
    description:
      - Wait until Route 53 reports the change C(INSYNC), that is propagated to all its name servers.
    type: bool
    default: false
  wait_timeout:
    description:
      - How long to wait for C(INSYNC), in seconds.
    type: int
    default: 300
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Check mode makes only C(List*) and C(Get*) requests and validates the request exactly as a real run does.
  diff_mode:
    support: full
    details: The record sets concerned (the SRV targets and managed A/AAAA records) before and after.
  platform:
    platforms: all
notes:
  - "API requests per run. With O(hosted_zone_id): a run that changes nothing makes 1 request
    (C(ListResourceRecordSets)); a change of an existing record set 2 (plus C(ChangeResourceRecordSets)); the first
    creation 3 (plus C(GetHostedZone), to check that the name lies in the zone). With O(zone) instead, add 1
    (C(ListHostedZonesByName), or C(ListHostedZonesByVPC) for a private zone) and leave out C(GetHostedZone): 2 for no
    change, 3 for a change. Each target with O(targets[].address) or O(targets[].address6) adds 1 (its A/AAAA records),
    O(health_check) adds 1-2 (C(ListHealthChecks), C(ListTagsForResources) of the health checks this module created
    for that name; when none carries the name, the tags of the others, 10 per request) plus the writes, O(wait=true)
    adds C(GetChange) polls, and each race lost repeats the reads of the record sets and the write. None of it depends
    on the size of the zone.
    RV(api_requests) lists the requests of the run."
  - Throttled API calls (including C(PriorRequestNotComplete)) are retried with jittered exponential backoff within a
    bounded budget; the task fails with C(kind=throttled) once the budget is spent.
  - Failures return C(kind) (V(invalid), V(not_found), V(ambiguous), V(conflict), V(permission_denied), V(throttled),
    V(timeout), V(unreachable), V(api_error)) and, for failed API calls, the IAM C(action).
  - "IAM actions used: C(route53:ListResourceRecordSets), C(route53:ChangeResourceRecordSets), C(route53:GetHostedZone),
    C(route53:ListHostedZonesByName), C(route53:ListHostedZonesByVPC) (private zones), C(route53:GetChange) (O(wait)),
    C(route53:GetHealthCheck) (O(health_check_id)), and for O(health_check) C(route53:ListHealthChecks),
    C(route53:ListTagsForResources), C(route53:CreateHealthCheck), C(route53:UpdateHealthCheck) and
    C(route53:ChangeTagsForResource)."
  - Record sets of another type at the same name, and records of hosts that are no longer targets, are never touched.
seealso:
  - module: amazon.aws.route53
  - module: amazon.aws.route53_health_check
  - name: RFC 3263 - Locating SIP Servers
    description: How SIP clients use NAPTR, SRV and A/AAAA records.
    link: https://www.rfc-editor.org/rfc/rfc3263
  - name: ChangeResourceRecordSets
    description: The API call, its all-or-nothing batches and the DELETE that must name the current values.
    link: https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html
"""

EXAMPLES = r"""
- name: Set the AWS connection once for every AWS module of the collection (and amazon.aws's)
  module_defaults:
    group/rtc.ec2_fleet.aws:
      region: eu-west-1
  block:
    - name: Spread SIP over UDP across two PBXs in two availability zones, with their A records
      rtc.ec2_fleet.route53_srv:
        zone: example.com
        domain: example.com
        protocol: udp
        ttl: 60
        targets:
          - {target: pbx-a.example.com, port: 5060, priority: 10, weight: 50, address: 10.0.1.10}
          - {target: pbx-b.example.com, port: 5060, priority: 10, weight: 50, address: 10.0.2.10}
      register: sip_udp

    - name: The same for SIP over TLS (_sips._tcp.example.com), by name and zone ID (one request when nothing changes)
      rtc.ec2_fleet.route53_srv:
        hosted_zone_id: Z0123456789ABCDEFGHIJ
        name: _sips._tcp.example.com
        targets:
          - {target: pbx-a.example.com, port: 5061, priority: 10, weight: 50}
          - {target: pbx-b.example.com, port: 5061, priority: 10, weight: 50}

# An Auto Scaling lifecycle hook (or the playbook it triggers) adds or removes one server and
# leaves the others alone; two hooks running at once do not lose each other's change.
- name: Scale out - add the new PBX and its A record
  rtc.ec2_fleet.route53_srv:
    zone: example.com
    name: _sip._udp.example.com
    purge_targets: false
    targets:
      - target: "pbx-{{ instance_id }}.example.com"
        port: 5060
        priority: 10
        weight: 50
        address: "{{ private_ip }}"

- name: Scale in - remove that PBX and its A record
  rtc.ec2_fleet.route53_srv:
    zone: example.com
    name: _sip._udp.example.com
    state: absent
    purge_targets: false
    targets:
      - target: "pbx-{{ instance_id }}.example.com"
        port: 5060
        address: "{{ private_ip }}"

# DNS failover across regions: Route 53 answers the SECONDARY (us-east-1) while the health check of
# the PRIMARY (eu-west-1) fails.
- name: Primary site - TCP health check on the SIP-over-TLS port of its load balancer
  rtc.ec2_fleet.route53_srv:
    zone: example.com
    name: _sips._tcp.example.com
    set_identifier: eu-west-1
    failover: PRIMARY
    ttl: 30
    targets:
      - {target: sip-eu.example.com, port: 5061, priority: 10, weight: 100}
    health_check:
      name: sip-eu-west-1
      type: tcp
      fqdn: sip-eu.example.com
      port: 5061
      request_interval: 10
      failure_threshold: 2

- name: Secondary site - health follows a CloudWatch alarm raised by a SIPp probe
  rtc.ec2_fleet.route53_srv:
    zone: example.com
    name: _sips._tcp.example.com
    set_identifier: us-east-1
    failover: SECONDARY
    ttl: 30
    targets:
      - {target: sip-us.example.com, port: 5061, priority: 10, weight: 100}
    health_check:
      name: sip-us-east-1
      type: cloudwatch_metric
      alarm_name: sipp-options-us-east-1
      alarm_region: us-east-1

- name: Latency-based routing - clients reach the nearest region's SBCs
  rtc.ec2_fleet.route53_srv:
    zone: example.com
    name: _sip._udp.example.com
    set_identifier: ap-southeast-2
    routing_region: ap-southeast-2
    targets:
      - {target: sbc-ap.example.com, port: 5060, priority: 10, weight: 100}

- name: Split horizon - the private zone of the VPC, waiting until the change is INSYNC
  rtc.ec2_fleet.route53_srv:
    zone: example.com
    private_zone: true
    vpc_id: vpc-0123456789abcdef0
    name: _sip._udp.example.com
    targets:
      - {target: pbx-a.example.com, port: 5060, priority: 10, weight: 100, address: 10.0.1.10}
    wait: true

- name: Delete the record set
  rtc.ec2_fleet.route53_srv:
    zone: example.com
    name: _sip._tcp.example.com
    state: absent
"""

RETURN = r"""
zone:
  description: The hosted zone; RV(zone.name) and RV(zone.private_zone) are V(null) when the zone was given by ID and
    never had to be read.
  returned: success
  type: dict
  contains:
    id:
      description: The ID of the zone.
      type: str
      sample: Z0123456789ABCDEFGHIJ
    name:
      description: The name of the zone.
      type: str
      sample: example.com
    private_zone:
      description: Whether the zone is private.
      type: bool
      sample: false
name:
  description: The name of the SRV record set, normalised (lower case, no trailing dot).
  returned: success
  type: str
  sample: _sip._udp.example.com
set_identifier:
  description: The set identifier of the record set, V(null) for a simple one.
  returned: success
  type: str
  sample: eu-west-1
targets:
  description: The targets of the SRV record set after the run (none when it is gone), sorted by priority, then weight.
  returned: success
  type: list
  elements: dict
  sample: [{"target": "pbx-a.example.com", "port": 5060, "priority": 10, "weight": 50}]
added:
  description: The targets added by this run (or that would be, in check mode).
  returned: success
  type: list
  elements: dict
  sample: [{"target": "pbx-c.example.com", "port": 5060, "priority": 10, "weight": 50}]
removed:
  description: The targets removed by this run (or that would be, in check mode). A target whose priority or weight
    changed shows in both RV(added) and RV(removed).
  returned: success
  type: list
  elements: dict
  sample: []
record_sets:
  description:
    - The record sets concerned after the run, as written (not read back) - the SRV record set and the managed A/AAAA
      records - in Route 53's form with snake_case keys. Deleted record sets are left out.
    - In check mode a health check that would be created shows as C((new health check NAME)).
  returned: success
  type: list
  elements: dict
  sample:
    - name: _sip._udp.example.com.
      type: SRV
      ttl: 300
      resource_records: [{"value": "10 50 5060 pbx-a.example.com."}]
change_id:
  description: The ID of the change, for C(GetChange); V(null) when nothing was changed.
  returned: success
  type: str
  sample: /change/C0123456789ABCDEFGHIJ
change_status:
  description: The status of the change, V(PENDING) or V(INSYNC) (after O(wait=true)); V(null) when nothing changed.
  returned: success
  type: str
  sample: PENDING
conflicts:
  description: How many times another writer changed the record sets between this run's read and write, so that it
    read again and retried.
  returned: success
  type: int
  sample: 0
health_check:
  description: The health check managed through O(health_check).
  returned: when O(health_check) is given and O(state=present)
  type: dict
  contains:
    id:
      description: Its ID; V(null) in check mode when it would be created.
      type: str
    name:
      description: Its C(Name) tag.
      type: str
    created:
      description: Whether this run created it (or would, in check mode).
      type: bool
    updated:
      description: Whether this run updated it (or would, in check mode).
      type: bool
    config:
      description: The health check configuration asked for, in Route 53's form.
      type: dict
api_requests:
  description: The Route 53 API requests this run sent, in order (retries included).
  returned: always
  type: list
  elements: str
  sample: [ListResourceRecordSets, ChangeResourceRecordSets]
kind:
  description:
    - On failure, what kind of failure it is, one of V(invalid), V(not_found), V(ambiguous), V(conflict),
      V(permission_denied), V(throttled), V(timeout), V(unreachable), V(api_error).
  returned: failure
  type: str
  sample: invalid
action:
  description: On failure of an API call, its IAM action.
  returned: failure of an API call
  type: str
  sample: route53:ChangeResourceRecordSets
code:
  description: On failure, the AWS error code.
  returned: failure with an AWS error code
  type: str
  sample: InvalidChangeBatch
"""

# Ansible modules import below their documentation (validate-modules requires it).
from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.aws_module import exit_with_diff, fail_from  # noqa: E402
from ansible_collections.rtc.ec2_fleet.plugins.module_utils.route53_srv import (  # noqa: E402
    DEFAULT_WAIT_TIMEOUT,
    Route53Api,
    Route53SrvError,
    ensure_srv,
)

TARGET_OPTIONS = dict(
    target=dict(type="str", required=True),
    port=dict(type="int", required=True),
    priority=dict(type="int"),
    weight=dict(type="int"),
    address=dict(type="str"),
    address6=dict(type="str"),
)

HEALTH_CHECK_OPTIONS = dict(
    name=dict(type="str", required=True),
    type=dict(type="str", choices=["tcp", "cloudwatch_metric"], default="tcp"),
    ip_address=dict(type="str"),
    fqdn=dict(type="str"),
    port=dict(type="int"),
    request_interval=dict(type="int", choices=[10, 30]),
    failure_threshold=dict(type="int"),
    alarm_name=dict(type="str"),
    alarm_region=dict(type="str"),
    insufficient_data_health_status=dict(type="str", choices=["Healthy", "Unhealthy", "LastKnownStatus"]),
    inverted=dict(type="bool", default=False),
    disabled=dict(type="bool", default=False),
)

ARGUMENT_SPEC = dict(
    zone=dict(type="str"),
    hosted_zone_id=dict(type="str"),
    private_zone=dict(type="bool", default=False),
    vpc_id=dict(type="str"),
    name=dict(type="str"),
    service=dict(type="str"),
    protocol=dict(type="str", choices=["udp", "tcp", "tls"]),
    domain=dict(type="str"),
    targets=dict(type="list", elements="dict", options=TARGET_OPTIONS),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    purge_targets=dict(type="bool", default=True),
    ttl=dict(type="int"),
    set_identifier=dict(type="str"),
    routing_weight=dict(type="int"),
    routing_region=dict(type="str"),
    failover=dict(type="str", choices=["PRIMARY", "SECONDARY"]),
    geolocation=dict(
        type="dict",
        options=dict(
            continent_code=dict(type="str"),
            country_code=dict(type="str"),
            subdivision_code=dict(type="str"),
        ),
    ),
    health_check_id=dict(type="str"),
    health_check=dict(type="dict", options=HEALTH_CHECK_OPTIONS),
    wait=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=DEFAULT_WAIT_TIMEOUT),
)


def main():
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[
            ["zone", "hosted_zone_id"],
            ["name", "domain"],
            ["name", "service"],
            ["name", "protocol"],
            ["health_check", "health_check_id"],
        ],
        required_one_of=[["zone", "hosted_zone_id"], ["name", "domain"]],
        supports_check_mode=True,
    )
    params = module.params
    # No retry_decorator: the library retries throttled calls itself (one implementation, one budget,
    # shared with the Lambda that reuses it), and counts every request it sends.
    api = Route53Api(module.client("route53"))
    try:
        result = ensure_srv(api, check_mode=module.check_mode, **dict((key, params[key]) for key in ARGUMENT_SPEC))
    except Route53SrvError as exc:
        fail_from(module, exc, api_requests=api.requests())
    result["record_sets"] = [camel_dict_to_snake_dict(record_set) for record_set in result["record_sets"]]
    exit_with_diff(module, result)


if __name__ == "__main__":
    main()
