"""Each moto correction, asserted as EC2 / Route 53 document the behaviour, against the live endpoint."""

import botocore.exceptions
import pytest
from rtc_lab import moto_corrections


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_apply_is_idempotent():
    moto_corrections.apply()
    moto_corrections.apply()  # a second call must not wrap the corrections around themselves
    assert moto_corrections.EC2Response.assign_private_ip_addresses is moto_corrections.assign_private_ip_addresses
    assert moto_corrections._ORIGINAL["assign_private_ip_addresses"] is not moto_corrections.assign_private_ip_addresses


@pytest.fixture
def pair(net):
    """Two instances in one subnet: a floating address moves between their interfaces."""
    subnet = net.subnet(1)
    a, b = net.instance(subnet), net.instance(subnet)
    return net, net.eni(a), net.eni(b), a, b


# (a) AllowReassignment moves the address, and an Elastic IP on it moves along.
def test_reassignment_moves_the_address(pair):
    net, eni_a, eni_b, _ignored, _ignored = pair
    vip = f"{net.prefix}.1.100"
    net.ec2.assign_private_ip_addresses(NetworkInterfaceId=eni_a, PrivateIpAddresses=[vip])
    answer = net.ec2.assign_private_ip_addresses(
        NetworkInterfaceId=eni_b, PrivateIpAddresses=[vip], AllowReassignment=True
    )
    assert answer["AssignedPrivateIpAddresses"] == [{"PrivateIpAddress": vip}]
    assert vip in net.addresses_of(eni_b)
    assert vip not in net.addresses_of(eni_a)


def test_reassignment_carries_the_elastic_ip(pair):
    net, eni_a, eni_b, _ignored, b = pair
    vip = f"{net.prefix}.1.101"
    net.ec2.assign_private_ip_addresses(NetworkInterfaceId=eni_a, PrivateIpAddresses=[vip])
    allocation = net.ec2.allocate_address(Domain="vpc")
    net.ec2.associate_address(AllocationId=allocation["AllocationId"], NetworkInterfaceId=eni_a, PrivateIpAddress=vip)
    net.ec2.assign_private_ip_addresses(NetworkInterfaceId=eni_b, PrivateIpAddresses=[vip], AllowReassignment=True)
    address = net.ec2.describe_addresses(AllocationIds=[allocation["AllocationId"]])["Addresses"][0]
    assert (address["NetworkInterfaceId"], address["PrivateIpAddress"]) == (eni_b, vip)
    assert address["InstanceId"] == b["InstanceId"]


# (b) Without AllowReassignment: refused when held elsewhere or outside the subnet; nothing changes.
def test_assigning_a_held_address_fails_and_changes_nothing(pair):
    net, eni_a, eni_b, _ignored, _ignored = pair
    vip = f"{net.prefix}.1.102"
    net.ec2.assign_private_ip_addresses(NetworkInterfaceId=eni_a, PrivateIpAddresses=[vip])
    before_b = net.addresses_of(eni_b)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        net.ec2.assign_private_ip_addresses(NetworkInterfaceId=eni_b, PrivateIpAddresses=[vip])
    assert error_code(excinfo) == "InvalidIPAddress.InUse"
    assert vip in net.addresses_of(eni_a)
    assert net.addresses_of(eni_b) == before_b


def test_a_primary_address_is_never_reassigned(pair):
    net, _ignored, eni_b, a, _ignored = pair
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        net.ec2.assign_private_ip_addresses(
            NetworkInterfaceId=eni_b, PrivateIpAddresses=[a["PrivateIpAddress"]], AllowReassignment=True
        )
    assert error_code(excinfo) == "InvalidIPAddress.InUse"


@pytest.mark.parametrize(
    "last_octets", ["2.10", "1.0", "1.3", "1.255"], ids=["other-subnet", "network", "reserved", "broadcast"]
)
def test_assigning_outside_the_subnet_fails_and_changes_nothing(pair, last_octets):
    net, eni_a, _ignored, _ignored, _ignored = pair
    before = net.addresses_of(eni_a)
    ips = [f"{net.prefix}.1.110", f"{net.prefix}.{last_octets}"]  # the valid first one must not stick either
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        net.ec2.assign_private_ip_addresses(NetworkInterfaceId=eni_a, PrivateIpAddresses=ips)
    assert error_code(excinfo) == "InvalidParameterValue"
    assert net.addresses_of(eni_a) == before


