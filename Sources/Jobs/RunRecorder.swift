import Foundation
import Store
import Training

/// The store's side of a training run, the same for every trainer and layout: the store learns
/// each state change before it happens in the world (`running` before the first step), metric
/// points in batches as they come (every 10 steps, at each evaluation, and before the checkpoint
/// of their step is written), and the outcome at the end. A metric write that fails stops the
/// run (it checkpoints) and fails it: a run never trains on with its metrics silently lost.
public final class RunRecorder {
    public let sink: RunSink
    public private(set) var run: RunRecord
    let config: TrainConfig
    private var pending: [MetricRecord] = []
    /// The first metric write that failed; the trainer's stop poll reads it.
    public private(set) var writeError: Error?
    private var started = Date()

    public init(sink: RunSink, run: RunRecord, config: TrainConfig) {
        self.sink = sink
        self.run = run
        self.config = config
    }

    var runId: Int64 { run.id ?? 0 }

    /// Marks the run running on this host (the start of an attempt; wall time counts from here).
    public func start() throws {
        started = Date()
        run.status = .running
        run.host = Provenance.host
        run.codeVersion = Provenance.codeVersion
        run.error = nil
        try sink.updateRun(run)
    }

    /// Buffers the metric point an event carries (none for checkpoints) and writes the buffer
    /// when the rules above say so. `lossScale`: the fp16 loss scaler's state at a step.
    public func record(_ event: TrainEvent, lossScale: (scale: Double, skipped: Int)? = nil) {
        switch event {
        case let .step(step, tokens, loss, lr, _, tps):
            var point = MetricRecord(runId: runId, step: step, tokensSeen: Double(tokens), trainLoss: Double(loss),
                                     learningRate: lr, tokensPerSecond: tps)
            if let lossScale {
                point.lossScale = lossScale.scale
                point.skippedSteps = lossScale.skipped
            }
            pending.append(point)
            if step % 10 == 0 || Self.checkpoints(after: step, config) { flush() }
        case let .eval(step, tokens, val, _):
            // an evaluation at a step already buffered joins that step's point
            if let i = pending.lastIndex(where: { $0.step == step && $0.trainLoss != nil }) {
                pending[i].valLoss = Double(val)
            } else {
                pending.append(MetricRecord(runId: runId, step: step, tokensSeen: Double(tokens), valLoss: Double(val)))
            }
            flush()
        case .checkpoint, .skippedStep:
            flush()
        }
    }

    /// Writes the buffered points; a failure is kept (and stops the run) rather than thrown here.
    public func flush() {
        guard !pending.isEmpty, writeError == nil else { return }
        do {
            try sink.appendMetrics(pending)
            pending.removeAll()
        } catch {
            writeError = error
        }
    }

    /// Seconds since `start()`.
    public var elapsed: Double { Date().timeIntervalSince(started) }

    /// The attempt failed with `error`: what metrics can be written are, the run is marked failed
    /// with the error and the attempt's wall time. Errors writing this record are ignored (the
    /// caller is already failing with `error`).
    public func fail(_ error: Error) {
        flush()
        run.status = .failed
        run.error = "\(writeError.map { "metrics could not be written: \($0)" } ?? "\(error)")"
        run.wallSeconds = (run.wallSeconds ?? 0) + elapsed
        try? sink.updateRun(run)
    }

    /// The attempt ended (done, diverged or interrupted): metrics and outcome written; a metric
    /// write that failed fails the run instead.
    public func finish(_ result: TrainResult, recordsSkippedSteps: Bool) throws {
        flush()
        if let writeError {
            fail(writeError)
            throw writeError
        }
        run.finish(with: result)
        if recordsSkippedSteps { run.skippedSteps = result.skippedSteps }
        try sink.updateRun(run)
    }

    /// Whether the trainer writes its checkpoint after `step` (every train.checkpoint_interval
    /// steps, kept WSD steps, and the last step).
    public static func checkpoints(after step: Int, _ config: TrainConfig) -> Bool {
        let t = config.train
        return (t.checkpointInterval > 0 && step % t.checkpointInterval == 0) || step == t.steps || t.saveAt.contains(step)
    }
}

extension RunRecord {
    /// Records a training outcome: status, reason, final losses; wall time adds to earlier attempts'.
    public mutating func finish(with result: TrainResult) {
        switch result.outcome {
        case .done: status = .done
        case .diverged: status = .diverged
        case .interrupted: status = .interrupted
        }
        error = result.reason
        finalTrainLoss = result.finalTrainLoss.map(Double.init)
        finalValLoss = result.finalValLoss.map(Double.init)
        wallSeconds = (wallSeconds ?? 0) + result.wallSeconds
    }
}
