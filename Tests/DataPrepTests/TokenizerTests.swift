import DataPrep
import Foundation
import Randomness
import XCTest

final class TokenizerTests: XCTestCase {
    static let trained: BPETokenizer = {
        var t = BPETrainer()
        for d in Fixtures.prose.components(separatedBy: "\n\n") { t.add(d) }
        return try! t.train(vocabSize: 1024, minFrequency: 2)
    }()

    func testPretokenizerMatchesGPT2Rules() {
        XCTAssertEqual(Pretokenizer.split("Hello world"), ["Hello", " world"])
        XCTAssertEqual(Pretokenizer.split("I'm don't they're"), ["I", "'m", " don", "'t", " they", "'re"])
        XCTAssertEqual(Pretokenizer.split("a   b"), ["a", "  ", " b"])
        XCTAssertEqual(Pretokenizer.split("x\n\ny"), ["x", "\n", "\n", "y"])
        XCTAssertEqual(Pretokenizer.split("end.  "), ["end", ".", "  "])
        XCTAssertEqual(Pretokenizer.split("abc123 456!?"), ["abc", "123", " 456", "!?"])
        XCTAssertEqual(Pretokenizer.split("..'s x"), ["..'", "s", " x"])
        XCTAssertEqual(Pretokenizer.split("\u{3000}word"), ["\u{3000}", "word"])
        XCTAssertEqual(Pretokenizer.split("日本 語"), ["日本", " 語"])
    }

    func testPretokensTileTheInput() {
        var g = SplitMix64(seed: 7)
        for _ in 0 ..< 200 {
            let s = Fixtures.randomUnicode(&g, length: 30)
            XCTAssertEqual(Pretokenizer.split(s).joined(), s)
        }
    }

    func testTrainingProducesRequestedVocabulary() throws {
        let tok = Self.trained
        XCTAssertEqual(tok.vocabSize, 1024)
        XCTAssertEqual(tok.merges.count, 1024 - 257)
        XCTAssertEqual(tok.endOfText, 1023)
        // the first merge of English prose is a frequent pair such as "e " / " t" / "th"
        let enc = BPEEncoder(tok)
        let ids = enc.encode(Fixtures.text("austen_sample.txt"))
        let bpt = Double(60000) / Double(ids.count)
        XCTAssertGreaterThan(bpt, 2.5, "1024-token BPE should compress English prose well beyond bytes")
    }

    func testRoundTripOnRandomUnicode() throws {
        let tok = Self.trained
        let enc = BPEEncoder(tok)
        var g = SplitMix64(seed: 11)
        for _ in 0 ..< 300 {
            let s = Fixtures.randomUnicode(&g, length: Int(g.next() % 80))
            XCTAssertEqual(try tok.decode(enc.encode(s)), s)
        }
        // random scalars from the whole code space (no surrogates)
        for _ in 0 ..< 100 {
            var u = String.UnicodeScalarView()
            for _ in 0 ..< 50 {
                let v = UInt32(g.next() % 0x110000)
                if let sc = Unicode.Scalar(v) { u.append(sc) }
            }
            let s = String(u)
            XCTAssertEqual(try tok.decode(enc.encode(s)), s)
        }
    }

    func testHeapMergeMatchesNaiveReference() {
        let tok = Self.trained
        var g = SplitMix64(seed: 3)
        let alphabet = Array("etaoinshrdlu ".utf8)
        for _ in 0 ..< 300 {
            let n = 1 + Int(g.next() % 120)
            let bytes = (0 ..< n).map { _ in alphabet[Int(g.next() % UInt64(alphabet.count))] }
            bytes.withUnsafeBufferPointer { b in
                var heapOut: [UInt32] = []
                tok.encodeWordHeap(b, into: &heapOut)
                XCTAssertEqual(heapOut, tok.encodeWordNaive(b))
            }
        }
    }

    func testCachedEncoderMatchesNaiveReference() {
        let tok = Self.trained
        let enc = BPEEncoder(tok)
        let text = Fixtures.text("web_sample.txt")
        var expect: [UInt32] = []
        for w in Pretokenizer.split(text) {
            var s = w
            s.withUTF8 { expect += tok.encodeWordNaive($0) }
        }
        XCTAssertEqual(enc.encode(text), expect)
        XCTAssertEqual(enc.encode(text), expect, "second pass (from cache) differs")
    }