# (c) AssociateAddress with NetworkInterfaceId + PrivateIpAddress.
def test_associate_address_records_the_given_private_address(pair):
    net, eni_a, _ignored, a, _ignored = pair
    vip = f"{net.prefix}.1.120"
    net.ec2.assign_private_ip_addresses(NetworkInterfaceId=eni_a, PrivateIpAddresses=[vip])
    allocation = net.ec2.allocate_address(Domain="vpc")
    answer = net.ec2.associate_address(
        AllocationId=allocation["AllocationId"], NetworkInterfaceId=eni_a, PrivateIpAddress=vip
    )
    assert answer["AssociationId"].startswith("eipassoc-")
    address = net.ec2.describe_addresses(AllocationIds=[allocation["AllocationId"]])["Addresses"][0]
    assert address["NetworkInterfaceId"] == eni_a
    assert address["PrivateIpAddress"] == vip
    assert address["InstanceId"] == a["InstanceId"]
    assert address["AssociationId"] == answer["AssociationId"]
    found = net.ec2.describe_addresses(Filters=[{"Name": "private-ip-address", "Values": [vip]}])["Addresses"]
    assert [f["AllocationId"] for f in found] == [allocation["AllocationId"]]
    # The interface's own public IP belongs to its primary address, which has none.
    eni = net.ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_a])["NetworkInterfaces"][0]
    assert "PublicIp" not in eni.get("Association", {})


def test_associate_address_by_interface_reports_the_instance(pair):
    net, eni_a, _ignored, a, _ignored = pair
    allocation = net.ec2.allocate_address(Domain="vpc")
    net.ec2.associate_address(AllocationId=allocation["AllocationId"], NetworkInterfaceId=eni_a)
    address = net.ec2.describe_addresses(AllocationIds=[allocation["AllocationId"]])["Addresses"][0]
    assert (address["InstanceId"], address["PrivateIpAddress"]) == (a["InstanceId"], a["PrivateIpAddress"])


def test_associate_address_with_a_foreign_private_address_fails(pair):
    net, eni_a, _ignored, _ignored, b = pair
    allocation = net.ec2.allocate_address(Domain="vpc")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        net.ec2.associate_address(
            AllocationId=allocation["AllocationId"], NetworkInterfaceId=eni_a, PrivateIpAddress=b["PrivateIpAddress"]
        )
    assert error_code(excinfo) == "InvalidParameterValue"
    address = net.ec2.describe_addresses(AllocationIds=[allocation["AllocationId"]])["Addresses"][0]
    assert "NetworkInterfaceId" not in address and "AssociationId" not in address


def test_associating_replaces_the_elastic_ip_an_address_had(pair):
    net, eni_a, _ignored, _ignored, _ignored = pair
    first, second = (net.ec2.allocate_address(Domain="vpc")["AllocationId"] for _ignored in range(2))
    net.ec2.associate_address(AllocationId=first, NetworkInterfaceId=eni_a)
    net.ec2.associate_address(AllocationId=second, NetworkInterfaceId=eni_a)
    addresses = net.ec2.describe_addresses(AllocationIds=[first, second])["Addresses"]
    assert {a["AllocationId"]: a.get("NetworkInterfaceId") for a in addresses} == {first: None, second: eni_a}


def test_associate_address_takes_an_instance_or_an_interface_not_both(pair):
    net, eni_a, _ignored, a, _ignored = pair
    allocation = net.ec2.allocate_address(Domain="vpc")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        net.ec2.associate_address(
            AllocationId=allocation["AllocationId"], InstanceId=a["InstanceId"], NetworkInterfaceId=eni_a
        )
    assert error_code(excinfo) == "InvalidParameterCombination"


