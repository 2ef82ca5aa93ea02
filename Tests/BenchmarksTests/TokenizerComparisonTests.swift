import Benchmarks
import DataPrep
import Foundation
import XCTest

final class TokenizerComparisonTests: XCTestCase {
    static func ours() -> TokenizerBenchmark {
        let json = #"{"system": "ladder-bpe", "vocab": 512, "threads": 1, "mb": 2, "train_s": 4, "encode_mb_per_s": 30, "bytes_per_token": 3.3, "round_trip_ok": true}"#
        return try! JSONDecoder().decode(TokenizerBenchmark.self, from: Data(json.utf8))
    }

    func testRecordPutsTheBaselineBesideOursWithTheRatios() {
        let baseline: [String: Any] = ["system": "hf-tokenizers", "train_s": 2.0, "encode_mb_per_s": 10.0, "bytes_per_token": 3.0]
        let o = TokenizerComparison.record(ours: Self.ours(), baseline: baseline, note: nil)
        XCTAssertEqual(o["encode_speedup"] as? Double, 3)
        XCTAssertEqual(o["train_speedup"] as? Double, 0.5)
        XCTAssertEqual(o["bytes_per_token_rel_diff"] as? Double, 0.1)
        XCTAssertNil(o["baseline_note"])
        XCTAssertEqual((o["baseline"] as? [String: Any])?["system"] as? String, "hf-tokenizers")
    }

    func testAMissingOrFailingBaselineIsANoteNotAnError() throws {
        let missing = TokenizerComparison.baseline(script: URL(fileURLWithPath: "/nonexistent/tokenize_hf.py"), python: "python3",
                                                   vocab: 512, files: [])
        XCTAssertNil(missing.record)
        XCTAssertEqual(missing.note, "baseline script not found")
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("fail-\(UUID().uuidString).py")
        try "import sys\nsys.exit(3)\n".write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let failed = TokenizerComparison.baseline(script: script, python: "python3", vocab: 512, files: [])
        XCTAssertNil(failed.record)
        XCTAssertTrue(failed.note?.contains("exit 3") ?? false, failed.note ?? "")
        let o = TokenizerComparison.record(ours: Self.ours(), baseline: nil, note: failed.note)
        XCTAssertNil(o["encode_speedup"])
        XCTAssertEqual(o["baseline_note"] as? String, failed.note)
    }
}
