import Foundation

/// Normalization options (all configurable; defaults shown).
public struct NormalizeOptions: Codable, Sendable, Equatable {
    /// Unicode NFC.
    public var nfc = true
    /// Join hard-wrapped lines into paragraphs (book text wrapped at ~70 columns).
    public var unwrap = true
    /// A line of `wrapMinColumns ... wrapMaxColumns` characters followed by a non-blank,
    /// non-indented, non-list line is a wrapped line and is joined to the next with one space.
    public var wrapMinColumns = 50
    public var wrapMaxColumns = 80
    /// Unwrapping applies only to documents where at most this fraction of non-blank lines is
    /// longer than `wrapMaxColumns` (i.e. documents that look hard-wrapped).
    public var maxLongLineFraction = 0.05
    /// Runs of blank lines are cut to this many.
    public var maxBlankLines = 1

    public init() {}
}

/// Text normalization: NFC; line endings ("\r\n", "\r", U+0085, U+2028, U+2029, VT, FF -> "\n");
/// exotic spaces (NBSP, U+2000-U+200A, U+202F, U+205F, U+3000) -> " "; control characters,
/// zero-width space and BOM removed; trailing whitespace stripped; blank-line runs capped;
/// leading/trailing blank lines removed; hard-wrapped paragraphs unwrapped.
public struct TextNormalizer: Sendable {
    public var options: NormalizeOptions

    public init(options: NormalizeOptions = NormalizeOptions()) {
        self.options = options
    }

    public func normalize(_ text: String) -> String {
        var s = text
        if options.nfc && Self.needsNFC(s) { s = s.precomposedStringWithCanonicalMapping }
        var lines: [Range<Int>] = []
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        s.withUTF8 { b in cleanLines(b, &out, &lines) }
        let joinAfter = options.unwrap ? wrappedLines(out, lines) : []
        var res: [UInt8] = []
        res.reserveCapacity(out.count)
        var blankRun = 0
        var started = false
        for (i, r) in lines.enumerated() {
            if r.isEmpty {
                blankRun += 1
                continue
            }
            if started {
                if i > 0 && !joinAfter.isEmpty && joinAfter[i - 1] && blankRun == 0 {
                    res.append(0x20)
                } else {
                    res.append(0x0A)
                    for _ in 0 ..< min(blankRun, options.maxBlankLines) { res.append(0x0A) }
                }
            }
            res.append(contentsOf: out[r])
            started = true
            blankRun = 0
        }
        return String(decoding: res, as: UTF8.self)
    }

    /// Splits into lines with the character clean-up applied; trailing spaces/tabs stripped.
    private func cleanLines(_ b: UnsafeBufferPointer<UInt8>, _ out: inout [UInt8], _ lines: inout [Range<Int>]) {
        var lineStart = 0
        func endLine() {
            var e = out.count
            while e > lineStart && (out[e - 1] == 0x20 || out[e - 1] == 0x09) { e -= 1 }
            out.removeLast(out.count - e)
            lines.append(lineStart ..< e)
            lineStart = out.count
        }
        let n = b.count
        var i = 0
        while i < n {
            let c = b[i]
            if c < 0x80 {
                switch c {
                case 0x0A, 0x0B, 0x0C: endLine()
                case 0x0D:
                    endLine()
                    if i + 1 < n && b[i + 1] == 0x0A { i += 1 }
                case 0x09: out.append(c)
                case 0x00 ..< 0x20, 0x7F: break
                default: out.append(c)
                }
                i += 1
                continue
            }
            if c == 0xC2 && i + 1 < n {
                let d = b[i + 1]
                if d == 0x85 { endLine(); i += 2; continue }
                if d == 0xA0 { out.append(0x20); i += 2; continue }
                if d >= 0x80 && d < 0xA0 { i += 2; continue } // C1 controls
            } else if c == 0xE2 && i + 2 < n && b[i + 1] == 0x80 {
                let d = b[i + 2]
                if d >= 0x80 && d <= 0x8A || d == 0xAF { out.append(0x20); i += 3; continue }
                if d == 0x8B { i += 3; continue } // zero-width space
                if d == 0xA8 || d == 0xA9 { endLine(); i += 3; continue }
            } else if c == 0xE2 && i + 2 < n && b[i + 1] == 0x81 && b[i + 2] == 0x9F {
                out.append(0x20); i += 3; continue
            } else if c == 0xE3 && i + 2 < n && b[i + 1] == 0x80 && b[i + 2] == 0x80 {
                out.append(0x20); i += 3; continue
            } else if c == 0xEF && i + 2 < n && b[i + 1] == 0xBB && b[i + 2] == 0xBF {
                i += 3; continue // BOM / zero-width no-break space
            }
            out.append(c)
            i += 1
        }
        endLine()
    }

