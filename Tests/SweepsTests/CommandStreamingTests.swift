import Foundation
import Store
import Sweeps
import LadderTestSupport
import XCTest

/// The command executor follows a running trainer's metrics file: points reach the store while
/// the trainer is still running, and SIGINT gets an `interrupted` outcome.
final class CommandStreamingTests: FolderTestCase {
    /// A protocol trainer: three steps, then it waits for `go` (or SIGINT) before its end line.
    func writeTrainer() throws -> URL {
        let script = folder.appendingPathComponent("train.sh")
        try """
            #!/bin/sh
            m="$LADDER_METRICS"; go="$1"
            trap 'printf "{\\"event\\":\\"end\\",\\"outcome\\":\\"interrupted\\",\\"reason\\":\\"SIGINT\\"}\\n" >> "$m"; exit 0' INT
            printf '{"event":"start","step":0}\\n' >> "$m"
            for s in 1 2 3; do printf '{"step":%d,"train_loss":4.%d}\\n' $s $s >> "$m"; done
            while [ ! -f "$go" ]; do sleep 0.05; done
            printf '{"step":4,"train_loss":3.9,"val_loss":3.5}\\n{"event":"end","outcome":"done","loss":3.5}\\n' >> "$m"
            """.write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)
        return script
    }

    func start(_ executor: CommandExecutor, store: ResultStore) throws -> (RunningJob, RunRecord) {
        let planned = try SweepExpansion.fitRuns(SweepExpansionTests.spec())[0]
        var run = try SweepStore.materialize([planned], sweep: "t", specText: "", store: store)[0]
        run.status = .running
        try store.updateRun(run)
        return (try executor.start(run, sweep: "t"), run)
    }

    func testPointsReachTheStoreWhileTheTrainerRuns() throws {
        let go = folder.appendingPathComponent("go")
        let store = try ResultStore.inMemory()
        let executor = try CommandExecutor(template: [try writeTrainer().path, go.path], resultsFolder: folder, store: store)
        let (job, run) = try start(executor, store: store)
        let deadline = Date().addingTimeInterval(30)
        while try store.metrics(runId: run.id!).count < 3 && Date() < deadline {
            XCTAssertNil(job.poll(), "the trainer waits for the go file")
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTAssertEqual(try store.metrics(runId: run.id!).map(\.step), [1, 2, 3], "ingested while running")
        XCTAssertEqual(try store.run(id: run.id!)?.status, .running)
        FileManager.default.createFile(atPath: go.path, contents: nil)
        var exit: JobExit?
        while exit == nil && Date() < deadline { exit = job.poll(); Thread.sleep(forTimeInterval: 0.02) }
        try job.collect(into: store, exit: try XCTUnwrap(exit))
        let done = try XCTUnwrap(try store.run(id: run.id!))
        XCTAssertEqual(done.status, .done)
        XCTAssertEqual(done.finalValLoss, 3.5)
        XCTAssertEqual(try store.metrics(runId: run.id!).map(\.step), [1, 2, 3, 4])
    }

    func testSigintGivesAnInterruptedRun() throws {
        let store = try ResultStore.inMemory()
        let executor = try CommandExecutor(template: [try writeTrainer().path, folder.appendingPathComponent("never").path],
                                           resultsFolder: folder, store: store)
        let (job, run) = try start(executor, store: store)
        let deadline = Date().addingTimeInterval(30)
        while try store.metrics(runId: run.id!).count < 3 && Date() < deadline {
            _ = job.poll()
            Thread.sleep(forTimeInterval: 0.05)
        }
        job.interrupt()
        var exit: JobExit?
        while exit == nil && Date() < deadline { exit = job.poll(); Thread.sleep(forTimeInterval: 0.02) }
        try job.collect(into: store, exit: try XCTUnwrap(exit))
        let stopped = try XCTUnwrap(try store.run(id: run.id!))
        XCTAssertEqual(stopped.status, .interrupted)
        XCTAssertEqual(stopped.error, "SIGINT")
    }

    /// Ctrl-C of the scheduler: the trainer gets SIGINT, and its own end line (reason, metrics) is
    /// what the store keeps.
    func testStoppingTheSchedulerRecordsTheTrainersOutcome() throws {
        let store = try ResultStore.inMemory()
        let planned = try SweepExpansion.fitRuns(SweepExpansionTests.spec())[0]
        let run = try SweepStore.materialize([planned], sweep: "t", specText: "", store: store)[0]
        let executor = try CommandExecutor(template: [try writeTrainer().path, folder.appendingPathComponent("never").path],
                                           resultsFolder: folder, store: store)
        var options = SweepScheduler.Options()
        options.pollInterval = 0.02
        let scheduler = SweepScheduler(store: store, sweep: "t", executor: executor, options: options,
                                       shouldStop: { ((try? store.metrics(runId: run.id!).count) ?? 0) >= 3 })
        let summary = try scheduler.run([run.id!])
        XCTAssertTrue(summary.stopped)
        XCTAssertEqual(summary.interrupted, 1)
        let stopped = try XCTUnwrap(try store.run(id: run.id!))
        XCTAssertEqual(stopped.status, .interrupted)
        XCTAssertEqual(stopped.error, "SIGINT", "the trainer's reason, not the scheduler's")
    }
}
