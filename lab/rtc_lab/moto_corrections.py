"""The one place where moto 5.2.5 is corrected to behave as EC2 and Route 53 are documented to.

The lab's whole point is that playbooks and modules cannot tell it from AWS where this
collection cares, so every difference we rely on is restored here, by monkeypatching moto's
response handlers and models. ``apply()`` installs all of it, once; the endpoint calls it
before serving. Each correction says which documented behaviour it restores. Sources: the
EC2 and Route 53 API references (the same text ships in botocore's service models, e.g.
``botocore/data/ec2/2016-11-15/service-2.json``) and the EC2 API error-code reference.
"""

from __future__ import annotations

import copy
import fnmatch
import ipaddress
import itertools
import secrets
import string
import threading
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.ec2 import utils as ec2_utils
from moto.ec2.exceptions import EC2ClientError, ResourceAlreadyAssociatedError
from moto.ec2.models.amis import AmiBackend
from moto.ec2.models.elastic_ip_addresses import ElasticAddress, ElasticAddressBackend
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ec2.responses import EC2Response
from moto.ec2.utils import random_eip_association_id
from moto.route53.exceptions import (
    DnsNameInvalidForZone,
    InvalidActionValue,
    InvalidInput,
    ResourceRecordAlreadyExists,
    Route53ClientError,
)
from moto.route53.models import FakeZone, HealthCheck, RecordSet, Route53Backend
from moto.route53.responses import Route53
from moto.route53.utils import validate_domain_name

# The code the lab answers when AssignPrivateIpAddresses (without AllowReassignment) names an
# address another interface holds: the EC2 error-code reference's "The specified IP address is
# already in use" (InvalidIPAddress.InUse). Code that classifies this case must also accept
# InvalidParameterValue, which EC2 uses for other rejected addresses.
ADDRESS_IN_USE = "InvalidIPAddress.InUse"
PLACEMENT_STRATEGIES = ("cluster", "spread", "partition")

_ORIGINAL: dict[str, Any] = {}


def apply() -> None:
    """Install every correction; calling it again changes nothing."""
    if _ORIGINAL:
        return
    _ORIGINAL.update(
        assign_private_ip_addresses=EC2Response.assign_private_ip_addresses,
        describe_instance_attribute=EC2Response.describe_instance_attribute,
        run_instances=EC2Response.run_instances,
        eni_filter=NetworkInterface.get_filter_value,
        is_filter_matching=ec2_utils.is_filter_matching,
        eip_filter=ElasticAddress.get_filter_value,
        register_image=AmiBackend.register_image,
        route53_change_rrsets=Route53.change_resource_record_sets,
        get_change=Route53.get_change,
        create_health_check=Route53.create_health_check,
        update_health_check=Route53.update_health_check,
        health_check_config=HealthCheck.health_check_config,
    )
    EC2Response.assign_private_ip_addresses = assign_private_ip_addresses
    EC2Response.associate_address = associate_address
    ElasticAddressBackend.disassociate_address = disassociate_address
    ElasticAddress.private_ip_address = property(_eip_private_ip)
    ElasticAddress.instance_id = property(_eip_instance_id)
    ElasticAddress.network_interface_id = property(lambda eip: eip.eni.id if eip.eni else None)
    ElasticAddress.get_filter_value = _eip_filter_value
    NetworkInterface.get_filter_value = _eni_filter_value
    ec2_utils.is_filter_matching = is_filter_matching
    EC2Response.create_placement_group = create_placement_group
    EC2Response.describe_placement_groups = describe_placement_groups
    EC2Response.delete_placement_group = delete_placement_group
    EC2Response.run_instances = run_instances
    EC2Response.describe_instance_attribute = describe_instance_attribute
    Route53Backend.change_resource_record_sets = change_resource_record_sets
    AmiBackend.register_image = register_image
    Route53.list_resource_record_sets = list_resource_record_sets
    Route53.change_resource_record_sets = change_resource_record_sets_response
    Route53.get_change = get_change
    Route53.create_health_check = create_health_check
    Route53.update_health_check = update_health_check
    HealthCheck.health_check_config = property(_health_check_config)


