import Foundation
import GRDB
import Store
import LadderTestSupport
import XCTest

/// Class 7 and 13 of issue #19: only Ladder's own databases are migrated or written; a damaged
/// one is refused for writing; `DatabaseDoctor` reports what SQLite's checks find.
final class DatabaseIdentityTests: FolderTestCase {
    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A rollback-journal SQLite file written by someone else.
    func foreign(_ name: String, sql: String) throws -> String {
        let p = path(name)
        let queue = try DatabaseQueue(path: p)
        try queue.write { try $0.execute(sql: sql) }
        try queue.close()
        return p
    }

    static func applicationID(_ p: String) throws -> Int32 {
        var config = Configuration()
        config.readonly = true
        let queue = try DatabaseQueue(path: p, configuration: config)
        defer { try? queue.close() }
        return try queue.read { try Int32.fetchOne($0, sql: "PRAGMA application_id") ?? 0 }
    }

    func testNewDatabasesCarryLaddersApplicationID() throws {
        let p = path("new.sqlite")
        _ = try ResultStore.open(path: p)
        XCTAssertEqual(try Self.applicationID(p), 0x4C41_4444)
    }

    func testForeignDatabasesAreRefusedAndLeftByteForByte() throws {
        let cases = [
            try foreign("app.sqlite", sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('keep me')"),
            // a table named like ours must not half-migrate it
            try foreign("run.sqlite", sql: "CREATE TABLE run (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO run (name) VALUES ('theirs')"),
            try foreign("other-id.sqlite", sql: "PRAGMA application_id = 1234; CREATE TABLE t (x)"),
            try foreign("grdb.sqlite", sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY); INSERT INTO grdb_migrations VALUES ('v1'); CREATE TABLE users (id)"),
        ]
        for p in cases {
            let before = try Data(contentsOf: URL(fileURLWithPath: p))
            XCTAssertThrowsError(try ResultStore.open(path: p), p) { error in
                guard case StoreError.foreignDatabase = error else { return XCTFail("\(p): \(error)") }
                XCTAssertTrue("\(error)".contains("not a Ladder results database"), "\(error)")
                XCTAssertTrue("\(error)".contains(p), "\(error)")
            }
            XCTAssertThrowsError(try ResultStore.openReadOnly(path: p), p)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: p)), before, "\(p) changed")
            XCTAssertFalse(FileManager.default.fileExists(atPath: p + "-wal"), "\(p) was switched to WAL")
        }
    }

    func testLadderDatabaseWrittenBeforeTheMarkIsMarkedAndKept() throws {
        let p = path("legacy.sqlite")
        let store = try ResultStore.open(path: p)
        try store.insertRuns([RunRecord(sweepId: 0, name: "a", params: 1e6, tokens: 1e7, flops: 6e13)], intoSweep: "s")
        // as an older Ladder left it: no application id
        let queue = try DatabaseQueue(path: p)
        try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA application_id = 0") }
        try queue.close()
        XCTAssertEqual(try Self.applicationID(p), 0)
        let reopened = try ResultStore.open(path: p)
        XCTAssertEqual(try reopened.runs().map(\.run.name), ["a"])
        XCTAssertEqual(try Self.applicationID(p), 0x4C41_4444)
    }

    func testEmptyFileBecomesALadderDatabase() throws {
        let p = path("empty.sqlite")
        XCTAssertTrue(FileManager.default.createFile(atPath: p, contents: Data()))
        _ = try ResultStore.open(path: p)
        XCTAssertEqual(try Self.applicationID(p), 0x4C41_4444)
    }

    /// Writes a database with runs and metrics and folds its WAL back into the main file.
    func populated(_ name: String) throws -> String {
        let p = path(name)
        let store = try ResultStore.open(path: p)
        let runs = try store.insertRuns((0..<40).map { RunRecord(sweepId: 0, name: "r\($0)", params: 1e6 + Double($0), tokens: 1e7, flops: 6e13) },
                                        intoSweep: "s")
        for run in runs {
            try store.appendMetrics((0..<50).map { MetricRecord(runId: run.id!, step: $0, tokensSeen: Double($0) * 100, trainLoss: 3) })
        }
        let queue = try DatabaseQueue(path: p)
        try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
        return p
    }

    /// Overwrites the first page of the metric table's unique index with garbage.
    func damageIndex(_ p: String) throws {
        var config = Configuration()
        config.readonly = true
        let queue = try DatabaseQueue(path: p, configuration: config)
        let (page, size) = try queue.read { db -> (Int, Int) in
            let root = try Int.fetchOne(db, sql: "SELECT rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = 'metric'")!
            return (root, try Int.fetchOne(db, sql: "PRAGMA page_size")!)
        }
        try queue.close()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: p))
        try handle.seek(toOffset: UInt64((page - 1) * size))
        try handle.write(contentsOf: Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 13) }))
        try handle.close()
    }

    func testDamagedDatabaseRefusesWritesAndDoctorSaysWhy() throws {
        let p = try populated("damaged.sqlite")
        XCTAssertTrue(try DatabaseDoctor.examine(path: p).isHealthy)
        try damageIndex(p)
        let before = try Data(contentsOf: URL(fileURLWithPath: p))
        XCTAssertThrowsError(try ResultStore.open(path: p)) { error in
            guard case StoreError.damaged = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("ladder doctor"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: p)), before)
        let report = try DatabaseDoctor.examine(path: p)
        XCTAssertFalse(report.isHealthy)
        XCTAssertTrue(report.problems.contains { $0.hasPrefix("integrity_check") || $0.hasPrefix("SQLite") }, "\(report.problems)")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: p)), before, "the doctor wrote to the database")
    }

    func testReadOnlyStoreReadsAndRefusesWrites() throws {
        let p = try populated("ro.sqlite")
        let before = try Data(contentsOf: URL(fileURLWithPath: p))
        let store = try ResultStore.openReadOnly(path: p)
        XCTAssertTrue(store.isReadOnly)
        XCTAssertEqual(try store.runs().count, 40)
        XCTAssertThrowsError(try store.insertRuns([RunRecord(sweepId: 0, name: "x", params: 1e6, tokens: 1e7, flops: 6e13)], intoSweep: "s"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: p)), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: p + ".lock") && (try? Data(contentsOf: URL(fileURLWithPath: p + ".lock")))?.isEmpty == false)
    }
}
