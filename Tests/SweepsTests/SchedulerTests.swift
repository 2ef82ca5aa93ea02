import Foundation
import ScalingLaws
import Store
import Sweeps
import XCTest

/// An in-process executor whose jobs finish after a few polls with a loss from a known law, or
/// crash (exit by signal without recording anything) when told to.
final class FakeExecutor: RunExecutor {
    let store: ResultStore
    var crashing: Set<String>
    var started: [String] = []
    let law = ChinchillaLaw.chinchilla

    init(store: ResultStore, crashing: Set<String> = []) { self.store = store; self.crashing = crashing }

    func start(_ run: RunRecord, sweep: String) throws -> RunningJob {
        started.append(run.name!)
        return FakeJob(run: run, executor: self)
    }

    final class FakeJob: RunningJob {
        let run: RunRecord
        unowned let executor: FakeExecutor
        var polls = 0
        var interrupted = false
        var runId: Int64 { run.id! }
        init(run: RunRecord, executor: FakeExecutor) { self.run = run; self.executor = executor }
        func poll() -> JobExit? {
            polls += 1
            if interrupted {
                // as the real trainer does on SIGINT: checkpoint, record itself interrupted, exit 130
                var r = try! executor.store.run(id: runId)!
                r.status = .interrupted
                try! executor.store.updateRun(r)
                return .exited(130)
            }
            if polls < 3 { return nil }
            if executor.crashing.contains(run.name!) { return .signaled(9) }
            var r = try! executor.store.run(id: runId)!
            r.status = .done
            r.finalValLoss = executor.law.loss(params: r.params, tokens: r.tokens)
            try! executor.store.updateRun(r)
            return .exited(0)
        }
        func interrupt() { interrupted = true }
        func kill() {}
        func collect(into store: ResultStore, exit: JobExit) throws {}
    }
}

final class SchedulerTests: XCTestCase {
    func planned() throws -> [PlannedRun] { try SweepExpansion.fitRuns(SweepExpansionTests.spec()) }

    func testCrashingRunIsRecordedAndTheRestFinish() throws {
        let store = try ResultStore.inMemory()
        let runs = try SweepStore.materialize(try planned(), sweep: "t", specText: "spec", store: store)
        let bad = runs[2].name!
        let executor = FakeExecutor(store: store, crashing: [bad])
        var options = SweepScheduler.Options()
        options.jobs = 3
        options.retries = 2
        options.pollInterval = 0
        var lines: [String] = []
        let summary = try SweepScheduler(store: store, sweep: "t", executor: executor, options: options,
                                         log: { lines.append($0) }).run(runs.compactMap(\.id))
        XCTAssertEqual(summary.done, runs.count - 1)
        XCTAssertEqual(summary.failed, 1)
        XCTAssertEqual(executor.started.filter { $0 == bad }.count, 3, "first attempt plus two retries")
        let failed = try store.runs(sweep: "t", status: .failed)
        XCTAssertEqual(failed.map(\.run.name), [bad])
        XCTAssertTrue(failed[0].run.error?.contains("killed by signal 9") ?? false, failed[0].run.error ?? "")
        XCTAssertTrue(lines.contains { $0.contains("retrying") })

        // Running again: finished runs are skipped, the failed one is tried again.
        executor.crashing = []
        executor.started = []
        let again = try SweepScheduler(store: store, sweep: "t", executor: executor, options: options).run(runs.compactMap(\.id))
        XCTAssertEqual(executor.started, [bad])
        XCTAssertEqual(again.done, 1)
        XCTAssertEqual(try store.runs(sweep: "t", status: .done).count, runs.count)
    }

    func testMaterializeIsIdempotentAndRefusesAChangedGrid() throws {
        let store = try ResultStore.inMemory()
        let first = try SweepStore.materialize(try planned(), sweep: "t", specText: "spec", store: store)
        let second = try SweepStore.materialize(try planned(), sweep: "t", specText: "spec", store: store)
        XCTAssertEqual(first.map(\.id), second.map(\.id))
        XCTAssertEqual(try store.runCount(sweep: "t"), first.count)
        var changed = try planned()
        changed[0].config.train.lr *= 2
        let before = try store.runs(sweep: "t").map(\.run)
        XCTAssertThrowsError(try SweepStore.materialize(changed, sweep: "t", specText: "spec", store: store)) {
            XCTAssertTrue("\($0)".contains("train.lr"), "\($0)")
            XCTAssertTrue("\($0)".contains("--replan"), "\($0)")
        }
        XCTAssertEqual(try store.runs(sweep: "t").map(\.run), before, "a refused edit changes nothing")
        // re-planned: the unfinished run takes the new settings and a new identity, its metrics dropped
        try store.appendMetrics([MetricRecord(runId: first[0].id!, step: 1, tokensSeen: 10, trainLoss: 5)])
        let replanned = try SweepStore.materialize(changed, sweep: "t", specText: "spec", store: store, replan: true)
        XCTAssertEqual(replanned.map(\.id), first.map(\.id))
        XCTAssertNotEqual(replanned[0].uuid, first[0].uuid)
        XCTAssertEqual(replanned[1].uuid, first[1].uuid, "unchanged runs keep theirs")
        XCTAssertTrue(try store.metrics(runId: first[0].id!).isEmpty)
        // a finished run is never re-planned
        var done = replanned[0]
        done.status = .done
        try store.updateRun(done)
        var again = changed
        again[0].config.train.lr *= 2
        XCTAssertThrowsError(try SweepStore.materialize(again, sweep: "t", specText: "spec", store: store, replan: true)) {
            XCTAssertTrue("\($0)".contains("already trained"), "\($0)")
        }
    }

    func testStopInterruptsRunningJobs() throws {
        let store = try ResultStore.inMemory()
        let runs = try SweepStore.materialize(try planned(), sweep: "t", specText: "spec", store: store)
        var stop = false
        var options = SweepScheduler.Options()
        options.jobs = 2
        options.pollInterval = 0
        let executor = FakeExecutor(store: store)
        let scheduler = SweepScheduler(store: store, sweep: "t", executor: executor, options: options,
                                       shouldStop: { stop }, log: { if $0.hasPrefix("start") && executor.started.count == 2 { stop = true } })
        let summary = try scheduler.run(runs.compactMap(\.id))
        XCTAssertTrue(summary.stopped)
        XCTAssertEqual(summary.interrupted, 2)
        XCTAssertEqual(try store.runs(sweep: "t", status: .interrupted).count, 2)
        XCTAssertEqual(try store.runs(sweep: "t", status: .running).count, 0)
    }
}
