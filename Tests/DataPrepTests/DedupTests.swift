import DataPrep
import Randomness
import XCTest

final class DedupTests: XCTestCase {
    static let vocab: [String] = {
        var g = SplitMix64(seed: 77)
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        return (0 ..< 5000).map { _ in String((0 ..< 3 + Int(g.next() % 6)).map { _ in letters[Int(g.next() % 26)] }) }
    }()

    static func doc(_ g: inout SplitMix64, words: Int) -> [String] {
        (0 ..< words).map { _ in vocab[Int(g.next() % UInt64(vocab.count))] }
    }

    func testExactDuplicatesAreDropped() {
        var d = Deduplicator()
        XCTAssertNil(d.check("A document about gardens and houses in a quiet village near the river."))
        XCTAssertEqual(d.check("A document about gardens and houses in a quiet village near the river."), "dedup.exact")
        XCTAssertNil(d.check("A different document about the sea, ships, sailors and a long voyage home."))
    }

    /// Planted near-duplicates (2% of words changed: shingle Jaccard about 0.82) are found at the
    /// rate LSH predicts (1 - (1 - s^8)^14 > 0.9), and unrelated documents are not flagged.
    func testMinHashFindsPlantedNearDuplicatesNotUnrelated() {
        var g = SplitMix64(seed: 2024)
        var d = Deduplicator()
        var originals: [[String]] = []
        for _ in 0 ..< 150 {
            let w = Self.doc(&g, words: 300)
            originals.append(w)
            XCTAssertNil(d.check(w.joined(separator: " ")), "unrelated random document flagged as duplicate")
        }
        var found = 0
        for o in originals {
            var w = o
            for _ in 0 ..< 6 { w[Int(g.next() % UInt64(w.count))] = Self.vocab[Int(g.next() % UInt64(Self.vocab.count))] }
            if d.check(w.joined(separator: " ")) == "dedup.near" { found += 1 }
        }
        XCTAssertGreaterThanOrEqual(found, 135, "near-duplicates found: \(found)/150")
        var fresh = 0
        for _ in 0 ..< 150 where d.check(Self.doc(&g, words: 300).joined(separator: " ")) != nil { fresh += 1 }
        XCTAssertEqual(fresh, 0)
    }

    func testMinHashEstimatesJaccard() {
        var g = SplitMix64(seed: 9)
        let h = MinHasher(shingleWords: 5, functions: 256, seed: 3)
        for changes in [0, 10, 40] {
            let a = Self.doc(&g, words: 400)
            var b = a
            for _ in 0 ..< changes { b[Int(g.next() % 400)] = Self.vocab[Int(g.next() % UInt64(Self.vocab.count))] }
            func shingles(_ w: [String]) -> Set<String> { Set((0 ... w.count - 5).map { w[$0 ..< $0 + 5].joined(separator: " ") }) }
            let sa = shingles(a), sb = shingles(b)
            let truth = Double(sa.intersection(sb).count) / Double(sa.union(sb).count)
            let est = MinHasher.estimatedJaccard(h.signature(a.joined(separator: " ")), h.signature(b.joined(separator: " ")))
            XCTAssertEqual(est, truth, accuracy: 0.1, "changes \(changes)")
        }
    }

    func testShinglesIgnoreCaseAndPunctuation() {
        let h = MinHasher()
        XCTAssertEqual(h.signature("Hello, World! This is the same text, really."), h.signature("hello world this is the SAME text really"))
    }
}