def _invalid(message: str) -> EC2ClientError:
    return EC2ClientError("InvalidParameterValue", message)


def private_ips(eni: NetworkInterface) -> list[str]:
    """Every private IPv4 address of an interface, primary first."""
    others = [
        a["PrivateIpAddress"] for a in eni.private_ip_addresses if a["PrivateIpAddress"] != eni.private_ip_address
    ]
    return [eni.private_ip_address, *others]


# --- (a), (b) AssignPrivateIpAddresses ------------------------------------------------------
# Documented: with AllowReassignment an address "already assigned to another network interface"
# is reassigned, i.e. moved: it leaves the old interface, and "any Elastic IP address that is
# associated with the IP address is also moved". Without it, EC2 refuses an address another
# interface holds, and an address must lie in the interface's subnet outside the five
# addresses AWS reserves (first four and last, VPC User Guide). moto 5.2.5 ignores
# AllowReassignment, leaves a moved address on both interfaces and accepts any address.


def _reserved(subnet: ipaddress.IPv4Network) -> set[ipaddress.IPv4Address]:
    first = subnet.network_address
    return {first, first + 1, first + 2, first + 3, subnet.broadcast_address}


def _holder(backend: Any, vpc_id: str, ip: str) -> NetworkInterface | None:
    for eni in backend.enis.values():
        if eni.subnet.vpc_id == vpc_id and ip in private_ips(eni):
            return eni
    return None


def _check_assignable(backend: Any, eni: NetworkInterface, ips: list[str], allow: bool) -> dict[str, Any]:
    """Map each requested address to the interface holding it now; raise before anything changes."""
    subnet = ipaddress.ip_network(eni.subnet.cidr_block)
    holders = {}
    for ip in ips:
        try:
            address = ipaddress.IPv4Address(ip)
        except ValueError:
            raise _invalid(f"Invalid value '{ip}' for IPv4 address") from None
        if address not in subnet or address in _reserved(subnet):
            raise _invalid(f"Address {ip} is not available in subnet {eni.subnet.id} ({subnet})")
        holder = _holder(backend, eni.subnet.vpc_id, ip)
        # A primary address never moves, AllowReassignment or not.
        if holder is not None and holder is not eni and (not allow or holder.private_ip_address == ip):
            raise EC2ClientError(ADDRESS_IN_USE, f"Address {ip} is in use by {holder.id}")
        holders[ip] = holder
    return holders


def _move_secondary(backend: Any, ip: str, old: NetworkInterface, new: NetworkInterface) -> None:
    old.private_ip_addresses[:] = [a for a in old.private_ip_addresses if a["PrivateIpAddress"] != ip]
    new.private_ip_addresses.append({"Primary": False, "PrivateIpAddress": ip})
    for eip in backend.addresses:
        if eip.eni is old and eip.private_ip_address == ip:
            eip.eni, eip.instance = new, new.instance


def assign_private_ip_addresses(self: EC2Response) -> Any:
    ips = list(dict.fromkeys(self._get_param("PrivateIpAddresses", [])))  # each address once, in order
    if not ips:  # a count of addresses to pick: moto's own handling is fine
        return _ORIGINAL["assign_private_ip_addresses"](self)
    backend = self.ec2_backend
    eni = backend.get_network_interface(self._get_param("NetworkInterfaceId"))
    holders = _check_assignable(backend, eni, ips, bool(self._get_bool_param("AllowReassignment", False)))
    self.error_on_dryrun()
    for ip in ips:
        holder = holders[ip]
        if holder is None:
            eni.private_ip_addresses.append({"Primary": False, "PrivateIpAddress": ip})
        elif holder is not eni:
            _move_secondary(backend, ip, holder, eni)
    return ActionResult(
        {"NetworkInterfaceId": eni.id, "AssignedPrivateIpAddresses": [{"PrivateIpAddress": ip} for ip in ips]}
    )


