import Foundation

/// A stream of bytes read in chunks: a plain file, or a gzip file decompressed by a
/// `/usr/bin/gzip -dc` subprocess (no zlib binding needed; memory stays at one chunk).
final class ByteSource {
    private let handle: FileHandle
    private let process: Process?
    private let stderrPipe: Pipe?
    let path: String
    let chunkBytes: Int

    init(path: String, chunkBytes: Int = 1 << 20) throws {
        self.path = path
        self.chunkBytes = chunkBytes
        if path.hasSuffix(".gz") {
            let gzip = ["/usr/bin/gzip", "/bin/gzip"].first { FileManager.default.isExecutableFile(atPath: $0) }
            guard let g = gzip else { throw IngestError.unreadable(path, "gzip input needs /usr/bin/gzip, which was not found") }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: g)
            p.arguments = ["-dc", path]
            let out = Pipe()
            let err = Pipe()
            p.standardOutput = out
            p.standardError = err
            do { try p.run() } catch { throw IngestError.unreadable(path, "cannot start gzip: \(error)") }
            handle = out.fileHandleForReading
            process = p
            stderrPipe = err
        } else {
            guard let h = FileHandle(forReadingAtPath: path) else { throw IngestError.unreadable(path, "cannot open for reading") }
            handle = h
            process = nil
            stderrPipe = nil
        }
    }

    /// Next chunk, or nil at the end.
    func next() throws -> [UInt8]? {
        let d: Data?
        do { d = try handle.read(upToCount: chunkBytes) } catch { throw IngestError.unreadable(path, "\(error)") }
        guard let data = d, !data.isEmpty else { return nil }
        return [UInt8](data)
    }

    /// Waits for gzip (if any) and reports its failure.
    func finish() throws {
        try? handle.close()
        if let p = process {
            p.waitUntilExit()
            if p.terminationStatus != 0 {
                let msg = stderrPipe.map { String(decoding: $0.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) } ?? ""
                throw IngestError.unreadable(path, "gzip failed (exit \(p.terminationStatus)): \(msg.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
        }
    }
}

public enum IngestError: Error, CustomStringConvertible {
    case unreadable(String, String)
    case notFound(String)

    public var description: String {
        switch self {
        case let .unreadable(p, m): return "cannot read \(p): \(m)"
        case let .notFound(p): return "input \(p) does not exist"
        }
    }
}
