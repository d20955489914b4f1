// The Filter.N names EC2 documents for each implemented Describe action (botocore's ec2 model), each
// with where its value is in the action's response item. Tests/clients/filters.py holds this file to
// the documented lists. A few older spellings EC2 still accepts (`cidr`, `group-id`) are kept beside.

extension FilterTable {
    static let vpcs = FilterTable([
        "cidr": "cidrBlock", "cidr-block-association.cidr-block": "cidrBlockAssociationSet/cidrBlock",
        "cidr-block-association.association-id": "cidrBlockAssociationSet/associationId",
        "cidr-block-association.state": "cidrBlockAssociationSet/cidrBlockState/state", "dhcp-options-id": "dhcpOptionsId",
        "ipv6-cidr-block-association.ipv6-cidr-block": "ipv6CidrBlockAssociationSet/ipv6CidrBlock",
        "ipv6-cidr-block-association.ipv6-pool": "ipv6CidrBlockAssociationSet/ipv6Pool",
        "ipv6-cidr-block-association.association-id": "ipv6CidrBlockAssociationSet/associationId",
        "ipv6-cidr-block-association.state": "ipv6CidrBlockAssociationSet/ipv6CidrBlockState/state",
        "is-default": "isDefault", "owner-id": "ownerId", "state": "state", "vpc-id": "vpcId",
    ])

    static let subnets = FilterTable([
        "availability-zone": "availabilityZone", "availability-zone-id": "availabilityZoneId",
        "available-ip-address-count": "availableIpAddressCount", "cidr-block": "cidrBlock", "cidr": "cidrBlock", "cidrBlock": "cidrBlock",
        "customer-owned-ipv4-pool": "customerOwnedIpv4Pool", "default-for-az": "defaultForAz", "enable-dns64": "enableDns64",
        "enable-lni-at-device-index": "enableLniAtDeviceIndex",
        "ipv6-cidr-block-association.ipv6-cidr-block": "ipv6CidrBlockAssociationSet/ipv6CidrBlock",
        "ipv6-cidr-block-association.association-id": "ipv6CidrBlockAssociationSet/associationId",
        "ipv6-cidr-block-association.state": "ipv6CidrBlockAssociationSet/ipv6CidrBlockState/state", "ipv6-native": "ipv6Native",
        "map-customer-owned-ip-on-launch": "mapCustomerOwnedIpOnLaunch", "map-public-ip-on-launch": "mapPublicIpOnLaunch",
        "outpost-arn": "outpostArn", "owner-id": "ownerId",
        "private-dns-name-options-on-launch.hostname-type": "privateDnsNameOptionsOnLaunch/hostnameType",
        "private-dns-name-options-on-launch.enable-resource-name-dns-a-record": "privateDnsNameOptionsOnLaunch/enableResourceNameDnsARecord",
        "private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record":
            "privateDnsNameOptionsOnLaunch/enableResourceNameDnsAAAARecord",
        "state": "state", "subnet-arn": "subnetArn", "subnet-id": "subnetId", "vpc-id": "vpcId",
    ])

    static let routeTables = FilterTable([
        "association.gateway-id": "associationSet/gatewayId",
        "association.route-table-association-id": "associationSet/routeTableAssociationId",
        "association.route-table-id": "associationSet/routeTableId", "association.subnet-id": "associationSet/subnetId",
        "association.main": "associationSet/main", "owner-id": "ownerId", "route-table-id": "routeTableId",
        "route.destination-cidr-block": "routeSet/destinationCidrBlock", "route.destination-ipv6-cidr-block": "routeSet/destinationIpv6CidrBlock",
        "route.destination-prefix-list-id": "routeSet/destinationPrefixListId",
        "route.egress-only-internet-gateway-id": "routeSet/egressOnlyInternetGatewayId", "route.gateway-id": "routeSet/gatewayId",
        "route.instance-id": "routeSet/instanceId", "route.nat-gateway-id": "routeSet/natGatewayId",
        "route.transit-gateway-id": "routeSet/transitGatewayId", "route.origin": "routeSet/origin", "route.state": "routeSet/state",
        "route.vpc-peering-connection-id": "routeSet/vpcPeeringConnectionId", "vpc-id": "vpcId",
    ])

