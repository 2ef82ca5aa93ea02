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

    /// Opens a database that must already exist (commands that only read results).
    func openExisting() throws -> ResultStore {
        guard FileManager.default.fileExists(atPath: resolvedPath) else {
            throw ValidationError("no results database at \(resolvedPath) (run a sweep, `ladder train` or `ladder import` first, or pass --db)")
        }
        return try open()
    }
}

/// Writes text to a file atomically (temporary file, then rename), or to standard output.
func emit(_ text: String, to path: String?) throws {
    guard let path else {
        FileHandle.standardOutput.write(Data(text.utf8))
        return
    }
    do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw ValidationError("cannot write \(path): \(error.localizedDescription)")
    }
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
