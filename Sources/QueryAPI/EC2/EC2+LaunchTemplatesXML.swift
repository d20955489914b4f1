import VPCModel

// The XML of launch templates and their versions. A version's `launchTemplateData` is its parameters
// turned back into EC2's response shape: `Placement.Tenancy` → `placement/tenancy`, a list
// `BlockDeviceMapping.N` → `blockDeviceMappingSet/item`.
extension LaunchTemplateActions {
    static func templateXML(_ template: LaunchTemplate, _ state: RegionState, _ account: String, name: String = "item") -> XML {
        XML(name) {
            XML("launchTemplateId", template.id)
            XML("launchTemplateName", template.name)
            XML("createTime", template.createTime)
            XML("createdBy", "arn:aws:iam::\(account):root")
            XML("defaultVersionNumber", String(template.defaultVersion))
            XML("latestVersionNumber", String(template.latestVersion))
            state.tagXML(template.id)
        }
    }

    static func versionXML(_ template: LaunchTemplate, _ version: LaunchTemplate.Version, _ account: String, name: String = "item") -> XML {
        XML(name) {
            XML("launchTemplateId", template.id)
            XML("launchTemplateName", template.name)
            XML("versionNumber", String(version.number))
            XML.optional("versionDescription", version.description)
            XML("createTime", version.createTime)
            XML("createdBy", "arn:aws:iam::\(account):root")
            XML("defaultVersion", (version.number == template.defaultVersion).xml)
            XML("launchTemplateData", dataXML(version.data))
        }
    }

    /// Lists whose response name is not the request name + `Set`.
    static let listNames: [String: String] = ["LicenseSpecification": "licenseSet", "NetworkInterface.SecurityGroupId": "groupSet"]

    /// The parameters as a tree of response elements.
    static func dataXML(_ data: [String: String]) -> [XML] {
        final class Node {
            var text: String?
            var members: [String: Node] = [:]
            var items: [Int: Node] = [:]
        }
        let root = Node()
        for (key, value) in data {
            var node = root
            for part in key.split(separator: ".") {
                if let index = Int(part) {
                    let next = node.items[index] ?? Node()
                    node.items[index] = next
                    node = next
                } else {
                    let next = node.members[String(part)] ?? Node()
                    node.members[String(part)] = next
                    node = next
                }
            }
            node.text = value
        }
        func render(_ node: Node, path: String) -> [XML] {
            node.members.sorted { $0.key < $1.key }.map { name, child in
                let qualified = path.isEmpty ? name : "\(path.split(separator: ".").last ?? "").\(name)"
                if !child.items.isEmpty {
                    let items = child.items.sorted { $0.key < $1.key }.map { _, item in
                        item.text.map { XML("item", $0) } ?? XML("item", render(item, path: name))
                    }
                    return XML.set(listNames[qualified] ?? listNames[name] ?? lowerFirst(name) + "Set", items)
                }
                if let text = child.text { return XML(lowerFirst(name), text) }
                return XML(lowerFirst(name), render(child, path: name))
            }
        }
        return render(root, path: "")
    }

    static func lowerFirst(_ name: String) -> String { name.prefix(1).lowercased() + name.dropFirst() }
}