    /// `join[i]` = line i is a wrapped line to be joined with line i+1.
    private func wrappedLines(_ out: [UInt8], _ lines: [Range<Int>]) -> [Bool] {
        var cols = [Int](repeating: 0, count: lines.count)
        var nonBlank = 0
        var long = 0
        for (i, r) in lines.enumerated() where !r.isEmpty {
            var c = 0
            for j in r where out[j] & 0xC0 != 0x80 { c += 1 }
            cols[i] = c
            nonBlank += 1
            if c > options.wrapMaxColumns { long += 1 }
        }
        guard nonBlank >= 2, Double(long) <= options.maxLongLineFraction * Double(nonBlank) else { return [] }
        var join = [Bool](repeating: false, count: lines.count)
        for i in 0 ..< lines.count - 1 {
            guard cols[i] >= options.wrapMinColumns && cols[i] <= options.wrapMaxColumns else { continue }
            let nx = lines[i + 1]
            guard !nx.isEmpty else { continue }
            let f = out[nx.lowerBound]
            if f == 0x20 || f == 0x09 { continue }
            if Self.startsListItem(out, nx) { continue }
            join[i] = true
        }
        return join
    }

    /// "- x", "* x", "+ x", "• x", "1. x", "2) x".
    static func startsListItem(_ b: [UInt8], _ r: Range<Int>) -> Bool {
        let s = r.lowerBound
        let c = b[s]
        if (c == 0x2D || c == 0x2A || c == 0x2B) && s + 1 < r.upperBound && b[s + 1] == 0x20 { return true }
        if c == 0xE2 && s + 2 < r.upperBound && b[s + 1] == 0x80 && b[s + 2] == 0xA2 { return true }
        var j = s
        while j < r.upperBound && b[j] >= 0x30 && b[j] <= 0x39 { j += 1 }
        if j > s && j < r.upperBound && (b[j] == 0x2E || b[j] == 0x29) && j - s <= 3 { return true }
        return false
    }

    /// BMP scalars that are NFC-stable on their own and cannot combine with a neighbour:
    /// canonical combining class 0, unchanged by NFC, and not one of the NFC_QC=Maybe starters.
    static let nfcSafe: [Bool] = {
        var t = [Bool](repeating: true, count: 0x10000)
        let maybeStarters: [ClosedRange<UInt32>] = [0x09BE ... 0x09BE, 0x09D7 ... 0x09D7, 0x0B3E ... 0x0B3E, 0x0B56 ... 0x0B57,
                                                    0x0BBE ... 0x0BBE, 0x0BD7 ... 0x0BD7, 0x0CC2 ... 0x0CC2, 0x0CD5 ... 0x0CD6,
                                                    0x0D3E ... 0x0D3E, 0x0D57 ... 0x0D57, 0x0DCF ... 0x0DCF, 0x0DDF ... 0x0DDF,
                                                    0x102E ... 0x102E, 0x1161 ... 0x1175, 0x11A8 ... 0x11C2, 0x1B35 ... 0x1B35]
        for v in UInt32(0x300) ..< 0x10000 {
            guard let s = Unicode.Scalar(v) else { t[Int(v)] = false; continue }
            if s.properties.canonicalCombiningClass.rawValue != 0 || maybeStarters.contains(where: { $0.contains(v) }) {
                t[Int(v)] = false
                continue
            }
            let str = String(Character(s))
            let n = str.precomposedStringWithCanonicalMapping
            t[Int(v)] = n.unicodeScalars.count == 1 && n.unicodeScalars.first == s
        }
        return t
    }()

    /// False when `s` is certainly already NFC (every scalar NFC-safe); true when NFC might change it.
    /// Scans UTF-8 bytes: only lead bytes >= 0xCC start scalars >= U+0300.
    static func needsNFC(_ s: String) -> Bool {
        var t = s
        return t.withUTF8 { b -> Bool in
            nfcSafe.withUnsafeBufferPointer { safe in
                let n = b.count
                var i = 0
                while i < n {
                    let c = b[i]
                    if c < 0xCC { i += 1; continue }
                    if c < 0xE0 {
                        guard i + 1 < n else { return true }
                        let v = (Int(c & 0x1F) << 6) | Int(b[i + 1] & 0x3F)
                        if !safe[v] { return true }
                        i += 2
                    } else if c < 0xF0 {
                        guard i + 2 < n else { return true }
                        let v = (Int(c & 0x0F) << 12) | (Int(b[i + 1] & 0x3F) << 6) | Int(b[i + 2] & 0x3F)
                        if !safe[v] { return true }
                        i += 3
                    } else {
                        return true // outside the BMP: let NFC decide
                    }
                }
                return false
            }
        }
    }
}