def test_reassociation_leaves_the_old_interface(pair):
    net, eni_a, eni_b, _ignored, b = pair
    allocation = net.ec2.allocate_address(Domain="vpc")
    net.ec2.associate_address(AllocationId=allocation["AllocationId"], NetworkInterfaceId=eni_a)
    net.ec2.associate_address(
        AllocationId=allocation["AllocationId"], NetworkInterfaceId=eni_b, AllowReassociation=True
    )
    enis = net.ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_a, eni_b])["NetworkInterfaces"]
    public = {e["NetworkInterfaceId"]: e.get("Association", {}).get("PublicIp") for e in enis}
    assert public == {eni_a: None, eni_b: allocation["PublicIp"]}
    address = net.ec2.describe_addresses(AllocationIds=[allocation["AllocationId"]])["Addresses"][0]
    assert address["InstanceId"] == b["InstanceId"]


def test_interfaces_are_found_by_a_secondary_address(pair):
    net, eni_a, _ignored, _ignored, _ignored = pair
    vip = f"{net.prefix}.1.130"
    net.ec2.assign_private_ip_addresses(NetworkInterfaceId=eni_a, PrivateIpAddresses=[vip])
    for name in ("addresses.private-ip-address", "private-ip-address"):
        found = net.ec2.describe_network_interfaces(Filters=[{"Name": name, "Values": [vip]}])["NetworkInterfaces"]
        assert [e["NetworkInterfaceId"] for e in found] == [eni_a]


# (d) Placement groups.
def test_placement_groups_lifecycle(net):
    names = {s: f"pg-{net.prefix}-{s}" for s in ("cluster", "spread", "partition")}
    created = net.ec2.create_placement_group(GroupName=names["cluster"], Strategy="cluster")["PlacementGroup"]
    assert created["GroupId"].startswith("pg-") and created["State"] == "available"
    net.ec2.create_placement_group(GroupName=names["spread"], Strategy="spread")
    net.ec2.create_placement_group(GroupName=names["partition"], Strategy="partition", PartitionCount=3)
    groups = net.ec2.describe_placement_groups(GroupNames=list(names.values()))["PlacementGroups"]
    assert {g["GroupName"]: g["Strategy"] for g in groups} == {v: k for k, v in names.items()}
    assert [g["PartitionCount"] for g in groups if g["Strategy"] == "partition"] == [3]
    by_filter = net.ec2.describe_placement_groups(Filters=[{"Name": "group-name", "Values": [names["spread"]]}])
    assert [g["Strategy"] for g in by_filter["PlacementGroups"]] == ["spread"]

    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        net.ec2.create_placement_group(GroupName=names["cluster"], Strategy="spread")
    assert error_code(excinfo) == "InvalidPlacementGroup.Duplicate"

    instance = net.instance(net.subnet(1), Placement={"GroupName": names["cluster"]})
    described = net.ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert described["Placement"]["GroupName"] == names["cluster"]
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        net.ec2.delete_placement_group(GroupName=names["cluster"])
    assert error_code(excinfo) == "InvalidPlacementGroup.InUse"

    net.ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
    net.ec2.delete_placement_group(GroupName=names["cluster"])
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        net.ec2.describe_placement_groups(GroupNames=[names["cluster"]])
    assert error_code(excinfo) == "InvalidPlacementGroup.Unknown"


def test_placement_group_strategy_is_checked(net):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        net.ec2.create_placement_group(GroupName=f"pg-{net.prefix}-bad", Strategy="clustered")
    assert error_code(excinfo) == "InvalidParameterValue"


def test_launch_into_an_unknown_placement_group_fails(net):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        net.instance(net.subnet(1), Placement={"GroupName": "no-such-group"})
    assert error_code(excinfo) == "InvalidPlacementGroup.Unknown"


# (e) DescribeInstanceAttribute enaSupport.
def test_ena_support_attribute(net):
    instance = net.instance(net.subnet(1))
    answer = net.ec2.describe_instance_attribute(InstanceId=instance["InstanceId"], Attribute="enaSupport")
    assert answer["EnaSupport"] == {"Value": True}
    assert answer["InstanceId"] == instance["InstanceId"]


