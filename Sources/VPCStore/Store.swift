import Foundation
import GRDB

/// Durable state for `localvpc serve`: every resource of every region as a JSON record in SQLite.
///
/// One API call is one write transaction (WAL journal, `synchronous = NORMAL`): an acknowledged call
/// survives a restart and a `kill -9`, and a call that fails writes nothing.
public struct Store: Sendable {
    /// One stored record.
    public struct Record: Sendable, Hashable {
        public var region: String
        public var kind: String
        public var id: String
        public var body: Data

        public init(region: String, kind: String, id: String, body: Data) {
            self.region = region
            self.kind = kind
            self.id = id
            self.body = body
        }
    }

    /// What one call changes in one region.
    public struct Change: Sendable {
        public var region: String
        public var upserts: [Record] = []
        public var deletions: [(kind: String, id: String)] = []

        public init(region: String) { self.region = region }
        public var isEmpty: Bool { upserts.isEmpty && deletions.isEmpty }
    }

    private let writer: any DatabaseWriter

    /// Another process (a running `localvpc serve`) holds the state file.
    public struct InUse: Error, CustomStringConvertible {
        public var path: String
        public var description: String {
            "\(path) is in use by another LocalVPC process (one server owns a state file); stop it, or give another --state"
        }
    }

    /// Opens (or creates) the database file, creating its folder.
    public init(path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            // One server owns the file: exclusive locking keeps SQLite from taking and releasing file
            // locks (six fcntl calls) around every transaction, and keeps the WAL index in memory. A
            // second server on the same file gets "database is locked" instead of sharing it.
            try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE")
            // WAL + NORMAL: a commit is appended to the log by one write, without fsync; it survives
            // a process crash (kill -9), and only an OS crash can lose the last ones.
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            try self.init(writer: DatabaseQueue(path: path, configuration: configuration))
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            throw InUse(path: path)
        }
    }

    /// A store in memory, for tests.
    public static func inMemory() throws -> Store { try Store(writer: DatabaseQueue()) }

    private init(writer: any DatabaseWriter) throws {
        self.writer = writer
        var migrator = DatabaseMigrator()
        migrator.registerMigration("createRecords") { db in
            try db.create(table: "record") { table in
                table.column("region", .text).notNull()
                table.column("kind", .text).notNull()
                table.column("id", .text).notNull()
                table.column("body", .blob).notNull()
                table.primaryKey(["region", "kind", "id"])
            }
        }
        try migrator.migrate(writer)
    }

    /// Every stored record.
    /// Deletes every record (a reset to a new account), in one transaction.
    public func deleteAll() throws {
        try writer.write { db in try db.execute(sql: "DELETE FROM record") }
    }

    public func loadAll() throws -> [Record] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT region, kind, id, body FROM record ORDER BY region, kind, id").map { row in
                Record(region: row["region"], kind: row["kind"], id: row["id"], body: row["body"])
            }
        }
    }

    /// Writes one call's changes in a single transaction: all or nothing.
    ///
    /// Synchronous on purpose: the caller (the emulator, holding its lock) must not let another call build on a
    /// state whose write has not finished.
    public func apply(_ change: Change) throws {
        guard !change.isEmpty else { return }
        try writer.writeWithoutTransaction { db in
            // One transaction, begun and ended by cached statements (GRDB's own transaction helper
            // prepares its BEGIN each time); any failure rolls everything back.
            try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
            do {
                try write(change, db)
                try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
            } catch {
                if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK TRANSACTION") }
                throw error
            }
        }
    }

    private func write(_ change: Change, _ db: Database) throws {
        // Cached statements: prepared once per connection, not per call.
        let upsert = try db.cachedStatement(
            sql: "INSERT INTO record (region, kind, id, body) VALUES (?, ?, ?, ?) ON CONFLICT(region, kind, id) DO UPDATE SET body = excluded.body")
        for record in change.upserts {
            try upsert.execute(arguments: [record.region, record.kind, record.id, record.body])
        }
        let delete = try db.cachedStatement(sql: "DELETE FROM record WHERE region = ? AND kind = ? AND id = ?")
        for deletion in change.deletions {
            try delete.execute(arguments: [change.region, deletion.kind, deletion.id])
        }
    }
}
