import Foundation
import LadderTestSupport
import Sweeps
import Training
import XCTest

/// What `ladder sweep plan` prints of each run and of the data the runs read.
final class SweepPlanRecordsTests: FolderTestCase {
    func testRecordsNameEachRunsPartAndWhatItTrains() throws {
        let runs = try SweepExpansion.fitRuns(WSDModeTests.spec())
        let trunk = try XCTUnwrap(runs.first { $0.wsd == .trunk })
        let t = trunk.planRecord(estimatedSeconds: 12)
        XCTAssertEqual(t["wsd"] as? String, "trunk")
        XCTAssertEqual(t["save_at"] as? [Int], trunk.config.train.saveAt)
        XCTAssertEqual(t["estimated_seconds"] as? Double, 12)
        XCTAssertEqual(t["steps_trained"] as? Int, trunk.config.train.steps)
        let branch = try XCTUnwrap(runs.first { if case .branch = $0.wsd { return true } else { return false } })
        let b = branch.planRecord(estimatedSeconds: nil)
        guard case let .branch(trunkName, step) = branch.wsd else { return XCTFail() }
        XCTAssertEqual(b["trunk"] as? String, trunkName)
        XCTAssertEqual(b["branch_step"] as? Int, step)
        XCTAssertNil(b["estimated_seconds"])
        XCTAssertEqual(b["steps_trained"] as? Int, branch.config.train.steps - step, "a branch trains only its cooldown")
        XCTAssertEqual(b["flops_spent"] as! Double, branch.flops * Double(branch.config.train.steps - step)
                       / Double(branch.config.train.steps), accuracy: 1e-6 * branch.flops)
    }

    func testDataUseCountsPassesOverTheTrainingSplit() throws {
        var spec = WSDModeTests.spec()
        let path = folder.appendingPathComponent("data.txt")
        var bytes = [UInt8](repeating: 0, count: 200_000)
        for i in bytes.indices { bytes[i] = UInt8(32 + (i * 7919) % 90) }
        try Data(bytes).write(to: path)
        spec.data.path = path.path
        let runs = try SweepExpansion.fitRuns(spec)
        let use = try SweepDataUse(spec, runs: runs)
        XCTAssertEqual(use.trainTokens + use.validationTokens, 200_000)
        XCTAssertEqual(Set(use.passes.keys), Set(runs.map(\.name)))
        // passes are the run's windows over the training split's windows: more steps, more passes
        let bySteps = runs.sorted { $0.config.train.steps < $1.config.train.steps }
        XCTAssertLessThan(use.passes[bySteps.first!.name]!, use.passes[bySteps.last!.name]!)
        spec.data.path = folder.appendingPathComponent("missing.txt").path
        XCTAssertThrowsError(try SweepDataUse(spec, runs: runs))
    }
}