# --- (c) AssociateAddress / DescribeAddresses -----------------------------------------------
# Documented: PrivateIpAddress is "the primary or secondary private IP address to associate
# with the Elastic IP address"; an EIP already associated elsewhere is moved (with
# AllowReassociation, see below); an address that already has an EIP loses it ("the existing
# address is disassociated"). DescribeAddresses
# reports the association's NetworkInterfaceId, PrivateIpAddress and InstanceId. moto 5.2.5
# always records the primary address, keeps a moved EIP's public IP on the old interface and
# reports no InstanceId for an association made by interface (and "" fields when unassociated).


def _eip_private_ip(eip: ElasticAddress) -> str | None:
    if eip.eni is None:
        return None
    return getattr(eip, "rtc_private_ip", None) or eip.eni.private_ip_address


# None rather than moto's "" for an unassociated address: EC2 leaves the fields out.
def _eip_instance_id(eip: ElasticAddress) -> str | None:
    if eip.eni is not None and eip.eni.instance is not None:
        return eip.eni.instance.id
    return eip.instance.id if eip.instance else None


def _eip_filter_value(eip: ElasticAddress, name: str, method_name: str | None = None) -> Any:
    if name == "private-ip-address":
        return eip.private_ip_address
    if name == "instance-id":
        return eip.instance_id
    return _ORIGINAL["eip_filter"](eip, name, method_name)


def _detach(eip: ElasticAddress) -> None:
    eni = eip.eni
    # The interface's own public IP belongs to its primary address: clear it only when this
    # EIP was that address's; EC2 then gives an auto-assigned public IP back, as moto does.
    if eni is not None and eni.public_ip == eip.public_ip and eip.private_ip_address == eni.private_ip_address:
        eni.public_ip = None
        if eni.instance is not None and eni.instance.state == "running":
            eni.check_auto_public_ip()
    eip.eni = eip.instance = eip.association_id = None
    eip.rtc_private_ip = None


def disassociate_address(self: ElasticAddressBackend, address=None, association_id=None) -> None:
    eips = self.address_by_ip([address]) if address else self.address_by_association([association_id])
    _detach(eips[0])


def associate_address(self: EC2Response) -> ActionResult:
    backend = self.ec2_backend
    instance_id, eni_id = self._get_param("InstanceId"), self._get_param("NetworkInterfaceId")
    public_ip, allocation_id = self._get_param("PublicIp"), self._get_param("AllocationId")
    if not (instance_id or eni_id):
        raise EC2ClientError("MissingParameter", "Invalid request, expect InstanceId/NetworkId parameter.")
    if instance_id and eni_id:  # documented: "either the instance ID or the network interface ID, but not both"
        raise EC2ClientError("InvalidParameterCombination", "Specify InstanceId or NetworkInterfaceId, not both.")
    if not (public_ip or allocation_id):
        raise EC2ClientError("MissingParameter", "Invalid request, expect PublicIp/AllocationId parameter.")
    instance = backend.get_instance(instance_id) if instance_id else None
    eni = instance.nics[0] if instance else backend.get_network_interface(eni_id)
    private_ip = self._get_param("PrivateIpAddress") or eni.private_ip_address
    if private_ip not in private_ips(eni):
        # No dedicated code is documented for this case; EC2's common InvalidParameterValue
        # ("a value specified in a parameter is not valid ... or cannot be used") is it.
        raise _invalid(f"The private IP address {private_ip} is not assigned to {eni.id}")
    eip = (backend.address_by_ip([public_ip]) if public_ip else backend.address_by_allocation([allocation_id]))[0]
    self.error_on_dryrun()
    if eip.eni is eni and eip.private_ip_address == private_ip:
        return ActionResult({"AssociationId": eip.association_id})  # documented as idempotent
    # Kept from moto on purpose: the API reference calls reassociation "automatic", yet users report
    # EC2 refusing it without AllowReassociation; the stricter behaviour catches code that forgets
    # the flag (this collection's modules always pass it explicitly).
    if eip.eni is not None and eip.eni is not eni and not self._get_bool_param("AllowReassociation", False):
        raise ResourceAlreadyAssociatedError(eip.public_ip)
    _detach(eip)
    for other in backend.addresses:
        if other is not eip and other.eni is eni and other.private_ip_address == private_ip:
            _detach(other)
    eip.eni, eip.instance, eip.rtc_private_ip = eni, eni.instance, private_ip
    if private_ip == eni.private_ip_address:
        eni.public_ip = eip.public_ip
    if eip.domain == "vpc":
        eip.association_id = random_eip_association_id()
    return ActionResult({"AssociationId": eip.association_id})


