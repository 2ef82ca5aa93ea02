import Foundation

/// Errors the store reports to users. Each message names the file or the value at fault.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// The file exists but is not a SQLite database, or is damaged.
    case notADatabase(path: String, detail: String)
    /// The database was written by a newer Ladder whose schema this binary does not know.
    case newerSchema(path: String, unknown: [String])
    /// The database cannot be opened or created (permissions, missing folder, full disk ...).
    case cannotOpen(path: String, detail: String)
    /// A row refers to something that does not exist, or breaks a constraint.
    case invalid(String)
    /// A named sweep, run or fit was not found.
    case notFound(String)
    /// A SQLite database that is not Ladder's (see `DatabaseIdentity`): never migrated or written.
    case foreignDatabase(path: String, detail: String)
    /// SQLite's quick check found damage: writes are refused until `ladder doctor` is consulted.
    case damaged(path: String, findings: [String])
    /// A read-only database that would need a schema upgrade before this ladder can read it.
    case needsUpgrade(path: String, missing: [String])

    public var description: String {
        switch self {
        case let .notADatabase(path, detail):
            return "\(path) is not a Ladder results database (not SQLite, or corrupt: \(detail)). Nothing was changed; point --db at another file."
        case let .newerSchema(path, unknown):
            return "\(path) was written by a newer version of ladder (unknown schema migrations: \(unknown.joined(separator: ", "))). Upgrade ladder to use it; nothing was changed."
        case let .cannotOpen(path, detail):
            return "cannot open the results database \(path): \(detail)"
        case let .invalid(message):
            return message
        case let .notFound(message):
            return message
        case let .foreignDatabase(path, detail):
            return "\(path) is a SQLite database but not a Ladder results database (\(detail)). Nothing was changed; point --db at a Ladder database or a new file."
        case let .damaged(path, findings):
            return "\(path) is damaged (SQLite's quick_check: \(findings.prefix(3).joined(separator: "; "))\(findings.count > 3 ? "; ..." : "")). Nothing was written; run `ladder doctor --db \(path)` for the full check, and restore from a backup or `.recover` it with sqlite3."
        case let .needsUpgrade(path, missing):
            return "\(path) is read-only and was written by an older ladder (missing schema migrations: \(missing.joined(separator: ", "))); make it writable once so ladder can upgrade it. Nothing was changed."
        }
    }
}
