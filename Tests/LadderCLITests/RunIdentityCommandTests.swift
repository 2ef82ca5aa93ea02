import Foundation
import Store
import XCTest

/// Issue #19, classes 1 and 4: a run never resumes files that are not its own, and a run a live
/// process trains is not started a second time.
final class RunIdentityCommandTests: XCTestCase {
    var cli: CLIHarness!
    override func setUpWithError() throws { cli = try CLIHarness() }
    override func tearDown() { cli.cleanUp() }

    func writeConfig(steps: Int = 16) throws {
        try cli.write("t.toml", "[model]\nseq_len = 32\nd_model = 16\nn_layer = 1\nn_head = 2\n[data]\npath = \"\(TrainCommandTests.corpus)\"\n[train]\nbatch = 4\nsteps = \(steps)\ncheckpoint_interval = 4\nthreads = 1\n")
    }

    /// A database deleted (or a second one in the same folder): its new run 1 trains from step 0,
    /// beside the old run 1's folder, instead of "resuming" the old checkpoint.
    func testANewRunWithAnOldRunsIdDoesNotResumeItsCheckpoint() throws {
        try writeConfig()
        _ = try cli.ok(["train", "t.toml", "--name", "a"])
        let db = cli.path("Results/ladder.sqlite")
        let first = try XCTUnwrap(try ResultStore.open(path: db).runs().first?.run)
        try FileManager.default.removeItem(atPath: db)
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        let second = try cli.run(["train", "t.toml", "--name", "a"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertFalse(second.stderr.contains("resuming"), second.stderr)
        let store = try ResultStore.open(path: db)
        let run = try XCTUnwrap(try store.runs().first?.run)
        XCTAssertEqual(run.id, first.id, "the same id as the deleted database's run")
        XCTAssertNotEqual(run.uuid, first.uuid)
        XCTAssertEqual(try store.metrics(runId: run.id!).count, 16, "trained all 16 steps itself")
        let folders = try FileManager.default.contentsOfDirectory(atPath: cli.path("Results/train/runs"))
        XCTAssertEqual(folders.count, 2, "\(folders)")
    }

    /// `run-job` on a run another live process holds is refused, nothing changes; once that
    /// process is gone the claim is taken over and the run trains.
    func testARunHeldByALiveProcessIsNotTrainedTwice() throws {
        try writeConfig(steps: 8)
        // a stored, pending run: a train that a claim keeps from starting is not possible, so
        // store one through the library with the config a `train` run records
        let trained = try cli.ok(["train", "t.toml", "--name", "template", "--json"])
        XCTAssertTrue(trained.contains("\"status\":\"done\""), trained)
        let store = try ResultStore.open(path: cli.path("Results/ladder.sqlite"))
        let template = try XCTUnwrap(try store.runs().first?.run)
        var pending = template
        pending.id = nil
        pending.uuid = nil
        pending.name = "held"
        pending.status = .pending
        pending.finalValLoss = nil
        pending.finalTrainLoss = nil
        let run = try XCTUnwrap(try store.insertRuns([pending], intoSweep: "train").first)
        let host = ProcessInfo.processInfo.hostName
        // a live owner: this test process
        let live = LeaseOwner.current(token: "other-coordinator")
        XCTAssertEqual(try store.claimRun(run.id!, owner: live), .claimed(tookOver: nil))
        let refused = try cli.run(["run-job", "--run", String(run.id!)])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("being trained by another process"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("pid \(getpid())"), refused.stderr)
        XCTAssertEqual(try store.run(id: run.id!)?.status, .pending, "nothing changed")
        XCTAssertEqual(try store.metrics(runId: run.id!).count, 0)

        // the owner dies: a pid that has exited
        let done = Process()
        done.executableURL = URL(fileURLWithPath: "/bin/true")
        try done.run()
        done.waitUntilExit()
        let dead = LeaseOwner(token: "dead-coordinator", host: host, pid: done.processIdentifier, processStart: "1")
        try store.releaseRun(run.id!, token: live.token)
        XCTAssertEqual(try store.claimRun(run.id!, owner: dead), .claimed(tookOver: nil))
        let taken = try cli.run(["run-job", "--run", String(run.id!)])
        XCTAssertEqual(taken.status, 0, taken.stderr)
        XCTAssertEqual(try store.run(id: run.id!)?.status, .done)
        XCTAssertEqual(try store.metrics(runId: run.id!).count, 8)
        XCTAssertNil(try store.lease(runId: run.id!), "the job released the claim it took over")
    }
}
