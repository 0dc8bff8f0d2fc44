# -*- coding: utf-8 -*-
# Copyright: contributors to the rtc.ec2_fleet collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The floating-IP takeover library of rtc.ec2_fleet: secondary private IPs and Elastic IPs.

This is the one implementation of the whitepaper's floating-IP pattern.  The ``secondary_ip`` and
``elastic_ip`` modules call it, and the node-side failover agent (which runs without Ansible)
imports this very file, with ``aws_api.py`` (the call wrapper) beside it, so both need nothing but
boto3/botocore and the Python standard library (3.8+) and never import anything from ``ansible``.

The caller hands in a boto3 EC2 client (or an :class:`Ec2Api` wrapping one).  Every AWS call goes
through :meth:`Ec2Api.call` (``aws_api.AwsApi.call``): jittered exponential backoff on throttling
within a bounded budget, and translation of AWS errors into :class:`FloatingIpError` with a ``kind``.

The public functions follow one pattern:

1. validate everything that can be validated without AWS (malformed addresses and IDs);
2. read the current state and validate the request against it (the address lies in the
   interface's subnet, nobody else holds it unless reassignment is allowed, the Elastic IP is not
   in use elsewhere and no other Elastic IP sits on the target pair unless reassociation is
   allowed, the private IP is on the target interface), so that a refused request changes nothing;
3. change what differs (nothing in check mode: then only ``Describe*`` calls are made);
4. read the change back, polling with bounded jittered backoff until ``wait_timeout``, and raise
   a ``timeout`` error if it never shows -- a failover that is not verified is not a failover.

A run that finds nothing to change costs at most two API calls.  An association about to be made
costs one more read (``DescribeAddresses`` on the target pair), to find an Elastic IP it would displace.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import os
import sys

try:
    from . import aws_api
except ImportError:  # loaded by path outside its package (the failover agent): aws_api.py lies beside this file
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import aws_api  # pylint: disable=import-error

# The one call wrapper lives in aws_api.py; these names stay importable from here.
HAS_BOTOCORE = aws_api.HAS_BOTOCORE
DEFAULT_MAX_RETRIES = aws_api.DEFAULT_MAX_RETRIES
DEFAULT_BACKOFF_BASE = aws_api.DEFAULT_BACKOFF_BASE
DEFAULT_BACKOFF_CAP = aws_api.DEFAULT_BACKOFF_CAP
wait_for = aws_api.wait_for
_ReadOnly = aws_api.ReadOnly

DEFAULT_WAIT_TIMEOUT = 30
POLL_START = 0.2
POLL_CAP = 1.5

# Error codes meaning "slow down": the request was not carried out and may be sent again.
THROTTLING_CODES = frozenset(
    [
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
        "PriorRequestNotComplete",
        "SlowDown",
    ]
)
# Server-side failures; retried for read-only calls only (a mutating call may have been applied).
TRANSIENT_CODES = frozenset(["InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable"])
PERMISSION_CODES = frozenset(
    ["UnauthorizedOperation", "AccessDenied", "AccessDeniedException", "AuthFailure", "Blocked", "OptInRequired"]
)
INVALID_CODES = frozenset(
    ["InvalidParameterValue", "InvalidParameterCombination", "MissingParameter", "InvalidParameter"]
)

KINDS = frozenset(
    [
        "not_found",
        "permission_denied",
        "throttled",
        "address_in_use",
        "not_in_subnet",
        "cross_subnet",
        "eip_in_use",
        "not_on_eni",
        "invalid",
        "timeout",
        "unreachable",
        "api_error",
    ]
)

STATES_SECONDARY = ("present", "absent")
STATES_EIP = ("present", "absent", "disassociated")

_CROSS_AZ_HINT = (
    "A secondary private IP lives in exactly one subnet (one Availability Zone), so it cannot move to a "
    "network interface in another subnet; for an active-standby pair across Availability Zones give each node "
    "its own address and move the Elastic IP instead: reassociate it to the standby's own private address with "
    "rtc.ec2_fleet.elastic_ip (allow_reassociation: true)"
)


class FloatingIpError(aws_api.AwsApiError):
    """The one error of the library.

    ``kind`` is one of :data:`KINDS`; ``action`` the IAM action concerned (``ec2:AssignPrivateIpAddresses``)
    for ``permission_denied`` and for errors raised by an API call; ``code`` the AWS error code, if any.
    """


# -- the one call wrapper ----------------------------------------------------------------------


class Ec2Api(aws_api.AwsApi):
    """A boto3 EC2 client behind the collection's one call wrapper (:class:`aws_api.AwsApi`).

    ``Describe*`` calls are the read-only ones; EC2's own error codes become the kinds of :data:`KINDS`.
    """

    ERROR = FloatingIpError
    SERVICE = "EC2"
    IAM_PREFIX = "ec2"
    READ_PREFIXES = ("describe_",)
    THROTTLING_CODES = THROTTLING_CODES
    TRANSIENT_CODES = TRANSIENT_CODES
    PERMISSION_CODES = PERMISSION_CODES
    THROTTLING_HINT = ", or request a higher API rate limit for {action}"
    TIMEOUT_HINT = (
        "The request was accepted but the change did not show; check the AWS console or run again (with a longer "
        "wait_timeout)"
    )
    POLL_START = POLL_START
    POLL_CAP = POLL_CAP

    def is_not_found(self, code):
        return code.endswith("NotFound")

    def translate(self, exc, method):
        """A :class:`FloatingIpError` for a ``ClientError`` of ``method`` (no retry decision here)."""
        action = self.action(method)
        code = aws_api.error_code(exc)
        message = "%s: %s (%s)" % (action, aws_api.error_message(exc), code)
        if code == "InvalidIPAddress.InUse":
            kind = "eip_in_use" if method == "release_address" else "address_in_use"
            return FloatingIpError(message, kind, action, code)
        if code == "Resource.AlreadyAssociated":
            return FloatingIpError(message + "; set allow_reassociation to move it", "eip_in_use", action, code)
        if code in INVALID_CODES or code.endswith(".Malformed"):
            return FloatingIpError(message, "invalid", action, code)
        return super(Ec2Api, self).translate(exc, method)  # permission denied, not found, api_error