# (f) Route 53 CREATE of an existing record set.
@pytest.fixture
def zone(client, net):
    route53 = client("route53")
    name = f"z{net.prefix.replace('.', '-')}.example.com."
    zone_id = route53.create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"]
    return route53, zone_id, name


def _change(action, name, value, rtype="A", **extra):
    record = {"Name": name, "Type": rtype, "TTL": 60, "ResourceRecords": [{"Value": value}], **extra}
    return {"Action": action, "ResourceRecordSet": record}


def _records(route53, zone_id):
    sets = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return {(r["Name"], r["Type"], r.get("SetIdentifier")): [v["Value"] for v in r["ResourceRecords"]] for r in sets}


def test_route53_create_of_an_existing_record_set_fails(zone):
    route53, zone_id, name = zone
    host = "sip." + name
    route53.change_resource_record_sets(
        HostedZoneId=zone_id, ChangeBatch={"Changes": [_change("CREATE", host, "192.0.2.1")]}
    )
    before = _records(route53, zone_id)
    other = "other." + name
    batch = {"Changes": [_change("CREATE", other, "192.0.2.9"), _change("CREATE", host.upper(), "192.0.2.2")]}
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch=batch)
    assert error_code(excinfo) == "InvalidChangeBatch"
    assert _records(route53, zone_id) == before  # neither change was applied


def test_route53_set_identifier_distinguishes_record_sets(zone):
    route53, zone_id, name = zone
    host = "_sip._udp." + name

    def srv(identifier, target):
        return _change("CREATE", host, f"10 50 5060 {target}", "SRV", SetIdentifier=identifier, Weight=1)

    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [srv("a", "a.example.com")]})
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [srv("b", "b.example.com")]})
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:  # same name, type and identifier
        route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [srv("b", "c.example.com")]})
    assert error_code(excinfo) == "InvalidChangeBatch"
    assert _records(route53, zone_id)[(host, "SRV", "b")] == ["10 50 5060 b.example.com"]


def test_route53_delete_then_create_in_one_batch_is_accepted(zone):
    route53, zone_id, name = zone
    host = "media." + name
    route53.change_resource_record_sets(
        HostedZoneId=zone_id, ChangeBatch={"Changes": [_change("CREATE", host, "192.0.2.1")]}
    )
    batch = {"Changes": [_change("DELETE", host, "192.0.2.1"), _change("CREATE", host, "192.0.2.3")]}
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch=batch)
    assert _records(route53, zone_id)[(host, "A", None)] == ["192.0.2.3"]


# (h) Route 53 DELETE must name the current values of an existing record set.
def test_route53_delete_with_stale_values_fails_and_changes_nothing(zone):
    route53, zone_id, name = zone
    host = "_sip._udp." + name
    first = _change("CREATE", host, "10 50 5060 a.example.com.", "SRV")
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [first]})
    # Writer A replaces {a} by {a, b}; writer B read {a} before that and now tries the same with {a, c}.
    grown = {
        **first["ResourceRecordSet"],
        "ResourceRecords": [{"Value": "10 50 5060 a.example.com."}, {"Value": "10 50 5060 b.example.com."}],
    }
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                _change("DELETE", host, "10 50 5060 a.example.com.", "SRV"),
                {"Action": "CREATE", "ResourceRecordSet": grown},
            ]
        },
    )
    before = _records(route53, zone_id)
    stale = {
        "Changes": [
            _change("DELETE", host, "10 50 5060 a.example.com.", "SRV"),
            _change("CREATE", host, "10 50 5060 c.example.com.", "SRV"),
        ]
    }
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch=stale)
    assert error_code(excinfo) == "InvalidChangeBatch"
    assert "do not match the current values" in excinfo.value.response["Error"]["Message"]
    assert _records(route53, zone_id) == before  # the lost update did not happen


