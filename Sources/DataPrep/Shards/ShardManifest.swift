import Foundation

/// One shard file in a manifest.
public struct ShardInfo: Codable, Equatable, Sendable {
    public var file: String
    /// "train" or "val".
    public var split: String
    public var tokens: Int
    public var documents: Int
    public init(file: String, split: String, tokens: Int, documents: Int) {
        self.file = file
        self.split = split
        self.tokens = tokens
        self.documents = documents
    }
}

/// Per-split totals.
public struct SplitCounts: Codable, Equatable, Sendable {
    public var documents = 0
    public var tokens = 0
    public var bytes = 0
    public init() {}
}

/// `manifest.json` written by `ladder data prepare` next to the shards and `tokenizer.json`.
public struct ShardManifest: Codable, Sendable {
    public var format = "ladder-token-shards"
    public var version = 1
    /// Tokenizer file name, relative to the manifest's folder.
    public var tokenizer = "tokenizer.json"
    public var vocabSize: Int
    /// 2 (UInt16) or 4 (UInt32).
    public var tokenWidth: Int
    /// End-of-text token appended after every document, if any.
    public var endOfText: UInt32?
    public var valFraction: Double
    /// Documents and bytes read from the input, and kept after filtering and dedup.
    public var inputDocuments = 0
    public var inputBytes = 0
    public var keptDocuments = 0
    public var keptBytes = 0
    public var train = SplitCounts()
    public var val = SplitCounts()
    /// Documents dropped, by reason (filter rule, dedup, bad input).
    public var dropped: [String: Int] = [:]
    public var shards: [ShardInfo] = []

    public init(vocabSize: Int, endOfText: UInt32?, valFraction: Double) {
        self.vocabSize = vocabSize
        self.tokenWidth = TokenShardFormat.width(forVocabSize: vocabSize)
        self.endOfText = endOfText
        self.valFraction = valFraction
    }

    enum CodingKeys: String, CodingKey {
        case format, version, tokenizer, vocabSize = "vocab_size", tokenWidth = "token_width", endOfText = "end_of_text"
        case valFraction = "val_fraction", inputDocuments = "input_documents", inputBytes = "input_bytes"
        case keptDocuments = "kept_documents", keptBytes = "kept_bytes", train, val, dropped, shards
    }

    public static let fileName = "manifest.json"

    public static func load(from directory: URL) throws -> ShardManifest {
        let url = directory.appendingPathComponent(fileName)
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw ShardError.io("cannot read \(url.path): \(error)") }
        return try parse(data, path: url.path)
    }

    /// Decodes and checks a manifest: sizes in range, shard and tokenizer names plain file names
    /// in the manifest's folder (a manifest must not make the reader open files elsewhere).
    public static func parse(_ data: Data, path: String) throws -> ShardManifest {
        let m: ShardManifest
        do { m = try JSONDecoder().decode(ShardManifest.self, from: data) } catch {
            throw ShardError.io("cannot read \(path): \(error)")
        }
        func fail(_ message: String) -> ShardError { ShardError.io("\(path): \(message)") }
        if !(2...(1 << 24)).contains(m.vocabSize) { throw fail("vocab_size must be in 2...\(1 << 24), got \(m.vocabSize)") }
        if m.tokenWidth != 2 && m.tokenWidth != 4 { throw fail("token_width must be 2 or 4, got \(m.tokenWidth)") }
        if m.tokenWidth == 2 && m.vocabSize > 1 << 16 { throw fail("token_width 2 cannot hold vocab_size \(m.vocabSize)") }
        if let e = m.endOfText, Int(e) >= m.vocabSize { throw fail("end_of_text \(e) is not below vocab_size \(m.vocabSize)") }
        func plainName(_ name: String) -> Bool {
            !name.isEmpty && !name.hasPrefix(".") && !name.contains("/") && !name.contains("\\") && !name.contains("\u{0}")
        }
        if !plainName(m.tokenizer) { throw fail("tokenizer must be a file name in the manifest's folder, got '\(m.tokenizer)'") }
        for shard in m.shards {
            if !plainName(shard.file) { throw fail("shard file must be a file name in the manifest's folder, got '\(shard.file)'") }
            if shard.tokens < 0 || shard.documents < 0 { throw fail("shard \(shard.file) has negative counts") }
        }
        for counts in [m.train, m.val] where counts.tokens < 0 || counts.documents < 0 || counts.bytes < 0 {
            throw fail("split counts must be >= 0")
        }
        return m
    }

    public func save(to directory: URL) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        try e.encode(self).write(to: directory.appendingPathComponent(Self.fileName), options: .atomic)
    }

    /// Opens the shards of one split ("train" or "val") in order.
    public func openShards(split: String, in directory: URL) throws -> [TokenShard] {
        try shards.filter { $0.split == split }.map { try TokenShard(contentsOf: directory.appendingPathComponent($0.file)) }
    }
}
