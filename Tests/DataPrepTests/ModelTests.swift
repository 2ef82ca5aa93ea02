import DataPrep
import Foundation
import XCTest

final class ModelTests: XCTestCase {
    static let tiny = """
    the cat sat on the mat .
    the dog sat on the log .
    a cat and a dog sat together on the mat .
    the cat saw the dog .
    """

    /// Sum over the vocabulary (training words + </s> + <unk>) of P(w | context) is 1.
    func testKneserNeyProbabilitiesSumToOne() {
        let words = Set(Self.tiny.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        let vocab = Array(words) + ["</s>", "<unk>"]
        for order in [1, 2, 3, 5] {
            let lm = KneserNeyLM(order: order, texts: [Self.tiny])
            XCTAssertEqual(lm.vocabularySize, vocab.count)
            let contexts: [[String]] = [[], ["the"], ["the", "cat"], ["sat", "on", "the"], ["zebra", "the"], ["a", "dog", "sat", "together"], ["unseen", "words", "only"]]
            for ctx in contexts {
                let total = vocab.reduce(0.0) { $0 + lm.probability(of: $1, after: ctx) }
                XCTAssertEqual(total, 1.0, accuracy: 1e-9, "order \(order), context \(ctx)")
                for w in vocab { XCTAssertGreaterThan(lm.probability(of: w, after: ctx), 0) }
            }
        }
    }

    func testKneserNeyPrefersSeenContinuations() {
        let lm = KneserNeyLM(order: 3, texts: [Self.tiny])
        XCTAssertGreaterThan(lm.probability(of: "mat", after: ["on", "the"]), lm.probability(of: "cat", after: ["on", "the"]))
        XCTAssertGreaterThan(lm.probability(of: "sat", after: ["the", "cat"]), lm.probability(of: "log", after: ["the", "cat"]))
    }

    func testPerplexityRanksInDomainTextLower() throws {
        let austen = Fixtures.text("austen_sample.txt")
        let half = austen.index(austen.startIndex, offsetBy: austen.count / 2)
        let lm = KneserNeyLM(order: 5, texts: [String(austen[..<half])])
        let inDomain = try XCTUnwrap(lm.perplexity(String(austen[half...].prefix(5000))))
        let code = try XCTUnwrap(lm.perplexity(String(Fixtures.text("python_docs_sample.jsonl").prefix(5000))))
        XCTAssertLessThan(inDomain * 2, code, "prose \(inDomain) vs code docs \(code)")
        XCTAssertNil(lm.perplexity("   \n  "))
    }

    /// Trained on Austen vs Python docs halves, the classifier separates held-out halves.
    func testClassifierSeparatesTwoSources() throws {
        let prose = TextNormalizer().normalize(Fixtures.text("austen_sample.txt") + "\n\n" + Fixtures.text("web_sample.txt"))
            .components(separatedBy: "\n\n").filter { $0.count > 200 }
        var code: [String] = []
        for line in Fixtures.text("python_docs_sample.jsonl").split(separator: "\n") {
            let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            code += (obj["text"] as! String).components(separatedBy: "\n\n").filter { $0.count > 200 }
        }
        XCTAssertGreaterThan(prose.count, 40)
        XCTAssertGreaterThan(code.count, 20)
        func split(_ a: [String]) -> ([String], [String]) {
            (a.enumerated().filter { $0.offset % 2 == 0 }.map(\.element), a.enumerated().filter { $0.offset % 2 == 1 }.map(\.element))
        }
        let (pTrain, pTest) = split(prose), (cTrain, cTest) = split(code)
        var clf = HashedNGramClassifier(buckets: 1 << 18)
        clf.train(positive: pTrain, negative: cTrain)
        let correct = pTest.filter { clf.score($0) > 0.5 }.count + cTest.filter { clf.score($0) <= 0.5 }.count
        let acc = Double(correct) / Double(pTest.count + cTest.count)
        XCTAssertGreaterThan(acc, 0.9, "held-out accuracy \(acc)")
    }
}
