import Foundation
import Store
import XCTest

/// The reference PyTorch trainer (Sweeps/trainers/ladder_torch.py) behind `ladder sweep run
/// --executor command`, on CPU: Sweeps/torch-tiny.toml end to end, with the coordinator and one
/// trainer killed with SIGKILL mid-sweep. Needs a python with torch (.ci/install-torch, or
/// LADDER_TORCH_PYTHON); skipped without one, except under CI (LADDER_REQUIRE_TORCH=1).
final class TorchTrainerCommandTests: XCTestCase {
    var cli: CLIHarness!
    override func setUpWithError() throws { cli = try CLIHarness() }
    override func tearDown() { cli.cleanUp() }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A python that imports torch, or a skip (a failure under LADDER_REQUIRE_TORCH=1).
    static func torchPython() throws -> String {
        let env = ProcessInfo.processInfo.environment
        let candidates = [env["LADDER_TORCH_PYTHON"],
                          env["LADDER_TORCH_VENV"].map { $0 + "/bin/python3" },
                          NSHomeDirectory() + "/.cache/ladder-torch-venv/bin/python3"].compactMap { $0 }
        for python in candidates where FileManager.default.isExecutableFile(atPath: python) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = ["-c", "import torch, numpy"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            if p.terminationStatus == 0 { return python }
        }
        if env["LADDER_REQUIRE_TORCH"] == "1" {
            XCTFail("LADDER_REQUIRE_TORCH=1 but no python with torch at \(candidates): run .ci/install-torch")
        }
        throw XCTSkip("no python with torch (run .ci/install-torch or set LADDER_TORCH_PYTHON)")
    }