def _api(client):
    return Ec2Api.wrap(client)


# -- validation helpers ------------------------------------------------------------------------


def parse_ipv4(value, what="address"):
    """``value`` as a canonical dotted-quad string; ``invalid`` error when it is not an IPv4 address."""
    if not isinstance(value, str):
        raise FloatingIpError("malformed %s %r: expected an IPv4 address such as 10.0.1.100" % (what, value), "invalid")
    try:
        address = ipaddress.IPv4Address(value.strip())
    except ValueError:
        raise FloatingIpError(
            "malformed %s %r: expected an IPv4 address such as 10.0.1.100" % (what, value), "invalid"
        ) from None
    return str(address)


def _check_id(value, prefix, what):
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith(prefix) or len(value) <= len(prefix):
        raise FloatingIpError(
            "malformed %s %r: expected an ID such as %s0123456789abcdef0" % (what, value, prefix), "invalid"
        )
    return value


def _check_common(state, states, wait_timeout):
    if state not in states:
        raise FloatingIpError("invalid state %r: use one of %s" % (state, ", ".join(states)), "invalid")
    if isinstance(wait_timeout, bool) or not isinstance(wait_timeout, (int, float)) or wait_timeout <= 0:
        raise FloatingIpError("invalid wait_timeout %r: use a positive number of seconds" % (wait_timeout,), "invalid")


def _ip_key(address):
    return ipaddress.IPv4Address(address)


def _sorted_ips(addresses):
    return sorted(addresses, key=_ip_key)


def _reserved(network):
    """The five addresses AWS reserves in every subnet: the first four and the last."""
    first = network.network_address
    return set([first, first + 1, first + 2, first + 3, network.broadcast_address])


# -- network interfaces ------------------------------------------------------------------------


def eni_addresses(eni):
    """All private IPv4 addresses of an ENI description, the primary first."""
    items = eni.get("PrivateIpAddresses") or []
    primary = [a["PrivateIpAddress"] for a in items if a.get("Primary")]
    others = [a["PrivateIpAddress"] for a in items if not a.get("Primary")]
    if not primary and eni.get("PrivateIpAddress"):
        primary = [eni["PrivateIpAddress"]]
        others = [a for a in others if a != primary[0]]
    return primary + others


def eni_primary(eni):
    """The primary private IPv4 address of an ENI description."""
    return eni.get("PrivateIpAddress") or (eni_addresses(eni) or [None])[0]


def eni_secondary(eni):
    """The secondary private IPv4 addresses of an ENI description, sorted."""
    primary = eni_primary(eni)
    return _sorted_ips(a for a in eni_addresses(eni) if a != primary)


def _instance_of(eni):
    return (eni.get("Attachment") or {}).get("InstanceId")


def _describe_enis(api, eni_ids):
    """ENI descriptions by ID, through a filter (a vanished ID is simply missing, not an error)."""
    answer = api.call(
        "describe_network_interfaces", Filters=[{"Name": "network-interface-id", "Values": sorted(eni_ids)}]
    )
    return dict((eni["NetworkInterfaceId"], eni) for eni in answer.get("NetworkInterfaces", []))


def find_eni(client, eni_id=None, instance_id=None, device_index=None, private_ip=None):
    """Find one network interface and return its EC2 description (one API call).

    By ``eni_id``, or by ``instance_id`` plus ``device_index`` (the interface at that index), or by
    ``instance_id`` plus ``private_ip`` (the interface of the instance holding that address), or by
    ``instance_id`` alone (the primary interface, device index 0).
    """
    api = _api(client)
    _check_id(eni_id, "eni-", "network interface ID")
    _check_id(instance_id, "i-", "instance ID")
    if bool(eni_id) == bool(instance_id):
        raise FloatingIpError(
            "name the network interface by eni_id or by instance_id (with device_index), exactly one of them",
            "invalid",
        )
    if eni_id:
        try:
            answer = api.call("describe_network_interfaces", NetworkInterfaceIds=[eni_id])
        except FloatingIpError as exc:
            if exc.kind == "not_found":
                raise FloatingIpError(
                    "network interface %s does not exist in %s; check eni_id, the region and endpoint_url"
                    % (eni_id, api.region),
                    "not_found",
                    exc.action,
                    exc.code,
                ) from None
            raise
        enis = answer.get("NetworkInterfaces", [])
        if not enis:
            raise FloatingIpError(
                "network interface %s does not exist in %s; check eni_id, the region and endpoint_url"
                % (eni_id, api.region),
                "not_found",
                api.action("describe_network_interfaces"),
            )
        return enis[0]
    if device_index is not None and (isinstance(device_index, bool) or not isinstance(device_index, int)):
        raise FloatingIpError("invalid device_index %r: use an integer >= 0" % (device_index,), "invalid")
    answer = api.call(
        "describe_network_interfaces", Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}]
    )
    enis = answer.get("NetworkInterfaces", [])
    if not enis:
        _instance_exists(api, instance_id)  # raises not_found naming the instance when it is unknown
        raise FloatingIpError(
            "instance %s has no network interface attached (is it terminated?)" % instance_id, "not_found"
        )
    by_index = dict(((eni.get("Attachment") or {}).get("DeviceIndex"), eni) for eni in enis)
    if device_index is None and private_ip is not None:
        for eni in enis:
            if private_ip in eni_addresses(eni):
                return eni
        raise FloatingIpError(
            "private IP %s is not on any network interface of instance %s (its addresses: %s); assign it first with "
            "rtc.ec2_fleet.secondary_ip, or pick one of those"
            % (private_ip, instance_id, ", ".join(a for eni in enis for a in eni_addresses(eni))),
            "not_on_eni",
        )
    index = 0 if device_index is None else device_index
    if index not in by_index:
        raise FloatingIpError(
            "instance %s has no network interface at device index %d (it has: %s)"
            % (instance_id, index, ", ".join(str(i) for i in sorted(i for i in by_index if i is not None))),
            "not_found",
        )
    return by_index[index]


