import Compute
import Distributed
import Foundation
import Store
import Sweeps
import Training

/// One run trained to completion (or divergence, or interruption), single-rank or under any
/// `[parallel]` layout: the lifecycle `ladder train` and `ladder run-job` (the sweep executors'
/// entry point) share. The job opens its run's record (creating it only once the trainer is built,
/// so a config the trainer refuses leaves no row behind), resumes from the run's checkpoint (or
/// branches from its WSD trunk's), records through a ``RunRecorder`` and prints through a
/// ``RunEventPrinter``. Under a parallel layout every rank trains its part and rank 0 records.
public struct TrainingJob {
    public let target: JobTarget
    public let config: TrainConfig
    public var printer: RunEventPrinter
    /// Stated fp32 peak per thread (GFLOP/s) that MFU is reported against.
    public var peakGflopsPerThread = PeakFlops.defaultPerThread
    /// Where the ranks of a `[parallel]` run live.
    public var backend: CommunicationBackend = .threads
    /// Polled each step: when it turns false the run checkpoints and stops (`--exit-with-parent`).
    public var parentAlive: @Sendable () -> Bool = { true }
    /// The claim token the job trains under: its scheduler's (`run-job --lease`), or its own.
    public var leaseToken = UUID().uuidString.lowercased()

    public init(target: JobTarget, config: TrainConfig, printer: RunEventPrinter) {
        self.target = target
        self.config = config
        self.printer = printer
    }

    /// Whether this run trains under a parallel layout (several ranks, or one MPI rank).
    public var isParallel: Bool { config.parallel.worldSize > 1 || backend == .mpi }

    /// Trains the run; the result is the run's outcome (rank 0's under a parallel layout).
    public func execute() throws -> TrainResult {
        let data = try TokenDataset.load(config.data)
        return isParallel ? try executeParallel(data) : try executeSingle(data)
    }

    private func executeSingle(_ data: TokenDataset) throws -> TrainResult {
        var arithmetic = config
        arithmetic.train.precision = KernelTierSetup.arithmetic(for: config.train.precision)
        // the job's own pool, passed down to every kernel (attention included)
        let pool = ThreadPool(threadCount: config.train.threads)
        let trainer = try Trainer(config: arithmetic, data: data, kernels: FastKernels(pool: pool))
        printer.log(KernelTierSetup.runLine(requested: config.train.precision))
        let opened = try target.open(config: config, owner: .current(token: leaseToken))
        return try train(trainer, opened: opened, threads: config.train.threads)
    }

    private func executeParallel(_ data: TokenDataset) throws -> TrainResult {
        if case .folder = target {
            throw JobError.unsupported("a run folder (--run-dir) trains single-rank runs; this config asks for \(config.parallel.worldSize) ranks ([parallel]): use --run ID (with --backend)")
        }
        let world = config.parallel.worldSize
        let perRank = backend == .threads ? max(1, config.train.threads / world) : config.train.threads
        if backend == .threads {
            // every rank holds a whole GPT at once: at its share of the batch (data parallel), or at
            // batch 1 while a model-parallel rank initializes (freed before it trains its shard)
            let modelParallel = config.parallel.tp * config.parallel.pp * config.parallel.cp > 1
            let batch = modelParallel ? 1 : max(1, config.train.batch / config.parallel.dp)
            try TrainingMemory.checkRanks(config.model, ranks: world, batch: batch, seqLen: config.model.seqLen)
        }
        var arithmetic = config
        arithmetic.train.precision = KernelTierSetup.arithmetic(for: config.train.precision)
        printer.log(KernelTierSetup.runLine(requested: config.train.precision))
        let results = try ParallelLauncher.run(backend: backend, worldSize: world) { comm -> TrainResult in
            let kernels = FastKernels(pool: ThreadPool(threadCount: perRank))
            let parallel = try ParallelTraining.trainer(config: arithmetic, data: data, kernels: kernels, world: comm)
            let trainer = RankTrainer(parallel)
            let opened = comm.rank == 0 ? try target.open(config: config, owner: .current(token: leaseToken)) : nil
            // every rank resumes from the file rank 0 names
            let checkpoint = URL(fileURLWithPath: try comm.broadcast(text: opened?.checkpoint.path ?? ""))
            guard let opened else {
                if FileManager.default.fileExists(atPath: checkpoint.path) { try trainer.resume(from: checkpoint) }
                return try trainer.train(checkpoint: checkpoint, shouldStop: { StopSignal.requested }, onEvent: { _ in })
            }
            printer.emit(["event": "start", "run": opened.record.id, "world": world, "backend": backend.rawValue,
                          "parallel": "dp=\(config.parallel.dp) tp=\(config.parallel.tp) pp=\(config.parallel.pp) cp=\(config.parallel.cp) zero=\(config.parallel.zero)",
                          "threads_per_rank": perRank, "rank0_bytes": parallel.memory.total],
                         line: "run \(opened.record.id ?? 0): \(world) ranks over \(backend.rawValue), \(perRank) thread(s) each; rank 0 holds \(parallel.memory.total / 1_000_000) MB of parameters, gradients and optimizer state")
            return try train(trainer, opened: opened, threads: perRank * world) { result in
                ["communication_seconds": parallel.communicationSeconds]
            }
        }
        return results[0]
    }

