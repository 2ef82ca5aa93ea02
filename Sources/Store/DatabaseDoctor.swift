import Foundation
import GRDB

/// What `ladder doctor` found in a database: SQLite's full integrity check, the foreign-key
/// check, whose database it is, its schema, and runs with non-finite numbers. Read-only.
public struct DoctorReport: Sendable {
    public var path: String
    /// Problems, each one line (empty: healthy).
    public var problems: [String] = []
    /// Facts worth printing either way (identity, schema, counts).
    public var notes: [String] = []
    public var isHealthy: Bool { problems.isEmpty }
}

public enum DatabaseDoctor {
    /// Checks the database at `path` without writing to it.
    public static func examine(path: String) throws -> DoctorReport {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError.cannotOpen(path: path, detail: "no such file")
        }
        var report = DoctorReport(path: path)
        do {
            let (queue, scratch) = try ResultStore.readOnlyQueue(path: path)
            defer {
                try? queue.close()
                if let scratch { try? FileManager.default.removeItem(at: scratch) }
            }
            try queue.read { db in
                switch try DatabaseIdentity.inspect(db) {
                case .ladder: report.notes.append("a Ladder database (application_id 0x\(String(UInt32(bitPattern: DatabaseIdentity.applicationID), radix: 16)))")
                case .legacyLadder: report.notes.append("a Ladder database written before the application id (the next write marks it)")
                case .empty: report.notes.append("an empty SQLite database")
                case let .foreign(detail): report.problems.append("not a Ladder database: \(detail)")
                }
                let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check(100)")
                if integrity == ["ok"] {
                    report.notes.append("integrity_check: ok")
                } else {
                    report.problems += integrity.map { "integrity_check: \($0)" }
                }
                let foreign = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check")
                if foreign.isEmpty {
                    report.notes.append("foreign_key_check: ok")
                } else {
                    report.problems += foreign.prefix(100).map { row in
                        "foreign_key_check: table \(row[0] as String? ?? "?") row \(row[1] as Int64? ?? -1) refers to a missing row of \(row[2] as String? ?? "?")"
                    }
                }
                if try db.tableExists("grdb_migrations") {
                    let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
                    let known = Schema.migrator.migrations
                    let unknown = applied.filter { !known.contains($0) }
                    let missing = known.filter { !applied.contains($0) }
                    report.notes.append("schema: \(applied.count) migrations applied"
                        + (missing.isEmpty ? "" : "; \(missing.count) to apply at the next write (\(missing.joined(separator: ", ")))")
                        + (unknown.isEmpty ? "" : "; \(unknown.count) from a newer ladder (\(unknown.joined(separator: ", ")))"))
                }
                if try db.tableExists("run") {
                    let rows = try Row.fetchAll(db, sql: "SELECT id, params, params_total, tokens, flops, final_train_loss, final_val_loss, wall_seconds FROM run")
                    let poisoned = rows.filter { row in (1...7).contains { i in (row[i] as Double?).map { !$0.isFinite } ?? false } }
                    report.notes.append("\(rows.count) runs")
                    if !poisoned.isEmpty {
                        let ids = poisoned.prefix(20).map { String($0[0] as Int64) }.joined(separator: ", ")
                        report.problems.append("\(poisoned.count) runs with non-finite numbers (ids \(ids)\(poisoned.count > 20 ? ", ..." : "")): listings and fits skip them; `ladder runs delete` removes them")
                    }
                }
            }
        } catch let error as DatabaseError {
            report.problems.append("SQLite: \(error.message ?? "\(error.resultCode)") (code \(error.resultCode.rawValue))")
        } catch {
            report.problems.append("SQLite: \(error)")
        }
        return report
    }
}
