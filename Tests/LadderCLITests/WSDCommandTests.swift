import Foundation
import Store
import XCTest

/// A WSD-mode sweep on the built-in trainer: trunks first, each branch started from its trunk's
/// kept checkpoint, trunks left out of the fit.
final class WSDCommandTests: XCTestCase {
    var cli: CLIHarness!
    override func setUpWithError() throws { cli = try CLIHarness() }
    override func tearDown() { cli.cleanUp() }

    func testWSDSweepBranchesFromTrunksAndFitsTheBranches() throws {
        try cli.write("w.toml", """
            name = "w"
            [data]
            path = "\(TrainCommandTests.corpus)"
            [model]
            vocab = 256
            seq_len = 16
            params = "non_embedding"
            [train]
            batch = 4
            threads = 1
            warmup = 5
            [grid]
            retries = 0
            [wsd]
            params = [2e3, 6e3, 1.8e4]
            tokens = [6.4e3, 1.28e4]
            cooldown_fraction = 0.25
            [plan]
            flops = [1e15]
            bootstrap = 0
            """)
        // with time estimates: the probe that times a step must not inherit a trunk's checkpoint steps
        let plan = try cli.ok(["sweep", "plan", "w.toml"])
        XCTAssertTrue(plan.contains("3 trunk(s) + 6 cooldown branch(es)"), plan)
        let run = try cli.run(["sweep", "run", "w.toml", "--jobs", "2", "--db", "r.sqlite"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let store = try ResultStore.open(path: cli.path("r.sqlite"))
        let runs = try store.runs(sweep: "w").map(\.run)
        XCTAssertEqual(runs.count, 9)
        XCTAssertTrue(runs.allSatisfy { $0.status == .done }, runs.map { "\($0.name!) \($0.status) \($0.error ?? "")" }.joined(separator: "\n"))
        for r in runs where !r.name!.hasPrefix("wsd-trunk-") {
            let log = try String(contentsOfFile: RunFolder.location(resultsFolder: cli.folder, sweep: "w", run: r).appendingPathComponent("log.txt").path, encoding: .utf8)
            XCTAssertTrue(log.contains("branching run \(r.id!) from its trunk at step"), log)
        }
        for r in runs where r.name!.hasPrefix("wsd-trunk-") {
            let kept = try FileManager.default.contentsOfDirectory(atPath: RunFolder.location(resultsFolder: cli.folder, sweep: "w", run: r).path).filter { $0.hasPrefix("step-") }
            XCTAssertEqual(kept.count, 2, "one kept checkpoint per branch: \(kept)")
        }
        XCTAssertTrue(run.stdout.contains("on 6 runs"), "the fit uses the 6 branches, not the trunks:\n\(run.stderr)\n\(run.stdout)")
    }
}