    /// The shared lifecycle: resume or branch, mark running, train with events recorded and
    /// printed, record the outcome (or the failure, with its wall time).
    private func train(_ trainer: JobTrainer, opened: OpenedRun, threads: Int,
                       extra: (TrainResult) -> [String: Any] = { _ in [:] }) throws -> TrainResult {
        let runId = opened.record.id ?? 0
        try RunFolder(url: opened.folder).checkSafe()
        let removed = StaleTemporaries.remove(in: opened.folder)
        if !removed.isEmpty {
            printer.log("run \(runId): removed \(removed.count) temporary file(s) an interrupted write left: \(removed.joined(separator: ", "))")
        }
        if FileManager.default.fileExists(atPath: opened.checkpoint.path) {
            try trainer.resume(from: opened.checkpoint)
            printer.emit(["event": "resume", "run": runId, "step": trainer.step, "path": opened.checkpoint.path],
                         line: "resuming run \(runId) from step \(trainer.step) (\(opened.checkpoint.path))")
        } else if let trunk = opened.branchFrom {
            try trainer.branch(from: trunk)
            printer.emit(["event": "branch", "run": runId, "step": trainer.step, "path": trunk.path],
                         line: "branching run \(runId) from its trunk at step \(trainer.step) (\(trunk.path))")
        }
        let recorder = RunRecorder(sink: opened.sink, run: opened.record, config: config)
        defer { if let lease = opened.lease { try? lease.store.releaseRun(runId, token: lease.token) } }
        var heartbeat = Date()
        try recorder.start()
        let total = config.train.steps
        let throughput = StepThroughput(flopsPerToken: trainer.flopsPerToken, threads: threads, peakGflopsPerThread: peakGflopsPerThread)
        let firstStep = trainer.step
        let parentAlive = self.parentAlive
        let result: TrainResult
        do {
            result = try trainer.train(checkpoint: opened.checkpoint,
                                       shouldStop: { StopSignal.requested || recorder.writeError != nil || !parentAlive() }) { event in
                recorder.record(event, lossScale: trainer.lossScale)
                if let lease = opened.lease, Date().timeIntervalSince(heartbeat) > 30 {
                    heartbeat = Date()
                    try? lease.store.renewLeases([runId], token: lease.token)
                }
                var eta = Double.nan
                if case let .step(step, _, _, _, _, _) = event, step > firstStep {
                    eta = recorder.elapsed / Double(step - firstStep) * Double(total - step)
                }
                printer.print(event, totalSteps: total, throughput: throughput, eta: eta)
            }
        } catch {
            recorder.fail(error)
            throw error
        }
        try recorder.finish(result, recordsSkippedSteps: trainer.lossScale != nil)
        let run = recorder.run
        var end: [String: Any?] = ["event": "end", "status": run.status.rawValue, "steps": result.steps, "tokens": result.tokens,
                                   "final_train_loss": result.finalTrainLoss.map { Double($0) },
                                   "final_val_loss": result.finalValLoss.map { Double($0) },
                                   "bits_per_byte": result.finalBitsPerByte, "wall_seconds": result.wallSeconds,
                                   "run": runId, "precision": config.train.precision.rawValue, "skipped_steps": result.skippedSteps]
        for (k, v) in extra(result) { end[k] = v }
        let val = result.finalValLoss.map { String(format: "%.4f", $0) } ?? "-"
        printer.emit(end, line: "run \(runId) \(run.status.rawValue): \(result.steps) steps, val loss \(val), \(String(format: "%.1f", result.wallSeconds)) s"
                        + (result.skippedSteps > 0 ? ", \(result.skippedSteps) steps skipped by fp16 loss scaling" : "")
                        + (result.reason.map { " (\($0))" } ?? ""))
        return result
    }
}
