import Foundation
import Store
import XCTest

final class TrainCommandTests: XCTestCase {
    var cli: CLIHarness!
    override func setUpWithError() throws { cli = try CLIHarness() }
    override func tearDown() { cli.cleanUp() }

    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("TrainingTests/Resources/austen-slice.txt").path

    /// fp16 runs record their loss scale per step and their skipped-step count in the store.
    func testFP16RunRecordsLossScaleAndSkippedSteps() throws {
        try cli.write("h.toml", "[model]\nseq_len = 32\nd_model = 32\nn_layer = 1\nn_head = 2\n[data]\npath = \"\(Self.corpus)\"\n[train]\nbatch = 4\nsteps = 12\nthreads = 1\nprecision = \"fp16\"\n")
        _ = try cli.ok(["train", "h.toml", "--name", "half", "--json"])
        let store = try ResultStore.open(path: cli.path("Results/ladder.sqlite"))
        let run = try XCTUnwrap(try store.runs(sweep: "train").first?.run)
        XCTAssertEqual(run.status, .done)
        let metrics = try store.metrics(runId: run.id!)
        XCTAssertEqual(metrics.count, 12)
        XCTAssertTrue(metrics.allSatisfy { $0.lossScale != nil && $0.skippedSteps != nil }, "\(metrics)")
        XCTAssertEqual(run.skippedSteps, metrics.last?.skippedSteps)
        XCTAssertLessThanOrEqual(metrics.last!.lossScale!, 65536)
        XCTAssertTrue(run.config.contains("\"precision\":\"fp16\""), run.config)
    }

    func testTrainRecordsTheRunAndItsMetrics() throws {
        try cli.write("t.toml", """
            [model]
            seq_len = 32
            d_model = 32
            n_layer = 2
            n_head = 2
            [data]
            path = "\(Self.corpus)"
            val_fraction = 0.1
            [train]
            batch = 4
            steps = 40
            lr = 3e-3
            eval_interval = 20
            threads = 2
            """)
        let out = try cli.ok(["train", "t.toml", "--json", "--name", "tiny"])
        let events = out.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(events.filter { $0["event"] as? String == "step" }.count, 40)
        XCTAssertEqual(events.filter { $0["event"] as? String == "eval" }.count, 2)
        let step = try XCTUnwrap(events.first { $0["event"] as? String == "step" })
        XCTAssertGreaterThan(step["mfu"] as? Double ?? 0, 0, "MFU against the stated peak")
        let end = try XCTUnwrap(events.last)
        XCTAssertEqual(end["status"] as? String, "done")
        let store = try ResultStore.open(path: cli.path("Results/ladder.sqlite"))
        let run = try XCTUnwrap(try store.runs(sweep: "train").first?.run)
        XCTAssertEqual(run.name, "tiny")
        XCTAssertEqual(run.status, .done)
        XCTAssertEqual(run.tokens, 40 * 4 * 32)
        XCTAssertEqual(run.flops, 6 * run.params * run.tokens)
        XCTAssertLessThan(try XCTUnwrap(run.finalValLoss), log(256.0) - 0.5)
        let metrics = try store.metrics(runId: run.id!)
        XCTAssertEqual(metrics.count, 40)
        XCTAssertEqual(metrics.filter { $0.valLoss != nil }.map(\.step), [20, 40])
        let folder = RunFolder.location(resultsFolder: URL(fileURLWithPath: cli.path("Results")), sweep: "train", run: run)
        XCTAssertEqual(folder.lastPathComponent, "\(run.id!)-\(run.uuid!.replacingOccurrences(of: "-", with: "").prefix(12))",
                       "run folders are named by id and identity")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("checkpoint.safetensors").path))
    }

    func testBadConfigsNameTheKey() throws {
        try cli.write("heads.toml", "[model]\nseq_len = 32\nd_model = 30\nn_layer = 1\nn_head = 4\n[data]\npath = \"\(Self.corpus)\"\n")
        let heads = try cli.run(["train", "heads.toml"])
        XCTAssertTrue(heads.stderr.contains("d_model (30) must be divisible by model.n_head (4)"), heads.stderr)
        try cli.write("typo.toml", "[model]\nseq_len = 32\nd_model = 32\nn_layer = 1\nn_head = 4\n[data]\npath = \"\(Self.corpus)\"\n[train]\nstesp = 3\n")
        let typo = try cli.run(["train", "typo.toml"])
        XCTAssertTrue(typo.stderr.contains("typo.toml:9:") && typo.stderr.contains("unknown key 'train.stesp'"), typo.stderr)
        try cli.write("long.toml", "[model]\nseq_len = 100000\nd_model = 32\nn_layer = 1\nn_head = 4\n[data]\npath = \"\(Self.corpus)\"\n")
        let long = try cli.run(["train", "long.toml"])
        XCTAssertTrue(long.stderr.contains("fewer than one window"), long.stderr)
        try cli.write("zero.toml", "[model]\nseq_len = 32\nd_model = 32\nn_layer = 1\nn_head = 4\n[data]\npath = \"\(Self.corpus)\"\n[train]\nsteps = 0\n")
        let zero = try cli.run(["train", "zero.toml"])
        XCTAssertTrue(zero.stderr.contains("train.steps must be at least 1"), zero.stderr)
    }
}
