import Foundation
import Store
import XCTest

/// `ladder train` with [parallel] checkpoints like a single-rank run; a killed run resumes with
/// `ladder run-job --run ID`, under the same or another layout.
final class ParallelTrainCommandTests: XCTestCase {
    var cli: CLIHarness!
    override func setUpWithError() throws { cli = try CLIHarness() }
    override func tearDown() { cli.cleanUp() }

    /// A tiny model on the bundled corpus, batch 4 on 2 threads, with `train` and `parallel` lines.
    static func config(train: String, parallel: String) -> String {
        """
        [model]
        seq_len = 32
        d_model = 32
        n_layer = 2
        n_head = 2
        [data]
        path = "\(TrainCommandTests.corpus)"
        [train]
        batch = 4
        threads = 2
        \(train)
        [parallel]
        \(parallel)
        """
    }

    func testKilledParallelRunResumesFromItsCheckpoint() throws {
        try cli.write("p.toml", Self.config(train: "steps = 400\ncheckpoint_interval = 5", parallel: "dp = 2"))
        let process = Process()
        process.executableURL = CLIHarness.executable
        process.arguments = ["train", "p.toml", "--name", "par", "--json"]
        process.currentDirectoryURL = URL(fileURLWithPath: cli.path("."))
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // the run's folder is named by its id and identity: found once the run is stored
        let runs = URL(fileURLWithPath: cli.path("Results/train/runs"))
        var checkpoint = ""
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline {
            if let folder = (try? FileManager.default.contentsOfDirectory(atPath: runs.path))?.first(where: { $0.hasPrefix("1-") }) {
                checkpoint = runs.appendingPathComponent(folder).appendingPathComponent("checkpoint.safetensors").path
                if FileManager.default.fileExists(atPath: checkpoint) { break }
            }
            usleep(20_000)
        }
        XCTAssertTrue(process.isRunning, "the run ended before it could be killed; make it longer")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint))

        let out = try cli.ok(["run-job", "--run", "1", "--json"])
        let events = out.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let resume = try XCTUnwrap(events.first { $0["event"] as? String == "resume" }, out)
        let from = try XCTUnwrap(resume["step"] as? Int)
        XCTAssertGreaterThan(from, 0)
        XCTAssertEqual(from % 5, 0, "resumes at a checkpoint step")
        XCTAssertEqual(events.filter { $0["event"] as? String == "step" }.count, 400 - from)
        let store = try ResultStore.open(path: cli.path("Results/ladder.sqlite"))
        let run = try XCTUnwrap(try store.run(id: 1))
        XCTAssertEqual(run.status, .done)
        let recorded = try store.metrics(runId: 1).filter { $0.trainLoss != nil }.map(\.step)
        XCTAssertEqual(recorded, Array(1...400), "every step recorded once (missing: \(Set(1...400).subtracting(recorded).sorted()))")
    }

    /// `train.precision` = fp16 trains under [parallel] dp and tp (the end line names the
    /// precision and the loss scaler's skipped steps); the experimental fp8 is refused under tensor
    /// parallelism with a message naming the layout.
    func testMixedPrecisionTrainsUnderDataAndTensorParallelismAndFP8IsRefused() throws {
        func config(_ precision: String, _ parallel: String) -> String {
            Self.config(train: "steps = 6\nprecision = \"\(precision)\"", parallel: parallel)
        }
        for layout in ["dp", "tp"] {
            try cli.write("\(layout).toml", config("fp16", "\(layout) = 2"))
            let out = try cli.ok(["train", "\(layout).toml", "--name", "\(layout)16", "--json"])
            let events = out.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            let end = try XCTUnwrap(events.first { $0["event"] as? String == "end" }, out)
            XCTAssertEqual(end["status"] as? String, "done", out)
            XCTAssertEqual(end["precision"] as? String, "fp16")
            XCTAssertNotNil(end["skipped_steps"] as? Int, layout)
            XCTAssertEqual(events.filter { $0["event"] as? String == "step" }.count, 6, layout)
        }
        try cli.write("tp8.toml", config("fp8", "tp = 2"))
        let refused = try cli.run(["train", "tp8.toml", "--name", "tp8"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("tp=2") && refused.stderr.contains("fp8"), refused.stderr)
    }
}
