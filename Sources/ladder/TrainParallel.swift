import ArgumentParser
import Compute
import Distributed
import Foundation
import Store
import Training

extension CommunicationBackend: ExpressibleByArgument {}

/// `ladder train` (and `run-job` resuming) for a config whose `[parallel]` section asks for more
/// than one rank (or with `--backend mpi`): every rank trains its part; rank 0 records the run,
/// prints the events and tells the others where the run's checkpoint lives. The checkpoint is a
/// single-rank one (`TrainingCheckpoint`): written every train.checkpoint_interval steps, at the
/// end and on Ctrl-C; a run that finds one resumes from it, under any layout.
struct ParallelTrainingJob {
    /// A run to create (`ladder train`) or a stored one to continue (`ladder run-job`).
    enum Run {
        case new(sweep: String, name: String)
        case stored(RunRecord)
    }

    let config: TrainConfig
    let backend: CommunicationBackend
    let store: StoreOptions
    let run: Run
    let printJSON: Bool

    /// Threads each rank computes with: the process's `train.threads` shared by the ranks it hosts.
    var threadsPerRank: Int {
        backend == .threads ? max(1, config.train.threads / config.parallel.worldSize) : config.train.threads
    }

    func execute() throws -> TrainResult {
        let data = try TokenDataset.load(config.data)
        let world = config.parallel.worldSize
        let perRank = threadsPerRank
        let results = try ParallelLauncher.run(backend: backend, worldSize: world) { comm -> TrainResult in
            let kernels = FastKernels(pool: ThreadPool(threadCount: perRank))
            let trainer = try ParallelTraining.trainer(config: config, data: data, kernels: kernels, world: comm)
            let opened = comm.rank == 0 ? try openRecord() : nil
            let checkpoint = URL(fileURLWithPath: try comm.broadcast(text: opened?.checkpoint.path ?? ""))
            if FileManager.default.fileExists(atPath: checkpoint.path) { try trainer.resume(from: checkpoint) }
            let stop = { stopRequested }
            guard let (db, record, _) = opened else {
                return try trainer.run(stopAfter: nil, checkpoint: checkpoint, shouldStop: stop, onEvent: { _ in })
            }
            return try recordOnRankZero(trainer, db: db, record: record, checkpoint: checkpoint, stop: stop,
                                        world: world, perRank: perRank)
        }
        return results[0]
    }

    /// Rank 0: the run's record (created, or the stored one) marked running, and its checkpoint path.
    private func openRecord() throws -> (db: ResultStore, record: RunRecord, checkpoint: URL) {
        let db = try store.open()
        var record: RunRecord
        let sweepName: String
        switch run {
        case let .new(sweep, name):
            guard let stored = try db.insertRuns([TrainingJob.record(for: config, name: name)], intoSweep: sweep).first else {
                throw ValidationError("could not record the run in \(db.path)")
            }
            record = stored
            sweepName = sweep
        case let .stored(stored):
            record = stored
            guard let sweep = try db.sweeps().first(where: { $0.id == stored.sweepId }) else {
                throw ValidationError("run \(stored.id ?? 0) has no sweep")
            }
            sweepName = sweep.name
        }
        record.status = .running
        record.host = Provenance.host
        record.codeVersion = Provenance.codeVersion
        record.error = nil
        try db.updateRun(record)
        return (db, record, TrainingJob.checkpointURL(store: db, sweep: sweepName, runId: record.id!))
    }

