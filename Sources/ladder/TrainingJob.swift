import Compute
import Foundation
import Store
import Training

/// Set by SIGINT / SIGTERM; the trainer polls it after each step, checkpoints and stops.
nonisolated(unsafe) var stopRequested = false

func installStopHandlers() {
    signal(SIGINT) { _ in stopRequested = true }
    signal(SIGTERM) { _ in stopRequested = true }
}

/// One stored run trained to completion (or divergence, or interruption): the code path that both
/// `ladder train` and `ladder run-job` (the sweep scheduler's entry point) take.
/// The store learns every state change before it happens in the world: `running` before the first
/// step, metrics in batches as they come, the outcome at the end.
struct TrainingJob {
    /// The store (local runs) or the run's folder (cluster tasks, which never open the database).
    let sink: RunSink
    var run: RunRecord
    let config: TrainConfig
    let checkpoint: URL
    var printJSON = false
    var quiet = false
    /// Stated fp32 peak per thread (GFLOP/s) that MFU is reported against.
    var peakGflopsPerThread = PeakFlops.defaultPerThread
    /// Polled each step: when it turns false the run checkpoints and stops.
    var parentAlive: () -> Bool = { true }
    /// A WSD branch's starting point: its trunk's kept checkpoint (used when the run has no
    /// checkpoint of its own yet).
    var branchFrom: URL?

    /// Where a run's checkpoint lives: beside the database, `<sweep>/runs/<id>/checkpoint.safetensors`.
    static func checkpointURL(store: ResultStore, sweep: String, runId: Int64) -> URL {
        runFolderURL(store: store, sweep: sweep, runId: runId).appendingPathComponent("checkpoint.safetensors")
    }

    /// Whether the trainer writes its checkpoint after `step` (every train.checkpoint_interval
    /// steps and at the end; kept WSD checkpoints included).
    static func checkpoints(after step: Int, _ config: TrainConfig) -> Bool {
        let t = config.train
        return (t.checkpointInterval > 0 && step % t.checkpointInterval == 0) || step == t.steps || t.saveAt.contains(step)
    }

    /// A run's folder: `<folder of the database>/<sweep>/runs/<id>/`.
    static func runFolderURL(store: ResultStore, sweep: String, runId: Int64) -> URL {
        RunFolder.location(resultsFolder: RunFolder.resultsFolder(of: store), sweep: sweep, runId: runId)
    }

    static func loadData(_ config: TrainConfig) throws -> TokenDataset {
        try TokenDataset.load(config.data)
    }

    /// A run record describing `config` (size, tokens, FLOPs as 6 N D with N non-embedding).
    static func record(for config: TrainConfig, name: String?) throws -> RunRecord {
        let layout = ParameterLayout(config.model)
        let n = Double(layout.nonEmbeddingCount(config.model))
        let tokens = Double(config.tokensPerStep * config.train.steps)
        let json = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        return RunRecord(sweepId: 0, name: name, status: .pending, config: json, nLayer: config.model.nLayer,
                         dModel: config.model.dModel, nHead: config.model.nHead, dFF: config.model.dFF,
                         params: n, paramsTotal: Double(layout.count), tokens: tokens, flops: 6 * n * tokens,
                         seed: Int(truncatingIfNeeded: config.train.seed))
    }