# DescribeNetworkInterfaces filters: documented "addresses.private-ip-address - The private
# IPv4 addresses associated with the network interface" and "private-ip-address - The private
# IPv4 address or addresses of the network interface"; moto matches only the primary, so an
# interface could not be found by a secondary (floating) address, which the IMDS stand-in does.
_ENI_ADDRESS_FILTERS = ("addresses.private-ip-address", "private-ip-address")


def _eni_filter_value(eni: NetworkInterface, name: str, method_name: str | None = None) -> Any:
    if name in _ENI_ADDRESS_FILTERS:
        return private_ips(eni)
    return _ORIGINAL["eni_filter"](eni, name, method_name)


# Documented for every Describe* filter: several values of one filter are joined with OR, so an
# interface matches when any of its addresses matches any value. moto matches a multi-valued
# attribute only when one set contains the other, so asking for [free address, held address] found
# no holder. Corrected for the address filters this collection relies on.
def is_filter_matching(obj: Any, name: str, filter_value: Any) -> bool:
    if isinstance(obj, NetworkInterface) and name in _ENI_ADDRESS_FILTERS and filter_value is not None:
        patterns = filter_value if isinstance(filter_value, list) else [filter_value]
        return any(fnmatch.fnmatch(ip, pattern) for ip in private_ips(obj) for pattern in patterns)
    return _ORIGINAL["is_filter_matching"](obj, name, filter_value)


# --- (d) Placement groups ---------------------------------------------------------------------
# moto 5.2.5 has none of CreatePlacementGroup, DescribePlacementGroups, DeletePlacementGroup,
# and drops RunInstances' Placement.GroupName. Restored as the EC2 API reference documents
# them, with its error codes InvalidPlacementGroup.Duplicate / .Unknown / .InUse.


def _groups(backend: Any) -> dict[str, dict[str, Any]]:
    # Kept on the backend itself so that moto's reset (which rebuilds backends) clears them.
    return backend.__dict__.setdefault("rtc_placement_groups", {})


def _group(backend: Any, name: str | None = None, group_id: str | None = None) -> dict[str, Any]:
    for group in _groups(backend).values():
        if group["GroupName"] == name or (group_id and group["GroupId"] == group_id):
            return group
    raise EC2ClientError("InvalidPlacementGroup.Unknown", f"The Placement Group '{name or group_id}' is unknown.")


def create_placement_group(self: EC2Response) -> ActionResult:
    backend = self.ec2_backend
    name, strategy = self._get_param("GroupName"), self._get_param("Strategy")
    if not name:
        raise EC2ClientError("MissingParameter", "The request must contain the parameter groupName")
    if strategy not in PLACEMENT_STRATEGIES:
        raise _invalid(f"Value ({strategy}) for parameter strategy is invalid; use one of {PLACEMENT_STRATEGIES}")
    if name in _groups(backend):
        raise EC2ClientError("InvalidPlacementGroup.Duplicate", f"The placement group '{name}' already exists.")
    group = {
        "GroupName": name,
        "GroupId": "pg-" + secrets.token_hex(9)[:17],
        "GroupArn": f"arn:aws:ec2:{self.region}:{backend.account_id}:placement-group/{name}",
        "State": "available",
        "Strategy": strategy,
        "Tags": [
            {"Key": k, "Value": v}
            for k, v in self._parse_tag_specification("placement-group").get("placement-group", {}).items()
        ],
    }
    count = self._get_int_param("PartitionCount")
    if strategy == "partition" and count is not None:
        if not 1 <= count <= 7:  # documented: at most seven partitions per Availability Zone
            raise _invalid(f"Value ({count}) for parameter partitionCount is invalid; use 1..7")
        group["PartitionCount"] = count
    if strategy == "spread":
        group["SpreadLevel"] = self._get_param("SpreadLevel") or "rack"
    self.error_on_dryrun()
    _groups(backend)[name] = group
    return ActionResult({"PlacementGroup": group})


