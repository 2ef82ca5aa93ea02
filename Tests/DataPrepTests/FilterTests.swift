import DataPrep
import Randomness
import XCTest

/// Hand-made documents that must pass and must fail each heuristic rule.
final class FilterTests: XCTestCase {
    /// Clean prose: three unwrapped Austen paragraphs (about 330 words, 13 sentences).
    static let prose: String = {
        let raw = Fixtures.text("austen_sample.txt")
        let paras = TextNormalizer().normalize(raw).components(separatedBy: "\n\n").filter {
            $0.split(separator: " ").count > 60 && !$0.contains("_") && ($0.hasSuffix(".") || $0.hasSuffix("\""))
        }
        return paras.prefix(3).joined(separator: "\n\n")
    }()

    static func words(_ n: Int, _ list: [String], seed: UInt64 = 1) -> String {
        var g = SplitMix64(seed: seed)
        return (0 ..< n).map { _ in list[Int(g.next() % UInt64(list.count))] }.joined(separator: " ")
    }

    static let plain = ["house", "garden", "friend", "evening", "letter", "window", "morning", "carriage", "sister", "village",
                        "quiet", "happy", "walked", "talked", "looked", "the", "of", "and", "with", "that"]

    func testProseFixtureIsReasonable() {
        XCTAssertGreaterThan(Self.prose.split(separator: " ").count, 200)
    }

    func testGopherQualityPassesProse() {
        XCTAssertNil(GopherQualityFilter().check(Self.prose))
    }

    func testGopherQualityFailures() {
        let g = GopherQualityFilter()
        XCTAssertEqual(g.check("The cat sat with the dog and that was all."), "gopher_quality.too_few_words")
        var o = GopherQualityOptions()
        o.maxWords = 100
        XCTAssertEqual(GopherQualityFilter(options: o).check(Self.prose), "gopher_quality.too_many_words")
        XCTAssertEqual(g.check(Self.words(80, ["a", "an", "is", "to", "of", "the", "be", "it"])), "gopher_quality.mean_word_too_short")
        XCTAssertEqual(g.check(Self.words(80, ["incomprehensibilities", "extraordinarily", "the", "of", "misunderstanding"])), "gopher_quality.mean_word_too_long")
        XCTAssertEqual(g.check(Self.words(80, Self.plain) + " " + String(repeating: "#tag ", count: 20)), "gopher_quality.too_many_hashes")
        XCTAssertEqual(g.check(Self.words(80, Self.plain) + " " + String(repeating: "and so... ", count: 12)), "gopher_quality.too_many_ellipses")
        let bullets = (0 ..< 20).map { "• " + Self.words(6, Self.plain, seed: UInt64($0)) }.joined(separator: "\n")
        XCTAssertEqual(g.check(bullets), "gopher_quality.too_many_bullet_lines")
        let trailing = (0 ..< 20).map { Self.words(6, Self.plain, seed: UInt64($0)) + ($0 % 2 == 0 ? " and then…" : ".") }.joined(separator: "\n")
        XCTAssertEqual(g.check(trailing), "gopher_quality.too_many_ellipsis_lines")
        XCTAssertEqual(g.check(Self.words(60, Self.plain) + " " + Self.words(40, ["1234", "5678", "9012", "3456"])), "gopher_quality.too_few_alpha_words")
        XCTAssertEqual(g.check(Self.words(80, ["house", "garden", "friend", "evening", "letter", "window"])), "gopher_quality.too_few_stop_words")
    }

    func testGopherRepetitionPassesProse() {
        var f = GopherRepetitionFilter()
        XCTAssertNil(f.check(Self.prose))
    }

    func testGopherRepetitionFailures() {
        var f = GopherRepetitionFilter()
        let para = "This is a sentence about the garden and the house near the village."
        XCTAssertEqual(f.check(Array(repeating: para, count: 5).joined(separator: "\n\n")), "gopher_repetition.dup_para_frac")
        // repeated lines inside one paragraph
        let lines = (0 ..< 10).map { $0 % 2 == 0 ? "the same line appears here again" : "unique line number \($0) for this paragraph" }.joined(separator: "\n")
        XCTAssertEqual(f.check(lines), "gopher_repetition.dup_line_frac")
        // a dominant bigram
        let bigram = Self.words(100, Self.plain) + " " + String(repeating: "click here ", count: 40)
        XCTAssertEqual(f.check(bigram), "gopher_repetition.top_2_gram")
        // a long repeated passage within one line (dup 10-grams but varied top grams)
        var g = SplitMix64(seed: 5)
        let vocab = (0 ..< 400).map { "w\($0)x" }
        let passage = (0 ..< 60).map { _ in vocab[Int(g.next() % 400)] }.joined(separator: " ")
        let doc = (0 ..< 150).map { _ in vocab[Int(g.next() % 400)] }.joined(separator: " ") + " " + passage + " " + passage
        XCTAssertEqual(f.check(doc), "gopher_repetition.dup_5_grams")
    }