def test_route53_delete_must_repeat_the_ttl_too(zone):
    route53, zone_id, name = zone
    host = "ttl." + name

    def two_values(action, ttl, values):
        record = {"Name": host, "Type": "A", "TTL": ttl, "ResourceRecords": [{"Value": v} for v in values]}
        return {"Changes": [{"Action": action, "ResourceRecordSet": record}]}

    route53.change_resource_record_sets(
        HostedZoneId=zone_id, ChangeBatch=two_values("CREATE", 60, ["192.0.2.1", "192.0.2.2"])
    )
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        route53.change_resource_record_sets(
            HostedZoneId=zone_id, ChangeBatch=two_values("DELETE", 300, ["192.0.2.1", "192.0.2.2"])
        )
    assert error_code(excinfo) == "InvalidChangeBatch"
    # The same values in another order are the current values.
    route53.change_resource_record_sets(
        HostedZoneId=zone_id, ChangeBatch=two_values("DELETE", 60, ["192.0.2.2", "192.0.2.1"])
    )
    assert (host, "A", None) not in _records(route53, zone_id)


def test_route53_delete_of_a_missing_record_set_fails(zone):
    route53, zone_id, name = zone
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        route53.change_resource_record_sets(
            HostedZoneId=zone_id, ChangeBatch={"Changes": [_change("DELETE", "nope." + name, "192.0.2.1")]}
        )
    assert error_code(excinfo) == "InvalidChangeBatch"
    assert "but it was not found" in excinfo.value.response["Error"]["Message"]


def test_route53_delete_with_a_set_identifier_removes_only_that_record_set(zone):
    route53, zone_id, name = zone
    udp, tcp = "_sip._udp." + name, "_sip._tcp." + name

    def srv(host, action="CREATE"):
        return _change(action, host, "10 50 5060 a.example.com.", "SRV", SetIdentifier="eu", Weight=1)

    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [srv(udp), srv(tcp)]})
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [srv(udp, "DELETE")]})
    records = _records(route53, zone_id)
    assert (udp, "SRV", "eu") not in records
    assert records[(tcp, "SRV", "eu")] == ["10 50 5060 a.example.com."]


# (i) ListResourceRecordSets pages within one name and type by set identifier.
def test_route53_listing_pages_by_record_identifier(zone):
    route53, zone_id, name = zone
    host = "_sip._tcp." + name
    changes = [
        _change("CREATE", host, "10 50 5060 %s.example.com." % i, "SRV", SetIdentifier=i, Weight=1)
        for i in ("a", "b", "c")
    ]
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    seen, params = [], {"StartRecordName": host, "StartRecordType": "SRV", "MaxItems": "2"}
    for _page in range(5):
        answer = route53.list_resource_record_sets(HostedZoneId=zone_id, **params)
        seen.extend(r.get("SetIdentifier") for r in answer["ResourceRecordSets"] if r["Name"] == host)
        if not answer["IsTruncated"] or answer["NextRecordName"] != host:
            break
        assert answer["NextRecordType"] == "SRV"
        params["StartRecordIdentifier"] = answer["NextRecordIdentifier"]
    assert seen == ["a", "b", "c"]
    first = route53.list_resource_record_sets(
        HostedZoneId=zone_id, StartRecordName=host, StartRecordType="SRV", MaxItems="2"
    )
    assert first["NextRecordIdentifier"] == "c"


def test_route53_listing_starts_at_the_name_and_type(zone):
    route53, zone_id, name = zone
    changes = [_change("CREATE", "%s.%s" % (label, name), "192.0.2.1") for label in ("a", "b", "c")]
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    answer = route53.list_resource_record_sets(
        HostedZoneId=zone_id, StartRecordName="b." + name, StartRecordType="A", MaxItems="1"
    )
    assert [r["Name"] for r in answer["ResourceRecordSets"]] == ["b." + name]
    assert (answer["IsTruncated"], answer["NextRecordName"], answer["NextRecordType"]) == (True, "c." + name, "A")
    assert "NextRecordIdentifier" not in answer