def _group_filter_value(group: dict[str, Any], name: str) -> list[str]:
    tags = {t["Key"]: t["Value"] for t in group["Tags"]}
    if name.startswith("tag:"):
        return [tags[name[4:]]] if name[4:] in tags else []
    if name == "tag-key":
        return list(tags)
    key = {"group-name": "GroupName", "group-arn": "GroupArn", "spread-level": "SpreadLevel"}.get(name, name.title())
    return [group[key]] if key in group else []


def describe_placement_groups(self: EC2Response) -> ActionResult:
    backend = self.ec2_backend
    names, ids = self._get_param("GroupNames", []), self._get_param("GroupIds", [])
    groups = list(_groups(backend).values())
    if names or ids:
        groups = [_group(backend, name=n) for n in names] + [_group(backend, group_id=i) for i in ids]
    for name, patterns in self._filters_from_querystring().items():
        groups = [
            g for g in groups if any(fnmatch.fnmatchcase(v, p) for v in _group_filter_value(g, name) for p in patterns)
        ]
    return ActionResult({"PlacementGroups": groups})


def delete_placement_group(self: EC2Response) -> EmptyResult:
    backend = self.ec2_backend
    group = _group(backend, name=self._get_param("GroupName"))
    for instance in backend.all_instances():
        if instance.placement.group_name == group["GroupName"] and instance.state != "terminated":
            raise EC2ClientError("InvalidPlacementGroup.InUse", f"The placement group '{group['GroupName']}' is in use")
    self.error_on_dryrun()
    del _groups(backend)[group["GroupName"]]
    return EmptyResult()


def run_instances(self: EC2Response) -> Any:
    name, group_id = self._get_param("Placement.GroupName"), self._get_param("Placement.GroupId")
    group = _group(self.ec2_backend, name=name, group_id=group_id) if (name or group_id) else None
    result = _ORIGINAL["run_instances"](self)
    if group is not None:
        for instance in result.result.instances:
            instance.placement.group_name = group["GroupName"]
    return result


# --- (e) DescribeInstanceAttribute enaSupport -----------------------------------------------
# Documented attribute values include enaSupport, answered as EnaSupport {Value: bool}; moto
# rejects it as unknown. Every lab instance stands in for a current-generation (ENA) type.
def describe_instance_attribute(self: EC2Response) -> Any:
    if self._get_param("Attribute") != "enaSupport":
        return _ORIGINAL["describe_instance_attribute"](self)
    instance = self.ec2_backend.get_instance(self._get_param("InstanceId"))
    return ActionResult({"InstanceId": instance.id, "EnaSupport": {"Value": True}})


# --- (f) Route 53 CREATE of an existing record set --------------------------------------------
# Documented: "CREATE: Creates a resource record set that has the specified values" and fails
# (InvalidChangeBatch) if a record set with that name, type and set identifier exists; a change
# batch is applied all-or-nothing. moto only refuses a CREATE repeating an identical change.
# --- (h) Route 53 DELETE of a record set ------------------------------------------------------
# Documented: "DELETE: Deletes an existing resource record set that has the specified values";
# "To delete a resource record set, you must specify all the same values that you specified when
# you created it", else InvalidChangeBatch ("... but the values provided do not match the current
# values"; "... but it was not found" when there is none). This is what makes DELETE-old +
# CREATE-new in one batch an optimistic-concurrency write: the loser of a race fails instead of
# overwriting. moto 5.2.5 accepts a DELETE whose values were ever created (so a stale writer wins),
# answers a missing one with InvalidInput, and a DELETE with a SetIdentifier removes every record
# set of the zone with that identifier, whatever its name and type.
def _rrset_key(record_set: dict[str, Any]) -> tuple[str, str, str | None]:
    name = record_set["Name"].lower().rstrip(".").replace("\\052", "*")
    return name, record_set["Type"], record_set.get("SetIdentifier")


