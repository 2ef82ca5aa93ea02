import Compute
import Distributed
import Foundation
import Jobs
import Randomness
import Training

/// The model shapes `ladder bench train` measures, as `shared/bench/gpt_torch.py` defines them.
public enum BenchShape: String, CaseIterable, Sendable {
    case tiny, small, medium

    /// (d_model, n_layer, n_head, seq_len, vocab, batch).
    public var shape: (dModel: Int, layers: Int, heads: Int, seqLen: Int, vocab: Int, batch: Int) {
        switch self {
        case .tiny: return (128, 4, 4, 256, 4096, 16)
        case .small: return (256, 6, 8, 256, 4096, 16)
        case .medium: return (512, 8, 8, 512, 8192, 8)
        }
    }
}

/// Training throughput of the built-in trainer on a bench shape: `warmup` untimed optimizer steps,
/// then `steps` timed ones, on seeded random tokens (constant learning rate, no clipping, no
/// evaluation). One record per measurement, with the JSON keys `ladder bench train` prints.
public struct TrainBenchmark: Sendable {
    public var shape: BenchShape
    public var steps: Int
    public var warmup: Int
    /// Stated fp32 peak per thread (GFLOP/s) MFU is reported against.
    public var peakGflopsPerThread: Double

    public init(shape: BenchShape, steps: Int, warmup: Int, peakGflopsPerThread: Double = PeakFlops.defaultPerThread) {
        self.shape = shape; self.steps = steps; self.warmup = warmup; self.peakGflopsPerThread = peakGflopsPerThread
    }

    /// Throws `BenchmarkInputError` naming the count that cannot give a measurement: no timed
    /// step (`steps` < 1, which would print 0 tokens/s and an infinite step time), negative
    /// warm-up, or a stated peak that is not a positive finite number (MFU is divided by it).
    public func validate() throws {
        guard steps >= 1 else { throw BenchmarkInputError("steps must be at least 1 (the timed steps), got \(steps)") }
        guard warmup >= 0 else { throw BenchmarkInputError("warmup must be at least 0, got \(warmup)") }
        guard peakGflopsPerThread.isFinite && peakGflopsPerThread > 0 else {
            throw BenchmarkInputError("peak-gflops must be a positive number of GFLOP/s per thread, got \(peakGflopsPerThread)")
        }
    }

    /// The run's config: the shape's global batch, `threads` per rank, `precision`; under a
    /// pipeline the batch is cut into micro-batches (4 per stage, at most one sequence each) so
    /// the stages have work to overlap, and the tokens per step stay the single-rank run's.
    public func config(precision: TrainConfig.Precision = .fp32, threads: Int,
                       parallel: ParallelConfig = ParallelConfig()) -> TrainConfig {
        let s = shape.shape
        var t = TrainConfig.Optimization()
        t.batch = s.batch
        t.steps = warmup + steps
        t.lr = 3e-4
        t.weightDecay = 0.1
        t.schedule = .constant
        t.evalInterval = 0
        t.evalBatches = 1
        t.threads = threads
        t.precision = precision
        t.maxGradNorm = .infinity
        if parallel.pp > 1 {
            var micro = min(s.batch, 4 * parallel.pp)
            while s.batch % micro != 0 { micro -= 1 }
            t.batch = s.batch / micro
            t.microBatches = micro
        }
        var config = TrainConfig(model: GPTConfig(vocab: s.vocab, seqLen: s.seqLen, dModel: s.dModel, nLayer: s.layers,
                                                  nHead: s.heads),
                                 data: .init(path: "random"), train: t)
        config.parallel = parallel
        return config
    }

    /// Seeded random tokens: 64 batches of training windows, 4 sequences held out.
    public func data() -> TokenDataset {
        let s = shape.shape
        var rng = SplitMix64(seed: 0)
        let tokens = (0..<(s.batch * (s.seqLen + 1) * 64)).map { _ in Int32(rng.next() % UInt64(s.vocab)) }
        return TokenDataset(train: tokens, validation: Array(tokens.prefix(4 * (s.seqLen + 1))), vocab: s.vocab,
                            bytesPerToken: 1, source: "random tokens")
    }

    /// Timed tokens per step.
    var tokensPerStep: Int { shape.shape.batch * shape.shape.seqLen }

    /// One single-rank measurement in this process on `threads` threads of the default pool.
    /// `precision` is the arithmetic the kernels run (`KernelTierSetup.arithmetic(for:)`).
    public func measure(precision: TrainConfig.Precision, threads: Int) throws -> [String: Any] {
        try validate()
        let arithmetic = KernelTierSetup.arithmetic(for: precision)
        let trainConfig = config(precision: arithmetic, threads: threads)
        ThreadPool.setDefaultThreadCount(threads)
        let trainer = try Trainer(config: trainConfig, data: data(), kernels: FastKernels(pool: .default))
        _ = try trainer.run(stopAfter: warmup)
        let started = Date()
        _ = try trainer.run()
        let seconds = Date().timeIntervalSince(started)
        let tokensPerSecond = Double(steps * tokensPerStep) / seconds
        let gflops = tokensPerSecond * trainer.model.flopsPerToken / 1e9
        let mfu = PeakFlops.mfu(gflops: gflops, threads: threads, perThread: peakGflopsPerThread)
        var result: [String: Any] = [
            "activation_bytes": trainer.model.savedActivationBytes, "scratch_bytes": trainer.model.scratchBytes,
            "skipped_steps": trainer.lossScaler?.skippedSteps ?? 0,
            "system": "ladder", "config": shape.rawValue, "precision": precision.rawValue, "threads": threads,
            "params_total": trainer.model.parameterCount, "params_non_embedding": trainer.model.nonEmbeddingParameterCount,
            "tokens_per_s": rounded(tokensPerSecond, 1), "model_gflops": rounded(gflops, 2),
            "peak_rss_bytes": peakResidentBytes(), "step_ms": rounded(seconds / Double(steps) * 1000, 1),
            "mfu": rounded(mfu, 3), "peak_gflops": peakGflopsPerThread * Double(threads),
        ]
        result.merge(KernelTierSetup.jsonFields) { a, _ in a }
        result["arithmetic"] = arithmetic.rawValue
        return result
    }

