import Foundation

/// Locates the shared benchmark corpora: --corpora, else $LADDER_CORPORA, else ../shared/corpora
/// or ./shared/corpora relative to the working directory.
enum CorporaLocator {
    static func directory(_ explicit: String?) throws -> URL {
        var candidates: [String] = []
        if let e = explicit { candidates.append(e) }
        if let env = ProcessInfo.processInfo.environment["LADDER_CORPORA"] { candidates.append(env) }
        candidates += ["../shared/corpora", "shared/corpora", "../../shared/corpora"]
        for c in candidates {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: c, isDirectory: &isDir), isDir.boolValue {
                return URL(fileURLWithPath: c).standardizedFileURL
            }
        }
        throw CorporaError("corpora folder not found (tried \(candidates.joined(separator: ", "))); pass --corpora DIR or set LADDER_CORPORA")
    }

    /// The English prose files (about 25 MB): Austen's six novels, WEB, KJV, Treasury of David.
    static func proseFiles(_ dir: URL) -> [URL] {
        let names = (0 ..< 6).map { "austen/book\($0).txt" } + ["web.txt", "kjv.txt", "tdavid.txt"]
        return names.map { dir.appendingPathComponent($0) }.filter { FileManager.default.fileExists(atPath: $0.path) }
    }
}

struct CorporaError: Error, CustomStringConvertible {
    var description: String
    init(_ m: String) { description = m }
}
