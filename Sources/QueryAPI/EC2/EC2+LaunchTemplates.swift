import HashTreeCollections
import VPCModel

/// Launch templates, and RunInstances from one: a template keeps its `LaunchTemplateData.*` parameters,
/// which use RunInstances' own names, and a launch starts from them with the call's parameters over
/// them (a list or structure the call gives replaces the template's whole).
enum LaunchTemplateActions {
    static let handlers: [String: EC2Handler] = [
        "CreateLaunchTemplate": createLaunchTemplate, "CreateLaunchTemplateVersion": createLaunchTemplateVersion,
        "ModifyLaunchTemplate": modifyLaunchTemplate, "DescribeLaunchTemplates": describeLaunchTemplates,
        "DescribeLaunchTemplateVersions": describeLaunchTemplateVersions, "DeleteLaunchTemplate": deleteLaunchTemplate,
    ]

    static func data(_ p: QueryParameters) throws(APIError) -> [String: String] {
        guard let data = p.structure("LaunchTemplateData") else {
            throw APIError.missingParameter("The request must contain the parameter LaunchTemplateData")
        }
        return data.values
    }

    static func createLaunchTemplate(_ call: EC2Call) throws(APIError) -> [XML] {
        let p = call.parameters
        let name = try p.required("LaunchTemplateName")
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789().-/_")
        guard (3...128).contains(name.count), name.allSatisfy({ allowed.contains($0) }) else {
            throw APIError(
                code: "InvalidLaunchTemplateName.MalformedException",
                message: "A launch template name must be between 3 and 128 characters, and may contain letters, numbers, "
                    + "and the following characters: - ( ) . / _.")
        }
        let data = try data(p)
        let tags = p.tags(for: "launch-template")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            if state[LaunchTemplate.self].values.contains(where: { $0.name == name }) {
                throw APIError(code: "InvalidLaunchTemplateName.AlreadyExistsException", message: "Launch template name already in use.")
            }
            let now = InstanceActions.now()
            let template = LaunchTemplate(
                id: AWSID.make("lt"), name: name, createTime: now, defaultVersion: 1,
                versions: [.init(number: 1, description: p.string("VersionDescription"), createTime: now, data: data)])
            state.put(template)
            if !tags.isEmpty { state.setTags(tags, on: template.id) }
            return [templateXML(template, state, call.accountID, name: "launchTemplate")]
        }
    }

    static func createLaunchTemplateVersion(_ call: EC2Call) throws(APIError) -> [XML] {
        let p = call.parameters
        let overlay = try data(p)
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var template = try find(p, state)
            var data = overlay
            if let source = p.string("SourceVersion") {
                data = Self.overlay(try version(source, of: template).data, with: overlay)
            }
            let version = LaunchTemplate.Version(
                number: template.latestVersion + 1, description: p.string("VersionDescription"), createTime: InstanceActions.now(), data: data)
            template.versions.append(version)
            state.put(template)
            return [versionXML(template, version, call.accountID, name: "launchTemplateVersion")]
        }
    }

    static func modifyLaunchTemplate(_ call: EC2Call) throws(APIError) -> [XML] {
        let p = call.parameters
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var template = try find(p, state)
            if let wanted = p.string("SetDefaultVersion") {
                template.defaultVersion = try version(wanted, of: template).number
                state.put(template)
            }
            return [templateXML(template, state, call.accountID, name: "launchTemplate")]
        }
    }

    static func describeLaunchTemplates(_ call: EC2Call) throws(APIError) -> [XML] {
        let ids = call.parameters.list("LaunchTemplateId")
        let names = call.parameters.list("LaunchTemplateName")
        let state = try call.emulator.snapshot(call.region)
        let templates = state[LaunchTemplate.self].values.sorted { $0.id < $1.id }
        for id in ids where !templates.contains(where: { $0.id == id }) {
            throw APIError(
                code: "InvalidLaunchTemplateId.NotFound", message: "The specified launch template, with template ID \(id), does not exist.")
        }
        for name in names where !templates.contains(where: { $0.name == name }) {
            throw APIError(
                code: "InvalidLaunchTemplateName.NotFoundException",
                message: "At least one of the launch templates specified in the request does not exist.")
        }
        let chosen = templates.filter { (ids.isEmpty || ids.contains($0.id)) && (names.isEmpty || names.contains($0.name)) }
        return try call.describe("launchTemplates", chosen, .launchTemplates, paged: 1...200, id: \.id) {
            templateXML($0, state, call.accountID)
        }
    }

    static func describeLaunchTemplateVersions(_ call: EC2Call) throws(APIError) -> [XML] {
        let p = call.parameters
        let state = try call.emulator.snapshot(call.region)
        let template = try find(p, state)
        let wanted = p.list("LaunchTemplateVersion")
        var versions = template.versions
        if !wanted.isEmpty {
            var chosen: [LaunchTemplate.Version] = []
            for name in wanted { chosen.append(try version(name, of: template)) }
            versions = template.versions.filter { version in chosen.contains { $0.number == version.number } }
        }
        if let min = try p.int("MinVersion") { versions = versions.filter { $0.number >= min } }
        if let max = try p.int("MaxVersion") { versions = versions.filter { $0.number <= max } }
        // Pages in version order: the token's ID is the version number, zero-padded to sort as text.
        let padded = versions.map { (id: String(repeating: "0", count: max(0, 10 - String($0.number).count)) + String($0.number), version: $0) }
        return try call.describe("launchTemplateVersionSet", padded, .launchTemplateVersions, paged: 1...200, id: \.id) {
            versionXML(template, $0.version, call.accountID)
        }
    }

    static func deleteLaunchTemplate(_ call: EC2Call) throws(APIError) -> [XML] {
        let p = call.parameters
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let template = try find(p, state)
            let shown = templateXML(template, state, call.accountID, name: "launchTemplate")
            state.remove(LaunchTemplate.self, template.id)
            state.setTags([:], on: template.id)
            return [shown]
        }
    }

    // MARK: Finding templates and versions

    /// The template a call names with `LaunchTemplateId` or `LaunchTemplateName` (exactly one).
    static func find(_ p: QueryParameters, _ state: RegionState) throws(APIError) -> LaunchTemplate {
        switch (p.string("LaunchTemplateId"), p.string("LaunchTemplateName")) {
        case (let id?, nil):
            guard let template = state[LaunchTemplate.self][id] else {
                throw APIError(
                    code: "InvalidLaunchTemplateId.NotFound", message: "The specified launch template, with template ID \(id), does not exist.")
            }
            return template
        case (nil, let name?):
            guard let template = state[LaunchTemplate.self].values.first(where: { $0.name == name }) else {
                throw APIError(
                    code: "InvalidLaunchTemplateName.NotFoundException",
                    message: "The specified launch template, with template name \(name), does not exist.")
            }
            return template
        case (.some, .some):
            throw APIError.invalidParameterCombination("The parameters LaunchTemplateId and LaunchTemplateName cannot be used together.")
        case (nil, nil):
            throw APIError.missingParameter("The request must contain the parameter LaunchTemplateName or LaunchTemplateId")
        }
    }

    /// `$Latest`, `$Default` or a version number.
    static func version(_ name: String, of template: LaunchTemplate) throws(APIError) -> LaunchTemplate.Version {
        let number: Int? =
            switch name {
            case "$Latest": template.latestVersion
            case "$Default": template.defaultVersion
            default: Int(name)
            }
        guard let number, let version = template.versions.first(where: { $0.number == number }) else {
            throw APIError(
                code: "InvalidLaunchTemplateId.VersionNotFound",
                message: "Could not find launch template version \(name) for launch template \(template.id).")
        }
        return version
    }

    /// The template's parameters with the call's over them: a top-level member the call gives
    /// (`SecurityGroupId`, `NetworkInterface`, `Placement`, …) replaces the template's whole.
    static func overlay(_ base: [String: String], with top: [String: String]) -> [String: String] {
        func head(_ key: String) -> Substring { key.prefix { $0 != "." } }
        let replaced = Set(top.keys.map(head))
        return base.filter { !replaced.contains(head($0.key)) }.merging(top) { _, new in new }
    }

    /// RunInstances' parameters when it names a launch template (`LaunchTemplate.*`): the version's data
    /// under the call's own, and the tags AWS puts on instances launched from a template.
    static func launchParameters(_ p: QueryParameters, _ state: RegionState) throws(APIError) -> (QueryParameters, [String: String]) {
        guard let reference = p.structure("LaunchTemplate") else { return (p, [:]) }
        let template = try find(reference, state)
        let version = try version(reference.string("Version") ?? "$Default", of: template)
        let own = p.values.filter { !$0.key.hasPrefix("LaunchTemplate.") }
        let tags = ["aws:ec2launchtemplate:id": template.id, "aws:ec2launchtemplate:version": String(version.number)]
        return (QueryParameters(overlay(version.data, with: own)), tags)
    }
}