def _stored(record: RecordSet) -> dict[str, Any]:
    """A stored record set in the API's form (as a DELETE must repeat it)."""
    fields = {
        "Name": record.name,
        "Type": record.type,
        "SetIdentifier": record.set_identifier,
        "Weight": record.weight,
        "Region": record.region,
        "Failover": record.failover,
        "GeoLocation": record.geo_location,
        "MultiValueAnswer": record.multi_value_answer,
        "HealthCheckId": record.health_check_id,
        "AliasTarget": record.alias_target,
        "TTL": record.ttl,
        "ResourceRecords": [{"Value": value} for value in record.records or []],
    }
    return {key: value for key, value in fields.items() if value not in (None, [])}


def _comparable(record_set: dict[str, Any]) -> dict[str, Any]:
    values = sorted(
        item["Value"] if isinstance(item, dict) else item for item in record_set.get("ResourceRecords") or []
    )
    alias = record_set.get("AliasTarget")
    if alias:
        alias = {
            "DNSName": str(alias.get("DNSName", "")).lower().rstrip("."),
            "HostedZoneId": alias.get("HostedZoneId"),
            "EvaluateTargetHealth": str(alias.get("EvaluateTargetHealth", False)).lower() == "true",
        }
    ttl = record_set.get("TTL")
    weight = record_set.get("Weight")
    return {
        "TTL": None if ttl is None else int(ttl),
        "ResourceRecords": values,
        "Weight": None if weight is None else int(weight),
        "Region": record_set.get("Region"),
        "Failover": record_set.get("Failover"),
        "GeoLocation": record_set.get("GeoLocation") or None,
        "MultiValueAnswer": record_set.get("MultiValueAnswer"),
        "HealthCheckId": record_set.get("HealthCheckId"),
        "AliasTarget": alias or None,
    }


def _batch_error(message: str) -> Route53ClientError:
    return Route53ClientError("InvalidChangeBatch", message)


def _describe(key: tuple[str, str, str | None]) -> str:
    identifier = f", set-identifier='{key[2]}'" if key[2] is not None else ""
    return f"[name='{key[0]}.', type='{key[1]}'{identifier}]"


def _validate_batch(zone: FakeZone, change_list: list[dict[str, Any]]) -> None:
    """Check the whole batch in order against the zone, before anything is applied."""
    current = {_rrset_key(stored): stored for stored in map(_stored, zone.rrsets)}
    zone_name = zone.name.lower().rstrip(".")
    for change in change_list:
        action, record_set = change["Action"], change["ResourceRecordSet"]
        if action not in ("CREATE", "UPSERT", "DELETE"):
            raise InvalidActionValue(action)
        validate_domain_name(record_set["Name"], code="InvalidChangeBatch")
        key = _rrset_key(record_set)
        if key[0] != zone_name and not key[0].endswith("." + zone_name):
            raise DnsNameInvalidForZone(name=record_set["Name"], zone_name=zone.name)
        if action == "CREATE":
            if key in current:
                raise ResourceRecordAlreadyExists(name=key[0] + ".", _type=key[1])
            current[key] = record_set
        elif action == "DELETE":
            if key not in current:
                raise _batch_error(f"Tried to delete resource record set {_describe(key)} but it was not found")
            if _comparable(record_set) != _comparable(current[key]):
                raise _batch_error(
                    f"Tried to delete resource record set {_describe(key)} but the values provided do not match "
                    "the current values"
                )
            del current[key]
        else:
            current[key] = record_set


# The server answers requests in threads: one batch at a time, so that two writers racing on a
# record set cannot both pass the checks before either applies its batch (Route 53 is atomic).
_BATCH_LOCK = threading.Lock()


def change_resource_record_sets(self: Route53Backend, zoneid: str, change_list: list[dict[str, Any]]) -> None:
    with _BATCH_LOCK:
        _apply_batch(self.get_hosted_zone(zoneid), change_list)


