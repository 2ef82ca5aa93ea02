import Foundation
import Jobs
import Store
import Training
import XCTest

/// A sink that keeps what it is told and can be made to fail.
final class MemorySink: RunSink {
    var runs: [RunRecord] = []
    var metrics: [MetricRecord] = []
    var writes = 0
    var failMetrics = false
    struct Refused: Error {}
    func updateRun(_ run: RunRecord) throws { runs.append(run) }
    func appendMetrics(_ m: [MetricRecord]) throws {
        if failMetrics { throw Refused() }
        writes += 1
        metrics += m
    }
}

final class RunRecorderTests: XCTestCase {
    func config(steps: Int = 25, checkpointInterval: Int = 0) -> TrainConfig {
        var c = TrainConfig(model: GPTConfig(vocab: 16, seqLen: 8, dModel: 8, nLayer: 1, nHead: 1),
                            data: TrainConfig.DataConfig(path: "/nonexistent"), train: TrainConfig.Optimization())
        c.train.steps = steps
        c.train.checkpointInterval = checkpointInterval
        return c
    }

    func step(_ s: Int) -> TrainEvent {
        .step(step: s, tokens: s * 64, loss: 3 - Float(s) / 100, lr: 1e-3, gradNorm: 1, tokensPerSecond: 1000)
    }

    func testMetricsAreBatchedAndEvaluationsJoinTheirStep() throws {
        let sink = MemorySink()
        let recorder = RunRecorder(sink: sink, run: RunRecord(id: 7, sweepId: 1, config: "{}", params: 1, tokens: 1, flops: 1),
                                   config: config(checkpointInterval: 4))
        try recorder.start()
        XCTAssertEqual(sink.runs.last?.status, .running)
        for s in 1...3 { recorder.record(step(s)) }
        XCTAssertEqual(sink.writes, 0, "three steps stay buffered")
        recorder.record(step(4))
        XCTAssertEqual(sink.metrics.map(\.step), [1, 2, 3, 4], "written before the checkpoint of step 4")
        recorder.record(step(5))
        recorder.record(.eval(step: 5, tokens: 320, valLoss: 2.5, bitsPerByte: 3.6))
        XCTAssertEqual(sink.metrics.count, 5, "the evaluation joins step 5's point instead of adding one")
        XCTAssertEqual(sink.metrics.last?.valLoss, 2.5)
        XCTAssertEqual(sink.metrics.last?.trainLoss ?? 0, Double(Float(3) - Float(5) / 100), accuracy: 1e-9)
        XCTAssertTrue(sink.metrics.allSatisfy { $0.runId == 7 })
    }

    func testAFailedMetricWriteFailsTheRun() throws {
        let sink = MemorySink()
        let recorder = RunRecorder(sink: sink, run: RunRecord(id: 3, sweepId: 1, config: "{}", params: 1, tokens: 1, flops: 1),
                                   config: config())
        try recorder.start()
        sink.failMetrics = true
        for s in 1...10 { recorder.record(step(s)) }
        XCTAssertNotNil(recorder.writeError, "the write error is kept for the trainer's stop poll")
        let result = TrainResult.assembled(outcome: .interrupted, reason: nil, steps: 10, tokens: 640, finalTrainLoss: 2.9,
                                 finalValLoss: nil, finalBitsPerByte: nil, wallSeconds: 1, stepsRun: 10)
        XCTAssertThrowsError(try recorder.finish(result, recordsSkippedSteps: false))
        XCTAssertEqual(sink.runs.last?.status, .failed)
        XCTAssertTrue(sink.runs.last?.error?.contains("metrics could not be written") == true, sink.runs.last?.error ?? "")
    }

    func testFinishRecordsTheOutcomeAndAddsWallTime() throws {
        let sink = MemorySink()
        var run = RunRecord(id: 4, sweepId: 1, config: "{}", params: 1, tokens: 1, flops: 1)
        run.wallSeconds = 10
        let recorder = RunRecorder(sink: sink, run: run, config: config())
        try recorder.start()
        recorder.record(step(1))
        let result = TrainResult.assembled(outcome: .done, reason: nil, steps: 25, tokens: 1600, finalTrainLoss: 2.5,
                                 finalValLoss: 2.6, finalBitsPerByte: nil, wallSeconds: 5, stepsRun: 25)
        try recorder.finish(result, recordsSkippedSteps: false)
        XCTAssertEqual(sink.metrics.count, 1, "buffered points are written at the end")
        XCTAssertEqual(sink.runs.last?.status, .done)
        XCTAssertEqual(sink.runs.last?.wallSeconds, 15)
        XCTAssertEqual(sink.runs.last?.finalValLoss ?? 0, Double(Float(2.6)), accuracy: 1e-9)
    }
}
