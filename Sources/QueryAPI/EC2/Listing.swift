import Foundation

/// EC2's `Filter.N`: every filter must match (values of one filter are alternatives; `*` and `?` are
/// wildcards). A filter reads the item as the Describe action renders it: each name of the action's
/// `FilterTable` is a path in the item's XML, so a filter matches exactly what the response shows.
struct Filters {
    var filters: [(name: String, values: [String])]

    init(_ parameters: QueryParameters) { filters = parameters.filters() }

    /// Whether the rendered item matches every filter.
    /// - Parameter tags: the item's tags, when they are not its `tagSet` (DescribeTags' items).
    func match(_ item: XML, _ table: FilterTable, tags: [String: String]? = nil) throws(APIError) -> Bool {
        for filter in filters {
            let actual: [String]
            if filter.name.hasPrefix("tag:") {
                let key = String(filter.name.dropFirst(4))
                actual = (tags ?? item.tags).filter { $0.key == key }.map(\.value)
            } else if filter.name == "tag-key" {
                actual = Array((tags ?? item.tags).keys)
            } else if filter.name == "tag-value" {
                actual = Array((tags ?? item.tags).values)
            } else if let paths = table.paths[filter.name] {
                actual = paths.flatMap { item.texts(at: $0[...]) }
            } else {
                throw APIError.invalidParameterValue("The filter '\(filter.name)' is invalid")
            }
            guard actual.contains(where: { candidate in filter.values.contains { Self.wildcard($0, matches: candidate) } }) else { return false }
        }
        return true
    }

    static func wildcard(_ pattern: String, matches text: String) -> Bool {
        if !pattern.contains("*") && !pattern.contains("?") { return pattern == text }
        let p = Array(pattern)
        let t = Array(text)
        var memo: [Int: Bool] = [:]
        func go(_ i: Int, _ j: Int) -> Bool {
            let key = i * (t.count + 1) + j
            if let known = memo[key] { return known }
            let result: Bool
            if i == p.count {
                result = j == t.count
            } else if p[i] == "*" {
                result = go(i + 1, j) || (j < t.count && go(i, j + 1))
            } else {
                result = j < t.count && (p[i] == "?" || p[i] == t[j]) && go(i + 1, j + 1)
            }
            memo[key] = result
            return result
        }
        return go(0, 0)
    }
}

/// The `Filter.N` names of one Describe action, each with the element path(s) of the response item
/// that hold its values: `attachment/instanceId`, `associationSet/main` (an EC2 list's `item` level
/// is crossed by itself). Every name EC2 documents for the action is here; a name for a part of AWS
/// LocalVPC does not model (IPv6, Outposts, capacity reservations) points where AWS would show the
/// value, so it is accepted and matches what the item shows there, which is nothing.
struct FilterTable: Sendable {
    let paths: [String: [[Substring]]]

    /// - Parameter entries: name → path, alternatives separated by `|`.
    init(_ entries: KeyValuePairs<String, String>) { self.init(entries.map { ($0.key, $0.value) }) }

    init(_ entries: [(String, String)]) {
        var paths: [String: [[Substring]]] = [:]
        for (name, path) in entries {
            paths[name] = path.split(separator: "|").map { $0.split(separator: "/") }
        }
        self.paths = paths
    }

    var names: [String] { paths.keys.sorted() }
}

extension XML {
    /// The texts of the elements at a path below this one; an EC2 list's `item` level is crossed by itself.
    func texts(at path: ArraySlice<Substring>) -> [String] {
        guard let first = path.first else { return text.map { [$0] } ?? [] }
        var found: [String] = []
        for child in children where child.name == first {
            if let head = child.children.first, head.name == "item" {
                for item in child.children { found += item.texts(at: path.dropFirst()) }
            } else {
                found += child.texts(at: path.dropFirst())
            }
        }
        return found
    }

    /// The key/value pairs of the item's `tagSet`.
    var tags: [String: String] {
        var tags: [String: String] = [:]
        for set in children where set.name == "tagSet" {
            for item in set.children {
                if let key = item.texts(at: ["key"]).first { tags[key] = item.texts(at: ["value"]).first ?? "" }
            }
        }
        return tags
    }
}

/// `MaxResults`/`NextToken`: a page of a Describe action's items, in the action's (ID) order. The token
/// names the last item returned, so a page stays right when items are added or deleted between calls.
struct Pagination {
    var limit: Int?
    var after: String?

    /// - Parameters:
    ///   - range: the MaxResults EC2 accepts for the action.
    ///   - exclusive: the name of the action's ID list, where EC2 refuses MaxResults beside it (`instancesSet`).
    init(_ parameters: QueryParameters, range: ClosedRange<Int>, exclusive: (name: String, given: Bool)? = nil) throws(APIError) {
        limit = try parameters.int("MaxResults")
        if let limit, !range.contains(limit) {
            throw APIError.invalidParameterValue(
                "Value ( \(limit) ) for parameter maxResults is invalid. Parameter may only be between \(range.lowerBound) and \(range.upperBound).")
        }
        if let exclusive, exclusive.given, limit != nil {
            throw APIError.invalidParameterCombination("The parameter \(exclusive.name) cannot be used with the parameter maxResults")
        }
        if let token = parameters.string("NextToken") {
            guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8), text.hasPrefix(Self.mark) else {
                throw APIError(code: "InvalidPaginationToken", message: "The specified pagination token is not valid or is expired.")
            }
            after = String(text.dropFirst(Self.mark.count))
        }
    }

    private static let mark = "localvpc/1/"

    /// The page of items (sorted by `id`) after the token, and the token of the next page if there is one.
    func page<Item>(_ items: [Item], id: (Item) -> String) -> (items: [Item], next: [XML]) {
        let start = after.map { after in items.firstIndex { id($0) > after } ?? items.count } ?? 0
        let rest = items[start...]
        guard let limit, rest.count > limit else { return (Array(rest), []) }
        let page = Array(rest.prefix(limit))
        let token = Data((Self.mark + id(page[page.count - 1])).utf8).base64EncodedString()
        return (page, [XML("nextToken", token)])
    }
}

extension EC2Call {
    /// A Describe action's answer: the items (in ID order) whose rendering matches the call's filters,
    /// paged when the action takes `MaxResults` (`range`), under the response's list element.
    /// - Parameter ids: the name of the action's ID list on the wire and whether the call gave IDs, for
    ///   the actions where EC2 refuses MaxResults beside them.
    func describe<Item>(
        _ setName: String, _ items: some Sequence<Item>, _ table: FilterTable, paged range: ClosedRange<Int>? = nil,
        ids: (name: String, given: Bool)? = nil, id: (Item) -> String, render: (Item) -> XML
    ) throws(APIError) -> [XML] {
        let filters = Filters(parameters)
        var pagination: Pagination?
        if let range { pagination = try Pagination(parameters, range: range, exclusive: ids) }
        var matched: [(id: String, xml: XML)] = []
        for item in items {
            let xml = render(item)
            if try filters.match(xml, table) { matched.append((id(item), xml)) }
        }
        guard let pagination else { return [XML.set(setName, matched.map(\.xml))] }
        let page = pagination.page(matched, id: \.id)
        return [XML.set(setName, page.items.map(\.xml))] + page.next
    }
}
