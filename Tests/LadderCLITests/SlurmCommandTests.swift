import Foundation
import Store
import XCTest

/// `ladder sweep run --executor slurm` against a real Slurm (CI starts a single-host one with
/// .ci/start-slurm). Skipped where no Slurm answers, unless LADDER_REQUIRE_SLURM=1 (CI), where a
/// missing Slurm is a failure.
final class SlurmCommandTests: XCTestCase {
    var cli: CLIHarness!
    override func setUpWithError() throws {
        cli = try CLIHarness()
        guard Self.slurmAnswers() else {
            if ProcessInfo.processInfo.environment["LADDER_REQUIRE_SLURM"] == "1" {
                XCTFail("LADDER_REQUIRE_SLURM=1 but sinfo does not answer: start Slurm with .ci/start-slurm")
                throw XCTSkip("no Slurm")
            }
            throw XCTSkip("no Slurm on this machine (sinfo does not answer); .ci/start-slurm starts a single-host one")
        }
    }
    override func tearDown() { cli?.cleanUp() }

    static func slurmAnswers() -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["sinfo", "-h", "-o", "%T"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return p.terminationStatus == 0 && !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }

    let sweep = """
        name = "slurm-e2e"
        [data]
        path = "\(TrainCommandTests.corpus)"
        [model]
        vocab = 256
        seq_len = 16
        params = "non_embedding"
        [train]
        batch = 4
        threads = 1
        [grid]
        retries = 0
        checkpoints_per_run = 8
        [[grid.budget]]
        flops = 1e9
        sizes = 3
        min_params = 2e3
        max_params = 2e4
        [plan]
        flops = [1e15]
        bootstrap = 5
        """

    /// One array, every run trained by a Slurm task and ingested by the coordinator; the
    /// coordinator killed with -9 mid-sweep and started again reattaches to the same array (no
    /// second submission) and ends with every run done once.
    func testSweepRunsAsOneJobArrayAndSurvivesCoordinatorKill() throws {
        try cli.write("s.toml", sweep)
        let db = cli.path("r.sqlite")
        let coordinator = Process()
        coordinator.executableURL = CLIHarness.executable
        coordinator.arguments = ["sweep", "run", "s.toml", "--executor", "slurm", "--jobs", "2", "--db", db]
        coordinator.currentDirectoryURL = cli.folder
        let err = Pipe()
        coordinator.standardError = err
        coordinator.standardOutput = FileHandle.nullDevice
        try coordinator.run()
        var seen = ""
        while !seen.contains("submitted Slurm job array") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        XCTAssertTrue(seen.contains("submitted Slurm job array"), seen)
        kill(coordinator.processIdentifier, SIGKILL)
        coordinator.waitUntilExit()

        let second = try cli.run(["sweep", "run", "s.toml", "--executor", "slurm", "--jobs", "2", "--db", db])
        XCTAssertEqual(second.status, 0, second.stderr)
        let store = try ResultStore.open(path: db)
        let runs = try store.runs(sweep: "slurm-e2e").map(\.run)
        XCTAssertEqual(runs.count, 3)
        for r in runs {
            XCTAssertEqual(r.status, .done, "\(r.name ?? "") \(r.error ?? "")")
            XCTAssertNotNil(r.finalValLoss)
            XCTAssertLessThan(r.finalValLoss ?? 99, 5.6, "trained below the uniform byte loss ln 256")
            let metrics = try store.metrics(runId: r.id!)
            XCTAssertEqual(metrics.last?.step, Int(r.tokens / 64), "metrics ingested up to the last step")
        }
        let submissions = try FileManager.default.contentsOfDirectory(atPath: cli.path("slurm-e2e/slurm"))
        XCTAssertEqual(submissions.count, 1, "the second coordinator reattached: \(submissions)\n\(second.stderr)")

        let third = try cli.run(["sweep", "run", "s.toml", "--executor", "slurm", "--db", db])
        XCTAssertEqual(third.status, 0, third.stderr)
        XCTAssertTrue(third.stderr.contains("3 grid runs (3 already done)"), third.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cli.path("slurm-e2e/slurm")).count, 1)
    }
}
