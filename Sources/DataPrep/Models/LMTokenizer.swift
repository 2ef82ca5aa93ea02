/// Word tokens for the n-gram LM and the classifier: ASCII-lowercased runs of letters/digits, and
/// each punctuation character as its own token; whitespace separates; each non-empty line is one
/// sentence. Tokens are given as 64-bit hashes of their bytes (and optionally their text).
enum LMTokenizer {
    static func sentences(_ text: String, _ body: (_ tokens: [UInt64], _ words: [Substring.UTF8View.SubSequence]?) -> Void) {
        var t = text
        t.withUTF8 { b in
            Pretokenizer.bmpClass.withUnsafeBufferPointer { tb in
                let table = tb.baseAddress!
                var tokens: [UInt64] = []
                var word: [UInt8] = []
                func flushWord() {
                    if !word.isEmpty {
                        tokens.append(word.withUnsafeBufferPointer { hashBytes($0.baseAddress!, $0.count) })
                        word.removeAll(keepingCapacity: true)
                    }
                }
                var i = 0
                while i < b.count {
                    if b[i] == 0x0A {
                        flushWord()
                        if !tokens.isEmpty { body(tokens, nil); tokens.removeAll(keepingCapacity: true) }
                        i += 1
                        continue
                    }
                    let (c, l) = Pretokenizer.classAt(b, i, table)
                    switch c {
                    case Pretokenizer.space: flushWord()
                    case Pretokenizer.other:
                        flushWord()
                        tokens.append(hashBytes(b.baseAddress! + i, l))
                    default:
                        for k in i ..< i + l {
                            var ch = b[k]
                            if ch >= 0x41 && ch <= 0x5A { ch |= 0x20 }
                            word.append(ch)
                        }
                    }
                    i += l
                }
                flushWord()
                if !tokens.isEmpty { body(tokens, nil) }
            }
        }
    }

    /// Token strings of a text (tests and vocabulary listing), same segmentation as `sentences`.
    static func tokenStrings(_ text: String) -> [[String]] {
        var out: [[String]] = []
        for line in text.split(separator: "\n") {
            var toks: [String] = []
            var word = ""
            for ch in line.unicodeScalars {
                let c = Pretokenizer.classify(ch)
                if c == Pretokenizer.space {
                    if !word.isEmpty { toks.append(word); word = "" }
                } else if c == Pretokenizer.other {
                    if !word.isEmpty { toks.append(word); word = "" }
                    toks.append(String(ch))
                } else {
                    word.unicodeScalars.append(ch.value < 0x80 ? Unicode.Scalar(UInt8(ch.value) | (ch.value >= 0x41 && ch.value <= 0x5A ? 0x20 : 0)) : ch)
                }
            }
            if !word.isEmpty { toks.append(word) }
            if !toks.isEmpty { out.append(toks) }
        }
        return out
    }

    static func hash(_ token: String) -> UInt64 {
        var s = token
        return s.withUTF8 { hashBytes($0.baseAddress!, $0.count) }
    }
}