def _instance_exists(api, instance_id):
    try:
        answer = api.call("describe_instances", InstanceIds=[instance_id])
    except FloatingIpError as exc:
        if exc.kind == "not_found":
            raise FloatingIpError(
                "instance %s does not exist in %s; check instance_id, the region and endpoint_url"
                % (instance_id, api.region),
                "not_found",
                exc.action,
                exc.code,
            ) from None
        raise
    if not any(r.get("Instances") for r in answer.get("Reservations", [])):
        raise FloatingIpError(
            "instance %s does not exist in %s; check instance_id, the region and endpoint_url"
            % (instance_id, api.region),
            "not_found",
            api.action("describe_instances"),
        )


def _holders(api, vpc_id, addresses):
    """Map each address to the ENI description (in ``vpc_id``) holding it."""
    answer = api.call(
        "describe_network_interfaces",
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "addresses.private-ip-address", "Values": list(addresses)},
        ],
    )
    holders = {}
    for eni in answer.get("NetworkInterfaces", []):
        for address in eni_addresses(eni):
            if address in addresses:
                holders[address] = eni
    return holders


def _subnet_network(api, subnet_id):
    answer = api.call("describe_subnets", SubnetIds=[subnet_id])
    subnets = answer.get("Subnets", [])
    if not subnets:
        raise FloatingIpError("subnet %s does not exist in %s" % (subnet_id, api.region), "not_found")
    if not subnets[0].get("CidrBlock"):
        raise FloatingIpError("subnet %s has no IPv4 CIDR block (IPv6-only)" % subnet_id, "invalid")
    return ipaddress.IPv4Network(subnets[0]["CidrBlock"])


def _eni_label(eni):
    instance = _instance_of(eni)
    where = " (instance %s)" % instance if instance else ""
    return "%s%s in subnet %s" % (eni["NetworkInterfaceId"], where, eni.get("SubnetId"))


def ensure_secondary_ips(
    client,
    addresses,
    eni_id=None,
    instance_id=None,
    device_index=0,
    state="present",
    allow_reassignment=False,
    purge=False,
    wait=True,
    wait_timeout=DEFAULT_WAIT_TIMEOUT,
    check_mode=False,
):
    """Make ``addresses`` secondary private IPs of one ENI (``present``) or not (``absent``).

    The ENI is named by ``eni_id`` or by ``instance_id`` + ``device_index``.  With ``purge`` (present
    only) other secondary addresses of the ENI are removed.  An address another ENI holds is taken
    from it only with ``allow_reassignment`` (EC2 moves an Elastic IP on it along).

    Returns a dict: ``changed``, ``network_interface_id``, ``instance_id``, ``subnet_id``,
    ``primary_address``, ``addresses`` (all secondary addresses after the run, sorted),
    ``assigned``, ``unassigned``, ``moved_from`` (address -> ENI it was taken from), and
    ``before``/``after`` (``network_interface_id`` and ``addresses``) for a diff.
    """
    api = _api(client)
    if isinstance(addresses, str) or not isinstance(addresses, (list, tuple)):
        raise FloatingIpError("addresses must be a list of IPv4 addresses, got %r" % (addresses,), "invalid")
    wanted = []
    for item in addresses:
        address = parse_ipv4(item)
        if address not in wanted:
            wanted.append(address)
    _check_common(state, STATES_SECONDARY, wait_timeout)
    if eni_id and device_index not in (None, 0):
        raise FloatingIpError("device_index goes with instance_id, not with eni_id", "invalid")

    with _ReadOnly(api, check_mode):
        eni = find_eni(api, eni_id=eni_id, instance_id=instance_id, device_index=device_index or 0)
        target = eni["NetworkInterfaceId"]
        primary = eni_primary(eni)
        before = eni_secondary(eni)
        if primary in wanted:
            raise FloatingIpError(
                "%s is the primary private IP of %s; list only secondary addresses (a primary address never moves)"
                % (primary, target),
                "invalid",
            )
        if state == "present":
            to_add = [a for a in wanted if a not in before]
            to_remove = [a for a in before if a not in wanted] if purge else []
        else:
            to_add = []
            to_remove = [a for a in wanted if a in before]
        moved_from = _check_assignable(api, eni, to_add, allow_reassignment) if to_add else {}
        expected = _sorted_ips(set(before) - set(to_remove) | set(to_add))
        result = {
            "changed": bool(to_add or to_remove),
            "network_interface_id": target,
            "instance_id": _instance_of(eni),
            "subnet_id": eni.get("SubnetId"),
            "primary_address": primary,
            "addresses": expected,
            "assigned": _sorted_ips(to_add),
            "unassigned": _sorted_ips(to_remove),
            "moved_from": moved_from,
            "before": {"network_interface_id": target, "addresses": before},
            "after": {"network_interface_id": target, "addresses": expected},
        }
        if check_mode or not result["changed"]:
            return result

    if to_add:
        params = {"NetworkInterfaceId": target, "PrivateIpAddresses": to_add}
        if moved_from:
            params["AllowReassignment"] = True
        api.call("assign_private_ip_addresses", **params)
    if to_remove:
        api.call("unassign_private_ip_addresses", NetworkInterfaceId=target, PrivateIpAddresses=to_remove)
    if wait:
        expected = _verify_secondary(api, target, to_add, to_remove, moved_from, wait_timeout)
        result["addresses"] = expected
        result["after"] = {"network_interface_id": target, "addresses": expected}
    return result


