/// Gopher repetition rules; see `GopherRepetitionOptions`. Drop reasons:
/// "gopher_repetition.{dup_para_frac, dup_para_char_frac, dup_line_frac, dup_line_char_frac,
/// top_<n>_gram, dup_<n>_grams}".
///
/// Reference implementation (naive, strings and dictionaries) in `checkReference`; the fast path
/// hashes words once and n-grams incrementally with reusable generation-cleared hash sets.
public struct GopherRepetitionFilter {
    public var options: GopherRepetitionOptions
    private var set = HashCounter()
    private var seen = HashCounter()

    public init(options: GopherRepetitionOptions = GopherRepetitionOptions()) {
        self.options = options
    }

    public mutating func check(_ text: String) -> String? { check(TextStats(text)) }

    @inline(__always) static func mix(_ h: UInt64, _ w: UInt64) -> UInt64 {
        var x = (h ^ w) &* 0x9E37_79B9_7F4A_7C15
        x ^= x >> 32
        return (x &+ w) &* 0xD6E8_FEB8_6659_FD93
    }

    mutating func check(_ s: TextStats) -> String? {
        let o = options
        let total = Double(max(s.count, 1))
        // paragraphs: text.strip() split on \n{2,}
        var paras: [Range<Int>] = []
        var lines: [Range<Int>] = []
        var start = -1
        var blankRun = 0
        var lastNonBlank = -1
        for (i, r) in s.lines.enumerated() {
            if r.isEmpty {
                blankRun += 1
                continue
            }
            lines.append(r)
            if start < 0 { start = i } else if blankRun > 0 {
                paras.append(s.lines[start].lowerBound ..< s.lines[lastNonBlank].upperBound)
                start = i
            }
            blankRun = 0
            lastNonBlank = i
        }
        if start >= 0 { paras.append(s.lines[start].lowerBound ..< s.lines[lastNonBlank].upperBound) }
        if !paras.isEmpty {
            let (dups, chars) = duplicates(s, paras)
            if Double(dups) / Double(paras.count) > o.maxDuplicateParagraphFraction { return "gopher_repetition.dup_para_frac" }
            if Double(chars) / total > o.maxDuplicateParagraphCharFraction { return "gopher_repetition.dup_para_char_frac" }
        }
        if !lines.isEmpty {
            let (dups, chars) = duplicates(s, lines)
            if Double(dups) / Double(lines.count) > o.maxDuplicateLineFraction { return "gopher_repetition.dup_line_frac" }
            if Double(chars) / total > o.maxDuplicateLineCharFraction { return "gopher_repetition.dup_line_char_frac" }
        }
        let w = s.words.count
        var prefixLen = [Int](repeating: 0, count: w + 1)
        for i in 0 ..< w { prefixLen[i + 1] = prefixLen[i] + s.words[i].count }
        let maxN = max(o.topNGrams.map(\.n).max() ?? 0, o.duplicateNGrams.map(\.n).max() ?? 0)
        // h[i] = hash of the n-gram starting at word i, extended one word per round.
        // multi[i] = the n-gram at i occurs more than once. An (n+1)-gram can only repeat where its
        // n-gram prefix repeats, so counting and the duplicate scan only probe the hash set at
        // `multi` positions; the others are unique and cannot match anything.
        var h = s.wordHashes
        var multi = [Bool](repeating: true, count: w)
        var anyMulti = true
        var n = 1
        while n < maxN {
            n += 1
            if w < n { break }
            let count = w - n + 1
            // only positions whose shorter n-gram repeats can repeat; the others are never probed
            if anyMulti { for i in 0 ..< count where multi[i] { h[i] = Self.mix(h[i], s.wordHashes[i + n - 1]) } }
            // one pass: count the candidate n-grams, mark repeated ones (and their first
            // occurrence), and track the most frequent (ties: earliest first occurrence, as
            // Counter.most_common)
            var best: Int32 = 1
            var bestAt = 0
            if anyMulti {
                set.reset(expected: count)
                anyMulti = false
                for i in 0 ..< count where multi[i] {
                    let (c, first) = set.add(h[i], at: Int32(i))
                    if c == 1 {
                        multi[i] = false
                    } else {
                        anyMulti = true
                        if c == 2 { multi[Int(first)] = true }
                        if c > best || (c == best && Int(first) < bestAt) { best = c; bestAt = Int(first) }
                    }
                }
            }
            multi[count] = false // position past the last n-gram
            if let t = o.topNGrams.first(where: { $0.n == n }) {
                let len = prefixLen[bestAt + n] - prefixLen[bestAt] + (n - 1)
                if Double(len) * Double(best) / total > t.fraction { return "gopher_repetition.top_\(n)_gram" }
            }
            if let t = o.duplicateNGrams.first(where: { $0.n == n }), anyMulti {
                seen.reset(expected: count)
                var repeated = 0
                var i = 0
                while i < count {
                    if multi[i] {
                        if seen.add(h[i]) > 1 {
                            repeated += prefixLen[i + n] - prefixLen[i]
                            i += n
                            continue
                        }
                    }
                    i += 1
                }
                if Double(repeated) / total > t.fraction { return "gopher_repetition.dup_\(n)_grams" }
            }
        }
        return nil
    }

