import Foundation
import Store
import Sweeps
import LadderTestSupport
import XCTest

/// The trainer protocol's JSONL stream: read while written, idempotent by step, resumes drop the
/// points after the checkpoint, torn lines skipped, only this attempt's `end` counts.
final class TrainerMetricsFeedTests: FolderTestCase {
    func append(_ url: URL, _ text: String) throws {
        if !FileManager.default.fileExists(atPath: url.path) { FileManager.default.createFile(atPath: url.path, contents: nil) }
        let h = try FileHandle(forWritingTo: url)
        try h.seekToEnd()
        try h.write(contentsOf: Data(text.utf8))
        try h.close()
    }

    func storeWithRun() throws -> (ResultStore, Int64) {
        let store = try ResultStore.inMemory()
        let planned = try SweepExpansion.fitRuns(SweepExpansionTests.spec())[0]
        let run = try SweepStore.materialize([planned], sweep: "t", specText: "", store: store)[0]
        return (store, run.id!)
    }

    func testResumeReplacesPointsAfterTheCheckpointAndReplayIsIdempotent() throws {
        let (store, id) = try storeWithRun()
        let url = folder.appendingPathComponent("trainer.jsonl")
        let feed = TrainerMetricsFeed(url: url, runId: id, store: store, tokensPerStep: 100)
        // first attempt: steps 1-5, checkpoint at 3, evaluation at 4, killed mid-line at step 6
        try append(url, "{\"event\":\"start\",\"step\":0}\n")
        for s in 1...5 { try append(url, "{\"step\":\(s),\"tokens\":\(s * 100),\"train_loss\":\(4.0 - Double(s) * 0.1),\"lr\":0.01}\n") }
        try append(url, "{\"event\":\"checkpoint\",\"step\":3}\n{\"step\":4,\"val_loss\":3.7,\"tasks\":{\"acc\":0.25}}\n")
        try feed.poll()
        XCTAssertEqual(try store.metrics(runId: id).map(\.step), [1, 2, 3, 4, 5])
        XCTAssertEqual(try store.taskMetrics(runId: id).map(\.name), ["acc"])
        try append(url, "{\"step\":6,\"train_lo")
        try feed.poll()
        XCTAssertEqual(try store.metrics(runId: id).count, 5, "a partial line waits for its newline")
        XCTAssertNil(feed.end)
        // second attempt resumes from step 3 (the torn line ends with the newline the trainer adds)
        try append(url, "\n{\"event\":\"start\",\"step\":3}\n")
        try feed.poll()
        XCTAssertEqual(try store.metrics(runId: id).map(\.step), [1, 2, 3], "points after the checkpoint are void")
        XCTAssertEqual(try store.taskMetrics(runId: id).count, 0)
        for s in 4...6 { try append(url, "{\"step\":\(s),\"train_loss\":\(3.0 - Double(s) * 0.1)}\n") }
        try append(url, "{\"step\":6,\"val_loss\":2.9}\n{\"event\":\"end\",\"outcome\":\"done\",\"loss\":2.9,\"train_loss\":2.45}\n")
        try feed.poll()
        let points = try store.metrics(runId: id)
        XCTAssertEqual(points.map(\.step), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(points[3].trainLoss ?? 0, 2.6, accuracy: 1e-12, "step 4 is the second attempt's")
        XCTAssertNil(points[3].valLoss, "the first attempt's evaluation at step 4 is gone")
        XCTAssertEqual(points[5].tokensSeen, 600, "tokens default to step x tokens per step")
        XCTAssertEqual(points[5].valLoss, 2.9)
        XCTAssertEqual(feed.end?.outcome, .done)
        XCTAssertEqual(feed.end?.loss, 2.9)

        // A coordinator restarted after a kill -9 reads the whole file again: the same rows.
        let before = points.map { "\($0.step) \($0.trainLoss ?? -1) \($0.valLoss ?? -1)" }
        let replay = TrainerMetricsFeed(url: url, runId: id, store: store, tokensPerStep: 100, attemptStart: 0)
        try replay.poll()
        XCTAssertEqual(try store.metrics(runId: id).map { "\($0.step) \($0.trainLoss ?? -1) \($0.valLoss ?? -1)" }, before)
        XCTAssertEqual(replay.end?.outcome, .done)
    }

    func testAnEarlierAttemptsEndDoesNotCount() throws {
        let (store, id) = try storeWithRun()
        let url = folder.appendingPathComponent("trainer.jsonl")
        try append(url, "{\"event\":\"start\",\"step\":0}\n{\"step\":1,\"train_loss\":3}\n{\"event\":\"end\",\"outcome\":\"interrupted\",\"reason\":\"stopped by SIGINT\"}\n")
        let feed = TrainerMetricsFeed(url: url, runId: id, store: store, tokensPerStep: 10)
        try feed.poll()
        XCTAssertNil(feed.end, "that end line belongs to the attempt before this one")
        try append(url, "not json\n{\"event\":\"start\",\"step\":1}\n{\"event\":\"end\",\"outcome\":\"diverged\",\"reason\":\"loss is nan\"}\n")
        try feed.poll()
        XCTAssertEqual(feed.end, TrainerEnd(outcome: .diverged, reason: "loss is nan"))
    }
}
