import ArgumentParser
import Foundation

/// Every file a command writes at a path the user names (exports, reports, figures, data prepare
/// outputs) goes through here:
/// - never the results database, its `-wal`, `-shm` or `.lock` files, nor any SQLite database,
///   even with `--force`;
/// - never an existing file unless `force` (or `replaceable` recognizes it as this command's own
///   earlier output);
/// - written to a temporary file in the same folder, then renamed over the target, so a crash
///   leaves the old file or the new one, never half of one.
enum OutputFile {
    /// Throws when writing `path` is not allowed; `database` is the results database's path.
    static func check(_ path: String, force: Bool, database: String?, option: String = "--out",
                      replaceable: ((Data) -> Bool)? = nil) throws {
        let target = resolved(path)
        if let database {
            let db = resolved(database)
            for protected in [db, db + "-wal", db + "-shm", db + "-journal", db + ".lock"] where protected == target {
                throw ValidationError("\(option) \(path) is the results database (\(database)) or one of its files; refusing to write over it. Choose another file.")
            }
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        if isDirectory.boolValue { throw ValidationError("\(option) \(path) is a folder; give a file name") }
        let head = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: path)))
            .flatMap { handle -> Data? in defer { try? handle.close() }; return try? handle.read(upToCount: 4096) } ?? Data()
        if head.starts(with: Array("SQLite format 3\u{0}".utf8)) {
            throw ValidationError("\(option) \(path) is a SQLite database; refusing to write over it (even with --force). Choose another file.")
        }
        if force { return }
        if let replaceable, replaceable(head) { return }
        throw ValidationError("\(option) \(path) already exists; pass --force to replace it, or choose another file. Nothing was written.")
    }

    /// Checks `path`, then writes `data` to a temporary file beside it and renames it into place.
    static func write(_ data: Data, to path: String, force: Bool, database: String?, option: String = "--out",
                      replaceable: ((Data) -> Bool)? = nil) throws {
        try check(path, force: force, database: database, option: option, replaceable: replaceable)
        try writeAtomically(data, to: path)
    }

    /// Temporary file in the target's folder (same file system), flushed, then `rename`d.
    static func writeAtomically(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        let tmp = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            guard FileManager.default.createFile(atPath: tmp.path, contents: nil) else {
                throw ValidationError("cannot write \(path): cannot create \(tmp.path)")
            }
            let handle = try FileHandle(forWritingTo: tmp)
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
            guard rename(tmp.path, path) == 0 else {
                throw ValidationError("cannot write \(path): rename failed (errno \(errno))")
            }
        } catch let error as ValidationError {
            try? FileManager.default.removeItem(at: tmp)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw ValidationError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// The absolute path with symbolic links resolved (of the folder, when the file is absent).
    static func resolved(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        if FileManager.default.fileExists(atPath: url.path) { return url.resolvingSymlinksInPath().path }
        return url.deletingLastPathComponent().resolvingSymlinksInPath().appendingPathComponent(url.lastPathComponent).path
    }
}
