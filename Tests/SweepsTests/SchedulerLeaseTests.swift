import Foundation
import Store
import Sweeps
import XCTest

/// Two coordinators on one sweep: a run another live process holds is never started here; the
/// scheduler waits for it, and counts it done when its owner finishes it, or resumes it when its
/// owner dies without finishing.
final class SchedulerLeaseTests: XCTestCase {
    func testARunHeldElsewhereIsWaitedForNotStarted() throws {
        let store = try ResultStore.inMemory()
        let runs = try SweepStore.materialize(try SweepExpansion.fitRuns(SweepExpansionTests.spec()), sweep: "t",
                                              specText: "spec", store: store)
        let held = runs[1]
        let other = LeaseOwner.current(token: "other-coordinator")
        XCTAssertEqual(try store.claimRun(held.id!, owner: other), .claimed(tookOver: nil))
        // the other coordinator finishes its run a little later and releases it
        let finisher = Thread {
            Thread.sleep(forTimeInterval: 1.5)
            var r = try! store.run(id: held.id!)!
            r.status = .done
            r.finalValLoss = 3
            try! store.updateRun(r)
            try! store.releaseRun(held.id!, token: other.token)
        }
        finisher.start()
        let executor = FakeExecutor(store: store)
        var options = SweepScheduler.Options()
        options.jobs = 2
        options.pollInterval = 0.01
        let summary = try SweepScheduler(store: store, sweep: "t", executor: executor, options: options).run(runs.map { $0.id! })
        XCTAssertFalse(executor.started.contains(held.name!), "the held run was started a second time")
        XCTAssertEqual(executor.started.count, runs.count - 1)
        XCTAssertEqual(summary.done, runs.count)
        XCTAssertNil(try store.lease(runId: runs[0].id!), "the scheduler released its own claims")
    }

    func testARunWhoseOwnerDiedIsResumed() throws {
        let store = try ResultStore.inMemory()
        let runs = try SweepStore.materialize(try SweepExpansion.fitRuns(SweepExpansionTests.spec()), sweep: "t",
                                              specText: "spec", store: store)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        let dead = LeaseOwner(token: "dead", host: ProcessInfo.processInfo.hostName, pid: p.processIdentifier, processStart: "")
        XCTAssertEqual(try store.claimRun(runs[0].id!, owner: dead), .claimed(tookOver: nil))
        var r = runs[0]
        r.status = .running  // left running by its dead owner
        try store.updateRun(r)
        let executor = FakeExecutor(store: store)
        var options = SweepScheduler.Options()
        options.pollInterval = 0.01
        let summary = try SweepScheduler(store: store, sweep: "t", executor: executor, options: options).run(runs.map { $0.id! })
        XCTAssertEqual(summary.done, runs.count)
        XCTAssertTrue(executor.started.contains(runs[0].name!))
    }
}
