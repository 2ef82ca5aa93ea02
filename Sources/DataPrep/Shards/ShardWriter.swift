import Foundation

/// Writes documents' tokens into numbered shard files `<prefix>_000000.tok`, ... of at most
/// `maxTokensPerShard` tokens each (a document is never split across shards unless it alone
/// exceeds the limit). Streaming: holds at most one write buffer in memory.
public final class ShardWriter {
    public let directory: URL
    public let prefix: String
    public let tokenWidth: Int
    public let maxTokensPerShard: Int
    /// Appended after each document when non-nil.
    public let endOfText: UInt32?
    public private(set) var shards: [ShardInfo] = []

    private var handle: FileHandle?
    private var currentURL: URL?
    private var currentTokens = 0
    private var currentDocs = 0
    private var buffer: [UInt8] = []
    private let flushBytes = 1 << 20

    public init(directory: URL, prefix: String, vocabSize: Int, endOfText: UInt32?, maxTokensPerShard: Int = 1 << 26) {
        precondition(maxTokensPerShard > 0)
        self.directory = directory
        self.prefix = prefix
        self.tokenWidth = TokenShardFormat.width(forVocabSize: vocabSize)
        self.maxTokensPerShard = maxTokensPerShard
        self.endOfText = endOfText
    }

    /// Appends one document (plus the end-of-text token).
    public func append(document tokens: [UInt32]) throws {
        let n = tokens.count + (endOfText == nil ? 0 : 1)
        if handle == nil || (currentTokens > 0 && currentTokens + n > maxTokensPerShard) { try startShard() }
        for t in tokens { try put(t) }
        if let e = endOfText { try put(e) }
        currentTokens += n
        currentDocs += 1
        if buffer.count >= flushBytes { try flush() }
    }

    @inline(__always) private func put(_ t: UInt32) throws {
        if tokenWidth == 2 {
            guard t <= 0xFFFF else { throw ShardError.tokenTooLarge(t, width: 2) }
            buffer.append(UInt8(t & 0xFF)); buffer.append(UInt8(t >> 8))
        } else {
            withUnsafeBytes(of: t.littleEndian) { buffer.append(contentsOf: $0) }
        }
    }

    private func flush() throws {
        guard let h = handle, !buffer.isEmpty else { return }
        try h.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func header(tokens: Int, docs: Int) -> [UInt8] {
        var h = TokenShardFormat.magic
        withUnsafeBytes(of: TokenShardFormat.version.littleEndian) { h += $0 }
        withUnsafeBytes(of: UInt32(tokenWidth).littleEndian) { h += $0 }
        withUnsafeBytes(of: UInt64(tokens).littleEndian) { h += $0 }
        withUnsafeBytes(of: UInt64(docs).littleEndian) { h += $0 }
        return h
    }

    private func startShard() throws {
        try finishShard()
        let name = String(format: "%@_%06d.tok", prefix, shards.count)
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: url.path, contents: Data(header(tokens: 0, docs: 0))) else {
            throw ShardError.io("cannot create \(url.path)")
        }
        handle = try FileHandle(forWritingTo: url)
        try handle!.seekToEnd()
        currentURL = url
        currentTokens = 0
        currentDocs = 0
    }

    private func finishShard() throws {
        guard let h = handle, let url = currentURL else { return }
        try flush()
        try h.seek(toOffset: 0)
        try h.write(contentsOf: header(tokens: currentTokens, docs: currentDocs))
        try h.close()
        shards.append(ShardInfo(file: url.lastPathComponent, split: prefix, tokens: currentTokens, documents: currentDocs))
        handle = nil
        currentURL = nil
    }

    /// Finishes the last shard (patching its header) and returns all shards written.
    @discardableResult
    public func close() throws -> [ShardInfo] {
        try finishShard()
        return shards
    }
}
