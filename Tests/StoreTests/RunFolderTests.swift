import Foundation
import Store
import LadderTestSupport
import XCTest

final class RunFolderTests: FolderTestCase {
    var dir: URL { folder }

    /// What a cluster task writes comes into the store whole: outcome fields, every metric (the
    /// last write of a step wins, as after a resume), a line torn by a crash skipped; the store's
    /// identity fields (name, config, size) are kept.
    func testIngestBringsOutcomeAndMetricsAndSkipsATornLine() throws {
        let store = try ResultStore.open(path: dir.appendingPathComponent("r.sqlite").path)
        let stored = try store.insertRuns([RunRecord(sweepId: 0, name: "a", status: .running, config: "{\"x\":1}",
                                                     params: 1e5, tokens: 2e6, flops: 1.2e12)], intoSweep: "s")[0]
        let folder = RunFolder(url: dir.appendingPathComponent("runs/\(stored.id!)"))
        try folder.prepare(stored)
        try folder.appendMetrics([MetricRecord(runId: stored.id!, step: 1, tokensSeen: 10, trainLoss: 5.5),
                                  MetricRecord(runId: stored.id!, step: 2, tokensSeen: 20, trainLoss: 5.1)])
        // resumed from step 1: step 2 is logged again with another loss
        try folder.appendMetrics([MetricRecord(runId: stored.id!, step: 2, tokensSeen: 20, trainLoss: 4.9, valLoss: 5.0)])
        let handle = try FileHandle(forWritingTo: folder.metricsURL)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"run_id\":1,\"step\":3,\"tokens_se".utf8))  // killed mid-write
        try handle.close()
        var finished = try folder.record()
        finished.status = .done
        finished.finalValLoss = 5.0
        finished.wallSeconds = 12
        finished.name = "renamed by a confused task"
        try folder.updateRun(finished)

        let ingested = try folder.ingest(into: store, runId: stored.id!)
        XCTAssertEqual(ingested.status, .done)
        XCTAssertEqual(ingested.finalValLoss, 5.0)
        XCTAssertEqual(ingested.wallSeconds, 12)
        XCTAssertEqual(ingested.name, "a", "identity stays the store's")
        XCTAssertEqual(ingested.config, "{\"x\":1}")
        let metrics = try store.metrics(runId: stored.id!)
        XCTAssertEqual(metrics.map(\.step), [1, 2])
        XCTAssertEqual(metrics[1].trainLoss, 4.9)
        // ingesting again changes nothing
        try folder.ingest(into: store, runId: stored.id!)
        XCTAssertEqual(try store.metrics(runId: stored.id!).count, 2)
        // a folder of another run is refused
        XCTAssertThrowsError(try folder.ingest(into: store, runId: stored.id! + 1))
        // a damaged record names its file
        try Data("not json".utf8).write(to: folder.recordURL)
        XCTAssertThrowsError(try folder.record()) { XCTAssertTrue("\($0)".contains("run.json"), "\($0)") }
    }
}
