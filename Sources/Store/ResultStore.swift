import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// The results database: sweeps, runs, metrics and fits in one SQLite file (WAL mode).
///
/// Several processes may write at once (a sweep runs one process per job): writes take SQLite's
/// write lock with `BEGIN IMMEDIATE` and wait up to `busyTimeout` for it, and every multi-row write
/// is one transaction, so a crash leaves either all of it or none.
public final class ResultStore: @unchecked Sendable {
    /// Where the database lives (":memory:" for an in-memory store).
    public let path: String
    let writer: any DatabaseWriter

    /// How long a writer waits for another process's write lock before failing.
    public static let busyTimeout: TimeInterval = 60

    /// Opened with `openReadOnly`: every write fails.
    public let isReadOnly: Bool
    /// A private copy's folder (see `readOnlyQueue`), removed with the store.
    private var scratch: URL?

    deinit {
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    private init(path: String, writer: any DatabaseWriter, isReadOnly: Bool) {
        self.path = path
        self.writer = writer
        self.isReadOnly = isReadOnly
    }

    /// Opens (creating when absent) the database at `path` for writing and brings its schema up
    /// to date. Refuses, before writing anything: files that are not SQLite databases, SQLite
    /// files that are not Ladder's (`DatabaseIdentity`), databases that fail SQLite's quick check,
    /// and databases from a newer schema.
    public static func open(path: String) throws -> ResultStore {
        let url = URL(fileURLWithPath: path)
        try checkHeader(of: url)
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw StoreError.cannotOpen(path: path, detail: "cannot create folder \(folder.path): \(error.localizedDescription)")
        }
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber, size.intValue > 0 {
            try inspectBeforeWriting(path: path)
        }
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.foreignKeysEnabled = true
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch let error as DatabaseError {
            throw mapped(error, path: path)
        }
        let store = ResultStore(path: path, writer: pool, isReadOnly: false)
        try FileLock.withExclusiveLock(path: path + ".lock") {
            try store.migrate()
            try store.markAsLadder()
        }
        return store
    }

