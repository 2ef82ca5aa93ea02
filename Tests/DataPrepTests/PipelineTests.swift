import DataPrep
import Foundation
import Randomness
import LadderTestSupport
import XCTest

final class PipelineTests: FolderTestCase {
    var dir: URL { folder }

    override func setUpWithError() throws {
        try super.setUpWithError()
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("in"), withIntermediateDirectories: true)
    }

    func testConfigMergesOverDefaultsAndRejectsUnknownKeys() throws {
        let c = try PrepareConfig.parse(json: Data(#"{"gopher_quality": {"min_words": 20}, "ingest": {"separator": "\n\n"}, "tokenizer": {"vocab_size": 1000}}"#.utf8))
        XCTAssertEqual(c.gopherQuality.minWords, 20)
        XCTAssertEqual(c.gopherQuality.maxWords, 100_000)
        XCTAssertEqual(c.ingest.separator, "\n\n")
        XCTAssertEqual(c.tokenizer.vocabSize, 1000)
        XCTAssertEqual(c.c4, C4Options())
        XCTAssertThrowsError(try PrepareConfig.parse(json: Data(#"{"gopher_quality": {"min_wrds": 20}}"#.utf8))) { e in
            XCTAssertTrue("\(e)".contains("min_wrds") && "\(e)".contains("min_words"), "\(e)")
        }
        XCTAssertThrowsError(try PrepareConfig.parse(json: Data(#"{"threads": "many"}"#.utf8)))
        XCTAssertThrowsError(try PrepareConfig.parse(json: Data("[1, 2]".utf8)))
    }

    func testEndToEndPreparation() throws {
        let inDir = dir.appendingPathComponent("in")
        let austen = Fixtures.text("austen_sample.txt")
        try Data(austen.utf8).write(to: inDir.appendingPathComponent("austen.txt"))
        try Data(Fixtures.text("web_sample.txt").utf8).write(to: inDir.appendingPathComponent("web.txt"))
        // an exact duplicate of one paragraph in another file, and a malformed JSONL file
        let paragraphs = TextNormalizer().normalize(austen).components(separatedBy: "\n\n").filter { $0.split(separator: " ").count > 80 }
        try Data(paragraphs[0].utf8).write(to: inDir.appendingPathComponent("dup.txt"))
        try Data(("{\"text\": \"" + paragraphs[1].replacingOccurrences(of: "\"", with: "\\\"") + "\"}\n{broken json\n").utf8)
            .write(to: inDir.appendingPathComponent("extra.jsonl"))
        var cfg = try PrepareConfig.parse(json: Data(#"{"ingest": {"separator": "\n\n"}, "gopher_quality": {"min_words": 30}, "c4": {"min_sentences": 2}}"#.utf8))
        cfg.tokenizer.vocabSize = 600
        cfg.shards.valFraction = 0.2
        cfg.shards.maxTokensPerShard = 4000
        cfg.threads = 2
        let refURL = dir.appendingPathComponent("ref.txt")
        try Data(Fixtures.text("web_sample.txt").utf8).write(to: refURL)
        cfg.perplexity.reference = [refURL.path]
        cfg.perplexity.order = 3
        cfg.classifier.reference = [refURL.path]
        cfg.classifier.threshold = 0.02
        let out = dir.appendingPathComponent("out")
        let report = try DataPipeline(config: cfg).run(inputs: [inDir.path], output: out)

        XCTAssertEqual(report.drops.counts["ingest.malformed_json"], 1)
        XCTAssertGreaterThanOrEqual(report.drops.counts["dedup.exact"] ?? 0, 1)
        let nonIngestDrops = report.drops.counts.filter { !$0.key.hasPrefix("ingest.") }.values.reduce(0, +)
        XCTAssertEqual(report.documentsRead, report.train.documents + report.val.documents + nonIngestDrops, "every document is kept or counted")
        XCTAssertGreaterThan(report.val.documents, 0)
        XCTAssertGreaterThan(report.train.documents, report.val.documents)
        XCTAssertEqual(report.stages.last?.kept, report.train.documents + report.val.documents)

        let manifest = try ShardManifest.load(from: out)
        XCTAssertEqual(manifest.vocabSize, 600)
        XCTAssertEqual(manifest.tokenWidth, 2)
        let tok = try BPETokenizer.load(from: out.appendingPathComponent(manifest.tokenizer))
        let eot = try XCTUnwrap(manifest.endOfText)
        for split in ["train", "val"] {
            let shards = try manifest.openShards(split: split, in: out)
            let tokens = shards.flatMap { $0.allTokens() }
            let expected = split == "train" ? manifest.train : manifest.val
            XCTAssertEqual(tokens.count, expected.tokens)
            XCTAssertEqual(tokens.filter { $0 == eot }.count, expected.documents)
            // every document decodes to text made of the inputs' words
            var bytes = 0
            for doc in tokens.split(separator: eot) {
                let text = try tok.decode(doc)
                bytes += text.utf8.count
                XCTAssertFalse(text.isEmpty)
            }
            XCTAssertEqual(bytes, expected.bytes)
        }
        XCTAssertGreaterThan(try manifest.openShards(split: "train", in: out).count, 1, "small shard limit should give several shards")
        // ShardSet reads windows across shard boundaries
        let set = try ShardSet(directory: out, split: "train")
        let all = try manifest.openShards(split: "train", in: out).flatMap { $0.allTokens() }.map { Int32($0) }
        XCTAssertEqual(set.count, all.count)
        var g = SplitMix64(seed: 8)
        for _ in 0 ..< 200 {
            let a = Int(g.next() % UInt64(all.count - 1))
            let len = 1 + Int(g.next() % UInt64(min(9000, all.count - a)))
            XCTAssertEqual(set.tokens(a ..< a + len), Array(all[a ..< a + len]))
        }
        let md = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("ingest.malformed_json"))
        XCTAssertTrue(md.contains("| dedup |"))
        XCTAssertNotNil(report.perplexityHead)
        XCTAssertGreaterThan(report.drops.counts["perplexity.tail"] ?? 0, 0, "the default keeps head and middle only")
        XCTAssertEqual(report.drops.counts["perplexity.head"], nil)
        XCTAssertGreaterThan(report.classifierPositives, 0)
        XCTAssertGreaterThan(report.classifierNegatives, 0)
    }

    /// Reading a 64 MB JSONL file through ingest + normalization + filters keeps the resident
    /// memory within a few tens of MB of where it started.
    func testMemoryStaysBoundedOnLargeInput() throws {
        let url = dir.appendingPathComponent("big.jsonl")
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let h = try FileHandle(forWritingTo: url)
        var g = SplitMix64(seed: 31)
        let words = FilterTests.plain + ["river", "meadow", "stone", "bridge", "candle", "winter", "summer"]
        var written = 0
        var chunk = ""
        while written < 64 << 20 {
            let text = (0 ..< 300).map { _ in words[Int(g.next() % UInt64(words.count))] }.joined(separator: " ") + "."
            chunk += "{\"text\": \"\(text)\"}\n"
            if chunk.utf8.count > 1 << 20 {
                try h.write(contentsOf: Data(chunk.utf8))
                written += chunk.utf8.count
                chunk = ""
            }
        }
        try h.close()
        func rss() -> Int {
            let s = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? "0 0"
            return (Int(s.split(separator: " ")[1]) ?? 0) * 4096
        }
        let base = rss()
        var peak = base
        var docs = 0
        let norm = TextNormalizer()
        let quality = GopherQualityFilter()
        var fineweb = FineWebFilter()
        let reader = DocumentReader()
        try reader.read([url.path]) { d in
            let t = norm.normalize(d.text)
            _ = quality.check(t)
            _ = fineweb.check(t)
            docs += 1
            if docs % 2000 == 0 { peak = max(peak, rss()) }
        }
        XCTAssertGreaterThan(docs, 30000)
        XCTAssertEqual(reader.bytesRead, written)
        XCTAssertLessThan(peak - base, 40 << 20, "resident memory grew by \((peak - base) >> 20) MB reading \(written >> 20) MB")
    }
}