    /// Rank 0: metrics and outcome in the store, events on the terminal.
    private func recordOnRankZero(_ trainer: ParallelTrainer, db: ResultStore, record stored: RunRecord, checkpoint: URL,
                                  stop: @escaping () -> Bool, world: Int, perRank: Int) throws -> TrainResult {
        var record = stored
        let runId = record.id!
        if trainer.step > 0 {
            emit(["event": "resume", "run": runId, "step": trainer.step, "path": checkpoint.path],
                 line: "resuming run \(runId) from step \(trainer.step) (\(checkpoint.path))")
        }
        emit(["event": "start", "run": runId, "world": world, "backend": backend.rawValue,
              "parallel": "dp=\(config.parallel.dp) tp=\(config.parallel.tp) pp=\(config.parallel.pp) cp=\(config.parallel.cp) zero=\(config.parallel.zero)",
              "threads_per_rank": perRank, "rank0_bytes": trainer.memory.total],
             line: "run \(runId): \(world) ranks over \(backend.rawValue), \(perRank) thread(s) each; rank 0 holds \(trainer.memory.total / 1_000_000) MB of parameters, gradients and optimizer state")
        var pending: [MetricRecord] = []
        func flush() {
            if !pending.isEmpty, (try? db.appendMetrics(pending)) != nil { pending.removeAll() }
        }
        let result: TrainResult
        do {
            result = try trainer.run(stopAfter: nil, checkpoint: checkpoint, shouldStop: stop) { event in
                switch event {
                case let .step(step, tokens, loss, lr, norm, tps):
                    pending.append(MetricRecord(runId: runId, step: step, tokensSeen: Double(tokens), trainLoss: Double(loss),
                                                learningRate: lr, tokensPerSecond: tps))
                    emit(["event": "step", "step": step, "tokens": tokens, "loss": Double(loss), "lr": lr,
                          "grad_norm": Double(norm), "tokens_per_s": tps],
                         line: String(format: "step %5d/%d  loss %.4f  lr %.2e  |g| %.3f  %.0f tok/s", step,
                                      config.train.steps, loss, lr, norm, tps))
                case let .eval(step, tokens, val, bpb):
                    pending.append(MetricRecord(runId: runId, step: step, tokensSeen: Double(tokens), valLoss: Double(val)))
                    emit(["event": "eval", "step": step, "tokens": tokens, "val_loss": Double(val), "bits_per_byte": bpb],
                         line: String(format: "eval  step %d  val loss %.4f nats/token  %.4f bits/byte", step, val, bpb))
                case let .checkpoint(step, path):
                    flush()
                    emit(["event": "checkpoint", "step": step, "path": path], line: "checkpoint at step \(step): \(path)")
                case .skippedStep:
                    break  // parallel runs are fp32: no loss scaling
                }
                // metrics reach the store before a checkpoint of their step is written
                if case let .step(step, _, _, _, _, _) = event, step % 10 == 0 || TrainingJob.checkpoints(after: step, config) {
                    flush()
                }
                if case .eval = event { flush() }
            }
        } catch {
            try? db.appendMetrics(pending)
            record.status = .failed
            record.error = "\(error)"
            try? db.updateRun(record)
            throw error
        }
        try db.appendMetrics(pending)
        record.finish(with: result)
        try db.updateRun(record)
        emit(["event": "end", "status": record.status.rawValue, "steps": result.steps, "tokens": result.tokens,
              "final_train_loss": result.finalTrainLoss.map { Double($0) } ?? NSNull(),
              "final_val_loss": result.finalValLoss.map { Double($0) } ?? NSNull(),
              "wall_seconds": result.wallSeconds, "communication_seconds": trainer.communicationSeconds, "run": runId],
             line: "run \(runId) \(record.status.rawValue): \(result.steps) steps, val loss \(result.finalValLoss.map { String(format: "%.4f", $0) } ?? "-"), \(String(format: "%.1f", result.wallSeconds)) s (\(String(format: "%.1f", trainer.communicationSeconds)) s in collectives)")
        return result
    }

    private func emit(_ object: [String: Any], line: String) {
        if printJSON {
            if let text = try? jsonLine(object) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}

extension Train {
    /// The `[parallel]` path of `ladder train`.
    func runParallel(_ trainConfig: TrainConfig) throws {
        let stem = URL(fileURLWithPath: config).deletingPathExtension().lastPathComponent
        let job = ParallelTrainingJob(config: trainConfig, backend: backend, store: store,
                                      run: .new(sweep: sweep, name: name ?? "\(stem)-\(Int(Date().timeIntervalSince1970))"),
                                      printJSON: json)
        installStopHandlers()
        let result = try job.execute()
        if result.outcome != .done { throw ExitCode(result.outcome == .interrupted ? 130 : 2) }
    }
}