    /// Opens an existing database for reading only: nothing is created, migrated or locked, so a
    /// read-only file in a read-only folder can be read. A database that needs a schema upgrade
    /// is opened for writing instead when it can be written (the upgrade is what `open` does),
    /// else refused.
    public static func openReadOnly(path: String) throws -> ResultStore {
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError.cannotOpen(path: path, detail: "no such file")
        }
        try checkHeader(of: url)
        let (queue, scratch) = try readOnlyQueue(path: path)
        let store = ResultStore(path: path, writer: queue, isReadOnly: true)
        store.scratch = scratch
        let (identity, applied) = try store.read { db -> (DatabaseIdentity, [String]) in
            let identity = try DatabaseIdentity.inspect(db)
            let applied = try db.tableExists("grdb_migrations") ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") : []
            return (identity, applied)
        }
        if case let .foreign(detail) = identity { throw StoreError.foreignDatabase(path: path, detail: detail) }
        let known = Schema.migrator.migrations
        let unknown = applied.filter { !known.contains($0) }.sorted()
        if !unknown.isEmpty { throw StoreError.newerSchema(path: path, unknown: unknown) }
        let missing = known.filter { !applied.contains($0) }
        if missing.isEmpty { return store }
        try? queue.close()
        if access(path, W_OK) == 0 && access(url.deletingLastPathComponent().path, W_OK) == 0 {
            return try open(path: path)
        }
        throw StoreError.needsUpgrade(path: path, missing: missing)
    }

    /// A read-only connection. SQLite cannot read a WAL database whose `-shm` file is absent and
    /// cannot be created (a read-only folder): such a database is copied (with its `-wal`, if
    /// any) into a private temporary folder and the copy is read; `scratch` is that folder.
    static func readOnlyQueue(path: String) throws -> (queue: DatabaseQueue, scratch: URL?) {
        func queue(_ path: String) throws -> DatabaseQueue {
            var config = Configuration()
            config.readonly = true
            config.busyMode = .timeout(busyTimeout)
            config.foreignKeysEnabled = true
            let queue = try DatabaseQueue(path: path, configuration: config)
            _ = try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master") }
            return queue
        }
        do {
            return (try queue(path), nil)
        } catch let error as DatabaseError where [.SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_IOERR].contains(error.resultCode) {
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ladder-readonly-\(UUID().uuidString)")
            do {
                try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
                let copy = scratch.appendingPathComponent(URL(fileURLWithPath: path).lastPathComponent)
                for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: path + suffix) {
                    let data = try Data(contentsOf: URL(fileURLWithPath: path + suffix))
                    guard FileManager.default.createFile(atPath: copy.path + suffix, contents: data, attributes: [.posixPermissions: 0o600]) else {
                        throw StoreError.cannotOpen(path: path, detail: "cannot write a private copy in \(scratch.path)")
                    }
                }
                return (try queue(copy.path), scratch)
            } catch let error as DatabaseError {
                try? FileManager.default.removeItem(at: scratch)
                throw mapped(error, path: path)
            } catch {
                try? FileManager.default.removeItem(at: scratch)
                throw StoreError.cannotOpen(path: path, detail: "read-only and in a read-only folder, and a private copy failed: \(error.localizedDescription)")
            }
        } catch let error as DatabaseError {
            throw mapped(error, path: path)
        }
    }

    /// Refuses a non-empty file that is not Ladder's, or is damaged, reading it without writing.
    private static func inspectBeforeWriting(path: String) throws {
        do {
            let (queue, scratch) = try readOnlyQueue(path: path)
            defer {
                try? queue.close()
                if let scratch { try? FileManager.default.removeItem(at: scratch) }
            }
            let (identity, check) = try queue.read { db -> (DatabaseIdentity, [String]) in
                let identity = try DatabaseIdentity.inspect(db)
                if case .foreign = identity { return (identity, []) }
                return (identity, try String.fetchAll(db, sql: "PRAGMA quick_check(20)"))
            }
            if case let .foreign(detail) = identity { throw StoreError.foreignDatabase(path: path, detail: detail) }
            if check != ["ok"] { throw StoreError.damaged(path: path, findings: check) }
        } catch let error as DatabaseError {
            if error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB {
                throw StoreError.damaged(path: path, findings: [error.message ?? "\(error.resultCode)"])
            }
            throw mapped(error, path: path)
        }
    }

    /// Writes Ladder's application id into the header of a database that lacks it.
    private func markAsLadder() throws {
        try write { db in
            if try Int32.fetchOne(db, sql: "PRAGMA application_id") != DatabaseIdentity.applicationID {
                try db.execute(sql: "PRAGMA application_id = \(DatabaseIdentity.applicationID)")
            }
        }
    }

    /// A private in-memory store, for tests and dry runs.
    public static func inMemory() throws -> ResultStore {
        var config = Configuration()
        config.foreignKeysEnabled = true
        let queue = try DatabaseQueue(configuration: config)
        let store = ResultStore(path: ":memory:", writer: queue, isReadOnly: false)
        try store.migrate()
        try store.markAsLadder()
        return store
    }

    /// Names of the schema migrations this binary knows, in order.
    public static var knownMigrations: [String] { Schema.migrator.migrations }

    /// Names of the migrations applied to this database.
    public func appliedMigrations() throws -> [String] {
        try read { db in try Schema.migrator.appliedMigrations(db) }
    }

    private func migrate() throws {
        let migrator = Schema.migrator
        let unknown: [String] = try read { db in
            guard try db.tableExists("grdb_migrations") else { return [] }
            let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            return applied.filter { !migrator.migrations.contains($0) }.sorted()
        }
        if !unknown.isEmpty { throw StoreError.newerSchema(path: path, unknown: unknown) }
        do {
            try migrator.migrate(writer)
        } catch let error as DatabaseError {
            throw Self.mapped(error, path: path)
        }
    }

    /// Runs `body` in a read transaction, turning SQLite errors into `StoreError`s.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try writer.read(body) } catch let error as DatabaseError {
            throw Self.mapped(error, path: path)
        }
    }

    /// Runs `body` in one write transaction: a throw rolls everything back.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try writer.write(body) } catch let error as DatabaseError {
            throw Self.mapped(error, path: path)
        }
    }

    static func mapped(_ error: DatabaseError, path: String) -> Error {
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return StoreError.notADatabase(path: path, detail: error.message ?? "\(error.resultCode)")
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_FULL, .SQLITE_IOERR:
            return StoreError.cannotOpen(path: path, detail: error.message ?? "\(error.resultCode)")
        case .SQLITE_CONSTRAINT:
            return StoreError.invalid("the results database refused a row: \(error.message ?? "constraint failed")")
        default:
            return error
        }
    }

    /// A non-empty file must start with SQLite's magic header; anything else is not ours to touch.
    private static func checkHeader(of url: URL) throws {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 16)) ?? Foundation.Data()
        if head.isEmpty { return }
        let magic = Array("SQLite format 3\u{0}".utf8)
        if Array(head) != magic {
            throw StoreError.notADatabase(path: url.path, detail: "the file does not start with the SQLite header")
        }
    }
}
