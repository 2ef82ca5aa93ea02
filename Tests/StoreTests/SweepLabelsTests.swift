import Foundation
import Store
import XCTest

/// The sweep's labels of a run, typed: read from and written to the `"sweep"` object of the
/// stored config with the keys Ladder has always used.
final class SweepLabelsTests: XCTestCase {
    /// A branch's config as earlier Ladders stored it (JSONSerialization, hand-picked keys).
    let stored = """
        {"model":{"d_model":32},"sweep":{"branch_step":469,"budget":"c1e12","name":"wsd","params_counting":"total",\
        "role":"fit","trunk_run":3,"trunk_uuid":"0f3a","wsd":"branch","future_key":[1,2]},"train":{"steps":600}}
        """

    func testLabelsStoredByEarlierLaddersReadTyped() {
        let labels = SweepLabels(config: stored)
        XCTAssertEqual(labels.sweep, "wsd")
        XCTAssertEqual(labels.role, "fit")
        XCTAssertEqual(labels.counting, .total)
        XCTAssertEqual(labels.budget, "c1e12")
        XCTAssertEqual(labels.wsd, .branch)
        XCTAssertEqual(labels.branchStep, 469)
        XCTAssertEqual(labels.trunkRun, 3)
        XCTAssertEqual(labels.trunkUUID, "0f3a")
        XCTAssertNil(labels.predictedLoss)
    }

    func testWritingKeepsTheConfigAndLabelsItDoesNotKnow() throws {
        var labels = SweepLabels(config: stored)
        labels.predictedLoss = 1.4096
        labels.predictedInterval = [1.39, 1.44]
        labels.fitId = 7
        labels.trunkUUID = nil
        let text = try labels.stored(in: stored)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertEqual((object["train"] as? [String: Any])?["steps"] as? Int, 600)
        let sweep = try XCTUnwrap(object["sweep"] as? [String: Any])
        XCTAssertEqual(sweep["future_key"] as? [Int], [1, 2], "a newer Ladder's label survives")
        XCTAssertNil(sweep["trunk_uuid"], "a label set to nil is removed")
        XCTAssertEqual(sweep["predicted_loss"] as? Double, 1.4096)
        XCTAssertEqual(sweep["fit_id"] as? Int, 7)
        XCTAssertEqual(SweepLabels(config: text).predictedInterval, [1.39, 1.44])
        XCTAssertEqual(SweepLabels(config: text).wsd, .branch)
    }

    func testALabelOfTheWrongTypeIsMissingAndTheOthersStillRead() {
        let labels = SweepLabels(config: #"{"sweep":{"branch_step":"soon","wsd":"sideways","budget":"c1e11","fit_id":2.5}}"#)
        XCTAssertNil(labels.branchStep)
        XCTAssertNil(labels.wsd)
        XCTAssertNil(labels.fitId)
        XCTAssertEqual(labels.budget, "c1e11")
        XCTAssertEqual(SweepLabels(config: "not json"), SweepLabels())
        XCTAssertEqual(SweepLabels(config: #"{"train":{}}"#), SweepLabels())
    }

    func testRunRecordsUpdateTheirLabelsInPlace() throws {
        var run = RunRecord(sweepId: 1, name: "r", config: stored, params: 1e4, tokens: 1e6, flops: 6e10)
        try run.updateLabels { $0.maxFittedFlops = 1e12 }
        XCTAssertEqual(run.labels.maxFittedFlops, 1e12)
        XCTAssertEqual(run.labels.trunkRun, 3)
        XCTAssertTrue(SweepLabels.storeAddedKeys.isSuperset(of: ["trunk_run", "trunk_uuid", "predicted_loss", "fit_id"]))
        XCTAssertFalse(SweepLabels.storeAddedKeys.contains("budget"), "the file decides the budget: an edit to it is a real change")
    }
}
