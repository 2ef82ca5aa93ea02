/// A threshold on n-grams of one length.
public struct NGramThreshold: Codable, Sendable, Equatable {
    public var n: Int
    public var fraction: Double
    public init(n: Int, fraction: Double) {
        self.n = n
        self.fraction = fraction
    }
}

/// Gopher quality rules (Rae et al. 2021, appendix A; defaults as published and as datatrove's
/// GopherQualityFilter). A document is dropped if any rule fails. Words are whitespace-separated
/// with surrounding ASCII punctuation stripped; a word made only of punctuation is a "symbol".
public struct GopherQualityOptions: Codable, Sendable, Equatable {
    public var enabled = true
    /// Non-symbol word count must lie in [minWords, maxWords].
    public var minWords = 50
    public var maxWords = 100_000
    /// Mean non-symbol word length (bytes) must lie in [min, max].
    public var minMeanWordLength = 3.0
    public var maxMeanWordLength = 10.0
    /// ("#" count) / words and ("..." + "…" count) / words must each be at most this.
    public var maxSymbolWordRatio = 0.1
    /// At most this fraction of lines may start with a bullet "•" (after leading spaces).
    public var maxBulletLineRatio = 0.9
    /// At most this fraction of lines may end with "..." or "…".
    public var maxEllipsisLineRatio = 0.3
    /// At least this fraction of words must contain an alphabetic character.
    public var minAlphaWordRatio = 0.8
    /// At least this many words from `stopWords` (case-sensitive, as datatrove).
    public var minStopWords = 2
    public var stopWords = ["the", "be", "to", "of", "and", "that", "have", "with"]
    public init() {}
}

/// Gopher repetition rules (Rae et al. 2021, table A1; defaults as published).
public struct GopherRepetitionOptions: Codable, Sendable, Equatable {
    public var enabled = true
    /// Duplicate lines / lines (lines split on "\n+").
    public var maxDuplicateLineFraction = 0.3
    /// Duplicate paragraphs / paragraphs (split on "\n\n+").
    public var maxDuplicateParagraphFraction = 0.3
    /// Bytes in duplicate lines / document bytes.
    public var maxDuplicateLineCharFraction = 0.2
    /// Bytes in duplicate paragraphs / document bytes.
    public var maxDuplicateParagraphCharFraction = 0.2
    /// Bytes covered by the most frequent n-gram (length x count) / document bytes.
    public var topNGrams = [NGramThreshold(n: 2, fraction: 0.20), NGramThreshold(n: 3, fraction: 0.18), NGramThreshold(n: 4, fraction: 0.16)]
    /// Bytes in repeated n-grams (each counted once, scanning left to right) / document bytes.
    public var duplicateNGrams = [NGramThreshold(n: 5, fraction: 0.15), NGramThreshold(n: 6, fraction: 0.14), NGramThreshold(n: 7, fraction: 0.13),
                                  NGramThreshold(n: 8, fraction: 0.12), NGramThreshold(n: 9, fraction: 0.11), NGramThreshold(n: 10, fraction: 0.10)]
    public init() {}
}

/// C4 rules (Raffel et al. 2020 and the TFDS c4_utils reference, as datatrove's C4QualityFilter).
/// Line rules remove lines; document rules drop the document.
public struct C4Options: Codable, Sendable, Equatable {
    public var enabled = true
    /// Remove "[1]", "[edit]", "[citation needed]" before the line rules.
    public var removeCitations = true
    /// Keep only lines ending in terminal punctuation (and not in "...").
    public var requireTerminalPunctuation = true
    /// Terminal punctuation. C4's set is . ? ! " '; the curly closing quotes are added because the
    /// normalizer keeps typographic quotes.
    public var terminalPunctuation = [".", "?", "!", "\"", "'", "\u{201D}", "\u{2019}"]
    /// Drop the document if fewer sentences remain (-1 disables).
    public var minSentences = 5
    /// Remove lines with fewer words (-1 disables).
    public var minWordsPerLine = 3
    /// Remove lines containing a longer word (-1 disables).
    public var maxWordLength = 1000
    /// Drop documents containing "lorem ipsum" (on a kept line).
    public var dropLoremIpsum = true
    /// Remove lines containing "javascript".
    public var removeJavascriptLines = true
    /// Drop documents with "{" (on a kept line).
    public var dropCurlyBracket = true
    /// Remove lines with cookie / terms-of-use boilerplate.
    public var removePolicyLines = true
    public init() {}
}

/// FineWeb's additional rules (Penedo et al. 2024; datatrove FineWebQualityFilter defaults).
public struct FineWebOptions: Codable, Sendable, Equatable {
    public var enabled = true
    /// Fraction of lines ending in terminal punctuation must be at least this.
    public var minLinePunctuationRatio = 0.12
    /// Fraction of lines of at most `shortLineLength` bytes must be at most this.
    public var maxShortLineRatio = 0.67
    public var shortLineLength = 30
    /// Bytes in duplicated lines / bytes without newlines must be at most this (published: 0.01).
    public var maxDuplicateLineCharRatio = 0.01
    /// Newlines / words must be at most this ("list ratio").
    public var maxNewlineWordRatio = 0.3
    /// Terminal punctuation for the line rule (FineWeb: . ' " ! ? plus curly closing quotes).
    public var terminalPunctuation = [".", "'", "\"", "!", "?", "\u{201D}", "\u{2019}"]
    public init() {}
}
