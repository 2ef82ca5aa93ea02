import Foundation

/// What one stage received, kept and dropped.
public struct StageReport: Codable, Sendable {
    public var stage: String
    public var input: Int
    public var kept: Int
    /// Dropped documents by rule.
    public var dropped: [String: Int]
}

/// Everything `ladder data prepare` did; written as report.json and report.md.
public struct PrepareReport: Codable, Sendable {
    public var inputs: [String] = []
    public var files = 0
    public var documentsRead = 0
    public var bytesRead = 0
    public var stages: [StageReport] = []
    /// Drop counts and examples by rule (including bad input).
    public var drops = DropLog()
    /// Lines removed by C4 line rules (documents kept).
    public var lineRemovals: [String: Int] = [:]
    /// Perplexity percentiles used for the buckets (nil when the filter is off).
    public var perplexityHead: Double?
    public var perplexityTail: Double?
    public var classifierPositives = 0
    public var classifierNegatives = 0
    public var tokenizerVocab = 0
    public var tokenizerTrainedOnBytes = 0
    public var train = SplitCounts()
    public var val = SplitCounts()
    public var seconds = 0.0
    public var config = ""

    /// Stage order of drop-reason prefixes.
    static let stageOrder = ["ingest", "normalize", "gopher_repetition", "gopher_quality", "c4", "fineweb", "dedup", "perplexity", "classifier"]

    mutating func computeStages(ingested: Int) {
        var current = ingested
        stages = []
        for s in Self.stageOrder where s != "ingest" {
            let d = drops.counts.filter { $0.key.hasPrefix(s + ".") }
            let n = d.values.reduce(0, +)
            stages.append(StageReport(stage: s, input: current, kept: current - n, dropped: d))
            current -= n
        }
    }

    public func markdown() -> String {
        var o = "# Data preparation report\n\n"
        o += "Inputs: \(inputs.joined(separator: ", "))  \n"
        o += "Files: \(files), documents read: \(documentsRead), bytes read: \(bytesRead), time: \(String(format: "%.1f", seconds)) s\n\n"
        let bad = drops.counts.filter { $0.key.hasPrefix("ingest.") }
        o += "## Bad input\n\n"
        if bad.isEmpty { o += "None.\n\n" } else {
            for (k, v) in bad.sorted(by: { $0.key < $1.key }) { o += "- \(k): \(v)\n" }
            o += "\n"
        }
        o += "## Stages\n\n| stage | input | kept | dropped by rule |\n|---|---|---|---|\n"
        for s in stages {
            let d = s.dropped.sorted { $0.value > $1.value }.map { "\($0.key.split(separator: ".", maxSplits: 1).last ?? "") \($0.value)" }.joined(separator: ", ")
            o += "| \(s.stage) | \(s.input) | \(s.kept) | \(d) |\n"
        }
        if !lineRemovals.isEmpty {
            o += "\nLines removed inside kept documents: " + lineRemovals.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
        }
        if let h = perplexityHead, let t = perplexityTail {
            o += "\nPerplexity buckets: head <= \(String(format: "%.1f", h)) < middle <= \(String(format: "%.1f", t)) < tail\n"
        }
        if classifierPositives > 0 { o += "\nClassifier trained on \(classifierPositives) reference vs \(classifierNegatives) input documents.\n" }
        o += "\n## Output\n\nTokenizer vocabulary \(tokenizerVocab) (trained on \(tokenizerTrainedOnBytes) bytes).  \n"
        o += "Train: \(train.documents) documents, \(train.tokens) tokens, \(train.bytes) bytes.  \n"
        o += "Validation: \(val.documents) documents, \(val.tokens) tokens, \(val.bytes) bytes.\n\n"
        o += "## Examples of dropped documents\n\n"
        for (k, ex) in drops.examples.sorted(by: { $0.key < $1.key }) {
            o += "### \(k) (\(drops.counts[k] ?? 0))\n\n"
            for e in ex {
                let quoted = e.excerpt.replacingOccurrences(of: "\n", with: " ⏎ ")
                o += "- `\(e.id)`: \(quoted)\n"
            }
            o += "\n"
        }
        return o
    }
}
