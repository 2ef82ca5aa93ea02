import Foundation

/// Streams documents from text files, folders and JSONL files (each optionally gzipped).
///
/// Memory is bounded by `maxDocumentBytes` + one read chunk, whatever the corpus size: a document
/// (or JSONL line) that grows past the limit is counted as oversized and skipped to its end.
/// Bad input never stops the run: unreadable files, invalid UTF-8, malformed JSON lines, records
/// without the text field, empty and oversized documents are each counted in `log` with examples.
public final class DocumentReader {
    public let options: IngestOptions
    public private(set) var log = DropLog()
    public private(set) var documentsRead = 0
    public private(set) var bytesRead = 0
    public private(set) var filesRead = 0

    public init(options: IngestOptions = IngestOptions()) {
        self.options = options
    }

    /// Expands folders (recursively, sorted, filtered by extension); files given explicitly are
    /// always kept. Throws if a path does not exist.
    public func expand(_ paths: [String]) throws -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for p in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir) else { throw IngestError.notFound(p) }
            if !isDir.boolValue { out.append(p); continue }
            var found: [String] = []
            if let e = fm.enumerator(atPath: p) {
                for case let rel as String in e {
                    let full = (p as NSString).appendingPathComponent(rel)
                    var d: ObjCBool = false
                    if fm.fileExists(atPath: full, isDirectory: &d), !d.boolValue, hasKnownExtension(rel) { found.append(full) }
                }
            }
            out += found.sorted()
        }
        return out
    }

    private func hasKnownExtension(_ p: String) -> Bool {
        var name = p.lowercased()
        if name.hasSuffix(".gz") { name = String(name.dropLast(3)) }
        return options.extensions.contains { name.hasSuffix("." + $0.lowercased()) }
    }

    static func isJSONL(_ p: String) -> Bool {
        var name = p.lowercased()
        if name.hasSuffix(".gz") { name = String(name.dropLast(3)) }
        return name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson")
    }

    /// Calls `body` for every document of every input, in order.
    public func read(_ paths: [String], _ body: (Document) throws -> Void) throws {
        for path in try expand(paths) {
            try readFile(path, body)
        }
    }

    private func readFile(_ path: String, _ body: (Document) throws -> Void) throws {
        let jsonl = Self.isJSONL(path)
        let sep: [UInt8]? = jsonl ? [0x0A] : options.separator.map { Array($0.utf8) }.flatMap { $0.isEmpty ? nil : $0 }
        let src: ByteSource
        do { src = try ByteSource(path: path, chunkBytes: options.chunkBytes) } catch {
            log.record("ingest.unreadable_file", id: path, text: "\(error)")
            return
        }
        filesRead += 1
        var piece = 0
        var emitError: Error?
        func emit(_ bytes: UnsafeBufferPointer<UInt8>, _ wholeFile: Bool) {
            if emitError != nil { return }
            piece += 1
            do {
                if jsonl {
                    try self.jsonLine(bytes, path: path, line: piece, body)
                } else {
                    try self.textDoc(bytes, id: wholeFile ? path : "\(path)#\(piece)", body)
                }
            } catch { emitError = error }
        }
        var buf: [UInt8] = []
        var start = 0
        var skipping = false
        var fileBytes = 0
        do {
            while let chunk = try src.next() {
                bytesRead += chunk.count
                fileBytes += chunk.count
                let searchFrom = max(start, buf.count - (sep?.count ?? 1) + 1)
                buf.append(contentsOf: chunk)
                if let sep = sep {
                    var i = searchFrom
                    buf.withUnsafeBufferPointer { b in
                        let n = b.count, m = sep.count
                        while i + m <= n {
                            if b[i] == sep[0] {
                                var ok = true
                                for k in 1 ..< m where b[i + k] != sep[k] { ok = false; break }
                                if ok {
                                    if skipping { skipping = false } else if i > start {
                                        emit(UnsafeBufferPointer(rebasing: b[start ..< i]), false)
                                    }
                                    i += m
                                    start = i
                                    continue
                                }
                            }
                            i += 1
                        }
                    }
                }
                if let e = emitError { throw e }
                if buf.count - start > options.maxDocumentBytes {
                    if !skipping {
                        let head = buf[start ..< min(buf.count, start + 4096)]
                        log.record("ingest.oversized_document", id: sep == nil ? path : "\(path)#\(piece + 1)",
                                   text: String(decoding: head, as: UTF8.self))
                        piece += 1
                        skipping = true
                    }
                    let keep = (sep?.count ?? 1) - 1
                    start = buf.count - keep
                }
                if start > 0 && start >= buf.count / 2 {
                    buf.removeFirst(start)
                    start = 0
                }
            }
            try src.finish()
        } catch {
            if let e = emitError {
                try? src.finish()
                throw e // an error from `body` stops the run
            }
            log.record("ingest.unreadable_file", id: path, text: "\(error)")
        }
        if !skipping && buf.count > start {
            buf.withUnsafeBufferPointer { emit(UnsafeBufferPointer(rebasing: $0[start...]), sep == nil) }
            if let e = emitError { throw e }
        } else if sep == nil && fileBytes == 0 && !jsonl {
            log.record("ingest.empty_document", id: path, text: "")
        }
    }

    private func decode(_ bytes: UnsafeBufferPointer<UInt8>, id: String) -> String? {
        let (text, valid) = decodeUTF8(bytes)
        if !valid {
            switch options.invalidUtf8 {
            case .replace: log.record("ingest.invalid_utf8_repaired", id: id, text: text)
            case .drop:
                log.record("ingest.invalid_utf8", id: id, text: text)
                return nil
            }
        }
        return text
    }

    private func textDoc(_ bytes: UnsafeBufferPointer<UInt8>, id: String, _ body: (Document) throws -> Void) throws {
        guard let text = decode(bytes, id: id) else { return }
        if text.allSatisfy(\.isWhitespace) {
            if !text.isEmpty || options.separator == nil { log.record("ingest.empty_document", id: id, text: text) }
            return
        }
        documentsRead += 1
        try body(Document(id: id, text: text))
    }

    private func jsonLine(_ bytes: UnsafeBufferPointer<UInt8>, path: String, line: Int, _ body: (Document) throws -> Void) throws {
        let lineId = "\(path):\(line)"
        // blank lines (including a trailing "\r") are not records
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
        guard let text = decode(bytes, id: lineId) else { return }
        let obj: [String: Any]
        do {
            guard let o = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                log.record("ingest.malformed_json", id: lineId, text: text)
                return
            }
            obj = o
        } catch {
            log.record("ingest.malformed_json", id: lineId, text: text)
            return
        }
        guard let t = obj[options.textField] as? String else {
            log.record("ingest.missing_text_field", id: lineId, text: text)
            return
        }
        var id = lineId
        if let s = obj["id"] as? String { id = "\(path):\(s)" } else if let n = obj["id"] as? NSNumber { id = "\(path):\(n)" }
        if t.allSatisfy(\.isWhitespace) {
            log.record("ingest.empty_document", id: id, text: t)
            return
        }
        documentsRead += 1
        try body(Document(id: id, text: t))
    }
}
