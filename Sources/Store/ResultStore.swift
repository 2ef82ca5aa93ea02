import Foundation
import GRDB

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

    private init(path: String, writer: any DatabaseWriter) {
        self.path = path
        self.writer = writer
    }

    /// Opens (creating when absent) the database at `path` and brings its schema up to date.
    /// Refuses files that are not SQLite databases and databases from a newer schema.
    public static func open(path: String) throws -> ResultStore {
        let url = URL(fileURLWithPath: path)
        try checkHeader(of: url)
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw StoreError.cannotOpen(path: path, detail: "cannot create folder \(folder.path): \(error.localizedDescription)")
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
        let store = ResultStore(path: path, writer: pool)
        try FileLock.withExclusiveLock(path: path + ".lock") {
            try store.migrate()
        }
        return store
    }

    /// A private in-memory store, for tests and dry runs.
    public static func inMemory() throws -> ResultStore {
        var config = Configuration()
        config.foreignKeysEnabled = true
        let queue = try DatabaseQueue(configuration: config)
        let store = ResultStore(path: ":memory:", writer: queue)
        try store.migrate()
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
