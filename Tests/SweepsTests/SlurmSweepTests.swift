import Foundation
import ScalingLaws
import Store
import Sweeps
import LadderTestSupport
import XCTest

/// A stand-in for Slurm: tasks "run" for a few squeue polls, then write their run folder as
/// `ladder run-job --run-dir` would (done with a known law's loss), or die without a word when
/// told to crash. Lets the coordinator's logic (ingest, retries, reattach, cancel) be tested
/// without daemons; the real Slurm is exercised end to end in LadderCLITests.
final class FakeSlurm: SlurmControl {
    struct Task { var jobId: String; var index: Int; var runDir: URL; var polls = 0; var done = false }
    var submissions: [(jobName: String, array: String, options: [String], script: String)] = []
    var tasks: [String: [Task]] = [:]
    var crashOnce: Set<Int64> = []
    var cancels: [(jobId: String, signal: String?, pendingOnly: Bool)] = []
    var failPolls = false
    let law = ChinchillaLaw.chinchilla

    func submit(script: URL, jobName: String, array: String, options: [String]) throws -> String {
        let text = try String(contentsOf: script, encoding: .utf8)
        submissions.append((jobName, array, options, text))
        let id = String(100 + submissions.count)
        let taskList = try String(contentsOf: script.deletingLastPathComponent().appendingPathComponent("tasks.txt"), encoding: .utf8)
        let runs = script.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("runs")
        tasks[jobName] = taskList.split(separator: "\n").enumerated().map { i, runId in
            Task(jobId: id, index: i, runDir: runs.appendingPathComponent(String(runId)))
        }
        return id
    }

    struct Unreachable: Error {}

    func tasks(jobName: String) throws -> [SlurmTask] {
        if failPolls { throw Unreachable() }
        guard var list = tasks[jobName] else { return [] }
        for i in list.indices where !list[i].done {
            list[i].polls += 1
            if list[i].polls >= 2 { list[i].done = true; try finish(list[i]) }
        }
        tasks[jobName] = list
        return list.filter { !$0.done }.map { SlurmTask(jobId: $0.jobId, index: $0.index, state: "RUNNING") }
    }

    func finish(_ task: Task) throws {
        let folder = RunFolder(url: task.runDir)
        var r = try folder.record()
        if crashOnce.remove(r.id!) != nil { return }  // died: run.json still says running
        try folder.appendMetrics([MetricRecord(runId: r.id!, step: 1, tokensSeen: 100, trainLoss: 5),
                                  MetricRecord(runId: r.id!, step: 2, tokensSeen: 200, valLoss: 4)])
        r.status = .done
        r.finalValLoss = law.loss(params: r.params, tokens: r.tokens)
        try folder.updateRun(r)
    }

    func exitDescription(jobId: String, index: Int) -> String? { "JobState=FAILED ExitCode=9:0" }

    func cancel(jobId: String, signal: String?, pendingOnly: Bool) throws {
        cancels.append((jobId, signal, pendingOnly))
        if signal == nil && !pendingOnly {
            for (name, list) in tasks where list.contains(where: { $0.jobId == jobId }) {
                tasks[name] = list.map { var t = $0; t.done = true; return t }
            }
        }
    }
}

final class SlurmSweepTests: FolderTestCase {
    func setUpSweep() throws -> (ResultStore, [RunRecord]) {
        let store = try ResultStore.open(path: folder.appendingPathComponent("results.sqlite").path)
        let planned = try SweepExpansion.fitRuns(SweepExpansionTests.spec())
        return (store, try SweepStore.materialize(planned, sweep: "t", specText: "spec", store: store))
    }

    func options(jobs: Int = 2, retries: Int = 1) -> SlurmSweep.Options {
        var o = SlurmSweep.Options()
        o.jobs = jobs
        o.retries = retries
        o.pollInterval = 0
        o.interruptGrace = 0
        o.sbatchOptions = ["--partition=cpu"]
        return o
    }

