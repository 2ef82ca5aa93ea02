/// GPT-2 pre-tokenization, hand-written over UTF-8 bytes. Equivalent to the regex
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// (alternatives tried in order at each position, each greedy), which is what Hugging Face
/// `tokenizers`' ByteLevel pre-tokenizer uses with `use_regex: true`. Classes: `\p{L}` = general
/// categories Lu/Ll/Lt/Lm/Lo, `\p{N}` = Nd/Nl/No, `\s` = the Unicode White_Space property.
public enum Pretokenizer {
    @usableFromInline static let other: UInt8 = 0
    @usableFromInline static let letter: UInt8 = 1
    @usableFromInline static let number: UInt8 = 2
    @usableFromInline static let space: UInt8 = 3

    /// Character class of every BMP scalar (65,536 entries, computed once).
    @usableFromInline static let bmpClass: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 65536)
        for v in 0 ..< 65536 {
            if let s = Unicode.Scalar(UInt32(v)) { t[v] = classify(s) }
        }
        return t
    }()

    @usableFromInline static func classify(_ s: Unicode.Scalar) -> UInt8 {
        let p = s.properties
        if p.isWhitespace { return space }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return letter
        case .decimalNumber, .letterNumber, .otherNumber: return number
        default: return other
        }
    }

    /// Class and byte length of the scalar starting at `i` (valid UTF-8 assumed; a malformed byte is
    /// treated as a one-byte "other" character so the scan always advances).
    @inline(__always) @usableFromInline
    static func classAt(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ table: UnsafePointer<UInt8>) -> (UInt8, Int) {
        let c0 = b[i]
        if c0 < 0x80 { return (table[Int(c0)], 1) }
        let n = b.count
        if c0 >= 0xC0 && c0 < 0xE0 && i + 1 < n {
            let v = (Int(c0 & 0x1F) << 6) | Int(b[i + 1] & 0x3F)
            return (table[v], 2)
        }
        if c0 >= 0xE0 && c0 < 0xF0 && i + 2 < n {
            let v = (Int(c0 & 0x0F) << 12) | (Int(b[i + 1] & 0x3F) << 6) | Int(b[i + 2] & 0x3F)
            return (table[v], 3)
        }
        if c0 >= 0xF0 && i + 3 < n {
            let v = (UInt32(c0 & 0x07) << 18) | (UInt32(b[i + 1] & 0x3F) << 12) | (UInt32(b[i + 2] & 0x3F) << 6) | UInt32(b[i + 3] & 0x3F)
            if let s = Unicode.Scalar(v) { return (classify(s), 4) }
            return (other, 4)
        }
        return (other, 1)
    }

    /// Calls `body(start, end)` for each pre-token `bytes[start..<end]`, in order; the pre-tokens
    /// tile the input exactly.
    @inlinable
    public static func split(_ b: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
        bmpClass.withUnsafeBufferPointer { tb in
            let t = tb.baseAddress!
            let n = b.count
            var p = 0
            while p < n {
                let c = b[p]
                // 's 't 're 've 'm 'll 'd
                if c == 0x27 && p + 1 < n {
                    let d = b[p + 1]
                    if d == 0x73 || d == 0x74 || d == 0x6D || d == 0x64 { body(p, p + 2); p += 2; continue }
                    if p + 2 < n {
                        let e = b[p + 2]
                        if (d == 0x72 && e == 0x65) || (d == 0x76 && e == 0x65) || (d == 0x6C && e == 0x6C) {
                            body(p, p + 3); p += 3; continue
                        }
                    }
                }
                var (cls, len) = classAt(b, p, t)
                let start = p
                var q = p
                if c == 0x20 && p + 1 < n {
                    let (c1, l1) = classAt(b, p + 1, t)
                    if c1 != space {
                        // " ?X+" with the space folded in
                        cls = c1
                        len = l1
                        q = p + 1
                    }
                }
                if cls != space {
                    q += len
                    while q < n {
                        let (c2, l2) = classAt(b, q, t)
                        if c2 != cls { break }
                        q += l2
                    }
                    body(start, q)
                    p = q
                    continue
                }
                // whitespace run [p, q); `last` = start of its last scalar
                var last = p
                q = p + len
                while q < n {
                    let (c2, l2) = classAt(b, q, t)
                    if c2 != space { break }
                    last = q
                    q += l2
                }
                if q == n || last == p {
                    body(start, q) // \s+(?!\S) at end of text, or a single whitespace char (\s+)
                    p = q
                } else {
                    body(start, last) // \s+(?!\S): leave the last whitespace char for the next token
                    p = last
                }
            }
        }
    }

    /// Convenience for tests and tools: the pre-tokens of `text` as strings.
    public static func split(_ text: String) -> [String] {
        var out: [String] = []
        var s = text
        s.withUTF8 { b in
            split(b) { a, e in out.append(String(decoding: UnsafeBufferPointer(rebasing: b[a ..< e]), as: UTF8.self)) }
        }
        return out
    }
}
