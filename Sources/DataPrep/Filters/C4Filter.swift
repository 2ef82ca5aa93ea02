import Foundation

/// C4 rules; see `C4Options`. `apply` returns the cleaned text (kept lines joined by "\n") or the
/// document-level drop reason: "c4.lorem_ipsum", "c4.curly_bracket", "c4.too_few_sentences".
/// Removed lines are counted per rule in `lineCounts` ("c4.lines.too_long_word",
/// "c4.lines.no_terminal_punctuation", "c4.lines.too_few_words", "c4.lines.javascript",
/// "c4.lines.policy").
///
/// Sentences are counted as terminal marks (. ? ! …) followed by a space or the line end
/// (C4 uses NLTK punkt; this counts abbreviations like "Mr." as boundaries).
public struct C4Filter: Sendable {
    public var options: C4Options
    private let terminals: [[UInt8]]
    static let policy = ["terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies"].map { Array($0.utf8) }

    public init(options: C4Options = C4Options()) {
        self.options = options
        terminals = options.terminalPunctuation.map { Array($0.utf8) }.filter { !$0.isEmpty }
    }

    public enum Result: Equatable {
        case keep(String)
        case drop(String)
    }

    public func apply(_ text: String, lineCounts: inout [String: Int]) -> Result {
        let o = options
        var out: [UInt8] = []
        var sentences = 0
        var t = text
        let dropped: String? = t.withUTF8 { src -> String? in
            out.reserveCapacity(src.count)
            var lineStart = 0
            var i = 0
            while i <= src.count {
                if i < src.count && src[i] != 0x0A { i += 1; continue }
                var a = lineStart, e = i
                lineStart = i + 1
                i += 1
                while a < e && (src[a] == 0x20 || src[a] == 0x09 || src[a] == 0x0D) { a += 1 }
                while e > a && (src[e - 1] == 0x20 || src[e - 1] == 0x09 || src[e - 1] == 0x0D) { e -= 1 }
                // words (before citation removal, as the reference does)
                var nWords = 0, longest = 0, cur = 0
                for k in a ..< e {
                    let c = src[k]
                    if c == 0x20 || c == 0x09 {
                        if cur > 0 { nWords += 1; longest = max(longest, cur); cur = 0 }
                    } else { cur += 1 }
                }
                if cur > 0 { nWords += 1; longest = max(longest, cur) }
                if o.maxWordLength >= 0 && longest > o.maxWordLength { lineCounts["c4.lines.too_long_word", default: 0] += 1; continue }
                let line = UnsafeBufferPointer(rebasing: src[a ..< e])
                let hasBracket = o.removeCitations && line.contains(0x5B)
                var cleaned: [UInt8] = []
                if hasBracket {
                    cleaned = Array(line)
                    removeCitations(&cleaned)
                }
                let result = hasBracket
                    ? cleaned.withUnsafeBufferPointer { check($0, nWords, &lineCounts, &sentences) }
                    : check(line, nWords, &lineCounts, &sentences)
                switch result {
                case let .drop(r)?: return r
                case .keep?:
                    if !out.isEmpty { out.append(0x0A) }
                    if hasBracket { out.append(contentsOf: cleaned) } else { out.append(contentsOf: line) }
                case nil: continue
                }
            }
            return nil
        }
        if let d = dropped { return .drop(d) }
        if o.minSentences >= 0 && sentences < o.minSentences { return .drop("c4.too_few_sentences") }
        return .keep(String(decoding: out, as: UTF8.self))
    }

