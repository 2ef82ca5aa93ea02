import Foundation
import XCTest

/// The fuzz targets' seed corpora (and any crashing input added to them) replayed through
/// `ladder-fuzz` as built for the tests (no libFuzzer: each file once): every parser survives.
final class FuzzCorpusReplayTests: XCTestCase {
    static let corpora = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FuzzCorpus")

    func testEveryTargetReplaysItsCorpus() throws {
        let binary = CLIHarness.executable.deletingLastPathComponent().appendingPathComponent("ladder-fuzz")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw XCTSkip("ladder-fuzz not built") }
        let targets = try FileManager.default.contentsOfDirectory(atPath: Self.corpora.path).sorted()
        XCTAssertEqual(targets, ["csv-import", "json-import", "safetensors", "shard-manifest", "sweep-toml", "tokenizer-json", "train-toml"])
        for target in targets {
            let process = Process()
            process.executableURL = binary
            process.arguments = [target, Self.corpora.appendingPathComponent(target).path]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .exit, target)
            XCTAssertEqual(process.terminationStatus, 0, target)
            XCTAssertTrue(text.contains("without a crash"), text)
        }
    }
}
