/// FineWeb's extra rules; see `FineWebOptions`. Drop reasons: "fineweb.empty",
/// "fineweb.line_punctuation_ratio", "fineweb.short_line_ratio", "fineweb.duplicate_line_chars",
/// "fineweb.list_ratio". Lines are the non-empty lines of the text.
public struct FineWebFilter {
    public var options: FineWebOptions
    private let terminals: [[UInt8]]
    private var set = HashCounter()

    public init(options: FineWebOptions = FineWebOptions()) {
        self.options = options
        terminals = options.terminalPunctuation.map { Array($0.utf8) }.filter { !$0.isEmpty }
    }

    public mutating func check(_ text: String) -> String? { check(TextStats(text, hashWords: false)) }

    mutating func check(_ s: TextStats) -> String? {
        let o = options
        let lines = s.lines.filter { !s.trimmed($0).isEmpty }
        if lines.isEmpty { return "fineweb.empty" }
        let n = Double(lines.count)
        var punct = 0, short = 0
        for r in lines {
            if terminals.contains(where: { s.hasSuffix(r, $0) }) { punct += 1 }
            if r.count <= o.shortLineLength { short += 1 }
        }
        if Double(punct) / n < o.minLinePunctuationRatio { return "fineweb.line_punctuation_ratio" }
        if Double(short) / n > o.maxShortLineRatio { return "fineweb.short_line_ratio" }
        set.reset(expected: lines.count)
        var dupChars = 0
        for r in lines where set.add(s.hash(r)) > 1 { dupChars += r.count }
        let newlines = s.lines.count - 1
        let nonNewline = max(s.count - newlines, 1)
        if Double(dupChars) / Double(nonNewline) > o.maxDuplicateLineCharRatio { return "fineweb.duplicate_line_chars" }
        if Double(newlines) / Double(max(s.words.count, 1)) > o.maxNewlineWordRatio { return "fineweb.list_ratio" }
        return nil
    }
}
