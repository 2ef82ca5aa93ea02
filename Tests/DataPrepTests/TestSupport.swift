import Foundation
import Randomness

enum Fixtures {
    static func url(_ name: String) -> URL {
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Resources")!
    }
    static func text(_ name: String) -> String {
        String(decoding: try! Data(contentsOf: url(name)), as: UTF8.self)
    }
    /// English prose from the committed samples (Austen + World English Bible).
    static var prose: String { text("austen_sample.txt") + "\n\n" + text("web_sample.txt") }

    /// Random text mixing ASCII words, contractions, digits, punctuation, many whitespace kinds,
    /// Latin-1, Greek, Cyrillic, CJK, Arabic digits, letter numbers, combining marks and emoji.
    static func randomUnicode(_ g: inout SplitMix64, length: Int) -> String {
        let pieces: [String] = [
            "the", "The", "cat", " ", " ", "  ", "\n", "\n\n", "\t", "\r\n", "\u{00A0}", "\u{3000}", "\u{2028}", "\u{0085}",
            "'s", "'re", "'ll", "'d", "'t", "'ve", "'m", "'", "'S", "don't", "42", "3.14", "½", "Ⅻ", "٣٤", "١٢",
            ".", ",", "!!", "...", "—", "“", "”", "’", "(", ")", "{", "}", "#", "==", "->", "é", "e\u{0301}", "naïve",
            "Ωμέγα", "привет", "日本語", "中文字", "😀", "👍🏽", "🇫🇷", "\u{200D}", "ß", "İ", "ﬁ", "x²", "café", "_", "\\", "\"",
        ]
        var s = ""
        for _ in 0 ..< length {
            s += pieces[Int(g.next() % UInt64(pieces.count))]
            if g.next() % 3 == 0 { s += " " }
        }
        return s
    }
}