# (j) A change starts PENDING under its own ID; GetChange reports it INSYNC.
def test_route53_change_status(zone):
    route53, zone_id, name = zone
    infos = [
        route53.change_resource_record_sets(
            HostedZoneId=zone_id, ChangeBatch={"Changes": [_change("CREATE", "%s.%s" % (label, name), "192.0.2.1")]}
        )["ChangeInfo"]
        for label in ("s1", "s2")
    ]
    assert [info["Status"] for info in infos] == ["PENDING", "PENDING"]
    assert infos[0]["Id"] != infos[1]["Id"] and infos[0]["Id"].startswith("/change/")
    assert route53.get_change(Id=infos[0]["Id"])["ChangeInfo"]["Status"] == "INSYNC"


# (k) Health checks: CLOUDWATCH_METRIC keeps its alarm; updates are versioned.
def test_route53_cloudwatch_metric_health_check_keeps_its_alarm(client, net):
    route53 = client("route53")
    config = {
        "Type": "CLOUDWATCH_METRIC",
        "AlarmIdentifier": {"Region": "us-east-1", "Name": "sipp-%s" % net.prefix},
        "InsufficientDataHealthStatus": "LastKnownStatus",
    }
    created = route53.create_health_check(CallerReference="cw-" + net.prefix, HealthCheckConfig=config)["HealthCheck"]
    got = route53.get_health_check(HealthCheckId=created["Id"])["HealthCheck"]["HealthCheckConfig"]
    assert got["AlarmIdentifier"] == config["AlarmIdentifier"]
    assert got["InsufficientDataHealthStatus"] == "LastKnownStatus"
    assert not {"Port", "IPAddress", "RequestInterval", "FailureThreshold"} & set(got)
    route53.update_health_check(
        HealthCheckId=created["Id"],
        HealthCheckVersion=1,
        AlarmIdentifier={"Region": "eu-west-1", "Name": "other"},
        InsufficientDataHealthStatus="Unhealthy",
    )
    updated = route53.get_health_check(HealthCheckId=created["Id"])["HealthCheck"]
    assert updated["HealthCheckConfig"]["AlarmIdentifier"] == {"Region": "eu-west-1", "Name": "other"}
    assert updated["HealthCheckConfig"]["InsufficientDataHealthStatus"] == "Unhealthy"
    assert updated["HealthCheckVersion"] == 2


def test_route53_cloudwatch_metric_health_check_needs_an_alarm(client):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client("route53").create_health_check(
            CallerReference="cw-no-alarm", HealthCheckConfig={"Type": "CLOUDWATCH_METRIC"}
        )
    assert error_code(excinfo) == "InvalidInput"


def test_route53_health_check_updates_are_versioned(client, net):
    route53 = client("route53")
    config = {"Type": "TCP", "FullyQualifiedDomainName": "sbc.example.com", "Port": 5060, "RequestInterval": 10}
    created = route53.create_health_check(CallerReference="tcp-" + net.prefix, HealthCheckConfig=config)["HealthCheck"]
    answer = route53.update_health_check(HealthCheckId=created["Id"], HealthCheckVersion=1, Port=5061)["HealthCheck"]
    assert (answer["HealthCheckVersion"], answer["HealthCheckConfig"]["Port"]) == (2, 5061)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:  # a writer that read version 1
        route53.update_health_check(HealthCheckId=created["Id"], HealthCheckVersion=1, Port=5062)
    assert error_code(excinfo) == "HealthCheckVersionMismatch"
    route53.update_health_check(
        HealthCheckId=created["Id"],
        HealthCheckVersion=2,
        IPAddress="192.0.2.10",
        ResetElements=["FullyQualifiedDomainName"],
    )
    final = route53.get_health_check(HealthCheckId=created["Id"])["HealthCheck"]
    assert final["HealthCheckConfig"]["Port"] == 5061 and final["HealthCheckVersion"] == 3
    assert final["HealthCheckConfig"]["IPAddress"] == "192.0.2.10"
    assert "FullyQualifiedDomainName" not in final["HealthCheckConfig"]


