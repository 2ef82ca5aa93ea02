/// Gopher quality rules; see `GopherQualityOptions` for the rules and defaults.
/// Drop reasons: "gopher_quality.{too_few_words, too_many_words, mean_word_too_short,
/// mean_word_too_long, too_many_hashes, too_many_ellipses, too_many_bullet_lines,
/// too_many_ellipsis_lines, too_few_alpha_words, too_few_stop_words}".
public struct GopherQualityFilter: Sendable {
    public var options: GopherQualityOptions
    private let stopHashes: Set<UInt64>
    private let maxStopLength: Int

    public init(options: GopherQualityOptions = GopherQualityOptions()) {
        self.options = options
        stopHashes = Set(options.stopWords.map { w in Array(w.utf8).withUnsafeBufferPointer { hashBytes($0.baseAddress!, $0.count) } })
        maxStopLength = options.stopWords.map(\.utf8.count).max() ?? 0
    }

    /// nil = keep, else the rule that failed.
    public func check(_ text: String) -> String? { check(TextStats(text)) }

    func check(_ s: TextStats) -> String? {
        let o = options
        var nonSymbol = 0
        var totalLength = 0
        var alphaWords = 0
        var stop = 0
        s.bytes.withUnsafeBufferPointer { b in
            Pretokenizer.bmpClass.withUnsafeBufferPointer { tb in
                let t = tb.baseAddress!
                for w in s.words {
                    // strip leading/trailing punctuation (scalars that are neither letters, numbers nor spaces)
                    var a = w.lowerBound, e = w.upperBound
                    while a < e {
                        let (c, l) = Pretokenizer.classAt(b, a, t)
                        if c != Pretokenizer.other { break }
                        a += l
                    }
                    while e > a {
                        var st = e - 1
                        while st > a && b[st] & 0xC0 == 0x80 { st -= 1 }
                        let (c, _) = Pretokenizer.classAt(b, st, t)
                        if c != Pretokenizer.other { break }
                        e = st
                    }
                    if a == e { continue } // symbol word
                    nonSymbol += 1
                    totalLength += e - a
                    var i = a
                    while i < e {
                        let (c, l) = Pretokenizer.classAt(b, i, t)
                        if c == Pretokenizer.letter { alphaWords += 1; break }
                        i += l
                    }
                    if e - a <= maxStopLength && stopHashes.contains(hashBytes(b.baseAddress! + a, e - a)) { stop += 1 }
                }
            }
        }
        if nonSymbol < o.minWords { return "gopher_quality.too_few_words" }
        if nonSymbol > o.maxWords { return "gopher_quality.too_many_words" }
        let mean = Double(totalLength) / Double(nonSymbol)
        if mean < o.minMeanWordLength { return "gopher_quality.mean_word_too_short" }
        if mean > o.maxMeanWordLength { return "gopher_quality.mean_word_too_long" }
        let hashes = s.bytes.reduce(0) { $0 + ($1 == 0x23 ? 1 : 0) }
        if Double(hashes) / Double(nonSymbol) > o.maxSymbolWordRatio { return "gopher_quality.too_many_hashes" }
        let ellipses = s.occurrences(of: Array("...".utf8)) + s.occurrences(of: Array("…".utf8))
        if Double(ellipses) / Double(nonSymbol) > o.maxSymbolWordRatio { return "gopher_quality.too_many_ellipses" }
        var bullets = 0, ellipsisLines = 0
        let bullet = Array("•".utf8), dots = Array("...".utf8), hell = Array("…".utf8)
        var nLines = s.lines.count
        if let last = s.lines.last, last.isEmpty, nLines > 1 { nLines -= 1 } // splitlines() drops a trailing empty line
        for r in s.lines.prefix(nLines) {
            let t = s.trimmed(r)
            if s.hasPrefix(t, bullet) { bullets += 1 }
            if s.hasSuffix(t, dots) || s.hasSuffix(t, hell) { ellipsisLines += 1 }
        }
        if Double(bullets) / Double(nLines) > o.maxBulletLineRatio { return "gopher_quality.too_many_bullet_lines" }
        if Double(ellipsisLines) / Double(nLines) > o.maxEllipsisLineRatio { return "gopher_quality.too_many_ellipsis_lines" }
        if Double(alphaWords) / Double(nonSymbol) < o.minAlphaWordRatio { return "gopher_quality.too_few_alpha_words" }
        if stop < o.minStopWords { return "gopher_quality.too_few_stop_words" }
        return nil
    }
}