    mutating func execute() throws -> TrainResult {
        let data = try Self.loadData(config)
        ThreadPool.setDefaultThreadCount(config.train.threads)
        var arithmetic = config
        arithmetic.train.precision = KernelTierSetup.arithmetic(for: config.train.precision)
        let trainer = try Trainer(config: arithmetic, data: data, kernels: FastKernels(pool: .default))
        log(KernelTierSetup.runLine(requested: config.train.precision))
        if FileManager.default.fileExists(atPath: checkpoint.path) {
            try trainer.resume(from: checkpoint)
            log("resuming run \(run.id!) from step \(trainer.step) (\(checkpoint.path))")
        } else if let branchFrom {
            try trainer.branch(from: branchFrom)
            log("branching run \(run.id!) from its trunk at step \(trainer.step) (\(branchFrom.path))")
        }
        run.status = .running
        run.host = Provenance.host
        run.codeVersion = Provenance.codeVersion
        run.error = nil
        try sink.updateRun(run)

        let runId = run.id!
        let total = config.train.steps
        let flopsPerToken = trainer.model.flopsPerToken
        var pending: [MetricRecord] = []
        var flushError: Error?
        let started = Date()
        let firstStep = trainer.step
        func flush() {
            guard !pending.isEmpty else { return }
            do { try sink.appendMetrics(pending); pending.removeAll() } catch { flushError = error }
        }
        let result: TrainResult
        do {
            result = try trainer.run(checkpoint: checkpoint, shouldStop: { stopRequested || flushError != nil || !parentAlive() }) { event in
                switch event {
                case let .step(step, tokens, loss, lr, norm, tps):
                    var point = MetricRecord(runId: runId, step: step, tokensSeen: Double(tokens), trainLoss: Double(loss),
                                             learningRate: lr, tokensPerSecond: tps)
                    if let scaler = trainer.lossScaler {
                        point.lossScale = Double(scaler.scale)
                        point.skippedSteps = scaler.skippedSteps
                    }
                    pending.append(point)
                    // metrics reach the store before a checkpoint of their step is written
                    if step % 10 == 0 || Self.checkpoints(after: step, config) { flush() }
                    let elapsed = Date().timeIntervalSince(started)
                    let eta = elapsed / Double(step - firstStep) * Double(total - step)
                    let gflops = tps * flopsPerToken / 1e9
                    let mfu = PeakFlops.mfu(gflops: gflops, threads: config.train.threads, perThread: peakGflopsPerThread)
                    emitEvent(["event": "step", "step": step, "tokens": tokens, "loss": Double(loss), "lr": lr,
                               "grad_norm": Double(norm), "tokens_per_s": tps, "model_gflops": gflops, "mfu": mfu],
                              line: String(format: "step %5d/%d  loss %.4f  lr %.2e  |g| %.3f  %.0f tok/s  %.1f GFLOP/s (MFU %.0f%%)  ETA %@",
                                           step, total, loss, lr, norm, tps, gflops, mfu * 100, duration(eta)))
                case let .eval(step, tokens, val, bpb):
                    pending.append(MetricRecord(runId: runId, step: step, tokensSeen: Double(tokens), valLoss: Double(val)))
                    if let i = pending.lastIndex(where: { $0.step == step && $0.trainLoss != nil }) {
                        pending[i].valLoss = Double(val)
                        pending.removeLast()
                    }
                    flush()
                    emitEvent(["event": "eval", "step": step, "tokens": tokens, "val_loss": Double(val), "bits_per_byte": bpb],
                              line: String(format: "eval  step %d  val loss %.4f nats/token  %.4f bits/byte", step, val, bpb))
                case let .checkpoint(step, path):
                    emitEvent(["event": "checkpoint", "step": step, "path": path], line: "checkpoint at step \(step): \(path)")
                case let .skippedStep(step, scale, skipped):
                    emitEvent(["event": "skipped_step", "step": step, "loss_scale": Double(scale), "skipped_steps": skipped],
                              line: "step \(step) skipped: fp16 gradients overflowed; loss scale now \(scale) (\(skipped) skipped so far)")
                }
            }
        } catch {
            flush()
            run.status = .failed
            run.error = "\(error)"
            run.wallSeconds = (run.wallSeconds ?? 0) + Date().timeIntervalSince(started)
            try? sink.updateRun(run)
            throw error
        }
        flush()
        if let flushError { throw flushError }
        run.finish(with: result)
        if trainer.lossScaler != nil { run.skippedSteps = result.skippedSteps }
        try sink.updateRun(run)
        emitEvent(["event": "end", "status": run.status.rawValue, "steps": result.steps, "tokens": result.tokens,
                   "final_train_loss": result.finalTrainLoss.map { Double($0) },
                   "final_val_loss": result.finalValLoss.map { Double($0) },
                   "bits_per_byte": result.finalBitsPerByte, "wall_seconds": result.wallSeconds,
                   "run": runId, "precision": config.train.precision.rawValue, "skipped_steps": result.skippedSteps],
                  line: "run \(runId) \(run.status.rawValue): \(result.steps) steps, val loss \(result.finalValLoss.map { String(format: "%.4f", $0) } ?? "-"), \(String(format: "%.1f", result.wallSeconds)) s"
                    + (result.skippedSteps > 0 ? ", \(result.skippedSteps) steps skipped by fp16 loss scaling" : "") + (result.reason.map { " (\($0))" } ?? ""))
        return result
    }

    private func log(_ line: String) {
        if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    /// One JSON line (with --json) or one human line on standard error. nil values become null.
    private func emitEvent(_ object: [String: Any?], line: String) {
        if printJSON {
            if let text = try? jsonLine(object.mapValues { $0 ?? NSNull() }) {
                FileHandle.standardOutput.write(Data((text + "\n").utf8))
            }
        } else if !quiet {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}

func duration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "-" }
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) : String(format: "%dm%02ds", s / 60, s % 60)
}

extension RunRecord {
    /// Records a training outcome: status, reason, final losses; wall time adds to earlier attempts'.
    mutating func finish(with result: TrainResult) {
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
