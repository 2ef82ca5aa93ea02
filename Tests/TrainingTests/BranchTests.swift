import Foundation
import Training
import LadderTestSupport
import XCTest

/// WSD cooldown branches: a branch started from a constant-rate trunk's kept checkpoint is the
/// same run as a WSD run of the branch's length trained from scratch.
final class BranchTests: FolderTestCase {
    func testBranchFromTrunkEqualsWSDRunFromScratch() throws {
        var trunk = TrainerTests.config(steps: 14)
        trunk.train.schedule = .constant
        trunk.train.saveAt = [6, 10]
        trunk.train.evalInterval = 5
        var branch = trunk
        branch.train.steps = 13
        branch.train.schedule = .wsd
        branch.train.cooldownFraction = 3.0 / 13.0
        branch.train.cooldownShape = .oneMinusSqrt
        branch.train.minLRRatio = 0
        branch.train.saveAt = []
        branch.train.evalInterval = 0
        let data = try TokenDataset.bytes(of: trunk.data.path, valFraction: trunk.data.valFraction)

        let trunkCheckpoint = folder.appendingPathComponent("trunk/checkpoint.safetensors")
        let t = try Trainer(config: trunk, data: data, kernels: ReferenceKernels())
        var kept: [String] = []
        _ = try t.run(checkpoint: trunkCheckpoint, onEvent: { if case let .checkpoint(_, path) = $0 { kept.append(path) } })
        let at10 = KeptCheckpoint.url(beside: trunkCheckpoint, step: 10)
        XCTAssertTrue(kept.contains(at10.path) && kept.contains(KeptCheckpoint.url(beside: trunkCheckpoint, step: 6).path), "\(kept)")

        let scratch = try Trainer(config: branch, data: data, kernels: ReferenceKernels())
        let scratchResult = try scratch.run()
        let branched = try Trainer(config: branch, data: data, kernels: ReferenceKernels())
        try branched.branch(from: at10)
        XCTAssertEqual(branched.step, 10)
        let branchResult = try branched.run()
        XCTAssertEqual(branchResult.finalValLoss, scratchResult.finalValLoss)
        XCTAssertEqual(Array(branched.model.params.buffer), Array(scratch.model.params.buffer), "bit-identical parameters")
        XCTAssertLessThan(branchResult.stepsRun, scratchResult.stepsRun)

        // a cooldown that would start before the branch point is refused
        var early = branch
        early.train.cooldownFraction = 6.0 / 13.0
        XCTAssertThrowsError(try Trainer(config: early, data: data, kernels: ReferenceKernels()).branch(from: at10)) {
            XCTAssertTrue("\($0)".contains("learning rate at step 7"), "\($0)")
        }
        // another model is refused
        var wider = branch
        wider.model.dModel = 64
        XCTAssertThrowsError(try Trainer(config: wider, data: data, kernels: ReferenceKernels()).branch(from: at10)) {
            XCTAssertTrue("\($0)".contains("another model, data or optimizer"), "\($0)")
        }
        // a branch point the trunk has not reached is named
        XCTAssertThrowsError(try Trainer(config: branch, data: data, kernels: ReferenceKernels())
            .branch(from: KeptCheckpoint.url(beside: trunkCheckpoint, step: 12))) {
            XCTAssertTrue("\($0)".contains("has not reached the branch point"), "\($0)")
        }
    }

    func testSaveAtOutsideTheRunIsRefused() {
        var c = TrainerTests.config(steps: 10)
        c.train.saveAt = [11]
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("train.save_at"), "\($0)") }
    }
}
