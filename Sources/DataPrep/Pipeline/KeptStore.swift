import Foundation

/// Temporary on-disk store of the documents kept by the first pass, so later passes (perplexity
/// buckets, classifier, tokenizer training, encoding) stream them without holding them in memory.
/// Record: UInt32 id length, UInt32 text length, Float64 perplexity, id bytes, text bytes.
final class KeptStoreWriter {
    let url: URL
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private(set) var count = 0

    init(url: URL) throws {
        self.url = url
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw ShardError.io("cannot create \(url.path)") }
        handle = try FileHandle(forWritingTo: url)
    }

    func append(id: String, text: String, perplexity: Double) throws {
        let idb = Array(id.utf8)
        withUnsafeBytes(of: UInt32(idb.count).littleEndian) { buffer += $0 }
        withUnsafeBytes(of: UInt32(text.utf8.count).littleEndian) { buffer += $0 }
        withUnsafeBytes(of: perplexity.bitPattern.littleEndian) { buffer += $0 }
        buffer += idb
        buffer += text.utf8
        count += 1
        if buffer.count >= 1 << 22 { try flush() }
    }

    private func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        try handle.close()
    }
}

enum KeptStoreReader {
    /// Streams the records in order: (index, id, text, perplexity).
    static func forEach(_ url: URL, _ body: (Int, String, String, Double) throws -> Void) throws {
        guard let h = FileHandle(forReadingAtPath: url.path) else { throw ShardError.io("cannot open \(url.path)") }
        defer { try? h.close() }
        var buf: [UInt8] = []
        var start = 0
        var index = 0
        var eof = false
        while true {
            // parse complete records
            while buf.count - start >= 16 {
                let (il, tl, pb) = buf.withUnsafeBytes { r -> (Int, Int, UInt64) in
                    (Int(UInt32(littleEndian: r.loadUnaligned(fromByteOffset: start, as: UInt32.self))),
                     Int(UInt32(littleEndian: r.loadUnaligned(fromByteOffset: start + 4, as: UInt32.self))),
                     UInt64(littleEndian: r.loadUnaligned(fromByteOffset: start + 8, as: UInt64.self)))
                }
                guard buf.count - start >= 16 + il + tl else { break }
                let id = String(decoding: buf[(start + 16) ..< (start + 16 + il)], as: UTF8.self)
                let text = String(decoding: buf[(start + 16 + il) ..< (start + 16 + il + tl)], as: UTF8.self)
                try body(index, id, text, Double(bitPattern: pb))
                index += 1
                start += 16 + il + tl
            }
            if eof { break }
            if start > 0 { buf.removeFirst(start); start = 0 }
            guard let d = try h.read(upToCount: 1 << 22), !d.isEmpty else { eof = true; continue }
            buf += d
        }
    }
}
