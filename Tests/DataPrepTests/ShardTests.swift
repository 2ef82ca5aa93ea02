import DataPrep
import Foundation
import Randomness
import XCTest

final class ShardTests: XCTestCase {
    private func tempDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("ladder-shards-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    private func roundTrip(vocab: Int, seed: UInt64) throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var g = SplitMix64(seed: seed)
        let eot = UInt32(vocab - 1)
        let w = ShardWriter(directory: dir, prefix: "train", vocabSize: vocab, endOfText: eot, maxTokensPerShard: 500)
        var expected: [UInt32] = []
        var docs = 0
        for _ in 0 ..< 60 {
            let n = Int(g.next() % 40) + 1
            let doc = (0 ..< n).map { _ in UInt32(g.next() % UInt64(vocab - 1)) }
            try w.append(document: doc)
            expected += doc + [eot]
            docs += 1
        }
        let infos = try w.close()
        XCTAssertGreaterThan(infos.count, 1, "expected several shards")
        XCTAssertEqual(infos.map(\.documents).reduce(0, +), docs)
        var got: [UInt32] = []
        for info in infos {
            let s = try TokenShard(contentsOf: dir.appendingPathComponent(info.file))
            XCTAssertEqual(s.tokenWidth, vocab <= 65536 ? 2 : 4)
            XCTAssertEqual(s.count, info.tokens)
            XCTAssertLessThanOrEqual(s.count, 500)
            got += s.allTokens()
            // Int32 bulk read agrees with the subscript
            var buf = [Int32](repeating: -1, count: s.count)
            buf.withUnsafeMutableBufferPointer { s.read(0 ..< s.count, into: $0.baseAddress!) }
            XCTAssertEqual(buf.map { UInt32($0) }, s.allTokens())
        }
        XCTAssertEqual(got, expected)
    }

    func testUInt16ShardsReadBackSameTokens() throws { try roundTrip(vocab: 8192, seed: 1) }
    func testUInt32ShardsReadBackSameTokens() throws { try roundTrip(vocab: 100_000, seed: 2) }

    func testTruncatedShardIsRejected() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let w = ShardWriter(directory: dir, prefix: "val", vocabSize: 300, endOfText: nil)
        try w.append(document: [1, 2, 3, 4])
        let info = try w.close()[0]
        let url = dir.appendingPathComponent(info.file)
        var d = try Data(contentsOf: url)
        d.removeLast()
        try d.write(to: url)
        XCTAssertThrowsError(try TokenShard(contentsOf: url))
        try Data(Array("not a shard at all, clearly not".utf8) + [0, 0, 0]).write(to: url)
        XCTAssertThrowsError(try TokenShard(contentsOf: url))
    }

    func testTokenTooLargeForWidthThrows() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let w = ShardWriter(directory: dir, prefix: "train", vocabSize: 1000, endOfText: nil)
        XCTAssertThrowsError(try w.append(document: [70000]))
    }

    func testManifestRoundTrip() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var m = ShardManifest(vocabSize: 8192, endOfText: 8191, valFraction: 0.1)
        m.dropped = ["gopher_quality.word_count": 3]
        m.shards = [ShardInfo(file: "train_000000.tok", split: "train", tokens: 10, documents: 2)]
        try m.save(to: dir)
        let back = try ShardManifest.load(from: dir)
        XCTAssertEqual(back.tokenWidth, 2)
        XCTAssertEqual(back.dropped, m.dropped)
        XCTAssertEqual(back.shards, m.shards)
        XCTAssertEqual(back.endOfText, 8191)
    }
}
