/// Perplexity bucket of a document within the input's perplexity distribution (CCNet).
public enum PerplexityBucket: String, Codable, Sendable, CaseIterable {
    case head, middle, tail
}

/// Perplexity filter (CCNet, Wenzek et al. 2020): a Kneser-Ney n-gram LM trained on `reference`
/// texts scores every document that survived the heuristics and dedup; documents are bucketed by
/// the `headPercentile` / `tailPercentile` perplexity percentiles of the input (low perplexity =
/// head = most like the reference) and only `keep` buckets are kept.
/// Enabled when `reference` is non-empty.
public struct PerplexityFilterOptions: Codable, Sendable, Equatable {
    /// Reference corpus files or folders (read like inputs). Empty: filter disabled.
    public var reference: [String] = []
    public var order = 5
    /// Train the LM on at most this many reference bytes.
    public var maxReferenceBytes = 64 << 20
    public var headPercentile = 33.3
    public var tailPercentile = 66.6
    public var keep: [PerplexityBucket] = [.head, .middle]
    public init() {}
}

/// Classifier filter: a hashed n-gram linear classifier trained on `reference` ("good") text
/// against a sample of the input (after heuristics and dedup); documents with P(good) below
/// `threshold` are dropped. Enabled when `reference` is non-empty.
public struct ClassifierFilterOptions: Codable, Sendable, Equatable {
    public var reference: [String] = []
    public var threshold = 0.5
    /// Input documents sampled (reservoir) as negatives, and reference documents used.
    public var sampleDocuments = 5000
    public var buckets = 1 << 20
    public var ngrams = 2
    public var epochs = 8
    public init() {}
}