def _check_assignable(api, eni, to_add, allow_reassignment):
    """Validate the addresses to assign against the subnet and their holders; return moved_from."""
    target = eni["NetworkInterfaceId"]
    network = _subnet_network(api, eni["SubnetId"])
    holders = _holders(api, eni["VpcId"], to_add)
    moved_from = {}
    for address in to_add:
        holder = holders.get(address)
        if holder is not None and holder["NetworkInterfaceId"] == target:
            continue  # assigned meanwhile; EC2 accepts it again
        if _ip_key(address) not in network:
            if holder is not None:
                raise FloatingIpError(
                    "cannot move %s to %s: the address belongs to subnet %s, where %s holds it, and %s is in "
                    "subnet %s (%s). %s"
                    % (
                        address,
                        target,
                        holder.get("SubnetId"),
                        _eni_label(holder),
                        target,
                        eni["SubnetId"],
                        network,
                        _CROSS_AZ_HINT,
                    ),
                    "cross_subnet",
                )
            # Nobody holds it, so nothing would move: no "cannot move" hint, only where to look instead.
            raise FloatingIpError(
                "%s is not in subnet %s (%s) of %s: a secondary private IP must lie in its interface's subnet. "
                "Pick an address in %s (for an active-standby pair across Availability Zones, give each node its "
                "own address in its own subnet and move the Elastic IP between them with rtc.ec2_fleet.elastic_ip)"
                % (address, eni["SubnetId"], network, target, network),
                "not_in_subnet",
            )
        if _ip_key(address) in _reserved(network):
            raise FloatingIpError(
                "%s is reserved by AWS in subnet %s (%s): the first four addresses and the last one of every "
                "subnet cannot be assigned; pick another address" % (address, eni["SubnetId"], network),
                "not_in_subnet",
            )
        if holder is None:
            continue
        if eni_primary(holder) == address:
            raise FloatingIpError(
                "%s is the primary private IP of %s; a primary address never moves, even with allow_reassignment. "
                "Use a secondary address as the floating IP" % (address, _eni_label(holder)),
                "address_in_use",
            )
        if not allow_reassignment:
            raise FloatingIpError(
                "%s is already assigned to %s; set allow_reassignment: true to move it to %s (a takeover), or "
                "unassign it there first" % (address, _eni_label(holder), target),
                "address_in_use",
            )
        moved_from[address] = holder["NetworkInterfaceId"]
    return moved_from


def _verify_secondary(api, target, to_add, to_remove, moved_from, wait_timeout):
    ids = set([target]) | set(moved_from.values())

    def read():
        return _describe_enis(api, ids)

    def describe(enis):
        return ", ".join("%s has %s" % (i, eni_addresses(eni)) for i, eni in sorted(enis.items())) or "no interface"

    def done(enis):
        if target not in enis:
            return False
        current = set(eni_addresses(enis[target]))
        if not set(to_add) <= current or current & set(to_remove):
            return False
        # A moved address must also have left the interface it was taken from.
        return not any(old in enis and a in eni_addresses(enis[old]) for a, old in moved_from.items())

    what = "the secondary addresses of %s to become %s" % (
        target,
        ", ".join(
            ["+" + a for a in _sorted_ips(to_add)]
            + ["-" + a for a in _sorted_ips(to_remove)]
            + ["%s left %s" % (a, old) for a, old in sorted(moved_from.items())]
        ),
    )
    enis = wait_for(api, read, done, wait_timeout, what, describe)
    return eni_secondary(enis[target])


