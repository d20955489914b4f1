import Foundation
import GRDB
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

    /// A call's change is one transaction: when any record of it cannot be written, none is, and
    /// the store goes on working.
    @Test func aFailingChangeWritesNothing() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        do {
            let store = try Store(path: path)
            var first = Store.Change(region: "us-east-1")
            first.upserts = [.init(region: "us-east-1", kind: "vpc", id: "vpc-1", body: Data("{}".utf8))]
            try store.apply(first)
        }
        // A trigger that refuses one record, standing in for a disk that fails mid-call.
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "CREATE TRIGGER refuse BEFORE INSERT ON record WHEN NEW.id = 'boom' BEGIN SELECT RAISE(ABORT, 'refused'); END")
        }
        let store = try Store(path: path)
        var failing = Store.Change(region: "us-east-1")
        failing.upserts = [
            .init(region: "us-east-1", kind: "vpc", id: "vpc-1", body: Data("{\"changed\":true}".utf8)),
            .init(region: "us-east-1", kind: "subnet", id: "boom", body: Data("{}".utf8)),
        ]
        failing.deletions = [("vpc", "vpc-1")]
        #expect(throws: (any Error).self) { try store.apply(failing) }
        #expect(try store.loadAll().map { "\($0.id)=\(String(decoding: $0.body, as: UTF8.self))" } == ["vpc-1={}"])
        var next = Store.Change(region: "us-east-1")
        next.upserts = [.init(region: "us-east-1", kind: "subnet", id: "subnet-1", body: Data("{}".utf8))]
        try store.apply(next)
        #expect(try store.loadAll().map(\.id) == ["subnet-1", "vpc-1"])
    }

    /// One server owns a state file (SQLite's exclusive locking mode): a second one gets an error,
    /// not a shared file.
    @Test func aSecondStoreOnTheSameFileIsRefused() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        let first = try Store(path: path)
        #expect(throws: (any Error).self) { try Store(path: path) }
        #expect(try first.loadAll().isEmpty)
    }

    @Test func unwritableLocationIsAnErrorNotACrash() throws {
        #expect(throws: (any Error).self) { try Store(path: "/proc/localvpc/state.sqlite") }
    }
}