    func testSaveLoadRoundTrip() throws {
        let tok = Self.trained
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ladder-tok-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try tok.save(to: url)
        let back = try BPETokenizer.load(from: url)
        XCTAssertEqual(back.tokenBytes, tok.tokenBytes)
        XCTAssertEqual(back.merges, tok.merges)
        XCTAssertEqual(back.specialTokens, tok.specialTokens)
        let s = Fixtures.text("austen_sample.txt")
        XCTAssertEqual(back.encode(s), tok.encode(s))
    }

    func testLoadRejectsGarbage() {
        XCTAssertThrowsError(try BPETokenizer(huggingFaceJSON: Data("{\"model\": {\"type\": \"WordPiece\"}}".utf8)))
        XCTAssertThrowsError(try BPETokenizer(huggingFaceJSON: Data("not json".utf8)))
    }

    func testDecodeRejectsUnknownIds() {
        XCTAssertThrowsError(try Self.trained.decode([5, 99999]))
    }

    /// Hugging Face `tokenizers` loads our JSON and produces the same ids.
    func testHuggingFaceTokenizersLoadsAndEncodesIdentically() throws {
        let candidates = ["python3", ProcessInfo.processInfo.environment["LADDER_BENCH_PY"]].compactMap { $0 }
        guard let py = candidates.first(where: { runPython($0, ["-c", "import tokenizers"]).status == 0 }) else {
            throw XCTSkip("Python package `tokenizers` not importable by python3 (pip install tokenizers); HF compatibility not checked")
        }
        let tok = Self.trained
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ladder-hf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try tok.save(to: dir.appendingPathComponent("tokenizer.json"))
        var g = SplitMix64(seed: 99)
        var texts = [Fixtures.text("austen_sample.txt"), Fixtures.text("web_sample.txt"), Fixtures.text("python_docs_sample.jsonl")]
        for _ in 0 ..< 200 { texts.append(Fixtures.randomUnicode(&g, length: Int(g.next() % 60))) }
        try JSONSerialization.data(withJSONObject: texts).write(to: dir.appendingPathComponent("texts.json"))
        let script = """
        import json, sys
        from tokenizers import Tokenizer
        t = Tokenizer.from_file(sys.argv[1] + "/tokenizer.json")
        texts = json.load(open(sys.argv[1] + "/texts.json", encoding="utf-8"))
        out = [t.encode(x, add_special_tokens=False).ids for x in texts]
        dec = [t.decode(ids, skip_special_tokens=False) == x for ids, x in zip(out, texts)]
        from tokenizers import ByteLevelBPETokenizer
        hf = ByteLevelBPETokenizer()
        hf.train_from_iterator(texts[:3], vocab_size=700, min_frequency=2, show_progress=False)
        hf.save(sys.argv[1] + "/hf.json")
        hf_ids = [hf.encode(x).ids for x in texts]
        json.dump({"ids": out, "decoded_equal": dec, "hf_ids": hf_ids}, open(sys.argv[1] + "/out.json", "w"))
        """
        let r = runPython(py, ["-c", script, dir.path])
        XCTAssertEqual(r.status, 0, "python failed: \(r.stderr)")
        let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("out.json"))) as! [String: Any]
        let ids = obj["ids"] as! [[Int]]
        let enc = BPEEncoder(tok)
        for (i, t) in texts.enumerated() {
            let ours = enc.encode(t).map(Int.init)
            XCTAssertEqual(ours, ids[i], "text \(i) encodes differently: \(t.prefix(80).debugDescription)")
        }
        let dec = obj["decoded_equal"] as! [Bool]
        XCTAssertEqual(dec.filter { !$0 }.count, 0, "HF decode of our ids does not reproduce the text")
        // and the other way: a tokenizer trained by HF loads here and encodes like HF
        let hf = try BPETokenizer.load(from: dir.appendingPathComponent("hf.json"))
        XCTAssertEqual(hf.vocabSize, 700)
        let hfIds = obj["hf_ids"] as! [[Int]]
        let hfEnc = BPEEncoder(hf)
        for (i, t) in texts.enumerated() {
            XCTAssertEqual(hfEnc.encode(t).map(Int.init), hfIds[i], "HF-trained tokenizer: text \(i) differs")
            XCTAssertEqual(try hf.decode(hfEnc.encode(t)), t)
        }
    }

    private func runPython(_ py: String, _ args: [String]) -> (status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [py] + args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = Pipe()
        do { try p.run() } catch { return (-1, "\(error)") }
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: e, as: UTF8.self))
    }
}