def take_secondary_ip(client, address, eni_id, vpc_id, wait_timeout=DEFAULT_WAIT_TIMEOUT):
    """The takeover of a failover agent: move ``address`` onto ``eni_id`` now, then prove it moved.

    Two API calls when EC2 is quick: ``AssignPrivateIpAddresses`` with reassignment (EC2 moves the
    address, and an Elastic IP on it, from whichever ENI holds it in one step; assigning an address the
    ENI already holds changes nothing), then reads of the address's holders in ``vpc_id`` until
    ``eni_id`` is the only one, polling with bounded jittered backoff until ``wait_timeout``. It skips
    :func:`ensure_secondary_ips`' reads before the change: the caller has validated the address and the
    ENI once beforehand (``ensure_secondary_ips`` in check mode with ``allow_reassignment``), and a
    takeover cannot wait for checks whose answer does not change. Returns ``network_interface_id``,
    ``address`` and ``holders`` (the ENIs holding it at the end: ``[eni_id]``).
    """
    api = _api(client)
    address = parse_ipv4(address)
    _check_id(eni_id, "eni-", "network interface ID")
    _check_id(vpc_id, "vpc-", "VPC ID")
    if isinstance(wait_timeout, bool) or not isinstance(wait_timeout, (int, float)) or wait_timeout <= 0:
        raise FloatingIpError("invalid wait_timeout %r: use a positive number of seconds" % (wait_timeout,), "invalid")
    api.call(
        "assign_private_ip_addresses", NetworkInterfaceId=eni_id, PrivateIpAddresses=[address], AllowReassignment=True
    )

    holders = wait_for(
        api,
        lambda: _holder_ids(api, vpc_id, address),
        lambda found: found == [eni_id],
        wait_timeout,
        "%s to be on %s and on no other interface" % (address, eni_id),
        lambda found: "held by %s" % (", ".join(found) or "no interface"),
    )
    return {"network_interface_id": eni_id, "address": address, "holders": holders}


def _holder_ids(api, vpc_id, address):
    """The IDs of every ENI in ``vpc_id`` holding ``address`` (one call), sorted."""
    answer = api.call(
        "describe_network_interfaces",
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "addresses.private-ip-address", "Values": [address]},
        ],
    )
    return sorted(
        eni["NetworkInterfaceId"] for eni in answer.get("NetworkInterfaces", []) if address in eni_addresses(eni)
    )


# -- Elastic IPs -------------------------------------------------------------------------------


def _tags_dict(items):
    return dict((tag["Key"], tag["Value"]) for tag in items or [])


def _association(address):
    """The (ENI, private IP) pair and details of an address description, all None when unassociated."""
    if address is None:
        return {"network_interface_id": None, "private_ip": None, "instance_id": None, "association_id": None}
    return {
        "network_interface_id": address.get("NetworkInterfaceId") or None,
        "private_ip": address.get("PrivateIpAddress") or None,
        "instance_id": address.get("InstanceId") or None,
        "association_id": address.get("AssociationId") or None,
    }


def _eip_view(address):
    """The part of an address that a diff shows."""
    if address is None:
        return {}
    assoc = _association(address)
    return {
        "allocation_id": address.get("AllocationId"),
        "public_ip": address.get("PublicIp"),
        "network_interface_id": assoc["network_interface_id"],
        "private_ip": assoc["private_ip"],
        "tags": _tags_dict(address.get("Tags")),
    }


def find_eip(client, allocation_id=None, public_ip=None, tags=None):
    """Return the description of one Elastic IP, or None when tags match none (one API call).

    By ``allocation_id`` or ``public_ip`` (an unknown one is a ``not_found`` error), else by ``tags``
    (every tag must match; more than one match is an ``invalid`` error).
    """
    api = _api(client)
    if allocation_id:
        _check_id(allocation_id, "eipalloc-", "allocation ID")
        params = {"AllocationIds": [allocation_id]}
        what = "Elastic IP allocation %s" % allocation_id
    elif public_ip:
        params = {"PublicIps": [parse_ipv4(public_ip, "public_ip")]}
        what = "Elastic IP %s" % public_ip
    elif tags:
        filters = [{"Name": "tag:%s" % key, "Values": [value]} for key, value in sorted(tags.items())]
        params = {"Filters": [{"Name": "domain", "Values": ["vpc"]}, *filters]}
        what = None
    else:
        raise FloatingIpError("name the Elastic IP by allocation_id, public_ip or tags", "invalid")
    try:
        answer = api.call("describe_addresses", **params)
    except FloatingIpError as exc:
        if exc.kind == "not_found" and what:
            raise FloatingIpError(
                "%s does not exist in %s (it may have been released); check the ID, the region and endpoint_url"
                % (what, api.region),
                "not_found",
                exc.action,
                exc.code,
            ) from None
        raise
    found = answer.get("Addresses", [])
    if not found:
        if what:
            raise FloatingIpError("%s does not exist in %s" % (what, api.region), "not_found")
        return None
    if len(found) > 1:
        raise FloatingIpError(
            "%d Elastic IPs match the tags %s (%s); make the tags unique or name one by allocation_id"
            % (len(found), tags, ", ".join(a.get("AllocationId") or a.get("PublicIp") for a in found)),
            "invalid",
        )
    if not found[0].get("AllocationId"):
        raise FloatingIpError(
            "Elastic IP %s has no allocation ID (an EC2-Classic address); only VPC addresses are supported"
            % found[0].get("PublicIp"),
            "invalid",
        )
    return found[0]