    func testOneArrayForAllRunsAndEveryResultIngested() throws {
        let (store, runs) = try setUpSweep()
        let slurm = FakeSlurm()
        let ladder = URL(fileURLWithPath: "/opt/it's here/ladder")
        let sweep = SlurmSweep(store: store, sweep: "t", ladder: ladder, slurm: slurm, options: options(jobs: 3))
        let summary = try sweep.run(runs.compactMap(\.id))
        XCTAssertEqual(summary.done, runs.count)
        XCTAssertEqual(slurm.submissions.count, 1)
        XCTAssertEqual(slurm.submissions[0].array, "0-\(runs.count - 1)%3")
        XCTAssertTrue(slurm.submissions[0].options.contains("--partition=cpu"))
        // the binary's path is quoted for sh even with a quote in it
        XCTAssertTrue(slurm.submissions[0].script.contains(#"exec '/opt/it'\''s here/ladder' run-job --run-dir"#),
                      slurm.submissions[0].script)
        for r in runs {
            let stored = try store.run(id: r.id!)!
            XCTAssertEqual(stored.status, .done)
            XCTAssertEqual(stored.finalValLoss!, ChinchillaLaw.chinchilla.loss(params: r.params, tokens: r.tokens), accuracy: 1e-12)
            XCTAssertEqual(try store.metrics(runId: r.id!).map(\.step), [1, 2])
        }
        // a second coordinator finds nothing to do and submits nothing
        let again = try SlurmSweep(store: store, sweep: "t", ladder: ladder, slurm: slurm, options: options()).run(runs.compactMap(\.id))
        XCTAssertEqual(again.done, 0)
        XCTAssertEqual(slurm.submissions.count, 1)
    }

    func testLargeSetsGoOutAsSeveralArrays() throws {
        let (store, runs) = try setUpSweep()
        let slurm = FakeSlurm()
        var o = options(jobs: 2)
        o.maxArraySize = 4
        let summary = try SlurmSweep(store: store, sweep: "t", ladder: URL(fileURLWithPath: "/x/ladder"), slurm: slurm,
                                     options: o).run(runs.compactMap(\.id))
        XCTAssertEqual(summary.done, runs.count)
        XCTAssertEqual(slurm.submissions.map(\.array), ["0-3%2", "0-3%2", "0-1%2"])
    }

    func testTaskThatDiesIsResubmittedOnceThenRecordedFailed() throws {
        let (store, runs) = try setUpSweep()
        let slurm = FakeSlurm()
        slurm.crashOnce = [runs[1].id!]
        let summary = try SlurmSweep(store: store, sweep: "t", ladder: URL(fileURLWithPath: "/x/ladder"), slurm: slurm,
                                     options: options()).run(runs.compactMap(\.id))
        XCTAssertEqual(summary.done, runs.count)
        XCTAssertEqual(slurm.submissions.count, 2)
        XCTAssertEqual(slurm.submissions[1].array, "0-0%2")

        let (store2, runs2) = try { () throws -> (ResultStore, [RunRecord]) in
            try FileManager.default.removeItem(at: folder); try setUpWithError(); return try setUpSweep() }()
        let slurm2 = FakeSlurm()
        slurm2.crashOnce = [runs2[0].id!]
        let noRetry = try SlurmSweep(store: store2, sweep: "t", ladder: URL(fileURLWithPath: "/x/ladder"), slurm: slurm2,
                                     options: options(retries: 0)).run(runs2.compactMap(\.id))
        XCTAssertEqual(noRetry.failed, 1)
        XCTAssertEqual(noRetry.done, runs2.count - 1)
        let failed = try store2.run(id: runs2[0].id!)!
        XCTAssertEqual(failed.status, .failed)
        XCTAssertTrue(failed.error!.contains("ended without recording a result"), failed.error!)
        XCTAssertTrue(failed.error!.contains("ExitCode=9:0"), failed.error!)
    }

    /// The coordinator dies after submitting (here: squeue unreachable until it gives up); the next
    /// coordinator must watch the same array rather than submit the runs again.
    func testNextCoordinatorReattachesInsteadOfResubmitting() throws {
        let (store, runs) = try setUpSweep()
        let slurm = FakeSlurm()
        slurm.failPolls = true
        var o = options()
        o.pollInterval = 0
        XCTAssertThrowsError(try SlurmSweep(store: store, sweep: "t", ladder: URL(fileURLWithPath: "/x/ladder"), slurm: slurm,
                                            options: o).run(runs.compactMap(\.id)))
        XCTAssertEqual(slurm.submissions.count, 1)
        XCTAssertTrue(try runs.allSatisfy { try store.run(id: $0.id!)!.status == .running })
        slurm.failPolls = false
        let summary = try SlurmSweep(store: store, sweep: "t", ladder: URL(fileURLWithPath: "/x/ladder"), slurm: slurm,
                                     options: o).run(runs.compactMap(\.id))
        XCTAssertEqual(slurm.submissions.count, 1, "reattached, no second array")
        XCTAssertEqual(summary.done, runs.count)
    }

    func testStopSignalsRunningTasksCancelsPendingAndMarksRunsInterrupted() throws {
        let (store, runs) = try setUpSweep()
        let slurm = FakeSlurm()
        var polls = 0
        let sweep = SlurmSweep(store: store, sweep: "t", ladder: URL(fileURLWithPath: "/x/ladder"), slurm: slurm,
                               options: options(), shouldStop: { polls += 1; return polls > 1 })
        let summary = try sweep.run(runs.compactMap(\.id))
        XCTAssertTrue(summary.stopped)
        XCTAssertEqual(summary.interrupted, runs.count)
        XCTAssertTrue(slurm.cancels.contains { $0.signal == "INT" && !$0.pendingOnly })
        XCTAssertTrue(slurm.cancels.contains { $0.signal == nil && $0.pendingOnly })
        XCTAssertTrue(try runs.allSatisfy { try store.run(id: $0.id!)!.status == .interrupted })
    }
}