    func testGopherRepetitionMatchesReference() {
        var g = SplitMix64(seed: 42)
        var f = GopherRepetitionFilter()
        let vocab = ["a", "bb", "ccc", "the", "garden", "house", "x", "yy"]
        var verdicts = Set<String>()
        for _ in 0 ..< 1500 {
            var lines: [String] = []
            let nLines = 1 + Int(g.next() % 12)
            for _ in 0 ..< nLines {
                if g.next() % 4 == 0, let prev = lines.randomElement(using: &g) { lines.append(prev); continue }
                if g.next() % 6 == 0 { lines.append(""); continue }
                let n = 1 + Int(g.next() % 40)
                lines.append((0 ..< n).map { _ in vocab[Int(g.next() % UInt64(vocab.count))] }.joined(separator: " "))
            }
            let text = lines.joined(separator: "\n")
            let fast = f.check(text)
            XCTAssertEqual(fast, GopherRepetitionFilter.checkReference(text, f.options), text)
            verdicts.insert(fast ?? "keep")
        }
        XCTAssertGreaterThan(verdicts.count, 3, "random documents should exercise several rules")
    }

    func testC4KeepsProseAndRemovesBadLines() {
        let c4 = C4Filter()
        var counts: [String: Int] = [:]
        XCTAssertEqual(c4.apply(Self.prose, lineCounts: &counts), .keep(Self.prose.components(separatedBy: "\n").filter { !$0.isEmpty }.joined(separator: "\n")))
        let noisy = Self.prose + "\nPlease enable JavaScript to view this page properly.\nRead our privacy policy for the details here.\nHome | About | Contact\nok.\nThe war began in 1914.[12] It ended in 1918.[citation needed]"
        counts = [:]
        guard case let .keep(out) = c4.apply(noisy, lineCounts: &counts) else { return XCTFail("prose with noise should be kept") }
        XCTAssertEqual(counts["c4.lines.javascript"], 1)
        XCTAssertEqual(counts["c4.lines.policy"], 1)
        XCTAssertEqual(counts["c4.lines.no_terminal_punctuation"], 3, "the menu line and the two blank lines between paragraphs")
        XCTAssertEqual(counts["c4.lines.too_few_words"], 1)
        XCTAssertTrue(out.hasSuffix("The war began in 1914. It ended in 1918."))
        XCTAssertFalse(out.contains("JavaScript"))
    }

    func testC4DocumentFailures() {
        let c4 = C4Filter()
        var counts: [String: Int] = [:]
        XCTAssertEqual(c4.apply(Self.prose + "\nLorem ipsum dolor sit amet, consectetur.", lineCounts: &counts), .drop("c4.lorem_ipsum"))
        XCTAssertEqual(c4.apply(Self.prose + "\nThe function returns {x: 1} as its value.", lineCounts: &counts), .drop("c4.curly_bracket"))
        XCTAssertEqual(c4.apply("One short sentence here. And another one here.\nmenu item\nlogin", lineCounts: &counts), .drop("c4.too_few_sentences"))
    }

    func testFineWebPassesProse() {
        var f = FineWebFilter()
        XCTAssertNil(f.check(Self.prose))
    }

    func testFineWebFailures() {
        var f = FineWebFilter()
        let noPunct = (0 ..< 20).map { Self.words(10, Self.plain, seed: UInt64($0)) }.joined(separator: "\n")
        XCTAssertEqual(f.check(noPunct), "fineweb.line_punctuation_ratio")
        let short = (0 ..< 20).map { Self.words(3, Self.plain, seed: UInt64($0)) + "." }.joined(separator: "\n")
        XCTAssertEqual(f.check(short), "fineweb.short_line_ratio")
        let dup = Self.prose + "\n" + Self.prose.components(separatedBy: "\n").last!
        XCTAssertEqual(f.check(dup), "fineweb.duplicate_line_chars")
        let list = (0 ..< 20).map { "Supercalifragilistic\($0) extraordinarily-long-hyphenated-item." }.joined(separator: "\n")
        XCTAssertEqual(f.check(list), "fineweb.list_ratio")
        XCTAssertEqual(f.check("\n\n"), "fineweb.empty")
    }

    func testThresholdsAreConfigurable() {
        var o = FineWebOptions()
        o.maxShortLineRatio = 1.0
        var f = FineWebFilter(options: o)
        let short = (0 ..< 20).map { Self.words(3, Self.plain, seed: UInt64($0)) + "." }.joined(separator: "\n")
        XCTAssertNotEqual(f.check(short), "fineweb.short_line_ratio")
    }
}