def ensure_eip(
    client,
    allocation_id=None,
    public_ip=None,
    tags=None,
    allocate=False,
    eni_id=None,
    instance_id=None,
    private_ip=None,
    state="present",
    allow_reassociation=False,
    release=False,
    purge_tags=False,
    wait=True,
    wait_timeout=DEFAULT_WAIT_TIMEOUT,
    check_mode=False,
):
    """Associate an Elastic IP with an exact (ENI, private IP) pair, or disassociate / release it.

    The EIP is named by ``allocation_id`` or ``public_ip``, or found by ``tags`` (and allocated with
    them when none matches and ``allocate``).  The target is ``eni_id`` or ``instance_id`` (its
    interface holding ``private_ip``, else its primary interface) and ``private_ip`` (default: the
    interface's primary address).

    ``present``: associate with the target when one is given (an EIP associated anywhere else is
    moved, and another EIP already on the target pair is displaced -- EC2 disassociates it -- only
    with ``allow_reassociation``), and set ``tags`` (``purge_tags`` removes others).
    ``disassociated``: make sure it is not associated -- with the target, when one is given, else
    with anything.  ``absent``: the same, then release it when ``release``; an EIP that does not
    exist is already absent.

    Returns a dict: ``changed``, ``allocation_id``, ``public_ip``, ``association_id``,
    ``network_interface_id``, ``private_ip``, ``instance_id``, ``tags``, ``allocated``,
    ``disassociated``, ``released``, ``previous`` (``network_interface_id``, ``private_ip``,
    ``instance_id``, ``association_id`` before the run), ``displaced`` (``allocation_id`` and
    ``public_ip`` of another EIP the association took the target pair from, else None) and
    ``before``/``after`` for a diff (``before`` also shows ``displaced``, when there is one).
    """
    api = _api(client)
    _check_common(state, STATES_EIP, wait_timeout)
    _check_id(allocation_id, "eipalloc-", "allocation ID")
    _check_id(eni_id, "eni-", "network interface ID")
    _check_id(instance_id, "i-", "instance ID")
    if allocation_id and public_ip:
        raise FloatingIpError("name the Elastic IP by allocation_id or by public_ip, not both", "invalid")
    if not (allocation_id or public_ip or tags):
        raise FloatingIpError("name the Elastic IP by allocation_id, public_ip or tags", "invalid")
    if allocate and (allocation_id or public_ip or not tags):
        raise FloatingIpError(
            "allocate needs tags and neither allocation_id nor public_ip: the tags find the Elastic IP on later runs",
            "invalid",
        )
    if eni_id and instance_id:
        raise FloatingIpError("name the target by eni_id or by instance_id, not both", "invalid")
    if private_ip is not None:
        private_ip = parse_ipv4(private_ip, "private_ip")
        if not (eni_id or instance_id):
            raise FloatingIpError("private_ip needs a target: eni_id or instance_id", "invalid")
    if public_ip is not None:
        public_ip = parse_ipv4(public_ip, "public_ip")
    if release and state != "absent":
        raise FloatingIpError("release goes with state=absent", "invalid")
    if tags is not None and not isinstance(tags, dict):
        raise FloatingIpError("tags must be a dictionary of key: value, got %r" % (tags,), "invalid")
    tags = dict((str(k), "" if v is None else str(v)) for k, v in (tags or {}).items())
    has_target = bool(eni_id or instance_id)

    with _ReadOnly(api, check_mode):
        try:
            address = find_eip(api, allocation_id=allocation_id, public_ip=public_ip, tags=tags)
        except FloatingIpError as exc:
            # An EIP that does not exist (any more) is absent: a release is idempotent.
            if not (state == "absent" and exc.kind == "not_found"):
                raise
            address = None
        if address is None and not (state == "present" and allocate):
            if state == "absent":
                result = _eip_result(None, None, previous=_association(None), changed=False)
                result.update(allocation_id=allocation_id, public_ip=public_ip)
                return result
            hint = (
                "set allocate: true to allocate one, or name it by allocation_id"
                if state == "present"
                else "check the tags and the region, or name it by allocation_id"
            )
            raise FloatingIpError("no Elastic IP has the tags %s in %s; %s" % (tags, api.region, hint), "not_found")
        previous = _association(address)
        if state == "present":
            return _present(
                api,
                address,
                tags,
                purge_tags,
                (eni_id, instance_id, private_ip) if has_target else None,
                previous,
                allow_reassociation,
                wait,
                wait_timeout,
                check_mode,
            )
        return _release_or_disassociate(
            api, address, state, release, eni_id, instance_id, private_ip, previous, wait, wait_timeout, check_mode
        )


def _target_pair(api, eni_id, instance_id, private_ip):
    """Resolve and validate the target: (ENI description, private IP)."""
    eni = find_eni(api, eni_id=eni_id, instance_id=instance_id, private_ip=private_ip)
    target_ip = private_ip or eni_primary(eni)
    if target_ip not in eni_addresses(eni):
        raise FloatingIpError(
            "private IP %s is not assigned to %s (its addresses: %s); assign it first with rtc.ec2_fleet.secondary_ip, "
            "or for a standby in another subnet associate the Elastic IP with the standby's own address"
            % (target_ip, _eni_label(eni), ", ".join(eni_addresses(eni))),
            "not_on_eni",
        )
    return eni, target_ip


def _tag_changes(current, wanted, purge):
    to_set = dict((k, v) for k, v in wanted.items() if current.get(k) != v)
    to_unset = sorted(k for k in current if purge and k not in wanted and not k.startswith("aws:"))
    return to_set, to_unset