# (g) AMI names are unique per account and region.
def test_register_image_with_a_name_in_use_fails(net):
    first = net.ec2.register_image(Name="rtc-test-duplicate", RootDeviceName="/dev/xvda")["ImageId"]
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        net.ec2.register_image(Name="rtc-test-duplicate", RootDeviceName="/dev/xvda")
    assert error_code(excinfo) == "InvalidAMIName.Duplicate"
    named = net.ec2.describe_images(Owners=["self"], Filters=[{"Name": "name", "Values": ["rtc-test-duplicate"]}])
    assert [image["ImageId"] for image in named["Images"]] == [first]


def test_reassociation_without_the_flag_is_refused_and_changes_nothing(pair):
    net, eni_a, eni_b, _ignored, _ignored = pair
    allocation = net.ec2.allocate_address(Domain="vpc")["AllocationId"]
    net.ec2.associate_address(AllocationId=allocation, NetworkInterfaceId=eni_a)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        net.ec2.associate_address(AllocationId=allocation, NetworkInterfaceId=eni_b)
    assert error_code(excinfo) == "Resource.AlreadyAssociated"
    address = net.ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]
    assert address["NetworkInterfaceId"] == eni_a


def test_repeating_an_association_is_a_no_op(pair):
    net, eni_a, _ignored, _ignored, _ignored = pair
    allocation = net.ec2.allocate_address(Domain="vpc")["AllocationId"]
    first = net.ec2.associate_address(AllocationId=allocation, NetworkInterfaceId=eni_a)["AssociationId"]
    again = net.ec2.associate_address(AllocationId=allocation, NetworkInterfaceId=eni_a)["AssociationId"]
    assert again == first
    address = net.ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]
    assert address["AssociationId"] == first


def test_disassociation_clears_every_association_field(pair):
    net, eni_a, _ignored, a, _ignored = pair
    vip = f"{net.prefix}.1.140"
    net.ec2.assign_private_ip_addresses(NetworkInterfaceId=eni_a, PrivateIpAddresses=[vip])
    allocation = net.ec2.allocate_address(Domain="vpc")["AllocationId"]
    association = net.ec2.associate_address(AllocationId=allocation, NetworkInterfaceId=eni_a, PrivateIpAddress=vip)
    net.ec2.disassociate_address(AssociationId=association["AssociationId"])
    address = net.ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]
    assert not {"AssociationId", "NetworkInterfaceId", "PrivateIpAddress", "InstanceId"} & set(address)
    by_instance = net.ec2.describe_addresses(Filters=[{"Name": "instance-id", "Values": [a["InstanceId"]]}])
    assert by_instance["Addresses"] == []


def test_addresses_are_found_by_the_instance_of_their_interface(pair):
    net, eni_a, _ignored, a, _ignored = pair
    allocation = net.ec2.allocate_address(Domain="vpc")["AllocationId"]
    net.ec2.associate_address(AllocationId=allocation, NetworkInterfaceId=eni_a)
    found = net.ec2.describe_addresses(Filters=[{"Name": "instance-id", "Values": [a["InstanceId"]]}])["Addresses"]
    assert [f["AllocationId"] for f in found] == [allocation]


def test_several_address_values_match_any_holder(pair):
    net, eni_a, eni_b, _ignored, b = pair
    vip, free = f"{net.prefix}.1.150", f"{net.prefix}.1.151"
    net.ec2.assign_private_ip_addresses(NetworkInterfaceId=eni_a, PrivateIpAddresses=[vip])
    # Scoped to this test's VPC: other tests of the session may hold the same addresses in theirs.
    in_vpc = {"Name": "vpc-id", "Values": [net.vpc_id]}
    for name in ("addresses.private-ip-address", "private-ip-address"):
        found = net.ec2.describe_network_interfaces(Filters=[in_vpc, {"Name": name, "Values": [free, vip]}])
        assert [e["NetworkInterfaceId"] for e in found["NetworkInterfaces"]] == [eni_a], name
        both = net.ec2.describe_network_interfaces(
            Filters=[in_vpc, {"Name": name, "Values": [vip, b["PrivateIpAddress"]]}]
        )
        assert sorted(e["NetworkInterfaceId"] for e in both["NetworkInterfaces"]) == sorted([eni_a, eni_b]), name
