import Foundation
import Store
import Sweeps
import XCTest

/// A stand-in for Slurm that runs each task's `command.sh` for real (with /bin/sh, as job.sh
/// would) at its first poll, so the coordinator's command mode is tested without daemons.
final class CommandRunningSlurm: SlurmControl {
    var submissions: [(options: [String], script: String)] = []
    var pending: [String: [(index: Int, runDir: URL)]] = [:]

    func submit(script: URL, jobName: String, array: String, options: [String]) throws -> String {
        submissions.append((options, try String(contentsOf: script, encoding: .utf8)))
        let tasks = try String(contentsOf: script.deletingLastPathComponent().appendingPathComponent("tasks.txt"), encoding: .utf8)
        let runs = script.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("runs")
        pending[jobName] = tasks.split(separator: "\n").enumerated().map { ($0.offset, runs.appendingPathComponent(String($0.element))) }
        return String(200 + submissions.count)
    }

    func tasks(jobName: String) throws -> [SlurmTask] {
        for task in pending[jobName] ?? [] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = [task.runDir.appendingPathComponent("command.sh").path]
            try p.run()
            p.waitUntilExit()
        }
        pending[jobName] = []
        return []
    }

    func exitDescription(jobId: String, index: Int) -> String? { "JobState=FAILED ExitCode=1:0" }
    func cancel(jobId: String, signal: String?, pendingOnly: Bool) throws {}
}

final class SlurmCommandModeTests: XCTestCase {
    func testArrayTasksRunTheTrainerCommandAndItsMetricsAreIngested() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // a protocol trainer: three steps, an evaluation, an end line with 1800 s of wall time;
        // a name with a quote and $(...) must arrive as one literal argument
        let trainer = folder.appendingPathComponent("train.sh")
        try """
            #!/bin/sh
            m="$1"; name="$2"
            [ "$LADDER_METRICS" = "$m" ] || exit 3
            printf '{"event":"start","step":0}\\n' >> "$m"
            for s in 1 2 3; do printf '{"step":%d,"train_loss":3.%d,"lr":0.01,"tokens_per_s":1000}\\n' $s $s >> "$m"; done
            printf '{"step":3,"val_loss":2.5,"tasks":{"name_len":%d}}\\n' ${#name} >> "$m"
            printf '{"event":"end","outcome":"done","loss":2.5,"wall_seconds":1800,"device":"cuda","world_size":2}\\n' >> "$m"
            """.write(to: trainer, atomically: true, encoding: .utf8)
        chmod(trainer.path, 0o755)
        let store = try ResultStore.open(path: folder.appendingPathComponent("results.sqlite").path)
        var planned = try SweepExpansion.fitRuns(SweepExpansionTests.spec())
        planned = Array(planned.prefix(2))
        // a hostile name without '/' (names must be safe folder names): the command would create
        // `pwned` in the task's working directory, the results folder
        let name = "it's $(touch pwned) `touch pwned`"
        planned[0].name = name
        let runs = try SweepStore.materialize(planned, sweep: "t", specText: "", store: store)
        let executor = try CommandExecutor(template: [trainer.path, "{metrics}", "{name}"], resultsFolder: folder)
        var options = SlurmSweep.Options()
        options.pollInterval = 0
        options.command = SlurmCommand(executor: executor, gpus: 2)
        let slurm = CommandRunningSlurm()
        let summary = try SlurmSweep(store: store, sweep: "t", ladder: URL(fileURLWithPath: "/x/ladder"), slurm: slurm,
                                     options: options).run(runs.compactMap(\.id))
        XCTAssertEqual(summary.done, 2)
        XCTAssertTrue(slurm.submissions[0].options.contains("--gres=gpu:2"))
        XCTAssertTrue(slurm.submissions[0].script.contains(#"exec /bin/sh "$RUN_DIR/command.sh""#))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("pwned").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "pwned"), "the name reached a shell")
        for r in runs {
            let stored = try XCTUnwrap(try store.run(id: r.id!))
            XCTAssertEqual(stored.status, .done)
            XCTAssertEqual(stored.finalValLoss, 2.5)
            XCTAssertEqual(try store.metrics(runId: r.id!).map(\.step), [1, 2, 3])
            let resources = try XCTUnwrap(try store.resources(runId: r.id!))
            XCTAssertEqual(resources.gpuHours, 1.0, accuracy: 1e-12, "2 GPUs x 1800 s")
            XCTAssertEqual(resources.device, "cuda")
            XCTAssertEqual(resources.worldSize, 2)
        }
        XCTAssertEqual(try store.taskMetrics(runId: runs[0].id!).first?.value, Double(name.utf8.count))
    }
}