def _present(
    api, address, tags, purge_tags, wanted_target, previous, allow_reassociation, wait, wait_timeout, check_mode
):
    current_tags = _tags_dict(address.get("Tags")) if address else {}
    to_set, to_unset = _tag_changes(current_tags, tags, purge_tags) if address else ({}, [])
    target = None
    if wanted_target is not None:
        eni_id, instance_id, private_ip = wanted_target
        if (
            address is not None
            and eni_id
            and private_ip
            and (previous["network_interface_id"], previous["private_ip"]) == (eni_id, private_ip)
        ):
            target = (eni_id, private_ip)  # already there: no need to read the interface
        else:
            eni, target_ip = _target_pair(api, eni_id, instance_id, private_ip)
            target = (eni["NetworkInterfaceId"], target_ip)
    associate = target is not None and (previous["network_interface_id"], previous["private_ip"]) != target
    if associate and previous["network_interface_id"] and not allow_reassociation:
        raise FloatingIpError(
            "Elastic IP %s (%s) is associated with %s on %s%s, not with %s on %s; set allow_reassociation: true to "
            "move it (a takeover), or disassociate it there first"
            % (
                address.get("PublicIp"),
                address.get("AllocationId"),
                previous["private_ip"],
                previous["network_interface_id"],
                " (instance %s)" % previous["instance_id"] if previous["instance_id"] else "",
                target[1],
                target[0],
            ),
            "eip_in_use",
        )
    occupant = _occupant(api, target, (address or {}).get("AllocationId")) if associate else None
    if occupant is not None and not allow_reassociation:
        raise FloatingIpError(
            "%s is already associated with %s on %s%s; associating %s there would disassociate it (EC2 replaces the "
            "Elastic IP of an address). Set allow_reassociation: true to replace it, or disassociate it there first; "
            "nothing was changed"
            % (
                _eip_label(occupant),
                target[1],
                target[0],
                " (instance %s)" % occupant["InstanceId"] if occupant.get("InstanceId") else "",
                _eip_label(address) if address else "the Elastic IP to be allocated with the tags %s" % (tags,),
            ),
            "eip_in_use",
        )
    displaced = (
        {"allocation_id": occupant.get("AllocationId"), "public_ip": occupant.get("PublicIp")} if occupant else None
    )
    allocated = address is None
    changed = allocated or associate or bool(to_set or to_unset)
    if check_mode or not changed:
        after = dict(address or {})
        if allocated:
            after = {"AllocationId": None, "PublicIp": None, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        if associate:
            after.update(NetworkInterfaceId=target[0], PrivateIpAddress=target[1], AssociationId=None, InstanceId=None)
        if to_set or to_unset:
            after["Tags"] = [{"Key": k, "Value": v} for k, v in _apply_tags(current_tags, to_set, to_unset).items()]
        return _eip_result(address, after, previous, changed, allocated=allocated, displaced=displaced)

    if allocated:
        answer = api.call(
            "allocate_address",
            Domain="vpc",
            TagSpecifications=[
                {"ResourceType": "elastic-ip", "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}
            ],
        )
        allocation_id = answer["AllocationId"]
        current_tags = dict(tags)
    else:
        allocation_id = address["AllocationId"]
        if to_set:
            api.call(
                "create_tags",
                Resources=[allocation_id],
                Tags=[{"Key": k, "Value": v} for k, v in sorted(to_set.items())],
            )
        if to_unset:
            api.call("delete_tags", Resources=[allocation_id], Tags=[{"Key": k} for k in to_unset])
    if associate:
        params = {
            "AllocationId": allocation_id,
            "NetworkInterfaceId": target[0],
            "PrivateIpAddress": target[1],
        }
        if previous["network_interface_id"]:
            params["AllowReassociation"] = True
        api.call("associate_address", **params)
    wanted_tags = _apply_tags(current_tags, to_set, to_unset)

    def done(found):
        if not found:
            return False
        if target is not None and (found.get("NetworkInterfaceId"), found.get("PrivateIpAddress")) != target:
            return False
        if not (allocated or to_set or to_unset):
            return True
        found_tags = _tags_dict(found.get("Tags"))
        return all(found_tags.get(k) == v for k, v in wanted_tags.items()) and not set(to_unset) & set(found_tags)

    if wait or allocated:
        # After an allocation the new address is always read back: its public IP is only known then.
        # A displaced EIP is read in the same call, and must have left the pair too.
        leaving = (displaced["allocation_id"], target) if displaced and displaced["allocation_id"] else None
        after = _wait_address(
            api,
            allocation_id,
            done,
            wait_timeout if wait else 0.0,
            _eip_what(allocation_id, target, leaving),
            leaving=leaving,
        )
    else:
        after = dict(address)
        after["Tags"] = [{"Key": k, "Value": v} for k, v in wanted_tags.items()]
        if associate:
            after.update(NetworkInterfaceId=target[0], PrivateIpAddress=target[1], AssociationId=None, InstanceId=None)
    return _eip_result(address, after, previous, True, allocated=allocated, displaced=displaced)


def _eip_label(address):
    return "Elastic IP %s (%s)" % (address.get("PublicIp"), address.get("AllocationId"))


def _occupant(api, target, own_allocation_id):
    """The description of another Elastic IP associated with exactly ``target`` (ENI, private IP), or None.

    EC2 disassociates it when an Elastic IP is associated with that pair (one ``DescribeAddresses``).
    """
    answer = api.call(
        "describe_addresses",
        Filters=[
            {"Name": "network-interface-id", "Values": [target[0]]},
            {"Name": "private-ip-address", "Values": [target[1]]},
        ],
    )
    for found in answer.get("Addresses", []):
        on_target = (found.get("NetworkInterfaceId"), found.get("PrivateIpAddress")) == target
        if on_target and not (own_allocation_id and found.get("AllocationId") == own_allocation_id):
            return found
    return None


def _eip_what(allocation_id, target, leaving=None):
    if target is None:
        return "Elastic IP %s to show its tags" % allocation_id
    what = "Elastic IP %s to be associated with %s on %s" % (allocation_id, target[1], target[0])
    if leaving:
        what += " and Elastic IP %s to leave it" % leaving[0]
    return what


def _apply_tags(current, to_set, to_unset):
    tags = dict((k, v) for k, v in current.items() if k not in to_unset)
    tags.update(to_set)
    return tags


def _wait_address(api, allocation_id, done, wait_timeout, what, leaving=None):
    """Read Elastic IP ``allocation_id`` back until ``done(address)``; return its description.

    ``leaving`` is (allocation ID, (ENI, private IP)) of another Elastic IP, read in the same call,
    that must no longer be on that pair (an Elastic IP the association displaced).
    """
    ids = [allocation_id] + ([leaving[0]] if leaving else [])
    seen = {}

    def read():
        answer = api.call("describe_addresses", Filters=[{"Name": "allocation-id", "Values": ids}])
        found = dict((item.get("AllocationId"), item) for item in answer.get("Addresses", []))
        if leaving:
            seen["other"] = found.get(leaving[0])
        return found.get(allocation_id)

    def left():
        other = seen.get("other")
        return other is None or (other.get("NetworkInterfaceId"), other.get("PrivateIpAddress")) != leaving[1]

    def finished(found):
        return done(found) and (leaving is None or left())

    def describe(found):
        text = _eip_view(found) if found else "no such address"
        if leaving and not left():
            text = "%s; Elastic IP %s still on %s on %s" % (text, leaving[0], leaving[1][1], leaving[1][0])
        return text

    if wait_timeout <= 0:  # wait: false -- one read, no polling
        return read() or {}
    return wait_for(api, read, finished, wait_timeout, what, describe)


def _release_or_disassociate(
    api, address, state, release, eni_id, instance_id, private_ip, previous, wait, wait_timeout, check_mode
):
    allocation_id = address["AllocationId"]
    associated = previous["network_interface_id"] is not None or previous["association_id"] is not None
    on_target = associated
    if associated and (eni_id or instance_id):
        on_target = previous["network_interface_id"] == eni_id if eni_id else previous["instance_id"] == instance_id
        if on_target and private_ip:
            on_target = previous["private_ip"] == private_ip
    disassociate = associated and on_target
    if release and associated and not on_target:
        raise FloatingIpError(
            "not releasing Elastic IP %s (%s): it is associated with %s on %s, not with the target given; drop the "
            "target to release it wherever it is, or disassociate it there first"
            % (address.get("PublicIp"), allocation_id, previous["private_ip"], previous["network_interface_id"]),
            "eip_in_use",
        )
    changed = disassociate or bool(release)
    if check_mode or not changed:
        if release:
            after = None
        else:
            after = dict(address)
            if disassociate:
                for key in ("NetworkInterfaceId", "PrivateIpAddress", "AssociationId", "InstanceId"):
                    after.pop(key, None)
        return _eip_result(address, after, previous, changed, disassociated=disassociate, released=bool(release))

    if disassociate:
        try:
            api.call("disassociate_address", AssociationId=previous["association_id"])
        except FloatingIpError as exc:
            if exc.kind != "not_found":  # disassociated meanwhile: the read-back below confirms it
                raise
        after = _wait_address(
            api,
            allocation_id,
            lambda found: found is not None and not found.get("AssociationId") and not found.get("NetworkInterfaceId"),
            wait_timeout if (wait or release) else 0.0,  # a release must not meet the association still in place
            "Elastic IP %s to be disassociated from %s" % (allocation_id, previous["network_interface_id"]),
        )
    else:
        after = dict(address)
    if release:
        params = {"AllocationId": allocation_id}
        if address.get("NetworkBorderGroup"):
            params["NetworkBorderGroup"] = address["NetworkBorderGroup"]
        api.call("release_address", **params)
        if wait:
            what = "Elastic IP %s to be released" % allocation_id
            _wait_address(api, allocation_id, lambda found: found is None, wait_timeout, what)
        after = None
    return _eip_result(address, after, previous, True, disassociated=disassociate, released=bool(release))


def _eip_result(before, after, previous, changed, allocated=False, disassociated=False, released=False, displaced=None):
    """The plain result of :func:`ensure_eip`; ``after`` None means the address no longer exists."""
    current = after if after is not None else {}
    assoc = _association(current if current else None)
    before_view = _eip_view(before)
    if displaced:
        before_view["displaced"] = dict(displaced)
    return {
        "changed": changed,
        "allocation_id": current.get("AllocationId") or (before or {}).get("AllocationId"),
        "public_ip": current.get("PublicIp") or (before or {}).get("PublicIp"),
        "association_id": assoc["association_id"],
        "network_interface_id": assoc["network_interface_id"],
        "private_ip": assoc["private_ip"],
        "instance_id": assoc["instance_id"],
        "tags": _tags_dict(current.get("Tags")),
        "allocated": allocated,
        "disassociated": disassociated,
        "released": released,
        "previous": previous,
        "displaced": displaced,
        "before": before_view,
        "after": _eip_view(after),
    }