def _apply_batch(zone: FakeZone, change_list: list[dict[str, Any]]) -> None:
    _validate_batch(zone, change_list)  # all or nothing: every check passes before the first change
    for change in change_list:
        original = copy.deepcopy(change)
        record_set = dict(change["ResourceRecordSet"])
        if not record_set["Name"].endswith("."):
            record_set["Name"] += "."
        key = _rrset_key(record_set)
        if change["Action"] == "DELETE":
            zone.rrsets = [r for r in zone.rrsets if _rrset_key(_stored(r)) != key]
        else:
            if "ResourceRecords" in record_set:
                record_set["ResourceRecords"] = [item["Value"] for item in record_set["ResourceRecords"]]
            if change["Action"] == "CREATE":
                zone.add_rrset(record_set)
            else:
                zone.upsert_rrset(record_set)
        zone.rr_changes.append(original)


# --- (i) ListResourceRecordSets paging within one name and type --------------------------------
# Documented: record sets of one name and type with a routing policy are paged with
# NextRecordIdentifier in the response and StartRecordIdentifier in the next request ("If the
# results were truncated for a given DNS name and type, specify the value of
# NextRecordIdentifier from the previous response to get the next resource record set that has
# the current DNS name and type"). moto 5.2.5 returns no NextRecordIdentifier and ignores
# StartRecordIdentifier, so a page boundary inside such a group repeats the group forever.
def list_resource_record_sets(self: Route53) -> ActionResult:
    zone_id = self._get_param("HostedZoneId")
    start_name, start_type = self._get_param("StartRecordName"), self._get_param("StartRecordType")
    start_identifier = self._get_param("StartRecordIdentifier")
    max_items = int(self._get_param("MaxItems") or 300)
    if (start_type and not start_name) or (start_identifier and not start_type):
        raise InvalidInput("The input is not valid")
    if start_name:
        validate_domain_name(start_name)
    zone = self.backend.get_hosted_zone(zone_id)
    records = list(zone.get_record_sets(start_type, start_name))
    if start_identifier:
        first = (start_name.lower().rstrip("."), start_type)

        def before_start(record: RecordSet) -> bool:
            key = _rrset_key(_stored(record))
            return (key[0], key[1]) == first and key[2] != start_identifier

        records = list(itertools.dropwhile(before_start, records))
    page, following = records[:max_items], records[max_items : max_items + 1]
    result: dict[str, Any] = {"ResourceRecordSets": page, "IsTruncated": bool(following), "MaxItems": str(max_items)}
    if following:
        result.update(NextRecordName=following[0].name, NextRecordType=following[0].type)
        if following[0].set_identifier:
            result["NextRecordIdentifier"] = following[0].set_identifier
    return ActionResult(result)


# --- (j) ChangeResourceRecordSets change status -------------------------------------------------
# Documented: ChangeInfo.Id is the ID of this change, to pass to GetChange; "PENDING indicates
# that the changes in this request have not propagated to all Amazon Route 53 DNS servers. This
# is the initial status of all change batch requests." moto 5.2.5 answers every change with one
# fixed ID and INSYNC, so code that waits for propagation is never exercised. The lab answers a
# unique ID and PENDING; GetChange of that ID says INSYNC (the lab propagates at once). Other IDs
# keep moto's answer.
def _changes(backend: Route53Backend) -> dict[str, Any]:
    return backend.__dict__.setdefault("rtc_changes", {})  # reset with the backend


def change_resource_record_sets_response(self: Route53) -> ActionResult:
    answer = _ORIGINAL["route53_change_rrsets"](self)
    info = answer.result["ChangeInfo"]
    info["Id"] = "/change/C" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _i in range(20))
    info["Status"] = "PENDING"
    _changes(self.backend)[info["Id"].split("/")[-1]] = info["SubmittedAt"]
    return answer


def get_change(self: Route53) -> ActionResult:
    change_id = self._get_param("Id").split("/")[-1]
    submitted = _changes(self.backend).get(change_id)
    if submitted is None:
        return _ORIGINAL["get_change"](self)
    return ActionResult({"ChangeInfo": {"Id": f"/change/{change_id}", "Status": "INSYNC", "SubmittedAt": submitted}})


