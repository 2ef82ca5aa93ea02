import GRDB

/// Whose database a SQLite file is, read before anything is written to it.
///
/// Ladder marks its databases with SQLite's `application_id` (a 32-bit integer in the file header,
/// `PRAGMA application_id`): 0x4C414444, "LADD" in ASCII. A file is migrated only when it is
/// empty (no tables), carries that id, or is a database from a Ladder that predates the mark
/// (its `grdb_migrations` table lists only Ladder's migration names); any other SQLite file is
/// refused before a byte of it changes (no tables, no WAL switch).
enum DatabaseIdentity: Equatable {
    /// 0x4C414444: "LADD".
    static let applicationID: Int32 = 0x4C41_4444

    /// No tables at all: a new file.
    case empty
    /// Carries Ladder's application id.
    case ladder
    /// Ladder's schema (only Ladder's migration names) without the id: written before the mark.
    case legacyLadder
    /// Anything else, with what was found.
    case foreign(String)

    /// Inspects `db` without writing.
    static func inspect(_ db: Database) throws -> DatabaseIdentity {
        let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        if id == applicationID { return .ladder }
        if id != 0 {
            return .foreign("its application_id is \(id) (0x\(String(UInt32(bitPattern: id), radix: 16))), not Ladder's 0x\(String(UInt32(bitPattern: applicationID), radix: 16))")
        }
        let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%' ORDER BY name")
        if tables.isEmpty { return .empty }
        guard tables.contains("grdb_migrations") else {
            return .foreign("it has tables (\(tables.prefix(8).joined(separator: ", "))) but no Ladder schema")
        }
        let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
        // another process is creating this database right now: its first migration has not landed
        if tables == ["grdb_migrations"] && applied.isEmpty { return .empty }
        let ours = Set(Schema.migrator.migrations)
        // a Ladder database always starts with the first migration; a newer Ladder's extra
        // migrations are reported as a newer schema afterwards
        guard applied.contains("createSweeps"), applied.contains(where: ours.contains) else {
            return .foreign("its grdb_migrations (\(applied.prefix(8).joined(separator: ", "))) are not Ladder's")
        }
        return .legacyLadder
    }
}