    private mutating func duplicates(_ s: TextStats, _ parts: [Range<Int>]) -> (Int, Int) {
        set.reset(expected: parts.count)
        var dups = 0, chars = 0
        for r in parts where set.add(s.hash(r)) > 1 {
            dups += 1
            chars += r.count
        }
        return (dups, chars)
    }

    /// Naive reference of the same rules with strings and dictionaries (for tests).
    public static func checkReference(_ text: String, _ o: GopherRepetitionOptions) -> String? {
        let total = Double(max(text.utf8.count, 1))
        func dup(_ xs: [Substring]) -> (Int, Int) {
            var seen = Set<Substring>()
            var d = 0, c = 0
            for x in xs { if !seen.insert(x).inserted { d += 1; c += x.utf8.count } }
            return (d, c)
        }
        var paras: [Substring] = []
        var cur: [Substring] = []
        for l in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if l.isEmpty {
                if !cur.isEmpty { paras.append(Substring(cur.joined(separator: "\n"))); cur = [] }
            } else { cur.append(l) }
        }
        if !cur.isEmpty { paras.append(Substring(cur.joined(separator: "\n"))) }
        if !paras.isEmpty {
            let (d, c) = dup(paras)
            if Double(d) / Double(paras.count) > o.maxDuplicateParagraphFraction { return "gopher_repetition.dup_para_frac" }
            if Double(c) / total > o.maxDuplicateParagraphCharFraction { return "gopher_repetition.dup_para_char_frac" }
        }
        let lines = text.split(separator: "\n")
        if !lines.isEmpty {
            let (d, c) = dup(lines)
            if Double(d) / Double(lines.count) > o.maxDuplicateLineFraction { return "gopher_repetition.dup_line_frac" }
            if Double(c) / total > o.maxDuplicateLineCharFraction { return "gopher_repetition.dup_line_char_frac" }
        }
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" })
        let maxN = max(o.topNGrams.map(\.n).max() ?? 0, o.duplicateNGrams.map(\.n).max() ?? 0)
        if maxN >= 2 {
            for n in 2 ... maxN where words.count >= n {
                let grams = (0 ... words.count - n).map { words[$0 ..< $0 + n].joined(separator: " ") }
                if let t = o.topNGrams.first(where: { $0.n == n }) {
                    // Counter.most_common(1): highest count, ties to the earliest first occurrence
                    var counts: [String: Int] = [:]
                    for g in grams { counts[g, default: 0] += 1 }
                    let best = counts.values.max() ?? 0
                    let bestGram = grams.first { counts[$0] == best } ?? ""
                    if Double(bestGram.utf8.count * best) / total > t.fraction { return "gopher_repetition.top_\(n)_gram" }
                }
                if let t = o.duplicateNGrams.first(where: { $0.n == n }) {
                    var seen = Set<String>()
                    var rep = 0, i = 0
                    while i < grams.count {
                        if !seen.insert(grams[i]).inserted {
                            rep += words[i ..< i + n].reduce(0) { $0 + $1.utf8.count }
                            i += n
                        } else { i += 1 }
                    }
                    if Double(rep) / total > t.fraction { return "gopher_repetition.dup_\(n)_grams" }
                }
            }
        }
        return nil
    }
}