    /// Sweeps/torch-tiny.toml with absolute paths and the given python.
    func sweepFile(python: String) throws -> String {
        let sweeps = Self.repository.appendingPathComponent("Sweeps")
        var text = try String(contentsOf: sweeps.appendingPathComponent("torch-tiny.toml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "\"data/prose.txt.gz\"", with: "\"\(sweeps.path)/data/prose.txt.gz\"")
        text = text.replacingOccurrences(of: "[\"python3\", \"Sweeps/trainers/", with: "[\"\(python)\", \"\(sweeps.path)/trainers/")
        XCTAssertTrue(text.contains(sweeps.path + "/trainers/ladder_torch.py"), "torch-tiny.toml's command changed: update this test")
        return text
    }

    func lines(_ url: URL) -> [[String: Any]] {
        guard let data = FileManager.default.contents(atPath: url.path) else { return [] }
        return data.split(separator: UInt8(ascii: "\n")).compactMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
    }

    /// kill -9 of the coordinator and of a trainer that has checkpointed, then the same command again:
    /// each run finishes exactly once, its metrics are steps 1...steps with none missing or twice, the
    /// killed run resumed from its checkpoint to the loss an uninterrupted run reaches; then a fit
    /// and a report.
    func testTorchSweepSurvivesKillMinusNineAndStreamsMetrics() throws {
        let python = try Self.torchPython()
        try cli.write("s.toml", try sweepFile(python: python))
        let runsFolder = cli.folder.appendingPathComponent("torch-tiny/runs")
        let process = Process()
        process.executableURL = CLIHarness.executable
        process.arguments = ["sweep", "run", "s.toml", "--executor", "command", "--jobs", "2", "--db", "t.sqlite"]
        process.currentDirectoryURL = cli.folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // wait for a trainer that has written a checkpoint and at least one step after it, then kill
        var victim: (pid: Int32, run: String)?
        let deadline = Date().addingTimeInterval(120)
        while victim == nil && Date() < deadline && process.isRunning {
            Thread.sleep(forTimeInterval: 0.1)
            for run in (try? FileManager.default.contentsOfDirectory(atPath: runsFolder.path)) ?? [] {
                let events = lines(runsFolder.appendingPathComponent(run).appendingPathComponent("trainer.jsonl"))
                guard let lastLine = events.last, lastLine["event"] == nil, let last = lastLine["step"] as? Int,
                      let checkpoint = events.last(where: { $0["event"] as? String == "checkpoint" })?["step"] as? Int,
                      last > checkpoint, let pid = Self.child(of: process.processIdentifier, running: run) else { continue }
                victim = (pid, run)
                break
            }
        }
        let (pid, killedRun) = try XCTUnwrap(victim, "no trainer reached a checkpoint mid-run")
        kill(process.processIdentifier, SIGKILL)
        kill(pid, SIGKILL)
        process.waitUntilExit()
        let killedFile = runsFolder.appendingPathComponent(killedRun).appendingPathComponent("trainer.jsonl")
        let stepsBefore = (lines(killedFile).last?["step"] as? Int) ?? 0

        let rerun = try cli.run(["sweep", "run", "s.toml", "--executor", "command", "--jobs", "2", "--db", "t.sqlite"])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertTrue(rerun.stdout.contains("stored as fit"), rerun.stdout)
        let store = try ResultStore.open(path: cli.path("t.sqlite"))
        let runs = try store.runs(sweep: "torch-tiny").map(\.run)
        XCTAssertEqual(runs.count, 7, "six grid runs and one validation run")
        for run in runs {
            XCTAssertEqual(run.status, .done, "\(run.name ?? "") \(run.error ?? "")")
            let config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.config.utf8)) as? [String: Any])
            let steps = try XCTUnwrap((config["train"] as? [String: Any])?["steps"] as? Int)
            let metrics = try store.metrics(runId: run.id!)
            XCTAssertEqual(metrics.map(\.step), Array(1...steps), "\(run.name ?? ""): a gap or a duplicate")
            XCTAssertTrue(metrics.allSatisfy { $0.trainLoss != nil && $0.learningRate != nil && $0.tokensPerSecond != nil })
            XCTAssertEqual(metrics.last?.valLoss, run.finalValLoss)
            XCTAssertGreaterThanOrEqual(metrics.filter { $0.valLoss != nil }.count, 2)
            let ends = lines(RunFolder.location(resultsFolder: cli.folder, sweep: "torch-tiny", run: run).appendingPathComponent("trainer.jsonl"))
                .filter { $0["event"] as? String == "end" && $0["outcome"] as? String == "done" }
            XCTAssertEqual(ends.count, 1, "\(run.name ?? "") trained to its end more than once")
            XCTAssertEqual(try store.resources(runId: run.id!)?.device, "cpu")
        }
        // the killed run restarted from its checkpoint (not from step 0), before the step it had reached
        let starts = lines(killedFile).filter { $0["event"] as? String == "start" }.compactMap { $0["step"] as? Int }
        XCTAssertEqual(starts.count, 2, "\(starts)")
        XCTAssertEqual(starts.first, 0)
        XCTAssertGreaterThan(starts.last ?? 0, 0)
        XCTAssertLessThan(starts.last ?? .max, stepsBefore)

        // resume is exact: the same config trained without interruption ends at the same loss
        let killed = try XCTUnwrap(runs.first { RunFolder.name(runId: $0.id!, uuid: $0.uuid) == killedRun })
        let fresh = cli.folder.appendingPathComponent("fresh")
        let direct = Process()
        direct.executableURL = URL(fileURLWithPath: python)
        direct.arguments = [Self.repository.appendingPathComponent("Sweeps/trainers/ladder_torch.py").path,
                            runsFolder.appendingPathComponent(killedRun).appendingPathComponent("config.json").path,
                            "--run-dir", fresh.path]
        direct.standardError = FileHandle.nullDevice
        try direct.run()
        direct.waitUntilExit()
        XCTAssertEqual(direct.terminationStatus, 0)
        let freshEnd = try XCTUnwrap(lines(fresh.appendingPathComponent("trainer.jsonl")).last)
        XCTAssertEqual(freshEnd["loss"] as? Double ?? 0, try XCTUnwrap(killed.finalValLoss), accuracy: 1e-6)

        let report = try cli.ok(["report", "--db", "t.sqlite", "--sweep", "torch-tiny", "--text"])
        XCTAssertFalse(report.isEmpty)
    }

    /// The pid of a child of `parent` whose command line names run folder `run`.
    static func child(of parent: Int32, running run: String) -> Int32? {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            guard fields.count > 1, Int32(fields[1]) == parent,
                  let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
            if String(decoding: cmdline, as: UTF8.self).contains("/runs/\(run)/") { return pid }
        }
        return nil
    }
}
