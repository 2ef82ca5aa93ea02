import ArgumentParser
import Foundation
import Store

/// `--db PATH`, shared by every command that touches the results database.
/// Precedence: `--db`, then the `LADDER_DB` environment variable, then `Results/ladder.sqlite`.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Results database (default: $LADDER_DB, else Results/ladder.sqlite).", valueName: "path"))
    var db: String?

    static let defaultPath = "Results/ladder.sqlite"

    var resolvedPath: String {
        if let db { return db }
        if let env = ProcessInfo.processInfo.environment["LADDER_DB"], !env.isEmpty { return env }
        return Self.defaultPath
    }

    func open() throws -> ResultStore {
        try ResultStore.open(path: resolvedPath)
    }

    /// Opens a database that must already exist, for writing.
    func openExisting() throws -> ResultStore {
        try requireExisting()
        return try open()
    }

    /// Opens an existing database read-only (commands that only read results: a read-only file
    /// in a read-only folder works), warning about rows with non-finite numbers, which are skipped.
    func openForReading() throws -> ResultStore {
        try requireExisting()
        let db = try ResultStore.openReadOnly(path: resolvedPath)
        let poisoned = try db.poisonedRuns()
        if !poisoned.isEmpty {
            let ids = poisoned.prefix(10).map { String($0.run.id ?? 0) }.joined(separator: ", ")
            FileHandle.standardError.write(Data("warning: \(db.path): skipping \(poisoned.count) run(s) with non-finite numbers (ids \(ids)\(poisoned.count > 10 ? ", ..." : "")); `ladder runs delete --sweep S --run ID --yes` removes them\n".utf8))
        }
        return db
    }

    private func requireExisting() throws {
        guard FileManager.default.fileExists(atPath: resolvedPath) else {
            throw ValidationError("no results database at \(resolvedPath) (run a sweep, `ladder train` or `ladder import` first, or pass --db)")
        }
    }
}

/// Writes text to standard output, or to a user-named file through `OutputFile` (never the
/// database; an existing file only with `force`).
func emit(_ text: String, to path: String?, force: Bool, database: String?) throws {
    guard let path else {
        FileHandle.standardOutput.write(Data(text.utf8))
        return
    }
    try OutputFile.write(Data(text.utf8), to: path, force: force, database: database)
}

/// Reads a whole text file with an error that names it.
func readText(_ path: String) throws -> String {
    guard FileManager.default.fileExists(atPath: path) else {
        throw ValidationError("\(path): no such file")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("\(path): cannot be read")
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw ValidationError("\(path): not valid UTF-8 text")
    }
    return text
}

/// Refuses a name given on the command line that cannot be a folder name, naming the option.
func checkSafeName(_ name: String, option: String) throws {
    if let problem = SafeName.problem(name) {
        throw ValidationError("\(option) '\(name)' \(problem): names become folder names (\(SafeName.rule))")
    }
}