    /// One measurement of a parallel layout on `backend` (every rank takes part; ranks of the
    /// threads backend share this process): one record per rank of this process, with its
    /// throughput, time in collectives and memory (`RankMemory`).
    public func measure(layout: ParallelConfig, backend: CommunicationBackend, threadsPerRank: Int,
                        precision: TrainConfig.Precision = .fp32) throws -> [[String: Any]] {
        try validate()
        try layout.validate()
        guard threadsPerRank >= 1 else { throw DistributedError.invalidLayout("threads per rank must be at least 1") }
        let trainConfig = config(precision: precision, threads: threadsPerRank, parallel: layout)
        let data = self.data(), steps = self.steps, warmup = self.warmup, tokens = tokensPerStep, name = shape.rawValue
        return try ParallelLauncher.run(backend: backend, worldSize: layout.worldSize) { comm -> [String: Any] in
            let kernels = FastKernels(pool: ThreadPool(threadCount: threadsPerRank))
            let trainer = try ParallelTraining.trainer(config: trainConfig, data: data, kernels: kernels, world: comm)
            _ = try trainer.run(stopAfter: warmup, onEvent: { _ in })
            let commBefore = trainer.communicationSeconds
            try comm.barrier()
            let started = Date()
            _ = try trainer.run(stopAfter: nil, onEvent: { _ in })
            try comm.barrier()
            let seconds = Date().timeIntervalSince(started)
            let tps = Double(steps * tokens) / seconds
            let m = trainer.memory
            var line: [String: Any] = [
                "system": "ladder", "config": name, "parallel": layout.label, "backend": backend.rawValue,
                "precision": precision.rawValue, "rank": comm.rank, "world": comm.size, "threads_per_rank": threadsPerRank,
                "tokens_per_s": rounded(tps, 1), "step_ms": rounded(seconds / Double(steps) * 1000, 1),
                "comm_ms_per_step": rounded((trainer.communicationSeconds - commBefore) / Double(steps) * 1000, 1),
                "model_gflops": rounded(tps * trainer.flopsPerToken / 1e9, 2),
                "param_bytes": m.parameters, "grad_bytes": m.gradients, "optimizer_bytes": m.optimizerState,
                "rank_state_bytes": m.total, "activation_bytes": m.activations, "workspace_bytes": m.workspace,
                "rank_training_bytes": m.training, "peak_rss_bytes": peakResidentBytes(),
                "micro_batches": trainConfig.train.microBatches,
            ]
            if let bubble = trainer.bubbleFraction {
                line["bubble_ideal"] = rounded(bubble.ideal, 3)
                line["bubble_measured"] = rounded(bubble.measured, 3)
            }
            return line
        }
    }

    /// Per precision of `list`, the median tokens/s, saved activations and peak RSS of its
    /// `results` and, when fp32 is in the list, the ratios to fp32's medians.
    public static func summaries(_ results: [TrainConfig.Precision: [[String: Any]]], list: [TrainConfig.Precision],
                                 shape: BenchShape) -> [[String: Any]] {
        func median(_ p: TrainConfig.Precision, _ key: String) -> Double {
            let v = (results[p] ?? []).compactMap { ($0[key] as? Double) ?? ($0[key] as? Int).map(Double.init) }.sorted()
            return v.isEmpty ? .nan : v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
        }
        return list.map { p in
            let tps = median(p, "tokens_per_s"), act = median(p, "activation_bytes"), rss = median(p, "peak_rss_bytes")
            var summary: [String: Any] = KernelTierSetup.jsonFields
            summary.merge(["system": "ladder", "summary": true, "config": shape.rawValue, "precision": p.rawValue,
                           "runs": results[p]?.count ?? 0, "median_tokens_per_s": rounded(tps, 1),
                           "activation_bytes": act, "median_peak_rss_bytes": rss]) { a, _ in a }
            if list.contains(.fp32) {
                summary["speedup_vs_fp32"] = rounded(tps / median(.fp32, "tokens_per_s"), 3)
                summary["activation_ratio_vs_fp32"] = rounded(act / median(.fp32, "activation_bytes"), 3)
            }
            return summary
        }
    }
}

/// `x` rounded to `digits` decimals (for printed records).
func rounded(_ x: Double, _ digits: Int) -> Double {
    let scale = pow(10, Double(digits))
    return (x * scale).rounded() / scale
}

/// Peak resident set size of this process (VmHWM), in bytes; 0 where /proc is absent.
public func peakResidentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kb * 1024
    }
    return 0
}
