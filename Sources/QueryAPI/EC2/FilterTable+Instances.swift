// DescribeInstances' 136 documented filter names. They read an instance's item with its reservation's
// `reservationId`, `ownerId` and `requesterId` beside it (EC2 filters instances, then groups them).

extension FilterTable {
    static let instances: FilterTable = {
        let eni = "networkInterfaceSet"
        let address = "\(eni)/privateIpAddressesSet"
        var entries: [(String, String)] = [
            ("affinity", "placement/affinity"), ("architecture", "architecture"), ("availability-zone", "placement/availabilityZone"),
            ("availability-zone-id", "placement/availabilityZoneId"),
            ("block-device-mapping.attach-time", "blockDeviceMapping/ebs/attachTime"),
            ("block-device-mapping.delete-on-termination", "blockDeviceMapping/ebs/deleteOnTermination"),
            ("block-device-mapping.device-name", "blockDeviceMapping/deviceName"), ("block-device-mapping.status", "blockDeviceMapping/ebs/status"),
            ("block-device-mapping.volume-id", "blockDeviceMapping/ebs/volumeId"), ("boot-mode", "bootMode"),
            ("capacity-reservation-id", "capacityReservationId"),
            ("capacity-reservation-specification.capacity-reservation-preference", "capacityReservationSpecification/capacityReservationPreference"),
            (
                "capacity-reservation-specification.capacity-reservation-target.capacity-reservation-id",
                "capacityReservationSpecification/capacityReservationTarget/capacityReservationId"
            ),
            (
                "capacity-reservation-specification.capacity-reservation-target.capacity-reservation-resource-group-arn",
                "capacityReservationSpecification/capacityReservationTarget/capacityReservationResourceGroupArn"
            ),
            ("client-token", "clientToken"), ("current-instance-boot-mode", "currentInstanceBootMode"), ("dns-name", "dnsName"),
            ("ebs-optimized", "ebsOptimized"), ("ena-support", "enaSupport"), ("enclave-options.enabled", "enclaveOptions/enabled"),
            ("hibernation-options.configured", "hibernationOptions/configured"), ("host-id", "placement/hostId"), ("hypervisor", "hypervisor"),
            ("iam-instance-profile.arn", "iamInstanceProfile/arn"), ("iam-instance-profile.id", "iamInstanceProfile/id"), ("image-id", "imageId"),
            ("instance-id", "instanceId"), ("instance-lifecycle", "instanceLifecycle"), ("instance-state-code", "instanceState/code"),
            ("instance-state-name", "instanceState/name"), ("instance-type", "instanceType"), ("instance.group-id", "groupSet/groupId"),
            ("instance.group-name", "groupSet/groupName"), ("group-id", "groupSet/groupId"), ("group-name", "groupSet/groupName"),
            ("ip-address", "ipAddress"), ("ipv6-address", "\(eni)/ipv6AddressesSet/ipv6Address"), ("kernel-id", "kernelId"),
            ("key-name", "keyName"), ("launch-index", "amiLaunchIndex"), ("launch-time", "launchTime"),
            ("maintenance-options.auto-recovery", "maintenanceOptions/autoRecovery"), ("monitoring-state", "monitoring/state"),
            ("network-interface.addresses.primary", "\(address)/primary"),
            ("network-interface.addresses.private-dns-name", "\(address)/privateDnsName"),
            ("network-interface.addresses.private-ip-address", "\(address)/privateIpAddress"),
            ("network-interface.attachment.instance-id", "instanceId"), ("network-interface.attachment.instance-owner-id", "ownerId"),
            ("network-interface.availability-zone", "placement/availabilityZone"),
            ("network-interface.deny-all-igw-traffic", "\(eni)/denyAllIgwTraffic"), ("network-interface.description", "\(eni)/description"),
            ("network-interface.group-id", "\(eni)/groupSet/groupId"), ("network-interface.group-name", "\(eni)/groupSet/groupName"),
            ("network-interface.ipv4-prefixes.ipv4-prefix", "\(eni)/ipv4PrefixSet/ipv4Prefix"),
            ("network-interface.ipv6-address", "\(eni)/ipv6AddressesSet/ipv6Address"),
            ("network-interface.ipv6-addresses.ipv6-address", "\(eni)/ipv6AddressesSet/ipv6Address"),
            ("network-interface.ipv6-addresses.is-primary-ipv6", "\(eni)/ipv6AddressesSet/isPrimaryIpv6"),
            ("network-interface.ipv6-native", "\(eni)/ipv6Native"),
            ("network-interface.ipv6-prefixes.ipv6-prefix", "\(eni)/ipv6PrefixSet/ipv6Prefix"),
            ("network-interface.mac-address", "\(eni)/macAddress"), ("network-interface.network-interface-id", "\(eni)/networkInterfaceId"),
            ("network-interface.operator.managed", "\(eni)/operator/managed"), ("network-interface.operator.principal", "\(eni)/operator/principal"),
            ("network-interface.outpost-arn", "\(eni)/outpostArn"), ("network-interface.owner-id", "\(eni)/ownerId"),
            ("network-interface.private-dns-name", "\(eni)/privateDnsName"), ("network-interface.private-ip-address", "\(eni)/privateIpAddress"),
            ("network-interface.public-dns-name", "\(eni)/association/publicDnsName"), ("network-interface.requester-id", "\(eni)/requesterId"),
            ("network-interface.requester-managed", "\(eni)/requesterManaged"), ("network-interface.status", "\(eni)/status"),
            ("network-interface.source-dest-check", "\(eni)/sourceDestCheck"), ("network-interface.subnet-id", "\(eni)/subnetId"),
            ("network-interface.tag-key", "\(eni)/tagSet/key"), ("network-interface.tag-value", "\(eni)/tagSet/value"),
            ("network-interface.vpc-id", "\(eni)/vpcId"),
            ("network-performance-options.bandwidth-weighting", "networkPerformanceOptions/bandwidthWeighting"),
            ("operator.managed", "operator/managed"), ("operator.principal", "operator/principal"), ("outpost-arn", "outpostArn"),
            ("owner-id", "ownerId"), ("placement-group-name", "placement/groupName"), ("placement-partition-number", "placement/partitionNumber"),
            ("platform", "platform"), ("platform-details", "platformDetails"), ("private-dns-name", "privateDnsName"),
            ("private-dns-name-options.enable-resource-name-dns-a-record", "privateDnsNameOptions/enableResourceNameDnsARecord"),
            ("private-dns-name-options.enable-resource-name-dns-aaaa-record", "privateDnsNameOptions/enableResourceNameDnsAAAARecord"),
            ("private-dns-name-options.hostname-type", "privateDnsNameOptions/hostnameType"), ("private-ip-address", "privateIpAddress"),
            ("product-code", "productCodes/productCode"), ("product-code.type", "productCodes/type"), ("ramdisk-id", "ramdiskId"),
            ("reason", "reason"), ("requester-id", "requesterId"), ("reservation-id", "reservationId"), ("root-device-name", "rootDeviceName"),
            ("root-device-type", "rootDeviceType"), ("source-dest-check", "sourceDestCheck"), ("spot-instance-request-id", "spotInstanceRequestId"),
            ("state-reason-code", "stateReason/code"), ("state-reason-message", "stateReason/message"), ("subnet-id", "subnetId"),
            ("tenancy", "placement/tenancy"), ("tpm-support", "tpmSupport"), ("usage-operation", "usageOperation"),
            ("usage-operation-update-time", "usageOperationUpdateTime"), ("virtualization-type", "virtualizationType"), ("vpc-id", "vpcId"),
        ]
        for option in [
            "http-endpoint", "http-protocol-ipv4", "http-protocol-ipv6", "http-put-response-hop-limit", "http-tokens", "instance-metadata-tags",
            "state",
        ] {
            entries.append(("metadata-options.\(option)", "metadataOptions/\(camelCase(option))"))
        }
        for field in ["allocation-id", "association-id", "carrier-ip", "customer-owned-ip", "ip-owner-id", "public-dns-name", "public-ip"] {
            entries.append(("network-interface.addresses.association.\(field)", "\(address)/association/\(camelCase(field))"))
            entries.append(("network-interface.association.\(field)", "\(eni)/association/\(camelCase(field))"))
        }
        for field in ["attach-time", "attachment-id", "delete-on-termination", "device-index", "network-card-index", "status"] {
            entries.append(("network-interface.attachment.\(field)", "\(eni)/attachment/\(camelCase(field))"))
        }
        return FilterTable(entries)
    }()

    /// `http-put-response-hop-limit` → `httpPutResponseHopLimit`, as EC2 names the elements.
    static func camelCase(_ name: String) -> String {
        let words = name.split(separator: "-")
        return String(words[0]) + words.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