    static let securityGroups = FilterTable([
        "description": "groupDescription", "group-id": "groupId", "group-name": "groupName", "owner-id": "ownerId", "vpc-id": "vpcId",
        "egress.ip-permission.cidr": "ipPermissionsEgress/ipRanges/cidrIp", "egress.ip-permission.from-port": "ipPermissionsEgress/fromPort",
        "egress.ip-permission.group-id": "ipPermissionsEgress/groups/groupId",
        "egress.ip-permission.group-name": "ipPermissionsEgress/groups/groupName",
        "egress.ip-permission.ipv6-cidr": "ipPermissionsEgress/ipv6Ranges/cidrIpv6",
        "egress.ip-permission.prefix-list-id": "ipPermissionsEgress/prefixListIds/prefixListId",
        "egress.ip-permission.protocol": "ipPermissionsEgress/ipProtocol", "egress.ip-permission.to-port": "ipPermissionsEgress/toPort",
        "egress.ip-permission.user-id": "ipPermissionsEgress/groups/userId",
        "ip-permission.cidr": "ipPermissions/ipRanges/cidrIp", "ip-permission.from-port": "ipPermissions/fromPort",
        "ip-permission.group-id": "ipPermissions/groups/groupId", "ip-permission.group-name": "ipPermissions/groups/groupName",
        "ip-permission.ipv6-cidr": "ipPermissions/ipv6Ranges/cidrIpv6", "ip-permission.prefix-list-id": "ipPermissions/prefixListIds/prefixListId",
        "ip-permission.protocol": "ipPermissions/ipProtocol", "ip-permission.to-port": "ipPermissions/toPort",
        "ip-permission.user-id": "ipPermissions/groups/userId",
    ])

    static let securityGroupRules = FilterTable(["group-id": "groupId", "security-group-rule-id": "securityGroupRuleId"])

    static let networkACLs = FilterTable([
        "association.association-id": "associationSet/networkAclAssociationId",
        "association.network-acl-association-id": "associationSet/networkAclAssociationId",
        "association.network-acl-id": "associationSet/networkAclId", "association.subnet-id": "associationSet/subnetId",
        "default": "default", "entry.cidr": "entrySet/cidrBlock", "entry.icmp.code": "entrySet/icmpTypeCode/code",
        "entry.icmp.type": "entrySet/icmpTypeCode/type", "entry.ipv6-cidr": "entrySet/ipv6CidrBlock",
        "entry.port-range.from": "entrySet/portRange/from", "entry.port-range.to": "entrySet/portRange/to",
        "entry.protocol": "entrySet/protocol", "entry.rule-action": "entrySet/ruleAction", "entry.egress": "entrySet/egress",
        "entry.rule-number": "entrySet/ruleNumber", "network-acl-id": "networkAclId", "owner-id": "ownerId", "vpc-id": "vpcId",
    ])

    static let internetGateways = FilterTable([
        "attachment.state": "attachmentSet/state", "attachment.vpc-id": "attachmentSet/vpcId",
        "internet-gateway-id": "internetGatewayId", "owner-id": "ownerId",
    ])

    static let natGateways = FilterTable(["nat-gateway-id": "natGatewayId", "state": "state", "subnet-id": "subnetId", "vpc-id": "vpcId"])

    static let addresses = FilterTable([
        "allocation-id": "allocationId", "association-id": "associationId", "domain": "domain", "instance-id": "instanceId",
        "network-border-group": "networkBorderGroup", "network-interface-id": "networkInterfaceId",
        "network-interface-owner-id": "networkInterfaceOwnerId", "private-ip-address": "privateIpAddress", "public-ip": "publicIp",
    ])

    static let networkInterfaces = FilterTable([
        "association.allocation-id": "association/allocationId", "association.association-id": "association/associationId",
        "addresses.association.owner-id": "privateIpAddressesSet/association/ipOwnerId",
        "addresses.association.public-ip": "privateIpAddressesSet/association/publicIp", "addresses.primary": "privateIpAddressesSet/primary",
        "addresses.private-ip-address": "privateIpAddressesSet/privateIpAddress", "association.ip-owner-id": "association/ipOwnerId",
        "association.public-ip": "association/publicIp", "association.public-dns-name": "association/publicDnsName",
        "attachment.attach-time": "attachment/attachTime", "attachment.attachment-id": "attachment/attachmentId",
        "attachment.delete-on-termination": "attachment/deleteOnTermination", "attachment.device-index": "attachment/deviceIndex",
        "attachment.instance-id": "attachment/instanceId", "attachment.instance-owner-id": "attachment/instanceOwnerId",
        "attachment.status": "attachment/status", "availability-zone": "availabilityZone", "availability-zone-id": "availabilityZoneId",
        "description": "description", "group-id": "groupSet/groupId", "group-name": "groupSet/groupName",
        "ipv6-addresses.ipv6-address": "ipv6AddressesSet/ipv6Address", "interface-type": "interfaceType", "mac-address": "macAddress",
        "network-interface-id": "networkInterfaceId", "operator.managed": "operator/managed", "operator.principal": "operator/principal",
        "owner-id": "ownerId", "private-dns-name": "privateDnsName", "private-ip-address": "privateIpAddressesSet/privateIpAddress",
        "requester-id": "requesterId",
        "requester-managed": "requesterManaged", "source-dest-check": "sourceDestCheck", "status": "status", "subnet-id": "subnetId",
        "vpc-id": "vpcId",
    ])