    /// Line rules after citation removal: nil = line removed, .keep = line kept, .drop = document dropped.
    private func check(_ line: UnsafeBufferPointer<UInt8>, _ nWords: Int, _ lineCounts: inout [String: Int], _ sentences: inout Int) -> Result? {
        let o = options
        if o.requireTerminalPunctuation && (!terminals.contains(where: { hasSuffix(line, $0) }) || hasSuffix(line, [0x2E, 0x2E, 0x2E])) {
            lineCounts["c4.lines.no_terminal_punctuation", default: 0] += 1
            return nil
        }
        if o.minWordsPerLine >= 0 && nWords < o.minWordsPerLine { lineCounts["c4.lines.too_few_words", default: 0] += 1; return nil }
        if o.dropLoremIpsum && containsLower(line, Self.lorem) { return .drop("c4.lorem_ipsum") }
        if o.removeJavascriptLines && containsLower(line, Self.javascript) { lineCounts["c4.lines.javascript", default: 0] += 1; return nil }
        if o.dropCurlyBracket && line.contains(0x7B) { return .drop("c4.curly_bracket") }
        if o.removePolicyLines && Self.policy.contains(where: { containsLower(line, $0) }) { lineCounts["c4.lines.policy", default: 0] += 1; return nil }
        sentences += max(1, countSentences(line))
        return .keep("")
    }

    static let lorem = Array("lorem ipsum".utf8)
    static let javascript = Array("javascript".utf8)

    private func hasSuffix(_ l: UnsafeBufferPointer<UInt8>, _ s: [UInt8]) -> Bool {
        guard l.count >= s.count else { return false }
        let off = l.count - s.count
        for k in 0 ..< s.count where l[off + k] != s[k] { return false }
        return true
    }

    /// ASCII case-insensitive containment of a lowercase needle: the first needle byte is found
    /// with memchr in both cases, then the rest is compared.
    private func containsLower(_ l: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        let m = needle.count
        guard m > 0, l.count >= m, let base = l.baseAddress else { return m == 0 }
        let last = l.count - m
        let isLetter = needle[0] >= 0x61 && needle[0] <= 0x7A
        for first in isLetter ? [needle[0], needle[0] & 0xDF] : [needle[0]] {
            var i = 0
            while i <= last {
                guard let p = memchr(base + i, Int32(first), last - i + 1) else { break }
                let at = base.distance(to: p.assumingMemoryBound(to: UInt8.self))
                var ok = true
                for k in 1 ..< m {
                    var c = l[at + k]
                    if c >= 0x41 && c <= 0x5A { c |= 0x20 }
                    if c != needle[k] { ok = false; break }
                }
                if ok { return true }
                i = at + 1
            }
        }
        return false
    }

    /// Removes "[digits]", "[edit]" and "[citation needed]".
    private func removeCitations(_ l: inout [UInt8]) {
        guard l.contains(0x5B) else { return }
        var out: [UInt8] = []
        out.reserveCapacity(l.count)
        var i = 0
        let edit = Array("[edit]".utf8), cite = Array("[citation needed]".utf8)
        while i < l.count {
            if l[i] == 0x5B {
                var j = i + 1
                while j < l.count && l[j] >= 0x30 && l[j] <= 0x39 { j += 1 }
                if j < l.count && l[j] == 0x5D { i = j + 1; continue }
                if l[i...].starts(with: edit) { i += edit.count; continue }
                if l[i...].starts(with: cite) { i += cite.count; continue }
            }
            out.append(l[i])
            i += 1
        }
        l = out
    }

    private func countSentences(_ l: UnsafeBufferPointer<UInt8>) -> Int {
        var n = 0
        var i = 0
        while i < l.count {
            let c = l[i]
            var isEnd = c == 0x2E || c == 0x3F || c == 0x21
            var len = 1
            if c == 0xE2 && i + 2 < l.count && l[i + 1] == 0x80 && l[i + 2] == 0xA6 { isEnd = true; len = 3 }
            if isEnd {
                var j = i + len
                while j < l.count && (l[j] == 0x2E || l[j] == 0x3F || l[j] == 0x21 || l[j] == 0x22 || l[j] == 0x27 || l[j] == 0x29) { j += 1 }
                // closing curly quotes
                while j + 2 < l.count + 0 && l[j] == 0xE2 && l[j + 1] == 0x80 && (l[j + 2] == 0x9D || l[j + 2] == 0x99) { j += 3 }
                if j >= l.count || l[j] == 0x20 { n += 1 }
                i = j
                continue
            }
            i += 1
        }
        return n
    }
}
