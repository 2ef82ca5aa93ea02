/// What to do with a document whose bytes are not valid UTF-8 (counted either way).
public enum InvalidUTF8Policy: String, Codable, Sendable {
    /// Replace invalid sequences with U+FFFD and keep the document.
    case replace
    /// Drop the document.
    case drop
}

/// Reading options. Every field has a default; a config file may set any subset.
public struct IngestOptions: Codable, Sendable, Equatable {
    /// Separator splitting text files into documents (e.g. "\n\n\n"); nil: one document per file.
    public var separator: String? = nil
    /// Field holding the text in JSONL records.
    public var textField = "text"
    /// Documents (or JSONL lines) longer than this are dropped as "ingest.oversized_document"
    /// without being held in memory beyond this size.
    public var maxDocumentBytes = 16 << 20
    public var invalidUtf8 = InvalidUTF8Policy.replace
    /// File extensions read when walking folders (also with a ".gz" suffix). JSONL: "jsonl", "ndjson".
    public var extensions = ["txt", "text", "md", "rst", "jsonl", "ndjson"]
    /// Read chunk size.
    public var chunkBytes = 1 << 20

    public init() {}
}
