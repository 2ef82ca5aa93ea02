/// A dropped (or repaired) document's identity and the start of its text.
public struct DropExample: Codable, Equatable, Sendable {
    public var id: String
    public var excerpt: String
}

/// Counts of documents by reason (e.g. "ingest.invalid_utf8", "gopher_quality.word_count"),
/// with the first few examples of each. Merging two logs adds counts and keeps examples.
public struct DropLog: Codable, Sendable {
    public private(set) var counts: [String: Int] = [:]
    public private(set) var examples: [String: [DropExample]] = [:]
    public var maxExamples: Int
    public var excerptCharacters: Int

    public init(maxExamples: Int = 3, excerptCharacters: Int = 240) {
        self.maxExamples = maxExamples
        self.excerptCharacters = excerptCharacters
    }

    public mutating func record(_ reason: String, id: String, text: Substring) {
        counts[reason, default: 0] += 1
        if examples[reason, default: []].count < maxExamples {
            examples[reason, default: []].append(DropExample(id: id, excerpt: excerpt(text)))
        }
    }

    public mutating func record(_ reason: String, id: String, text: String) { record(reason, id: id, text: text[...]) }

    public var total: Int { counts.values.reduce(0, +) }

    public mutating func merge(_ o: DropLog) {
        for (k, v) in o.counts { counts[k, default: 0] += v }
        for (k, ex) in o.examples {
            var cur = examples[k, default: []]
            for e in ex where cur.count < maxExamples { cur.append(e) }
            examples[k] = cur
        }
    }

    private func excerpt(_ t: Substring) -> String {
        var s = String(t.prefix(excerptCharacters))
        if t.count > excerptCharacters { s += "…" }
        return s
    }
}