    static let instanceStatuses = FilterTable([
        "availability-zone": "availabilityZone", "availability-zone-id": "availabilityZoneId", "event.code": "eventsSet/code",
        "event.description": "eventsSet/description", "event.instance-event-id": "eventsSet/instanceEventId",
        "event.not-after": "eventsSet/notAfter", "event.not-before": "eventsSet/notBefore",
        "event.not-before-deadline": "eventsSet/notBeforeDeadline", "instance-state-code": "instanceState/code",
        "instance-state-name": "instanceState/name", "instance-status.reachability": "instanceStatus/details/status",
        "instance-status.status": "instanceStatus/status", "operator.managed": "operator/managed", "operator.principal": "operator/principal",
        "system-status.reachability": "systemStatus/details/status", "system-status.status": "systemStatus/status",
        "attached-ebs-status.status": "attachedEbsStatus/status",
    ])

    static let availabilityZones = FilterTable([
        "group-long-name": "groupLongName", "group-name": "groupName", "message": "messageSet/message", "opt-in-status": "optInStatus",
        "parent-zone-id": "parentZoneId", "parent-zone-name": "parentZoneName", "region-name": "regionName", "state": "zoneState",
        "zone-id": "zoneId", "zone-name": "zoneName", "zone-type": "zoneType",
    ])

    static let regions = FilterTable(["endpoint": "regionEndpoint", "opt-in-status": "optInStatus", "region-name": "regionName"])

    static let tags = FilterTable(["key": "key", "resource-id": "resourceId", "resource-type": "resourceType", "value": "value"])

    static let launchTemplates = FilterTable(["create-time": "createTime", "launch-template-name": "launchTemplateName"])

    static let launchTemplateVersions = FilterTable([
        "create-time": "createTime", "ebs-optimized": "launchTemplateData/ebsOptimized",
        "http-endpoint": "launchTemplateData/metadataOptions/httpEndpoint",
        "http-protocol-ipv4": "launchTemplateData/metadataOptions/httpProtocolIpv4",
        "host-resource-group-arn": "launchTemplateData/placement/hostResourceGroupArn",
        "http-tokens": "launchTemplateData/metadataOptions/httpTokens",
        "iam-instance-profile": "launchTemplateData/iamInstanceProfile/arn|launchTemplateData/iamInstanceProfile/name",
        "image-id": "launchTemplateData/imageId", "instance-type": "launchTemplateData/instanceType", "is-default-version": "defaultVersion",
        "kernel-id": "launchTemplateData/kernelId", "license-configuration-arn": "launchTemplateData/licenseSet/licenseConfigurationArn",
        "network-card-index": "launchTemplateData/networkInterfaceSet/networkCardIndex", "ram-disk-id": "launchTemplateData/ramDiskId",
    ])

    static let insightsPaths: FilterTable = {
        var entries = [
            ("destination", "destination|destinationArn"), ("source", "source|sourceArn"), ("protocol", "protocol"),
            ("destination-port", "destinationPort"),
        ]
        for (end, at) in [("source", "filterAtSource"), ("destination", "filterAtDestination")] {
            for (field, element) in [("source-address", "sourceAddress"), ("destination-address", "destinationAddress")] {
                entries.append(("filter-at-\(end).\(field)", "\(at)/\(element)"))
            }
            for (field, element) in [("source-port-range", "sourcePortRange"), ("destination-port-range", "destinationPortRange")] {
                let range = "\(at)/\(element)"
                entries.append(("filter-at-\(end).\(field)", "\(range)/fromPort|\(range)/toPort"))
            }
        }
        return FilterTable(entries)
    }()

    static let insightsAnalyses = FilterTable(["path-found": "networkPathFound", "status": "status"])
}