# --- (k) Route 53 health checks of type CLOUDWATCH_METRIC, and updates ----------------------------
# Documented: a CLOUDWATCH_METRIC health check follows a CloudWatch alarm, named by
# AlarmIdentifier (required for that type) with InsufficientDataHealthStatus; IPAddress, Port,
# RequestInterval, FailureThreshold and MeasureLatency do not apply to it. UpdateHealthCheck
# changes AlarmIdentifier and InsufficientDataHealthStatus too, removes elements named in
# ResetElements, refuses a HealthCheckVersion other than the current one
# (HealthCheckVersionMismatch), and every update increments HealthCheckVersion. moto 5.2.5 drops
# the alarm (and reports Port 80 etc.), ignores ResetElements and never changes the version.
def _health_check_config(health_check: HealthCheck) -> dict[str, Any]:
    config = _ORIGINAL["health_check_config"].fget(health_check)
    if health_check.type_ != "CLOUDWATCH_METRIC":
        return config
    for key in ("IPAddress", "Port", "RequestInterval", "FailureThreshold", "MeasureLatency", "EnableSNI"):
        config.pop(key, None)
    config["AlarmIdentifier"] = getattr(health_check, "rtc_alarm", None)
    config["InsufficientDataHealthStatus"] = getattr(health_check, "rtc_insufficient_data", None)
    return config


def create_health_check(self: Route53) -> ActionResult:
    config = self._get_param("HealthCheckConfig") or {}
    if config.get("Type") == "CLOUDWATCH_METRIC" and not config.get("AlarmIdentifier"):
        raise InvalidInput("AlarmIdentifier is required for health checks of type CLOUDWATCH_METRIC")
    answer = _ORIGINAL["create_health_check"](self)
    health_check = answer.result["HealthCheck"]
    health_check.rtc_alarm = config.get("AlarmIdentifier")
    health_check.rtc_insufficient_data = config.get("InsufficientDataHealthStatus")
    return answer


class HealthCheckVersionMismatch(Route53ClientError):
    def __init__(self) -> None:
        super().__init__(
            "HealthCheckVersionMismatch",
            "The value of HealthCheckVersion in the request doesn't match the value of HealthCheckVersion in the "
            "health check.",
        )


def update_health_check(self: Route53) -> ActionResult:
    health_check = self.backend.get_health_check(self._get_param("HealthCheckId"))
    version = self._get_param("HealthCheckVersion")
    if version is not None and int(version) != health_check.health_check_version:
        raise HealthCheckVersionMismatch()
    alarm = self._get_param("AlarmIdentifier")
    if alarm and health_check.type_ != "CLOUDWATCH_METRIC":
        raise InvalidInput("AlarmIdentifier applies to health checks of type CLOUDWATCH_METRIC only")
    answer = _ORIGINAL["update_health_check"](self)
    if alarm:
        health_check.rtc_alarm = alarm
    if self._get_param("InsufficientDataHealthStatus"):
        health_check.rtc_insufficient_data = self._get_param("InsufficientDataHealthStatus")
    resets = {"FullyQualifiedDomainName": "fqdn", "ResourcePath": "resource_path", "Regions": "regions"}
    for element in self._get_param("ResetElements") or []:
        if element in resets:
            setattr(health_check, resets[element], None)
        elif element == "ChildHealthChecks":
            health_check.children = None
    health_check.health_check_version += 1
    return answer


# --- (g) RegisterImage with a name the account already uses -----------------------------------
# Documented: AMI names are unique per account and region; RegisterImage with a name in use fails
# with InvalidAMIName.Duplicate. moto registers a second image of the same name, which hides
# non-idempotent playbooks (amazon.aws.ec2_ami registers whenever no image_id is given).
def register_image(self: AmiBackend, name: str | None = None, description: str | None = None) -> Any:
    if name is not None and any(
        ami.name == name and str(ami.owner_id) == str(self.account_id) for ami in self.amis.values()
    ):
        raise EC2ClientError("InvalidAMIName.Duplicate", f"AMI name {name} is already in use by AMI")
    return _ORIGINAL["register_image"](self, name=name, description=description)
