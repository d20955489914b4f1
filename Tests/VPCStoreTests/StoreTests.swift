import Foundation
import Testing
import VPCStore

/// The store with a real SQLite file: changes are all-or-nothing and survive reopening.
struct StoreTests {
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("localvpc-store-\(UUID().uuidString)/state.sqlite").path
    }

    @Test func changesSurviveReopeningTheFile() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        do {
            let store = try Store(path: path)
            var change = Store.Change(region: "us-east-1")
            change.upserts = [
                .init(region: "us-east-1", kind: "vpc", id: "vpc-1", body: Data("{\"a\":1}".utf8)),
                .init(region: "us-east-1", kind: "subnet", id: "subnet-1", body: Data("{\"b\":2}".utf8)),
            ]
            try store.apply(change)
            var second = Store.Change(region: "us-east-1")
            second.upserts = [.init(region: "us-east-1", kind: "vpc", id: "vpc-1", body: Data("{\"a\":3}".utf8))]
            second.deletions = [("subnet", "subnet-1")]
            try store.apply(second)
        }
        let reopened = try Store(path: path)
        let records = try reopened.loadAll()
        #expect(records.count == 1)
        #expect(records.first?.id == "vpc-1")
        #expect(records.first.map { String(decoding: $0.body, as: UTF8.self) } == "{\"a\":3}")
    }

    @Test func regionsAreKeptApart() throws {
        let store = try Store.inMemory()
        for region in ["us-east-1", "eu-west-1"] {
            var change = Store.Change(region: region)
            change.upserts = [.init(region: region, kind: "vpc", id: "vpc-1", body: Data(region.utf8))]
            try store.apply(change)
        }
        let records = try store.loadAll()
        #expect(records.map(\.region) == ["eu-west-1", "us-east-1"])
        #expect(Set(records.map { String(decoding: $0.body, as: UTF8.self) }) == ["us-east-1", "eu-west-1"])
    }

    @Test func unwritableLocationIsAnErrorNotACrash() throws {
        #expect(throws: (any Error).self) { try Store(path: "/proc/localvpc/state.sqlite") }
    }
}
