"""The one place where moto 5.2.5 is corrected to behave as EC2 and Route 53 are documented to.

The lab's whole point is that playbooks and modules cannot tell it from AWS where this
collection cares, so every difference we rely on is restored here, by monkeypatching moto's
response handlers and models. ``apply()`` installs all of it, once; the endpoint calls it
before serving. Each correction says which documented behaviour it restores. Sources: the
EC2 and Route 53 API references (the same text ships in botocore's service models, e.g.
``botocore/data/ec2/2016-11-15/service-2.json``) and the EC2 API error-code reference.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import secrets
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.exceptions import EC2ClientError, ResourceAlreadyAssociatedError
from moto.ec2.models.amis import AmiBackend
from moto.ec2.models.elastic_ip_addresses import ElasticAddress, ElasticAddressBackend
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ec2.responses import EC2Response
from moto.ec2.utils import random_eip_association_id
from moto.route53.exceptions import ResourceRecordAlreadyExists
from moto.route53.models import Route53Backend

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
        eip_filter=ElasticAddress.get_filter_value,
        change_rrsets=Route53Backend.change_resource_record_sets,
        register_image=AmiBackend.register_image,
    )
    EC2Response.assign_private_ip_addresses = assign_private_ip_addresses
    EC2Response.associate_address = associate_address
    ElasticAddressBackend.disassociate_address = disassociate_address
    ElasticAddress.private_ip_address = property(_eip_private_ip)
    ElasticAddress.instance_id = property(_eip_instance_id)
    ElasticAddress.network_interface_id = property(lambda eip: eip.eni.id if eip.eni else None)
    ElasticAddress.get_filter_value = _eip_filter_value
    NetworkInterface.get_filter_value = _eni_filter_value
    EC2Response.create_placement_group = create_placement_group
    EC2Response.describe_placement_groups = describe_placement_groups
    EC2Response.delete_placement_group = delete_placement_group
    EC2Response.run_instances = run_instances
    EC2Response.describe_instance_attribute = describe_instance_attribute
    Route53Backend.change_resource_record_sets = change_resource_record_sets
    AmiBackend.register_image = register_image


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
def _eni_filter_value(eni: NetworkInterface, name: str, method_name: str | None = None) -> Any:
    if name in ("addresses.private-ip-address", "private-ip-address"):
        return private_ips(eni)
    return _ORIGINAL["eni_filter"](eni, name, method_name)


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
def _rrset_key(record_set: dict[str, Any]) -> tuple[str, str, str | None]:
    name = record_set["Name"].lower().rstrip(".").replace("\\052", "*")
    return name, record_set["Type"], record_set.get("SetIdentifier")


def change_resource_record_sets(self: Route53Backend, zoneid: str, change_list: list[dict[str, Any]]) -> None:
    zone = self.get_hosted_zone(zoneid)
    existing = {_rrset_key({"Name": r.name, "Type": r.type, "SetIdentifier": r.set_identifier}) for r in zone.rrsets}
    # Walk the batch in order so that DELETE-then-CREATE of one record set stays valid.
    for change in change_list:
        record_set = change["ResourceRecordSet"]
        key = _rrset_key(record_set)
        if change["Action"] == "CREATE":
            if key in existing:
                raise ResourceRecordAlreadyExists(name=key[0] + ".", _type=key[1])
            existing.add(key)
        elif change["Action"] == "DELETE":
            existing.discard(key)
        else:
            existing.add(key)
    return _ORIGINAL["change_rrsets"](self, zoneid, change_list)


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
